#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Conformance tests of the Vault simulator over real HTTP (and TLS).

Every endpoint and every error row of reference/vault-api-and-templates.md
§1-§2 is exercised against the exact expected body (whole body, byte for
byte, with placeholders only for request ids, times, tokens and accessors).
Prints TAP. Run: /usr/bin/python3 tests/vaultsim/test_api.py
"""

import base64
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # keep the source tree clean

import simlib  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()
RS = simlib.JwtMinter('RS256')
ES = simlib.JwtMinter('ES256')
PS = simlib.JwtMinter('PS256', key=RS.key)

ERR_EMPTY = '{"errors":[]}\n'
PD_MULTI = '{"errors":["1 error occurred:\\n\\t* permission denied\\n\\n"]}\n'
PD_PLAIN = '{"errors":["permission denied"]}\n'
INVALID_TOKEN = '{"errors":["2 errors occurred:\\n\\t* permission denied\\n\\t* invalid token\\n\\n"]}\n'
META = '{"role":"%s","service_account_name":"%s","service_account_namespace":"%s",' \
       '"service_account_secret_name":"%s","service_account_uid":"%s"}'


def env(data='null', warnings='null', auth='null', mount_type='', lease=0, newline=True):
    return ('{"request_id":"{RID}","lease_id":"","renewable":false,"lease_duration":%d,"data":%s,'
            '"wrap_info":null,"warnings":%s,"auth":%s,"mount_type":"%s"}%s'
            % (lease, data, warnings, auth, mount_type, '\n' if newline else ''))


def control(sim, method, path, body=None):
    return sim.control(method, path, body)


def opts(sim, **kw):
    return control(sim, 'POST', '/_sim/options', kw)


def raw_http(sim, data, read=True):
    """Send raw bytes on a fresh connection; return the raw answer."""
    host, port = sim.addr.rsplit(':', 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    try:
        s.sendall(data)
        if not read:
            return b''
        out = b''
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if b'\r\n\r\n' in out:
                head, _, rest = out.partition(b'\r\n\r\n')
                cl = [l for l in head.split(b'\r\n') if l.lower().startswith(b'content-length:')]
                if cl and len(rest) >= int(cl[0].split(b':')[1]):
                    break
                if head.split(b'\r\n')[0].split(b' ')[1:2] == [b'100']:
                    out = rest
                    continue
                if not cl and (b' 204 ' in head.split(b'\r\n')[0] or b'HEAD' in data[:5]):
                    break
        return out
    finally:
        s.close()


def login(c, role, jwt, mount='kubernetes'):
    return c.login(role, jwt, mount)


def setup_litellm(sim, **kw):
    c = sim.client()
    simlib.seed_litellm(c, pem_keys=[RS.public_pem, ES.public_pem], **kw)
    control(sim, 'POST', '/_sim/tokenreview', {'keys': [ES.public_pem]})
    return c


def token_of(resp):
    return resp.json()['auth']['client_token']


# ======================================================================= 1

def transport(sim):
    c = sim.client()
    r = c.get('/v1/secret/data/nothing-here')
    T.body(r, 404, ERR_EMPTY, 'missing KV v2 key: 404 {"errors":[]} + newline')
    T.eq(r.headers.get('cache-control'), 'no-store', 'Cache-Control: no-store on a 404')
    T.eq(r.headers.get('content-type'), 'application/json', 'Content-Type on a 404')
    r = c.put('/v1/secret/data/t/one', {'data': {'k': 'v'}})
    T.eq((r.status, r.headers.get('cache-control')), (200, 'no-store'), 'Cache-Control on a 200')
    r = c.delete('/v1/secret/data/t/one')
    T.eq((r.status, r.body, r.headers.get('content-type'), r.headers.get('cache-control'),
          r.headers.get('content-length')),
         (204, b'', 'application/json', 'no-store', None),
         '204 No Content: empty body, Content-Type application/json, no Content-Length')
    r = c.request('FOO', '/v1/secret/data/t/one')
    T.body(r, 405, ERR_EMPTY, 'unknown HTTP method: 405 {"errors":[]}')
    r = c.request('PUT', '/v1/secret/data/t/one', raw_body=b'{"data":')
    T.body(r, 400, '{"errors":["error parsing JSON"]}\n', 'malformed JSON body: 400 error parsing JSON')
    r = c.request('PUT', '/v1/secret/data/t/one', raw_body=b'["data"]')
    T.body(r, 400, '{"errors":["error parsing JSON"]}\n', 'JSON array body: 400 error parsing JSON')
    r = c.request('PUT', '/v1/secret/data/t/two', raw_body=b'  {"data":{"a":"b"}} trailing garbage')
    T.eq(r.status, 200, "only the first JSON value is read (Go's Decoder.Decode ignores the rest)")
    r = c.request('PUT', '/v1/secret/data/t/two', raw_body=b'')
    T.body(r, 400, '{"errors":["no data provided"]}\n', 'empty body = no data (KV v2 says no data provided)')
    r = c.request('PUT', '/v1/kv1/form', raw_body=b'a=1&b=x+y',
                  headers={'Content-Type': 'application/x-www-form-urlencoded'})
    T.eq(r.status, 204, 'form-encoded body accepted (KV v1 write)')
    r = c.get('/v1/kv1/form')
    T.ok(r.status == 200 and r.json()['data'] == {'a': '1', 'b': 'x y'}, 'form values stored as strings')
    r = c.request('PUT', '/v1/kv1/form2', raw_body=b'{"a":1}',
                  headers={'Content-Type': 'application/x-www-form-urlencoded'})
    r2 = c.get('/v1/kv1/form2')
    T.ok(r.status == 204 and r2.json()['data'] == {'a': 1}, 'form content type with a { body is parsed as JSON')
    # token transport
    r = c.request('GET', '/v1/auth/token/lookup-self', token=None,
                  headers={'Authorization': 'Bearer ' + sim.root_token})
    T.eq(r.status, 200, 'token in Authorization: Bearer <token>')
    r = c.request('GET', '/v1/auth/token/lookup-self', token='bogus',
                  headers={'Authorization': 'Bearer ' + sim.root_token})
    T.body(r, 403, INVALID_TOKEN, 'X-Vault-Token wins over Authorization')
    r = c.request('GET', '/v1/auth/token/lookup-self', token=None,
                  headers={'Authorization': 'Basic abc'})
    T.body(r, 400, '{"errors":["missing client token"]}\n', 'Authorization without Bearer: missing client token')
    r = c.get('/not-v1')
    T.body(r, 404, ERR_EMPTY, 'path outside /v1/: 404 {"errors":[]}')
    r = c.get('/v1/secret//data/x')
    T.eq((r.status, r.headers.get('location')), (301, '/v1/secret/data/x'),
         "non-canonical path: 301 to the cleaned path (Go's ServeMux)")
    r = c.get('/v1/secret/data/%zz')
    T.eq(r.status, 400, 'invalid percent escape in the path: 400')
    r = c.get('/v1/secret/data/t%2Ftwo')
    T.eq(r.status, 200, 'percent-encoded path is decoded before routing')
    r = c.request('GET', '/v1/secret/data/t/two', headers={'X-Vault-Namespace': 'team-a/'})
    T.eq((r.status, r.headers.get('x-vault-namespace')), (200, 'team-a/'),
         'CE: X-Vault-Namespace is echoed and otherwise ignored')
    r = c.request('GET', '/v1/secret/data/nothing', headers={'X-Vault-Namespace': 'x'})
    T.eq((r.status, r.headers.get('x-vault-namespace'), r.headers.get('cache-control')), (404, 'x', 'no-store'),
         'namespace echo and Cache-Control on errors too')
    r = c.request('HEAD', '/v1/secret/data/t/two')
    T.eq((r.status, r.body), (405, b''), 'HEAD on a KV path: 405 unsupported operation, no body')
    r = c.request('GET', '/v1/secret/data/t/two', headers={'X-Vault-Wrap-TTL': '60s'})
    T.body(r, 400, '{"errors":["response wrapping is not supported by vaultsim"]}\n',
           'X-Vault-Wrap-TTL is refused explicitly (no silent unwrapped answer)')
    # keep-alive: several requests on one connection
    control(sim, 'DELETE', '/_sim/requests')
    kc = sim.client()
    for _ in range(3):
        kc.request('GET', '/v1/sys/health', keep_alive=True)
    kc.close()
    conns = {e['conn'] for e in sim.requests() if e['path'] == '/v1/sys/health'}
    T.eq(len(conns), 1, 'HTTP/1.1 keep-alive: three requests on one connection')
    raw = raw_http(sim, b'GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    T.ok(raw.startswith(b'HTTP/1.1 200 ') and b'\r\nConnection: close\r\n' in raw and
         b'\r\nServer:' not in raw, 'Connection: close honoured; no Server header (Go sends none)')
    big = b'{"data":{"x":"' + b'a' * 2048 + b'"}}'
    raw = raw_http(sim, b'PUT /v1/secret/data/t/big HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ' +
                   sim.root_token.encode() + b'\r\n'
                        b'Expect: 100-continue\r\nContent-Length: ' + str(len(big)).encode() +
                   b'\r\n\r\n' + big)
    T.ok(b' 200 ' in raw, 'Expect: 100-continue bodies are accepted')
    r = c.request('PUT', '/v1/secret/data/t/huge', raw_body=b'{"data":{"x":"' + b'a' * 300 + b'"}}',
                  headers={})
    T.eq(r.status, 200, 'bodies under --max-request-size pass')


def oversize(sim_small):
    c = sim_small.client()
    r = c.request('PUT', '/v1/secret/data/x', raw_body=b'{"data":{"x":"' + b'a' * 4096 + b'"}}')
    T.body(r, 413, '{"errors":["error parsing JSON"]}\n', 'body over --max-request-size: 413 (source text)')
    control(sim_small, 'POST', '/_sim/options', {'body_too_large_text': 'error reading data'})
    r = c.request('PUT', '/v1/secret/data/x', raw_body=b'{"data":{"x":"' + b'a' * 4096 + b'"}}')
    T.body(r, 413, '{"errors":["error reading data"]}\n', '--body-too-large-text variant')


# ======================================================================= 2

def token_errors(sim):
    c = sim.client()
    r = c.put('/v1/auth/token/create', {'policies': ['litellm-policy'], 'ttl': '1h'})
    limited = token_of(r)
    lc = sim.client(limited)
    bad = sim.client('hvs.notatoken')
    nt = sim.client(None)
    rows = [
        ('multierror', INVALID_TOKEN, PD_MULTI),
        ('mixed', PD_PLAIN, PD_MULTI),
        ('plain', PD_PLAIN, PD_PLAIN),
    ]
    for style, invalid, denied in rows:
        opts(sim, token_error_style=style)
        T.body(bad.get('/v1/secret/data/litellm/secrets'), 403, invalid,
               '%s: unknown token on a KV read' % style)
        T.body(bad.get('/v1/auth/token/lookup-self'), 403, invalid, '%s: unknown token on lookup-self' % style)
        T.body(lc.get('/v1/secret/data/elsewhere'), 403, denied, '%s: ACL denial' % style)
        T.body(lc.get('/v1/nomount/x'), 403, denied, '%s: ACL runs before routing (no mount)' % style)
    opts(sim, token_error_style='multierror')
    T.body(nt.get('/v1/secret/data/litellm/secrets'), 400, '{"errors":["missing client token"]}\n',
           'no token on an authenticated path: 400 missing client token')
    T.body(nt.put('/v1/auth/nosuchmount/login', {'role': 'r', 'jwt': 'x'}), 400,
           '{"errors":["missing client token"]}\n',
           'login to an auth mount that does not exist: 400 missing client token')
    T.body(c.get('/v1/nomount/x'), 404,
           '{"errors":["no handler for route \\"nomount/x\\". route entry not found."]}\n',
           'root token, path under no mount: 404 no handler for route')
    T.body(c.get('/v1/sys/nosuchpath'), 404, '{"errors":["1 error occurred:\\n\\t* unsupported path\\n\\n"]}\n',
           'unknown path inside a mount: 404 unsupported path (multierror)')
    T.body(c.list('/v1/secret/data/litellm/secrets'), 404,
           '{"request_id":"{RID}","lease_id":"","renewable":false,"lease_duration":0,"data":null,'
           '"wrap_info":null,"warnings":["Invalid path for a versioned K/V secrets engine. See the API docs '
           'for the appropriate API endpoints to use. If using the Vault CLI, use \'vault kv list\' for this '
           'operation."],"auth":null,"mount_type":""}',
           'LIST on a KV v2 data path: 404 with the list warning')
    T.body(c.request('PATCH', '/v1/auth/token/lookup-self', raw_body=b'{}',
                     headers={'Content-Type': 'application/merge-patch+json'}), 405,
           '{"errors":["1 error occurred:\\n\\t* unsupported operation\\n\\n"]}\n',
           'operation the path does not support: 405 unsupported operation (multierror)')
    opts(sim, unsupported_operation_style='plain')
    T.body(c.request('PATCH', '/v1/auth/token/lookup-self', raw_body=b'{}',
                     headers={'Content-Type': 'application/merge-patch+json'}), 405,
           '{"errors":["unsupported operation"]}\n', '--unsupported-operation-style=plain')
    opts(sim, unsupported_operation_style='multierror')
    T.body(c.request('PATCH', '/v1/secret/data/x', raw_body=b'{}', headers={'Content-Type': 'text/plain'}),
           415, '{"errors":["PATCH requires Content-Type of application/merge-patch+json, provided text/plain"]}\n',
           'PATCH without merge-patch content type: 415')
    T.body(c.put('/v1/secret/data/dir/', {'data': {}}), 400,
           '{"errors":["cannot write to a path ending in \'/\'"]}\n', 'write to a path ending in /: 400')
    opts(sim, require_request_header=True)
    T.body(c.request('GET', '/v1/sys/health', headers={'X-Vault-Request': None}), 412,
           '{"errors":["missing \\"X-Vault-Request\\" header"]}\n',
           'strict mode: 412 without X-Vault-Request: true')
    T.eq(c.get('/v1/sys/health').status, 200, 'strict mode: passes with the header')
    opts(sim, require_request_header=False)
    T.eq(c.request('GET', '/v1/sys/health', headers={'X-Vault-Request': None}).status, 200,
         'server mode: X-Vault-Request is not required')
    opts(sim, mount_type_field='absent')
    r = c.get('/v1/auth/token/lookup-self')
    T.ok(r.status == 200 and b'mount_type' not in r.body, '--mount-type-field=absent (older servers)')
    opts(sim, mount_type_field='present')


# ======================================================================= 3

KV2_META = '{"created_time":"{TIME}","custom_metadata":null,"deletion_time":"%s","destroyed":%s,"version":%d}'


def kv2(sim):
    c = sim.client()
    r = c.put('/v1/secret/data/app', {'data': {'user': 'alice', 'pass': 's3cr3t'}})
    T.body(r, 200, env(KV2_META % ('', 'false', 1), mount_type='kv'), 'KV v2 write: 200 with version metadata')
    r = c.post('/v1/secret/data/app', {'data': {'user': 'bob'}})
    T.body(r, 200, env(KV2_META % ('', 'false', 2), mount_type='kv'), 'POST is a synonym of PUT (version 2)')
    r = c.get('/v1/secret/data/app')
    T.body(r, 200, env('{"data":{"user":"bob"},"metadata":%s}' % (KV2_META % ('', 'false', 2)), mount_type='kv'),
           'KV v2 read: current version, sorted keys')
    for q, want in (('1', 1), ('2', 2), ('0', 2), ('-1', 2), ('010', 8)):
        r = c.get('/v1/secret/data/app?version=' + q)
        if want <= 2:
            T.ok(r.status == 200 and r.json()['data']['metadata']['version'] == want,
                 '?version=%s reads version %d' % (q, want), r.text)
        else:
            T.body(r, 404, ERR_EMPTY, "?version=010 is octal 8 (mapstructure ParseInt base 0): no such version")
    T.body(c.get('/v1/secret/data/app?version=99'), 404, ERR_EMPTY, 'non-existent version: 404 {"errors":[]}')
    T.body(c.get('/v1/secret/data/app?version=abc'), 400,
           '{"errors":["Field validation failed: error converting input abc for field \\"version\\": '
           'cannot parse \'\' as int: strconv.ParseInt: parsing \\"abc\\": invalid syntax"]}\n',
           'non-integer ?version=: 400 field validation error (source text)')
    r = c.get('/v1/secret/data/app?foo=bar')
    T.ok(r.status == 200 and r.json()['warnings'] == ['Endpoint ignored these unrecognized parameters: [foo]'],
         'unknown query parameter: warning, not an error', r.text)
    # CAS
    T.body(c.put('/v1/secret/data/app', {'data': {'a': 'b'}, 'options': {'cas': 1}}), 400,
           '{"errors":["check-and-set parameter did not match the current version"]}\n', 'CAS mismatch: 400')
    T.eq(c.put('/v1/secret/data/app', {'data': {'a': 'b'}, 'options': {'cas': 2}}).status, 200, 'CAS match: 200')
    T.body(c.put('/v1/secret/data/app', {'data': {'a': 'b'}, 'options': {'cas': 'x'}}), 400,
           '{"errors":["error parsing check-and-set parameter"]}\n', 'CAS not a number: 400')
    T.eq(c.put('/v1/secret/data/new-cas', {'data': {'a': 'b'}, 'options': {'cas': 0}}).status, 200,
         'cas=0 creates a new key')
    T.body(c.put('/v1/secret/data/new-cas', {'data': {'a': 'c'}, 'options': {'cas': 0}}), 400,
           '{"errors":["check-and-set parameter did not match the current version"]}\n', 'cas=0 on an existing key: 400')
    T.eq(c.put('/v1/secret/metadata/needs-cas', {'cas_required': True}).status, 204, 'metadata write: 204')
    T.body(c.put('/v1/secret/data/needs-cas', {'data': {'a': 'b'}}), 400,
           '{"errors":["check-and-set parameter required for this call"]}\n', 'cas_required without cas: 400')
    T.body(c.put('/v1/secret/data/app', {'options': {}}), 400, '{"errors":["no data provided"]}\n',
           'write without data: 400 no data provided')
    T.body(c.put('/v1/secret/data/app', {'data': 'str'}), 400,
           '{"errors":["error converting input str for field \\"data\\": \'\' expected a map, got \'string\'"]}\n',
           'data not an object: 400 from the existence check (no "Field validation failed" prefix)')
    r = c.put('/v1/secret/data/nulldata', {'data': None})
    r2 = c.get('/v1/secret/data/nulldata')
    T.ok(r.status == 200 and r2.json()['data']['data'] == {}, '"data": null writes an empty secret (GetOk default)')
    # soft delete / undelete / destroy
    c.put('/v1/secret/data/del', {'data': {'k': 'v1'}})
    c.put('/v1/secret/data/del', {'data': {'k': 'v2'}})
    T.eq(c.delete('/v1/secret/data/del').status, 204, 'DELETE soft-deletes the latest version: 204')
    r = c.get('/v1/secret/data/del')
    T.body(r, 404, env('{"data":null,"metadata":%s}' % (KV2_META % ('{TIME}', 'false', 2)), newline=False),
           'deleted version: 404 full envelope, deletion_time set, mount_type "", NO trailing newline')
    T.eq(r.headers.get('content-type'), 'application/json', 'deleted version 404: Content-Type application/json')
    T.ok(c.get('/v1/secret/data/del?version=1').json()['data']['data'] == {'k': 'v1'},
         'older version still readable')
    T.eq(c.put('/v1/secret/undelete/del', {'versions': [2]}).status, 204, 'undelete: 204')
    T.ok(c.get('/v1/secret/data/del').json()['data']['data'] == {'k': 'v2'}, 'undeleted version readable again')
    T.eq(c.put('/v1/secret/destroy/del', {'versions': '2'}).status, 204, 'destroy: 204')
    T.body(c.get('/v1/secret/data/del'), 404,
           env('{"data":null,"metadata":%s}' % (KV2_META % ('', 'true', 2)), newline=False),
           'destroyed version: 404 envelope, destroyed true, deletion_time ""')
    T.eq(c.put('/v1/secret/delete/del', {'versions': [1]}).status, 204, 'delete/ by version: 204')
    T.eq(c.get('/v1/secret/data/del?version=1').status, 404, 'version 1 deleted by delete/')
    T.body(c.put('/v1/secret/delete/del', {}), 400, '{"errors":["no version number provided"]}\n',
           'delete/ without versions: 400')
    # invalid paths
    T.body(c.get('/v1/secret/app'), 404,
           env(warnings='["Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate '
                        'API endpoints to use. If using the Vault CLI, use \'vault kv get\' for this operation."]',
               newline=False), 'v2 path without data/: 404 envelope with the get warning')
    T.body(c.put('/v1/secret/app', {'a': 'b'}), 404,
           env(warnings='["Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate '
                        'API endpoints to use. If using the Vault CLI, use \'vault kv put\' for this operation."]',
               newline=False), 'v2 write without data/: put warning')
    T.body(c.delete('/v1/secret/app'), 404,
           env(warnings='["Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate '
                        'API endpoints to use. If using the Vault CLI, use \'vault kv delete\' for this operation."]',
               newline=False), 'v2 delete without data/: delete warning')
    for root in ('data', 'metadata', 'delete', 'undelete', 'destroy'):
        T.body(c.get('/v1/secret/' + root), 404,
               env(warnings='["Non-listing operations on the root of a K/V v2 mount are not supported."]',
                   newline=False), 'v2 mount root %s: 404 with the root warning' % root)
    # metadata
    r = c.get('/v1/secret/metadata/app')
    d = r.json()['data'] if r.status == 200 else {}
    T.ok(r.status == 200 and d.get('current_version') == 3 and d.get('oldest_version') == 0 and
         sorted(d.get('versions', {})) == ['1', '2', '3'] and d.get('delete_version_after') == '0s' and
         d.get('max_versions') == 0 and d.get('custom_metadata') is None,
         'metadata read: versions, current/oldest, delete_version_after "0s"', r.text)
    r = c.list('/v1/secret/metadata/')
    T.ok(r.status == 200 and 'app' in r.json()['data']['keys'], 'LIST metadata/ lists keys', r.text)
    for i in range(12):
        c.put('/v1/secret/data/many', {'data': {'i': i}})
    d = c.get('/v1/secret/metadata/many').json()['data']
    T.ok(d['current_version'] == 12 and d['oldest_version'] == 3 and len(d['versions']) == 10,
         'max_versions default 10: oldest versions cleaned up', d)
    T.body(c.get('/v1/secret/data/many?version=2'), 404, ERR_EMPTY, 'cleaned-up version: 404 {"errors":[]}')
    T.eq(c.delete('/v1/secret/metadata/many').status, 204, 'metadata delete: 204')
    T.body(c.get('/v1/secret/data/many'), 404, ERR_EMPTY, 'all versions gone after metadata delete')
    # delete_version_after in the future is still readable
    c.put('/v1/secret/metadata/dva', {'delete_version_after': '1h'})
    c.put('/v1/secret/data/dva', {'data': {'a': 'b'}})
    r = c.get('/v1/secret/data/dva')
    T.ok(r.status == 200 and r.json()['data']['metadata']['deletion_time'] != '',
         'delete_version_after: future deletion_time, still 200', r.text)
    control(sim, 'POST', '/_sim/clock', {'advance': '2h'})
    T.eq(c.get('/v1/secret/data/dva').status, 404, 'delete_version_after: past deletion_time -> 404')
    control(sim, 'POST', '/_sim/clock', {'offset': 0})
    # patch
    c.put('/v1/secret/data/patchme', {'data': {'a': '1', 'b': {'c': 2}}})
    r = c.request('PATCH', '/v1/secret/data/patchme', {'data': {'b': {'c': None, 'd': 3}, 'e': 1.50}},
                  headers={'Content-Type': 'application/merge-patch+json'})
    T.ok(r.status == 200 and c.get('/v1/secret/data/patchme').json()['data']['data'] ==
         {'a': '1', 'b': {'d': 3}, 'e': 1.5}, 'PATCH applies a JSON merge patch as a new version', r.text)
    r = c.request('PATCH', '/v1/secret/data/nope-patch', {'data': {'a': 1}},
                  headers={'Content-Type': 'application/merge-patch+json'})
    T.eq((r.status, r.body), (404, b''), 'PATCH on a missing key: 404 with an empty body')
    r = c.get('/v1/secret/subkeys/patchme')
    T.ok(r.status == 200 and r.json()['data']['subkeys'] == {'a': None, 'b': {'d': None}, 'e': None},
         'subkeys', r.text)
    r = c.get('/v1/secret/config')
    T.body(r, 200, env('{"cas_required":false,"delete_version_after":"0s","max_versions":0}', mount_type='kv'),
           'config read')


NUMBER_ROWS = [
    ('1.50', '1.5'), ('1e6', '1000000'), ('1.0', '1'), ('12345678901234567890', '12345678901234567000'),
    ('1e21', '1e+21'), ('0.0000001', '1e-7'), ('0.000001', '0.000001'),
    ('123456789.123456789', '123456789.12345679'), ('-0', '-0'),
    ('100000000000000000000', '100000000000000000000'), ('0.1', '0.1'), ('-2.5E-10', '-2.5e-10'),
    ('5e-324', '5e-324'), ('1.7976931348623157e308', '1.7976931348623157e+308'), ('0', '0'), ('7', '7'),
]


def kv_numbers(sim):
    c = sim.client()
    body = '{"data":{' + ','.join('"n%02d":%s' % (i, lit) for i, (lit, _w) in enumerate(NUMBER_ROWS)) + \
           ',"html":"a<b>&c","ls":"x\\u2028y","uni":"caf\\u00e9","ctl":"\\b\\f\\u0001","nested":{"z":[1.10,true,null]}}}'
    r = c.request('PUT', '/v1/secret/data/nums', raw_body=body.encode())
    T.eq(r.status, 200, 'write numbers as literals')
    r = c.get('/v1/secret/data/nums')
    data = r.text.split('"data":{"data":', 1)[1].split(',"metadata":', 1)[0]
    for i, (lit, want) in enumerate(NUMBER_ROWS):
        T.ok('"n%02d":%s,' % (i, want) in data or '"n%02d":%s}' % (i, want) in data,
             'KV v2 float64 normalisation: %s -> %s' % (lit, want), data)
    T.ok('"html":"a\\u003cb\\u003e\\u0026c"' in data, 'HTML characters escaped as \\u003c \\u003e \\u0026', data)
    T.ok('"ls":"x\\u2028y"' in data, 'U+2028 escaped', data)
    T.ok('"uni":"caf\u00e9"' in data, 'non-ASCII emitted as raw UTF-8', data)
    T.ok('"ctl":"\\b\\f\\u0001"' in data, 'control characters: \\b \\f short forms, others \\u00XX', data)
    T.ok('"nested":{"z":[1.1,true,null]}' in data, 'nested numbers normalised too', data)
    T.ok(data.index('"ctl"') < data.index('"html"') < data.index('"n00"') < data.index('"nested"'),
         'object keys sorted byte-wise', data)
    r = c.request('PUT', '/v1/secret/data/inf', raw_body=b'{"data":{"x":1e400}}')
    T.eq(r.status, 200, 'a literal beyond float64 is stored (json.Marshal of json.Number)')
    T.body(c.get('/v1/secret/data/inf'), 500,
           '{"errors":["1 error occurred:\\n\\t* json: cannot unmarshal number 1e400 into Go value of type '
           'float64\\n\\n"]}\n', '... and the read fails like Go\'s Unmarshal')
    r = c.request('PUT', '/v1/secret/data/badutf', raw_body=b'{"data":{"x":"a\xffb\xe2\x82"}}')
    T.ok(c.get('/v1/secret/data/badutf').json()['data']['data']['x'] == 'a\ufffdb\ufffd\ufffd',
         'invalid UTF-8 in input replaced per byte by U+FFFD (Go decoder)')


def kv1(sim):
    c = sim.client()
    T.eq(c.request('PUT', '/v1/kv1/app', raw_body=b'{"user":"bob","pass":"pw1","n":1.50,"big":12345678901234567890}').status,
         204, 'KV v1 write: 204')
    r = c.get('/v1/kv1/app')
    T.body(r, 200, env('{"big":12345678901234567890,"n":1.50,"pass":"pw1","user":"bob"}', mount_type='kv',
                       lease=2764800),
           'KV v1 read: literal numbers kept, lease_duration 2764800')
    c.put('/v1/kv1/ttl', {'ttl': '1h', 'v': 'x'})
    T.eq(c.get('/v1/kv1/ttl').json()['lease_duration'], 3600, 'KV v1 ttl key sets lease_duration')
    c.put('/v1/kv1/lease', {'lease': 90, 'v': 'x'})
    T.eq(c.get('/v1/kv1/lease').json()['lease_duration'], 90, 'KV v1 lease key (seconds)')
    c.put('/v1/kv1/badttl', {'ttl': 'soon', 'v': 'x'})
    T.eq(c.get('/v1/kv1/badttl').json()['lease_duration'], 2764800, 'unparsable ttl: mount default')
    T.body(c.get('/v1/kv1/missing'), 404, ERR_EMPTY, 'KV v1 missing: 404 {"errors":[]}')
    T.body(c.put('/v1/kv1/empty', {}), 400, '{"errors":["missing data fields"]}\n', 'KV v1 empty write: 400')
    c.put('/v1/kv1/dir/a', {'x': '1'})
    c.put('/v1/kv1/dir/sub/b', {'x': '1'})
    r = c.list('/v1/kv1/dir')
    T.body(r, 200, env('{"keys":["a","sub/"]}', mount_type='kv'), 'KV v1 LIST')
    r = c.get('/v1/kv1/dir?list=true')
    T.eq(r.status, 200, 'GET ?list=true is LIST')
    T.body(c.get('/v1/kv1/dir?list=maybe'), 400, ERR_EMPTY, 'GET ?list=<not a bool>: 400 {"errors":[]}')
    T.body(c.list('/v1/kv1/nothing'), 404, ERR_EMPTY, 'empty LIST: 404 {"errors":[]}')
    T.eq(c.delete('/v1/kv1/dir/a').status, 204, 'KV v1 delete: 204')
    T.eq(c.delete('/v1/kv1/never').status, 204, 'KV v1 delete of a missing key: 204')


# ======================================================================= 4

MOUNT_INFO = ('{"accessor":"kv_{HEX}","config":{"default_lease_ttl":%d,"force_no_cache":false,"max_lease_ttl":%d},'
              '"deprecation_status":"supported","description":"key/value secret storage",'
              '"external_entropy_access":false,"local":false,"options":{"version":"2"},"path":"secret/",'
              '"plugin_version":"","running_plugin_version":"v0.25.0+builtin","running_sha256":"",'
              '"seal_wrap":false,"type":"kv","uuid":"{UUID}"}')


def discovery(sim):
    c = sim.client()
    r = c.get('/v1/sys/internal/ui/mounts/secret/litellm/secrets')
    T.body(r, 200, env(MOUNT_INFO % (0, 0)), 'mounts discovery (root): KV v2 mount info, mount_type ""')
    opts(sim, mount_ttl_style='effective')
    T.body(c.get('/v1/sys/internal/ui/mounts/secret'), 200, env(MOUNT_INFO % (2764800, 2764800)),
           '--mount-ttl-style=effective shows the system TTLs')
    opts(sim, mount_ttl_style='zero')
    r = c.get('/v1/sys/internal/ui/mounts/kv1/app')
    T.ok(r.status == 200 and r.json()['data']['options'] == {} and r.json()['data']['type'] == 'kv' and
         r.json()['data']['path'] == 'kv1/', 'mounts discovery of a plain "kv" mount: options {} (= v1)', r.text)
    c.post('/v1/sys/mounts/kvone', {'type': 'kv-v1'})
    r = c.get('/v1/sys/internal/ui/mounts/kvone/app')
    T.ok(r.status == 200 and r.json()['data']['options'] == {'version': '1'}, 'kv-v1: options.version "1"', r.text)
    jwt = RS.mint('litellm', 'litellm')
    tok = token_of(login(c, 'litellm-role', jwt))
    u = sim.client(tok)
    T.body(u.get('/v1/sys/internal/ui/mounts/secret/litellm/secrets'), 200, env(MOUNT_INFO % (0, 0)),
           'mounts discovery with a token that can read below the mount')
    T.body(u.get('/v1/sys/internal/ui/mounts/kv1/app'), 403,
           '{"errors":["preflight capability check returned 403, please ensure client\'s policies grant access '
           'to path \\"kv1/app/\\""]}\n', 'mounts discovery without access: 403 preflight (path + "/")')
    T.body(u.get('/v1/sys/internal/ui/mounts/nomount/x'), 403,
           '{"errors":["preflight capability check returned 403, please ensure client\'s policies grant access '
           'to path \\"nomount/x/\\""]}\n', 'mounts discovery of no mount: the same 403')
    T.body(sim.client(None).get('/v1/sys/internal/ui/mounts/secret/x'), 400,
           '{"errors":["missing client token"]}\n', 'mounts discovery without a token: 400 missing client token')
    T.body(sim.client('bogus').get('/v1/sys/internal/ui/mounts/secret/x'), 403, INVALID_TOKEN,
           'mounts discovery with an invalid token: 403 invalid token')
    r = c.get('/v1/sys/mounts')
    T.ok(r.status == 200 and r.text.startswith('{"cubbyhole/":') and '"request_id"' in r.text and
         r.json()['data']['secret/']['type'] == 'kv',
         'GET sys/mounts: data also injected at the top level (HTTPSysInjector)', r.text[:200])
    r = c.get('/v1/sys/mounts/secret')
    T.ok(r.status == 200 and r.json()['options'] == {'version': '2'}, 'GET sys/mounts/secret', r.text[:200])
    T.body(c.post('/v1/sys/mounts/secret', {'type': 'kv-v2'}), 400,
           '{"errors":["path is already in use at secret/"]}\n',
           'enabling kv-v2 at secret/ in dev mode: 400 path is already in use')
    T.body(c.post('/v1/sys/mounts/secret/sub', {'type': 'kv'}), 400,
           '{"errors":["path is already in use at secret/"]}\n', 'nested mount: 400 path is already in use')
    T.body(c.post('/v1/sys/mounts/x', {'type': 'nosuch'}), 400,
           '{"errors":["plugin not found in the catalog: nosuch"]}\n', 'unknown engine type: 400')
    T.body(c.post('/v1/sys/mounts/x', {}), 400, '{"errors":["backend type must be specified as a string"]}\n',
           'no type: 400')
    T.body(c.post('/v1/sys/auth/kubernetes', {'type': 'kubernetes'}), 400,
           '{"errors":["path is already in use at kubernetes/"]}\n', 'auth enable twice: 400')
    T.body(c.post('/v1/sys/auth/k2', {'type': 'nosuch'}), 400,
           '{"errors":["plugin not found in the catalog: nosuch"]}\n', 'unknown auth type: 400')
    r = c.get('/v1/sys/auth')
    T.ok(r.status == 200 and r.json()['kubernetes/']['type'] == 'kubernetes' and
         r.json()['token/']['type'] == 'token', 'GET sys/auth lists auth mounts (top-level injection)', r.text[:200])
    T.eq(c.post('/v1/sys/mounts/tmpkv', {'type': 'kv', 'options': {'version': '2'}}).status, 204,
         'enable kv with options.version=2: 204')
    T.eq(c.get('/v1/sys/internal/ui/mounts/tmpkv').json()['data']['options'], {'version': '2'}, '... is KV v2')
    T.eq(c.delete('/v1/sys/mounts/tmpkv').status, 204, 'disable a mount: 204')
    T.body(c.get('/v1/tmpkv/data/x'), 404,
           '{"errors":["no handler for route \\"tmpkv/data/x\\". route entry not found."]}\n', 'gone after disable')


# ======================================================================= 5

def policies(sim):
    c = sim.client()
    pol = 'path "pt/data/+/shared" { capabilities = ["read"] }\n' \
          'path "pt/data/team/*" { capabilities = ["read", "list"] }\n' \
          'path "pt/data/team/secret" { capabilities = ["deny"] }\n' \
          '# a comment\npath "pt/metadata/*" {\n  policy = "read"\n}\n'
    c.post('/v1/sys/mounts/pt', {'type': 'kv-v2'})
    for p in ('team/a', 'team/secret', 'other/shared', 'other/private'):
        c.put('/v1/pt/data/' + p, {'data': {'p': p}})
    T.eq(c.put('/v1/sys/policies/acl/pt-reader', {'policy': pol}).status, 204, 'policy write (policies/acl): 204')
    r = c.get('/v1/sys/policies/acl/pt-reader')
    T.body(r, 200, env(json.dumps({'name': 'pt-reader', 'policy': pol}, separators=(',', ':')).replace('<', '\\u003c'),
                       mount_type='system'), 'policy read (policies/acl): name + policy')
    r = c.get('/v1/sys/policy/pt-reader')
    T.ok(r.status == 200 and r.json()['rules'] == pol and r.json()['data']['rules'] == pol,
         'policy read (sys/policy): rules, injected at top level', r.text[:120])
    r = c.put('/v1/sys/policy/pt-legacy', {'rules': 'path "pt/data/x" { capabilities = ["read"] }'})
    T.eq(r.status, 204, 'sys/policy write with "rules"')
    b64 = base64.b64encode(b'path "pt/data/b64" { capabilities = ["read"] }').decode()
    T.eq(c.put('/v1/sys/policies/acl/pt-b64', {'policy': b64}).status, 204, 'base64 policy text accepted')
    T.ok('pt/data/b64' in c.get('/v1/sys/policies/acl/pt-b64').json()['data']['policy'], '... and decoded')
    tok = token_of(c.put('/v1/auth/token/create', {'policies': 'pt-reader', 'ttl': '1h'}))
    u = sim.client(tok)
    T.eq(u.get('/v1/pt/data/team/a').status, 200, 'prefix rule pt/data/team/* grants read')
    T.body(u.get('/v1/pt/data/team/secret'), 403, PD_MULTI, 'exact deny beats the prefix rule')
    T.eq(u.get('/v1/pt/data/other/shared').status, 200, '+ matches one path segment')
    T.body(u.get('/v1/pt/data/other/private'), 403, PD_MULTI, '+ rule does not cover other names')
    T.eq(u.list('/v1/pt/metadata/').status, 200, 'old-style policy = "read" grants list')
    T.body(u.put('/v1/pt/data/team/a', {'data': {}}), 403, PD_MULTI, 'read-only: write denied')
    T.eq(u.get('/v1/auth/token/lookup-self').status, 200, 'default policy: lookup-self (GET)')
    T.body(u.post('/v1/auth/token/lookup-self'), 403, PD_MULTI, 'default policy: POST lookup-self needs update')
    r = u.post('/v1/sys/capabilities-self', {'paths': ['pt/data/team/a']})
    T.ok(r.status == 200 and r.json()['capabilities'] == ['list', 'read'], 'capabilities-self', r.text[:200])
    # deny merges across policies for the same path
    c.put('/v1/sys/policies/acl/pt-deny', {'policy': 'path "pt/data/team/*" { capabilities = ["deny"] }'})
    tok2 = token_of(c.put('/v1/auth/token/create', {'policies': ['pt-reader', 'pt-deny'], 'ttl': '1h'}))
    T.body(sim.client(tok2).get('/v1/pt/data/team/a'), 403, PD_MULTI, 'deny in another policy wins for that path')
    # segment-wildcard priority: a later glob beats an earlier +
    c.put('/v1/sys/policies/acl/pt-prio', {'policy': 'path "pt/data/+/shared" { capabilities = ["deny"] }\n'
                                                     'path "pt/data/other/sh*" { capabilities = ["read"] }'})
    tok3 = token_of(c.put('/v1/auth/token/create', {'policies': ['pt-prio'], 'ttl': '1h'}))
    T.eq(sim.client(tok3).get('/v1/pt/data/other/shared').status, 200,
         'priority: the rule whose first wildcard comes later wins (Vault ACL order)')
    errs = [
        ('path "a" { capabilities = ["reed"] }', 'failed to parse paths: path \\"a\\": invalid capability \\"reed\\"'),
        ('foo = "bar"', 'failed to parse policy: 1 error occurred:\\n\\t* invalid key \\"foo\\" on line 1\\n\\n'),
        ('path "a" { capabilities = ["read"] extra = 1 }',
         'failed to parse paths: 1 error occurred:\\n\\t* path \\"a\\": invalid key \\"extra\\" on line 1\\n\\n'),
        ('path "a" { policy = "nope" }', 'failed to parse paths: path \\"a\\": invalid policy \\"nope\\"'),
        ('path "a/+*" { capabilities = ["read"] }',
         "failed to parse paths: path \\\"a/+*\\\": invalid use of wildcards ('+*' is forbidden)"),
        ('path "a" {', 'failed to parse policy: At 1:11: expected: IDENT | STRING got: EOF'),
    ]
    for text, msg in errs:
        T.body(c.put('/v1/sys/policies/acl/bad', {'policy': text}), 400, '{"errors":["%s"]}\n' % msg,
               'policy parse error: %s' % msg[:60])
    T.body(c.put('/v1/sys/policies/acl/empty', {'policy': ''}), 400,
           '{"errors":["\'policy\' parameter not supplied or empty"]}\n', 'empty policy: 400')
    T.body(c.put('/v1/sys/policies/acl/root', {'policy': 'path "a" {capabilities=["read"]}'}), 400,
           '{"errors":["cannot update \\"root\\" policy"]}\n', 'root policy is immutable')
    T.body(c.delete('/v1/sys/policies/acl/default'), 400, '{"errors":["cannot delete \\"default\\" policy"]}\n',
           'default policy cannot be deleted')
    r = c.list('/v1/sys/policies/acl')
    T.ok(r.status == 200 and r.json()['data']['keys'][-1] == 'root' and 'litellm-policy' in r.json()['data']['keys'],
         'policy list: stored names then root', r.text[:300])
    T.body(c.get('/v1/sys/policies/acl/nosuch'), 404, ERR_EMPTY, 'missing policy: 404')
    T.eq(c.put('/v1/sys/policies/acl/MixedCase', {'policy': 'path "a" {capabilities=["read"]}'}).status, 204,
         'policy names are lower-cased')
    T.eq(c.get('/v1/sys/policies/acl/mixedcase').status, 200, '... and readable lower-case')
    T.eq(c.delete('/v1/sys/policies/acl/pt-reader').status, 204, 'policy delete: 204')
    T.body(u.get('/v1/pt/data/team/a'), 403, PD_MULTI, 'a deleted policy no longer grants')


# ======================================================================= 6

def k8s_config_roles(sim):
    c = sim.client()
    r = c.get('/v1/auth/kubernetes/config')
    T.ok(r.status == 200 and r.json()['data']['kubernetes_host'] == 'https://10.96.0.1:443' and
         r.json()['data']['disable_iss_validation'] is True and r.json()['data']['disable_local_ca_jwt'] is False
         and r.json()['data']['token_reviewer_jwt_set'] is False and len(r.json()['data']['pem_keys']) == 2,
         'config read: host, defaults (disable_iss_validation true), pem_keys', r.text[:300])
    T.body(c.put('/v1/auth/kubernetes/config', {}), 400, '{"errors":["no host provided"]}\n', 'config without host')
    T.body(c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://h', 'pem_keys': ['nope']}), 400,
           '{"errors":["data does not contain any valid RSA or ECDSA public keys"]}\n', 'config with a bad pem key')
    T.body(c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://h', 'kubernetes_ca_cert': 'xx'}), 400,
           '{"errors":["The provided CA PEM data contains no valid certificates"]}\n', 'config with a bad CA')
    simlib.seed_litellm  # (config restored below by re-writing it)
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443',
                                         'pem_keys': [RS.public_pem, ES.public_pem]})
    r = c.get('/v1/auth/kubernetes/role/litellm-role')
    T.body(r, 200, env('{"alias_name_source":"serviceaccount_uid","bound_service_account_names":["litellm"],'
                       '"bound_service_account_namespace_selector":"","bound_service_account_namespaces":["litellm"],'
                       '"policies":["litellm-policy"],"token_bound_cidrs":[],"token_explicit_max_ttl":0,'
                       '"token_max_ttl":0,"token_no_default_policy":false,"token_num_uses":0,"token_period":0,'
                       '"token_policies":["litellm-policy"],"token_ttl":86400,"token_type":"default","ttl":86400}',
                       mount_type='kubernetes'),
           'role read: legacy policies/ttl mirrored into token_policies/token_ttl')
    T.body(c.get('/v1/auth/kubernetes/role/LITELLM-ROLE'), 200, r.text.replace(r.json()['request_id'], '{RID}'),
           'role names are case-insensitive')
    T.body(c.get('/v1/auth/kubernetes/role/nosuch'), 404, ERR_EMPTY, 'missing role: 404')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_namespaces': 'a'}), 400,
           '{"errors":["\\"bound_service_account_names\\" can not be empty"]}\n', 'role without names')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': 'a'}), 400,
           '{"errors":["\\"bound_service_account_namespaces\\" can not be empty if '
           '\\"bound_service_account_namespace_selector\\" is not set"]}\n', 'role without namespaces')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': ['*', 'a'],
                                                 'bound_service_account_namespaces': 'a'}), 400,
           '{"errors":["can not mix \\"*\\" with values"]}\n', 'names mixing * and values')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': 'a',
                                                 'bound_service_account_namespaces': 'a',
                                                 'token_ttl': '2h', 'token_max_ttl': '1h'}), 400,
           '{"errors":["\'token_ttl\' cannot be greater than \'token_max_ttl\'"]}\n', 'token_ttl > token_max_ttl')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': 'a',
                                                 'bound_service_account_namespaces': 'a', 'ttl': '2h',
                                                 'max_ttl': '1h'}), 400,
           '{"errors":["token ttl should not be greater than token max ttl"]}\n', 'legacy ttl > max_ttl')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': 'a',
                                                 'bound_service_account_namespaces': 'a', 'token_ttl': 'soon'}), 400,
           '{"errors":["error converting input soon for field \\"token_ttl\\": '
           'time: invalid duration \\"soon\\""]}\n',
           'unparsable duration: rejected by the existence check (UserError, no "Field validation failed")')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': 'a',
                                                 'bound_service_account_namespaces': 'a',
                                                 'token_type': 'default-service'}), 400,
           '{"errors":["invalid \'token_type\' value \\"default-service\\""]}\n', 'token_type default-service refused')
    T.body(c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': 'a',
                                                 'bound_service_account_namespaces': 'a',
                                                 'alias_name_source': 'x'}), 400,
           '{"errors":["invalid alias_name_source, must be one of: serviceaccount_uid, serviceaccount_name"]}\n',
           'bad alias_name_source')
    r = c.put('/v1/auth/kubernetes/role/r1', {'bound_service_account_names': 'a', 'bound_service_account_namespaces': 'a',
                                             'token_max_ttl': '1000h', 'bogus': 1, 'audience': 'vault'})
    T.body(r, 200, env(warnings='["max_ttl is greater than the system or backend mount\'s maximum TTL value; '
                                'issued tokens\' max TTL value will be truncated","Endpoint ignored these '
                                'unrecognized parameters: [bogus]"]', mount_type='kubernetes'),
           'role write warnings: max_ttl over the mount max, unrecognized parameters')
    r = c.put('/v1/auth/kubernetes/role/r1', {'token_ttl': 60})
    T.ok(r.status == 200 and r.json()['warnings'] == [
        "max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value "
        "will be truncated"], 'role update keeps earlier fields (audience kept: only the max_ttl warning)', r.text)
    T.ok(c.get('/v1/auth/kubernetes/role/r1').json()['data']['token_ttl'] == 60, '... token_ttl updated')
    r = c.list('/v1/auth/kubernetes/role')
    T.ok(r.status == 200 and 'litellm-role' in r.json()['data']['keys'] and 'r1' in r.json()['data']['keys'],
         'role list', r.text[:200])
    T.eq(c.delete('/v1/auth/kubernetes/role/r1').status, 204, 'role delete: 204')


# ======================================================================= 7

def login_checks(sim):
    c = sim.client()
    nt = sim.client(None)
    good = RS.mint('litellm', 'litellm')
    T.body(nt.put('/v1/auth/kubernetes/login', {'jwt': good}), 400, '{"errors":["missing role"]}\n', 'missing role')
    T.body(nt.put('/v1/auth/kubernetes/login', {'role': 'litellm-role'}), 400, '{"errors":["missing jwt"]}\n',
           'missing jwt')
    T.body(nt.put('/v1/auth/kubernetes/login', {'role': '', 'jwt': ''}), 400, '{"errors":["missing role"]}\n',
           'role is checked before jwt')
    T.body(login(c, 'NoSuchRole', good), 400, '{"errors":["invalid role name \\"NoSuchRole\\""]}\n',
           'unknown role: the name as sent')
    r = login(c, 'LiteLLM-Role', good)
    T.ok(r.status == 200 and r.json()['auth']['metadata']['role'] == 'LiteLLM-Role',
         'role lookup lower-cases; metadata keeps the name as sent', r.text[:200])
    auth = ('{"client_token":"{TOKEN}","accessor":"{ACC}","policies":["default","litellm-policy"],'
            '"token_policies":["default","litellm-policy"],"metadata":' +
            META % ('litellm-role', 'litellm', 'litellm', '', simlib._stable_uid('litellm', 'litellm')) +
            ',"lease_duration":86400,"renewable":true,"entity_id":"{UUID}","token_type":"service",'
            '"orphan":true,"mfa_requirement":null,"num_uses":0}')
    r = login(c, 'litellm-role', good)
    T.body(r, 200, env(auth=auth), 'successful login: the whole envelope (PUT)')
    r2 = c.post('/v1/auth/kubernetes/login', {'role': 'litellm-role', 'jwt': good}, token=None)
    T.body(r2, 200, env(auth=auth), 'POST works as well')
    T.eq(r.json()['auth']['entity_id'], r2.json()['auth']['entity_id'], 'same service account: same entity')
    T.body(login(c, 'litellm-role', ES.mint('litellm', 'litellm')), 200, env(auth=auth), 'ES256 token verified')
    T.body(login(c, 'litellm-role', PS.mint('litellm', 'litellm')), 200, env(auth=auth), 'PS256 token verified')
    # signature failures: plain permission denied, 33 bytes
    other = simlib.JwtMinter('RS256')
    r = login(c, 'litellm-role', other.mint('litellm', 'litellm'))
    T.body(r, 403, PD_PLAIN, 'signature by an unknown key: 403 permission denied')
    T.eq(len(r.body), 33, '... exactly 33 bytes (observed Content-Length: 33)')
    T.body(login(c, 'litellm-role', 'not.a.jwt'), 403, PD_PLAIN, 'garbage JWT: permission denied')
    T.body(login(c, 'litellm-role', good + 'x'), 403, PD_PLAIN, 'tampered signature: permission denied')
    hs = RS.sign({'alg': 'HS256'}, RS.claims('litellm', 'litellm'), alg='RS256').split('.')
    T.body(login(c, 'litellm-role', '.'.join(hs)), 403, PD_PLAIN, 'alg HS256 header: permission denied')
    es384 = simlib.JwtMinter('ES384')
    mismatch = es384.sign({'alg': 'ES256', 'kid': 'k'}, es384.claims('litellm', 'litellm'), alg='ES384')
    T.body(login(c, 'litellm-role', mismatch), 403, PD_PLAIN, 'ES256 header on a P-384 signature: permission denied')
    # claims
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', ttl=-61)), 403,
           '{"errors":["invalid expiration time (exp) claim: token is expired"]}\n', 'expired beyond 60 s leeway')
    T.eq(login(c, 'litellm-role', RS.mint('litellm', 'litellm', ttl=-50)).status, 200,
         'expired 50 s ago: within the 60 s leeway')
    now = int(time.time())
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', extra={'nbf': now + 120})), 403,
           '{"errors":["invalid not before (nbf) claim: token not yet valid"]}\n', 'nbf in the future')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', extra={'iat': now + 120, 'nbf': now})), 403,
           '{"errors":["invalid issued at (iat) claim: token issued in the future"]}\n', 'iat in the future')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', extra={'iat': now + 120}, remove=('nbf',))),
           403, '{"errors":["invalid not before (nbf) claim: token not yet valid"]}\n',
           'nbf is checked before exp and iat (missing nbf defaults to iat)')
    T.eq(login(c, 'litellm-role', RS.mint('litellm', 'litellm', remove=('exp',), now=now - 300)).status, 403,
         'no exp: exp = max(iat, nbf) + 150 s (300 s old token expired, 60 s leeway)')
    T.eq(login(c, 'litellm-role', RS.mint('litellm', 'litellm', remove=('exp',), now=now - 100)).status, 200,
         'no exp: 100 s old token still valid')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', extra={'exp': 'soon'})), 403,
           '{"errors":["go-jose/go-jose/jwt: expected number value to unmarshal NumericDate"]}\n',
           'non-numeric exp')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', extra={'aud': 'single'})), 500,
           '{"errors":["1 error(s) decoding:\\n\\n* \'aud\': source data must be an array or slice, got string"]}\n',
           'aud as a string: the plugin\'s claim decoding fails (500)')
    # legacy secret-based token: no time claims at all, flat claims
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', legacy=True)), 200,
           env(auth=auth.replace('"service_account_secret_name":""',
                                 '"service_account_secret_name":"litellm-token-abcde"')),
           'legacy token: flat claims, secret name in metadata')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', extra={'kubernetes.io': {
        'namespace': 'litellm', 'serviceaccount': {'name': 'litellm'}}})), 500,
           '{"errors":["could not parse UID from claims"]}\n', 'no SA uid: 500 could not parse UID')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', extra={'kubernetes.io': 'x'})), 500,
           '{"errors":["1 error(s) decoding:\\n\\n* \'kubernetes.io\' expected a map, got \'string\'"]}\n',
           'kubernetes.io not a map: 500 decoding error')
    # bindings and globs
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'other')), 403,
           '{"errors":["service account name not authorized"]}\n', 'SA name not bound')
    T.body(login(c, 'litellm-role', RS.mint('other', 'litellm')), 403,
           '{"errors":["namespace not authorized"]}\n', 'namespace not bound')
    T.body(login(c, 'litellm-role', RS.mint('other', 'other')), 403,
           '{"errors":["service account name not authorized"]}\n', 'name is checked before namespace')
    c.put('/v1/auth/kubernetes/role/glob', {'bound_service_account_names': ['app-*', 'exact'],
                                           'bound_service_account_namespaces': ['*-prod'],
                                           'token_policies': 'Litellm-Policy, extra ,litellm-policy',
                                           'token_ttl': '1h', 'audience': 'vault'})
    for ns, sa, ok_ in (('team-prod', 'app-1', True), ('team-prod', 'app-', True), ('team-prod', 'exact', True),
                        ('team-prod', 'xapp-1', False), ('prod', 'app-1', False), ('x-prod', 'APP-1', False)):
        r = login(c, 'glob', RS.mint(ns, sa, aud=['vault']))
        T.eq(r.status == 200, ok_, 'globs: %s/%s %s' % (ns, sa, 'allowed' if ok_ else 'refused'))
    r = login(c, 'glob', RS.mint('team-prod', 'app-1', aud=['vault']))
    T.eq(r.json()['auth']['policies'], ['default', 'extra', 'litellm-policy'],
         'token_policies trimmed, lower-cased, de-duplicated, sorted, + default')
    T.body(login(c, 'glob', RS.mint('team-prod', 'app-1', aud=['other'])), 403,
           '{"errors":["invalid audience (aud) claim: audience claim does not match any expected audience"]}\n',
           'role audience not in aud')
    c.put('/v1/auth/kubernetes/role/star', {'bound_service_account_names': '*', 'bound_service_account_namespaces': '*',
                                           'token_no_default_policy': True, 'token_policies': 'litellm-policy',
                                           'token_type': 'batch', 'token_ttl': '10m'})
    r = login(c, 'star', RS.mint('any', 'thing'))
    T.body(r, 200, env(auth='{"client_token":"{BTOKEN}","accessor":"","policies":["litellm-policy"],'
                            '"token_policies":["litellm-policy"],"metadata":' +
                            META % ('star', 'thing', 'any', '', simlib._stable_uid('any', 'thing')) +
                            ',"lease_duration":600,"renewable":false,"entity_id":"{UUID}","token_type":"batch",'
                            '"orphan":true,"mfa_requirement":null,"num_uses":0}'),
           '* binds everything; batch token (hvb., no accessor, not renewable); no default policy')
    # issuer validation
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443', 'pem_keys': [RS.public_pem],
                                         'issuer': 'https://issuer.example', 'disable_iss_validation': False})
    T.body(login(c, 'litellm-role', good), 403, '{"errors":["invalid issuer (iss) claim"]}\n',
           'issuer checked when configured and disable_iss_validation=false')
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443', 'pem_keys': [RS.public_pem],
                                         'issuer': 'https://issuer.example'})
    T.eq(login(c, 'litellm-role', good).status, 200, 'issuer ignored by default (disable_iss_validation=true)')
    # no pem_keys: signature not verified, TokenReview decides
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443'})
    T.eq(login(c, 'litellm-role', good).status, 200, 'no pem_keys: JWT parsed unverified, TokenReview accepts')
    T.body(login(c, 'litellm-role', other.mint('litellm', 'litellm')), 403, PD_PLAIN,
           'no pem_keys: an untrusted signer is refused by TokenReview')
    unsigned = good.rsplit('.', 1)[0] + '.'
    T.body(login(c, 'litellm-role', unsigned), 403,
           '{"errors":["invalid algorithm (alg) header parameter: token must be signed"]}\n',
           'no pem_keys: empty signature refused by cap')
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443',
                                         'pem_keys': [RS.public_pem, ES.public_pem]})
    # TokenReview failures and checks
    for mode in ('unauthenticated', 'error', 'status', 'garbage', 'wrong-user'):
        control(sim, 'POST', '/_sim/tokenreview', {'fail': {'mode': mode, 'count': 1}})
        T.body(login(c, 'litellm-role', good), 403, PD_PLAIN, 'TokenReview %s: permission denied' % mode)
    T.eq(login(c, 'litellm-role', good).status, 200, 'TokenReview failure with count=1 is consumed')
    control(sim, 'POST', '/_sim/tokenreview', {'delete_sa': {'namespace': 'litellm', 'name': 'litellm'}})
    T.body(login(c, 'litellm-role', good), 403, PD_PLAIN, 'deleted service account: TokenReview refuses')
    control(sim, 'POST', '/_sim/tokenreview', {'restore_sa': {'namespace': 'litellm', 'name': 'litellm'}})
    pod_uid = '11111111-2222-3333-4444-555555555555'
    control(sim, 'POST', '/_sim/tokenreview', {'delete_pod': pod_uid})
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', pod_uid=pod_uid)), 403, PD_PLAIN,
           'bound pod deleted: TokenReview refuses')
    rv = control(sim, 'GET', '/_sim/tokenreview')['reviews']
    T.ok(all('token' not in e and len(e['token_sha']) == 16 for e in rv), 'review log holds hashes, not tokens')
    last = rv[-1]
    T.eq(last['audiences'], [RS.issuer], 'TokenReview asks for the JWT\'s own audiences when the role has none')
    login(c, 'glob', RS.mint('team-prod', 'app-1', aud=['vault', 'x']))
    T.eq(control(sim, 'GET', '/_sim/tokenreview')['reviews'][-1]['audiences'], ['vault'],
         'TokenReview asks for the role audience')
    pod_tok = open(os.path.join(sim.tmpdir, 'pod-sa', 'token')).read().strip()
    T.eq(last['bearer_sha'], simlib.token_hash(pod_tok),
         'bearer: Vault pod token when no token_reviewer_jwt (disable_local_ca_jwt=false)')
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443', 'pem_keys': [RS.public_pem],
                                         'disable_local_ca_jwt': True})
    login(c, 'litellm-role', good)
    T.eq(control(sim, 'GET', '/_sim/tokenreview')['reviews'][-1]['bearer_sha'], simlib.token_hash(good),
         'bearer: the client JWT itself when disable_local_ca_jwt=true and no reviewer JWT')
    reviewer = RS.mint('kube-system', 'vault-reviewer', ttl=86400)
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443', 'pem_keys': [RS.public_pem],
                                         'token_reviewer_jwt': reviewer})
    login(c, 'litellm-role', good)
    T.eq(control(sim, 'GET', '/_sim/tokenreview')['reviews'][-1]['bearer_sha'], simlib.token_hash(reviewer),
         'bearer: token_reviewer_jwt when configured')
    T.eq(c.get('/v1/auth/kubernetes/config').json()['data']['token_reviewer_jwt_set'], True,
         'config read: token_reviewer_jwt_set true, JWT not returned')
    control(sim, 'POST', '/_sim/tokenreview', {'reviewers': ['system:serviceaccount:kube-system:someone-else']})
    T.body(login(c, 'litellm-role', good), 403, PD_PLAIN, 'reviewer without permission (403 from API): denied')
    control(sim, 'POST', '/_sim/tokenreview', {'reviewers': None})
    # bound cidrs
    c.put('/v1/auth/kubernetes/role/cidr', {'bound_service_account_names': 'litellm',
                                           'bound_service_account_namespaces': 'litellm',
                                           'token_bound_cidrs': '10.0.0.0/8', 'audience': 'x'})
    T.body(login(c, 'cidr', RS.mint('litellm', 'litellm', aud=['x'])), 403, PD_PLAIN,
           'token_bound_cidrs not matching the client: permission denied')
    c.put('/v1/auth/kubernetes/role/cidr', {'token_bound_cidrs': '127.0.0.0/8'})
    T.eq(login(c, 'cidr', RS.mint('litellm', 'litellm', aud=['x'])).status, 200, 'matching token_bound_cidrs')
    # namespace selector
    c.put('/v1/auth/kubernetes/role/sel', {'bound_service_account_names': '*', 'audience': 'x',
                                          'bound_service_account_namespace_selector':
                                              '{"matchLabels":{"vaultlet-injection":"enabled"}}'})
    control(sim, 'POST', '/_sim/tokenreview', {'namespace_labels': {'lab': {'vaultlet-injection': 'enabled'},
                                                                    'nolab': {}}})
    T.eq(login(c, 'sel', RS.mint('lab', 'a', aud=['x'])).status, 200, 'namespace selector matches labels')
    T.body(login(c, 'sel', RS.mint('nolab', 'a', aud=['x'])), 403, '{"errors":["namespace not authorized"]}\n',
           'namespace selector does not match')
    T.body(login(c, 'sel', RS.mint('ghost', 'a', aud=['x'])), 403,
           '{"errors":["namespace not authorized err=namespaces \\"ghost\\" not found"]}\n',
           'namespace lookup failure reported as err=')
    T.body(c.put('/v1/auth/kubernetes/role/sel', {'bound_service_account_namespace_selector': 'x: ['}), 400,
           '{"errors":["invalid \\"bound_service_account_namespace_selector\\" configured"]}\n', 'bad selector')
    # alias by name
    c.put('/v1/auth/kubernetes/role/byname', {'bound_service_account_names': 'litellm',
                                             'bound_service_account_namespaces': 'litellm', 'audience': 'x',
                                             'alias_name_source': 'serviceaccount_name'})
    other_uid = '99999999-0000-0000-0000-000000000000'
    a1 = login(c, 'byname', RS.mint('litellm', 'litellm', aud=['x'])).json()['auth']['entity_id']
    a2 = login(c, 'byname', RS.mint('litellm', 'litellm', aud=['x'], sa_uid=other_uid)).json()['auth']['entity_id']
    T.eq(a1, a2, 'alias_name_source=serviceaccount_name: a recreated SA (new UID) keeps its entity')
    b1 = login(c, 'litellm-role', RS.mint('litellm', 'litellm')).json()['auth']['entity_id']
    b2 = login(c, 'litellm-role', RS.mint('litellm', 'litellm', sa_uid=other_uid)).json()['auth']['entity_id']
    T.ok(b1 != b2, 'default alias (SA UID): a new UID is a new entity')
    # configuration problems
    c.post('/v1/sys/auth/k8s-noconf', {'type': 'kubernetes'})
    c.put('/v1/auth/k8s-noconf/role/r', {'bound_service_account_names': '*', 'bound_service_account_namespaces': '*'})
    T.body(login(c, 'r', good, mount='k8s-noconf'), 500, '{"errors":["could not load backend configuration"]}\n',
           'auth method not configured: 500 could not load backend configuration')
    T.body(login(c, 'nope', good, mount='k8s-noconf'), 400, '{"errors":["invalid role name \\"nope\\""]}\n',
           'role is checked before the configuration')
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443', 'pem_keys': [RS.public_pem]})
    ca_path = os.path.join(sim.tmpdir, 'pod-sa', 'ca.crt')
    os.rename(ca_path, ca_path + '.away')
    try:
        T.body(login(c, 'litellm-role', good), 500,
               '{"errors":["open /var/run/secrets/kubernetes.io/serviceaccount/ca.crt: no such file or directory"]}\n',
               'pod CA gone at login time: 500 with the file error')
    finally:
        os.rename(ca_path + '.away', ca_path)
    # old plugin behaviour
    opts(sim, legacy_login_status='claims')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'litellm', ttl=-100)), 500,
           '{"errors":["invalid expiration time (exp) claim: token is expired"]}\n', 'legacy=claims: claim errors 500')
    T.body(login(c, 'litellm-role', RS.mint('litellm', 'nope')), 403,
           '{"errors":["service account name not authorized"]}\n', 'legacy=claims: name still 403')
    opts(sim, legacy_login_status='all')
    r = login(c, 'litellm-role', RS.mint('litellm', 'nope'))
    T.body(r, 500, '{"errors":["service account name not authorized"]}\n', 'legacy=all: name 500')
    T.eq(len(r.body), 51, '... Content-Length 51 as observed')
    T.body(login(c, 'litellm-role', RS.mint('nope', 'litellm')), 500, '{"errors":["namespace not authorized"]}\n',
           'legacy=all: namespace 500')
    opts(sim, legacy_login_status='none')
    c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'https://10.96.0.1:443',
                                         'pem_keys': [RS.public_pem, ES.public_pem]})


# ======================================================================= 8

def tokens(sim):
    c = sim.client()
    c.put('/v1/auth/kubernetes/role/short', {'bound_service_account_names': 'litellm',
                                            'bound_service_account_namespaces': 'litellm', 'audience': 'x',
                                            'token_policies': 'litellm-policy', 'token_ttl': '1h',
                                            'token_max_ttl': '1h'})
    r = login(c, 'short', RS.mint('litellm', 'litellm', aud=['x']))
    tok = token_of(r)
    u = sim.client(tok)
    r = u.get('/v1/auth/token/lookup-self')
    d = r.json()['data']
    T.body(r, 200, env('{"accessor":"{ACC}","creation_time":{INT},"creation_ttl":3600,'
                       '"display_name":"kubernetes-litellm-litellm","entity_id":"{UUID}","expire_time":"{TIME}",'
                       '"explicit_max_ttl":0,"id":"{TOKEN}","issue_time":"{TIME}","meta":' +
                       META % ('short', 'litellm', 'litellm', '', simlib._stable_uid('litellm', 'litellm')) +
                       ',"num_uses":0,"orphan":true,"path":"auth/kubernetes/login",'
                       '"policies":["default","litellm-policy"],"renewable":true,"ttl":{INT},"type":"service"}',
                       mount_type='token'), 'lookup-self: every field, mount_type "token"')
    T.ok(3598 <= d['ttl'] <= 3600 and d['id'] == tok, 'lookup-self ttl counts down from 3600', d['ttl'])
    r = u.put('/v1/auth/token/renew-self', {'increment': 0})
    renew_auth = ('{"client_token":"%s","accessor":"%s","policies":["default","litellm-policy"],'
                  '"token_policies":["default","litellm-policy"],"metadata":' %
                  (tok, d['accessor']) +
                  META % ('short', 'litellm', 'litellm', '', simlib._stable_uid('litellm', 'litellm')) +
                  ',"lease_duration":%s,"renewable":true,"entity_id":"' + d['entity_id'] +
                  '","token_type":"service","orphan":true,"mfa_requirement":null,"num_uses":0}')
    T.body(r, 200, env(auth=renew_auth % '{INT}', mount_type='token'), 'renew-self right after login')
    T.ok(r.json()['auth']['lease_duration'] in (3599, 3600) and r.json()['warnings'] is None,
         'first renew: no cap warning (the new TTL counts from now)', r.text)
    control(sim, 'POST', '/_sim/clock', {'advance': '45m'})
    r = u.put('/v1/auth/token/renew-self', {'increment': 0})
    ld = r.json()['auth']['lease_duration']
    T.body(r, 200, env(auth=renew_auth % ld, mount_type='token',
                       warnings='["TTL of \\"1h\\" exceeded the effective max_ttl of \\"%s\\"; TTL value is '
                                'capped accordingly"]' % _hd(ld)),
           'renew at 45 min of a 1h/1h token: capped, warning with Go duration text')
    T.ok(899 <= ld <= 900, 'capped lease_duration = max TTL - age (~900)', ld)
    r = u.put('/v1/auth/token/renew-self', {'increment': '10m'})
    T.ok(r.status == 200 and r.json()['auth']['lease_duration'] == 600 and r.json()['warnings'] is None,
         'increment "10m" below the cap: TTL 600, no warning', r.text)
    r = u.put('/v1/auth/token/renew-self', {'increment': 7200})
    T.ok('exceeded the effective max_ttl' in (r.json()['warnings'] or [''])[0], 'increment over the cap warns', r.text)
    control(sim, 'POST', '/_sim/clock', {'advance': '16m'})
    T.body(u.get('/v1/auth/token/lookup-self'), 403, INVALID_TOKEN, 'past its max TTL the token is invalid')
    control(sim, 'POST', '/_sim/clock', {'offset': 0})
    T.body(u.get('/v1/auth/token/lookup-self'), 403, INVALID_TOKEN, 'an expired token stays revoked')
    # the role re-read at renewal
    r = login(c, 'short', RS.mint('litellm', 'litellm', aud=['x']))
    u2 = sim.client(token_of(r))
    control(sim, 'POST', '/_sim/roles', {'role': 'short', 'token_ttl': '5m'})
    r = u2.put('/v1/auth/token/renew-self', {})
    T.ok(r.json()['auth']['lease_duration'] == 300, 'renew re-reads token_ttl from the role (5m)', r.text)
    control(sim, 'POST', '/_sim/roles', {'role': 'short', 'token_ttl': '1m', 'token_max_ttl': '2m'})
    control(sim, 'POST', '/_sim/clock', {'advance': '150s'})
    r = u2.put('/v1/auth/token/renew-self', {})
    T.body(r, 500, '{"errors":["1 error occurred:\\n\\t* past the max TTL, cannot renew\\n\\n"]}\n',
           'role max TTL lowered below the token age: 500 past the max TTL')
    control(sim, 'POST', '/_sim/clock', {'offset': 0})
    r = login(c, 'short', RS.mint('litellm', 'litellm', aud=['x']))
    u3 = sim.client(token_of(r))
    control(sim, 'DELETE', '/_sim/roles', {'role': 'short'})
    T.body(u3.put('/v1/auth/token/renew-self', {}), 500,
           '{"errors":["1 error occurred:\\n\\t* failed to renew entry: role short does not exist during renewal\\n\\n"]}\n',
           'role deleted: renew-self 500')
    T.eq(u3.get('/v1/secret/data/litellm/secrets').status, 200, '... the token itself stays valid')
    T.body(c.put('/v1/auth/token/renew-self', {}), 400, '{"errors":["invalid lease ID"]}\n',
           'root token renew-self: 400 invalid lease ID')
    r = login(c, 'star', RS.mint('any', 'thing'))
    b = sim.client(token_of(r))
    T.body(b.put('/v1/auth/token/renew-self', {}), 403, PD_MULTI,
           'batch token without default policy: renew-self denied by ACL')
    c.put('/v1/sys/policies/acl/self', {'policy': 'path "auth/token/*" { capabilities = ["update", "read"] }'})
    c.put('/v1/auth/kubernetes/role/star', {'token_policies': 'self'})
    b = sim.client(token_of(login(c, 'star', RS.mint('any', 'thing'))))
    T.body(b.put('/v1/auth/token/renew-self', {}), 400, '{"errors":["batch tokens cannot be renewed"]}\n',
           'batch token renew-self: 400')
    T.body(b.put('/v1/auth/token/revoke-self'), 400, '{"errors":["batch tokens cannot be revoked"]}\n',
           'batch token revoke-self: 400')
    r = b.get('/v1/auth/token/lookup-self')
    T.ok(r.status == 200 and r.json()['data']['type'] == 'batch' and r.json()['data']['accessor'] == '',
         'batch token lookup-self', r.text[:200])
    c.put('/v1/auth/kubernetes/role/nodef', {'bound_service_account_names': 'litellm', 'audience': 'x',
                                            'bound_service_account_namespaces': 'litellm',
                                            'token_policies': 'litellm-policy', 'token_no_default_policy': True})
    nd = sim.client(token_of(login(c, 'nodef', RS.mint('litellm', 'litellm', aud=['x']))))
    T.body(nd.get('/v1/auth/token/lookup-self'), 403, PD_MULTI, 'token_no_default_policy: lookup-self 403 (ACL)')
    r = login(c, 'litellm-role', RS.mint('litellm', 'litellm'))
    u4 = sim.client(token_of(r))
    T.body(u4.put('/v1/auth/token/revoke-self'), 204, '', 'revoke-self: 204, empty body')
    for path in ('/v1/auth/token/lookup-self', '/v1/secret/data/litellm/secrets'):
        T.body(u4.get(path), 403, INVALID_TOKEN, 'revoked token: invalid token on %s' % path)
    T.body(u4.put('/v1/auth/token/renew-self', {}), 403, INVALID_TOKEN, 'revoked token: renew-self 403')
    # default TTL and periodic tokens
    c.put('/v1/auth/kubernetes/role/dflt', {'bound_service_account_names': 'litellm', 'audience': 'x',
                                           'bound_service_account_namespaces': 'litellm'})
    r = login(c, 'dflt', RS.mint('litellm', 'litellm', aud=['x']))
    T.eq(r.json()['auth']['lease_duration'], 2764800, 'no token_ttl: system default 768h = 2764800')
    c.put('/v1/auth/kubernetes/role/per', {'bound_service_account_names': 'litellm', 'audience': 'x',
                                          'bound_service_account_namespaces': 'litellm', 'token_period': '2h'})
    r = login(c, 'per', RS.mint('litellm', 'litellm', aud=['x']))
    pt = sim.client(token_of(r))
    T.eq(pt.get('/v1/auth/token/lookup-self').json()['data'].get('period'), 7200, 'periodic token: period in lookup')
    control(sim, 'POST', '/_sim/clock', {'advance': '1000h'})
    T.eq(pt.get('/v1/auth/token/lookup-self').status, 403, 'periodic token expires without renewal')
    control(sim, 'POST', '/_sim/clock', {'offset': 0})
    c.put('/v1/auth/kubernetes/role/big', {'bound_service_account_names': 'litellm', 'audience': 'x',
                                          'bound_service_account_namespaces': 'litellm', 'token_ttl': '1000h'})
    r = login(c, 'big', RS.mint('litellm', 'litellm', aud=['x']))
    T.ok(r.json()['auth']['lease_duration'] == 2764800 and r.json()['warnings'] ==
         ['TTL of "1000h" exceeded the effective max_ttl of "768h"; TTL value is capped accordingly'],
         'login TTL over the system max: capped with a warning', r.text[:400])
    c.put('/v1/auth/kubernetes/role/uses', {'bound_service_account_names': 'litellm', 'audience': 'x',
                                           'bound_service_account_namespaces': 'litellm', 'token_num_uses': 2,
                                           'token_policies': 'litellm-policy'})
    nu = sim.client(token_of(login(c, 'uses', RS.mint('litellm', 'litellm', aud=['x']))))
    T.eq(nu.get('/v1/secret/data/litellm/secrets').status, 200, 'num_uses=2: first use')
    T.eq(nu.get('/v1/secret/data/litellm/secrets').status, 200, 'num_uses=2: second use')
    T.body(nu.get('/v1/secret/data/litellm/secrets'), 403, INVALID_TOKEN, 'num_uses=2: third use refused')
    nu = sim.client(token_of(login(c, 'uses', RS.mint('litellm', 'litellm', aud=['x']))))
    T.body(nu.get('/v1/secret/data/elsewhere'), 403, PD_MULTI, 'num_uses=2: a denied request ...')
    T.eq(nu.get('/v1/auth/token/lookup-self').json()['data']['num_uses'], -1,
         '... still spends a use; on the last one lookup-self shows -1 (tokenRevocationPending)')
    T.body(nu.get('/v1/auth/token/lookup-self'), 403, INVALID_TOKEN, '... and the token is gone after the last')
    # token create / accessor helpers
    r = c.put('/v1/auth/token/create', {'policies': 'litellm-policy', 'ttl': '10m'})
    T.body(r, 200, env(auth='{"client_token":"{TOKEN}","accessor":"{ACC}","policies":["default","litellm-policy"],'
                            '"token_policies":["default","litellm-policy"],"metadata":null,"lease_duration":600,'
                            '"renewable":true,"entity_id":"","token_type":"service","orphan":false,'
                            '"mfa_requirement":null,"num_uses":0}', mount_type='token'),
           'auth/token/create')
    acc = r.json()['auth']['accessor']
    T.ok(c.put('/v1/auth/token/lookup-accessor', {'accessor': acc}).json()['data']['id'] == '',
         'lookup-accessor hides the id')
    T.eq(c.put('/v1/auth/token/revoke-accessor', {'accessor': acc}).status, 204, 'revoke-accessor')
    T.body(sim.client(r.json()['auth']['client_token']).get('/v1/auth/token/lookup-self'), 403, INVALID_TOKEN,
           'revoked by accessor')


def _hd(secs):
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    out = ''
    if h:
        out += '%dh' % h
    if h or m:
        out += '%dm' % m
    out += '%ds' % s
    if out.endswith('m0s'):
        out = out[:-2]
    if 'h0m' in out:
        out = out.replace('h0m', 'h')
    return out


# ======================================================================= 9

HEALTH = ('{"initialized":%s,"sealed":%s,"standby":%s,"performance_standby":false,'
          '"replication_performance_mode":"%s","replication_dr_mode":"%s","server_time_utc":{INT},'
          '"version":"1.21.0","enterprise":false%s,"echo_duration_ms":0,"clock_skew_ms":0,'
          '"replication_primary_canary_age_ms":0}\n')
ACTIVE = HEALTH % ('true', 'false', 'false', 'disabled', 'disabled',
                   ',"cluster_name":"vault-cluster-{HEX}","cluster_id":"{UUID}"')
SEALED = HEALTH % ('true', 'true', 'true', 'unknown', 'unknown', '')


def health(sim):
    nt = sim.client(None)
    r = nt.get('/v1/sys/health')
    T.body(r, 200, ACTIVE, 'sys/health active: 200, struct field order')
    T.eq(r.headers.get('cache-control'), 'no-store', 'sys/health Cache-Control')
    r = nt.request('HEAD', '/v1/sys/health')
    T.eq((r.status, r.body, r.headers.get('content-type')), (200, b'', 'application/json'), 'HEAD sys/health')
    T.body(nt.get('/v1/sys/health?activecode=299'), 299, ACTIVE, 'activecode=299')
    T.body(nt.get('/v1/sys/health?activecode=abc'), 400, ERR_EMPTY, 'activecode not an int: 400 {"errors":[]}')
    T.body(nt.get('/v1/sys/health?standbyok=maybe'), 400, ERR_EMPTY, 'standbyok not a bool: 400')
    T.body(nt.get('/v1/sys/health?standbyok=true&perfstandbyok=1'), 200, ACTIVE, 'standbyok/perfstandbyok accepted')
    T.body(nt.post('/v1/sys/health', {}), 405, ERR_EMPTY, 'POST sys/health: 405')
    control(sim, 'POST', '/_sim/seal')
    T.body(nt.get('/v1/sys/health'), 503, SEALED, 'sealed: 503, no cluster fields, standby true')
    T.body(nt.get('/v1/sys/health?sealedcode=200'), 200, SEALED, 'sealedcode=200')
    T.eq(nt.request('HEAD', '/v1/sys/health').status, 503, 'HEAD while sealed: 503')
    T.body(sim.client().get('/v1/secret/data/litellm/secrets'), 503, '{"errors":["Vault is sealed"]}\n',
           'sealed: every logical request 503 Vault is sealed')
    T.body(nt.put('/v1/auth/kubernetes/login', {'role': 'litellm-role', 'jwt': 'x'}), 503,
           '{"errors":["Vault is sealed"]}\n', 'sealed: login 503 too')
    control(sim, 'POST', '/_sim/unseal')
    T.body(nt.get('/v1/sys/health'), 200, ACTIVE, 'unsealed again: 200')
    control(sim, 'POST', '/_sim/init', {'initialized': False})
    T.body(nt.get('/v1/sys/health'), 501, HEALTH % ('false', 'true', 'true', 'unknown', 'unknown', ''),
           'uninitialised: 501')
    T.body(nt.get('/v1/sys/health?uninitcode=204'), 204, '', 'uninitcode=204 (no body for 204)')
    T.body(sim.client().get('/v1/secret/data/litellm/secrets'), 503, '{"errors":["Vault is sealed"]}\n',
           'uninitialised: logical requests 503 Vault is sealed (an uninitialised Vault is sealed)')
    control(sim, 'POST', '/_sim/init', {'initialized': True})


# ====================================================================== 10

def faults(sim):
    c = sim.client()
    control(sim, 'DELETE', '/_sim/faults')
    f = control(sim, 'POST', '/_sim/faults', {'status': 429, 'count': 2, 'path_prefix': '/v1/secret/',
                                               'retry_after': 3})
    T.eq(f['count'], 2, 'fault registered')
    for i in range(2):
        r = c.get('/v1/secret/data/litellm/secrets')
        T.body(r, 429, '{"errors":["request path \\"secret/data/litellm/secrets\\": rate limit quota exceeded"]}\n',
               '429 fault #%d: rate-limit body' % (i + 1))
        T.eq(r.headers.get('retry-after'), '3', '429 fault #%d: Retry-After' % (i + 1))
    T.eq(c.get('/v1/secret/data/litellm/secrets').status, 200, 'after N faults the path answers again')
    T.eq(c.get('/v1/sys/health').status, 200, 'path prefix: other paths unaffected')
    for status, body in ((500, '{"errors":["internal error"]}\n'), (502, '{"errors":["upstream rate limited"]}\n'),
                         (503, '{"errors":["Vault is sealed"]}\n'),
                         (412, '{"errors":["required index state not present"]}\n')):
        control(sim, 'POST', '/_sim/faults', {'status': status, 'count': 1})
        T.body(c.get('/v1/auth/token/lookup-self'), status, body, '%d fault body' % status)
    control(sim, 'POST', '/_sim/faults', {'status': 503, 'count': 1, 'errors': ['no active Vault instance found'],
                                          'methods': ['PUT']})
    T.eq(c.get('/v1/auth/token/lookup-self').status, 200, 'method filter: GET not hit')
    T.body(c.put('/v1/auth/token/renew-self', {}), 503, '{"errors":["no active Vault instance found"]}\n',
           'method filter + custom errors')
    control(sim, 'POST', '/_sim/faults', {'action': 'delay', 'delay_ms': 300, 'count': 1})
    t0 = time.time()
    r = c.get('/v1/sys/health')
    T.ok(r.status == 200 and time.time() - t0 >= 0.28, 'delay fault: answered after the delay',
         time.time() - t0)
    control(sim, 'POST', '/_sim/faults', {'action': 'reset', 'count': 1})
    try:
        c.get('/v1/sys/health')
        T.ok(False, 'reset fault: the client sees a connection error')
    except (ConnectionError, http.client.HTTPException, OSError):
        T.ok(True, 'reset fault: the client sees a connection error')
    T.eq(c.get('/v1/sys/health').status, 200, 'next connection works')
    control(sim, 'POST', '/_sim/faults', {'action': 'truncate', 'status': 200, 'count': 1})
    try:
        r = c.get('/v1/sys/health')
        T.ok(False, 'truncate fault: incomplete body reported', r)
    except (http.client.IncompleteRead, ConnectionError, OSError, http.client.HTTPException):
        T.ok(True, 'truncate fault: incomplete body reported')
    control(sim, 'POST', '/_sim/faults', {'action': 'hang', 'delay_ms': 200, 'count': 1})
    try:
        c.get('/v1/sys/health')
        T.ok(False, 'hang fault: no answer, then a reset')
    except (ConnectionError, http.client.HTTPException, OSError):
        T.ok(True, 'hang fault: no answer, then a reset')
    control(sim, 'POST', '/_sim/faults', {'status': 500, 'count': -1, 'path_prefix': '/v1/auth/'})
    for _ in range(3):
        T.eq(c.get('/v1/auth/token/lookup-self').status, 500, 'count=-1 stays until cleared')
    T.eq(len(control(sim, 'GET', '/_sim/faults')['faults']), 1, 'GET /_sim/faults lists rules')
    control(sim, 'DELETE', '/_sim/faults')
    T.eq(c.get('/v1/auth/token/lookup-self').status, 200, 'DELETE /_sim/faults clears them')
    # token revocation, secret rotation, policy removal, clock
    tok = token_of(login(c, 'litellm-role', RS.mint('litellm', 'litellm')))
    acc = sim.client(tok).get('/v1/auth/token/lookup-self').json()['data']['accessor']
    T.eq(control(sim, 'POST', '/_sim/tokens/revoke', {'accessor': acc})['revoked'], 1, 'revoke by accessor')
    T.body(sim.client(tok).get('/v1/secret/data/litellm/secrets'), 403, INVALID_TOKEN, '... invalid afterwards')
    t1 = token_of(login(c, 'litellm-role', RS.mint('litellm', 'litellm')))
    t2 = token_of(login(c, 'litellm-role', RS.mint('litellm', 'litellm')))
    n = control(sim, 'POST', '/_sim/tokens/revoke', {'role': 'litellm-role'})['revoked']
    T.ok(n >= 2 and sim.client(t1).get('/v1/auth/token/lookup-self').status == 403 and
         sim.client(t2).get('/v1/auth/token/lookup-self').status == 403, 'revoke all tokens of a role', n)
    t3 = token_of(login(c, 'litellm-role', RS.mint('litellm', 'litellm')))
    control(sim, 'POST', '/_sim/tokens/revoke', {'token': t3})
    T.eq(sim.client(t3).get('/v1/auth/token/lookup-self').status, 403, 'revoke by token')
    t4 = token_of(login(c, 'litellm-role', RS.mint('litellm', 'litellm')))
    v = control(sim, 'POST', '/_sim/kv', {'path': 'litellm/secrets', 'data': {'master_key': 'rotated'}})
    r = sim.client(t4).get('/v1/secret/data/litellm/secrets')
    T.ok(r.json()['data']['data'] == {'master_key': 'rotated'} and
         r.json()['data']['metadata']['version'] == v['version'], 'rotate a secret through /_sim/kv', v)
    control(sim, 'DELETE', '/_sim/policies/litellm-policy')
    T.body(sim.client(t4).get('/v1/secret/data/litellm/secrets'), 403, PD_MULTI,
           'policy removed through /_sim: plain permission denied (token still valid)')
    c.put('/v1/sys/policies/acl/litellm-policy', {'policy': 'path "secret/data/litellm/*" { capabilities = ["read"] }'})
    r = simlib.Client(sim.url).post('/_sim/options', {'token_error_style': 'nonsense'})
    T.ok(r.status == 400 and 'token_error_style must be one of' in r.text, '/_sim/options validates values', r.text)
    r = simlib.Client(sim.url).post('/_sim/faults', {'action': 'explode'})
    T.ok(r.status == 400, '/_sim/faults validates actions', r.text)
    r = simlib.Client(sim.url).get('/_sim/nonsense')
    T.eq(r.status, 404, 'unknown /_sim endpoint: 404')
    clk = control(sim, 'POST', '/_sim/clock', {'advance': 30})
    T.ok(29 <= clk['offset'] <= 31, 'clock shift', clk)
    control(sim, 'POST', '/_sim/clock', {'offset': 0})
    # request log
    control(sim, 'DELETE', '/_sim/requests')
    T.eq(sim.requests(), [], 'DELETE /_sim/requests clears the log')
    sim.client(t4).get('/v1/secret/data/litellm/secrets?version=1', headers={'User-Agent': 'probe/1'})
    c.request('GET', '/v1/sys/health', token=None)
    log = sim.requests()
    e = log[0]
    T.ok(e['method'] == 'GET' and e['path'] == '/v1/secret/data/litellm/secrets?version=1' and
         e['status'] == 200 and e['token_present'] and e['token_sha'] == simlib.token_hash(t4) and
         e['user_agent'] == 'probe/1' and e['x_vault_request'] == 'true' and isinstance(e['time'], float),
         'request log entry: method, path with query, status, time, token hash', e)
    T.ok(not log[1]['token_present'] and log[1]['token_sha'] == '', 'no token: token_present false', log[1])
    dump = json.dumps(log)
    T.ok(t4 not in dump, 'the request log never contains the token itself')
    st = control(sim, 'GET', '/_sim/state')
    T.ok(t4 not in json.dumps(st) and any(x['token_sha'] == simlib.token_hash(t4) for x in st['tokens']),
         '/_sim/state lists tokens by hash only')


# ====================================================================== 11

def namespaces_ce(sim):
    c = sim.client()
    opts(sim, namespace_mode='ce-reject')
    T.body(c.request('GET', '/v1/secret/data/litellm/secrets', headers={'X-Vault-Namespace': 'team'}), 403,
           '{"errors":["namespaces feature not enabled"]}\n', 'ce-reject: non-root namespace refused')
    T.eq(c.request('GET', '/v1/secret/data/litellm/secrets', headers={'X-Vault-Namespace': 'root'}).status, 200,
         'ce-reject: "root" accepted')
    opts(sim, namespace_mode='ce')


def namespaces_enterprise():
    with simlib.start_sim(minter=RS, args=['--namespace-mode', 'enterprise', '--enterprise-namespace', 'team1']) as sim:
        root = sim.client()
        ns = sim.client(namespace='team1')
        simlib.seed_litellm(ns, pem_keys=[RS.public_pem])
        jwt = RS.mint('litellm', 'litellm')
        T.body(root.login('litellm-role', jwt), 400, '{"errors":["missing client token"]}\n',
               'enterprise: login without the namespace header -> no such auth mount -> missing client token')
        r = ns.login('litellm-role', jwt)
        T.ok(r.status == 200 and r.headers.get('x-vault-namespace') == 'team1', 'enterprise: login with the header', r.text)
        tok = token_of(r)
        T.ok(tok.startswith('hvs.') and tok.count('.') == 2, 'enterprise: token carries a namespace suffix', tok[:8])
        u = sim.client(tok, namespace='team1')
        T.eq(u.get('/v1/secret/data/litellm/secrets').status, 200, 'enterprise: read with the header')
        T.eq(sim.client(tok).get('/v1/team1/secret/data/litellm/secrets').status, 200,
             'enterprise: namespace as a path prefix')
        T.body(sim.client(tok).get('/v1/secret/data/litellm/secrets'), 403, PD_MULTI,
               'enterprise: same path in the root namespace: permission denied')
        T.body(sim.client(None, namespace='team1').get('/v1/sys/health'), 404, '{"errors":["unsupported path"]}\n',
               'enterprise: sys/health with a namespace header: 404')
        T.eq(sim.client(None).get('/v1/sys/health').json()['enterprise'], True, 'enterprise: health says enterprise')
        T.eq(root.get('/v1/secret/data/litellm/secrets').status, 404, 'enterprise: root namespace has its own secret/')


# ====================================================================== 12

def tls_suite():
    with simlib.start_sim(tls=True, minter=RS) as sim:
        c = sim.client()
        T.eq(c.get('/v1/sys/health').status, 200, 'TLS: health over HTTPS (verified with the test CA)')
        r = c.get('/v1/sys/health')
        T.eq(r.headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains',
             'TLS listener adds Strict-Transport-Security')
        simlib.seed_litellm(c, pem_keys=[RS.public_pem])
        r = login(c, 'litellm-role', RS.mint('litellm', 'litellm'))
        T.ok(r.status == 200, 'TLS: login', r.text[:200])
        u = sim.client(token_of(r))
        T.ok(u.get('/v1/secret/data/litellm/secrets').json()['data']['data'] == simlib.LITELLM_SECRETS,
             'TLS: secret read')
        T.body(sim.client('bogus').get('/v1/secret/data/litellm/secrets'), 403, INVALID_TOKEN,
               'TLS: error bodies identical')
        host, port = sim.addr.rsplit(':', 1)

        def handshake(maxv):
            """None when a handshake capped at maxv succeeds, else the error."""
            ctx = ssl.create_default_context(cafile=sim.ca_file)
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter('ignore', DeprecationWarning)
                ctx.maximum_version = maxv
                ctx.minimum_version = ssl.TLSVersion.TLSv1
            try:
                ctx.set_ciphers('DEFAULT:@SECLEVEL=0')
            except ssl.SSLError:
                pass
            try:
                with socket.create_connection((host, int(port)), timeout=5) as s:
                    with ctx.wrap_socket(s, server_hostname='127.0.0.1'):
                        return None
            except (ssl.SSLError, OSError) as e:
                return e
        # the same client, capped at 1.2, gets in: the refusal is about the version
        tls12 = handshake(ssl.TLSVersion.TLSv1_2)
        tls11 = handshake(ssl.TLSVersion.TLSv1_1)
        T.ok(tls12 is None and tls11 is not None, 'TLS: TLS 1.1 refused (1.2 from the same client '
             'accepted)', 'TLS 1.2: %r; TLS 1.1: %r' % (tls12, tls11))
        plain = simlib.Client('http://' + sim.addr, 'root')
        try:
            r = plain.get('/v1/sys/health')
            T.ok(r.status != 200, 'TLS: plain HTTP on the TLS port does not work', r.status)
        except (ConnectionError, http.client.HTTPException, OSError):
            T.ok(True, 'TLS: plain HTTP on the TLS port does not work')
        control(sim, 'DELETE', '/_sim/requests')
        kc = sim.client()
        for _ in range(3):
            kc.request('GET', '/v1/sys/health', keep_alive=True)
        kc.close()
        T.eq(len({e['conn'] for e in sim.requests()}), 1, 'TLS: keep-alive')
        T.ok(all(e['tls'] for e in sim.requests()), 'TLS: log marks TLS requests')


# ====================================================================== 13

class FakeAPIServer:
    """An HTTPS stand-in for kube-apiserver's TokenReview endpoint used to
    test --tokenreview=http: verifies the JWT with RS's key and records
    what Vault sent."""

    def __init__(self, tmpdir):
        import http.server as hs
        self.tls = simlib.make_tls(os.path.join(tmpdir, 'apiserver'))
        self.seen = []
        outer = self

        class H(hs.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = json.loads(self.rfile.read(n))
                outer.seen.append({'path': self.path, 'auth': self.headers.get('Authorization'),
                                   'ct': self.headers.get('Content-Type'), 'body': body})
                import jwtcheck
                tok = body['spec']['token']
                try:
                    cl = jwtcheck.verify(tok, [jwtcheck.load_public_key(RS.public_pem)])
                    k = cl['kubernetes.io']
                    st = {'authenticated': True, 'audiences': body['spec'].get('audiences', cl['aud']),
                          'user': {'username': 'system:serviceaccount:%s:%s' % (k['namespace'],
                                                                                k['serviceaccount']['name']),
                                   'uid': k['serviceaccount']['uid']}}
                except Exception:  # noqa: BLE001
                    st = {'authenticated': False, 'error': 'invalid bearer token'}
                out = json.dumps({'apiVersion': 'authentication.k8s.io/v1', 'kind': 'TokenReview',
                                  'spec': body['spec'], 'status': st}).encode()
                self.send_response(201)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.srv = hs.ThreadingHTTPServer(('127.0.0.1', 0), H)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.tls.cert, self.tls.key)
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def tokenreview_http():
    with simlib.start_sim(minter=RS, pod_sa=False, args=['--tokenreview', 'http']) as sim:
        api = FakeAPIServer(sim.tmpdir)
        try:
            c = sim.client()
            ca = open(api.tls.ca_cert).read()
            host = 'https://127.0.0.1:%d' % api.port
            T.body(c.put('/v1/auth/kubernetes/config', {'kubernetes_host': host}) if c.post(
                '/v1/sys/auth/kubernetes', {'type': 'kubernetes'}).status == 204 else None, 400,
                '{"errors":["open /var/run/secrets/kubernetes.io/serviceaccount/ca.crt: no such file or directory"]}\n',
                'outside a pod, no kubernetes_ca_cert and disable_local_ca_jwt=false: config write 400')
            simlib.seed_litellm(c, kubernetes_host=host + '/', pem_keys=None) if False else None
            c.put('/v1/sys/policies/acl/litellm-policy', {'policy': 'path "secret/data/litellm/*" { capabilities = ["read"] }'})
            c.put('/v1/secret/data/litellm/secrets', {'data': {'k': 'v'}})
            c.put('/v1/auth/kubernetes/role/litellm-role', {'bound_service_account_names': 'litellm',
                                                            'bound_service_account_namespaces': 'litellm',
                                                            'policies': 'litellm-policy', 'ttl': '24h'})
            T.eq(c.put('/v1/auth/kubernetes/config', {'kubernetes_host': host + '/', 'kubernetes_ca_cert': ca}).status,
                 204, 'config with kubernetes_ca_cert')
            jwt = RS.mint('litellm', 'litellm')
            r = login(c, 'litellm-role', jwt)
            T.ok(r.status == 200, 'http TokenReview: login accepted by the API server', r.text[:300])
            s = api.seen[-1] if api.seen else {}
            T.eq(s.get('path'), '/apis/authentication.k8s.io/v1/tokenreviews', 'POST to the TokenReview path')
            T.eq(s.get('auth'), 'Bearer ' + jwt, 'bearer: the client JWT (no reviewer JWT, not in a pod)')
            T.eq(s.get('ct'), 'application/json', 'Content-Type application/json')
            T.eq((s.get('body') or {}).get('spec'), {'token': jwt, 'audiences': [RS.issuer]},
                 'body: spec.token and the JWT audiences')
            reviewer = RS.mint('kube-system', 'reviewer', ttl=86400)
            c.put('/v1/auth/kubernetes/config', {'kubernetes_host': host, 'kubernetes_ca_cert': ca,
                                                 'token_reviewer_jwt': reviewer})
            login(c, 'litellm-role', jwt)
            T.eq(api.seen[-1]['auth'], 'Bearer ' + reviewer, 'bearer: token_reviewer_jwt')
            other = simlib.make_tls(os.path.join(sim.tmpdir, 'other'))
            c.put('/v1/auth/kubernetes/config', {'kubernetes_host': host, 'kubernetes_ca_cert':
                                                 open(other.ca_cert).read()})
            n = len(api.seen)
            T.body(login(c, 'litellm-role', jwt), 403, PD_PLAIN, 'API server cert not signed by the CA: denied')
            T.eq(len(api.seen), n, '... no request reached the API server')
            c.put('/v1/auth/kubernetes/config', {'kubernetes_host': 'http://127.0.0.1:1', 'disable_local_ca_jwt': True})
            T.body(login(c, 'litellm-role', jwt), 403, PD_PLAIN, 'unreachable API server: permission denied')
            c.put('/v1/auth/kubernetes/config', {'kubernetes_host': '127.0.0.1:%d' % api.port,
                                                 'disable_local_ca_jwt': True})
            T.body(login(c, 'litellm-role', jwt), 403, PD_PLAIN, 'host without scheme: permission denied')
            c.put('/v1/auth/kubernetes/config', {'kubernetes_host': host, 'kubernetes_ca_cert': ca})
            T.body(login(c, 'litellm-role', simlib.JwtMinter().mint('litellm', 'litellm')), 403, PD_PLAIN,
                   'API server says unauthenticated: permission denied')
        finally:
            api.stop()


# ====================================================================== 14

def hygiene(sim):
    secrets = list(simlib.LITELLM_SECRETS.values())
    err = sim.stderr()
    leaks = [s for s in secrets if s in err]
    T.ok(not leaks and 'hvs.' not in err and 'eyJ' not in err and sim.root_token + '\n' not in err,
         'simulator stderr (--log-requests) holds no token, JWT or secret value', err[-500:])
    T.ok('/v1/secret/data/litellm/secrets 200' in err, 'stderr does log requests (so the check above means something)')


def restart_suite():
    with simlib.start_sim(minter=RS) as sim:
        c = sim.client()
        simlib.seed_litellm(c)
        tok = token_of(login(c, 'litellm-role', RS.mint()))
        sim.kill()
        try:
            c.get('/v1/sys/health')
            T.ok(False, 'killed simulator: connection refused')
        except (ConnectionError, OSError):
            T.ok(True, 'killed simulator: connection refused')
        sim.restart()
        T.eq(c.get('/v1/sys/health').status, 200, 'restarted on the same address')
        T.body(sim.client(tok).get('/v1/secret/data/litellm/secrets'), 403, INVALID_TOKEN,
               'after a dev-mode restart old tokens are unknown')
        T.body(c.put('/v1/auth/kubernetes/login', {'role': 'litellm-role', 'jwt': RS.mint()}, token=None), 400,
               '{"errors":["missing client token"]}\n', 'after a restart the auth mount is gone until reconfigured')


def main():
    with simlib.start_sim(minter=RS, log_requests=True, root_token='root-' + 'r' * 20) as sim:
        c = setup_litellm(sim)
        c.post('/v1/sys/mounts/kv1', {'type': 'kv'})
        T.section('transport', transport, sim)
        T.section('token errors', token_errors, sim)
        T.section('kv2', kv2, sim)
        T.section('kv numbers', kv_numbers, sim)
        T.section('kv1', kv1, sim)
        T.section('discovery', discovery, sim)
        T.section('policies', policies, sim)
        T.section('k8s config', k8s_config_roles, sim)
        T.section('login', login_checks, sim)
        T.section('tokens', tokens, sim)
        T.section('health', health, sim)
        T.section('faults', faults, sim)
        T.section('namespaces ce', namespaces_ce, sim)
        T.section('hygiene', hygiene, sim)
    with simlib.start_sim(args=['--max-request-size', '1024']) as small:
        T.section('oversize', oversize, small)
    T.section('enterprise', namespaces_enterprise)
    T.section('tls', tls_suite)
    T.section('restart', restart_suite)
    T.section('tokenreview http', tokenreview_http)
    return T.done()


if __name__ == '__main__':
    sys.exit(main())
