#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Benchmark of vaultlet-agent (issues 5 and 13), all figures in one run.

Against the Vault simulator on loopback with TLS, init mode rendering the
two LiteLLM files, median of N runs (default 11), interleaved:

  floor dynamic    bench/agent/floor.c: the same two HTTPS requests (login,
                   read), one file written, against the system's libcurl
  floor static     the same program linked like the static agent (the
                   minimal libcurl and OpenSSL of scripts/agent-deps.sh, PIE
                   with RELR relocations, --gc-sections)
  agent dynamic    vaultlet-agent of --build (agent_link=dynamic)
  agent static     vaultlet-agent of --static-build (agent_link=static)
  static -no-pie   vaultlet-agent of --nopie-build, if given
                   (-Dagent_link=static -Dagent_pie=false)
  + CA bundle      the static agent with the whole system CA bundle (plus the
                   simulator's CA) as ca_cert: what users who set no CA load
  + DNS name       the static agent with https://localhost:PORT instead of
                   127.0.0.1 (a name lookup on the threaded resolver)
  shell way        bench/agent/shell-way.sh: curl + jq + sed, both files
  sidecar idle     each agent build as a sidecar, side by side, for IDLE
                   seconds (default 60): RSS at start and end, the part
                   private to the process (Private_Dirty of
                   /proc/PID/smaps_rollup: heap, stack, written data; no
                   other process can share it), the clean private part
                   (code and read-only pages of files only this process maps
                   right now: page cache that every agent started from the
                   same image file shares), voluntary context switches

All files (outputs, token sink, status) go to tmpfs (/dev/shm), as in the
pod, where /vault/secrets and /home/vault are emptyDir volumes of medium
Memory: on a disk every fsync of the atomic writes would cost milliseconds
that a pod does not pay.

Peak RSS from GNU time (/usr/bin/time -v, "Maximum resident set size": the
largest single process for the shell way). On a machine shared with other
work, RSS figures hold; wall times are noisy: compare ratios within one run.
Usage:
  /usr/bin/python3 bench/agent/bench.py [--build DIR] [--static-build DIR]
      [--nopie-build DIR] [--runs N] [--idle S]
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


def smaps_rollup(pid):
    """KiB: Private_Clean, Private_Dirty, Anonymous of /proc/PID/smaps_rollup."""
    got = {}
    with open('/proc/%d/smaps_rollup' % pid) as f:
        for line in f:
            k = line.split(':')[0]
            if k in ('Private_Clean', 'Private_Dirty', 'Anonymous'):
                got[k] = int(line.split()[1])
    return got


def agent_version(agent):
    out = subprocess.run([agent, '--version'], capture_output=True, text=True, timeout=10).stdout
    return {k: v for k, v in (ln.split(': ', 1) for ln in out.splitlines() if ': ' in ln)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(SRC, 'build'))
    ap.add_argument('--static-build', default=os.path.join(SRC, 'build-static'))
    ap.add_argument('--nopie-build', default=None)
    ap.add_argument('--runs', type=int, default=11)
    ap.add_argument('--idle', type=int, default=60)
    args = ap.parse_args()
    os.environ['VAULTLET_BUILD_ROOT'] = args.build
    import agentlib as al

    agents = {'agent dynamic': os.path.join(args.build, 'agent', 'vaultlet-agent'),
              'agent static': os.path.join(args.static_build, 'agent', 'vaultlet-agent')}
    if args.nopie_build:
        agents['static -no-pie'] = os.path.join(args.nopie_build, 'agent', 'vaultlet-agent')
    for name, path in agents.items():
        want = 'dynamic' if name == 'agent dynamic' else 'static'
        got = agent_version(path).get('linking', '').split(' ')[0]
        if got != want:
            sys.exit('%s: %s is %r, not a %s build' % (name, path, got, want))
    prefix = subprocess.run([os.path.join(SRC, 'scripts', 'agent-deps.sh'), '--print-prefix'],
                            capture_output=True, text=True, check=True).stdout.strip()

    # /vault/secrets and /home/vault are emptyDir volumes with medium Memory
    # in the pod: tmpfs. Put every file of every contender on tmpfs too.
    shm = '/dev/shm' if os.path.isdir('/dev/shm') else None
    work = tempfile.mkdtemp(prefix='vaultlet-bench.', dir=shm)
    floor_dyn = os.path.join(work, 'floor-dynamic')
    floor_static = os.path.join(work, 'floor-static')
    subprocess.run(['cc', '-O2', '-o', floor_dyn, os.path.join(HERE, 'floor.c'), '-lcurl'],
                   check=True)
    subprocess.run(['cc', '-O2', '-o', floor_static, os.path.join(HERE, 'floor.c'),
                    '-I' + os.path.join(prefix, 'include'), '-DCURL_STATICLIB'] +
                   [os.path.join(prefix, 'lib', lib) for lib in
                    ('libcurl.a', 'libssl.a', 'libcrypto.a')] +
                   ['-pthread', '-Wl,-z,pack-relative-relocs', '-Wl,--gc-sections'], check=True)
    pki = al.make_pki(work)
    bundle = os.path.join(work, 'bundle.crt')
    with open(bundle, 'w') as f:
        f.write(open('/etc/ssl/certs/ca-certificates.crt').read() + open(pki['ca']).read())
    signer = al.JWTSigner()
    sim = al.Sim(work, pki, signer).start()
    names = (['floor dynamic', 'floor static'] + list(agents) +
             ['static + CA bundle', 'static + DNS name', 'shell way'])
    results = {n: [] for n in names}
    idle = {}
    try:
        sim.seed_litellm(signer)
        jwt = os.path.join(work, 'token')
        with open(jwt, 'w') as f:
            f.write(signer.mint(ttl=7200) + '\n')
        port = sim.addr.rsplit(':', 1)[1]
        by_name = 'https://localhost:' + port

        def run_agent(name, agent, out, addr=sim.addr, ca=pki['ca']):
            home = os.path.join(out, 'home-' + name.replace(' ', '-'))
            os.makedirs(home)
            cfg = al.agent_config(addr, ca, jwt, home, os.path.join(out, name.replace(' ', '-')))
            env = dict(os.environ, VAULT_CONFIG=al.vault_config_env(cfg), VAULT_LOG_LEVEL='warn')
            results[name].append(wall_and_rss([agent], env))
            return os.path.join(out, name.replace(' ', '-'))

        for i in range(args.runs):
            out = os.path.join(work, 'run%d' % i)
            os.makedirs(out)
            for name, fl in (('floor dynamic', floor_dyn), ('floor static', floor_static)):
                results[name].append(wall_and_rss(
                    [fl, sim.addr, pki['ca'], jwt, 'litellm-role',
                     'secret/data/litellm/secrets', os.path.join(out, name.replace(' ', '-'))]))
            dirs = [run_agent(name, path, out) for name, path in agents.items()]
            dirs.append(run_agent('static + CA bundle', agents['agent static'], out, ca=bundle))
            dirs.append(run_agent('static + DNS name', agents['agent static'], out, addr=by_name))
            results['shell way'].append(wall_and_rss(
                [os.path.join(HERE, 'shell-way.sh'), sim.addr, pki['ca'], jwt,
                 os.path.join(out, 'shell')]))
            for name in ('app-credentials.sh', 'config.yaml'):
                s = al.read(os.path.join(out, 'shell', name))
                for d in dirs:
                    a = al.read(os.path.join(d, name))
                    if a is None or a != s:
                        raise RuntimeError('run %d: %s differs between %s and the shell way'
                                           % (i, name, d))

        # sidecars, side by side
        procs = {}
        for name, path in agents.items():
            out = os.path.join(work, 'idle-' + name.replace(' ', '-'))
            home = out + '-home'
            os.makedirs(home)
            cfg = al.agent_config(sim.addr, pki['ca'], jwt, home, out, init=False)
            env = dict(os.environ, VAULT_CONFIG=al.vault_config_env(cfg), VAULT_LOG_LEVEL='warn')
            procs[name] = (subprocess.Popen([path], env=env, stderr=subprocess.DEVNULL), out)
        for name, (p, out) in procs.items():
            al.wait_for(lambda: os.path.exists(os.path.join(out, 'config.yaml')), 20)
        time.sleep(1)
        for name, (p, out) in procs.items():
            idle[name] = {'rss0': proc_field(p.pid, 'VmRSS'),
                          'sw0': proc_field(p.pid, 'voluntary_ctxt_switches')}
        time.sleep(args.idle)
        for name, (p, out) in procs.items():
            idle[name].update(rss1=proc_field(p.pid, 'VmRSS'), hwm=proc_field(p.pid, 'VmHWM'),
                              sm=smaps_rollup(p.pid),
                              sw1=proc_field(p.pid, 'voluntary_ctxt_switches'))
            p.send_signal(signal.SIGTERM)
            p.wait(5)
    finally:
        sim.stop()
        shutil.rmtree(work, ignore_errors=True)

    def med(name, k):
        return statistics.median(r[k] for r in results[name])

    print('vaultlet-agent benchmark: %d runs each, medians, simulator on loopback over TLS'
          % args.runs)
    v = agent_version(agents['agent static'])
    print('static build: libcurl %s; OpenSSL %s; cJSON %s'
          % (v.get('libcurl'), v.get('OpenSSL'), v.get('cJSON')))
    print('%-34s %14s %12s' % ('', 'peak RSS (KiB)', 'wall (ms)'))
    for n in names:
        print('%-34s %14d %12.1f' % (n, med(n, 0), med(n, 1) * 1000))
    for name, d in idle.items():
        print('%s sidecar idle %d s: RSS %d -> %d KiB (peak %d), private dirty %d KiB '
              '(anonymous %d), private clean %d KiB, %d voluntary context switches'
              % (name, args.idle, d['rss0'], d['rss1'], d['hwm'], d['sm']['Private_Dirty'],
                 d['sm']['Anonymous'], d['sm']['Private_Clean'], d['sw1'] - d['sw0']))

    sr, sw = med('agent static', 0), med('agent static', 1)
    dr, dw = med('agent dynamic', 0), med('agent dynamic', 1)
    fr = med('floor static', 0)
    st = idle['agent static']
    print('static vs dynamic: %.2fx peak RSS (%+d KiB), %.2fx wall' % (sr / dr, sr - dr, sw / dw))
    print('agent static - floor static: %+d KiB; agent dynamic - floor dynamic: %+d KiB'
          % (sr - fr, dr - med('floor dynamic', 0)))
    checks = [
        ('init peak RSS <= 6.5 MiB (6656 KiB)', sr <= 6656),
        ('sidecar idle RSS after %d s <= 6.5 MiB' % args.idle, st['rss1'] <= 6656),
        ('sidecar private (dirty) <= 1.1 MiB (1126 KiB)', st['sm']['Private_Dirty'] <= 1126),
        ('init wall <= the dynamic build\'s', sw <= dw),
        ('within 0.5 MiB of the static floor', sr - fr <= 512),
        ('sidecar RSS does not grow while idle', st['rss1'] <= st['rss0'] + 64),
    ]
    for what, ok in checks:
        print('%-4s %s' % ('ok' if ok else 'MISS', what))
    ok = all(c[1] for c in checks)
    print('targets met' if ok else 'TARGETS NOT MET')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
