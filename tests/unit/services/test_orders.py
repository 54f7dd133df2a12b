"""The order state machine: every transition by every actor, access, money, stock, notices.

Each action runs in its own write transaction, as a state handler or job would;
after every test the invariants (stock conserved, balanced ledger, escrow equal
to held orders, legal transition logs) are checked.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import (
    BlockedTerm,
    InboxItem,
    LedgerTransaction,
    Listing,
    ListingVariant,
    Order,
    OrderTransition,
    OutboxEmail,
    RefundRequest,
)
from marketplace_app.models.orders import ORDER_STATUSES
from marketplace_app.models.types import utcnow
from marketplace_app.services import blocklist, ledger, orders
from marketplace_app.services.errors import (
    NotFound,
    OwnCase,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from marketplace_app.settings import settings
from tests.unit.orders_factory import Town, act, checked_town, code_of, pay, place, read


def fresh(order: Order) -> Order:
    with read_session() as s:
        return s.get(Order, order.id)


def log_of(order: Order) -> list[tuple[str | None, str]]:
    with read_session() as s:
        rows = s.exec(
            select(OrderTransition)
            .where(OrderTransition.order_id == order.id)
            .order_by(OrderTransition.id)
        ).all()
        return [(r.from_status, r.to_status) for r in rows]


@pytest.fixture
def town(db):
    """The cast, and after the test: every invariant against the stock before any order."""
    yield from checked_town()


def new_order(town: Town, *, payment="escrow", delivery="pickup", listing=None, qty=1, buyer=None):
    with write_session() as s:
        return place(
            s,
            buyer or town.buyer,
            [(listing or town.bread, None, qty)],
            payment=payment,
            delivery=delivery,
            fee=0 if delivery == "pickup" else 300,
        )


def pay_for(order: Order) -> list[str]:
    with write_session() as s:
        return pay(s, order.group_id)[1]


STEPS = {
    "pay": lambda t, o: pay_for(o),
    "ready": lambda t, o: act(orders.mark_ready, t.shop_owner.id, o.number),
    "handover": lambda t, o: act(orders.confirm_handover, t.shop_owner.id, o.number, code_of(o)),
    "ship": lambda t, o: act(orders.mark_shipped, t.shop_owner.id, o.number, "TRACK-12345"),
    "out": lambda t, o: act(orders.mark_out_for_delivery, t.shop_owner.id, o.number),
    "deliver": lambda t, o: act(orders.mark_delivered, t.shop_owner.id, o.number),
    "request": lambda t, o: act(
        orders.request_refund,
        t.buyer.id,
        o.number,
        reason="damaged",
        statement="The crust was crushed.",
    ),
    "decline": lambda t, o: act(orders.decline_refund, t.shop_owner.id, o.number, "It was fine."),
    "escalate": lambda t, o: act(orders.escalate, t.buyer.id, o.number),
    "confirm": lambda t, o: act(orders.confirm_receipt, t.buyer.id, o.number),
    "accept": lambda t, o: act(orders.accept_refund, t.shop_owner.id, o.number),
    "cancel": lambda t, o: act(orders.cancel, t.buyer.id, o.number),
}
PICKUP = ["pay", "ready", "handover"]
ROUTES = {
    "pending_payment": ("pickup", []),
    "paid": ("pickup", ["pay"]),
    "ready_for_pickup": ("pickup", ["pay", "ready"]),
    "handed_over": ("pickup", PICKUP),
    "refund_requested": ("pickup", [*PICKUP, "request"]),
    "refund_declined": ("pickup", [*PICKUP, "request", "decline"]),
    "disputed": ("pickup", [*PICKUP, "request", "decline", "escalate"]),
    "completed": ("pickup", [*PICKUP, "confirm"]),
    "refunded": ("pickup", [*PICKUP, "request", "accept"]),
    "cancelled": ("pickup", ["cancel"]),
    "shipped": ("courier", ["pay", "ship"]),
    "delivered": ("courier", ["pay", "ship", "deliver"]),
    "out_for_delivery": ("local", ["pay", "out"]),
}


def reach(town: Town, status: str) -> Order:
    """A new escrow order driven through the services to ``status``."""
    delivery, steps = ROUTES[status]
    order = new_order(town, delivery=delivery)
    for step in steps:
        STEPS[step](town, order)
    order = fresh(order)
    assert order.status == status
    return order


def test_routes_cover_every_status():
    assert set(ROUTES) == set(ORDER_STATUSES)


def test_table_names_only_known_statuses_and_actors():
    actors = {orders.BUYER, orders.SELLER, orders.OPERATOR, orders.SYSTEM}
    for frm, targets in orders.TRANSITIONS.items():
        assert frm in ORDER_STATUSES
        for to, who in targets.items():
            assert to in ORDER_STATUSES and who and who <= actors, (frm, to)
    for final in orders.FINAL_STATUSES:
        assert final not in orders.TRANSITIONS


def test_only_buyer_system_or_operator_ever_complete_an_order():
    for frm, targets in orders.TRANSITIONS.items():
        if "completed" in targets:
            assert orders.SELLER not in targets["completed"], frm
        if "paid" in targets:
            assert targets["paid"] == {orders.SYSTEM}


# Each action: (who, call, statuses where it is legal on the route's order).
ACTIONS = {
    "buyer_cancel": (
        "buyer",
        lambda t, o: act(orders.cancel, t.buyer.id, o.number),
        {"pending_payment", "paid"},
    ),
    "seller_cancel": (
        "seller",
        lambda t, o: act(orders.cancel, t.shop_owner.id, o.number, "Oven broke down"),
        {"paid", "ready_for_pickup"},
    ),
    "mark_ready": ("seller", STEPS["ready"], {"paid"}),
    "confirm_handover": ("seller", STEPS["handover"], {"ready_for_pickup"}),
    "confirm_receipt": ("buyer", STEPS["confirm"], {"handed_over", "delivered", "refund_declined"}),
    "request_refund": ("buyer", STEPS["request"], {"handed_over", "delivered"}),
    "accept_refund": ("seller", STEPS["accept"], {"refund_requested"}),
    "decline_refund": ("seller", STEPS["decline"], {"refund_requested"}),
    "escalate": ("buyer", STEPS["escalate"], {"refund_declined"}),
    "decide_refund": (
        "operator",
        lambda t, o: act(orders.decide_dispute, t.moderator.id, o.number, "refund", "Photos"),
        {"disputed"},
    ),
    "decide_release": (
        "operator",
        lambda t, o: act(orders.decide_dispute, t.moderator.id, o.number, "release", "Fine"),
        {"disputed"},
    ),
    "mark_shipped": (
        "seller",
        STEPS["ship"],
        set(),
    ),  # the pickup/local routes' paid is not courier
    "mark_out_for_delivery": ("seller", STEPS["out"], set()),
    "mark_delivered": ("seller", STEPS["deliver"], {"shipped", "out_for_delivery"}),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_is_legal_exactly_where_the_table_says(town, name):
    _, call, legal = ACTIONS[name]
    for status in ROUTES:
        order = reach(town, status)
        before = log_of(order)
        if status in legal:
            call(town, order)
            after = fresh(order)
            assert after.status != status, (name, status)
            assert log_of(order)[: len(before)] == before
            assert len(log_of(order)) > len(before)
        else:
            with pytest.raises(ServiceError) as refused:
                call(town, order)
            assert refused.value.key in (
                orders.E_ILLEGAL,
                orders.E_WRONG_DELIVERY,
            ), (name, status, refused.value.key)
            assert fresh(order).status == status, (name, status)
            assert log_of(order) == before


def test_courier_and_local_first_steps(town):
    courier = new_order(town, delivery="courier")
    local = new_order(town, delivery="local")
    pay_for(courier)
    pay_for(local)
    for order, wrong in ((courier, ("ready", "out")), (local, ("ready", "ship"))):
        for step in wrong:
            with pytest.raises(ServiceError) as refused:
                STEPS[step](town, order)
            assert refused.value.key == orders.E_WRONG_DELIVERY
    STEPS["ship"](town, courier)
    STEPS["out"](town, local)
    assert fresh(courier).status == "shipped"
    assert fresh(courier).tracking_number == "TRACK-12345"
    assert fresh(local).status == "out_for_delivery"


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_nobody_else_can_act_on_an_order(town, name):
    """A stranger, the other party and another shop's seller get "not found" (or forbidden)."""
    who, _, legal = ACTIONS[name]
    status = sorted(legal)[0] if legal else "paid"
    order = reach(town, status)
    others = [town.stranger, town.other_buyer, town.resident]
    if not name.endswith("_cancel"):  # both parties may cancel (by their own rules)
        others.append(town.shop_owner if who == "buyer" else town.buyer)
    for user in others:
        call = _as_user(name, user)
        with pytest.raises((NotFound, PermissionDenied)):
            call(town, order)
    assert fresh(order).status == status


