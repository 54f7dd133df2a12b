"""Carts live in the database: a user's cart, or a guest's under a cookie."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, money_field


class Cart(SQLModel, table=True):
    """One cart per user, or per guest cookie until the guest logs in."""

    __tablename__ = "carts"
    __table_args__ = (
        CheckConstraint("user_id IS NOT NULL OR guest_token_hash IS NOT NULL", name="owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", unique=True)
    guest_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class CartLine(SQLModel, table=True):
    """A listing (or one variant of it) in a cart; the price seen when added flags changes."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "listing_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("seen_price_cents >= 0", name="seen_price_nonneg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="carts.id", ondelete="CASCADE")
    listing_id: int = Field(foreign_key="listings.id", index=True)
    variant_id: int | None = Field(default=None, foreign_key="listing_variants.id")
    quantity: int = Field(default=1)
    seen_price_cents: int = money_field()
    added_at: datetime = created_field()
