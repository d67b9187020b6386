#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The template functions that touch the pod, in the real agent (issue 16). TAP.

Against the Vault simulator, with the agent as init container and sidecar:

- `file`: the first pass records the file, the agent reads it and renders
  (with a secret in the same template); the sidecar re-renders within a
  few seconds when the file changes (consul-template polls every 2 s),
  and does not execute the template again when it does not change, nor
  when it is touched with the same bytes; a missing file fails the init container at
  once with consul-template's text ("file(P): stat P: no such file or
  directory"), its content never in a log line;
- `writeToFile`: the file is written with its mode; `plugin`: a program run
  without a shell, its output trimmed, its output never logged;
- `plugin` that does not finish: after consul-template's 30 s the whole
  process group is killed (its child too), the error says "did not finish
  in 30s" and the init container exits 1.
"""
import os
import re
import signal
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import agentlib as al  # noqa: E402
from taplib import check, done  # noqa: E402

PATH = 'secret/data/litellm/secrets'
FILE_SECRET = 'file-content-FAKE-7c1e9b3a5d'
PLUGIN_OUT = 'plugin-output-FAKE-2b8d4f6a'


class Env:
    def __init__(self, root, name, sim, signer):
        self.dir = os.path.join(root, name)
        self.home = os.path.join(self.dir, 'home')
        self.secrets = os.path.join(self.dir, 'secrets')
        os.makedirs(self.home)
        self.sim = sim
        self.jwt_path = os.path.join(self.dir, 'token')
        with open(self.jwt_path, 'w') as f:
            f.write(signer.mint() + '\n')
        self.n = 0

    def agent(self, contents, init=True):
        dest = os.path.join(self.secrets, 'out.txt')
        cfg = al.agent_config(self.sim.addr, self.sim.pki['ca'], self.jwt_path, self.home,
                              self.secrets, init=init,
                              templates=[{'destination': dest, 'contents': contents}])
        self.n += 1
        return al.Agent(cfg, os.path.join(self.dir, 'agent-%d.log' % self.n)), dest


def write(path, text, mode=0o644):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)


def renders(text):
    """How many times the agent executed the template ("rendered" or "unchanged")."""
    return len(re.findall(r'(?m)^(?!.*all templates).*\b(rendered|unchanged)\b', text))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().split(')')[-1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def main():
    root = al.workdir()
    pki = al.make_pki(root)
    signer = al.JWTSigner()
    sim = al.Sim(root, pki, signer).start()
    failed_before = 0
    try:
        sim.seed_litellm(signer)

        def t_file_init():
            env = Env(root, 'file-init', sim, signer)
            src = os.path.join(env.dir, 'app.conf')
            write(src, FILE_SECRET + '\n')
            a, dest = env.agent('[{{ file "%s" }}]{{ with secret "%s" }}'
                                '{{ .Data.data.master_key }}{{ end }}\n' % (src, PATH))
            rc = a.wait(30)
            a.kill()
            want = '[%s\n]%s\n' % (FILE_SECRET, al.LITELLM_SECRET['master_key'])
            if rc != 0 or al.read(dest) != want:
                return 'exit %r, file %r, want %r\n%s' % (rc, al.read(dest), want, a.text())
            if FILE_SECRET in a.text():
                return 'the file content is in the log'

        def t_file_missing():
            env = Env(root, 'file-missing', sim, signer)
            src = os.path.join(env.dir, 'nope.conf')
            a, dest = env.agent('{{ file "%s" }}' % src)
            rc = a.wait(30)
            a.kill()
            want = 'file(%s): stat %s: no such file or directory' % (src, src)
            if rc != 1 or want not in a.text() or al.read(dest) is not None:
                return 'exit %r, dest %r, no %r in\n%s' % (rc, al.read(dest), want, a.text())

        def t_file_change():
            env = Env(root, 'file-change', sim, signer)
            src = os.path.join(env.dir, 'app.conf')
            write(src, 'one')
            a, dest = env.agent('v={{ file "%s" }}' % src, init=False)
            try:
                if not al.wait_for(lambda: al.read(dest) == 'v=one', 20):
                    return 'first render: %r\n%s' % (al.read(dest), a.text())
                # unchanged file: no new render for 3 polls
                # the log line follows the write
                al.wait_for(lambda: renders(a.text()) >= 1, 5)
                n = renders(a.text())
                if n < 1:
                    return 'no "rendered" line in the log:\n%s' % a.text()
                if 'unchanged' in a.text():
                    return 'executed again without a change:\n%s' % a.text()
                time.sleep(6.5)
                m = renders(a.text())
                if m != n:
                    return 'rendered again without a change (%d -> %d)' % (n, m)
                # a touched file with the same bytes: no execution either
                os.utime(src, (time.time() + 5, time.time() + 5))
                time.sleep(4.5)
                m = renders(a.text())
                if m != n:
                    return 'touched file, same bytes: executed again (%d -> %d)' % (n, m)
                t0 = time.monotonic()
                write(src + '.tmp', 'two-' + FILE_SECRET)
                os.rename(src + '.tmp', src)
                if not al.wait_for(lambda: al.read(dest) == 'v=two-' + FILE_SECRET, 10):
                    return 'not re-rendered: %r\n%s' % (al.read(dest), a.text())
                took = time.monotonic() - t0
                if took > 6:
                    return 're-rendered after %.1f s (polled every 2 s)' % took
                if FILE_SECRET in a.text():
                    return 'the file content is in the log'
            finally:
                a.signal(signal.SIGTERM)
                a.wait(10)
                a.kill()

        def t_write_plugin():
            env = Env(root, 'write-plugin', sim, signer)
            plug = os.path.join(env.dir, 'plug')
            # no shell: the interpreter line names Python directly
            write(plug, '#!/usr/bin/python3\nimport sys\nprint("  %s", *sys.argv[1:], '
                  '"\\n\\n")\n' % PLUGIN_OUT, 0o755)
            side = os.path.join(env.dir, 'side', 'w.txt')
            a, dest = env.agent('{{ with secret "%s" }}{{ .Data.data.db_password | writeToFile '
                                '"%s" "" "" "0600" }}{{ end }}<{{ plugin "%s" " a " "" "b" }}>'
                                % (PATH, side, plug))
            rc = a.wait(30)
            a.kill()
            want = '<%s a b>' % PLUGIN_OUT
            if rc != 0 or al.read(dest) != want:
                return 'exit %r, file %r, want %r\n%s' % (rc, al.read(dest), want, a.text())
            if al.read(side) != al.LITELLM_SECRET['db_password']:
                return 'writeToFile wrote %r' % al.read(side)
            if stat.S_IMODE(os.stat(side).st_mode) != 0o600:
                return 'mode %o' % stat.S_IMODE(os.stat(side).st_mode)
            if PLUGIN_OUT in a.text():
                return 'the plugin output is in the log'

        def t_plugin_timeout():
            env = Env(root, 'plugin-timeout', sim, signer)
            plug = os.path.join(env.dir, 'slow')
            pids = os.path.join(env.dir, 'pids')
            # the plugin starts a child in its process group, then both sleep
            write(plug, '#!/usr/bin/python3\nimport os, time\npid = os.fork()\n'
                  'if pid == 0:\n    time.sleep(120)\n    os._exit(0)\n'
                  'open("%s", "w").write("%%d %%d" %% (os.getpid(), pid))\n'
                  'print("partial", flush=True)\ntime.sleep(120)\n' % pids, 0o755)
            t0 = time.monotonic()
            a, dest = env.agent('{{ plugin "%s" }}' % plug)
            rc = a.wait(60)
            took = time.monotonic() - t0
            a.kill()
            text = a.text()
            msg = 'exec "%s": did not finish in 30s' % plug
            if rc != 1 or (msg not in text and msg.replace('"', '\\"') not in text):
                return 'exit %r after %.1f s, no %r in\n%s' % (rc, took, msg, text)
            if not 29 <= took <= 50:
                return 'the agent gave up after %.1f s (consul-template: 30 s)' % took
            try:
                parent, child = (int(x) for x in open(pids).read().split())
            except (OSError, ValueError) as e:
                return 'no pids: %s' % e
            if not al.wait_for(lambda: not alive(parent) and not alive(child), 5):
                for p in (parent, child):
                    if alive(p):
                        os.kill(p, signal.SIGKILL)
                return 'still running: plugin %s, its child %s' % (alive(parent), alive(child))
            if al.read(dest) is not None:
                return 'a file was written'

        check('file: the first pass records it, the agent reads it, the template renders '
              'with a secret beside it; its content is not logged', t_file_init)
        check('file: a missing file fails the init container with consul-template\'s text',
              t_file_missing)
        check('file: the sidecar re-renders within a few seconds of a change, not without '
              'one', t_file_change)
        check('writeToFile writes with its mode; plugin runs without a shell, output trimmed, '
              'never logged', t_write_plugin)
        check('plugin: after 30 s its process group is killed and the template fails',
              t_plugin_timeout)
    finally:
        sim.stop()
    failed = done()
    if failed == failed_before:
        al.rmtree(root)
    else:
        print('# work directory kept: %s' % root)
    return failed


if __name__ == '__main__':
    sys.exit(main())
