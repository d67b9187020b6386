#!/bin/sh
# SPDX-License-Identifier: MIT
#
# bench/webhook/run.sh [BUILD_DIR] — vaultlet-webhook throughput, latency and
# memory under wrk (keep-alive HTTPS, POST /mutate), side by side with a
# straightforward Go net/http + encoding/json webhook doing the same
# mutation (bench/webhook/gowebhook). Run by hand; not part of the suite.
#
# Scenarios, each at 32 and at 8 connections, 2 wrk threads:
#   floor    vaultlet-webhook answering the seed's LiteLLM review with its
#            agent-inject annotation removed (parse, decide, allowed)
#   inject   vaultlet-webhook injecting the seed's LiteLLM pod
#   go       the Go webhook injecting the same pod
# Repeated RUNS times (interleaved, to spread the machine's noise) for DUR
# seconds each; prints the median requests/s and p99 of each scenario, the
# peak RSS of vaultlet-webhook while injecting, and the ratios the issue asks
# for. Environment: RUNS (default 5), DUR (default 10).
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
runs=${RUNS:-5}
dur=${DUR:-10}
wh="$build/webhook/vaultlet-webhook"
cg="$build/certs/vaultlet-certgen"
for b in "$wh" "$cg"; do
  [ -x "$b" ] || { echo "run.sh: $b not built (meson setup $build && ninja -C $build)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "run.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
command -v go >/dev/null || { echo "run.sh: go is not installed (apt-get install golang-go)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/vaultlet-bench.XXXXXX)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$cg" -out-dir "$tmp/certs" -ip 127.0.0.1 2>/dev/null
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys, yaml
tmp = sys.argv[1]
pod = yaml.safe_load(open("examples/litellm-pod.yaml"))
def review(p, uid):
    return json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                       "request": {"uid": uid, "namespace": "litellm", "operation": "CREATE",
                                   "kind": {"group": "", "version": "v1", "kind": "Pod"},
                                   "object": p}})
open(tmp + "/inject.json", "w").write(review(pod, "bench-inject"))
del pod["metadata"]["annotations"]["vault.hashicorp.com/agent-inject"]
open(tmp + "/floor.json", "w").write(review(pod, "bench-floor"))
PY
cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("REVIEW"), "rb"))
wrk.body = f:read("*a")
f:close()
LUA

(cd bench/webhook/gowebhook && GO111MODULE=off GOFLAGS= GOCACHE="$tmp/gocache" \
  go build -o "$tmp/gowebhook" main.go)

"$wh" serve -listen 127.0.0.1:0 -ready-file "$tmp/port" -vault-address https://vault.vault.svc:8200 \
  -vault-image vaultlet/vaultlet:0.1.0 -tls-cert-file "$tmp/certs/tls.crt" \
  -tls-key-file "$tmp/certs/tls.key" 2>/dev/null &
whpid=$!
pids="$pids $whpid"
"$tmp/gowebhook" -listen 127.0.0.1:18444 -cert "$tmp/certs/tls.crt" -key "$tmp/certs/tls.key" 2>/dev/null &
pids="$pids $!"
i=0
while [ ! -s "$tmp/port" ]; do i=$((i + 1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done
whport=$(cat "$tmp/port")
sleep 0.5

# both answer the seed with an injection before anything is measured (the Go
# server may take a few seconds to listen on a loaded machine)
for url in "https://127.0.0.1:$whport/mutate" "https://127.0.0.1:18444/mutate"; do
  i=0
  until curl -sf --cacert "$tmp/certs/ca.crt" -H 'Content-Type: application/json' \
    --data-binary @"$tmp/inject.json" "$url" | grep -q '"patchType":"JSONPatch"'; do
    i=$((i + 1))
    [ $i -lt 40 ] || { echo "run.sh: $url does not inject the seed pod" >&2; exit 1; }
    sleep 0.25
  done
done

# peak RSS of the webhook while a run lasts
rss_watch() {
  peak=0
  while kill -0 "$1" 2>/dev/null && [ ! -e "$tmp/stop-rss" ]; do
    r=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$peak" ] && peak=$r
    sleep 0.1
  done
  echo "$peak" > "$tmp/rss"
}

one() { # scenario conns -> "rps p99_ms errors rss_kib"
  scen=$1 conns=$2
  case $scen in
    floor) url="https://127.0.0.1:$whport/mutate" review=$tmp/floor.json ;;
    inject) url="https://127.0.0.1:$whport/mutate" review=$tmp/inject.json ;;
    go) url="https://127.0.0.1:18444/mutate" review=$tmp/inject.json ;;
  esac
  rm -f "$tmp/stop-rss" "$tmp/rss"
  rss_watch "$whpid" &
  wpid=$!
  REVIEW=$review wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$tmp/post.lua" "$url" > "$tmp/wrk.out" 2>&1
  touch "$tmp/stop-rss"
  wait "$wpid" 2>/dev/null || true
  /usr/bin/python3 - "$tmp/wrk.out" "$(cat "$tmp/rss" 2>/dev/null || echo 0)" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
e = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
s = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
errs = (int(e.group(1)) if e else 0) + (sum(int(x) for x in s.groups()) if s else 0)
print("%.0f %.2f %d %s" % (rps, p99, errs, sys.argv[2]))
PY
}

echo "vaultlet-webhook bench: $runs runs x ${dur}s per scenario, wrk -t2, keep-alive TLS; $(nproc) CPUs"
: > "$tmp/results"
r=1
while [ "$r" -le "$runs" ]; do
  for conns in 32 8; do
    for scen in floor inject go; do
      res=$(one "$scen" "$conns")
      echo "$scen $conns $res $r" >> "$tmp/results"
      echo "  run $r: $scen c=$conns -> $res (rps p99ms errors rss_kib)"
    done
  done
  r=$((r + 1))
done
/usr/bin/python3 - "$tmp/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for scen in ("floor", "inject", "go"):
    for c in ("32", "8"):
        sel = [r for r in rows if r[0] == scen and r[1] == c]
        med[scen, c] = (statistics.median(float(r[2]) for r in sel),
                        statistics.median(float(r[3]) for r in sel),
                        sum(int(r[4]) for r in sel),
                        max(int(r[5]) for r in sel))
print()
print("| scenario | conns | req/s (median) | p99 ms (median) | errors | webhook peak RSS |")
print("|---|---|---|---|---|---|")
for scen in ("floor", "inject", "go"):
    for c in ("32", "8"):
        rps, p99, err, rss = med[scen, c]
        rss_s = "%.1f MiB" % (rss / 1024) if scen != "go" else "-"
        print("| %s | %s | %.0f | %.2f | %d | %s |" % (scen, c, rps, p99, err, rss_s))
print()
# the machine is shared: the three scenarios of one run are back to back, so the
# ratio within a run is steadier than the ratio of medians; both are shown
for c in ("32", "8"):
    runs = sorted({int(r[6]) for r in rows})
    def per_run(a, b):
        out = []
        for n in runs:
            x = [float(r[2]) for r in rows if r[0] == a and r[1] == c and int(r[6]) == n]
            y = [float(r[2]) for r in rows if r[0] == b and r[1] == c and int(r[6]) == n]
            if x and y:
                out.append(x[0] / y[0])
        return statistics.median(out)
    f, i, g = med["floor", c][0], med["inject", c][0], med["go", c][0]
    print("c=%s: inject/floor = %.2f (median of per-run ratios %.2f; target >= 0.75), "
          "inject/go = %.2f (per-run %.2f; target >= 1.8), inject p99 %.2f ms (target <= %s ms)"
          % (c, i / f, per_run("inject", "floor"), i / g, per_run("inject", "go"),
             med["inject", c][1], "10" if c == "32" else "2"))
print("peak RSS of vaultlet-webhook under injection load: %.1f MiB (target <= 10 MiB)"
      % (max(med["inject", c][3] for c in ("32", "8")) / 1024))
PY
