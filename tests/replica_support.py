"""Throwaway PostgreSQL clusters for tests: a primary and a hot standby streaming from it.

Each cluster lives in a temp dir, listens on its own free port on 127.0.0.1 only and keeps its
Unix socket in its own dir. PostgreSQL refuses to run as root, so when the tests run as root the
binaries run as the `postgres` OS user (the temp dir is handed to it); as any other user they run
as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.browser_support import free_port

PG_BIN = Path(os.environ.get("ARCADIA_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
BINARIES = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
READY_TIMEOUT_S = 30
DATABASE = "arcadia"

# Speed over durability: the clusters are thrown away after the test. (Commits stay synchronous:
# an asynchronous commit may sit past pg_current_wal_lsn(), which wait_for_replay waits for.)
COMMON_SETTINGS = """
listen_addresses = '127.0.0.1'
fsync = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 20
"""
PRIMARY_SETTINGS = """
wal_level = replica
max_wal_senders = 4
"""
STANDBY_SETTINGS = """
hot_standby = on
wal_receiver_status_interval = 1s
"""
PG_HBA = """\
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


class ClusterError(RuntimeError):
    """A cluster could not be made, started or stopped (the message carries its log's tail)."""


def missing_binaries() -> list[str]:
    return [name for name in BINARIES if not (PG_BIN / name).is_file()]


def _owner() -> pwd.struct_passwd | None:
    """The OS user to run PostgreSQL as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterError("running as root and there is no `postgres` OS user to run PostgreSQL as") from None


def _run(args: list[str], cwd: Path, timeout: float = READY_TIMEOUT_S) -> None:
    owner = _owner()
    as_owner = {} if owner is None else {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(cwd)}
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False, **as_owner
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ClusterError(f"{Path(args[0]).name} failed ({result.returncode}): {output[-2000:]}")


@dataclass
class Cluster:
    """One PostgreSQL cluster in `data_dir`, serving 127.0.0.1:`port`."""

    name: str
    data_dir: Path
    port: int

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database,
                               autocommit=True, connect_timeout=5)

    def configure(self, settings: str) -> None:
        """Append settings to postgresql.conf (later lines win, so this overrides a copied primary's)."""
        socket_dir = self.data_dir.parent
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nunix_socket_directories = '{socket_dir}'\n{COMMON_SETTINGS}{settings}")

    def start(self) -> None:
        try:
            _run([str(PG_BIN / "pg_ctl"), "start", "-w", "-t", str(READY_TIMEOUT_S), "-D", str(self.data_dir),
                  "-l", str(self.log)], cwd=self.data_dir.parent, timeout=READY_TIMEOUT_S + 5)
        except (ClusterError, subprocess.TimeoutExpired) as exc:
            raise ClusterError(f"the {self.name} did not start: {exc}\n{self.log_tail()}") from None
        self._wait_for_connections()

    def _wait_for_connections(self) -> None:
        """pg_ctl -w already waits; a connection proves it (bounded, for a standby still catching up)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                with self.connect("postgres"):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise ClusterError(f"the {self.name} accepts no connection: {exc}\n{self.log_tail()}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Stop the server if its pid file says one runs (also after a start that timed out)."""
        if (self.data_dir / "postmaster.pid").exists():
            _run([str(PG_BIN / "pg_ctl"), "stop", "-w", "-m", "fast", "-t", str(READY_TIMEOUT_S),
                  "-D", str(self.data_dir)], cwd=self.data_dir.parent, timeout=READY_TIMEOUT_S + 5)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class ReplicaPair:
    """A primary and a hot standby streaming from it, in one temp dir; `close()` stops both and removes it."""

    def __init__(self):
        self.base = Path(tempfile.mkdtemp(prefix="arcadia-replica-"))
        self.clusters: list[Cluster] = []
        owner = _owner()
        if owner is not None:
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        os.chmod(self.base, 0o700)

    def _cluster(self, name: str) -> Cluster:
        """A cluster's own dir (its log and Unix socket); its data dir inside is made by initdb or pg_basebackup."""
        workdir = self.base / name
        workdir.mkdir()
        owner = _owner()
        if owner is not None:
            os.chown(workdir, owner.pw_uid, owner.pw_gid)
        cluster = Cluster(name, workdir / "data", free_port())
        self.clusters.append(cluster)
        return cluster

    def start_primary(self) -> Cluster:
        primary = self._cluster("primary")
        _run([str(PG_BIN / "initdb"), "-D", str(primary.data_dir), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--locale=C", "--no-sync"], cwd=primary.data_dir.parent)
        primary.configure(PRIMARY_SETTINGS)
        (primary.data_dir / "pg_hba.conf").write_text(PG_HBA)
        primary.start()
        with primary.connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return primary

    def start_standby(self, primary: Cluster) -> Cluster:
        standby = self._cluster("standby")
        # -R writes standby.signal and primary_conninfo; a fast checkpoint starts the copy at once.
        _run([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
              "-D", str(standby.data_dir), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"],
             cwd=standby.data_dir.parent)
        standby.configure(STANDBY_SETTINGS)
        standby.start()
        return standby

    def close(self) -> None:
        """Stop every cluster (standby first) and remove the temp dir, whatever failed before."""
        errors = []
        for cluster in reversed(self.clusters):
            try:
                cluster.stop()
            except (ClusterError, subprocess.TimeoutExpired) as exc:
                errors.append(f"{cluster.name}: {exc}")
        shutil.rmtree(self.base, ignore_errors=True)
        if errors:
            raise ClusterError("; ".join(errors))


def wait_for_replay(primary: Cluster, standby: Cluster, timeout_s: float = READY_TIMEOUT_S) -> str:
    """Wait until the standby has replayed everything the primary has written so far; returns that LSN."""
    with primary.connect() as conn:
        target = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    deadline = time.monotonic() + timeout_s
    with standby.connect() as conn:
        while True:
            replayed = conn.execute(
                "SELECT pg_last_wal_replay_lsn()::text, pg_last_wal_replay_lsn() >= %s::pg_lsn", (target,)
            ).fetchone()
            if replayed[1]:
                return target
            if time.monotonic() > deadline:
                raise ClusterError(f"the standby replayed only up to {replayed[0]} of {target} in {timeout_s} s\n"
                                   f"{standby.log_tail()}")
            time.sleep(0.05)
