#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vaultlet-agent as a sidecar, soaked against the Vault simulator.

The agent renders the seed's two templates with
static_secret_render_interval 1s while, for --duration seconds (30 in the
test command, 600 by hand), the simulator:
  - rotates the secret every 5 s (a new KV version, new values);
  - answers bursts of 500s, and 429 with Retry-After;
  - is sealed for a while;
  - has the agent's token revoked behind its back;
  - is down (every connection reset) for 20 s (a fifth of the run when
    shorter).
Checked, one TAP point each:
  - a reader polling both files never sees anything but a complete
    rendering of a version that was written (no torn, empty or missing
    file once the first rendering is in);
  - after every disruption ends, the newest version is rendered (the time
    it took is printed; the long run's are reported by hand);
  - the agent is still running at the end; its RSS and fd count are flat
    after the warm-up (one sample every second, or every 10 s over 120 s;
    the curve is printed);
  - no secret value, Vault token or JWT in the agent's log.

usage: soak.py [--duration S]   (env VAULTLET_AGENT_BIN, VAULTLET_BUILD_ROOT)
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agentlib as al  # noqa: E402

T = al.TAP()
RSS_SLACK_KIB = 1024
FD_SLACK = 3


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
    """Reads both files in a loop; every content must be a whole rendering."""

    def __init__(self, paths):
        super().__init__(daemon=True)
        self.paths = paths
        self.valid = {p: {} for p in paths}  # content -> version
        self.lock = threading.Lock()
        self.bad = []
        self.seen = {p: 0 for p in paths}  # newest version seen
        self.first = False
        self.stop = threading.Event()
        self.reads = 0

    def allow(self, n, s):
        with self.lock:
            self.valid[self.paths[0]][al.expected_app_credentials(s)] = n
            self.valid[self.paths[1]][al.expected_config_yaml(s)] = n

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
                self.reads += 1
                with self.lock:
                    v = self.valid[p].get(text)
                if v is None:
                    if len(self.bad) < 20:
                        self.bad.append('%s: %d bytes not a whole rendering' %
                                        (os.path.basename(p), len(text)))
                    continue
                self.seen[p] = max(self.seen[p], v)
            if all(self.seen.values()):
                self.first = True
            time.sleep(0.005)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--duration', type=float, default=30)
    a = ap.parse_args()
    dur = max(a.duration, 30.0)
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
        version = 1
        sim.seed_litellm(signer, secret=secret_v(version))
        secrets = os.path.join(root, 'secrets')
        home = os.path.join(root, 'home')
        os.makedirs(home)
        jwt_path = os.path.join(root, 'token')
        jwt = signer.mint()
        with open(jwt_path, 'w') as f:
            f.write(jwt + '\n')
        cfg = al.agent_config(sim.addr, pki['ca'], jwt_path, home, secrets, init=False,
                              template_config={'static_secret_render_interval': '1s'})
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

        # the schedule, scaled to the duration: (start, end, what)
        down = 20.0 if dur >= 300 else dur / 5
        if dur >= 300:
            events = []
            for m in range(int(dur // 60)):
                t0 = 60.0 * m
                events += [(t0 + 10, t0 + 10, 'burst500'), (t0 + 20, t0 + 20, 'throttle429')]
                if m % 3 == 0:
                    events.append((t0 + 30, t0 + 45, 'sealed'))
                elif m % 3 == 1:
                    events.append((t0 + 30, t0 + 30, 'revoke'))
                else:
                    events.append((t0 + 30, t0 + 30 + down, 'down'))
        else:
            events = [(2, 2, 'burst500'), (5, 5, 'throttle429'), (8, 11, 'sealed'),
                      (13, 13, 'revoke'), (16, 16 + down, 'down')]
        events.sort()
        start = time.monotonic()
        samples = []
        sample_every = 10.0 if dur >= 120 else 1.0
        next_sample = start
        next_rotate = start + 5
        pending = list(events)
        active = []  # (end, what)
        recoveries = []  # (what, seconds until the newest version showed)
        waiting = []  # (what, since, version)
        while time.monotonic() - start < dur:
            now = time.monotonic()
            t = now - start
            if agent.proc.poll() is not None:
                break
            if now >= next_rotate:
                version += 1
                written[version] = secret_v(version)
                watcher.allow(version, written[version])
                sim.control('kv', {'mount': 'secret/', 'path': 'litellm/secrets',
                                   'data': written[version]})
                next_rotate += 5
            while pending and pending[0][0] <= t:
                t0, t1, what = pending.pop(0)
                if what == 'burst500':
                    sim.control('faults', {'status': 500, 'count': 5,
                                           'path_prefix': '/v1/secret/'})
                    waiting.append((what, now, version))
                elif what == 'throttle429':
                    sim.control('faults', {'status': 429, 'count': 3, 'retry_after': 2,
                                           'path_prefix': '/v1/'})
                    waiting.append((what, now, version))
                elif what == 'sealed':
                    sim.control('seal')
                    active.append((t1, what))
                elif what == 'revoke':
                    sim.control('tokens/revoke', {'role': 'litellm-role',
                                                  'mount': 'kubernetes'})
                    waiting.append((what, now, version))
                elif what == 'down':
                    sim.control('faults', {'action': 'reset', 'count': -1,
                                           'path_prefix': '/v1/'})
                    active.append((t1, what))
            for item in list(active):
                if item[0] <= t:
                    active.remove(item)
                    if item[1] == 'sealed':
                        sim.control('unseal')
                    else:
                        sim.control('faults', method='DELETE')
                    waiting.append((item[1], now, version))
            for w in list(waiting):
                what, since, v = w
                if min(watcher.seen.values()) >= v:
                    recoveries.append((what, round(now - since, 2)))
                    waiting.remove(w)
            if now >= next_sample:
                s = proc_sample(agent.proc.pid)
                if s:
                    samples.append((round(t), s[0], s[1]))
                next_sample += sample_every
            time.sleep(0.05)
        # let the last disruption settle, then the last version must show
        final = version
        settled = al.wait_for(lambda: min(watcher.seen.values()) >= final and not waiting or
                              all(min(watcher.seen.values()) >= w[2] for w in waiting), 60)
        now = time.monotonic()
        for what, since, v in waiting:
            if min(watcher.seen.values()) >= v:
                recoveries.append((what, round(now - since, 2)))
        watcher.stop.set()
        watcher.join()
        alive = agent.proc.poll() is None
        T.ok(alive, 'the agent is still running after %d s of faults' % dur, agent.text()[-3000:])
        T.ok(not watcher.bad and watcher.reads > 100,
             'every read of the files (%d) was a whole rendering of a written version' %
             watcher.reads, '\n'.join(watcher.bad))
        T.ok(settled and min(watcher.seen.values()) >= final,
             'after every disruption the newest version is rendered (the last one: %d)' % final,
             'seen %r, waiting %r' % (watcher.seen, waiting))
        print('# recoveries (disruption, seconds from its end until the newest version '
              'was in both files): %s' % ', '.join('%s %.2f' % r for r in recoveries))
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
