# SPDX-License-Identifier: MIT
"""A tiny TAP producer for the simulator's tests (plan printed at the end).

tpl() turns an expected body with placeholders into an anchored regex so a
whole response body can be compared byte for byte while request ids, times
and tokens vary: {RID} {UUID} {TIME} {TOKEN} {BTOKEN} {ACC} {INT} {HEX}.
"""

import re
import sys
import traceback

PLACEHOLDERS = {
    'RID': r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
    'UUID': r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
    'TIME': r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z',
    'TOKEN': r'hvs\.[A-Za-z0-9_-]{91}',
    'BTOKEN': r'hvb\.[A-Za-z0-9_-]{138}',
    'ACC': r'[A-Za-z0-9]{24}',
    'INT': r'-?\d+',
    'HEX': r'[0-9a-f]+',
}


def tpl(template):
    out = []
    pos = 0
    for m in re.finditer(r'\{(RID|UUID|TIME|TOKEN|BTOKEN|ACC|INT|HEX)\}', template):
        out.append(re.escape(template[pos:m.start()]))
        out.append(PLACEHOLDERS[m.group(1)])
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile(''.join(out), re.S)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if cond:
            print('ok %d - %s' % (self.n, desc))
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, desc))
            if diag is not None:
                for line in str(diag).splitlines() or ['']:
                    print('#   ' + line)
        sys.stdout.flush()
        return bool(cond)

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, 'got:  %r\nwant: %r' % (got, want))

    def body(self, resp, status, template, desc):
        """Status and the whole body against a template (bytes exact)."""
        text = resp.body.decode('utf-8', 'replace')
        good = resp.status == status and tpl(template).fullmatch(text) is not None
        return self.ok(good, desc, 'status %d (want %d)\nbody: %r\nwant: %r'
                       % (resp.status, status, text, template))

    def section(self, name, fn, *args):
        try:
            fn(*args)
        except Exception:  # a crash in a section is a failure, not an abort
            self.ok(False, '%s: ran without an exception' % name, traceback.format_exc())

    def done(self):
        print('1..%d' % self.n)
        sys.stdout.flush()
        return 1 if self.failed else 0
