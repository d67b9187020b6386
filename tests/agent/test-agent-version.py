#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`vaultlet-agent --version` against what the binary really is (issue 13).

  test-agent-version.py LINK AGENT     LINK is meson's agent_link option

Checks that --version names the linking mode meson was asked for and the
libcurl, OpenSSL and cJSON versions; that the mode matches the binary's
dynamic section (a static agent needs no libcurl, libssl, libcrypto or
libcjson: ldd shows only libc and the loader); and, for a static build,
that the Debian source versions it names are the installed -dev packages'
(the versions scripts/agent-deps.sh builds from), and that libcurl's
upstream version is the one in that Debian version; that libcurl has what
the agent needs (TLS, the threaded resolver; static: HTTPS proxies, IPv6)
and, static, nothing else (http and https only, no HTTP/2, IDN, PSL,
compression, GSS-API, NTLM, alt-svc, HSTS …). TAP.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from taplib import check, done  # noqa: E402

link, agent = sys.argv[1], sys.argv[2]
out = subprocess.run([agent, '--version'], capture_output=True, text=True, timeout=10)
lines = dict(ln.split(': ', 1) for ln in out.stdout.splitlines() if ': ' in ln)
ldd = subprocess.run(['ldd', agent], capture_output=True, text=True, timeout=10).stdout
needed = sorted(set(os.path.basename(n) for n in re.findall(r'^\s*(\S+\.so[.\d]*)', ldd, re.M)))


def dpkg_source_version(pkg):
    r = subprocess.run(['dpkg-query', '-W', '-f=${source:Version}', pkg],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def t_exit():
    if out.returncode != 0 or out.stderr:
        return 'exit %d, stderr %r' % (out.returncode, out.stderr)
    if not out.stdout.startswith('vaultlet-agent '):
        return 'first line: %r' % out.stdout.splitlines()[:1]


def t_mode():
    mode = lines.get('linking', '').split(' ')[0]
    if mode != link:
        return 'meson agent_link=%s, --version says %r' % (link, lines.get('linking'))


def t_libs():
    bad = []
    if not re.match(r'\d+\.\d+\.\d+ \(OpenSSL/\d', lines.get('libcurl', '')):
        bad.append('libcurl: %r' % lines.get('libcurl'))
    if not re.match(r'OpenSSL \d+\.\d+\.\d+', lines.get('OpenSSL', '')):
        bad.append('OpenSSL: %r' % lines.get('OpenSSL'))
    if not re.match(r'\d+\.\d+\.\d+', lines.get('cJSON', '')):
        bad.append('cJSON: %r' % lines.get('cJSON'))
    return '; '.join(bad) or None


def t_ldd():
    libs = [n for n in needed if not n.startswith('linux-vdso')]
    shared = [n for n in libs if re.match(r'lib(curl|ssl|crypto|cjson)', n)]
    if link == 'static':
        extra = [n for n in libs if not re.match(r'(libc\.so|ld-linux)', n)]
        if extra:
            return 'a static agent loads only libc and the loader; ldd shows %s' % extra
    elif len(shared) < 3:
        return 'a dynamic agent loads libcurl, libssl/libcrypto and libcjson; ldd shows %s' % libs


def t_debian():
    if link != 'static':
        return 'SKIP dynamic build: the shared libraries are the installed packages'
    want = {'libcurl': ('libcurl4-openssl-dev', 'Debian source curl '),
            'OpenSSL': ('libssl-dev', 'Debian libssl-dev '),
            'cJSON': ('libcjson-dev', 'Debian source cjson ')}
    bad = []
    for name, (pkg, label) in want.items():
        v = dpkg_source_version(pkg)
        if label + str(v) + ')' not in lines.get(name, ''):
            bad.append('%s: %r, installed %s %s' % (name, lines.get(name), pkg, v))
    curl_up = lines.get('libcurl', '').split(' ')[0]
    if not (dpkg_source_version('libcurl4-openssl-dev') or '').startswith(curl_up + '-'):
        bad.append('libcurl %s is not the upstream version of the Debian source' % curl_up)
    return '; '.join(bad) or None


def t_curl_trim():
    protocols = set(lines.get('libcurl protocols', '').split())
    features = set(lines.get('libcurl features', '').split())
    # what the agent needs in every build: TLS, and a resolver on its own
    # thread (a hung DNS lookup must not block SIGTERM)
    need = {'AsynchDNS', 'SSL'}
    if link == 'static':
        need |= {'HTTPS-proxy', 'IPv6'}
        if protocols != {'http', 'https'}:
            return 'a static libcurl speaks http and https only, not %s' % sorted(protocols)
        extra = features & {'HTTP2', 'HTTP3', 'IDN', 'PSL', 'brotli', 'zstd', 'libz', 'GSS-API',
                            'SPNEGO', 'Kerberos', 'NTLM', 'NTLM_WB', 'alt-svc', 'HSTS',
                            'TLS-SRP', 'UnixSockets'}
        if extra:
            return 'the static libcurl still has %s' % sorted(extra)
    elif not {'http', 'https'} <= protocols:
        return 'no http/https in %s' % sorted(protocols)
    if not need <= features:
        return 'missing %s in %s' % (sorted(need - features), sorted(features))


check('--version exits 0, prints to stdout only', t_exit)
check('--version names the linking meson was asked for (%s)' % link, t_mode)
check('--version names libcurl (with its TLS backend), OpenSSL and cJSON versions', t_libs)
check('the binary\'s shared libraries match the linking mode', t_ldd)
check('a static build names the Debian source versions it was built from', t_debian)
check('libcurl keeps TLS, the threaded resolver (and, static, HTTPS proxies and IPv6); '
      'a static one speaks only http/https and has nothing else', t_curl_trim)
sys.exit(done())