def _as_user(name: str, user):
    """The action of ``name`` performed by ``user`` instead of its rightful actor."""
    calls = {
        "buyer_cancel": lambda t, o: act(orders.cancel, user.id, o.number),
        "seller_cancel": lambda t, o: act(orders.cancel, user.id, o.number, "x"),
        "mark_ready": lambda t, o: act(orders.mark_ready, user.id, o.number),
        "confirm_handover": lambda t, o: act(
            orders.confirm_handover, user.id, o.number, code_of(o)
        ),
        "confirm_receipt": lambda t, o: act(orders.confirm_receipt, user.id, o.number),
        "request_refund": lambda t, o: act(
            orders.request_refund, user.id, o.number, reason="damaged", statement="x"
        ),
        "accept_refund": lambda t, o: act(orders.accept_refund, user.id, o.number),
        "decline_refund": lambda t, o: act(orders.decline_refund, user.id, o.number, "x"),
        "escalate": lambda t, o: act(orders.escalate, user.id, o.number),
        "decide_refund": lambda t, o: act(orders.decide_dispute, user.id, o.number, "refund", "x"),
        "decide_release": lambda t, o: act(
            orders.decide_dispute, user.id, o.number, "release", "x"
        ),
        "mark_shipped": lambda t, o: act(orders.mark_shipped, user.id, o.number, "TRACK-1"),
        "mark_out_for_delivery": lambda t, o: act(orders.mark_out_for_delivery, user.id, o.number),
        "mark_delivered": lambda t, o: act(orders.mark_delivered, user.id, o.number),
    }
    return calls[name]


