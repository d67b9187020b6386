#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultlet-agent as a sidecar, soaked against the Vault simulator.

The agent renders the seed's two templates with
static_secret_render_interval D = 1 s while, for --duration seconds (30 in
the test command, 600 by hand), the simulator:
  - rotates the secret every 5 s (a new KV version, new values);
  - answers a burst of 500s (5 reads), and 429 with Retry-After: 2 (3
    requests);
  - is sealed for a while (15 s; 3 s in a short run);
  - has the agent's token revoked behind its back;
  - is down (every connection reset) for 20 s (a fifth of a short run).
Every disruption also rotates the secret as it starts, so the newest version
at its end is one the agent could not have read before. The long run repeats
burst, 429 and one of sealed/revoke/down every minute; a short run does each
once, one after the other.

Checked, one TAP point each:
  - a reader polling both files never sees anything but a complete
    rendering of a version that was written (no torn, empty or missing file
    once the first rendering is in);
  - no request to a path comes sooner than the Retry-After of its 429;
  - after every disruption the newest version (the one current when Vault
    recovered) is in both files within D + slack of the recovery. Vault
    recovers when the last 500/429 was answered (from the simulator's
    request log; for a 429, that plus its Retry-After, which the agent must
    honour), when it is unsealed, when it is back up, or (revoked token) at
    the revocation. The slack, for a loaded machine, is 1 s in a run of 5
    minutes or more and 3 s in a shorter one (--slack overrides);
  - the agent is still running at the end (exit_on_retry_failure is on, as
    the injector sets it); its RSS and fd count are flat after the warm-up
    (one sample every second, or every 10 s over 120 s; the curve is
    printed);
  - no secret value, Vault token or JWT in the agent's log.
Printed: every recovery delay, their median and maximum, the RSS/fd curve
and the number of file reads.

