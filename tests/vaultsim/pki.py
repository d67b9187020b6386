# SPDX-License-Identifier: MIT
"""The PKI secrets engine subset (builtin/logical/pki) issuing real X.509
certificates with the `cryptography` package.

  root/generate/internal   a self-signed root CA (common_name, ttl,
                           key_type rsa|ec, key_bits, issuer_name); answers
                           certificate, expiration, issuer_id, issuer_name,
                           issuing_ca, key_id, key_name, serial_number
  roles/<name>             allowed_domains, allow_subdomains,
                           allow_bare_domains, allow_any_name,
                           allow_localhost, ttl, max_ttl, key_type, key_bits,
                           generate_lease, not_before_duration
  issue/<role>             common_name, alt_names, ip_sans, ttl; answers
                           ca_chain, certificate, expiration (unix seconds),
                           issuing_ca, private_key, private_key_type,
                           serial_number, with no lease (a lease only with
                           the role's generate_lease, not renewable)
  cert/ca                  the CA certificate

TTL of an issued certificate: ttl, else the role's ttl, else the mount's
default; capped at the role's max_ttl (else the mount's max); a notAfter
beyond the CA's is refused (leaf_not_after_behavior "err", the default).
notBefore is backdated by not_before_duration (30 s). Keys are PKCS#1 (RSA)
or SEC1 (EC) PEM, as Vault returns them.
"""

import datetime
import ipaddress

import framework as fw
from core import BackendBase, SEC, go_uuid
from framework import ErrResp, LResp, Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def _serial_text(n):
    h = '%x' % n
    if len(h) % 2:
        h = '0' + h
    return ':'.join(h[i:i + 2] for i in range(0, len(h), 2))


def _new_key(key_type, bits):
    if key_type == 'ec':
        curve = {224: ec.SECP224R1(), 256: ec.SECP256R1(), 384: ec.SECP384R1(), 521: ec.SECP521R1()}.get(bits or 256)
        if curve is None:
            raise ErrResp('unsupported bit length for EC key: %d' % bits)
        return ec.generate_private_key(curve)
    if key_type == 'rsa':
        if (bits or 2048) not in (2048, 3072, 4096, 8192):
            raise ErrResp('unsupported bit length for RSA key: %d' % bits)
        return rsa.generate_private_key(public_exponent=65537, key_size=bits or 2048)
    raise ErrResp('unsupported key type: %s' % key_type)


def _key_pem(key):
    fmt = serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode().strip()


def _cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode().strip()


def _not_after(cert):
    """notAfter as an aware datetime (cryptography 38 has no *_utc)."""
    return cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


def _sign_hash(key):
    return hashes.SHA256()


