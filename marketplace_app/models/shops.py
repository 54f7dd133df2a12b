"""Shops: applications, approval and staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import (
    HANDOVER_DAYS_CHECK,
    HANDOVER_DAYS_DEFAULT,
    created_field,
    in_check,
    time_field,
)

SHOP_STATUSES = ("pending", "approved", "rejected", "suspended")
SHOP_ROLES = ("owner", "staff")


class Shop(SQLModel, table=True):
    """A local business selling new goods. Public once ``status`` is approved."""

    __tablename__ = "shops"
    __table_args__ = (
        CheckConstraint(in_check("status", SHOP_STATUSES), name="status"),
        CheckConstraint(HANDOVER_DAYS_CHECK, name="cash_handover_days_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=80)
    slug: str = Field(max_length=80, unique=True)
    description: str = Field(default="", max_length=2000)
    status: str = Field(default="pending", max_length=16, index=True)
    review_reason: str = Field(default="", max_length=500)
    phone: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=200)
    pickup_point: str = Field(default="", max_length=200)
    district: str = Field(default="", max_length=60)
    lat: float | None = Field(default=None)
    lon: float | None = Field(default=None)
    # JSON: {"mon": [["08:00", "18:00"]], ...}; empty list = closed that day.
    opening_hours: str = Field(default="{}", max_length=2000)
    logo_key: str | None = Field(default=None, max_length=80)
    banner_key: str | None = Field(default=None, max_length=80)
    import_key: str | None = Field(default=None, max_length=40, unique=True)
    # Days a cash order of the shop's may wait for its handover.
    cash_handover_days: int = Field(default=HANDOVER_DAYS_DEFAULT)
    created_at: datetime = created_field()
    reviewed_at: datetime | None = time_field()
    reviewed_by: int | None = Field(default=None, foreign_key="users.id")


class ShopMember(SQLModel, table=True):
    """A user who may act for a shop."""

    __tablename__ = "shop_members"
    __table_args__ = (
        UniqueConstraint("shop_id", "user_id"),
        CheckConstraint(in_check("role", SHOP_ROLES), name="role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shop_id: int = Field(foreign_key="shops.id")
    user_id: int = Field(foreign_key="users.id", index=True)
    role: str = Field(default="staff", max_length=16)
    created_at: datetime = created_field()
