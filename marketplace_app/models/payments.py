"""Payments through a gateway, their webhook events, commission rates and the ledger.

The ledger is double entry: every :class:`LedgerTransaction` has entries whose
amounts sum to zero, and a balance is the sum of an account's entries. Accounts
are strings: ``gateway`` (money outside the platform), ``escrow`` (held for
buyers), ``seller:<user id>`` (owed to a seller), ``commission`` (the
platform's income).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, in_check, money_field, time_field

PAYMENT_STATUSES = ("created", "paid", "failed", "expired", "refunded")
SELLER_KINDS = ("shop", "resident")
LEDGER_KINDS = ("payment", "release", "refund")


class Payment(SQLModel, table=True):
    """One hosted-checkout session at the gateway, for the escrow orders of a checkout."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(in_check("status", PAYMENT_STATUSES), name="status"),
        CheckConstraint("amount_cents > 0", name="amount_pos"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="order_groups.id", index=True)
    provider: str = Field(max_length=20)
    status: str = Field(default="created", max_length=12)
    amount_cents: int = money_field()
    gateway_ref: str = Field(max_length=80, unique=True)
    checkout_url: str = Field(default="", max_length=500)
    created_at: datetime = created_field()
    paid_at: datetime | None = time_field()


class PaymentEvent(SQLModel, table=True):
    """A verified gateway webhook, kept once: a repeated delivery finds its row and stops."""

    __tablename__ = "payment_events"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=80, unique=True)
    payment_id: int = Field(foreign_key="payments.id", index=True)
    type: str = Field(max_length=40)
    received_at: datetime = created_field()


class CommissionRate(SQLModel, table=True):
    """The platform's cut for one kind of seller, in basis points (500 = 5 %)."""

    __tablename__ = "commission_rates"
    __table_args__ = (
        CheckConstraint(in_check("seller_kind", SELLER_KINDS), name="seller_kind"),
        CheckConstraint("basis_points >= 0 AND basis_points <= 5000", name="basis_points_range"),
    )

    seller_kind: str = Field(primary_key=True, max_length=12)
    basis_points: int
    updated_by: int | None = Field(default=None, foreign_key="users.id")
    updated_at: datetime = created_field()


class LedgerTransaction(SQLModel, table=True):
    """One balanced movement of money (its entries sum to zero)."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (CheckConstraint(in_check("kind", LEDGER_KINDS), name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payments.id", index=True)
    memo: str = Field(default="", max_length=200)
    created_at: datetime = created_field()


class LedgerEntry(SQLModel, table=True):
    """One leg of a ledger transaction: a signed amount on one account."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_nonzero"),
        Index("ix_ledger_entries_account_id", "account", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="ledger_transactions.id", index=True)
    account: str = Field(max_length=40)
    amount_cents: int = money_field()
