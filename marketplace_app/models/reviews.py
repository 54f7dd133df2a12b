"""Reviews between the two sides of a completed order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, in_check, time_field

REVIEW_ROLES = ("buyer", "seller")


class Review(SQLModel, table=True):
    """One side's rating of the other after an order; one per side per order.

    For shop goods the buyer also rates the product (``product_stars``, on
    ``listing_id``). ``photo_keys`` holds up to five media keys, space-separated.

    ``published_at`` stays empty until both sides reviewed or the blind window
    ended. Hidden reviews keep their words; ``hidden_reason`` says why.
    """

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("order_id", "author_id"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        CheckConstraint(
            "product_stars IS NULL OR product_stars BETWEEN 1 AND 5", name="product_stars_range"
        ),
        CheckConstraint(in_check("author_role", REVIEW_ROLES), name="author_role"),
        Index("ix_reviews_subject_id_published_at", "subject_id", "published_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    author_id: int = Field(foreign_key="users.id")
    subject_id: int = Field(foreign_key="users.id")
    listing_id: int | None = Field(default=None, foreign_key="listings.id", index=True)
    author_role: str = Field(max_length=8)
    stars: int
    product_stars: int | None = Field(default=None)
    text: str = Field(default="", max_length=2000)
    photo_keys: str = Field(default="", max_length=400)
    reply_text: str = Field(default="", max_length=1000)
    replied_at: datetime | None = time_field()
    created_at: datetime = created_field()
    published_at: datetime | None = time_field()
    hidden_at: datetime | None = time_field()
    hidden_reason: str = Field(default="", max_length=500)
