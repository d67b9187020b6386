# SPDX-License-Identifier: MIT
"""A throwaway PostgreSQL cluster for tests and the demo: Debian's own
server binaries, a data directory in a temporary folder, TCP on a free
loopback port, a Unix socket in the same folder, stopped and removed when
done. Nothing of the machine's own PostgreSQL (its clusters, its port 5432,
its configuration) is touched.

    sys.path.insert(0, "<repo>/tests/lib")
    from pgcluster import PgCluster

    with PgCluster() as pg:                      # starts; stops and removes on exit
                                                 # (host="127.0.0.N", port=5432: a fixed
                                                 # address, e.g. for a DATABASE_URL)
        pg.create_login("llmproxy", password, "litellm")
        pg.psql("select 1", user="llmproxy", password=password, dbname="litellm")
        pg.url("llmproxy", password, "litellm")  # postgresql://…@127.0.0.1:PORT/litellm

PostgreSQL refuses to run as root: as root, the server runs as the
`postgres` user that Debian's package creates; otherwise as the caller.
Host connections need a password (scram-sha-256), as a real server's
pg_hba.conf would ask; the superuser's is random and only in memory.

From a shell (scripts/demo):

    pgcluster.py start DIR --user U --db D --password-env VAR   prints the port
    pgcluster.py stop DIR

`start` reads the new role's password from the environment variable VAR so
that it never appears in a process listing; it leaves the server running
(DIR/cluster.json records what `stop` needs). Needs the Debian packages
postgresql and postgresql-client.
"""
import argparse
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile

START_TIMEOUT_S = 30


def server_bin_dir():
    """The newest /usr/lib/postgresql/N/bin that has initdb and pg_ctl."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        if os.access(os.path.join(d, "initdb"), os.X_OK) and os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            try:
                found.append((int(d.split("/")[-2]), d))
            except ValueError:
                pass
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql: apt-get install postgresql")
    return max(found)[1]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text):
    return "'" + text.replace("'", "''") + "'"


class PgCluster:
    def __init__(self, directory=None, port=None, host="127.0.0.1"):
        self.bindir = server_bin_dir()
        self._own_dir = directory is None
        self.dir = directory or tempfile.mkdtemp(prefix="vaultlet-pg.")
        self.datadir = os.path.join(self.dir, "data")
        self.sockdir = self.dir
        # any loopback address: a pod's hostAliases can map a name to it
        self.host = host
        self.port = port
        self.superuser = "postgres"
        self.superuser_password = secrets.token_hex(16)
        self._run_as = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            self._run_as = (pw.pw_uid, pw.pw_gid)
        self.started = False

    # -- lifecycle ----------------------------------------------------------
    def _demote(self):
        if self._run_as:
            os.setgid(self._run_as[1])
            os.setuid(self._run_as[0])

    def _server_cmd(self, args, **kw):
        return subprocess.run(args, preexec_fn=self._demote, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, **kw)

    def start(self):
        os.chmod(self.dir, 0o700)
        if self._run_as:
            os.chown(self.dir, *self._run_as)
        pwfile = os.path.join(self.dir, "pwfile")
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.superuser_password + "\n")
        if self._run_as:
            os.chown(pwfile, *self._run_as)
        try:
            r = self._server_cmd([os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-U", self.superuser,
                                  "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
                                  "--encoding=UTF8", "--no-instructions"])
        finally:
            os.unlink(pwfile)
        if r.returncode != 0:
            raise RuntimeError("initdb failed: " + (r.stderr or r.stdout).strip()[-500:])
        # a port found free can be taken before the server binds it: retry
        for attempt in range(5):
            port = self.port or free_port()
            opts = "-c listen_addresses=%s -c port=%d -c unix_socket_directories=%s -c fsync=off" % (
                self.host, port, self.sockdir)
            r = self._server_cmd([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-o", opts,
                                  "-l", os.path.join(self.dir, "server.log"), "-w", "-t", str(START_TIMEOUT_S),
                                  "start"])
            if r.returncode == 0:
                self.port = port
                self.started = True
                return self
            if self.port:
                break
        raise RuntimeError("pg_ctl start failed: %s\n%s" % ((r.stderr or r.stdout).strip()[-300:], self.server_log()[-1500:]))

    def server_log(self):
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.started:
            self._server_cmd([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", "fast", "-w",
                              "-t", "20", "stop"])
            self.started = False
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- clients ------------------------------------------------------------
    def psql(self, sql, dbname="postgres", user=None, password=None, check=True):
        """Runs sql with psql over TCP as user (the superuser by default);
        returns stdout (unaligned, tuples only). Raises on failure when check."""
        env = dict(os.environ)
        env["PGPASSWORD"] = self.superuser_password if user is None else (password or "")
        env["PGCONNECT_TIMEOUT"] = "5"
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.host,
                            "-p", str(self.port), "-U", user or self.superuser, "-d", dbname, "-c", sql],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("psql as %s failed: %s" % (user or self.superuser, r.stderr.strip()[-300:]))
        return r.stdout if check else r

    def create_login(self, user, password, dbname):
        """A login role with a password and a database it owns, as the
        seed's docker-compose file makes for LiteLLM."""
        self.psql("CREATE ROLE %s LOGIN PASSWORD %s" % (quote_ident(user), quote_literal(password)))
        self.psql("CREATE DATABASE %s OWNER %s" % (quote_ident(dbname), quote_ident(user)))

    def url(self, user, password, dbname):
        from urllib.parse import quote
        return "postgresql://%s:%s@%s:%d/%s" % (quote(user, safe=""), quote(password, safe=""), self.host,
                                                 self.port, quote(dbname, safe=""))


def main(argv):
    ap = argparse.ArgumentParser(description="a throwaway PostgreSQL cluster on a loopback port")
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="initialise DIR, start the server, print its port")
    s.add_argument("dir")
    s.add_argument("--user", required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--password-env", required=True, metavar="VAR",
                   help="environment variable that holds the role's password")
    t = sub.add_parser("stop", help="stop the server started in DIR and remove DIR")
    t.add_argument("dir")
    a = ap.parse_args(argv)
    if a.cmd == "start":
        password = os.environ.get(a.password_env)
        if not password:
            print("pgcluster: %s is not set or empty" % a.password_env, file=sys.stderr)
            return 2
        os.makedirs(a.dir, exist_ok=True)
        pg = PgCluster(directory=a.dir)
        try:
            pg.start()
            pg.create_login(a.user, password, a.db)
        except Exception as e:
            pg.stop()
            print("pgcluster: %s" % e, file=sys.stderr)
            return 1
        with open(os.path.join(a.dir, "cluster.json"), "w") as f:
            json.dump({"bindir": pg.bindir, "datadir": pg.datadir, "port": pg.port}, f)
        print(pg.port)
        return 0
    try:
        with open(os.path.join(a.dir, "cluster.json")) as f:
            info = json.load(f)
    except OSError:
        print("pgcluster: no cluster recorded in %s" % a.dir, file=sys.stderr)
        return 1
    pg = PgCluster(directory=a.dir, port=info["port"])
    pg.started = True
    pg.stop()
    shutil.rmtree(a.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
