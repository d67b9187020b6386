# SPDX-License-Identifier: MIT
"""Leases: the simulated expiration manager (vault/expiration.go) and the
sys/leases/* endpoints.

A secrets engine that hands out a leased secret (database/creds/<role>)
registers it here with the token that asked for it, the backend's renew and
revoke callbacks and its TTL bounds. Then:

* PUT sys/leases/renew {lease_id, increment} (also the legacy sys/renew and
  sys/renew/<id>) calls the backend's renew callback and answers the lease
  with the new TTL: increment if > 0, else the role's default TTL, capped
  at issue time + max TTL with Vault's "TTL of ... exceeded the effective
  max_ttl" warning; unknown lease 400 "lease not found", expired 400 "lease
  expired", not renewable 400 "lease is not renewable".
* PUT sys/leases/revoke {lease_id} (and sys/revoke/<id>) revokes at once
  (204); an unknown lease is not an error, as in Vault.
* PUT sys/leases/lookup {lease_id}: id, issue_time, expire_time,
  last_renewal, renewable, ttl.
* A reaper thread revokes expired leases within ~0.2 s of their expiry
  (Vault's expiration timers), and revoking a token revokes the leases it
  created (Vault revokes a token's leases with it).

Revocation runs the backend's revoke callback (which drops the database
role); a failing revoke is retried by the reaper, as Vault retries it.
Nothing here logs a secret.
"""

import threading
import time

from framework import ErrResp, PlainErr, LResp, Path
from gojson import RawTime, ns_to_rfc3339

SEC = 1_000_000_000
REAP_INTERVAL_S = 0.2


class Lease:
    def __init__(self, lease_id, path, token_id, issue_ns, ttl, max_ttl, default_ttl,
                 renewable, on_renew, on_revoke, mount):
        self.id = lease_id
        self.path = path
        self.token_id = token_id
        self.issue_ns = issue_ns
        self.expire_ns = issue_ns + ttl * SEC
        self.last_renewal_ns = None
        self.max_ttl = max_ttl
        self.default_ttl = default_ttl
        self.renewable = renewable
        self.on_renew = on_renew     # callable(lease, new_expire_ns) -> None, may raise
        self.on_revoke = on_revoke   # callable(lease) -> None, may raise
        self.mount = mount
        self.renewals = 0