usage: soak.py [--duration S] [--slack S]   (env VAULTLET_AGENT_BIN, VAULTLET_BUILD_ROOT)
"""
import argparse
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agentlib as al  # noqa: E402

T = al.TAP()
RSS_SLACK_KIB = 1024
FD_SLACK = 3
INTERVAL = 1.0  # static_secret_render_interval, s
BURST_500 = 5
THROTTLE_429 = 3
RETRY_AFTER = 2
GAP = 1.0  # s between one disruption's recovery and the next one's start, at least


def secret_v(n):
    return {'master_key': 'sk-FAKE-soak-master-%06d-5d3f0a9c' % n,
            'openrouter_api_key': 'sk-or-v1-FAKE-soak-%06d-8e7d6c5b' % n,
            'db_password': 'pw-FAKE-soak-%06d-Qz7Lm2' % n}


def proc_sample(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            rss = int([l for l in f if l.startswith('VmRSS:')][0].split()[1])
        return rss, len(os.listdir('/proc/%d/fd' % pid))
    except (OSError, IndexError):
        return None


class Watcher(threading.Thread):
    """Reads both files in a loop; every content must be a whole rendering.
    Records when each file first showed each newer version."""

    def __init__(self, paths):
        super().__init__(daemon=True)
        self.paths = paths
        self.valid = {p: {} for p in paths}  # content -> version
        self.lock = threading.Lock()
        self.bad = []
        self.seen = {p: 0 for p in paths}  # newest version seen
        self.timeline = {p: [] for p in paths}  # (monotonic, version), versions rising
        self.first = False
        self.stop = threading.Event()
        self.reads = 0

    def allow(self, n, s):
        with self.lock:
            self.valid[self.paths[0]][al.expected_app_credentials(s)] = n
            self.valid[self.paths[1]][al.expected_config_yaml(s)] = n

    def shown_at(self, v):
        """When both files first showed version v or newer (None: not yet)."""
        with self.lock:
            ts = []
            for p in self.paths:
                t = next((t for t, x in self.timeline[p] if x >= v), None)
                if t is None:
                    return None
                ts.append(t)
        return max(ts)

    def run(self):
        while not self.stop.is_set():
            for p in self.paths:
                try:
                    with open(p) as f:
                        text = f.read()
                except FileNotFoundError:
                    if self.first and len(self.bad) < 20:
                        self.bad.append('%s missing' % os.path.basename(p))
                    continue
                now = time.monotonic()
                self.reads += 1
                with self.lock:
                    v = self.valid[p].get(text)
                    if v is not None and v > self.seen[p]:
                        self.seen[p] = v
                        self.timeline[p].append((now, v))
                if v is None and len(self.bad) < 20:
                    self.bad.append('%s: %d bytes not a whole rendering' %
                                    (os.path.basename(p), len(text)))
            if all(self.seen.values()):
                self.first = True
            time.sleep(0.005)


def schedule(dur):
    """[(planned start s, kind, length s)], in order."""
    if dur >= 300:
        events = []
        for m in range(int(dur // 60)):
            t0 = 60.0 * m
            events += [(t0 + 10, 'burst500', 0), (t0 + 20, 'throttle429', 0)]
            events.append((t0 + 30,) + (('sealed', 15.0), ('revoke', 0), ('down', 20.0))[m % 3])
        return events
    return [(2, 'burst500', 0), (6, 'throttle429', 0), (13, 'sealed', 3.0),
            (17, 'revoke', 0), (19, 'down', dur / 5)]


class Soak:
    def __init__(self, sim, watcher, written, start):
        self.sim = sim
        self.watcher = watcher
        self.written = written
        self.start = start
        self.versions = [(start, 1)]  # (monotonic, version now current)
        self.version = 1
        self.recoveries = []  # (kind, start s, recovered s, version, delay s or None)
        self.early = []  # requests sooner than a 429's Retry-After

    def rotate(self):
        self.version += 1
        v = self.version
        self.written[v] = secret_v(v)
        self.watcher.allow(v, self.written[v])
        self.sim.control('kv', {'mount': 'secret/', 'path': 'litellm/secrets',
                                'data': self.written[v]})
        self.versions.append((time.monotonic(), v))

    def version_at(self, t):
        return max(v for tv, v in self.versions if tv <= t)

    def fault_gone(self, fid):
        return all(f['id'] != fid for f in self.sim.control('faults', method='GET')['faults'])

    def last_hit(self, fid):
        """Monotonic time of the last request answered by fault fid."""
        mark = 'status:%d' % fid
        reqs = self.sim.requests()
        wall, mono = time.time(), time.monotonic()
        hits = [r['time'] for r in reqs if r.get('fault') == mark]
        return mono - (wall - max(hits)) if hits else None

    def early_after_429(self, fid):
        """Requests to a path sooner than Retry-After after its 429 (fault
        fid), as 'path: gap' strings; then clears the simulator's log."""
        mark = 'status:%d' % fid
        reqs = sorted(self.sim.requests(), key=lambda r: r['seq'])
        self.sim.clear_requests()
        early = []
        for i, r in enumerate(reqs):
            if r.get('fault') != mark:
                continue
            nxt = next((x for x in reqs[i + 1:] if x['path'] == r['path']), None)
            if nxt and nxt['time'] - r['time'] < RETRY_AFTER - 0.05:
                early.append('%s: %.2fs' % (r['path'].split('?')[0], nxt['time'] - r['time']))
        return early


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--duration', type=float, default=30)
    ap.add_argument('--slack', type=float, default=None,
                    help='s allowed beyond the interval for the newest version to show '
                         '(default 1 for runs of 300 s or more, else 3)')
    a = ap.parse_args()
    dur = max(a.duration, 30.0)
    slack = a.slack if a.slack is not None else (1.0 if dur >= 300 else 3.0)
    bound = INTERVAL + slack
    for what, path in (('vaultlet-agent', al.AGENT), ('the Vault simulator', al.VAULTSIM)):
        if not os.path.exists(path):
            print('not ok 1 - %s is at %s\n1..1' % (what, path))
            return 1
    with open(al.AGENT, 'rb') as f:
        asan = b'__asan_init' in f.read()
    root = al.workdir()
    pki = al.make_pki(root)
    signer = al.JWTSigner()
    sim = al.Sim(root, pki, signer).start()
    agent = None
    watcher = None
    try:
        sim.seed_litellm(signer, secret=secret_v(1))
        secrets = os.path.join(root, 'secrets')
        home = os.path.join(root, 'home')
        os.makedirs(home)
        jwt_path = os.path.join(root, 'token')
        jwt = signer.mint()
        with open(jwt_path, 'w') as f:
            f.write(jwt + '\n')
        cfg = al.agent_config(sim.addr, pki['ca'], jwt_path, home, secrets, init=False,
                              template_config={'static_secret_render_interval': '%ds' %
                                               INTERVAL})
        paths = [os.path.join(secrets, 'app-credentials.sh'),
                 os.path.join(secrets, 'config.yaml')]
        watcher = Watcher(paths)
        written = {1: secret_v(1)}
        watcher.allow(1, secret_v(1))
        watcher.start()
        agent = al.Agent(cfg, os.path.join(root, 'agent.log'),
                         env_extra={'VAULT_LOG_LEVEL': 'info'})
        ok = al.wait_for(lambda: watcher.first, 30)
        T.ok(ok, 'the sidecar renders both files', agent.text()[-2000:])
        if not ok:
            return T.done()

        start = time.monotonic()
        soak = Soak(sim, watcher, written, start)
        sim.clear_requests()
        events = schedule(dur)
        samples = []
        sample_every = 10.0 if dur >= 120 else 1.0
        next_sample = start
        next_rotate = start + 5
        # the disruption in progress: kind, start, end (planned), fault id, phase
        cur = None
        free_at = start  # the next disruption may start from here on
        hard_end = start + dur + 120
        while True:
            now = time.monotonic()
            t = now - start
            if agent.proc.poll() is not None or now > hard_end:
                break
            if t >= dur and not events and cur is None:
                break
            if now >= next_rotate:
                soak.rotate()
                next_rotate += 5
            if cur is None and events and t >= events[0][0] and now >= free_at:
                planned, kind, length = events.pop(0)
                cur = {'kind': kind, 'start': now, 'end': now + length, 'fid': None,
                       'recovered': None}
                if kind == 'burst500':
                    cur['fid'] = sim.control('faults', {'status': 500, 'count': BURST_500,
                                                        'path_prefix': '/v1/secret/'})['id']
                elif kind == 'throttle429':
                    cur['fid'] = sim.control('faults', {'status': 429, 'count': THROTTLE_429,
                                                        'retry_after': RETRY_AFTER,
                                                        'path_prefix': '/v1/'})['id']
                elif kind == 'sealed':
                    sim.control('seal')
                elif kind == 'revoke':
                    sim.control('tokens/revoke', {'role': 'litellm-role',
                                                  'mount': 'kubernetes'})
                elif kind == 'down':
                    sim.control('faults', {'action': 'reset', 'count': -1,
                                           'path_prefix': '/v1/'})
                soak.rotate()
                if kind == 'revoke':  # Vault is fine; the agent must log in again
                    cur['recovered'] = time.monotonic()
            if cur is not None and cur['recovered'] is None:
                if cur['fid'] is not None:
                    if soak.fault_gone(cur['fid']):
                        rec = soak.last_hit(cur['fid'])
                        if rec is None:  # not expected: the fault was consumed
                            rec = now
                        if cur['kind'] == 'throttle429':
                            rec += RETRY_AFTER
                        cur['recovered'] = rec
                elif now >= cur['end']:
                    # from just before the call: the agent may read the
                    # moment Vault is back, before the call returns here
                    cur['recovered'] = time.monotonic()
                    if cur['kind'] == 'sealed':
                        sim.control('unseal')
                    else:
                        sim.control('faults', method='DELETE')
            if cur is not None and cur['recovered'] is not None and \
                    now >= cur['recovered']:
                v = soak.version_at(cur['recovered'])
                shown = watcher.shown_at(v)
                if shown is not None or now > cur['recovered'] + 30:
                    delay = None if shown is None else max(0.0, shown - cur['recovered'])
                    if cur['kind'] == 'throttle429':
                        soak.early += soak.early_after_429(cur['fid'])
                    else:
                        sim.clear_requests()
                    soak.recoveries.append((cur['kind'], cur['start'] - start,
                                            cur['recovered'] - start, v, delay))
                    cur = None
                    free_at = now + GAP
            if now >= next_sample:
                s = proc_sample(agent.proc.pid)
                if s:
                    samples.append((round(t), s[0], s[1]))
                next_sample += sample_every
            time.sleep(0.1 if cur is not None and cur['fid'] is not None else 0.05)
        final = soak.version
        settled = al.wait_for(lambda: min(watcher.seen.values()) >= final, 30)
        watcher.stop.set()
        watcher.join()
        alive = agent.proc.poll() is None
        T.ok(alive, 'the agent is still running after %d s of faults' % dur, agent.text()[-3000:])
        T.ok(not watcher.bad and watcher.reads > 100,
             'every read of the files (%d) was a whole rendering of a written version' %
             watcher.reads, '\n'.join(watcher.bad))
        kinds = ('burst500', 'throttle429', 'sealed', 'revoke', 'down')
        delays = [r[4] for r in soak.recoveries if r[4] is not None]
        late = [r for r in soak.recoveries if r[4] is None or r[4] > bound]
        done = {r[0] for r in soak.recoveries}
        print('# recoveries (disruption, start s, Vault recovered s, newest version then, '
              'seconds until it was in both files): %s' %
              '; '.join('%s %.1f %.1f v%d %s' % (r[0], r[1], r[2], r[3],
                                                 'never' if r[4] is None else '%.2f' % r[4])
                        for r in soak.recoveries))
        if delays:
            print('# recovery delays: n=%d median %.2f s, max %.2f s (bound %.1f s); per kind: %s'
                  % (len(delays), statistics.median(delays), max(delays), bound,
                     ', '.join('%s max %.2f' % (k, max(r[4] for r in soak.recoveries
                                                       if r[0] == k and r[4] is not None))
                               for k in kinds if any(r[0] == k and r[4] is not None
                                                     for r in soak.recoveries))))
        T.ok(not late and all(k in done for k in kinds) and not events,
             'after every disruption (%d: %s) the newest version is in both files within '
             'the interval + %.1f s slack = %.1f s of Vault recovering' %
             (len(soak.recoveries), ', '.join(k for k in kinds if k in done), slack, bound),
             'late: %r; not run: %r' % (late, events))
        T.ok(not soak.early and 'throttle429' in done,
             'no request to a path sooner than Retry-After (%d s) after its 429' % RETRY_AFTER,
             '; '.join(soak.early))
        T.ok(settled, 'the last version (%d) is rendered at the end' % final,
             'seen %r' % watcher.seen)
        print('# samples (s, RSS KiB, fds): %s' % ' '.join('%d:%d/%d' % x for x in samples))
        warm = [x for x in samples if x[0] >= min(10, dur / 3)]
        if len(warm) >= 3:
            base_rss = max(x[1] for x in warm[:max(1, len(warm) // 3)])
            base_fds = max(x[2] for x in warm[:max(1, len(warm) // 3)])
            last = warm[-max(1, len(warm) // 3):]
            # AddressSanitizer's quarantine holds freed memory on purpose
            rss_ok = asan or max(x[1] for x in last) <= base_rss + RSS_SLACK_KIB
            T.ok(rss_ok and max(x[2] for x in last) <= base_fds + FD_SLACK,
                 'RSS and fds flat after the warm-up (last third within %d KiB / %d fds of '
                 'the first)%s' % (RSS_SLACK_KIB, FD_SLACK,
                                   ' (fds only: an ASan build)' if asan else ''),
                 'first third peak %d KiB / %d fds, last third %r' % (base_rss, base_fds, last))
        else:
            T.ok(False, 'RSS and fds sampled', repr(samples))
        agent.signal()
        agent.wait(20)
        log = agent.text()
        leaks = []
        for n, s in written.items():
            for k, val in s.items():
                if val in log:
                    leaks.append('%s of version %d' % (k, n))
        if jwt in log or jwt.split('.')[1] in log:
            leaks.append('the JWT')
        for line in log.splitlines():
            for pfx in ('hvs.', 'hvb.'):
                i = line.find(pfx)
                if i >= 0 and len(line) > i + 20 and line[i + 4:i + 20].isalnum():
                    leaks.append('a token-like string: %s' % line[:i + 6])
        T.ok(not leaks, 'no secret value, token or JWT in the agent log (%d lines)' %
             len(log.splitlines()), '\n'.join(leaks[:10]))
    finally:
        if watcher:
            watcher.stop.set()
        if agent:
            agent.kill()
        sim.stop()
        al.rmtree(root)
    return T.done()


if __name__ == '__main__':
    sys.exit(main())
