#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultlet-agent's retries after Vault errors, against the simulator (TAP).

Issue 12: once Vault answers again, the newest version must be in the files
within static_secret_render_interval (D), whatever backoff the errors built
up; Retry-After must still be honoured, a Vault that stays down must not be
hammered, and the retries must not run out sooner than consul-template's
schedule would. Each scenario runs its own sidecar with D = 1 s:

  500      auto_auth min_backoff 10 s (Vault Agent makes it the template
           retry's base too): three 500s make one whole read fail (the HTTP
           client's two retries included). The rotated version is in the
           file within D + 3 s of the last 500, and the HTTP client's
           retries come within D + 0.75 s of each other. (Before: the next
           read came 10 s later, the client's second retry 2-3 s later.)
  429      three 429s with Retry-After: 3: no request to the path sooner
           than 3 s after one of them, and the version is in the file within
           D + 3 s of the last 429's Retry-After. (Before: the fetch retry
           came 0.25 s after the third 429.)
  down     num_retries 4, min_backoff = max_backoff = 5 s (a retry budget
           of 20 s), exit_on_retry_failure: while every connection is reset
           the agent asks at most about once per 0.85·D; after 12 s down it
           is still running and has the newest version within D + 3 s of
           Vault coming back; down again, it gives up (exit 1) no sooner
           than 20 s after its first failure.

The 3 s of slack are for a loaded machine; the delays are printed.
usage: test-agent-retry.py   (env VAULTLET_AGENT_BIN, VAULTLET_BUILD_ROOT)
"""
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agentlib as al  # noqa: E402

T = al.TAP()
D = 1.0
SLACK = 3.0
PATH = '/v1/secret/data/litellm/secrets'


def secret_v(tag, n):
    return {'master_key': 'sk-FAKE-retry-%s-%03d-0b1c2d3e' % (tag, n),
            'openrouter_api_key': 'sk-or-v1-FAKE-retry-%s-%03d-4f5a6b7c' % (tag, n),
            'db_password': 'pw-FAKE-retry-%s-%03d-8d9e' % (tag, n)}


class Case:
    """One sidecar against the shared simulator."""

    def __init__(self, root, name, sim, signer, method_extra=None, extra=None):
        self.name = name
        self.sim = sim
        self.dir = os.path.join(root, name)
        home = os.path.join(self.dir, 'home')
        os.makedirs(home)
        self.app = os.path.join(self.dir, 'secrets', 'app-credentials.sh')
        jwt_path = os.path.join(self.dir, 'token')
        self.jwt = signer.mint()
        with open(jwt_path, 'w') as f:
            f.write(self.jwt + '\n')
        self.written = []
        self.n = 0
        self.rotate()
        cfg = al.agent_config(sim.addr, sim.pki['ca'], jwt_path, home,
                              os.path.join(self.dir, 'secrets'), init=False,
                              method_extra=method_extra, extra=extra,
                              template_config={'static_secret_render_interval': '1s'})
        self.agent = al.Agent(cfg, os.path.join(self.dir, 'agent.log'),
                              env_extra={'VAULT_LOG_LEVEL': 'info'})

    def rotate(self):
        self.n += 1
        s = secret_v(self.name, self.n)
        self.written.append(s)
        self.sim.control('kv', {'mount': 'secret/', 'path': 'litellm/secrets', 'data': s})
        return s

    def shows(self, s):
        return al.read(self.app) == al.expected_app_credentials(s)

    def wait_shown(self, s, timeout):
        """Monotonic time when the file first showed s (polled every 10 ms), or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.shows(s):
                return time.monotonic()
            if self.agent.proc.poll() is not None:
                return None
            time.sleep(0.01)
        return None

    def stop(self):
        self.agent.signal()
        self.agent.wait(10)
        self.agent.kill()
        return self.agent.text()


def mono(wall):
    """A simulator log time (time.time()) on the monotonic clock."""
    return time.monotonic() - (time.time() - wall)


def fault_done(sim, fid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(f['id'] != fid for f in sim.control('faults', method='GET')['faults']):
            return True
        time.sleep(0.1)
    return False


def t_500(root, sim, signer):
    c = Case(root, '500', sim, signer, method_extra={'min_backoff': '10s', 'max_backoff': '20s'})
    try:
        ok = c.wait_shown(c.written[-1], 20) is not None
        T.ok(ok, '500: the sidecar renders', c.agent.text()[-2000:])
        if not ok:
            return c.stop()
        sim.clear_requests()
        fid = sim.control('faults', {'status': 500, 'count': 3, 'path_prefix': PATH})['id']
        s = c.rotate()
        shown = c.wait_shown(s, 30)
        reqs = [r for r in sim.requests() if r['path'].startswith(PATH)]
        hits = [r for r in reqs if r.get('fault') == 'status:%d' % fid]
        rec = mono(hits[-1]['time']) if len(hits) == 3 else None
        delay = shown - rec if shown is not None and rec is not None else None
        T.ok(delay is not None and delay <= D + SLACK,
             '500: three 500s (one whole read failed), min_backoff 10 s: the new version is in '
             'the file %s s after the last 500 (at most D + %g s)' %
             ('never' if delay is None else '%.2f' % delay, SLACK),
             repr([(r['status'], round(r['time'] % 100, 2)) for r in reqs]))
        gaps = [b['time'] - a['time'] for a, b in zip(hits, hits[1:])]
        T.ok(len(gaps) == 2 and max(gaps) <= D + 0.75,
             "500: the HTTP client's retries come within D + 0.75 s of each other (%s)" %
             ', '.join('%.2f s' % g for g in gaps))
    finally:
        sim.control('faults', method='DELETE')
        log = c.stop()
    return log


def t_429(root, sim, signer):
    c = Case(root, '429', sim, signer)
    ra = 3
    try:
        ok = c.wait_shown(c.written[-1], 20) is not None
        T.ok(ok, '429: the sidecar renders', c.agent.text()[-2000:])
        if not ok:
            return c.stop()
        sim.clear_requests()
        fid = sim.control('faults', {'status': 429, 'count': 3, 'retry_after': ra,
                                     'path_prefix': PATH})['id']
        s = c.rotate()
        shown = c.wait_shown(s, 40)
        reqs = [r for r in sim.requests() if r['path'].startswith(PATH)]
        idx = [i for i, r in enumerate(reqs) if r.get('fault') == 'status:%d' % fid]
        gaps = [reqs[i + 1]['time'] - reqs[i]['time'] for i in idx if i + 1 < len(reqs)]
        T.ok(len(idx) == 3 and len(gaps) == 3 and min(gaps) >= ra - 0.05,
             '429: every request after a 429 waits its Retry-After of %d s (%s)' %
             (ra, ', '.join('%.2f s' % g for g in gaps)),
             repr([(r['status'], round(r['time'] % 100, 2)) for r in reqs]))
        rec = mono(reqs[idx[-1]]['time']) + ra if len(idx) == 3 else None
        delay = shown - rec if shown is not None and rec is not None else None
        T.ok(delay is not None and delay <= D + SLACK,
             '429: the new version is in the file %s s after the last Retry-After ended '
             '(at most D + %g s)' % ('never' if delay is None else '%.2f' % delay, SLACK))
    finally:
        sim.control('faults', method='DELETE')
        log = c.stop()
    return log


def t_down(root, sim, signer):
    extra = {'vault': {'address': sim.addr, 'ca_cert': sim.pki['ca'],
                       'retry': {'num_retries': 4}}}
    c = Case(root, 'down', sim, signer, extra=extra,
             method_extra={'min_backoff': '5s', 'max_backoff': '5s'})
    budget = 4 * 5.0
    try:
        ok = c.wait_shown(c.written[-1], 20) is not None
        T.ok(ok, 'down: the sidecar renders', c.agent.text()[-2000:])
        if not ok:
            return c.stop()
        sim.clear_requests()
        sim.control('faults', {'action': 'reset', 'count': -1, 'path_prefix': '/v1/'})
        s = c.rotate()
        time.sleep(12)
        alive = c.agent.proc.poll() is None
        sim.control('faults', method='DELETE')
        back = time.monotonic()
        reqs = [r for r in sim.requests() if r['status'] == 'reset']
        shown = c.wait_shown(s, 20)
        # libcurl resends at once a request whose kept-alive connection died
        # without an answer (the first reset): that gap is not the agent's
        gaps = [b['time'] - a['time'] for a, b in zip(reqs, reqs[1:])
                if a['conn_request'] == 1]
        T.ok(alive and len(reqs) >= 5 and len(reqs) <= 12 / (0.85 * D) + 2 and
             gaps and min(gaps) >= 0.5,
             'down: %d requests in 12 s of resets, none within 0.5 s of the previous one '
             '(at most about one per 0.85·D)' % len(reqs),
             repr([(r['conn_request'], round(r['time'] % 100, 2)) for r in reqs]))
        delay = shown - back if shown is not None else None
        T.ok(alive and delay is not None and delay <= D + SLACK,
             'down: still running after 12 s down (retry budget %g s); the new version is in '
             'the file %s s after Vault is back (at most D + %g s)' %
             (budget, 'never' if delay is None else '%.2f' % delay, SLACK), c.agent.text()[-2000:])
        sim.clear_requests()
        sim.control('faults', {'action': 'reset', 'count': -1, 'path_prefix': '/v1/'})
        c.rotate()
        rc = c.agent.wait(budget + 25)
        ended = time.monotonic()
        reqs = [r for r in sim.requests() if r['status'] == 'reset']
        took = ended - mono(reqs[0]['time']) if reqs else 0
        log = c.agent.text()
        T.ok(rc == 1 and 'giving up on secret' in log and budget <= took <= budget + 20,
             'down: Vault staying down, the agent gives up (exit 1) %.1f s after its first '
             'failed request (not before the %g s budget)' % (took, budget),
             'rc %r\n%s' % (rc, log[-2000:]))
    finally:
        sim.control('faults', method='DELETE')
        log = c.stop()
    return log


def main():
    for what, path in (('vaultlet-agent', al.AGENT), ('the Vault simulator', al.VAULTSIM)):
        if not os.path.exists(path):
            print('not ok 1 - %s is at %s\n1..1' % (what, path))
            return 1
    root = al.workdir()
    pki = al.make_pki(root)
    signer = al.JWTSigner()
    sim = al.Sim(root, pki, signer).start()
    logs = []
    cases = []
    try:
        sim.seed_litellm(signer, secret=secret_v('seed', 0))
        for fn in (t_500, t_429, t_down):
            t0 = time.monotonic()
            logs.append(fn(root, sim, signer))
            print('# %s took %.1f s' % (fn.__name__, time.monotonic() - t0))
        cases = [v for tag in ('500', '429', 'down') for n in range(1, 6)
                 for v in secret_v(tag, n).values()]
        leaks = [v for v in cases if any(v in (log or '') for log in logs)]
        T.ok(not leaks, 'no secret value in the agent logs', '\n'.join(leaks[:5]))
    finally:
        sim.stop()
        if T.failed == 0:
            al.rmtree(root)
        else:
            print('# work directory kept: %s' % root)
    return T.done()


if __name__ == '__main__':
    sys.exit(main())
