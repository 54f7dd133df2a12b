"""Orders: one group per checkout, one order per seller, lines and the transition log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, in_check

ORDER_STATUSES = (
    "pending_payment",
    "paid",
    "ready_for_pickup",
    "shipped",
    "out_for_delivery",
    "handed_over",
    "delivered",
    "completed",
    "cancelled",
    "refund_requested",
    "refunded",
    "refund_declined",
    "disputed",
)
DELIVERY_METHODS = ("pickup", "local", "courier")
PAYMENT_METHODS = ("cash", "escrow")


class OrderGroup(SQLModel, table=True):
    """What one checkout created. ``idempotency_key`` makes placing it repeat-safe."""

    __tablename__ = "order_groups"
    __table_args__ = (CheckConstraint("total_cents >= 0", name="total_nonneg"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=24, unique=True)
    buyer_id: int = Field(foreign_key="users.id", index=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    total_cents: int
    created_at: datetime = created_field()


class Order(SQLModel, table=True):
    """One seller's part of a checkout; its ``status`` is a state machine."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(in_check("status", ORDER_STATUSES), name="status"),
        CheckConstraint(in_check("delivery_method", DELIVERY_METHODS), name="delivery_method"),
        CheckConstraint(in_check("payment_method", PAYMENT_METHODS), name="payment_method"),
        CheckConstraint("subtotal_cents >= 0", name="subtotal_nonneg"),
        CheckConstraint("delivery_fee_cents >= 0", name="fee_nonneg"),
        CheckConstraint(
            "total_cents = subtotal_cents + delivery_fee_cents - discount_cents", name="total_sum"
        ),
        Index("ix_orders_buyer_id_created_at", "buyer_id", "created_at"),
        Index("ix_orders_seller_id_created_at", "seller_id", "created_at"),
        Index("ix_orders_status_updated_at", "status", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)
    group_id: int = Field(foreign_key="order_groups.id", index=True)
    buyer_id: int = Field(foreign_key="users.id")
    seller_id: int = Field(foreign_key="users.id")
    shop_id: int | None = Field(default=None, foreign_key="shops.id")
    status: str = Field(max_length=20)
    delivery_method: str = Field(max_length=12)
    payment_method: str = Field(max_length=12)
    subtotal_cents: int
    delivery_fee_cents: int = Field(default=0)
    discount_cents: int = Field(default=0)
    total_cents: int
    address_text: str = Field(default="", max_length=400)
    tracking_number: str = Field(default="", max_length=60)
    handover_code_hash: str = Field(default="", max_length=64)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()


class OrderLine(SQLModel, table=True):
    """A listing in an order, with the title and price as they were at checkout."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_pos"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_nonneg"),
        CheckConstraint("line_total_cents = unit_price_cents * quantity", name="line_total"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    listing_id: int = Field(foreign_key="listings.id", index=True)
    title: str = Field(max_length=80)
    unit_price_cents: int
    quantity: int
    line_total_cents: int


class OrderTransition(SQLModel, table=True):
    """One row per status change of an order: the order's timeline."""

    __tablename__ = "order_transitions"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    reason: str = Field(default="", max_length=500)
    at: datetime = created_field()
