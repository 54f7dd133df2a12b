"""Orders: one group per checkout, one order per seller, lines and the transition log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, in_check, money_field, time_field

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
REFUND_STATUSES = (
    "requested",
    "accepted",
    "declined",
    "disputed",
    "decided_refund",
    "decided_release",
)


class OrderGroup(SQLModel, table=True):
    """What one checkout created. ``idempotency_key`` makes placing it repeat-safe."""

    __tablename__ = "order_groups"
    __table_args__ = (CheckConstraint("total_cents >= 0", name="total_nonneg"),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=24, unique=True)
    buyer_id: int = Field(foreign_key="users.id", index=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    total_cents: int = money_field()
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
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        Index("ix_orders_status_handover_due_at", "status", "handover_due_at"),
        CheckConstraint("commission_cents >= 0", name="commission_nonneg"),
        CheckConstraint("commission_cents <= total_cents", name="commission_le_total"),
        CheckConstraint("handover_failures >= 0", name="handover_failures_nonneg"),
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
    subtotal_cents: int = money_field()
    delivery_fee_cents: int = money_field(default=0)
    discount_cents: int = money_field(default=0)
    total_cents: int = money_field()
    address_text: str = Field(default="", max_length=400)
    tracking_number: str = Field(default="", max_length=60)
    handover_code_hash: str = Field(default="", max_length=64)
    handover_failures: int = Field(default=0)
    commission_cents: int = money_field(default=0)
    slot_starts_at: datetime | None = time_field()
    slot_ends_at: datetime | None = time_field()
    expires_at: datetime | None = time_field()
    paid_at: datetime | None = time_field()
    handed_over_at: datetime | None = time_field()
    release_due_at: datetime | None = time_field()
    # Cash orders: not handed over by then, the system cancels it (the seller's window).
    handover_due_at: datetime | None = time_field()
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
    variant_id: int | None = Field(default=None, foreign_key="listing_variants.id")
    title: str = Field(max_length=80)
    variant_label: str = Field(default="", max_length=40)
    unit_price_cents: int = money_field()
    quantity: int
    line_total_cents: int = money_field()


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


class RefundRequest(SQLModel, table=True):
    """A buyer's request for their money back, and the dispute that may follow."""

    __tablename__ = "refund_requests"
    __table_args__ = (CheckConstraint(in_check("status", REFUND_STATUSES), name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True)
    status: str = Field(default="requested", max_length=20, index=True)
    reason: str = Field(max_length=40)
    buyer_statement: str = Field(default="", max_length=2000)
    seller_statement: str = Field(default="", max_length=2000)
    photo_keys: str = Field(default="", max_length=400)
    decided_by: int | None = Field(default=None, foreign_key="users.id")
    decision_reason: str = Field(default="", max_length=1000)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
