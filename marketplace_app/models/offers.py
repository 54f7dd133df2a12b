"""Offers on negotiable listings and the log of every step they take."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import (
    created_field,
    in_check,
    money_field,
    required_time_field,
    time_field,
)

# open: waiting for the seller; countered: waiting for the buyer; accepted:
# the item is held for the buyer at ``agreed_cents`` until ``reserved_until``;
# ordered: checkout used it (accepted again, or lapsed, if that order is
# cancelled). The rest are final.
OFFER_STATUSES = (
    "open",
    "countered",
    "accepted",
    "ordered",
    "declined",
    "withdrawn",
    "expired",
    "lapsed",
)
OFFER_LIVE = ("open", "countered")


class Offer(SQLModel, table=True):
    """A buyer's offer on a listing, possibly countered by the seller."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint(in_check("status", OFFER_STATUSES), name="status"),
        CheckConstraint("amount_cents > 0", name="amount_pos"),
        CheckConstraint("counter_cents IS NULL OR counter_cents > 0", name="counter_pos"),
        CheckConstraint("agreed_cents IS NULL OR agreed_cents > 0", name="agreed_pos"),
        Index("ix_offers_listing_id_status", "listing_id", "status"),
        Index("ix_offers_buyer_id_status", "buyer_id", "status"),
        Index("ix_offers_seller_id_status", "seller_id", "status"),
        Index("ix_offers_status_expires_at", "status", "expires_at"),
        Index("ix_offers_order_id", "order_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id")
    buyer_id: int = Field(foreign_key="users.id")
    seller_id: int = Field(foreign_key="users.id")
    amount_cents: int = money_field()
    counter_cents: int | None = money_field(default=None)
    agreed_cents: int | None = money_field(default=None)
    status: str = Field(default="open", max_length=12)
    expires_at: datetime = required_time_field()
    reserved_until: datetime | None = time_field()
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class OfferTransition(SQLModel, table=True):
    """One step of an offer: from, to, who (None for the system), the amount, why."""

    __tablename__ = "offer_transitions"

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="offers.id", index=True)
    from_status: str | None = Field(default=None, max_length=12)
    to_status: str = Field(max_length=12)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    amount_cents: int | None = money_field(default=None)
    reason: str = Field(default="", max_length=200)
    at: datetime = created_field()