class PKIBackend(BackendBase):
    def __init__(self, core, mount):
        self.core = core
        self.mount = mount
        self.ca_key = None
        self.ca_cert = None
        self.issuer_id = ''
        self.issuer_name = ''
        self.key_id = ''
        self.roles = {}
        self.issued = {}     # serial text -> PEM
        name = {'name': ('string',)}
        self.paths = [
            Path(r'root/generate/(?P<exported>internal|exported|kms)', {
                'exported': ('string',), 'common_name': ('string',), 'ttl': ('duration',),
                'key_type': ('string', 'rsa'), 'key_bits': ('int',), 'issuer_name': ('string',),
                'key_name': ('string',),
            }, {'update': self.root_generate}, arbitrary=True),
            Path(r'roles/?', {}, {'list': self.role_list}),
            Path(r'roles/(?P<name>\w(([\w\-.]+)?\w)?)', dict(name, **{
                'allowed_domains': ('commaslice',), 'allow_subdomains': ('bool',),
                'allow_bare_domains': ('bool',), 'allow_any_name': ('bool',),
                'allow_localhost': ('bool', True), 'allow_glob_domains': ('bool',),
                'ttl': ('duration',), 'max_ttl': ('duration',), 'key_type': ('string', 'rsa'),
                'key_bits': ('int',), 'generate_lease': ('bool',), 'no_store': ('bool',),
                'not_before_duration': ('duration', 30), 'allow_ip_sans': ('bool', True),
            }), {'read': self.role_read, 'create': self.role_write, 'update': self.role_write,
                 'delete': self.role_delete}, existence=lambda req, fd: fd.get('name') in self.roles,
                 arbitrary=True),
            Path(r'issue/(?P<role>\w(([\w\-.]+)?\w)?)', {
                'role': ('string',), 'common_name': ('string',), 'alt_names': ('string',),
                'ip_sans': ('commaslice',), 'ttl': ('string',), 'format': ('string', 'pem'),
                'private_key_format': ('string', 'der'), 'exclude_cn_from_sans': ('bool',),
            }, {'update': self.issue}),
            Path(r'cert/ca', {}, {'read': self.cert_ca}),
        ]

    # ------------------------------------------------------------ CA

    def root_generate(self, req, fd):
        cn = fd.get('common_name')
        if not cn:
            raise ErrResp('the common_name field is required')
        if self.ca_cert is not None:
            # newer Vault creates another issuer; the simulator keeps one
            raise ErrResp('the simulator supports one issuer per mount; disable and re-mount pki')
        sys_default, sys_max = self.core.sys_ttls(self.mount)
        ttl = fd.get('ttl') or sys_default
        ttl = min(ttl, sys_max)
        key = _new_key(fd.get('key_type'), fd.get('key_bits'))
        now = datetime.datetime.fromtimestamp(self.core.now_ns() / SEC, datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        serial = x509.random_serial_number()
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(serial)
                .not_valid_before(now - datetime.timedelta(seconds=30))
                .not_valid_after(now + datetime.timedelta(seconds=ttl))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, key_cert_sign=True, crl_sign=True,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, _sign_hash(key)))
        self.ca_key, self.ca_cert = key, cert
        self.issuer_id, self.key_id = go_uuid(), go_uuid()
        self.issuer_name = fd.get('issuer_name')
        pem = _cert_pem(cert)
        data = {'certificate': pem, 'expiration': int(_not_after(cert).timestamp()),
                'issuer_id': self.issuer_id, 'issuer_name': self.issuer_name, 'issuing_ca': pem,
                'key_id': self.key_id, 'key_name': fd.get('key_name'),
                'serial_number': _serial_text(serial)}
        if fd.get('exported') == 'exported':
            data['private_key'] = _key_pem(key)
            data['private_key_type'] = fd.get('key_type')
        return LResp(data=data)

    def cert_ca(self, req, fd):
        if self.ca_cert is None:
            return None
        return LResp(data={'certificate': _cert_pem(self.ca_cert), 'revocation_time': 0})

    # ------------------------------------------------------------ roles

    def role_list(self, req, fd):
        return LResp(data={'keys': sorted(self.roles)}) if self.roles else None

    def role_write(self, req, fd):
        role = {k: fd.get(k) for k in ('allowed_domains', 'allow_subdomains', 'allow_bare_domains',
                                       'allow_any_name', 'allow_localhost', 'ttl', 'max_ttl',
                                       'key_type', 'key_bits', 'generate_lease', 'no_store',
                                       'not_before_duration', 'allow_ip_sans', 'allow_glob_domains')}
        if role['key_type'] not in ('rsa', 'ec'):
            raise ErrResp('unknown key type %s' % role['key_type'])
        if not role['key_bits']:
            role['key_bits'] = 2048 if role['key_type'] == 'rsa' else 256
        if role['max_ttl'] and role['ttl'] > role['max_ttl']:
            raise ErrResp('"ttl" value must be less than "max_ttl" value')
        self.roles[fd.get('name')] = role
        return None

    def role_read(self, req, fd):
        role = self.roles.get(fd.get('name'))
        return LResp(data=dict(role)) if role is not None else None

    def role_delete(self, req, fd):
        self.roles.pop(fd.get('name'), None)
        return None

    # ------------------------------------------------------------ issue

    def _name_allowed(self, role, name):
        if role['allow_any_name']:
            return True
        if role['allow_localhost'] and name in ('localhost', 'localdomain'):
            return True
        for d in role['allowed_domains']:
            if role['allow_bare_domains'] and name == d:
                return True
            if role['allow_subdomains'] and name.endswith('.' + d) and len(name) > len(d) + 1:
                return True
        return False

    def issue(self, req, fd):
        rname = fd.get('role')
        role = self.roles.get(rname)
        if role is None:
            raise ErrResp('unknown role: %s' % rname)
        if self.ca_cert is None:
            raise ErrResp('no default issuer currently configured')
        cn = fd.get('common_name')
        if not cn:
            raise ErrResp('the common_name field is required, or must be provided in a CSR with '
                          '"use_csr_common_name" set to true, unless "require_cn" is set to false')
        names = [cn] + [n.strip() for n in fd.get('alt_names').split(',') if n.strip()]
        for n in names:
            if not self._name_allowed(role, n):
                raise ErrResp('common name %s not allowed by this role' % n if n == cn
                              else 'subject alternate name %s not allowed by this role' % n)
        ips = []
        for s in fd.get('ip_sans'):
            try:
                ips.append(ipaddress.ip_address(s.strip()))
            except ValueError:
                raise ErrResp('the value %s is not a valid IP address' % s)
        sys_default, sys_max = self.core.sys_ttls(self.mount)
        try:
            ttl = fw.duration_seconds(fd.get('ttl')) if fd.get('ttl') else 0
        except fw.FieldError as e:
            raise ErrResp('invalid requested ttl: %s' % e)
        ttl = ttl or role['ttl'] or sys_default
        max_ttl = role['max_ttl'] or sys_max
        ttl = min(ttl, max_ttl)
        now_s = self.core.now_ns() / SEC
        now = datetime.datetime.fromtimestamp(now_s, datetime.timezone.utc)
        not_after = now + datetime.timedelta(seconds=ttl)
        if not_after > _not_after(self.ca_cert):
            raise ErrResp('cannot satisfy request, as TTL would result in notAfter of %s that is beyond '
                          'the expiration of the CA certificate at %s'
                          % (not_after.strftime('%Y-%m-%dT%H:%M:%S.%fZ'),
                             _not_after(self.ca_cert).strftime('%Y-%m-%dT%H:%M:%S.%fZ')))
        key = _new_key(role['key_type'], role['key_bits'])
        serial = x509.random_serial_number()
        sans = [x509.DNSName(n) for n in dict.fromkeys(names)] + [x509.IPAddress(i) for i in ips]
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(self.ca_cert.subject).public_key(key.public_key()).serial_number(serial)
             .not_valid_before(now - datetime.timedelta(seconds=role['not_before_duration']))
             .not_valid_after(not_after)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                                   x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                            critical=False))
        if sans:
            b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = b.sign(self.ca_key, _sign_hash(self.ca_key))
        pem = _cert_pem(cert)
        ca_pem = _cert_pem(self.ca_cert)
        st = _serial_text(serial)
        if not role['no_store']:
            self.issued[st] = pem
        data = {'ca_chain': [ca_pem], 'certificate': pem,
                'expiration': int(_not_after(cert).timestamp()), 'issuing_ca': ca_pem,
                'private_key': _key_pem(key), 'private_key_type': role['key_type'],
                'serial_number': st}
        if role['generate_lease']:
            le = self.core.leases.register(req, req.mount.full_path + req.subpath, ttl, ttl, ttl,
                                           False, None, None)
            return LResp(data=data, lease_id=le.id, renewable=False, lease_duration=ttl)
        return LResp(data=data)


__all__ = ['PKIBackend']