def test_a_buyer_cannot_read_anothers_order_or_checkout(town):
    order = new_order(town)
    for user in (town.other_buyer, town.stranger, town.resident, town.moderator):
        with pytest.raises(NotFound):
            read(orders.order_detail, user.id, order.number)
    with read_session() as s:
        public_id = s.get(Order, order.id).group_id
        from marketplace_app.models import OrderGroup

        public_id = s.get(OrderGroup, public_id).public_id
    with pytest.raises(NotFound):
        read(orders.group_orders, town.other_buyer.id, public_id)
    assert [r.number for r in read(orders.group_orders, town.buyer.id, public_id)] == [order.number]
    for bad in ("", "x" * 40, None, 12, "NOPE"):
        with pytest.raises(NotFound):
            read(orders.order_detail, town.buyer.id, bad)
        with pytest.raises(NotFound):
            read(orders.group_orders, town.buyer.id, bad)
    assert read(orders.buyer_orders, town.other_buyer.id) == []
    assert read(orders.seller_orders, town.resident.id) == []


def test_lists_show_own_orders_newest_first(town):
    first = new_order(town)
    second = new_order(town, listing=town.lamp)
    mine = read(orders.buyer_orders, town.buyer.id)
    assert [r.number for r in mine] == [second.number, first.number]
    assert mine[1].shop_name == "Bakery" and mine[1].first_title == "Sourdough loaf"
    assert [r.number for r in read(orders.seller_orders, town.resident.id)] == [second.number]
    assert [r.number for r in read(orders.seller_orders, town.shop_owner.id)] == [first.number]
    # shop staff see the shop's orders too
    assert [r.number for r in read(orders.seller_orders, town.staff.id)] == [first.number]
    assert read(orders.seller_orders, town.shop_owner.id, status_filter="to_do") == []
    assert len(read(orders.seller_orders, town.shop_owner.id, status_filter="unpaid")) == 1


def test_detail_gives_each_party_their_view(town):
    order = reach(town, "ready_for_pickup")
    buyer_view = read(orders.order_detail, town.buyer.id, order.number)
    seller_view = read(orders.order_detail, town.shop_owner.id, order.number)
    staff_view = read(orders.order_detail, town.staff.id, order.number)
    assert buyer_view.viewer == "buyer" and buyer_view.actions == frozenset()
    assert seller_view.viewer == "seller"
    assert seller_view.actions == {"confirm_handover", "cancel"}
    assert staff_view.viewer == "seller"
    assert [t.to_status for t in buyer_view.transitions] == [
        "pending_payment",
        "paid",
        "ready_for_pickup",
    ]
    assert buyer_view.lines[0].title == "Sourdough loaf"


def test_shop_staff_can_fulfil_but_others_shops_cannot(town):
    order = reach(town, "paid")
    act(orders.mark_ready, town.staff.id, order.number)
    assert fresh(order).status == "ready_for_pickup"
    with pytest.raises(NotFound):
        act(orders.confirm_handover, town.resident.id, order.number, code_of(order))


