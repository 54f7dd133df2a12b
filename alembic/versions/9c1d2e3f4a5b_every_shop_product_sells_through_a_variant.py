"""every shop product sells through a variant

A shop product always has at least one variant (an unlabelled one when it has
no options); products created before this rule without any get theirs, with
the product's own price, sale price and stock. Cart lines of such products
then name that variant, as new ones do.

Revision ID: 9c1d2e3f4a5b
Revises: 5ba7697f462e
Create Date: 2026-12-07 23:50:00.000000

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '9c1d2e3f4a5b'
down_revision: Union[str, Sequence[str], None] = '5ba7697f462e'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Give variant-less shop products their one variant; point cart lines at it."""
    op.execute(
        """
        INSERT INTO listing_variants
            (listing_id, label, price_cents, sale_price_cents, stock, position, created_at)
        SELECT l.id, '', l.price_cents, l.sale_price_cents, l.stock, 0, l.created_at
        FROM listings l
        WHERE l.kind = 'shop'
          AND NOT EXISTS (SELECT 1 FROM listing_variants v WHERE v.listing_id = l.id)
        """
    )
    op.execute(
        """
        UPDATE cart_lines
        SET variant_id = (
            SELECT v.id FROM listing_variants v WHERE v.listing_id = cart_lines.listing_id
        )
        WHERE variant_id IS NULL
          AND listing_id IN (
            SELECT v.listing_id FROM listing_variants v
            GROUP BY v.listing_id HAVING COUNT(*) = 1
          )
          AND NOT EXISTS (
            SELECT 1 FROM cart_lines other
            JOIN listing_variants v ON v.id = other.variant_id
            WHERE other.cart_id = cart_lines.cart_id AND v.listing_id = cart_lines.listing_id
          )
        """
    )


def downgrade() -> None:
    """Nothing to undo: the variants are what the products sell through."""
