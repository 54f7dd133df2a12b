"""Unit-test fixtures: a fresh schema on the configured test database."""

import threading
import time
from collections.abc import Iterator

import pytest
from sqlmodel import Session, SQLModel

import marketplace_app.models  # noqa: F401
from marketplace_app import db as db_module
from marketplace_app.db import read_session, write_engine, write_session
from marketplace_app.models import LoginAttempt
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


class PasswordWork:
    """Every argon2 hash and verify that ran, noting whether its thread held the write turn.

    The real argon2 runs; only a note is taken around it. ``pause`` makes the
    first one, once done, wait (up to that many seconds) for ``go_on``, so a
    test can write while a request is between its hash and its commit.
    """

    def __init__(self) -> None:
        self.pause = 0.0
        self.reset()

    def reset(self) -> None:
        """Forget what ran so far (a test's own set-up, say)."""
        self.runs: list[tuple[str, bool]] = []
        self.started = threading.Event()
        self.go_on = threading.Event()
        self.went_on_in_time: bool | None = None
        self.seconds: float | None = None

    def wrap(self, kind: str, real):
        def run(*args, **kwargs):
            self.runs.append((kind, db_module.SQLITE_WRITE_TURN._is_owned()))
            first = not self.started.is_set()
            started = time.perf_counter()
            self.started.set()
            result = real(*args, **kwargs)
            if first:
                self.seconds = time.perf_counter() - started
                if self.pause:
                    self.went_on_in_time = self.go_on.wait(self.pause)
            return result

        return run

    @property
    def under_the_write_turn(self) -> list[str]:
        """The hashes and verifies that ran while their thread held SQLITE_WRITE_TURN."""
        return [kind for kind, held in self.runs if held]


@pytest.fixture
def password_work(monkeypatch) -> PasswordWork:
    """Watch every password hash and verify (see :class:`PasswordWork`)."""
    from marketplace_app.services import passwords

    work = PasswordWork()
    context = passwords._context
    monkeypatch.setattr(context, "hash", work.wrap("hash", context.hash))
    monkeypatch.setattr(context, "verify", work.wrap("verify", context.verify))
    return work


def write_during_password_work(work: PasswordWork, action) -> float:
    """Run ``action`` on a thread and, once its first hash or verify starts, write here.

    The action's first hash or verify, once done, waits up to 5 s for this
    write to finish: a write that had to wait for the action's transaction
    would wait those 5 s. Raises what the action raised.

    Returns:
        How long the write here took, in seconds.
    """
    work.pause = 5.0
    failure: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as error:  # reported on the test's thread
            failure.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert work.started.wait(20), "the action never hashed or verified a password"
        started = time.perf_counter()
        with write_session() as s:
            s.add(LoginAttempt(account="someone else", ip=""))
        took = time.perf_counter() - started
    finally:
        work.go_on.set()
        thread.join(30)
    if failure:
        raise failure[0]
    return took
