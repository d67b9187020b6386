#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The simulator's Go-compatible formatting (gojson.py) against real Go.

Runs oracle/gofmt_check.go with the installed Go toolchain (offline,
GO111MODULE=off) and compares, case by case:
  * KV v2 number normalisation (json.Unmarshal to float64, json.Marshal),
    on the spec's table plus a few hundred random literals;
  * the decode/encode round trip of request bodies (UseNumber, trailing data,
    invalid UTF-8, lone surrogates, HTML escaping, U+2028/2029, controls);
  * time.Duration.String(), time.ParseDuration (values and error texts);
  * time.RFC3339Nano in UTC.
Go 1.19 (Debian 12) escapes \\b and \\f as \\u0008 / \\u000c; Vault is built
with Go >= 1.22, which writes \\b / \\f: the comparison accounts for that one
documented difference. Prints TAP; skips when Go is not installed.
"""

import base64
import json
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True   # keep the source tree clean

import gojson  # noqa: E402
from tap import Tap  # noqa: E402

T = Tap()


def go_run(cases):
    go = shutil.which('go')
    if go is None:
        return None
    cache = os.path.join(os.environ.get('VAULTLET_BUILD_ROOT', '/tmp'), 'go-cache')
    os.makedirs(cache, exist_ok=True)
    env = dict(os.environ, GOCACHE=cache, GOPATH=os.path.join(cache, 'gopath'), GO111MODULE='off',
               GOFLAGS='', GOTOOLCHAIN='local')
    inp = ''.join(json.dumps(c) + '\n' for c in cases).encode()
    p = subprocess.run([go, 'run', os.path.join(HERE, 'oracle', 'gofmt_check.go')], input=inp,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=240)
    if p.returncode != 0:
        raise RuntimeError('go run failed: %s' % p.stderr.decode(errors='replace'))
    return [json.loads(l) for l in p.stdout.decode().splitlines()]


def go119(s):
    """What Go 1.19 writes where Go >= 1.22 (and gojson) write \\b and \\f."""
    return s.replace('\\b', '\\u0008').replace('\\f', '\\u000c')


def sim_kvnum(lit):
    v, _ = gojson.decode('{"x":%s}' % lit)
    f = float(str.__str__(v['x']))
    if f in (float('inf'), float('-inf')):
        return None
    return gojson.go_float(f)


def main():
    rnd = random.Random(20240501)
    nums = ['1.50', '1e6', '1.0', '12345678901234567890', '1e21', '0.0000001', '0.000001',
            '123456789.123456789', '-0', '100000000000000000000', '0', '-1', '0.1', '0.2', '0.3',
            '1e-6', '9.999999e-7', '1e20', '9.99999999999999e20', '999999999999999999999', '5e-324',
            '2.2250738585072014e-308', '1.7976931348623157e308', '4.9e-324', '1e-320', '123e-20',
            '3.141592653589793238462643383279', '-2.5E+30', '1E400']
    for _ in range(300):
        kind = rnd.randrange(4)
        if kind == 0:
            nums.append(repr(rnd.uniform(-1e6, 1e6)))
        elif kind == 1:
            nums.append('%de%d' % (rnd.randrange(1, 10 ** rnd.randrange(1, 18)), rnd.randrange(-330, 310)))
        elif kind == 2:
            nums.append(str(rnd.randrange(-10 ** 25, 10 ** 25)))
        else:
            nums.append(repr(rnd.random() * 10 ** rnd.randrange(-12, 25)))
    strings = [b'plain', b'a<b>&c', b'quote " backslash \\', b'\x00\x01\x08\x09\x0a\x0c\x0d\x1f\x7f',
               'caf\u00e9 \u2028 \u2029 \U0001F600'.encode(), b'bad \xff utf8 \xe2\x82 end', b'\xc0\x80',
               b'\xed\xa0\x80', b'\xf4\x90\x80\x80']
    docs = [b'{"a":1.50,"b":[1e6,true,null,"x"],"c":{"z":1,"a":2}}', b'{"dup":1,"dup":2}',
            b'  {"t":"\\ud83d\\ude00 \\ud800 lone"}  trailing', b'{"s":"\\u003c\\u2028"}{"second":1}',
            b'{"n":-0.0e0,"big":123456789012345678901234567890}', b'{}', b'{"k":"\xff\xfe"}']
    for raw in strings:
        docs.append(b'{"v":"' + raw.replace(b'\\', b'\\\\').replace(b'"', b'\\"')
                    .replace(b'\n', b'\\n').replace(b'\x00', b'\\u0000').replace(b'\x01', b'\\u0001')
                    .replace(b'\x08', b'\\b').replace(b'\x09', b'\\t').replace(b'\x0c', b'\\f')
                    .replace(b'\x0d', b'\\r').replace(b'\x1f', b'\\u001f') + b'"}')
    durations = [0, 1, 999, 1000, 1500, 10 ** 6, 1500 * 10 ** 6, 10 ** 9, 59 * 10 ** 9, 60 * 10 ** 9,
                 3600 * 10 ** 9, 3599 * 10 ** 9, 86400 * 10 ** 9, 90061 * 10 ** 9, 2764800 * 10 ** 9,
                 -5 * 10 ** 9, 123456789012345, (1 << 63) - 1]
    parses = ['1h', '24h', '1h30m', '1.5h', '90s', '500ms', '1us', '1µs', '2m3.5s', '-1m', '+5s', '0',
              '', 'abc', '5', '5x', '1h 2m', '.5s', '1.s', '9223372036h', '1d']
    times = [(1714557600, 123456789), (1714557600, 500000000), (1714557600, 0), (0, 1), (1751204048, 100),
             (253402300799, 999999999)]
    cases = ([{'kind': 'kvnum', 'v': n} for n in nums] +
             [{'kind': 'decode', 'b64': base64.b64encode(d).decode()} for d in docs] +
             [{'kind': 'duration', 'ns': d} for d in durations] +
             [{'kind': 'parseduration', 'v': p} for p in parses] +
             [{'kind': 'rfc3339', 'sec': s, 'nsec': n} for s, n in times])
    try:
        answers = go_run(cases)
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
        # go is installed (go_run returns None otherwise): an oracle that does not
        # run is a failure, not a reason to check nothing
        T.ok(False, 'the Go oracle runs', str(e)[:2000])
        return T.done()
    if answers is None:
        print('1..0 # SKIP go not installed')
        return 0
    T.eq(len(answers), len(cases), 'the Go oracle answered every case')
    bad = []
    for c, a in zip(cases, answers):
        if c['kind'] == 'kvnum':
            mine = sim_kvnum(c['v'])
            ok = (mine == a['out']) if not a['err'] else mine is None
            if not ok:
                bad.append(('kvnum', c['v'], a, mine))
    T.ok(not bad, 'KV v2 number normalisation matches Go on %d literals' % len(nums),
         '\n'.join(repr(b) for b in bad[:20]))
    for c, a in zip(cases, answers):
        if c['kind'] != 'decode':
            continue
        raw = base64.b64decode(c['b64'])
        try:
            v, _ = gojson.decode(raw)
            mine = gojson.encode(v, newline=True).decode('utf-8') if isinstance(v, dict) else None
        except gojson.DecodeError:
            mine = None
        want = a['out'] if not a['err'] else None
        T.eq(go119(mine) if mine else mine, want, 'decode/encode round trip like Go: %r' % raw[:40])
    for c, a in zip(cases, answers):
        if c['kind'] == 'duration':
            T.eq(gojson.duration_string(c['ns']), a['out'], 'Duration.String(%d)' % c['ns'])
        elif c['kind'] == 'parseduration':
            try:
                mine, err = str(gojson.parse_duration(c['v'])), ''
            except gojson.DurationError as e:
                mine, err = '', str(e)
            T.eq((mine, err), (a['out'], a['err']), 'ParseDuration(%r)' % c['v'])
        elif c['kind'] == 'rfc3339':
            T.eq(gojson.rfc3339nano((c['sec'], c['nsec'])), a['out'], 'RFC3339Nano(%d, %d)' % (c['sec'], c['nsec']))
    return T.done()


if __name__ == '__main__':
    sys.exit(main())
