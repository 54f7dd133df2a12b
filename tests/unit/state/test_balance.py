"""The seller balance page's state: login, figures from a known ledger, empty state."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from marketplace_app.db import write_session
from marketplace_app.models import Order
from marketplace_app.services import ledger
from marketplace_app.services.payments.statements import WeekTotal
from marketplace_app.state.balance import BalanceState, week_points
from tests.unit.services.conftest import make_user
from tests.unit.services.test_payments import make_group
from tests.unit.state.conftest import call, redirect_target


def test_the_page_needs_a_login(make_state, db):
    state = make_state(BalanceState, path="/seller/balance")
    target = redirect_target(call(state, "load"))
    assert target == "/login?next=%2Fseller%2Fbalance"
    assert not state.loaded


def test_a_user_without_sales_sees_zero_and_no_rows(make_state, login_as):
    _, token = login_as("nobody@example.com")
    state = make_state(BalanceState, token=token, path="/seller/balance")
    call(state, "load")
    assert state.loaded and state.rows == []
    assert "0.00" in state.available and "0.00" in state.held
    assert len(state.weeks) == 8 and all(w["cents"] == 0 for w in state.weeks)


def test_figures_and_statements_of_the_seller(make_state, login_as):
    seller, token = login_as("seller@example.com")
    with write_session() as s:
        buyer = make_user(s, "Buyer").id
        done = make_group(s, buyer, seller, (10_000,), status="completed")
        make_group(s, buyer, seller, (4_000,), status="paid")
        make_group(s, buyer, seller, (2_000,), method="cash")
        make_group(s, buyer, buyer, (9_999,), status="paid")  # someone else's sale
        order = s.exec(select(Order).where(Order.group_id == done.id)).one()
        ledger.post(s, "payment", [("gateway", -10_000), ("escrow", 10_000)], order_id=order.id)
        ledger.post(
            s,
            "release",
            [("escrow", -10_000), (ledger.seller_account(seller), 9_500), ("commission", 500)],
            order_id=order.id,
        )
        held = s.exec(select(Order).where(Order.seller_id == seller, Order.status == "paid"))
        for o in held:
            if o.payment_method == "escrow":
                ledger.post(s, "payment", [("gateway", -4_000), ("escrow", 4_000)], order_id=o.id)
    state = make_state(BalanceState, token=token, path="/seller/balance")
    call(state, "load")
    assert state.loaded
    assert "95.00" in state.available and not state.available_negative
    assert "40.00" in state.held
    assert len(state.rows) == 3
    by_number = {row.number: row for row in state.rows}
    row = by_number[order.number]
    assert "100.00" in row.gross and "5.00" in row.commission and "95.00" in row.net
    assert "95.00" in row.to_balance and row.href == f"/orders/{order.number}"
    assert row.status == "completed"
    assert {r.status for r in state.rows} == {"completed", "paid"}
    assert sum(w["cents"] for w in state.weeks) == 9_500 + 3_800 + 1_900
    assert state.chart_label and state.more_note == ""


def test_chart_points_carry_cents_and_a_short_label():
    points = week_points(
        [WeekTotal(date(2025, 6, 16), 123_456), WeekTotal(date(2025, 6, 23), 0)], "en"
    )
    assert points[0] == {"week": "6/16", "cents": 123_456, "amount": "CN¥1.2K"}
    assert points[1]["amount"] == ""
