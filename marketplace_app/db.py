"""Database engines and transaction helpers.

SQLite runs with WAL, foreign keys and a busy timeout. Reads use a deferred
transaction; writes go through :func:`write_session`, which on SQLite starts
with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing
half-way through a read-modify-write, and queues this process's writers on a
lock of its own first.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from marketplace_app.settings import settings

SQLITE_BUSY_TIMEOUT_MS = 10_000

# SQLite admits one writer; the others poll with growing sleeps (the busy
# timeout), which wastes the lock's free moments and starves unlucky writers
# under load. This process's writers queue here instead and get the database
# in turn. Reentrant, so a write inside a write fails as before, not forever.
SQLITE_WRITE_TURN = threading.RLock()


def _sqlite_engine(url: str, begin: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=10,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Hand transaction control to SQLAlchemy (pysqlite's own BEGIN is
        # deferred and emitted lazily, which defeats BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql(begin)

    return engine


@functools.cache
def get_engines(url: str | None = None) -> tuple[Engine, Engine]:
    """Return the (read, write) engines for a database URL.

    Args:
        url: A SQLAlchemy URL; defaults to the configured DATABASE_URL.

    Returns:
        Two engines; on PostgreSQL they are the same object.
    """
    url = url or settings.database_url
    if url.startswith("sqlite"):
        return _sqlite_engine(url, "BEGIN"), _sqlite_engine(url, "BEGIN IMMEDIATE")
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    return engine, engine


def read_engine() -> Engine:
    """The engine for read-only work."""
    return get_engines()[0]


def write_engine() -> Engine:
    """The engine whose transactions take the write lock up front."""
    return get_engines()[1]


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads; nothing is committed.

    Yields:
        A SQLModel session.
    """
    with Session(read_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def _transaction(engine: Engine) -> Iterator[Session]:
    """One transaction on ``engine``: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_session() -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error.

    On SQLite the transaction, commit included, holds this process's
    :data:`SQLITE_WRITE_TURN`.

    Yields:
        A SQLModel session.
    """
    engine = write_engine()
    with ExitStack() as turn:
        if engine.dialect.name == "sqlite":
            turn.enter_context(SQLITE_WRITE_TURN)
        with _transaction(engine) as session:
            yield session


@contextmanager
def write_session_for(url: str) -> Iterator[Session]:
    """One write transaction on the database at ``url`` (like :func:`write_session`).

    For tools and tests that work on a database of their own. It does not queue
    on :data:`SQLITE_WRITE_TURN`, which serves the app's configured database, so
    concurrent writers meet SQLite's own lock.

    Args:
        url: A SQLAlchemy URL.

    Yields:
        A SQLModel session.
    """
    with _transaction(get_engines(url)[1]) as session:
        yield session
