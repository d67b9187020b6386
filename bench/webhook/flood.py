#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A connection flood against an HTTPS server on loopback, from one process.

Holds at the same time, for --duration seconds, then closes everything and
exits (bounded in count and in time; refuses any address but loopback):
  --idle N        TCP connections that never send a byte
  --partial N     connections that send the first half of a TLS ClientHello
                  and stall
  --slowloris N   connections that complete TLS, then send one byte of an
                  endless request header per second
A connection the server closes is opened again (the attacker keeps up the
pressure), at most --reopen-rate per second over all kinds; the first
connections are opened at most --open-rate per second.

Prints one JSON line at the end: per kind, how many were opened, closed by
the server, held when the flood ended, and how many it held (the mean and
the least of one sample every 0.5 s) from the moment all were first open
(the ready file) to the end: a server that closes the flood's connections
makes it reopen them, and a flood short of CPU holds fewer than asked. Used by bench/webhook/flood.sh
and by tests/webhook/flood.py (a short version in the test command).

usage: flood.py --port PORT [--host 127.0.0.1] [--idle N] [--partial N]
                [--slowloris N] [--duration S] [--open-rate R] [--reopen-rate R]
                [--ready-file F]
"""
import argparse
import errno
import ipaddress
import json
import os
import selectors
import socket
import ssl
import sys
import time

KINDS = ("idle", "partial", "slowloris")
MAX_CONNECTIONS = 20000
MAX_DURATION = 3600


def client_hello():
    """The bytes of a real ClientHello (what a TLS client sends first)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="vaultlet-webhook.vaultlet.svc")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


class Conn:
    __slots__ = ("kind", "sock", "tls", "state", "next_byte", "sent")

    def __init__(self, kind, sock):
        self.kind = kind
        self.sock = sock
        self.tls = None
        self.state = "connecting"
        self.next_byte = 0.0
        self.sent = 0


