#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""scripts/agent-deps.sh without the network (issue 13). TAP.

  test-agent-deps.py SCRIPT

- the deb-src entries it derives from deb822 and one-line apt sources:
  same URIs, suites, components and keyring, only the type changed; stanzas
  that are not "deb" or are disabled are left out; it fails when there is
  no deb entry at all;
- with an empty cache, --check says "not built" (exit 1);
- without root and without a cache, it builds nothing and prints the one
  command that does (what meson shows for -Dagent_link=static).
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from taplib import check, done  # noqa: E402

SCRIPT = sys.argv[1]

DEB822 = """Types: deb
# a comment the stanza keeps
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src
URIs: http://src-only.example/debian
Suites: bookworm
Components: main
"""
WANT822 = """Types: deb-src
# a comment the stanza keeps
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main contrib
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

"""
ONELINE = """# deb http://commented.example/debian bookworm main
deb http://one.example/debian bookworm main
deb [arch=amd64 signed-by=/k.gpg] http://two.example/debian bookworm-security main
deb-src http://three.example/debian bookworm main
"""
WANT_ONELINE = """deb-src http://one.example/debian bookworm main
deb-src [arch=amd64 signed-by=/k.gpg] http://two.example/debian bookworm-security main
"""


def derive(files):
    with tempfile.TemporaryDirectory() as d:
        etc, out = os.path.join(d, 'etc'), os.path.join(d, 'out')
        os.makedirs(os.path.join(etc, 'sources.list.d'))
        os.makedirs(out)
        for name, text in files.items():
            with open(os.path.join(etc, name), 'w') as f:
                f.write(text)
        r = subprocess.run([SCRIPT, '--derive-deb-src', etc, out], capture_output=True,
                           text=True, timeout=30)
        got = {}
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name)) as f:
                got[name] = f.read()
        return r, got


def t_deb822():
    r, got = derive({'sources.list.d/debian.sources': DEB822})
    if r.returncode != 0:
        return 'exit %d: %s' % (r.returncode, r.stderr)
    if got != {'derived-debian.sources': WANT822}:
        return 'got %r' % got


def t_oneline():
    r, got = derive({'sources.list': ONELINE, 'sources.list.d/extra.list': ONELINE})
    if r.returncode != 0:
        return 'exit %d: %s' % (r.returncode, r.stderr)
    want = {'derived-sources.list': WANT_ONELINE, 'derived-extra.list': WANT_ONELINE}
    if got != want:
        return 'got %r' % got


def t_none():
    r, got = derive({'sources.list.d/src.sources': DEB822.split('\n\n', 2)[2],
                     'sources.list': '# deb http://x.example/ bookworm main\n'})
    if r.returncode == 0 or 'no \'deb\' entry' not in r.stderr:
        return 'exit %d, stderr %r, got %r' % (r.returncode, r.stderr, got)


def t_check_empty():
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([SCRIPT, '--check'], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, VAULTLET_AGENT_DEPS=d))
        if r.returncode != 1 or os.listdir(d):
            return 'exit %d, cache now %r' % (r.returncode, os.listdir(d))


def t_not_root():
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        cmd = [SCRIPT, '--print-prefix']
        if os.geteuid() == 0:
            cmd = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] + cmd
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, VAULTLET_AGENT_DEPS=os.path.join(d, 'cache')))
        if r.returncode != 1 or r.stdout:
            return 'exit %d, stdout %r, stderr %r' % (r.returncode, r.stdout, r.stderr)
        if ('  sudo ' + os.path.realpath(SCRIPT)) not in r.stderr:
            return 'no "sudo %s" line in %r' % (SCRIPT, r.stderr)
        if os.path.exists(os.path.join(d, 'cache')):
            return 'it created the cache without root'


check('deb822: a deb stanza becomes deb-src, everything else kept; disabled and '
      'source-only stanzas left out', t_deb822)
check('one-line sources: deb lines become deb-src, options kept, comments and deb-src '
      'lines left out', t_oneline)
check('no deb entry at all: exit 1 with a reason', t_none)
check('--check with an empty cache: exit 1, nothing built', t_check_empty)
check('without root and without a cache: builds nothing, prints the one command to run',
      t_not_root)
sys.exit(done())
