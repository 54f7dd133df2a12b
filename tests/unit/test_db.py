"""The data layer's guarantees, on SQLite and on PostgreSQL.

The schema is built by the migrations (so PostgreSQL runs them too); rows are
inserted through the SQLModel classes with the app's (read, write) engines.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, select

from marketplace_app import migrations
from marketplace_app.db import SQLITE_BUSY_TIMEOUT_MS, get_engines, write_session_for
from marketplace_app.models import Category, Listing, User
from tests.unit.conftest import write_turn_is_free


class Db(NamedTuple):
    url: str
    read: Engine
    write: Engine

    @property
    def dialect(self) -> str:
        return self.write.dialect.name


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dbx(request, tmp_path_factory) -> Db:
    """A migrated database of each kind, shared by this module's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'data.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database("test_db")
    migrations.upgrade(url)
    read, write = get_engines(url)
    return Db(url, read, write)


def _tag() -> str:
    return uuid.uuid4().hex[:10]


def make_user(db: Db) -> User:
    with write_session_for(db.url) as s:
        user = User(name="Ada", email=f"{_tag()}@example.test", password_hash="x")
        s.add(user)
    return user


def make_listing(db: Db, **overrides) -> Listing:
    seller = make_user(db)
    with write_session_for(db.url) as s:
        category = Category(slug=f"cat-{_tag()}")
        s.add(category)
        s.flush()
        fields = {
            "seller_id": seller.id,
            "kind": "secondhand",
            "category_id": category.id,
            "title": "Bicycle",
            "price_cents": 12_00,
            "stock": 5,
        }
        listing = Listing(**(fields | overrides))
        s.add(listing)
    return listing


def stock_of(db: Db, listing_id: int) -> int:
    with Session(db.read) as s:
        return s.exec(select(Listing.stock).where(Listing.id == listing_id)).one()


def test_sqlite_pragmas(tmp_path):
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    for engine in get_engines(url):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_sqlite_write_engine_takes_the_lock_up_front(tmp_path):
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    migrations.upgrade(url)
    read, write_engine = get_engines(url)
    with write_engine.connect() as conn:
        conn.begin()
        # BEGIN IMMEDIATE already holds the RESERVED lock: a second writer waits.
        other = write_engine.raw_connection()
        try:
            other.driver_connection.execute("PRAGMA busy_timeout=50")
            with pytest.raises(Exception, match="locked"):
                other.driver_connection.execute("BEGIN IMMEDIATE")
        finally:
            other.invalidate()  # do not return the tweaked connection to the pool
        # Readers are not blocked (WAL).
        with read.connect() as rconn:
            assert rconn.execute(text("SELECT count(*) FROM listings")).scalar() == 0
        conn.rollback()


@pytest.mark.parametrize(
    "overrides",
    [
        {"stock": -1},
        {"price_cents": -1},
        {"status": "bogus"},
        {"kind": "stolen"},
        {"condition": "broken"},
    ],
    ids=["negative-stock", "negative-price", "bad-status", "bad-kind", "bad-condition"],
)
def test_check_constraints_refuse_bad_rows(dbx, overrides):
    with pytest.raises(IntegrityError):
        make_listing(dbx, **overrides)


def test_check_constraint_refuses_update_below_zero(dbx):
    listing = make_listing(dbx, stock=1)
    with pytest.raises(IntegrityError), write_session_for(dbx.url) as s:
        s.exec(
            text("UPDATE listings SET stock = stock - 2 WHERE id = :id"), params={"id": listing.id}
        )
    assert stock_of(dbx, listing.id) == 1


def test_foreign_key_violation_is_refused(dbx):
    with pytest.raises(IntegrityError), write_session_for(dbx.url) as s:
        category = Category(slug=f"cat-{_tag()}")
        s.add(category)
        s.flush()
        s.add(
            Listing(
                seller_id=987_654_321,
                kind="secondhand",
                category_id=category.id,
                title="Orphan",
                price_cents=1,
            )
        )


def test_utc_datetime_round_trips_aware_utc(dbx):
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 1, 20, 30, 15, 123456, tzinfo=shanghai)
    listing = make_listing(dbx, published_at=moment)

    with Session(dbx.read) as s:
        got = s.exec(select(Listing.published_at).where(Listing.id == listing.id)).one()
    assert got == moment
    assert got.tzinfo is UTC or got.utcoffset() == timedelta(0)
    assert got.hour == 12  # stored and returned in UTC

    created = listing.created_at
    assert created.tzinfo is not None and created.utcoffset() == timedelta(0)


def test_utc_datetime_refuses_naive(dbx):
    with pytest.raises((StatementError, ValueError), match="naive datetime"):
        make_listing(dbx, published_at=datetime(2026, 3, 1, 12, 0))


def test_conditional_stock_update_never_oversells(dbx):
    units, buyers = 5, 20
    listing = make_listing(dbx, stock=units)
    barrier = threading.Barrier(buyers)
    sold: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def buy() -> None:
        try:
            barrier.wait(timeout=10)
            with write_session_for(dbx.url) as s:
                result = s.exec(
                    text("UPDATE listings SET stock = stock - :q WHERE id = :id AND stock >= :q"),
                    params={"q": 1, "id": listing.id},
                )
                taken = result.rowcount
            with lock:
                sold.append(taken)
        except BaseException as exc:  # surfaced below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=buy) for _ in range(buyers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert len(sold) == buyers
    assert sum(sold) == units
    assert sorted(set(sold)) == [0, 1]
    assert stock_of(dbx, listing.id) == 0


def test_write_sessions_queue_in_turn_and_give_the_turn_back(db):
    """Twenty threads writing at once on SQLite all commit; an error still frees the turn."""
    from marketplace_app import db as db_module

    errors: list[BaseException] = []

    def add_category(i: int) -> None:
        try:
            with db_module.write_session() as s:
                s.add(Category(slug=f"turn-{i}"))
        except BaseException as exc:  # noqa: BLE001 (collected for the assertion)
            errors.append(exc)

    threads = [threading.Thread(target=add_category, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with pytest.raises(IntegrityError), db_module.write_session() as s:
        s.add(Category(slug="turn-0"))
    assert write_turn_is_free()
    with db_module.read_session() as s:
        assert len(s.exec(select(Category).where(Category.slug.startswith("turn-"))).all()) == 20


def test_a_write_session_for_a_url_rolls_back_on_error(dbx):
    """``write_session_for`` keeps nothing of a failed transaction and takes no write turn."""
    slug = f"gone-{_tag()}"
    with pytest.raises(RuntimeError), write_session_for(dbx.url) as s:
        s.add(Category(slug=slug))
        s.flush()
        assert write_turn_is_free()
        raise RuntimeError("abandon")
    with Session(dbx.read) as s:
        assert s.exec(select(Category).where(Category.slug == slug)).first() is None
