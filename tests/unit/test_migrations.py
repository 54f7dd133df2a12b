"""The migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, inspect
from sqlmodel import Session, SQLModel, select

from marketplace_app import migrations
from marketplace_app.db import get_engines, write_session_for
from marketplace_app.models import Listing, User
from marketplace_app.models.catalog import LISTING_STATUSES
from marketplace_app.models.types import utcnow


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> str:
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"migrations_{tmp_path.name}".lower()[:60])


def _metadata_with_extras() -> MetaData:
    """A copy of the models' metadata with a column, an index and a type no migration makes."""
    copy = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(copy)
    listings = copy.tables["listings"]
    listings.append_column(Column("throwaway_probe", Integer, nullable=True))
    Index("ix_users_probe", copy.tables["users"].c.district, copy.tables["users"].c.name)
    copy.tables["categories"].c.slug.type = String(80)
    return copy


def test_models_and_migrations_agree(fresh_url):
    migrations.upgrade(fresh_url)

    tables = set(inspect(get_engines(fresh_url)[0]).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables

    assert migrations.pending_changes(fresh_url) == []


def test_disagreement_is_detected(fresh_url):
    """The comparison is not vacuous: drift in the models shows up."""
    migrations.upgrade(fresh_url)

    diffs = migrations.pending_changes(fresh_url, metadata=_metadata_with_extras())

    flat = [d for entry in diffs for d in (entry if isinstance(entry, list) else [entry])]
    added_columns = [(d[2], d[3].name) for d in flat if d[0] == "add_column"]
    added_indexes = [d[1].name for d in flat if d[0] == "add_index"]
    changed_types = [(d[2], d[3], d[6].length) for d in flat if d[0] == "modify_type"]
    assert added_columns == [("listings", "throwaway_probe")]
    assert added_indexes == ["ix_users_probe"]
    assert changed_types == [("categories", "slug", 80)]
    assert len(flat) == 3

    # A table the models have but the database lacks is reported too.
    with get_engines(fresh_url)[1].begin() as conn:
        conn.exec_driver_sql("DROP TABLE email_outbox")
    removed = migrations.pending_changes(fresh_url)
    assert [(d[0], d[1].name) for d in removed] == [
        ("add_table", "email_outbox"),
        ("add_index", "ix_email_outbox_status_created_at"),
    ]


def test_upgrade_is_repeatable(fresh_url):
    migrations.upgrade(fresh_url)
    migrations.upgrade(fresh_url)
    assert migrations.pending_changes(fresh_url) == []


def test_search_index_is_built_but_is_not_drift(fresh_url):
    """The search index's own objects exist and are ignored; other strays are not."""
    migrations.upgrade(fresh_url)
    inspector = inspect(get_engines(fresh_url)[0])
    assert "listing_search" in inspector.get_table_names()
    assert "ix_search_listings_geo" in {ix["name"] for ix in inspector.get_indexes("listings")}
    assert migrations.pending_changes(fresh_url) == []

    with get_engines(fresh_url)[1].begin() as conn:
        conn.exec_driver_sql("CREATE INDEX ix_listings_stray ON listings (title)")
        conn.exec_driver_sql("CREATE TABLE listing_search_notes (id INTEGER PRIMARY KEY)")
    diffs = migrations.pending_changes(fresh_url)
    assert sorted((d[0], d[1].name) for d in diffs) == [
        ("remove_index", "ix_listings_stray"),
        ("remove_table", "listing_search_notes"),
    ]


def test_what_counts_as_the_search_index():
    assert migrations.is_search_index("listing_search", "table")
    assert migrations.is_search_index("listing_search_docsize", "table")
    assert migrations.is_search_index("ix_search_listings_geo", "index")
    assert not migrations.is_search_index("listings", "table")
    assert not migrations.is_search_index("listing_searches", "table")
    assert not migrations.is_search_index("ix_listings_status_created_at", "index")
    assert not migrations.is_search_index("listing_search", "column")
    assert not migrations.is_search_index(None, "index")


def _insert(conn, table_name: str, **values) -> int:
    """Insert a row into a table as it is at this revision (other required columns filled)."""
    table = Table(table_name, MetaData(), autoload_with=conn)
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        python_type = column.type.python_type
        row[column.name] = (
            datetime(2026, 1, 1, tzinfo=UTC)
            if python_type is datetime
            else {int: 0, bool: False, str: ""}.get(python_type, "")
        )
    return conn.execute(table.insert().values(row)).inserted_primary_key[0]


def test_shop_products_without_variants_get_their_one_variant(fresh_url):
    """Products made before every product had a variant are sold through one afterwards."""
    migrations.upgrade(fresh_url, "5ba7697f462e")
    with get_engines(fresh_url)[1].begin() as conn:
        owner = _insert(conn, "users", name="O", email="o@x.org", role="user", locale="en")
        listing = {"seller_id": owner, "category_id": _insert(conn, "categories", slug="food")}
        listing.update(status="active", kind="shop")
        plain = _insert(
            conn,
            "listings",
            **listing,
            title="Bread",
            price_cents=900,
            sale_price_cents=800,
            stock=7,
        )
        sized = _insert(conn, "listings", **listing, title="Honey", price_cents=1800, stock=3)
        small = {"listing_id": sized, "label": "250 g", "price_cents": 1800, "stock": 3}
        _insert(conn, "listing_variants", **small)
        listing.update(kind="secondhand", condition="good")
        item = _insert(conn, "listings", **listing, title="Chair", price_cents=5000, stock=1)
        cart = _insert(conn, "carts", user_id=owner)
        line = {"cart_id": cart, "listing_id": plain, "quantity": 2, "seen_price_cents": 800}
        line_id = _insert(conn, "cart_lines", **line)
    migrations.upgrade(fresh_url)
    with get_engines(fresh_url)[0].connect() as conn:
        variants = conn.exec_driver_sql(
            "SELECT listing_id, label, price_cents, sale_price_cents, stock, id"
            " FROM listing_variants ORDER BY listing_id"
        ).all()
        assert [tuple(v)[:5] for v in variants] == [
            (plain, "", 900, 800, 7),
            (sized, "250 g", 1800, None, 3),
        ]
        assert item not in [v[0] for v in variants]
        in_cart = conn.exec_driver_sql(f"SELECT variant_id FROM cart_lines WHERE id = {line_id}")
        assert in_cart.scalar() == variants[0][5]


MONEY_WORDS = ("cents", "amount", "balance")


def _money_columns() -> set[tuple[str, str]]:
    return {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if any(word in column.name for word in MONEY_WORDS)
    }


def test_money_columns_are_bigint_on_postgresql(pg_server, tmp_path):
    url = pg_server.create_database(f"money_{tmp_path.name}".lower()[:60])
    migrations.upgrade(url)
    money = _money_columns()
    assert ("ledger_entries", "amount_cents") in money and len(money) >= 20
    with get_engines(url)[0].connect() as conn:
        types = dict(
            ((table, column), data_type)
            for table, column, data_type in conn.exec_driver_sql(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )
        )
    assert {column: types[column] for column in money} == dict.fromkeys(money, "bigint")

    # An amount past 2**31 round-trips through the models.
    big = 2**31 + 12_345
    with write_session_for(url) as s:
        seller = User(name="Big", email="big@example.com", password_hash="x")
        s.add(seller)
        s.flush()
        listing = Listing(
            seller_id=seller.id, kind="secondhand", status="draft", title="Boat", price_cents=big
        )
        s.add(listing)
        s.flush()
        listing_id = listing.id
    with Session(get_engines(url)[0]) as s:
        assert s.get(Listing, listing_id).price_cents == big
    for engine in set(get_engines(url)):
        engine.dispose()


def test_sqlite_keeps_its_64_bit_integers_without_a_rebuild(tmp_path):
    """The money migration leaves SQLite's INTEGER columns alone; they agree with BIGINT."""
    url = f"sqlite:///{tmp_path / 'money.db'}"
    migrations.upgrade(url)
    assert migrations.pending_changes(url) == []
    big = 2**40 + 7
    with write_session_for(url) as s:
        seller = User(name="Big", email="big@example.com", password_hash="x")
        s.add(seller)
        s.flush()
        s.add(
            Listing(
                seller_id=seller.id,
                kind="secondhand",
                status="draft",
                title="Boat",
                price_cents=big,
            )
        )
    with Session(get_engines(url)[0]) as s:
        assert s.exec(select(Listing.price_cents)).one() == big


SEARCHABLE_ONLY = "9c4e2a7d1f36"  # the revision that keeps only searchable listings indexed


def test_search_index_upgrade_keeps_only_searchable_listings(fresh_url):
    """Rows of hidden listings leave the index; PostgreSQL's rows get the filter columns."""
    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    migrations.upgrade(fresh_url, scripts.get_revision(SEARCHABLE_ONLY).down_revision)
    sqlite = fresh_url.startswith("sqlite")
    now = utcnow().replace(tzinfo=None) if sqlite else utcnow()
    ids = {}
    with get_engines(fresh_url)[1].begin() as conn:
        meta = MetaData()
        users, categories, listings = (
            Table(name, meta, autoload_with=conn) for name in ("users", "categories", "listings")
        )
        seller = conn.execute(
            users.insert().values(
                name="Sam",
                email="sam@example.com",
                password_hash="!",
                role="user",
                locale="en",
                bio="",
                district="",
                created_at=now,
                updated_at=now,
                password_changed_at=now,
            )
        ).inserted_primary_key[0]
        home = conn.execute(
            categories.insert().values(slug="home", position=0, icon="tag")
        ).inserted_primary_key[0]
        for status in LISTING_STATUSES:
            ids[status] = conn.execute(
                listings.insert().values(
                    seller_id=seller,
                    kind="secondhand",
                    category_id=home,
                    title=f"Lamp {status}",
                    description="",
                    price_cents=100,
                    negotiable=False,
                    stock=1,
                    status=status,
                    district="",
                    public_lat=1.5,
                    public_lon=2.5,
                    pickup=True,
                    view_count=0,
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
        for status, listing_id in ids.items():  # the old index held every listing
            if sqlite:
                conn.exec_driver_sql(
                    "INSERT INTO listing_search (rowid, title, body) VALUES (?, ?, '')",
                    (listing_id, f"lamp {status}"),
                )
            else:
                conn.exec_driver_sql(
                    "INSERT INTO listing_search (listing_id, document) VALUES (%s, %s::tsvector)",
                    (listing_id, f"'lamp':2A '{status}':3A"),
                )

    migrations.upgrade(fresh_url)

    key = "rowid" if sqlite else "listing_id"
    active, sold = ids["active"], ids["sold"]
    with get_engines(fresh_url)[1].begin() as conn:
        assert set(conn.exec_driver_sql(f"SELECT {key} FROM listing_search").scalars()) == {
            active,
            sold,
        }
        if sqlite:
            return
        mirrored = (
            "SELECT listing_id, status, category_id, price_cents, public_lat FROM listing_search"
        )
        assert sorted(conn.exec_driver_sql(mirrored).all()) == [
            (active, "active", home, 100, 1.5),
            (sold, "sold", home, 100, 1.5),
        ]
        conn.exec_driver_sql("UPDATE listings SET price_cents = 60 WHERE id = %s", (active,))
        price = "SELECT price_cents FROM listing_search WHERE listing_id = %s"
        assert conn.exec_driver_sql(price, (active,)).scalar() == 60  # the trigger follows
