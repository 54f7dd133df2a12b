"""search index: full text over listings (FTS5 on SQLite, tsvector on PostgreSQL)

Revision ID: 5b1e0c7a9d21
Revises: 702752fc40a8
Create Date: 2026-11-23 09:00:00

The index is a side table the models do not describe (``listing_search`` and,
on SQLite, FTS5's shadow tables ``listing_search_*``), plus ``ix_search_*``
indexes on listings; ``marketplace_app.migrations.pending_changes`` ignores
exactly these names. Existing listings are indexed here.
"""
from typing import Sequence, Union

from alembic import op

revision: str = '5b1e0c7a9d21'
down_revision: Union[str, Sequence[str], None] = '702752fc40a8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS listing_search USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
)
POSTGRES = (
    "CREATE TABLE IF NOT EXISTS listing_search ("
    "listing_id INTEGER PRIMARY KEY, document TSVECTOR NOT NULL)",
    "CREATE INDEX IF NOT EXISTS ix_listing_search_document ON listing_search USING GIN (document)",
)
# Exact counts under any filter read narrow indexes, never the wide rows:
# radius queries walk the position index (one range per latitude) and the
# other filters by category; price sorts walk regular prices in order and add
# the (few) listings with a sale price.
_FILTERS = "category_id, kind, condition, price_cents, sale_price_cents, sale_starts_at, sale_ends_at"
INDEXES = (
    f"CREATE INDEX IF NOT EXISTS ix_search_listings_geo ON listings (status, public_lat, public_lon, {_FILTERS})",
    f"CREATE INDEX IF NOT EXISTS ix_search_listings_filters ON listings (status, {_FILTERS})",
    "CREATE INDEX IF NOT EXISTS ix_search_listings_price ON listings (status, price_cents)",
    "CREATE INDEX IF NOT EXISTS ix_search_listings_sale ON listings (status, sale_price_cents) "
    "WHERE sale_price_cents IS NOT NULL",
)


def _fill(bind) -> None:
    from marketplace_app.services.search_text import index_text, tsvector

    bind.exec_driver_sql("DELETE FROM listing_search")
    rows = bind.exec_driver_sql("SELECT id, title, description FROM listings").all()
    if not rows:
        return
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql(
            "INSERT INTO listing_search (rowid, title, body) VALUES (?, ?, ?)",
            [(i, index_text(t), index_text(d or "")) for i, t, d in rows],
        )
    else:
        bind.exec_driver_sql(
            "INSERT INTO listing_search (listing_id, document) VALUES (%s, %s::tsvector)",
            [(i, tsvector(t, d or "")) for i, t, d in rows],
        )


def upgrade() -> None:
    """Create and fill the search index."""
    bind = op.get_bind()
    for ddl in SQLITE if bind.dialect.name == "sqlite" else POSTGRES:
        op.execute(ddl)
    for ddl in INDEXES:
        op.execute(ddl)
    _fill(bind)


def downgrade() -> None:
    """Drop the search index."""
    for name in ("geo", "price", "filters", "sale"):
        name = f"ix_search_listings_{name}"
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS listing_search")
