"""The double-entry ledger: every movement of money is a balanced set of entries.

Accounts are strings:

- ``gateway``: money outside the platform (what buyers paid in, or got back);
- ``escrow``: buyers' money the platform holds until an order completes;
- ``commission``: the platform's income;
- ``seller:<user id>``: what the platform owes a seller.

A balance is always the sum of an account's entries, never a stored counter.
Movements posted by the order lifecycle (:mod:`marketplace_app.services.orders`):

- payment in: gateway -X, escrow +X
- release: escrow -X, seller +(X - commission), commission +commission
- refund: escrow -X, gateway +X
- cash order completed: seller -commission, commission +commission
"""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import Session, select

from marketplace_app.models import LedgerEntry, LedgerTransaction
from marketplace_app.models.payments import LEDGER_KINDS

GATEWAY = "gateway"
ESCROW = "escrow"
COMMISSION = "commission"
SELLER_PREFIX = "seller:"

_ACCOUNT = re.compile(r"(gateway|escrow|commission|seller:[1-9][0-9]{0,11})")


class UnbalancedEntries(ValueError):
    """Entries that do not sum to zero, name an unknown account or kind: a programming error."""


def seller_account(user_id: int) -> str:
    """The ledger account of what the platform owes a seller.

    Args:
        user_id: the seller's user id.

    Returns:
        ``"seller:<user_id>"``.
    """
    return f"{SELLER_PREFIX}{int(user_id)}"


def post(
    session: Session,
    kind: str,
    entries: list[tuple[str, int]],
    *,
    order_id: int | None = None,
    payment_id: int | None = None,
    memo: str = "",
) -> LedgerTransaction | None:
    """Record one balanced movement of money in the caller's transaction.

    Legs of zero are left out (a free item has no commission leg); when every
    leg is zero nothing is written.

    Args:
        session: the caller's write session.
        kind: "payment", "release" or "refund".
        entries: (account, signed amount in minor units) pairs summing to zero.
        order_id: the order the movement belongs to, if any.
        payment_id: the gateway payment it belongs to, if any.
        memo: a short note for statements (cut to 200 characters).

    Returns:
        The transaction, or None when every leg was zero.

    Raises:
        UnbalancedEntries: the amounts do not sum to zero, an amount is not an
            integer, an account or the kind is unknown.
    """
    if kind not in LEDGER_KINDS:
        raise UnbalancedEntries(f"unknown ledger kind {kind!r}")
    legs: list[tuple[str, int]] = []
    for account, amount in entries:
        if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
            raise UnbalancedEntries(f"unknown ledger account {account!r}")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise UnbalancedEntries(f"amount {amount!r} is not integer minor units")
        if amount:
            legs.append((account, amount))
    if sum(amount for _, amount in legs) != 0:
        raise UnbalancedEntries(f"entries do not balance: {legs!r}")
    if not legs:
        return None
    txn = LedgerTransaction(kind=kind, order_id=order_id, payment_id=payment_id, memo=memo[:200])
    session.add(txn)
    session.flush()
    session.add_all(
        LedgerEntry(transaction_id=txn.id, account=account, amount_cents=amount)
        for account, amount in legs
    )
    session.flush()
    return txn


def balance(session: Session, account: str) -> int:
    """The balance of an account: the sum of its entries.

    Args:
        session: any session.
        account: an account name (see the module docstring).

    Returns:
        Minor units; 0 for an account with no entries.
    """
    total = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.account == account
        )
    ).one()
    return int(total)


def order_balance(session: Session, order_id: int, account: str) -> int:
    """The sum of one account's entries in the transactions of one order.

    Args:
        session: any session.
        order_id: the order.
        account: an account name.

    Returns:
        Minor units, e.g. what escrow still holds for the order.
    """
    total = session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.order_id == order_id, LedgerEntry.account == account)
    ).one()
    return int(total)