# -- payment and the ledger


def balances(*accounts: str) -> list[int]:
    with read_session() as s:
        return [ledger.balance(s, a) for a in accounts]


def test_mark_group_paid_moves_pending_orders_and_posts_payments(town):
    with write_session() as s:
        first = place(s, town.buyer, [(town.bread, None, 2)])
        group = s.get(Order, first.id).group_id
        from marketplace_app.models import OrderGroup

        second = place(s, town.buyer, [(town.lamp, None, 1)], group=s.get(OrderGroup, group))
        cash = place(s, town.buyer, [(town.bread, None, 1)], payment="cash")
    with write_session() as s:
        payment, moved = pay(s, group)
    assert sorted(moved) == sorted([first.number, second.number])
    assert fresh(first).status == "paid" and fresh(first).paid_at is not None
    assert fresh(cash).status == "paid"
    total = first.total_cents + second.total_cents
    assert balances(ledger.GATEWAY, ledger.ESCROW) == [-total, total]
    # a repeated call for the same payment changes nothing
    with write_session() as s:
        assert orders.mark_group_paid(s, group, payment.id) == []
    assert balances(ledger.GATEWAY, ledger.ESCROW) == [-total, total]
    with read_session() as s:
        kinds = s.exec(select(LedgerTransaction.kind)).all()
    assert sorted(kinds) == ["payment", "payment"]


def test_money_arriving_after_expiry_is_refunded_at_once(town):
    order = new_order(town, qty=3)
    with write_session() as s:
        s.exec(update(Order).where(Order.id == order.id).values(expires_at=utcnow()))
    assert act(orders.expire, order.id, utcnow() + timedelta(seconds=1)) == order.number
    assert fresh(order).status == "cancelled"
    with write_session() as s:
        _, moved = pay(s, order.group_id)
    assert moved == []
    assert fresh(order).status == "cancelled"
    assert balances(ledger.GATEWAY, ledger.ESCROW) == [0, 0]
    with read_session() as s:
        kinds = sorted(s.exec(select(LedgerTransaction.kind)).all())
        notices = s.exec(
            select(InboxItem.message_key).where(InboxItem.user_id == town.buyer.id)
        ).all()
    assert kinds == ["payment", "refund"]
    assert "inbox.order.late_payment_refunded" in notices


def test_escrow_completion_releases_net_to_seller_and_commission(town):
    order = reach(town, "handed_over")
    assert balances(ledger.ESCROW) == [order.total_cents]
    act(orders.confirm_receipt, town.buyer.id, order.number)
    seller = ledger.seller_account(town.shop_owner.id)
    net = order.total_cents - order.commission_cents
    assert balances(ledger.ESCROW, seller, ledger.COMMISSION) == [0, net, order.commission_cents]


def test_cash_orders_complete_at_handover_and_owe_commission(town):
    order = new_order(town, payment="cash", qty=5)
    assert fresh(order).status == "paid" and fresh(order).expires_at is None
    act(orders.mark_ready, town.shop_owner.id, order.number)
    result = act(orders.confirm_handover, town.shop_owner.id, order.number, code_of(order))
    assert result.accepted
    assert fresh(order).status == "completed"
    assert [t for _, t in log_of(order)][-2:] == ["handed_over", "completed"]
    seller = ledger.seller_account(town.shop_owner.id)
    commission = order.commission_cents
    assert commission > 0
    assert balances(seller, ledger.COMMISSION, ledger.ESCROW) == [-commission, commission, 0]


def test_cash_delivery_completes_when_delivered(town):
    order = new_order(town, payment="cash", delivery="local")
    STEPS["out"](town, order)
    STEPS["deliver"](town, order)
    assert fresh(order).status == "completed"
    with pytest.raises(ServiceError):
        STEPS["request"](town, order)


def test_refund_accepted_returns_money_but_not_stock(town):
    order = reach(town, "refund_requested")
    stock_before = read(lambda s: s.get(Listing, town.bread.id).stock)
    act(orders.accept_refund, town.shop_owner.id, order.number)
    assert fresh(order).status == "refunded"
    assert balances(ledger.ESCROW, ledger.GATEWAY) == [0, 0]
    assert read(lambda s: s.get(Listing, town.bread.id).stock) == stock_before
    with read_session() as s:
        refund = s.exec(select(RefundRequest).where(RefundRequest.order_id == order.id)).one()
    assert refund.status == "accepted"


