"""Offer handlers called as a browser would: the caller's own side only, errors by the field."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Offer, User
from marketplace_app.state.offers import OfferPanelState, OffersState
from marketplace_app.state.session import SessionState
from tests.unit.orders_factory import make_listing
from tests.unit.state.conftest import call, redirect_target


@dataclasses.dataclass
class Cast:
    buyer: tuple[int, str]
    seller: tuple[int, str]
    stranger: tuple[int, str]
    listing_id: int


@pytest.fixture
def cast(login_as):
    buyer = login_as("buyer@example.com", "Bea")
    seller = login_as("seller@example.com", "Sue")
    stranger = login_as("stranger@example.com", "Sam")
    with write_session() as s:
        lamp = make_listing(s, s.get(User, seller[0]), kind="secondhand", price=10000)
        lamp.negotiable = True
        listing_id = lamp.id
    return Cast(buyer, seller, stranger, listing_id)


def panel(make_state, who, listing_id: int) -> OfferPanelState:
    state = make_state(OfferPanelState, who[1] if who else None, path=f"/listing/{listing_id}")
    call(state, "load")
    return state


def page(make_state, who, tab: str) -> OffersState:
    state = make_state(OffersState, who[1], path="/offers", query=f"tab={tab}")
    call(state, "load")
    return state


def the_offer() -> Offer:
    with read_session() as s:
        (offer,) = s.exec(select(Offer)).all()
        return offer


def test_a_guest_sees_the_floor_and_is_asked_to_log_in(make_state, cast):
    state = panel(make_state, None, cast.listing_id)
    assert (state.shown, state.can_offer, state.logged_in) == (True, True, False)
    assert "50" in state.floor
    assert state.login_href == f"/login?next=%2Flisting%2F{cast.listing_id}"
    assert redirect_target(call(state, "submit", {"amount": "80"})).startswith("/login")


def test_offer_counter_accept_and_buy_through_the_handlers(make_state, cast):
    buyer = panel(make_state, cast.buyer, cast.listing_id)
    call(buyer, "submit", {"amount": "20"})
    assert set(buyer.errors) == {"amount"} and buyer.rows == []
    call(buyer, "submit", {"amount": "60"})
    assert buyer.errors == {} and buyer.flash
    (row,) = buyer.rows
    assert (row.status, row.can_withdraw, row.can_accept) == ("open", True, False)

    seller = page(make_state, cast.seller, "received")
    (row,) = seller.rows
    assert (row.can_accept, row.can_decline, row.can_counter) == (True, True, True)
    call(seller, "counter", {"offer_id": str(row.id), "counter": "200"})
    assert set(seller.errors) == {row.key}
    assert seller.rows[0].status == "open"
    call(seller, "counter", {"offer_id": str(row.id), "counter": "85"})
    assert seller.errors == {} and seller.rows[0].status == "countered"

    buyer = panel(make_state, cast.buyer, cast.listing_id)
    (row,) = buyer.rows
    assert (row.can_accept, row.can_decline) == (True, True)
    call(buyer, "act", row.id, "accept")
    (row,) = buyer.rows
    assert (row.status, row.can_buy) == ("accepted", True)
    assert redirect_target(call(buyer, "buy", row.id)) == "/checkout"
    nav = buyer.parent_state.get_substate(SessionState.get_full_name().split("."))
    assert nav.cart_count == 1  # the count in the navigation follows
    assert the_offer().agreed_cents == 8500


def test_strangers_and_wrong_sides_change_nothing(make_state, cast):
    buyer = panel(make_state, cast.buyer, cast.listing_id)
    call(buyer, "submit", {"amount": "60"})
    offer_id = buyer.rows[0].id

    stranger = page(make_state, cast.stranger, "received")
    assert stranger.rows == []
    call(stranger, "act", offer_id, "accept")
    assert set(stranger.errors) == {str(offer_id)}
    call(stranger, "counter", {"offer_id": str(offer_id), "counter": "80"})
    assert set(stranger.errors) == {str(offer_id)}

    # The buyer's "made" tab acts as the buyer: accepting is the seller's move.
    made = page(make_state, cast.buyer, "made")
    call(made, "act", offer_id, "accept")
    assert set(made.errors) == {str(offer_id)}
    call(made, "act", offer_id, "anything")  # unknown actions are ignored
    call(made, "counter", {"offer_id": str(offer_id), "counter": "80"})  # not on this tab
    assert the_offer().status == "open"

    call(made, "act", offer_id, "withdraw")
    assert made.rows[0].status == "withdrawn"
