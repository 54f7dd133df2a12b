"""Checks that must hold after any sequence of orders, payments and timers.

Use after a test (or a concurrency/fault run)::

    baseline = stock_baseline(session)   # before, once the listings exist
    ...                                  # orders, payments, timers
    check_invariants(session, baseline)  # raises AssertionError listing every problem

What is checked:

- stock is conserved: for every listing and variant, stock on the shelf plus the
  units held by orders that are not cancelled equals the baseline, and no stock
  is negative; a product's stock is the sum of its variants', and every shop
  product has at least one variant (the one it sells through);
- every ledger transaction has at least two entries summing to zero;
- the escrow account's balance equals the money of held escrow orders (paid and
  not yet completed, cancelled or refunded), order by order;
- each order's transition log starts with its creation, chains from status to
  status, uses only moves :data:`orders.TRANSITIONS` allows for the actor who
  made them, and ends in the order's current status.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace_app.models import (
    LedgerEntry,
    LedgerTransaction,
    Listing,
    ListingVariant,
    Order,
    OrderLine,
    OrderTransition,
)
from marketplace_app.services import ledger, orders

StockKey = tuple[str, int]


def _held_units(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Units held by live (not cancelled) orders, per listing and per variant."""
    rows = session.exec(
        select(OrderLine.listing_id, OrderLine.variant_id, OrderLine.quantity)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status != "cancelled")
    ).all()
    by_listing: dict[int, int] = defaultdict(int)
    by_variant: dict[int, int] = defaultdict(int)
    for listing_id, variant_id, quantity in rows:
        by_listing[listing_id] += quantity
        if variant_id is not None:
            by_variant[variant_id] += quantity
    return by_listing, by_variant


def stock_baseline(session: Session) -> dict[StockKey, int]:
    """Stock plus units held by live orders, per listing and variant: what must not change."""
    by_listing, by_variant = _held_units(session)
    totals: dict[StockKey, int] = {}
    for listing_id, stock in session.exec(select(Listing.id, Listing.stock)).all():
        totals[("listing", listing_id)] = stock + by_listing.get(listing_id, 0)
    for variant_id, stock in session.exec(select(ListingVariant.id, ListingVariant.stock)).all():
        totals[("variant", variant_id)] = stock + by_variant.get(variant_id, 0)
    return totals


def stock_problems(session: Session, baseline: dict[StockKey, int] | None) -> list[str]:
    """What breaks stock conservation (an empty list when nothing does)."""
    problems = []
    now = stock_baseline(session)
    if baseline is not None:
        for key, before in baseline.items():
            if now.get(key) != before:
                problems.append(f"stock of {key} not conserved: {before} -> {now.get(key)}")
    for table, stock_col, id_col in (
        (Listing, Listing.stock, Listing.id),
        (ListingVariant, ListingVariant.stock, ListingVariant.id),
    ):
        for row_id in session.exec(select(id_col).where(stock_col < 0)).all():
            problems.append(f"negative stock in {table.__tablename__} {row_id}")
    sums = dict(
        session.exec(
            select(ListingVariant.listing_id, func.sum(ListingVariant.stock)).group_by(
                ListingVariant.listing_id
            )
        ).all()
    )
    for listing_id, total in sums.items():
        stock = session.get(Listing, listing_id).stock
        if stock != total:
            problems.append(f"listing {listing_id} stock {stock} != its variants' {total}")
    for listing_id in session.exec(
        select(Listing.id).where(Listing.kind == "shop", col(Listing.id).not_in(list(sums)))
    ).all():
        problems.append(f"shop product {listing_id} has no variant to sell")
    return problems


def ledger_problems(session: Session) -> list[str]:
    """Unbalanced transactions, and escrow that does not match the held orders."""
    problems = []
    legs = session.exec(
        select(
            LedgerTransaction.id,
            func.count(LedgerEntry.id),
            func.coalesce(func.sum(LedgerEntry.amount_cents), 0),
        )
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id, isouter=True)
        .group_by(LedgerTransaction.id)
    ).all()
    for txn_id, count, total in legs:
        if count < 2 or total != 0:
            problems.append(f"ledger transaction {txn_id}: {count} entries summing to {total}")
    escrow_by_order = dict(
        session.exec(
            select(LedgerTransaction.order_id, func.sum(LedgerEntry.amount_cents))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerEntry.account == ledger.ESCROW)
            .group_by(LedgerTransaction.order_id)
        ).all()
    )
    held_total = 0
    for order in session.exec(select(Order)).all():
        held = order.payment_method == "escrow" and order.status in orders.HELD_STATUSES
        expected = order.total_cents if held else 0
        held_total += expected
        if escrow_by_order.get(order.id, 0) != expected:
            problems.append(
                f"order {order.number} ({order.status}): escrow holds "
                f"{escrow_by_order.get(order.id, 0)}, expected {expected}"
            )
    stray = escrow_by_order.get(None, 0)
    if stray:
        problems.append(f"escrow entries without an order: {stray}")
    if ledger.balance(session, ledger.ESCROW) != held_total:
        problems.append(
            f"escrow balance {ledger.balance(session, ledger.ESCROW)} != held orders {held_total}"
        )
    return problems


def transition_problems(session: Session) -> list[str]:
    """Transition logs that break the state machine."""
    problems = []
    log: dict[int, list[OrderTransition]] = defaultdict(list)
    for entry in session.exec(select(OrderTransition).order_by(col(OrderTransition.id))).all():
        log[entry.order_id].append(entry)
    for order in session.exec(select(Order)).all():
        entries = log.get(order.id, [])
        if not entries:
            problems.append(f"order {order.number} has no transition log")
            continue
        first = entries[0]
        if first.from_status is not None or first.to_status != orders.INITIAL_STATUS.get(
            order.payment_method
        ):
            problems.append(
                f"order {order.number} starts {first.from_status!r} -> {first.to_status!r}"
            )
        previous = first.to_status
        for entry in entries[1:]:
            kind = orders.actor_kind(order, entry)
            if entry.from_status != previous:
                problems.append(
                    f"order {order.number}: log jumps from {previous} to {entry.from_status}"
                )
            if not orders.allowed(entry.from_status, entry.to_status, kind):
                problems.append(
                    f"order {order.number}: illegal {entry.from_status} -> {entry.to_status} "
                    f"by {kind}"
                )
            previous = entry.to_status
        if previous != order.status:
            problems.append(f"order {order.number} is {order.status} but its log ends {previous}")
    return problems


def check_invariants(session: Session, baseline: dict[StockKey, int] | None = None) -> None:
    """Assert every invariant; the message lists all problems found.

    Args:
        session: a session seeing the committed data.
        baseline: from :func:`stock_baseline`, to check conservation (else only
            non-negative stock and variant sums are checked).

    Raises:
        AssertionError: one or more invariants are broken.
    """
    problems = [
        *stock_problems(session, baseline),
        *ledger_problems(session),
        *transition_problems(session),
    ]
    assert not problems, "invariants broken:\n" + "\n".join(problems)