class Flood:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.hello = client_hello()
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.want = {"idle": a.idle, "partial": a.partial, "slowloris": a.slowloris}
        self.live = {k: set() for k in KINDS}
        self.stats = {k: {"opened": 0, "closed_by_server": 0, "connect_failed": 0}
                      for k in KINDS}
        self.first = {k: 0 for k in KINDS}  # first openings done
        self.tokens = 0.0
        self.family = socket.AF_INET6 if ":" in a.host else socket.AF_INET

    def open(self, kind):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.setblocking(False)
        c = Conn(kind, s)
        try:
            s.connect((self.a.host, self.a.port))
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            self.stats[kind]["connect_failed"] += 1
            return False
        self.sel.register(s, selectors.EVENT_WRITE, c)
        self.live[kind].add(c)
        self.stats[kind]["opened"] += 1
        return True

    def drop(self, c, by_server):
        try:
            self.sel.unregister(c.sock)
        except (KeyError, ValueError):
            pass
        c.sock.close()
        self.live[c.kind].discard(c)
        if by_server:
            key = "closed_by_server" if c.state != "connecting" else "connect_failed"
            self.stats[c.kind][key] += 1

    def on_event(self, c, mask, now):
        if c.state == "connecting":
            err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                self.drop(c, True)
                return
            if c.kind == "idle":
                c.state = "held"
                self.sel.modify(c.sock, selectors.EVENT_READ, c)
            elif c.kind == "partial":
                try:
                    c.sock.send(self.hello[: len(self.hello) // 2])
                except OSError:
                    self.drop(c, True)
                    return
                c.state = "held"
                self.sel.modify(c.sock, selectors.EVENT_READ, c)
            else:
                c.tls = self.ctx.wrap_socket(c.sock, do_handshake_on_connect=False,
                                             server_hostname="vaultlet-webhook.vaultlet.svc")
                self.sel.unregister(c.sock)
                c.sock = c.tls
                self.sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
                c.state = "handshake"
                self.handshake(c, now)
            return
        if c.state == "handshake":
            self.handshake(c, now)
            return
        # held: anything readable is the server closing (or answering)
        try:
            data = c.sock.recv(4096)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return
        except OSError:
            data = b""
        if not data:
            self.drop(c, True)

    def handshake(self, c, now):
        try:
            c.sock.do_handshake()
        except ssl.SSLWantReadError:
            self.sel.modify(c.sock, selectors.EVENT_READ, c)
            return
        except ssl.SSLWantWriteError:
            self.sel.modify(c.sock, selectors.EVENT_WRITE, c)
            return
        except OSError:
            self.drop(c, True)
            return
        c.state = "held"
        c.next_byte = now
        self.sel.modify(c.sock, selectors.EVENT_READ, c)
        self.trickle(c, now)

    def trickle(self, c, now):
        if c.kind != "slowloris" or c.state != "held" or now < c.next_byte:
            return
        if c.sent == 0:
            data = b"POST /mutate HTTP/1.1\r\nHost: x\r\nX-Slow: "
        else:
            data = b"a"
        try:
            c.sock.send(data)
        except (ssl.SSLWantWriteError, BlockingIOError):
            return
        except OSError:
            self.drop(c, True)
            return
        c.sent += 1
        c.next_byte = now + 1.0

    def run(self):
        a = self.a
        start = time.monotonic()
        last = start
        ready_written = False
        held = []  # per kind, sampled every 0.5 s once all were open
        next_held = 0.0
        while True:
            now = time.monotonic()
            if now - start >= a.duration:
                break
            # openings: first ones at --open-rate, reopenings at --reopen-rate
            for k in KINDS:
                while self.first[k] < self.want[k] and self.tokens >= 1:
                    self.tokens -= 1
                    self.first[k] += 1
                    self.open(k)
            firsts_done = all(self.first[k] >= self.want[k] for k in KINDS)
            if firsts_done and now >= next_held:
                held.append({k: sum(1 for c in self.live[k] if c.state != "connecting")
                             for k in KINDS})
                next_held = now + 0.5
            rate = a.reopen_rate if firsts_done else a.open_rate
            self.tokens = min(self.tokens + (now - last) * rate, max(rate / 10, 1))
            last = now
            if firsts_done:
                if not ready_written and a.ready_file:
                    with open(a.ready_file, "w") as f:
                        f.write("%d\n" % os.getpid())
                    ready_written = True
                # one kind after the other, so that each keeps its share
                short = [k for k in KINDS if len(self.live[k]) < self.want[k]]
                while short and self.tokens >= 1:
                    for k in list(short):
                        if self.tokens < 1:
                            break
                        if len(self.live[k]) >= self.want[k]:
                            short.remove(k)
                            continue
                        self.tokens -= 1
                        self.open(k)
            for key, mask in self.sel.select(timeout=0.05):
                self.on_event(key.data, mask, now)
            for c in list(self.live["slowloris"]):
                self.trickle(c, now)
        out = {"held_at_end": {k: len(self.live[k]) for k in KINDS}, "kinds": self.stats,
               "duration_s": round(time.monotonic() - start, 1)}
        if held:
            out["held_mean"] = {k: round(sum(h[k] for h in held) / len(held)) for k in KINDS}
            out["held_min"] = {k: min(h[k] for h in held) for k in KINDS}
        for k in KINDS:
            for c in list(self.live[k]):
                self.drop(c, False)
        return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--idle", type=int, default=5000)
    p.add_argument("--partial", type=int, default=1000)
    p.add_argument("--slowloris", type=int, default=200)
    p.add_argument("--duration", type=float, default=40)
    p.add_argument("--open-rate", type=float, default=3000)
    p.add_argument("--reopen-rate", type=float, default=1000)
    p.add_argument("--ready-file", default="")
    a = p.parse_args()
    if not ipaddress.ip_address(a.host).is_loopback:
        sys.exit("flood.py: loopback addresses only")
    total = a.idle + a.partial + a.slowloris
    if total > MAX_CONNECTIONS or a.duration > MAX_DURATION or a.duration <= 0:
        sys.exit("flood.py: at most %d connections and %d s" % (MAX_CONNECTIONS, MAX_DURATION))
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < total + 64:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, total + 256), hard))
        except (ValueError, OSError) as e:
            sys.exit("flood.py: cannot raise the fd limit to %d: %s (ulimit -n)" %
                     (total + 256, e))
    out = Flood(a).run()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    try:
        main()
    except OSError as e:
        if e.errno == errno.EMFILE:
            sys.exit("flood.py: out of file descriptors (raise ulimit -n)")
        raise