class LeaseManager:
    def __init__(self, core):
        self.core = core
        self.leases = {}
        self.revoked = []        # ids of revoked leases, in order, for tests
        self._stop = threading.Event()
        self._thread = None

    # ---------------------------------------------------------------- API

    def register(self, req, path, ttl, max_ttl, default_ttl, renewable, on_renew, on_revoke):
        """Registers a lease for the request's token; returns the Lease."""
        import core as core_mod
        lease_id = path.rstrip('/') + '/' + core_mod.rand_str(24)
        if req.ns:
            lease_id += '.' + self.core.namespaces[req.ns].ns_id
        token_id = req.token_entry.id if req.token_entry is not None else ''
        le = Lease(lease_id, path, token_id, self.core.now_ns(), ttl, max_ttl, default_ttl,
                   renewable, on_renew, on_revoke, req.mount)
        self.leases[lease_id] = le
        self.start()
        return le

    def ttl_for(self, le, increment):
        """framework.CalculateTTL for a lease renewal, at nanosecond precision
        as Go's time arithmetic: (ttl_ns, warnings)."""
        from framework import PlainErr as _PlainErr
        from gojson import go_quote, human_duration
        sys_default, sys_max = self.core.sys_ttls(le.mount)
        max_ttl = sys_max
        if 0 < le.max_ttl < max_ttl:
            max_ttl = le.max_ttl
        ttl = (increment if increment > 0 else le.default_ttl or sys_default) * SEC
        remaining = le.issue_ns + max_ttl * SEC - self.core.now_ns()
        if remaining <= 0:
            raise _PlainErr('past the max TTL, cannot renew', 500)
        warnings = []
        if remaining < ttl:
            warnings.append('TTL of %s exceeded the effective max_ttl of %s; TTL value is capped accordingly'
                            % (go_quote(human_duration(ttl)), go_quote(human_duration(remaining))))
            ttl = remaining
        return ttl, warnings

    def renew(self, lease_id, increment):
        le = self.leases.get(lease_id)
        now = self.core.now_ns()
        if le is None:
            raise ErrResp('lease not found')
        if le.expire_ns <= now:
            raise ErrResp('lease expired')
        if not le.renewable:
            raise ErrResp('lease is not renewable')
        ttl_ns, warnings = self.ttl_for(le, increment)
        new_expire = now + ttl_ns
        if le.on_renew is not None:
            le.on_renew(le, new_expire)
        le.expire_ns = new_expire
        le.last_renewal_ns = now
        le.renewals += 1
        return LResp(lease_id=le.id, renewable=True, lease_duration=ttl_ns // SEC, warnings=warnings)

    def revoke(self, lease_id):
        le = self.leases.get(lease_id)
        if le is None:
            return
        if le.on_revoke is not None:
            le.on_revoke(le)
        del self.leases[lease_id]
        self.revoked.append(lease_id)

    def revoke_token_leases(self, token_id):
        for lid in [lid for lid, le in self.leases.items() if le.token_id == token_id]:
            try:
                self.revoke(lid)
            except (ErrResp, PlainErr, RuntimeError, OSError):
                pass     # the reaper retries once the lease expires

    def lookup(self, lease_id):
        le = self.leases.get(lease_id)
        if le is None:
            raise ErrResp('invalid lease')
        now = self.core.now_ns()
        return {
            'id': le.id,
            'issue_time': RawTime(ns_to_rfc3339(le.issue_ns)),
            'expire_time': RawTime(ns_to_rfc3339(le.expire_ns)),
            'last_renewal': None if le.last_renewal_ns is None else RawTime(ns_to_rfc3339(le.last_renewal_ns)),
            'renewable': le.renewable and le.expire_ns > now,
            'ttl': max(0, int((le.expire_ns - now) // SEC)),
        }

    # ---------------------------------------------------------------- reaper

    def start(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._reap_loop, name='lease-reaper', daemon=True)
            self._thread.start()

    def stop(self):
        self._stop.set()

    def _reap_loop(self):
        while not self._stop.wait(REAP_INTERVAL_S):
            with self.core.lock:
                self.reap()

    def reap(self):
        now = self.core.now_ns()
        # a lease dies with its token (expired or revoked) or at its own expiry
        for lid in [lid for lid, le in self.leases.items()
                    if le.expire_ns <= now or (le.token_id and self.core.lookup_token(le.token_id) is None)]:
            try:
                self.revoke(lid)
            except (ErrResp, PlainErr, RuntimeError, OSError) as e:
                if self.core.log:
                    self.core.log('revoking an expired lease failed, will retry: %s' % type(e).__name__)
        for hook in list(getattr(self.core, 'tick_hooks', ())):
            hook(now)


def _lease_id(fd, url_id):
    lid = url_id or fd.get('lease_id') or fd.get('url_lease_id')
    if not lid:
        raise ErrResp('lease_id must be specified')
    return lid


def sys_paths(sysb):
    """The sys/ paths of leases, appended to SysBackend.paths."""
    core = sysb.core
    fields = {'lease_id': ('string',), 'url_lease_id': ('string',), 'increment': ('duration',)}

    def renew(req, fd):
        lid = _lease_id(fd, fd.get('url_lease_id'))
        return core.leases.renew(lid, fd.get('increment'))

    def revoke(req, fd):
        core.leases.revoke(_lease_id(fd, fd.get('url_lease_id')))
        return None

    def lookup(req, fd):
        return LResp(data=core.leases.lookup(_lease_id(fd, '')))

    return [
        Path(r'leases/renew/?(?P<url_lease_id>.+)?', fields, {'update': renew}),
        Path(r'renew/?(?P<url_lease_id>.+)?', fields, {'update': renew}),
        Path(r'leases/revoke/?(?P<url_lease_id>.+)?', fields, {'update': revoke}),
        Path(r'revoke/?(?P<url_lease_id>.+)?', fields, {'update': revoke}),
        Path(r'leases/lookup', fields, {'update': lookup}),
    ]


def now_s():
    return int(time.time())
