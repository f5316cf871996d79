"""A private, throwaway Postgres cluster for the fault suite's warehouse: the one server a case may restart.

Built with the Debian binaries the setup uses (``scripts/ensure_postgres.sh``), in a temporary folder, on a free
port, with the same settings as the setup's private cluster. As root, ``initdb`` and ``pg_ctl`` run as the
``postgres`` user (they refuse root), so the folder lives under /var/tmp where that user can reach it. The
shared server on 127.0.0.1:5432 is never touched: ``restart`` and ``stop`` act on this data directory only.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from sellerflow_emulators.testing import free_port

APP_ROLE, APP_PASSWORD = "sellerflow", "sellerflow"
OPTIONS = "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql (run `make prepare`)")
    return Path(found[-1])


class PrivateCluster:
    """initdb, start, restart and stop one cluster in a folder of its own."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="sellerflow-faults-pg-", dir="/var/tmp"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def admin_dsn(self) -> str:
        """Superuser DSN (trust auth, as the setup's private cluster)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def dsn(self, database: str) -> str:
        """The application role's DSN of one database of this cluster."""
        return f"postgresql://{APP_ROLE}:{APP_PASSWORD}@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            cwd=self.root,
        )

    def start(self) -> None:
        """initdb (first time), start, create the application role."""
        if not (self.data / "PG_VERSION").exists():
            subprocess.run(
                [*self._as, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "-E", "UTF8", "--locale=C.UTF-8"],
                check=True, capture_output=True, cwd=self.root,
            )  # fmt: skip
        self._ctl("-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
                  "-o", f"-p {self.port} -k {self.root} {OPTIONS}")  # fmt: skip
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            if not conn.execute("select 1 from pg_roles where rolname = %s", (APP_ROLE,)).fetchone():
                conn.execute(
                    sql.SQL("create role {} login password {}").format(
                        sql.Identifier(APP_ROLE), sql.Literal(APP_PASSWORD)
                    )
                )

    def restart(self) -> None:
        """Restart the server (fast shutdown: open connections are cut, as on a crash-restart)."""
        self._ctl("-l", str(self.root / "server.log"), "-m", "fast", "-w", "-t", "60", "restart",
                  "-o", f"-p {self.port} -k {self.root} {OPTIONS}")  # fmt: skip

    def postmaster_pid(self) -> int:
        """PID of the running postmaster (first line of postmaster.pid)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def recreate_database(self, name: str) -> str:
        """Drop (if present) and create ``name`` owned by the application role; its DSN."""
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(APP_ROLE))
            )
        return self.dsn(name)

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
