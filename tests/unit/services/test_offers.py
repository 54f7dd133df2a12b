"""Offers: the state machine, its clock, holds, checkout at the agreed price, permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.jobs.offer_timers import run_offer_timers
from marketplace_app.models import (
    Cart,
    CartLine,
    InboxItem,
    Listing,
    Offer,
    OfferTransition,
    Order,
    Sanction,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    blocks,
    carts,
    checkout,
    listings,
    offer_holds,
    offer_lists,
    offers,
    purchasable,
)
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.services.sanctions import Restricted
from marketplace_app.settings import settings
from tests.unit.services.conftest import make_user
from tests.unit.services.test_checkout import category_id, resident_item

# A Monday, 09:00 in Asia/Shanghai.
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def town(db):
    """Sue sells a negotiable lamp (100.00); Bea and Olga want it; Sam is a stranger."""
    with write_session() as s:
        sue, bea, olga, sam = (make_user(s, n) for n in ("Sue", "Bea", "Olga", "Sam"))
        lamp = resident_item(s, sue, "Brass lamp", 10000, negotiable=True, pickup=True)
        fixed = resident_item(s, sue, "Fixed-price vase", 3000, pickup=True)
        ids = {
            "sue": sue.id,
            "bea": bea.id,
            "olga": olga.id,
            "sam": sam.id,
            "lamp": lamp.id,
            "fixed": fixed.id,
            "category": category_id(s),
        }
    return ids


def run(fn, *args, **kw):
    """One service call in its own committed transaction."""
    kw.setdefault("now", NOW)
    with write_session() as s:
        result = fn(s, *args, **kw)
        return result.id if isinstance(result, Offer) else result


def offer_of(offer_id: int) -> Offer:
    with read_session() as s:
        return s.get(Offer, offer_id)


def log_of(offer_id: int) -> list[tuple[str | None, str, int | None, int | None, str]]:
    with read_session() as s:
        rows = s.exec(
            select(OfferTransition)
            .where(OfferTransition.offer_id == offer_id)
            .order_by(OfferTransition.id)
        ).all()
        return [(r.from_status, r.to_status, r.actor_id, r.amount_cents, r.reason) for r in rows]


def notices(user_id: int) -> list[str]:
    with read_session() as s:
        return list(
            s.exec(
                select(InboxItem.message_key)
                .where(InboxItem.user_id == user_id)
                .order_by(InboxItem.id)
            ).all()
        )


def refused(fn, *args, **kw) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        run(fn, *args, **kw)
    return caught.value.fields


# --- the table ------------------------------------------------------------------------


def test_illegal_moves_raise_and_change_nothing(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "70")
    with pytest.raises(ServiceError) as caught:
        run(offers.accept_counter, town["bea"], offer_id)  # nothing to accept yet
    assert caught.value.key == offers.E_ILLEGAL
    with pytest.raises(ServiceError):
        run(offers.decline_counter, town["bea"], offer_id)
    run(offers.decline, town["sue"], offer_id)
    for fn, who in (
        (offers.accept, "sue"),
        (offers.decline, "sue"),
        (offers.withdraw, "bea"),
    ):
        with pytest.raises(ServiceError) as caught:
            run(fn, town[who], offer_id)
        assert caught.value.key == offers.E_ILLEGAL
    with pytest.raises(ServiceError):
        run(offers.counter, town["sue"], offer_id, "80")
    assert offer_of(offer_id).status == "declined"
    assert [row[:2] for row in log_of(offer_id)] == [(None, "open"), ("open", "declined")]


# --- making an offer ------------------------------------------------------------------


def test_an_offer_must_reach_the_floor_and_stay_below_the_price(town):
    assert offers.floor_cents(10000) == 5000
    assert offers.floor_cents(999) == 500  # rounded up: never below the percentage
    assert refused(offers.make_offer, town["bea"], town["lamp"], "49.99") == {
        "amount": offers.E_BELOW_FLOOR
    }
    assert refused(offers.make_offer, town["bea"], town["lamp"], "100") == {
        "amount": offers.E_AT_PRICE
    }
    assert refused(offers.make_offer, town["bea"], town["lamp"], "lots") == {
        "amount": listings.E_PRICE_FORMAT
    }
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "¥50")
    offer = offer_of(offer_id)
    assert (offer.amount_cents, offer.status, offer.seller_id) == (5000, "open", town["sue"])
    assert offer.expires_at == NOW + timedelta(hours=settings.offer_hours)
    assert log_of(offer_id) == [(None, "open", town["bea"], 5000, "")]
    assert notices(town["sue"]) == ["inbox.offer.made"]


def test_at_most_three_waiting_offers_per_buyer_and_item(town):
    made = [run(offers.make_offer, town["bea"], town["lamp"], str(60 + i)) for i in range(3)]
    assert refused(offers.make_offer, town["bea"], town["lamp"], "70") == {
        "_form": offers.E_TOO_MANY
    }
    run(offers.make_offer, town["olga"], town["lamp"], "70")  # others are not counted
    run(offers.withdraw, town["bea"], made[0])
    run(offers.make_offer, town["bea"], town["lamp"], "70")
    assert notices(town["sue"]).count("inbox.offer.withdrawn") == 1


def test_only_negotiable_items_of_someone_else(town):
    assert refused(offers.make_offer, town["bea"], town["fixed"], "20") == {
        "_form": offers.E_NOT_NEGOTIABLE
    }
    assert refused(offers.make_offer, town["sue"], town["lamp"], "80") == {"_form": offers.E_OWN}
    with pytest.raises(NotFound):
        run(offers.make_offer, town["bea"], 999_999, "80")
    with write_session() as s:
        s.get(Listing, town["lamp"]).status = "paused"
    assert refused(offers.make_offer, town["bea"], town["lamp"], "80") == {
        "_form": offers.E_UNAVAILABLE
    }


def test_a_block_either_way_stops_offers_and_answers(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    with write_session() as s:
        blocks.block(s, town["sue"], town["bea"])
    assert refused(offers.make_offer, town["bea"], town["lamp"], "81") == {
        "_form": offers.E_BLOCKED
    }
    assert refused(offers.accept, town["sue"], offer_id) == {"_form": offers.E_BLOCKED}
    run(offers.decline, town["sue"], offer_id)  # letting go stays possible
    with write_session() as s:
        blocks.unblock(s, town["sue"], town["bea"])
        blocks.block(s, town["bea"], town["sue"])
    assert refused(offers.make_offer, town["bea"], town["lamp"], "81") == {
        "_form": offers.E_BLOCKED
    }


def test_suspended_members_cannot_offer(town):
    with write_session() as s:
        until = utcnow() + timedelta(days=3)
        s.add(
            Sanction(
                user_id=town["bea"],
                kind="suspend",
                reason="spam",
                actor_id=town["sam"],
                ends_at=until,
            )
        )
    with pytest.raises(Restricted):
        run(offers.make_offer, town["bea"], town["lamp"], "80")


# --- answering ------------------------------------------------------------------------


def test_counter_then_the_buyer_accepts_it(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "60")
    for typed in ("60", "100", "55"):
        assert refused(offers.counter, town["sue"], offer_id, typed) == {
            "counter": offers.E_COUNTER_RANGE
        }
    later = NOW + HOUR * 5
    run(offers.counter, town["sue"], offer_id, "85", now=later)
    offer = offer_of(offer_id)
    assert (offer.status, offer.counter_cents) == ("countered", 8500)
    assert offer.expires_at == later + timedelta(hours=settings.offer_hours)  # the clock restarts
    assert notices(town["bea"]) == ["inbox.offer.countered"]
    run(offers.accept_counter, town["bea"], offer_id, now=later + HOUR)
    offer = offer_of(offer_id)
    assert (offer.status, offer.agreed_cents) == ("accepted", 8500)
    assert offer.reserved_until == later + HOUR + timedelta(hours=settings.offer_reserve_hours)
    assert [row[:4] for row in log_of(offer_id)] == [
        (None, "open", town["bea"], 6000),
        ("open", "countered", town["sue"], 8500),
        ("countered", "accepted", town["bea"], 8500),
    ]
    assert notices(town["sue"])[-1] == "inbox.offer.counter_accepted"


def test_the_buyer_may_decline_a_counter(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "60")
    run(offers.counter, town["sue"], offer_id, "90")
    run(offers.decline_counter, town["bea"], offer_id)
    assert offer_of(offer_id).status == "declined"
    assert notices(town["sue"])[-1] == "inbox.offer.counter_declined"


def test_others_cannot_act_on_an_offer(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "60")
    for fn, who in (
        (offers.accept, "sam"),
        (offers.accept, "bea"),  # the buyer is not the seller
        (offers.decline, "olga"),
        (offers.withdraw, "sue"),  # the seller is not the buyer
        (offers.withdraw, "sam"),
    ):
        with pytest.raises(NotFound):
            run(fn, town[who], offer_id)
    with pytest.raises(NotFound):
        run(offers.counter, town["sam"], offer_id, "80")
    run(offers.counter, town["sue"], offer_id, "80")
    for who in ("sue", "sam"):
        with pytest.raises(NotFound):
            run(offers.accept_counter, town[who], offer_id)
    with pytest.raises(NotFound):
        run(offers.accept, town["sue"], "1")  # ids from a browser are checked too
    assert offer_of(offer_id).status == "countered"
    with read_session() as s:
        assert offer_lists.made(s, town["sam"]) == []
        assert offer_lists.received(s, town["bea"]) == []
        assert [o.id for o in offer_lists.received(s, town["sue"])] == [offer_id]


# --- holds ----------------------------------------------------------------------------


def test_an_accepted_offer_holds_the_item_for_its_buyer_only(town):
    bea_offer = run(offers.make_offer, town["bea"], town["lamp"], "80")
    olga_offer = run(offers.make_offer, town["olga"], town["lamp"], "90")
    run(offers.accept, town["sue"], bea_offer)
    assert notices(town["bea"]) == ["inbox.offer.accepted"]
    # Olga can't put it in her cart, and the seller can't accept her offer meanwhile.
    with pytest.raises(ValidationFailed) as caught:
        run(carts.add, carts.CartOwner.user(town["olga"]), town["lamp"])
    assert caught.value.fields == {"_form": offer_holds.E_RESERVED}
    assert caught.value.params == {"until": "11-03 09:00"}  # tomorrow, on the market's clock
    assert refused(offers.accept, town["sue"], olga_offer) == {"_form": offers.E_HELD}
    assert refused(offers.make_offer, town["bea"], town["lamp"], "81") == {"_form": offers.E_AGREED}
    # Bea puts it in her cart at the agreed price.
    assert run(offers.buy, town["bea"], bea_offer) == 1
    with read_session() as s:
        view = carts.view(s, town["bea"], now=NOW)
        (line,) = view.groups[0].lines
        assert (line.unit_price_cents, line.was_price_cents, line.problem) == (8000, 10000, None)


def test_a_hold_lapses_and_the_item_is_free_again(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    run(offers.accept, town["sue"], offer_id)
    reserved_until = offer_of(offer_id).reserved_until
    with read_session() as s:
        assert offers.due_to_lapse(s, reserved_until - HOUR) == []
        assert offer_holds.holds(s, [town["lamp"]], reserved_until) == {}
    with pytest.raises(ServiceError):
        run(offers.buy, town["bea"], offer_id, now=reserved_until)
    report = run_offer_timers(now=reserved_until)
    assert report.lapsed == [offer_id]
    assert offer_of(offer_id).status == "lapsed"
    assert notices(town["bea"])[-1] == notices(town["sue"])[-1] == "inbox.offer.lapsed"
    run(carts.add, carts.CartOwner.user(town["olga"]), town["lamp"], now=reserved_until)


def test_unanswered_offers_expire_and_both_sides_hear_of_it(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    countered = run(offers.make_offer, town["olga"], town["lamp"], "70")
    run(offers.counter, town["sue"], countered, "90", now=NOW + HOUR * 24)
    deadline = NOW + timedelta(hours=settings.offer_hours)
    assert run_offer_timers(now=deadline - HOUR).expired == []
    assert run_offer_timers(now=deadline).expired == [offer_id]  # the counter restarted Olga's
    assert offer_of(offer_id).status == "expired"
    assert log_of(offer_id)[-1] == ("open", "expired", None, None, offers.REASON_TIME)
    assert notices(town["bea"])[-1] == notices(town["sue"])[-1] == "inbox.offer.expired"
    assert run_offer_timers(now=deadline + HOUR * 24).expired == [countered]
    with pytest.raises(ServiceError):
        run(offers.accept, town["sue"], offer_id, now=deadline + HOUR)


def test_withdrawing_an_accepted_offer_lets_the_item_go(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    run(offers.accept, town["sue"], offer_id)
    run(offers.withdraw, town["bea"], offer_id)
    assert notices(town["sue"])[-1] == "inbox.offer.released"
    run(carts.add, carts.CartOwner.user(town["olga"]), town["lamp"])


# --- checkout -------------------------------------------------------------------------


def pickup_choice(user_id: int, now: datetime) -> dict[str, checkout.SellerChoice]:
    with read_session() as s:
        (part,) = checkout.preview(s, user_id, now).parts
    return {part.key: checkout.SellerChoice("pickup", slot=part.slots[0].key)}


def place(user_id: int, now: datetime = NOW) -> checkout.PlacedGroup:
    choices = pickup_choice(user_id, now)
    with write_session() as s:
        return checkout.place(
            s, user_id, key=checkout.new_key(), choices=choices, payment_method="cash", now=now
        )


def test_checkout_charges_the_agreed_price_and_declines_the_other_offers(town):
    olga_offer = run(offers.make_offer, town["olga"], town["lamp"], "60")
    bea_offer = run(offers.make_offer, town["bea"], town["lamp"], "70")
    bea_other = run(offers.make_offer, town["bea"], town["lamp"], "65")
    run(offers.counter, town["sue"], bea_offer, "85")
    run(offers.accept_counter, town["bea"], bea_offer)
    run(offers.buy, town["bea"], bea_offer)
    with read_session() as s:
        (part,) = checkout.preview(s, town["bea"], NOW).parts
        assert part.lines[0].unit_price_cents == 8500
        assert part.subtotal_cents == 8500
    group = place(town["bea"])
    assert group.total_cents == 8500
    (order,) = group.orders
    offer = offer_of(bea_offer)
    assert (offer.status, offer.order_id) == ("ordered", order.id)
    with read_session() as s:
        assert s.get(Order, order.id).total_cents == 8500
        assert s.get(Listing, town["lamp"]).status == "sold"
    for other in (olga_offer, bea_other):
        assert offer_of(other).status == "declined"
        assert log_of(other)[-1] == ("open", "declined", None, None, offers.REASON_SOLD)
    assert "inbox.offer.sold" in notices(town["olga"])


def test_checkout_refuses_an_item_held_for_someone_else(town):
    with write_session() as s:  # Olga had it in her cart before Bea's offer was accepted
        cart = Cart(user_id=town["olga"])
        s.add(cart)
        s.flush()
        s.add(
            CartLine(cart_id=cart.id, listing_id=town["lamp"], quantity=1, seen_price_cents=10000)
        )
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    run(offers.accept, town["sue"], offer_id)
    with read_session() as s:
        (part,) = checkout.preview(s, town["olga"], NOW).parts
        assert part.lines[0].problem == offer_holds.E_RESERVED
        assert part.lines[0].problem_params == {"until": "11-03 09:00"}
        view = carts.view(s, town["olga"], now=NOW)
        assert view.groups[0].lines[0].problem == purchasable.RESERVED
    with pytest.raises(checkout.CheckoutRefused) as caught, write_session() as s:
        checkout.place(
            s,
            town["olga"],
            key=checkout.new_key(),
            choices={},
            payment_method="cash",
            now=NOW,
        )
    assert offer_holds.E_RESERVED in caught.value.fields.values()


def test_an_offer_accepted_while_a_checkout_runs_stops_it_at_the_stock(town):
    """The hold is read again after the stock UPDATE: the later of the two never oversells."""
    with write_session() as s:
        carts.add(s, town["olga"], town["lamp"])
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    with write_session() as s:
        parts, _ = checkout._parts(s, town["olga"], NOW, None)  # priced: nothing held yet
        offers.accept(s, town["sue"], offer_id, now=NOW)  # the seller accepts meanwhile
        problems = checkout._take_stock(s, parts, town["olga"], NOW)
        assert [p[0] for p in problems.values()] == [offer_holds.E_RESERVED]
        s.rollback()


def test_items_marked_sold_by_the_seller_close_their_offers(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    with write_session() as s:
        listings.set_status(s, town["sue"], town["lamp"], "pause")
    assert run_offer_timers(now=NOW).closed == []  # paused items keep their offers
    with write_session() as s:
        listings.set_status(s, town["sue"], town["lamp"], "mark_sold")
    assert run_offer_timers(now=NOW).closed == [town["lamp"]]
    assert offer_of(offer_id).status == "declined"
    assert notices(town["bea"])[-1] == "inbox.offer.sold"


# --- reading --------------------------------------------------------------------------


def test_each_side_sees_what_it_may_do(town):
    offer_id = run(offers.make_offer, town["bea"], town["lamp"], "80")
    with read_session() as s:
        (mine,) = offer_lists.made(s, town["bea"], now=NOW)
        (theirs,) = offer_lists.received(s, town["sue"], now=NOW)
        panel = offer_lists.panel(s, town["olga"], town["lamp"], now=NOW)
    assert mine.actions == {"withdraw"} and mine.other_name == "Sue"
    assert theirs.actions == {"accept", "decline", "counter"} and theirs.other_name == "Bea"
    assert (panel.open, panel.is_own, panel.floor_cents, panel.mine) == (True, False, 5000, [])
    run(offers.accept, town["sue"], offer_id)
    with read_session() as s:
        (mine,) = offer_lists.on_listing(s, town["bea"], town["lamp"], now=NOW)
        panel = offer_lists.panel(s, town["olga"], town["lamp"], now=NOW)
        own = offer_lists.panel(s, town["sue"], town["lamp"], now=NOW)
    assert mine.actions == {"buy", "withdraw"}
    assert panel.held_until == NOW + timedelta(hours=settings.offer_reserve_hours)
    assert own.is_own
