"""The migrations build exactly the schema the models declare, on both databases."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Index, Integer, MetaData, String, Table, inspect
from sqlmodel import SQLModel

from marketplace_app import migrations
from marketplace_app.db import get_engines
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


SEARCHABLE_ONLY = "9c4e2a7d1f36"  # the revision that keeps only searchable listings indexed


def _upgrade_to(url: str, revision: str) -> None:
    config = migrations.alembic_config()
    with get_engines(url)[1].connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def test_search_index_upgrade_keeps_only_searchable_listings(fresh_url):
    """Rows of hidden listings leave the index; PostgreSQL's rows get the filter columns."""
    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    _upgrade_to(fresh_url, scripts.get_revision(SEARCHABLE_ONLY).down_revision)
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
