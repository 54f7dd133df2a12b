"""The offer state machine's table, and offers whose order was cancelled.

An item bought through an accepted offer goes back on sale when its order is
cancelled, whichever way: the buyer cancels, the seller cancels, it is never
paid, or it is cancelled after payment and refunded. While the offer's hold
lasts it is the buyer's again at the agreed price; after, it ends with a
reason. Real checkout, real order services, one SQLite file.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Listing, Offer, OfferTransition, Order
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    blocks,
    carts,
    checkout,
    offer_lists,
    offer_steps,
    offers,
    orders,
)
from marketplace_app.services.errors import ServiceError
from tests.unit.invariants import check_invariants, stock_baseline
from tests.unit.orders_factory import pay
from tests.unit.services.conftest import make_user
from tests.unit.services.test_checkout import resident_item
from tests.unit.services.test_offers import log_of, notices, offer_of

HOUR = timedelta(hours=1)
AGREED = 8500


def test_the_table_names_who_may_make_each_move():
    allowed, table = offer_steps.allowed, offer_steps.TRANSITIONS
    buyer, seller, system = offer_steps.BUYER, offer_steps.SELLER, offer_steps.SYSTEM
    assert allowed(None, "open", buyer)
    assert allowed("open", "countered", seller)
    assert not allowed("open", "countered", buyer)
    assert allowed("countered", "accepted", buyer)
    assert not allowed("countered", "accepted", seller)
    assert allowed("accepted", "lapsed", system)
    assert not allowed("accepted", "lapsed", buyer)
    # Only the system reopens or ends an ordered offer (its order was cancelled).
    assert allowed("ordered", "accepted", system)
    assert allowed("ordered", "lapsed", system)
    assert not allowed("ordered", "accepted", buyer)
    assert not allowed("ordered", "withdrawn", buyer)
    for final in ("declined", "withdrawn", "expired", "lapsed"):
        assert final not in table
        assert not allowed(final, "open", buyer)


@pytest.fixture
def deal(db):
    """Sue's negotiable lamp (100.00); Bea's offer of 85.00, accepted by Sue; Olga wants it too."""

    def make(accepted_at: datetime) -> dict:
        with write_session() as s:
            sue, bea, olga = (make_user(s, n) for n in ("Sue", "Bea", "Olga"))
            lamp = resident_item(s, sue, "Brass lamp", 10000, negotiable=True, pickup=True)
            ids = {"sue": sue.id, "bea": bea.id, "olga": olga.id, "lamp": lamp.id}
        with write_session() as s:
            ids["offer"] = offers.make_offer(s, ids["bea"], ids["lamp"], "85", now=accepted_at).id
        with write_session() as s:
            offers.accept(s, ids["sue"], ids["offer"], now=accepted_at)
        with write_session() as s:
            ids["baseline"] = stock_baseline(s)
        return ids

    return make


def bought(ids: dict, payment: str, at: datetime) -> Order:
    """Bea buys the held lamp through checkout, as the offer's buy button does."""
    with write_session() as s:
        offers.buy(s, ids["bea"], ids["offer"], now=at)
    with read_session() as s:
        (part,) = checkout.preview(s, ids["bea"], at).parts
        assert part.subtotal_cents == AGREED
    choices = {part.key: checkout.SellerChoice("pickup", slot=part.slots[0].key)}
    with write_session() as s:
        group = checkout.place(
            s, ids["bea"], key=checkout.new_key(), choices=choices, payment_method=payment, now=at
        )
    (placed,) = group.orders
    assert offer_of(ids["offer"]).status == "ordered"
    with read_session() as s:
        return s.get(Order, placed.id)


def lamp_status() -> tuple[str, int]:
    with read_session() as s:
        lamp = s.exec(select(Listing).where(Listing.title == "Brass lamp")).one()
        return lamp.status, lamp.stock


def held_again(ids: dict, order: Order) -> None:
    """The offer is Bea's again: accepted at the agreed price, the item held for her only."""
    offer = offer_of(ids["offer"])
    assert (offer.status, offer.agreed_cents, offer.order_id) == ("accepted", AGREED, None)
    assert log_of(ids["offer"])[-1] == (
        "ordered",
        "accepted",
        None,
        AGREED,
        offer_steps.REASON_ORDER_CANCELLED,
    )
    assert notices(ids["bea"]).count("inbox.offer.order_cancelled_held") == 1
    assert lamp_status() == ("active", 1)
    with read_session() as s:
        (row,) = offer_lists.made(s, ids["bea"])
        assert "buy" in row.actions
        assert row.last_reason == offer_steps.REASON_ORDER_CANCELLED
    with pytest.raises(ServiceError), write_session() as s:  # reserved for Bea
        carts.add(s, carts.CartOwner.user(ids["olga"]), ids["lamp"])
    with write_session() as s:
        check_invariants(s, ids["baseline"])


