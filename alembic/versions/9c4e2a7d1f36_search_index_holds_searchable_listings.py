"""search index: only searchable listings; PostgreSQL rows carry the filter columns

Revision ID: 9c4e2a7d1f36
Revises: e09aa2c19925
Create Date: 2026-12-07 23:50:00

The index keeps rows only for listings the public may see (status active or
sold): rows of drafts, paused, pending and removed listings go. On
PostgreSQL each row also gets a copy of the listing's columns that searches
filter and sort on, kept equal by a trigger on ``listings``, so a text search
reads one table; and a narrow partial index counts active listings in a
circle. The DDL is written out here as it stood (services/search.py builds the
same objects for schemas made by ``create_all``).
"""
from typing import Sequence, Union

from alembic import op

revision: str = '9c4e2a7d1f36'
down_revision: Union[str, Sequence[str], None] = 'e09aa2c19925'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

SEARCHABLE = "status IN ('active', 'sold')"
MIRRORED = {
    "status": "TEXT",
    "created_at": "TIMESTAMPTZ",
    "category_id": "INTEGER",
    "kind": "TEXT",
    "condition": "TEXT",
    "price_cents": "BIGINT",
    "sale_price_cents": "BIGINT",
    "sale_starts_at": "TIMESTAMPTZ",
    "sale_ends_at": "TIMESTAMPTZ",
    "public_lat": "DOUBLE PRECISION",
    "public_lon": "DOUBLE PRECISION",
}
NOT_NULL = ("status", "created_at", "kind", "price_cents")
COLUMNS = ", ".join(MIRRORED)
OLD = ", ".join(f"OLD.{name}" for name in MIRRORED)
NEW = ", ".join(f"NEW.{name}" for name in MIRRORED)
FOLLOW_FUNCTION = (
    "CREATE OR REPLACE FUNCTION listing_search_follow() RETURNS trigger LANGUAGE plpgsql AS $$"
    f" BEGIN UPDATE listing_search SET ({COLUMNS}) = ({NEW})"
    " WHERE listing_id = NEW.id; RETURN NULL; END $$"
)
FOLLOW_TRIGGER = (
    "CREATE OR REPLACE TRIGGER listing_search_follow AFTER UPDATE ON listings FOR EACH ROW"
    f" WHEN (({OLD}) IS DISTINCT FROM ({NEW})) EXECUTE FUNCTION listing_search_follow()"
)
SPOT_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_search_listings_spot ON listings (public_lat, public_lon)"
    " WHERE status = 'active'"
)


def upgrade() -> None:
    """Drop rows of listings nobody can find; on PostgreSQL mirror the filter columns."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "DELETE FROM listing_search WHERE rowid NOT IN"
            f" (SELECT id FROM listings WHERE {SEARCHABLE})"
        )
        return
    for name, kind in MIRRORED.items():
        op.execute(f"ALTER TABLE listing_search ADD COLUMN IF NOT EXISTS {name} {kind}")
    op.execute(
        "DELETE FROM listing_search AS s WHERE NOT EXISTS (SELECT 1 FROM listings AS l"
        f" WHERE l.id = s.listing_id AND l.{SEARCHABLE})"
    )
    values = ", ".join(f"l.{name}" for name in MIRRORED)
    op.execute(
        f"UPDATE listing_search AS s SET ({COLUMNS}) = ({values})"
        " FROM listings AS l WHERE l.id = s.listing_id"
    )
    for name in NOT_NULL:
        op.execute(f"ALTER TABLE listing_search ALTER COLUMN {name} SET NOT NULL")
    op.execute(FOLLOW_FUNCTION)
    op.execute(FOLLOW_TRIGGER)
    op.execute(SPOT_INDEX)
    op.execute("ANALYZE listing_search")


def downgrade() -> None:
    """Back to an index of every listing's text (rows of hidden listings are not restored)."""
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_listings_spot")
    op.execute("DROP TRIGGER IF EXISTS listing_search_follow ON listings")
    op.execute("DROP FUNCTION IF EXISTS listing_search_follow()")
    for name in MIRRORED:
        op.execute(f"ALTER TABLE listing_search DROP COLUMN IF EXISTS {name}")
