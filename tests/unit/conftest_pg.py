"""A throwaway PostgreSQL server for the unit tests that run on both databases.

The cluster lives in a temporary directory owned by the ``postgres`` OS user
(PostgreSQL refuses to run as root), listens on 127.0.0.1 at a free port with
its unix socket inside that directory, trusts local connections, and is
stopped at the end of the test session. ``make test`` installs postgresql-15;
if the binaries are missing the fixture fails instead of skipping.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    """Prefix a command so it runs as the postgres OS user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_USER, "--", *args]
    return args


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(_as_postgres(args), check=True, capture_output=True, text=True, **kw)


@dataclass
class PgServer:
    """A running test cluster."""

    datadir: Path
    port: int
    pid: int

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, dbname: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        return self.url(dbname)


def _require_binaries() -> None:
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).exists()]
    if missing:
        pytest.fail(
            f"PostgreSQL server binaries not found in {PG_BIN} (missing: {', '.join(missing)}). "
            "Install them with `apt-get install postgresql-15` (make test does this), "
            "or point PG_BIN at another bin directory.",
            pytrace=False,
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            pytest.fail(f"running as root but there is no '{PG_USER}' OS user", pytrace=False)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """Start a private PostgreSQL cluster for the whole test session."""
    _require_binaries()
    tmp = Path(tempfile.mkdtemp(prefix="mp-test-pg-"))
    datadir = tmp / "data"
    if os.geteuid() == 0:
        shutil.chown(tmp, user=PG_USER, group=PG_USER)
    port = _free_port()
    log = tmp / "server.log"
    try:
        _run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(datadir),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={tmp} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=100"
        )
        _run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(datadir),
                "-o",
                options,
                "-l",
                str(log),
                "-w",
                "start",
            ]
        )
    except subprocess.CalledProcessError as exc:
        server_log = log.read_text() if log.exists() else ""
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(
            f"could not start PostgreSQL: {exc.cmd}\n{exc.stdout}\n{exc.stderr}\n{server_log}",
            pytrace=False,
        )
    pid = int((datadir / "postmaster.pid").read_text().splitlines()[0])
    server = PgServer(datadir=datadir, port=port, pid=pid)
    try:
        yield server
    finally:
        # Fast shutdown: disconnects the clients (pooled connections of the
        # app's cached engines) and stops this postmaster, found by its data dir.
        try:
            _run([str(PG_BIN / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"])
        except subprocess.CalledProcessError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)  # the signal pg_ctl's fast mode sends
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_url(pg_server: PgServer) -> str:
    """URL (``postgresql+psycopg://``) of an empty database on the test server."""
    return pg_server.create_database("marketplace_test")
