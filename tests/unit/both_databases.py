"""The app's own engines on SQLite or on PostgreSQL, for tests whose answer must not differ.

Import the ``app_db`` fixture into a test module; each test then runs once per
database. The PostgreSQL database is migrated once per test module and shared (its
rows accumulate), so tests using it must not count rows.
"""

import uuid
from collections.abc import Iterator

import pytest

from marketplace_app import db as db_module
from marketplace_app import migrations
from marketplace_app.db import get_engines


@pytest.fixture(scope="module")
def pg_app_url(pg_server) -> Iterator[str]:
    """A migrated PostgreSQL database for the app's engines (one per test module)."""
    url = pg_server.create_database(f"app_both_{uuid.uuid4().hex[:12]}")
    migrations.upgrade(url)
    yield url
    for engine in set(get_engines(url)):
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def app_db(request, monkeypatch) -> str:
    """Point read_session/write_session at a fresh SQLite schema or at PostgreSQL."""
    if request.param == "sqlite":
        request.getfixturevalue("db")
        return "sqlite"
    read, write = get_engines(request.getfixturevalue("pg_app_url"))
    monkeypatch.setattr(db_module, "read_engine", lambda: read)
    monkeypatch.setattr(db_module, "write_engine", lambda: write)
    return "postgresql"