def test_dispute_decided_for_buyer_or_seller(town):
    for outcome, status, refund_status in (
        ("refund", "refunded", "decided_refund"),
        ("release", "completed", "decided_release"),
    ):
        order = reach(town, "disputed")
        listed = read(orders.open_disputes, town.moderator.id)
        assert order.number in [c.order.number for c in listed]
        case = next(c for c in listed if c.order.number == order.number)
        assert case.refund.buyer_statement == "The crust was crushed."
        assert case.refund.seller_statement == "It was fine."
        with pytest.raises(ValidationFailed):
            act(orders.decide_dispute, town.moderator.id, order.number, outcome, "  ")
        with pytest.raises(ValidationFailed):
            act(orders.decide_dispute, town.moderator.id, order.number, "split", "why")
        act(orders.decide_dispute, town.moderator.id, order.number, outcome, "Looked at photos")
        assert fresh(order).status == status
        with read_session() as s:
            refund = s.exec(select(RefundRequest).where(RefundRequest.order_id == order.id)).one()
        assert refund.status == refund_status and refund.decided_by == town.moderator.id
        assert refund.decision_reason == "Looked at photos"
    assert balances(ledger.ESCROW) == [0]


def test_only_operators_see_and_decide_disputes_and_never_their_own(town):
    order = reach(town, "disputed")
    for user in (town.buyer, town.shop_owner, town.stranger):
        with pytest.raises(PermissionDenied):
            read(orders.open_disputes, user.id)
        with pytest.raises(PermissionDenied):
            act(orders.decide_dispute, user.id, order.number, "refund", "mine")
    with write_session() as s:
        mod_buys = place(s, town.moderator, [(town.bread, None, 1)])
    for step in ["pay", "ready"]:
        STEPS[step](town, mod_buys)
    act(orders.confirm_handover, town.shop_owner.id, mod_buys.number, code_of(mod_buys))
    act(orders.request_refund, town.moderator.id, mod_buys.number, reason="other", statement="x")
    act(orders.decline_refund, town.shop_owner.id, mod_buys.number, "no")
    act(orders.escalate, town.moderator.id, mod_buys.number)
    with pytest.raises(OwnCase):
        act(orders.decide_dispute, town.moderator.id, mod_buys.number, "refund", "me")
    with pytest.raises(NotFound):
        act(orders.decide_dispute, town.moderator.id, "NOSUCH", "refund", "x")


# -- cancellation and stock


def stock(listing_id: int) -> int:
    return read(lambda s: s.get(Listing, listing_id).stock)


def test_cancellation_gives_stock_and_escrow_back(town):
    before = stock(town.bread.id)
    pending = new_order(town, qty=4)
    paid = new_order(town, qty=2)
    pay_for(paid)
    assert stock(town.bread.id) == before - 6
    act(orders.cancel, town.buyer.id, pending.number)
    act(orders.cancel, town.shop_owner.id, paid.number, "Sold out at the counter")
    assert stock(town.bread.id) == before
    assert balances(ledger.ESCROW) == [0]
    assert balances(ledger.GATEWAY) == [0]
    assert log_of(paid)[-1] == ("paid", "cancelled")
    with read_session() as s:
        reason = s.exec(
            select(OrderTransition.reason).where(
                OrderTransition.order_id == paid.id, OrderTransition.to_status == "cancelled"
            )
        ).one()
    assert reason == "Sold out at the counter"


def test_seller_must_give_a_reason_to_cancel(town):
    order = reach(town, "paid")
    with pytest.raises(ValidationFailed) as refused:
        act(orders.cancel, town.shop_owner.id, order.number, "   ")
    assert refused.value.fields == {"reason": orders.E_REQUIRED}
    with pytest.raises(ValidationFailed):
        act(orders.cancel, town.shop_owner.id, order.number, "x" * 501)
    assert fresh(order).status == "paid"


def test_cancelling_a_resident_item_puts_it_back_on_sale(town):
    with write_session() as s:
        order = place(s, town.buyer, [(town.lamp, None, 1)])
    with read_session() as s:
        lamp = s.get(Listing, town.lamp.id)
        assert (lamp.stock, lamp.status) == (0, "sold")
    act(orders.cancel, town.buyer.id, order.number)
    with read_session() as s:
        lamp = s.get(Listing, town.lamp.id)
        assert (lamp.stock, lamp.status) == (1, "active")


