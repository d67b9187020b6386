#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark of vaultlet-agent (issue 5), all figures in one run.

Against the Vault simulator on loopback with TLS, init mode rendering the
two LiteLLM files, median of N runs (default 11), interleaved:

  floor          bench/agent/floor.c: the same two HTTPS requests (login,
                 read) with the same libcurl/OpenSSL, one file written
  vaultlet-agent init mode (VAULT_CONFIG), both LiteLLM files
  shell way      bench/agent/shell-way.sh: curl + jq + sed, both files
  sidecar idle   vaultlet-agent sidecar idle for IDLE seconds (default 60):
                 RSS at start and end, voluntary context switches (wake-ups)

All files (outputs, token sink, status) go to tmpfs (/dev/shm), as in the
pod, where /vault/secrets and /home/vault are emptyDir volumes of medium
Memory: on a disk every fsync of the atomic writes would cost milliseconds
that a pod does not pay.

Peak RSS from GNU time (/usr/bin/time -v, "Maximum resident set size": the
largest single process for the shell way). Usage:
  /usr/bin/python3 bench/agent/bench.py [--build DIR] [--runs N] [--idle S]
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(SRC, 'tests', 'agent'))


def gnu_time(argv, env=None):
    out = subprocess.run(['/usr/bin/time', '-v'] + argv, env=env, capture_output=True,
                         text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError('%s failed (%d): %s' % (argv[0], out.returncode, out.stderr[-2000:]))
    rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', out.stderr).group(1))
    wall = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)', out.stderr).group(1)
    parts = [float(p) for p in wall.split(':')]
    secs = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
    return rss, secs


def wall_and_rss(argv, env=None):
    """Wall time measured here (ms precision), peak RSS from GNU time."""
    t0 = time.monotonic()
    rss, _ = gnu_time(argv, env)
    return rss, time.monotonic() - t0


def proc_field(pid, key):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(key + ':'):
                return int(line.split()[1])
    return -1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(SRC, 'build'))
    ap.add_argument('--runs', type=int, default=11)
    ap.add_argument('--idle', type=int, default=60)
    args = ap.parse_args()
    os.environ['VAULTLET_BUILD_ROOT'] = args.build
    import agentlib as al

    # /vault/secrets and /home/vault are emptyDir volumes with medium Memory
    # in the pod: tmpfs. Put every file of every contender on tmpfs too.
    shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
    work = tempfile.mkdtemp(prefix='vaultlet-bench.', dir=shm)
    floor = os.path.join(work, 'floor')
    subprocess.run(['cc', '-O2', '-o', floor, os.path.join(HERE, 'floor.c'), '-lcurl'],
                   check=True)
    pki = al.make_pki(work)
    signer = al.JWTSigner()
    sim = al.Sim(work, pki, signer).start()
    results = {'floor': [], 'agent': [], 'shell': []}
    try:
        sim.seed_litellm(signer)
        jwt = os.path.join(work, 'token')
        with open(jwt, 'w') as f:
            f.write(signer.mint(ttl=7200) + '\n')
        home = os.path.join(work, 'home')
        os.makedirs(home)
        for i in range(args.runs):
            out = os.path.join(work, 'run%d' % i)
            os.makedirs(out)
            results['floor'].append(wall_and_rss(
                [floor, sim.addr, pki['ca'], jwt, 'litellm-role',
                 'secret/data/litellm/secrets', os.path.join(out, 'floor.json')]))
            cfg = al.agent_config(sim.addr, pki['ca'], jwt, home, os.path.join(out, 'agent'))
            env = dict(os.environ, VAULT_CONFIG=al.vault_config_env(cfg),
                       VAULT_LOG_LEVEL='warn')
            results['agent'].append(wall_and_rss([al.AGENT], env))
            results['shell'].append(wall_and_rss(
                [os.path.join(HERE, 'shell-way.sh'), sim.addr, pki['ca'], jwt,
                 os.path.join(out, 'shell')]))
            for name in ('app-credentials.sh', 'config.yaml'):
                a = al.read(os.path.join(out, 'agent', name))
                s = al.read(os.path.join(out, 'shell', name))
                if a is None or a != s:
                    raise RuntimeError('run %d: %s differs between agent and shell way' % (i, name))

        # sidecar idle
        out = os.path.join(work, 'idle')
        cfg = al.agent_config(sim.addr, pki['ca'], jwt, home, out, init=False)
        env = dict(os.environ, VAULT_CONFIG=al.vault_config_env(cfg), VAULT_LOG_LEVEL='warn')
        p = subprocess.Popen([al.AGENT], env=env, stderr=subprocess.DEVNULL)
        al.wait_for(lambda: os.path.exists(os.path.join(out, 'config.yaml')), 20)
        time.sleep(1)
        rss0 = proc_field(p.pid, 'VmRSS')
        sw0 = proc_field(p.pid, 'voluntary_ctxt_switches')
        nsw0 = proc_field(p.pid, 'nonvoluntary_ctxt_switches')
        time.sleep(args.idle)
        rss1 = proc_field(p.pid, 'VmRSS')
        sw1 = proc_field(p.pid, 'voluntary_ctxt_switches')
        nsw1 = proc_field(p.pid, 'nonvoluntary_ctxt_switches')
        hwm = proc_field(p.pid, 'VmHWM')
        p.send_signal(signal.SIGTERM)
        p.wait(5)
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)

    def med(name, k):
        return statistics.median(r[k] for r in results[name])

    fr, fw = med('floor', 0), med('floor', 1)
    ar, aw = med('agent', 0), med('agent', 1)
    sr, sw = med('shell', 0), med('shell', 1)
    print('vaultlet-agent benchmark: %d runs each, medians, simulator on loopback over TLS'
          % args.runs)
    print('%-34s %14s %12s' % ('', 'peak RSS (KiB)', 'wall (ms)'))
    print('%-34s %14d %12.1f' % ('floor (bare C, libcurl+OpenSSL)', fr, fw * 1000))
    print('%-34s %14d %12.1f' % ('vaultlet-agent init (2 files)', ar, aw * 1000))
    print('%-34s %14d %12.1f' % ('shell way (curl + jq + sed)', sr, sw * 1000))
    print('vaultlet-agent - floor: %+d KiB (limit +1536), %.2fx wall (limit 1.30x)'
          % (ar - fr, aw / fw))
    print('vaultlet-agent vs shell way: %.2fx RSS, %.2fx wall' % (ar / sr, aw / sw))
    print('sidecar idle %d s: RSS %d -> %d KiB (peak %d), %d voluntary + %d involuntary '
          'context switches' % (args.idle, rss0, rss1, hwm, sw1 - sw0, nsw1 - nsw0))
    ok = (ar - fr <= 1536 and aw <= 1.3 * fw and ar < sr and aw < sw and rss1 <= rss0 + 64)
    print('targets met' if ok else 'TARGETS NOT MET')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
