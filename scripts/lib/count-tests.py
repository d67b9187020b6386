# SPDX-License-Identifier: MIT
"""Counts TAP test points in meson's testlog.json files and prints the final
line `tests: N passed, N failed, N skipped`. A meson test whose result is not
OK/SKIP and whose TAP shows no failure (a crash, a leak report, a bad exit
status, a short plan) counts as one more failure. Exits 1 on any failure or
when nothing ran."""
import json
import re
import sys

TAP = re.compile(r'^(not ok|ok)\b(.*)$')


def count(path):
    passed = failed = skipped = 0
    failures = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            t = json.loads(line)
            p = fl = s = 0
            for l in (t.get('stdout') or '').splitlines():
                m = TAP.match(l)
                if not m:
                    continue
                directive = m.group(2).upper()
                if '# SKIP' in directive:
                    s += 1
                elif m.group(1) == 'ok' or '# TODO' in directive:
                    p += 1
                else:
                    fl += 1
            result = t.get('result')
            if result == 'SKIP' and p + fl + s == 0:
                s += 1
            elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and fl == 0:
                fl += 1  # crashed, leaked, timed out, or exited non-zero
            if p + fl + s == 0 and result == 'OK':
                p += 1
            if fl:
                failures.append('%s (%s)' % (t['name'], result))
            passed, failed, skipped = passed + p, failed + fl, skipped + s
    return passed, failed, skipped, failures


def main(dirs):
    tp = tf = ts = 0
    for d in dirs:
        try:
            p, f, s, failures = count(d + '/meson-logs/testlog.json')
        except FileNotFoundError:
            print('%s: no testlog.json (tests did not run)' % d)
            tf += 1
            continue
        print('%s: %d passed, %d failed, %d skipped' % (d, p, f, s))
        for name in failures:
            print('  failed: ' + name)
        tp, tf, ts = tp + p, tf + f, ts + s
    if not dirs:
        tf += 1
    print('tests: %d passed, %d failed, %d skipped' % (tp, tf, ts))
    return 1 if tf or tp == 0 else 0


sys.exit(main(sys.argv[1:]))
