# SPDX-License-Identifier: MIT
"""Service-account JWT handling as Vault's kubernetes auth plugin does it.

Mirrors, in behaviour (not code), the chain the plugin uses:
go-jose compact JWS parsing -> hashicorp/cap jwt.Validator
(ValidateAllowMissingIatNbfExp) -> mapstructure decoding of the claims into
the plugin's serviceAccount struct.

* parse_jws(token): compact serialisation only, base64url without padding.
* verify(token, keys): RS256/384/512, PS256/384/512, ES256/384/512 with the
  configured pem_keys (RSA or ECDSA public keys / certificates).
* validate(token, keys, now, issuer, audiences): the cap checks in cap's
  order (signature, alg, iss, aud, then nbf, exp, iat with 60 s clock-skew
  leeway and the 150 s default for a missing exp/nbf). Raises ClaimError
  whose text is what Vault returns (or "error verifying token signature: "
  + reason, which the plugin turns into plain "permission denied").
* service_account(claims): the plugin's serviceAccount view (projected
  kubernetes.io claims preferred over the legacy flat claims), raising
  DecodeError with mapstructure's wording for ill-typed claims.

Signing (for tests) lives in simlib.
"""

import base64
import binascii
import hashlib
import json

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

ALLOWED_ALGS = ('RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512',
                'PS256', 'PS384', 'PS512')
DEFAULT_LEEWAY = 150       # cap DefaultLeewaySeconds (missing exp / nbf)
CLOCK_SKEW = 60            # go-jose jwt.DefaultLeeway

_HASH = {'256': hashes.SHA256, '384': hashes.SHA384, '512': hashes.SHA512}
_EC_BITS = {'ES256': 256, 'ES384': 384, 'ES512': 521}


class JWTError(Exception):
    pass


class ClaimError(Exception):
    """A cap validation failure; str() is the message Vault reports."""


class DecodeError(Exception):
    """A mapstructure decoding failure (the plugin answers 500 with it)."""


def b64url_decode(s):
    if '=' in s or any(c not in
                       'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
                       for c in s):
        raise JWTError('illegal base64 data')
    if len(s) % 4 == 1:
        raise JWTError('illegal base64 data at input byte %d' % (len(s) - 1))
    try:
        return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
    except (binascii.Error, ValueError):
        raise JWTError('illegal base64 data')