def ended(ids: dict) -> None:
    """The offer ended with a reason Bea reads; the lamp is anyone's at its price."""
    offer = offer_of(ids["offer"])
    assert offer.status == "lapsed"
    assert log_of(ids["offer"])[-1] == (
        "ordered",
        "lapsed",
        None,
        None,
        offer_steps.REASON_ORDER_CANCELLED,
    )
    assert notices(ids["bea"]).count("inbox.offer.order_cancelled_ended") == 1
    with read_session() as s:
        (row,) = offer_lists.made(s, ids["bea"])
        assert row.actions == frozenset()
    with pytest.raises(ServiceError), write_session() as s:
        offers.buy(s, ids["bea"], ids["offer"])
    with write_session() as s:
        carts.add(s, carts.CartOwner.user(ids["olga"]), ids["lamp"])
        check_invariants(s, ids["baseline"])


# -- each way an order is cancelled, while the hold lasts


def test_the_buyer_cancels_and_may_buy_again_at_the_agreed_price(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    order = bought(ids, "cash", start + HOUR)
    with write_session() as s:
        orders.cancel(s, ids["bea"], order.number, "Changed my mind")
    held_again(ids, order)
    again = bought(ids, "cash", utcnow())
    assert offer_of(ids["offer"]).order_id == again.id
    assert again.total_cents == AGREED


def test_the_seller_cancels_a_pickup(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    order = bought(ids, "cash", start + HOUR)
    with write_session() as s:
        orders.mark_ready(s, ids["sue"], order.number)
    with write_session() as s:
        orders.cancel(s, ids["sue"], order.number, "The lamp broke a bulb, let me fix it")
    held_again(ids, order)


def test_an_unpaid_order_expires(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    order = bought(ids, "escrow", start + HOUR)
    with write_session() as s:
        assert orders.expire(s, order.id, order.expires_at) == order.number
    held_again(ids, order)


def test_a_paid_order_cancelled_is_refunded(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    order = bought(ids, "escrow", start + HOUR)
    with write_session() as s:
        pay(s, order.group_id)
    with write_session() as s:
        orders.cancel(s, ids["bea"], order.number)
    with read_session() as s:
        assert orders._held(s, s.get(Order, order.id)) == 0
    held_again(ids, order)


def test_a_payment_arriving_after_the_expiry_leaves_the_offer_alone(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    order = bought(ids, "escrow", start + HOUR)
    with write_session() as s:
        orders.expire(s, order.id, order.expires_at)
    steps = log_of(ids["offer"])
    with write_session() as s:
        _, moved = pay(s, order.group_id)
    assert moved == []
    assert log_of(ids["offer"]) == steps
    held_again(ids, order)


# -- after the hold


def test_after_the_hold_the_offer_ends_with_a_reason(deal):
    start = utcnow() - 25 * HOUR
    ids = deal(start)
    order = bought(ids, "cash", start + HOUR)
    with write_session() as s:
        orders.cancel(s, ids["bea"], order.number)
    ended(ids)


def test_the_hold_ended_before_an_unpaid_order_expired(deal):
    start = utcnow() - 30 * HOUR
    ids = deal(start)
    order = bought(ids, "escrow", start + 24 * HOUR - timedelta(minutes=5))
    with write_session() as s:
        orders.expire(s, order.id, order.expires_at)
    ended(ids)


def test_a_block_meanwhile_ends_the_offer(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    order = bought(ids, "cash", start + HOUR)
    with write_session() as s:
        blocks.block(s, ids["sue"], ids["bea"])
    with write_session() as s:
        orders.cancel(s, ids["bea"], order.number)
    assert offer_of(ids["offer"]).status == "lapsed"


def test_only_the_cancelled_orders_offer_moves(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    bought(ids, "cash", start + HOUR)
    with write_session() as s:
        assert offer_steps.after_order_cancelled(s, 10_000, now=utcnow()) == []
        moves = s.exec(select(OfferTransition).where(OfferTransition.to_status == "accepted"))
        assert len(moves.all()) == 1
    assert offer_of(ids["offer"]).status == "ordered"
    with read_session() as s:
        assert s.exec(select(Offer).where(Offer.status == "accepted")).all() == []


def test_a_cash_order_never_handed_over_ends_the_offer(deal):
    start = utcnow() - 2 * HOUR
    ids = deal(start)
    order = bought(ids, "cash", start + HOUR)
    with write_session() as s:
        assert orders.release_unhanded(s, order.id, order.handover_due_at) == order.number
    ended(ids)  # the window (3 days) outlasts the offer's hold (24 hours)