def test_a_cancelled_item_whose_words_are_now_blocked_waits_for_review(town):
    with write_session() as s:
        order = place(s, town.buyer, [(town.lamp, None, 1)])
        s.add(BlockedTerm(term="brass"))  # added while the lamp was sold
    act(orders.cancel, town.buyer.id, order.number)
    with read_session() as s:
        lamp = s.get(Listing, town.lamp.id)
        assert (lamp.stock, lamp.status) == (1, "pending")
    act(blocklist.approve, actor_id=town.moderator.id, listing_id=town.lamp.id)
    assert read(lambda s: s.get(Listing, town.lamp.id).status) == "active"


def test_a_cancelled_item_held_since_it_sold_goes_on_sale_once_approved(town):
    with write_session() as s:
        order = place(s, town.buyer, [(town.lamp, None, 1)])
        lamp = s.get(Listing, town.lamp.id)
        lamp.status, lamp.held_from = "pending", "sold"  # an edit brought a term in
        s.add(lamp)
    act(orders.cancel, town.buyer.id, order.number)
    assert read(lambda s: s.get(Listing, town.lamp.id).status) == "pending"
    act(blocklist.approve, actor_id=town.moderator.id, listing_id=town.lamp.id)
    with read_session() as s:
        lamp = s.get(Listing, town.lamp.id)
        assert (lamp.stock, lamp.status) == (1, "active")


def test_cancelling_gives_variant_stock_back(town):
    with read_session() as s:
        small = s.exec(
            select(ListingVariant).where(
                ListingVariant.listing_id == town.coffee.id, ListingVariant.label == "250 g"
            )
        ).one()
    with write_session() as s:
        order = place(s, town.buyer, [(town.coffee, small, 3)])
    assert read(lambda s: s.get(ListingVariant, small.id).stock) == 2
    assert stock(town.coffee.id) == 4
    act(orders.cancel, town.buyer.id, order.number)
    assert read(lambda s: s.get(ListingVariant, small.id).stock) == 5
    assert stock(town.coffee.id) == 7


def test_unpaid_orders_expire_and_give_stock_back(town):
    before = stock(town.bread.id)
    due = new_order(town, qty=2)
    later = new_order(town, qty=1)
    paid = new_order(town, qty=1)
    pay_for(paid)
    cash = new_order(town, payment="cash")
    now = utcnow() + timedelta(minutes=16)
    with write_session() as s:
        s.exec(
            update(Order)
            .where(Order.id == later.id)
            .values(expires_at=utcnow() + timedelta(hours=1))
        )
    assert read(orders.due_to_expire, now) == [due.id]
    assert act(orders.expire, due.id, now) == due.number
    assert act(orders.expire, due.id, now) is None  # already done: nothing twice
    assert act(orders.expire, later.id, now) is None
    assert act(orders.expire, paid.id, now) is None
    assert act(orders.expire, cash.id, now) is None
    assert fresh(due).status == "cancelled"
    assert stock(town.bread.id) == before - 3
    assert log_of(due)[-1] == ("pending_payment", "cancelled")


# -- handover


def test_handover_needs_the_buyers_code_and_locks_after_five_wrong(town):
    order = reach(town, "ready_for_pickup")
    right = code_of(order)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationFailed):
        act(orders.confirm_handover, town.shop_owner.id, order.number, "12ab56")
    with pytest.raises(ValidationFailed):
        act(orders.confirm_handover, town.shop_owner.id, order.number, "12345")
    assert fresh(order).handover_failures == 0  # malformed input is not a try
    for left in (4, 3, 2, 1, 0):
        result = act(orders.confirm_handover, town.shop_owner.id, order.number, wrong)
        assert result == orders.HandoverResult(False, left)
    assert fresh(order).handover_failures == 5
    with pytest.raises(ServiceError) as locked:
        act(orders.confirm_handover, town.shop_owner.id, order.number, right)
    assert locked.value.key == orders.E_LOCKED
    assert fresh(order).status == "ready_for_pickup"
    seller_view = read(orders.order_detail, town.shop_owner.id, order.number)
    assert "confirm_handover" not in seller_view.actions
    # the seller can still cancel the locked pickup, with a reason
    act(orders.cancel, town.shop_owner.id, order.number, "Code locked; buyer will reorder")
    assert fresh(order).status == "cancelled"


def test_right_code_starts_the_inspection_window(town):
    order = reach(town, "ready_for_pickup")
    spaced = " ".join(code_of(order)[i : i + 3] for i in (0, 3))
    result = act(orders.confirm_handover, town.shop_owner.id, order.number, spaced)
    assert result.accepted
    after = fresh(order)
    assert after.status == "handed_over"
    window = after.release_due_at - after.handed_over_at
    assert window == timedelta(minutes=settings.inspection_minutes)
    assert balances(ledger.ESCROW) == [order.total_cents]  # not released yet


