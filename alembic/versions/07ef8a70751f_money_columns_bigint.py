"""money columns bigint

Every amount of money (``*_cents``) becomes BIGINT on PostgreSQL, whose
INTEGER stops at 2**31 - 1 (about 21 million in currency units): a large
order, ledger entry or seller balance line must not fail there. SQLite's
INTEGER already stores 64 bits whatever the declared type, so SQLite is left
alone (``marketplace_app.migrations.compare_type`` treats INTEGER and BIGINT
as the same there); rebuilding big tables for a declared name would gain nothing.

Revision ID: 07ef8a70751f
Revises: fbed992bdd41
Create Date: 2026-12-07 23:58:40.191458

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '07ef8a70751f'
down_revision: Union[str, Sequence[str], None] = 'fbed992bdd41'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, column, nullable)
MONEY_COLUMNS = (
    ("cart_lines", "seen_price_cents", False),
    ("ledger_entries", "amount_cents", False),
    ("listing_variants", "price_cents", False),
    ("listing_variants", "sale_price_cents", True),
    ("listings", "price_cents", False),
    ("listings", "sale_price_cents", True),
    ("listings", "local_delivery_fee_cents", True),
    ("listings", "courier_fee_cents", True),
    ("offer_transitions", "amount_cents", True),
    ("offers", "amount_cents", False),
    ("offers", "counter_cents", True),
    ("offers", "agreed_cents", True),
    ("order_groups", "total_cents", False),
    ("order_lines", "unit_price_cents", False),
    ("order_lines", "line_total_cents", False),
    ("orders", "subtotal_cents", False),
    ("orders", "delivery_fee_cents", False),
    ("orders", "discount_cents", False),
    ("orders", "total_cents", False),
    ("orders", "commission_cents", False),
    ("payments", "amount_cents", False),
)


def _retype(old: sa.types.TypeEngine, new: sa.types.TypeEngine) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, column, nullable in MONEY_COLUMNS:
        op.alter_column(
            table, column, existing_type=old, type_=new, existing_nullable=nullable
        )


def upgrade() -> None:
    """Upgrade schema."""
    _retype(sa.Integer(), sa.BigInteger())


def downgrade() -> None:
    """Downgrade schema."""
    _retype(sa.BigInteger(), sa.Integer())
