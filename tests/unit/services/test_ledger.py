"""The double-entry ledger: balanced posts only, balances are sums."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.models import LedgerEntry, LedgerTransaction
from marketplace_app.services import ledger
from tests.unit.invariants import ledger_problems


def test_seller_account_names_the_user():
    assert ledger.seller_account(42) == "seller:42"


def test_a_balanced_post_is_kept_and_balances_are_sums(session):
    txn = ledger.post(
        session, "payment", [(ledger.GATEWAY, -1500), (ledger.ESCROW, 1500)], memo="A1"
    )
    ledger.post(
        session,
        "release",
        [(ledger.ESCROW, -1500), (ledger.seller_account(7), 1425), (ledger.COMMISSION, 75)],
    )
    assert txn.id is not None and txn.kind == "payment" and txn.memo == "A1"
    assert ledger.balance(session, ledger.GATEWAY) == -1500
    assert ledger.balance(session, ledger.ESCROW) == 0
    assert ledger.balance(session, "seller:7") == 1425
    assert ledger.balance(session, ledger.COMMISSION) == 75
    assert ledger.balance(session, "seller:8") == 0
    assert ledger_problems(session) == []


@pytest.mark.parametrize(
    "entries",
    [
        [(ledger.GATEWAY, -100), (ledger.ESCROW, 99)],
        [(ledger.GATEWAY, -100)],
        [("bank", -100), (ledger.ESCROW, 100)],
        [("seller:abc", -100), (ledger.ESCROW, 100)],
        [("seller:0", -100), (ledger.ESCROW, 100)],
        [(ledger.GATEWAY, -1.5), (ledger.ESCROW, 1.5)],
        [(ledger.GATEWAY, True), (ledger.ESCROW, -1)],
    ],
)
def test_unbalanced_or_unknown_entries_are_refused(session, entries):
    with pytest.raises(ledger.UnbalancedEntries):
        ledger.post(session, "payment", entries)
    assert session.exec(select(LedgerTransaction)).all() == []


def test_unknown_kind_is_refused(session):
    with pytest.raises(ledger.UnbalancedEntries):
        ledger.post(session, "gift", [(ledger.GATEWAY, -1), (ledger.ESCROW, 1)])


def test_zero_legs_are_left_out_and_all_zero_writes_nothing(session):
    txn = ledger.post(
        session, "release", [(ledger.ESCROW, -500), ("seller:3", 500), (ledger.COMMISSION, 0)]
    )
    legs = session.exec(select(LedgerEntry).where(LedgerEntry.transaction_id == txn.id)).all()
    assert sorted(leg.account for leg in legs) == ["escrow", "seller:3"]
    assert ledger.post(session, "release", [("seller:3", 0), (ledger.COMMISSION, 0)]) is None
    assert len(session.exec(select(LedgerTransaction)).all()) == 1