def test_an_order_without_a_code_cannot_be_handed_over(town):
    order = reach(town, "ready_for_pickup")
    with write_session() as s:
        s.exec(update(Order).where(Order.id == order.id).values(handover_code_hash=""))
    result = act(orders.confirm_handover, town.shop_owner.id, order.number, code_of(order))
    assert not result.accepted


# -- refunds


def test_refund_request_is_checked_and_kept(town):
    order = reach(town, "handed_over")
    with pytest.raises(ValidationFailed) as bad:
        act(orders.request_refund, town.buyer.id, order.number, reason="bored", statement="")
    assert bad.value.fields == {
        "reason": orders.E_REFUND_REASON,
        "statement": orders.E_REQUIRED,
    }
    with pytest.raises(ValidationFailed) as too_many:
        act(
            orders.request_refund,
            town.buyer.id,
            order.number,
            reason="damaged",
            statement="x",
            photos=["a" * 24] * 6,
        )
    assert too_many.value.fields == {"photos": orders.E_PHOTOS}
    with pytest.raises(ValidationFailed):
        act(
            orders.request_refund,
            town.buyer.id,
            order.number,
            reason="damaged",
            statement="x",
            photos=["../../etc/passwd"],
        )
    keys = ["0123456789abcdef01234567", "89abcdef0123456789abcdef"]
    act(
        orders.request_refund,
        town.buyer.id,
        order.number,
        reason="damaged",
        statement="Crushed.",
        photos=keys,
    )
    detail = read(orders.order_detail, town.shop_owner.id, order.number)
    assert detail.order.status == "refund_requested"
    assert orders.photo_keys(detail.refund) == keys
    assert detail.refund.reason == "damaged"
    assert detail.actions == {"accept_refund", "decline_refund"}


def test_refund_window_closes(town):
    order = reach(town, "handed_over")
    with write_session() as s:
        s.exec(
            update(Order)
            .where(Order.id == order.id)
            .values(release_due_at=utcnow() - timedelta(seconds=1))
        )
    assert "request_refund" not in read(orders.order_detail, town.buyer.id, order.number).actions
    with pytest.raises(ServiceError) as closed:
        STEPS["request"](town, order)
    assert closed.value.key == orders.E_WINDOW


def test_declining_needs_a_statement(town):
    order = reach(town, "refund_requested")
    with pytest.raises(ValidationFailed) as refused:
        act(orders.decline_refund, town.shop_owner.id, order.number, "")
    assert refused.value.fields == {"statement": orders.E_REQUIRED}
    assert fresh(order).status == "refund_requested"


def test_shipping_needs_a_tracking_number(town):
    order = new_order(town, delivery="courier")
    pay_for(order)
    for bad, key in (
        ("", orders.E_REQUIRED),
        ("ab", orders.E_TRACKING),
        ("<b>1234", orders.E_TRACKING),
    ):
        with pytest.raises(ValidationFailed) as refused:
            act(orders.mark_shipped, town.shop_owner.id, order.number, bad)
        assert refused.value.fields == {"tracking": key}
    assert fresh(order).status == "paid"


# -- timers


def test_settle_completes_after_the_waiting_times(town):
    handed = reach(town, "handed_over")
    delivered = reach(town, "delivered")
    requested = reach(town, "refund_requested")
    declined = reach(town, "refund_declined")
    soon = utcnow() + timedelta(minutes=settings.inspection_minutes + 1)
    assert read(orders.due_to_settle, soon) == [handed.id]
    assert act(orders.settle, handed.id, soon) == handed.number
    assert act(orders.settle, handed.id, soon) is None
    assert act(orders.settle, delivered.id, soon) is None
    later = utcnow() + timedelta(days=settings.auto_confirm_days, minutes=1)
    assert sorted(read(orders.due_to_settle, later)) == sorted(
        [delivered.id, requested.id, declined.id]
    )
    for order in (delivered, requested, declined):
        assert act(orders.settle, order.id, later) == order.number
    assert fresh(handed).status == "completed"
    assert fresh(delivered).status == "completed"
    assert fresh(requested).status == "disputed"
    assert fresh(declined).status == "completed"
    seller = ledger.seller_account(town.shop_owner.id)
    released = [handed, delivered, declined]
    assert balances(seller) == [sum(o.total_cents - o.commission_cents for o in released)]
    assert balances(ledger.ESCROW) == [requested.total_cents]


