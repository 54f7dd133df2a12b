"""A seller's money: balance, escrow still held, statements per order, CSV, weekly sales.

Figures come straight from the tables: gross and commission from the order
(commission is fixed when the order is placed), the balance and what went to
it from the ledger's entries (sums, never stored counters).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import get_currency_precision
from sqlalchemy import func
from sqlmodel import Session, select

from marketplace_app.models import LedgerEntry, LedgerTransaction, Order
from marketplace_app.models.types import utcnow
from marketplace_app.services import ledger
from marketplace_app.settings import settings

# Not sales: never paid for (still waiting, or cancelled before it mattered).
NOT_SALES = ("pending_payment", "cancelled")
# Sales that did not stay sales: left out of the weekly figures.
UNDONE = ("refunded",)
PAGE_LIMIT = 50
CSV_LIMIT = 20_000
CHART_WEEKS = 8
CSV_COLUMNS = (
    "date",
    "order",
    "payment",
    "status",
    "gross",
    "commission",
    "net",
    "to_balance",
    "currency",
)
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SellerBalance:
    """What the platform owes a seller now, and what escrow still holds for their orders."""

    available_cents: int
    held_cents: int


@dataclass(frozen=True)
class StatementLine:
    """One order on a seller's statement."""

    order_id: int
    number: str
    created_at: datetime
    payment_method: str
    status: str
    gross_cents: int
    commission_cents: int
    net_cents: int
    to_balance_cents: int


@dataclass(frozen=True)
class WeekTotal:
    """Net sales of the week starting on ``week_start`` (a Monday, market time)."""

    week_start: date
    net_cents: int


def seller_balance(session: Session, seller_id: int) -> SellerBalance:
    """The seller's available balance and the escrow held for their orders.

    Args:
        session: any session.
        seller_id: the seller's user id.

    Returns:
        Both amounts in minor units (the balance can be negative: commission
        owed on cash orders).
    """
    held = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(Order, Order.id == LedgerTransaction.order_id)
        .where(Order.seller_id == seller_id, LedgerEntry.account == ledger.ESCROW)
    ).one()
    return SellerBalance(
        available_cents=ledger.balance(session, ledger.seller_account(seller_id)),
        held_cents=int(held),
    )


def _to_balance(session: Session, seller_id: int, order_ids: list[int]) -> dict[int, int]:
    if not order_ids:
        return {}
    rows = session.exec(
        select(LedgerTransaction.order_id, func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(
            LedgerTransaction.order_id.in_(order_ids),
            LedgerEntry.account == ledger.seller_account(seller_id),
        )
        .group_by(LedgerTransaction.order_id)
    ).all()
    return {order_id: int(total) for order_id, total in rows}


def statements(
    session: Session, seller_id: int, *, limit: int = PAGE_LIMIT, before_id: int | None = None
) -> list[StatementLine]:
    """The seller's orders that were sales, newest first.

    Args:
        session: any session.
        seller_id: the seller's user id.
        limit: at most this many lines (capped at CSV_LIMIT).
        before_id: only orders older than this order id (the next page).

    Returns:
        Lines with gross, commission, net and what reached the seller's balance.
    """
    query = select(Order).where(Order.seller_id == seller_id, Order.status.not_in(NOT_SALES))
    if before_id is not None:
        query = query.where(Order.id < before_id)
    orders = session.exec(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(
            max(1, min(int(limit), CSV_LIMIT))
        )
    ).all()
    credited = _to_balance(session, seller_id, [o.id for o in orders])
    return [
        StatementLine(
            order_id=o.id,
            number=o.number,
            created_at=o.created_at,
            payment_method=o.payment_method,
            status=o.status,
            gross_cents=o.total_cents,
            commission_cents=o.commission_cents,
            net_cents=o.total_cents - o.commission_cents,
            to_balance_cents=credited.get(o.id, 0),
        )
        for o in orders
    ]


def _week_start(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def weekly_net(
    session: Session, seller_id: int, *, weeks: int = CHART_WEEKS, now: datetime | None = None
) -> list[WeekTotal]:
    """Net sales (gross minus commission) per week, oldest week first, this week last.

    Weeks start on Monday in the market's time zone; weeks without sales are
    present with 0. Refunded orders are left out.

    Args:
        session: any session.
        seller_id: the seller's user id.
        weeks: how many weeks, this one included.
        now: the moment "this week" is judged from; the clock when omitted.

    Returns:
        One total per week.
    """
    zone = ZoneInfo(settings.timezone)
    current = _week_start(now or utcnow(), zone)
    first = current - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    rows = session.exec(
        select(Order.created_at, Order.total_cents - Order.commission_cents).where(
            Order.seller_id == seller_id,
            Order.status.not_in(NOT_SALES + UNDONE),
            Order.created_at >= since,
        )
    ).all()
    totals = {first + timedelta(weeks=i): 0 for i in range(weeks)}
    for created_at, net in rows:
        week = _week_start(created_at, zone)
        if week in totals:
            totals[week] += int(net)
    return [WeekTotal(week, cents) for week, cents in totals.items()]


def decimal_amount(cents: int, currency: str | None = None) -> str:
    """Minor units as a plain decimal for files: 1250 -> "12.50", -5 -> "-0.05"."""
    precision = get_currency_precision(currency or settings.currency)
    return f"{Decimal(int(cents)).scaleb(-precision):.{precision}f}"


def csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula.

    Text starting with ``= + - @`` (or a tab or carriage return) gets a
    leading apostrophe. Plain numbers such as ``-0.50`` are left as they are:
    they are data, not formulas.

    Args:
        value: the cell's text.

    Returns:
        The text to write.
    """
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def status_key(line: StatementLine) -> str:
    """The catalog key of a line's status as people see it (cash "paid" = pay at handover)."""
    if line.status == "paid" and line.payment_method == "cash":
        return "orders.status.paid_cash"
    return f"orders.status.{line.status}"


def csv_text(
    lines: Iterable[StatementLine],
    *,
    headers: dict[str, str],
    status_label: Callable[[StatementLine], str],
) -> str:
    """A statement as CSV (UTF-8 text with a byte-order mark, for spreadsheets).

    Args:
        lines: the statement lines.
        headers: column key (CSV_COLUMNS) -> heading in the reader's language.
        status_label: a line's status in the reader's language.

    Returns:
        The CSV document.
    """
    zone = ZoneInfo(settings.timezone)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(headers[key]) for key in CSV_COLUMNS])
    for line in lines:
        row = (
            line.created_at.astimezone(zone).date().isoformat(),
            line.number,
            line.payment_method,
            status_label(line),
            decimal_amount(line.gross_cents),
            decimal_amount(line.commission_cents),
            decimal_amount(line.net_cents),
            decimal_amount(line.to_balance_cents),
            settings.currency,
        )
        writer.writerow([csv_safe(str(cell)) for cell in row])
    return out.getvalue()
