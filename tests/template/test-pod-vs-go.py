#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""file, writeToFile and plugin: vaultlet against Go (issue 16). TAP.

  test-pod-vs-go.py VAULTLET_AGENT

Each case is a template run twice in the same sandbox directory, rebuilt
identically before each run: once by `vaultlet-agent render`, once by
tests/template/pod-oracle.go (Go's text/template with consul-template's
three functions re-written). Compared: the output bytes, or the error text
after "error calling NAME: " (for `file`, whose error Vault Agent reports
from its runner, the "file(P): ..." text), and every file in the sandbox
afterwards: its bytes and its mode. The plugins are small Python programs
the harness writes (no shell). A plugin that fails: vaultlet shows the exit
status but not the output (it may hold secrets), so only the text up to the
exit status is compared.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from taplib import check, done  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
AGENT = os.path.abspath(sys.argv[1])
BUILD = os.path.abspath(os.environ.get('VAULTLET_BUILD_ROOT', tempfile.gettempdir()))
WORK = tempfile.mkdtemp(prefix='vaultlet-pod-vs-go.')
SB = os.path.join(WORK, 'sb')
PY = '#!/usr/bin/python3\n'

# the sandbox: files to read, plugins to run
FILES = {
    'in/plain.txt': ('hello, wörld ✓\n', 0o644),
    'in/empty.txt': ('', 0o644),
    'in/spaces.txt': ('  \n inner \t\n', 0o600),
    'bin/echo-args': (PY + 'import sys\nprint(" ".join("[%s]" % a for a in sys.argv[1:]))\n',
                      0o755),
    'bin/padded': (PY + 'import sys\nsys.stdout.write("\\u00a0\\u0085 x y \\u3000\\n\\n")\n',
                   0o755),
    'bin/fail3': (PY + 'import sys\nprint("secret-ish output")\nsys.exit(3)\n', 0o755),
    'bin/killed': (PY + 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n', 0o755),
    'bin/env': (PY + 'import os\nprint(os.environ.get("POD_VS_GO", "unset"))\n', 0o755),
    'bin/noexec': (PY + 'print(1)\n', 0o644),
    'out/existing.txt': ('old content that is longer\n', 0o600),
    'in/readonly.txt': ('read only\n', 0o400),
}
LINKS = {'out/link.txt': 'existing.txt', 'linkdir': 'out'}
ENV = dict(os.environ, PATH=os.path.join(SB, 'bin') + ':/usr/bin:/bin', POD_VS_GO='from-env')


def build_sandbox():
    shutil.rmtree(SB, ignore_errors=True)
    for rel, (text, mode) in FILES.items():
        p = os.path.join(SB, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            f.write(text)
        os.chmod(p, mode)
    os.makedirs(os.path.join(SB, 'in', 'dir'), exist_ok=True)
    for rel, target in LINKS.items():
        os.symlink(target, os.path.join(SB, rel))


def snapshot():
    """Every file under the sandbox: bytes and mode (links: their target)."""
    out = {}
    for d, dirs, files in os.walk(SB):
        for name in files + dirs:
            p = os.path.join(d, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, SB)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ('link', os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ('dir', oct(stat.S_IMODE(st.st_mode)))
            else:
                with open(p, 'rb') as f:
                    out[rel] = (f.read(), oct(stat.S_IMODE(st.st_mode)), st.st_uid, st.st_gid)
    return out


def oracle_bin():
    cache = os.path.join(BUILD, 'go-cache')
    os.makedirs(cache, exist_ok=True)
    b = os.path.join(cache, 'vaultlet-pod-oracle')
    src = os.path.join(HERE, 'pod-oracle.go')
    if not os.path.exists(b) or os.path.getmtime(src) > os.path.getmtime(b):
        env = dict(os.environ, GOCACHE=cache, GOPATH='/usr/share/gocode', GO111MODULE='off',
                   GOFLAGS='', GOTOOLCHAIN='local')
        subprocess.run(['go', 'build', '-o', b + '.tmp', src], check=True, env=env,
                       timeout=300)
        os.rename(b + '.tmp', b)
    return b


def tail(msg, fn):
    """The error text after "error calling FN: " (or the file(...) text)."""
    key = 'error calling %s: ' % fn
    if key in msg:
        return msg.split(key, 1)[1].rstrip('\n')
    i = msg.find('file(')
    return msg[i:].rstrip('\n') if i >= 0 else msg


def run_case(orc, tmpl, fn):
    tpath = os.path.join(WORK, 't.tmpl')
    with open(tpath, 'w') as f:
        f.write(tmpl)
    secrets = os.path.join(WORK, 's.json')
    with open(secrets, 'w') as f:
        f.write('{}')
    build_sandbox()
    v = subprocess.run([AGENT, 'render', '-secrets', secrets, tpath], capture_output=True,
                       env=ENV, cwd=SB, timeout=60)
    vfiles = snapshot()
    build_sandbox()
    g = subprocess.run([orc, tpath], capture_output=True, env=ENV, cwd=SB, timeout=60)
    gfiles = snapshot()
    gres = json.loads(g.stdout)
    vres = {'ok': v.returncode == 0, 'out': v.stdout.decode(errors='replace'),
            'err': v.stderr.decode(errors='replace')}
    if gres['ok'] != vres['ok']:
        return 'Go ok=%s %r, vaultlet ok=%s %r' % (gres['ok'], gres['err'] or gres['out'],
                                                   vres['ok'], vres['err'] or vres['out'])
    if gres['ok'] and gres['out'] != vres['out']:
        return 'output: Go %r, vaultlet %r' % (gres['out'], vres['out'])
    if not gres['ok']:
        ge, ve = tail(gres['err'], fn), tail(vres['err'], fn)
        if fn == 'plugin' and '\n\nstdout:' in ge and ' (its stdout and stderr' in ve:
            ge = ge.split('\n\nstdout:')[0]
            ve = ve.split(' (its stdout and stderr')[0]
        if ge != ve:
            return 'error: Go %r, vaultlet %r' % (ge, ve)
    if gfiles != vfiles:
        diff = {k: (gfiles.get(k), vfiles.get(k)) for k in set(gfiles) | set(vfiles)
                if gfiles.get(k) != vfiles.get(k)}
        return 'files differ (Go, vaultlet): %r' % diff


S = SB
CASES = [
    ('file', 'file of a regular file (UTF-8, final newline)',
     '[{{ file "%s/in/plain.txt" }}]' % S),
    ('file', 'file: spaces around the path, "..", "//" and "." cleaned',
     '[{{ file "  %s/in/../in//./spaces.txt \\n" }}]' % S),
    ('file', 'file of an empty file; file ""', '[{{ file "%s/in/empty.txt" }}|{{ file "" }}]' % S),
    ('file', 'file through a symbolic link (followed, as Go)',
     '{{ file "%s/linkdir/existing.txt" }}' % S),
    ('file', 'file of a relative path', '{{ file "in/plain.txt" }}'),
    ('file', 'file of a missing file: stat\'s error', '{{ file "%s/in/nope.txt" }}' % S),
    ('file', 'file of a directory: read\'s error', '{{ file "%s/in/dir" }}' % S),
    ('file', 'file of a path under a regular file', '{{ file "%s/in/plain.txt/x" }}' % S),
    ('writeToFile', 'writeToFile: a new file, its mode, returns ""',
     '<{{ "abc" | writeToFile "%s/out/new.txt" "" "" "0640" }}>' % S),
    ('writeToFile', 'writeToFile: mode without a leading 0, over an existing file',
     '{{ "x" | writeToFile "%s/out/existing.txt" "" "" "644" }}' % S),
    ('writeToFile', 'writeToFile: append,newline twice',
     '{{ "a" | writeToFile "%s/out/app.txt" "" "" "0600" "append,newline" }}'
     '{{ "b" | writeToFile "%s/out/app.txt" "" "" "0600" "newline,append" }}' % (S, S)),
    ('writeToFile', 'writeToFile: append to an existing file keeps its content',
     '{{ "more" | writeToFile "%s/out/existing.txt" "" "" "0600" "append" }}' % S),
    ('writeToFile', 'writeToFile: newline without append replaces',
     '{{ "n" | writeToFile "%s/out/existing.txt" "" "" "0600" "newline" }}' % S),
    ('writeToFile', 'writeToFile: an unknown flag is ignored',
     '{{ "u" | writeToFile "%s/out/u.txt" "" "" "0600" "bogus" }}' % S),
    ('writeToFile', 'writeToFile: three extra arguments: the last is the content, no flags',
     '{{ writeToFile "%s/out/three.txt" "" "" "0600" "append" "mid" "last" }}' % S),
    ('writeToFile', 'writeToFile: missing parent directories are created',
     '{{ "deep" | writeToFile "%s/out/a/b/c.txt" "" "" "0600" }}' % S),
    ('writeToFile', 'writeToFile: mode 0999 is strconv\'s syntax error',
     '{{ "x" | writeToFile "%s/out/m.txt" "" "" "0999" }}' % S),
    ('writeToFile', 'writeToFile: empty mode', '{{ "x" | writeToFile "%s/out/m.txt" "" "" "" }}' % S),
    ('writeToFile', 'writeToFile: mode 0o644 (no prefix in base 8)',
     '{{ "x" | writeToFile "%s/out/m.txt" "" "" "0o644" }}' % S),
    ('writeToFile', 'writeToFile: mode out of 32 bits',
     '{{ "x" | writeToFile "%s/out/m.txt" "" "" "77777777777777" }}' % S),
    ('writeToFile', 'writeToFile: mode 04755 (only permission bits count)',
     '{{ "x" | writeToFile "%s/out/m.txt" "" "" "04755" }}' % S),
    ('writeToFile', 'writeToFile without content: Go\'s index out of range',
     '{{ writeToFile "%s/out/m.txt" "" "" "0644" }}' % S),
    ('writeToFile', 'writeToFile to a symbolic link: refused',
     '{{ "evil" | writeToFile "%s/out/link.txt" "" "" "0644" }}' % S),
    ('writeToFile', 'writeToFile through a symlinked directory: refused',
     '{{ "evil" | writeToFile "%s/linkdir/x.txt" "" "" "0644" }}' % S),
    ('writeToFile', 'writeToFile with the own uid and gid as numbers',
     '{{ "o" | writeToFile "%s/out/own.txt" "%d" "%d" "0600" }}' % (S, os.getuid(), os.getgid())),
    ('writeToFile', 'writeToFile with user and group names from /etc/passwd and /etc/group '
     '(chown: needs root)',
     '{{ "o" | writeToFile "%s/out/own.txt" "nobody" "nogroup" "0640" }}' % S),
    ('writeToFile', 'writeToFile with a numeric user only (the group stays the agent\'s)',
     '{{ "o" | writeToFile "%s/out/own.txt" "65534" "" "0640" "append" }}' % S),
    ('writeToFile', 'writeToFile with the owner "-1" (unchanged)',
     '{{ "o" | writeToFile "%s/out/own.txt" "-1" "-1" "0640" }}' % S),
    ('writeToFile', 'writeToFile with an unknown user name',
     '{{ "o" | writeToFile "%s/out/own.txt" "no-such-user-x" "" "0600" }}' % S),
    ('writeToFile', 'writeToFile with an unknown group name',
     '{{ "o" | writeToFile "%s/out/own.txt" "" "no-such-group-x" "0600" }}' % S),
    ('writeToFile', 'writeToFile to "" (the working directory)',
     '{{ "d" | writeToFile "" "" "" "0600" }}'),
    ('writeToFile', 'writeToFile to "/"', '{{ "d" | writeToFile "/" "" "" "0600" }}'),
    ('writeToFile', 'writeToFile over a read-only file (an error unless root)',
     '{{ "r" | writeToFile "%s/in/readonly.txt" "" "" "0600" }}' % S),
    ('writeToFile', 'writeToFile appending to a read-only file (an error unless root)',
     '{{ "r" | writeToFile "%s/in/readonly.txt" "" "" "0600" "append" }}' % S),
    ('writeToFile', 'writeToFile to a directory', '{{ "d" | writeToFile "%s/in/dir" "" "" "0600" }}' % S),
    ('plugin', 'plugin by path: arguments trimmed, empty ones dropped, output trimmed',
     '<{{ plugin "%s/bin/echo-args" "  a " "" "\\tb c\\n" " " "ü" }}>' % S),
    ('plugin', 'plugin found in PATH', '<{{ plugin "echo-args" "x" }}>'),
    ('plugin', 'plugin: Unicode spaces trimmed as Go\'s TrimSpace', '<{{ plugin "padded" }}>'),
    ('plugin', 'plugin sees the agent\'s environment', '<{{ plugin "env" }}>'),
    ('plugin', 'plugin "" is ""', '<{{ plugin "" "x" }}>'),
    ('plugin', 'plugin not in PATH', '{{ plugin "no-such-plugin-x" }}'),
    ('plugin', 'plugin path that does not exist', '{{ plugin "%s/bin/nope" }}' % S),
    ('plugin', 'plugin not executable', '{{ plugin "%s/bin/noexec" }}' % S),
    ('plugin', 'plugin exits 3', '{{ plugin "fail3" }}'),
    ('plugin', 'plugin killed by a signal', '{{ plugin "killed" }}'),
]


def main():
    if not shutil.which('go'):
        print('1..0 # SKIP go is not installed')
        return 0
    orc = oracle_bin()
    try:
        for fn, name, tmpl in CASES:
            check(name, lambda t=tmpl, f=fn: run_case(orc, t, f))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    return done()


if __name__ == '__main__':
    sys.exit(main())