def test_sellers_are_reminded_once_to_ship(town):
    old = reach(town, "paid")
    fresh_one = reach(town, "paid")
    ready = reach(town, "ready_for_pickup")
    with write_session() as s:
        for order in (old, ready):
            s.exec(
                update(Order)
                .where(Order.id == order.id)
                .values(paid_at=utcnow() - timedelta(days=2))
            )
    now = utcnow()
    assert read(orders.due_for_reminder, now) == [old.id]
    assert act(orders.remind_to_ship, old.id, now) is True
    assert act(orders.remind_to_ship, old.id, now) is False
    assert act(orders.remind_to_ship, fresh_one.id, now) is False
    assert read(orders.due_for_reminder, now) == []
    with read_session() as s:
        reminders = s.exec(
            select(InboxItem).where(InboxItem.message_key == orders.SHIP_REMINDER_KEY)
        ).all()
    assert [(r.user_id, r.link) for r in reminders] == [
        (town.shop_owner.id, orders.link(old.number))
    ]


# -- notifications


def test_every_transition_notifies_buyer_and_seller(town):
    order = reach(town, "completed")
    moves = [to for _, to in log_of(order)][1:]
    with read_session() as s:
        items = s.exec(select(InboxItem).order_by(InboxItem.id)).all()
    for user in (town.buyer, town.shop_owner):
        keys = [i.message_key for i in items if i.user_id == user.id]
        assert keys == [f"inbox.order.{to}" for to in moves]
        assert all(i.link == orders.link(order.number) for i in items if i.user_id == user.id)


def test_notice_emails_go_out_in_each_recipients_language(town):
    with write_session() as s:
        order = place(s, town.buyer, [(town.lamp, None, 1)], delivery="courier", fee=500)
    pay_for(order)
    act(orders.mark_shipped, town.resident.id, order.number, "SF-889900")
    with read_session() as s:
        mails = s.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    to_rita = [m for m in mails if m.to_addr == town.resident.email]
    to_bea = [m for m in mails if m.to_addr == town.buyer.email]
    assert len(to_rita) == len(to_bea) == 2  # paid, shipped
    assert "已发货" in to_rita[-1].subject and "SF-889900" in to_rita[-1].body_text
    assert "was shipped" in to_bea[-1].subject and "SF-889900" in to_bea[-1].body_text
    assert f"/orders/{order.number}" in to_bea[-1].body_text


# -- concurrency


def test_two_tabs_confirming_at_once_release_once(town):
    order = reach(town, "handed_over")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm():
        barrier.wait()
        try:
            act(orders.confirm_receipt, town.buyer.id, order.number)
            outcomes.append("ok")
        except ServiceError as error:
            outcomes.append(error.key)

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == sorted(["ok", orders.E_ILLEGAL])
    with read_session() as s:
        releases = s.exec(
            select(LedgerTransaction).where(
                LedgerTransaction.order_id == order.id, LedgerTransaction.kind == "release"
            )
        ).all()
    assert len(releases) == 1


def test_a_stale_read_is_refused_not_applied(town):
    order = reach(town, "paid")
    with write_session() as s:
        stale = s.get(Order, order.id)
        s.expunge(stale)  # what a handler that read earlier still holds: status "paid"
        s.exec(update(Order).where(Order.id == order.id).values(status="ready_for_pickup"))
        s.add(
            OrderTransition(
                order_id=order.id,
                from_status="paid",
                to_status="ready_for_pickup",
                actor_id=town.shop_owner.id,
            )
        )
        s.flush()
        with pytest.raises(ServiceError) as refused:
            orders._move(s, stale, "cancelled", actor=orders.BUYER, actor_id=town.buyer.id)
        assert refused.value.key == orders.E_CHANGED


def test_payment_racing_the_expiry_timer_is_refunded(town, monkeypatch):
    """The timer cancels the order between the webhook's read and its update."""
    order = new_order(town, qty=2)
    real_move = orders._move

    def timer_wins(session, target, to, **kwargs):
        if to == "paid":
            later = utcnow() + timedelta(hours=1)
            assert orders.expire(session, target.id, later) == target.number
        return real_move(session, target, to, **kwargs)

    monkeypatch.setattr(orders, "_move", timer_wins)
    with write_session() as s:
        _, moved = pay(s, order.group_id)
    assert moved == []
    assert fresh(order).status == "cancelled"
    assert balances(ledger.GATEWAY, ledger.ESCROW) == [0, 0]
