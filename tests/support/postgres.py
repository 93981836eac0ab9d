"""A throwaway PostgreSQL server for the test session, on a Unix socket only.

The database-facing tests run on SQLite and on PostgreSQL. The server comes from, in order:
``$MOOCX_TEST_PG_URL`` (an existing server the tests may create databases on), or the
PostgreSQL binaries of this machine (Debian's ``postgresql`` package: ``.ci/run`` installs it),
started here with ``initdb`` + ``pg_ctl`` in a temporary directory — no TCP port, no fsync — and
stopped at the end of the session. As root, the server runs as the ``postgres`` user, since
PostgreSQL refuses to run as root.

Where neither exists the PostgreSQL cases are skipped with the reason — except under CI
(``$CI`` set), where they must run, so a missing server fails the suite instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

ENV_URL = "MOOCX_TEST_PG_URL"


def _bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    for path in reversed(candidates):
        if Path(path, "pg_ctl").exists():
            return Path(path)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


class PostgresServer:
    """Either an existing server (from the environment) or one this process starts."""

    def __init__(self) -> None:
        self.base_url: str | None = os.environ.get(ENV_URL)
        self.unavailable: str | None = None
        self._root: Path | None = None
        self._as_postgres = False
        self._bindir: Path | None = None

    def start(self) -> PostgresServer:
        if self.base_url:
            return self
        bindir = _bindir()
        if bindir is None:
            self.unavailable = (
                "no PostgreSQL server: set MOOCX_TEST_PG_URL or install Debian's postgresql "
                "package (`.ci/run` does)"
            )
            return self
        self._bindir = bindir
        self._root = Path(tempfile.mkdtemp(prefix="moocx-pg-"))
        data, sock = self._root / "data", self._root / "sock"
        sock.mkdir()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self._root, "postgres")
            shutil.chown(sock, "postgres")
        self._run(
            "initdb",
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories='{sock}' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 "
            "-c timezone=Asia/Ho_Chi_Minh"  # not UTC, so timezone bugs show
        )
        self._run(
            "pg_ctl",
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(self._root / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        self.base_url = f"postgresql+psycopg://postgres@/postgres?host={sock}"
        return self

    def _run(self, tool: str, *args: str) -> None:
        assert self._bindir is not None
        command = [str(self._bindir / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        if self._root is None:
            return
        try:
            self._run("pg_ctl", "-D", str(self._root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self._root, ignore_errors=True)

    def new_database(self) -> str:
        """A fresh, empty database on the server; its SQLAlchemy URL."""
        import psycopg
        from sqlalchemy.engine import make_url

        assert self.base_url is not None
        url = make_url(self.base_url)
        name = f"t_{uuid.uuid4().hex[:12]}"
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return url.set(database=name).render_as_string(hide_password=False)