def b64url_encode(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode('ascii')


class JWS:
    __slots__ = ('header', 'payload', 'signature', 'signing_input', 'alg')

    def __init__(self, header, payload, signature, signing_input):
        self.header = header
        self.payload = payload
        self.signature = signature
        self.signing_input = signing_input
        self.alg = header.get('alg')


def parse_jws(token, algs=ALLOWED_ALGS):
    """go-jose ParseSigned for the compact form."""
    token = token.strip() if isinstance(token, str) else token
    parts = token.split('.')
    if len(parts) != 3:
        raise JWTError('go-jose/go-jose: compact JWS format must have three parts')
    try:
        raw_header = b64url_decode(parts[0])
        payload = b64url_decode(parts[1])
        sig = b64url_decode(parts[2])
    except JWTError as e:
        raise JWTError(str(e))
    try:
        header = json.loads(raw_header.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as e:
        raise JWTError('invalid character in protected header: %s' % e)
    if not isinstance(header, dict):
        raise JWTError('go-jose/go-jose: invalid protected header')
    alg = header.get('alg')
    if not isinstance(alg, str) or alg == '':
        raise JWTError('go-jose/go-jose: missing algorithm in protected header')
    if 'crit' in header:
        raise JWTError('go-jose/go-jose: unsupported crit header')
    if alg not in algs:
        raise JWTError('go-jose/go-jose: unexpected signature algorithm "%s"; expected %s'
                       % (alg, '[' + ' '.join(algs) + ']'))
    return JWS(header, payload, sig, (parts[0] + '.' + parts[1]).encode('ascii'))


def load_public_key(pem):
    """plugin parsePublicKeyPEM: first PEM block, PKIX key or certificate,
    RSA or ECDSA only. Raises ValueError with the plugin's wording."""
    data = pem.encode('utf-8') if isinstance(pem, str) else pem
    start = data.find(b'-----BEGIN ')
    if start < 0:
        raise ValueError('data does not contain any valid RSA or ECDSA public keys')
    key = None
    try:
        key = serialization.load_pem_public_key(data[start:])
    except (ValueError, TypeError):
        try:
            key = x509.load_pem_x509_certificate(data[start:]).public_key()
        except (ValueError, TypeError):
            raise ValueError('x509: malformed certificate')
    if isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        return key
    raise ValueError('data does not contain any valid RSA or ECDSA public keys')


def _verify_one(jws, key):
    alg = jws.alg
    h = _HASH[alg[2:]]()
    if alg.startswith('RS') or alg.startswith('PS'):
        if not isinstance(key, rsa.RSAPublicKey):
            raise JWTError('go-jose/go-jose: unexpected key type')
        pad = (padding.PKCS1v15() if alg.startswith('RS') else
               padding.PSS(mgf=padding.MGF1(h), salt_length=padding.PSS.AUTO))
        key.verify(jws.signature, jws.signing_input, pad, h)
        return
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise JWTError('go-jose/go-jose: unexpected key type')
    if key.curve.key_size != _EC_BITS[alg]:
        raise JWTError('go-jose/go-jose: ECDSA key does not match algorithm')
    size = (key.curve.key_size + 7) // 8
    if len(jws.signature) != 2 * size:
        raise InvalidSignature()
    r = int.from_bytes(jws.signature[:size], 'big')
    s = int.from_bytes(jws.signature[size:], 'big')
    key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(h))


def verify(token, keys):
    """cap StaticKeySet.VerifySignature: parse, then try every key.
    Returns the claims dict. Raises JWTError."""
    jws = parse_jws(token)
    if not jws.signature:
        raise JWTError('go-jose/go-jose: error in cryptographic primitive')
    for key in keys:
        try:
            _verify_one(jws, key)
        except (InvalidSignature, JWTError, ValueError):
            continue
        return _claims(jws)
    raise JWTError('no known key successfully validated the token signature')


def unverified(token):
    """The plugin's DontVerifySignature key set (no pem_keys configured)."""
    jws = parse_jws(token)
    return _claims(jws)


def _claims(jws):
    try:
        claims = json.loads(jws.payload.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as e:
        raise JWTError('invalid character in payload: %s' % e)
    if not isinstance(claims, dict):
        raise JWTError('json: cannot unmarshal %s into Go value of type map[string]interface {}'
                       % _json_kind(claims))
    return claims


def _json_kind(v):
    if isinstance(v, list):
        return 'array'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, bool):
        return 'bool'
    if v is None:
        return 'null'
    return 'number'


def _numeric_date(claims, name):
    v = claims.get(name)
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ClaimError('go-jose/go-jose/jwt: expected number value to unmarshal NumericDate')
    return int(v)


def _audience(claims):
    v = claims.get('aud')
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    raise ClaimError('go-jose/go-jose/jwt: expected string or array value to unmarshal to Audience')


def _string_claim(claims, name):
    v = claims.get(name)
    if v is None:
        return ''
    if not isinstance(v, str):
        raise ClaimError('json: cannot unmarshal %s into Go struct field Claims.%s of type string'
                         % (_json_kind(v), name))
    return v


def validate(token, keys, now, issuer='', audiences=()):
    """cap Validator.ValidateAllowMissingIatNbfExp with the plugin's
    Expected{Issuer, Audiences, SigningAlgorithms}. now is a float (unix s).

    Raises ClaimError. Signature problems raise ClaimError whose text starts
    with 'error verifying token signature: '."""
    try:
        claims = verify(token, keys) if keys else unverified(token)
    except JWTError as e:
        raise ClaimError('error verifying token signature: %s' % e)
    jws = parse_jws(token)
    if not jws.signature:
        raise ClaimError('invalid algorithm (alg) header parameter: token must be signed')
    iss = _string_claim(claims, 'iss')
    _string_claim(claims, 'sub')
    _string_claim(claims, 'jti')
    aud = _audience(claims)
    exp = _numeric_date(claims, 'exp')
    iat = _numeric_date(claims, 'iat')
    nbf = _numeric_date(claims, 'nbf')
    if issuer and issuer != iss:
        raise ClaimError('invalid issuer (iss) claim')
    if audiences and not any(a in aud for a in audiences):
        raise ClaimError('invalid audience (aud) claim: audience claim does not match any expected audience')
    if iat == 0 and exp == 0 and nbf == 0:
        return claims
    if exp == 0:
        exp = max(iat, nbf) + DEFAULT_LEEWAY
    if nbf == 0:
        nbf = iat if iat != 0 else exp - DEFAULT_LEEWAY
    if now + CLOCK_SKEW < nbf:
        raise ClaimError('invalid not before (nbf) claim: token not yet valid')
    if now - CLOCK_SKEW > exp:
        raise ClaimError('invalid expiration time (exp) claim: token is expired')
    if iat != 0 and now + CLOCK_SKEW < iat:
        raise ClaimError('invalid issued at (iat) claim: token issued in the future')
    return claims


# ------------------------------------------------- mapstructure-like view

_FLAT_NAME = 'kubernetes.io/serviceaccount/service-account.name'
_FLAT_UID = 'kubernetes.io/serviceaccount/service-account.uid'
_FLAT_SECRET = 'kubernetes.io/serviceaccount/secret.name'
_FLAT_NS = 'kubernetes.io/serviceaccount/namespace'


def _go_kind(v):
    if isinstance(v, bool):
        return 'bool'
    if isinstance(v, str):
        return 'string'
    if isinstance(v, (int, float)):
        return 'float64'
    if isinstance(v, dict):
        return 'map[string]interface {}'
    if isinstance(v, list):
        return '[]interface {}'
    return 'interface {}'


def _go_v(v):
    from gojson import go_v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return go_v(float(v))
    return go_v(v)


class ServiceAccount:
    """The plugin's serviceAccount struct filled from JWT claims."""

    def __init__(self):
        self.name_flat = ''
        self.uid_flat = ''
        self.secret_name = ''
        self.ns_flat = ''
        self.audience = []
        self.k8s = None        # dict with namespace, pod, serviceaccount
        self.exp = 0
        self.iat = 0

    def name(self):
        if self.k8s is not None and self.k8s.get('serviceaccount') is not None:
            return self.k8s['serviceaccount']['name']
        return self.name_flat

    def namespace(self):
        if self.k8s is not None:
            return self.k8s['namespace']
        return self.ns_flat

    def uid(self):
        uid = self.uid_flat
        if self.k8s is not None and self.k8s.get('serviceaccount') is not None:
            uid = self.k8s['serviceaccount']['uid']
        if uid == '':
            raise ValueError('could not parse UID from claims')
        return uid


def service_account(claims):
    """mapstructure.Decode(claims, &serviceAccount{}) -> ServiceAccount.
    Raises DecodeError with mapstructure's aggregated message."""
    errs = []
    sa = ServiceAccount()

    def string(name, value):
        if value is None:
            return ''
        if isinstance(value, str):
            return value
        errs.append("'%s' expected type 'string', got unconvertible type '%s', value: '%s'"
                    % (name, _go_kind(value), _go_v(value)))
        return ''

    def int64(name, value):
        if value is None:
            return 0
        if isinstance(value, bool):
            errs.append("'%s' expected type 'int64', got unconvertible type 'bool', value: '%s'"
                        % (name, _go_v(value)))
            return 0
        if isinstance(value, (int, float)):
            return int(value)
        errs.append("'%s' expected type 'int64', got unconvertible type '%s', value: '%s'"
                    % (name, _go_kind(value), _go_v(value)))
        return 0

    def ref(name, value):
        if value is None:
            return None
        if not isinstance(value, dict):
            errs.append("'%s' expected a map, got '%s'" % (name, _go_kind(value).split('[')[0]
                                                            if not isinstance(value, list) else 'slice'))
            return None
        return {'name': string(name + '.name', value.get('name')),
                'uid': string(name + '.uid', value.get('uid'))}

    sa.name_flat = string(_FLAT_NAME, claims.get(_FLAT_NAME))
    sa.uid_flat = string(_FLAT_UID, claims.get(_FLAT_UID))
    sa.secret_name = string(_FLAT_SECRET, claims.get(_FLAT_SECRET))
    sa.ns_flat = string(_FLAT_NS, claims.get(_FLAT_NS))
    aud = claims.get('aud')
    if aud is not None:
        if isinstance(aud, list):
            sa.audience = [string('aud[%d]' % i, x) for i, x in enumerate(aud)]
        else:
            errs.append("'aud': source data must be an array or slice, got %s"
                        % {'string': 'string', 'bool': 'bool', 'float64': 'float64',
                           'map[string]interface {}': 'map'}.get(_go_kind(aud), 'interface'))
    k = claims.get('kubernetes.io')
    if k is not None:
        if not isinstance(k, dict):
            errs.append("'kubernetes.io' expected a map, got '%s'"
                        % ('slice' if isinstance(k, list) else _go_kind(k)))
        else:
            sa.k8s = {'namespace': string('kubernetes.io.namespace', k.get('namespace')),
                      'pod': ref('kubernetes.io.pod', k.get('pod')),
                      'serviceaccount': ref('kubernetes.io.serviceaccount', k.get('serviceaccount'))}
    sa.exp = int64('exp', claims.get('exp'))
    sa.iat = int64('iat', claims.get('iat'))
    if errs:
        points = sorted('* ' + e for e in errs)
        raise DecodeError('%d error(s) decoding:\n\n%s' % (len(errs), '\n'.join(points)))
    return sa


def token_fingerprint(token):
    """A short stable hash for logs (never the token itself)."""
    return hashlib.sha256(('vaultsim:' + token).encode('utf-8', 'surrogatepass')).hexdigest()[:16]
