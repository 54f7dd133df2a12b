"""Unit-test fixtures: a fresh schema on the configured test database."""

import threading
from collections.abc import Iterator

import pytest
from sqlmodel import Session, SQLModel

import marketplace_app.models  # noqa: F401
from marketplace_app import db as db_module
from marketplace_app.db import read_session, write_engine, write_session
from tests.unit.conftest_pg import pg_server, pg_url  # noqa: F401  (PostgreSQL fixtures)


@pytest.fixture
def db() -> Iterator[None]:
    """Give the test an empty schema on DATABASE_URL (the app's global engines)."""
    engine = write_engine()
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    yield
    engine.dispose()


@pytest.fixture
def session(db) -> Iterator[Session]:
    """One write session, committed at the end of the test's use."""
    with write_session() as s:
        yield s


@pytest.fixture
def reader(db) -> Iterator[Session]:
    """A read-only session."""
    with read_session() as s:
        yield s


def write_turn_is_free() -> bool:
    """Whether another thread could take this process's SQLite write turn now."""
    free = []

    def probe():
        if db_module.SQLITE_WRITE_TURN.acquire(blocking=False):
            db_module.SQLITE_WRITE_TURN.release()
            free.append(True)

    worker = threading.Thread(target=probe)
    worker.start()
    worker.join()
    return bool(free)
