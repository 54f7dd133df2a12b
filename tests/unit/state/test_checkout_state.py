"""The checkout page's handlers: choices are checked, errors land next to lines, one group."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import CartLine, Listing, Order, OrderGroup, User
from marketplace_app.services import checkout
from marketplace_app.state.checkout import CheckoutState
from tests.unit.services.conftest import make_user
from tests.unit.services.test_checkout import (
    add_to_cart,
    address_for,
    make_shop,
    resident_item,
    shop_product,
    variant_of,
)
from tests.unit.state.conftest import call, redirect_target


def setup_cart(login_as):
    buyer_id, token = login_as("bea@example.com", "Bea")
    with write_session() as s:
        buyer = s.get(User, buyer_id)
        shop = make_shop(s, make_user(s, "Bo"))
        bread = shop_product(s, shop)
        lamp = resident_item(s, make_user(s, "Nia"), courier_fee_cents=900)
        address = address_for(s, buyer)
        add_to_cart(s, buyer, bread, 2, variant_of(s, bread))
        add_to_cart(s, buyer, lamp)
    return token, shop, lamp, address


def loaded(make_state, token):
    state = make_state(CheckoutState, token, path="/checkout")
    call(state, "load")
    return state


def test_checkout_needs_a_login(make_state, db):
    state = make_state(CheckoutState, None, path="/checkout")
    assert redirect_target(call(state, "load")).startswith("/login")
    assert call(state, "place", {}) is not None
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(OrderGroup)).one() == 0


def test_load_shows_parts_with_defaults_and_a_key(make_state, login_as):
    token, shop, lamp, _ = setup_cart(login_as)
    state = loaded(make_state, token)
    assert len(state.key) >= 16 and not state.loading
    shop_part, lamp_part = state.parts
    assert shop_part.seller == shop.name and shop_part.method == "pickup"  # the only method
    assert shop_part.slot == shop_part.slots[0].value
    assert [m.method for m in lamp_part.methods] == ["pickup", "courier"]
    assert lamp_part.method == ""
    assert state.total == state.subtotal


def test_choices_are_checked_and_kept(make_state, login_as):
    token, _, lamp, address = setup_cart(login_as)
    state = loaded(make_state, token)
    key = state.parts[1].key
    call(state, "choose_method", key, "local")  # not offered
    call(state, "choose_method", "shop-999", "pickup")
    call(state, "choose_address", key, "999")
    call(state, "choose_payment", "bitcoin")
    assert state.parts[1].method == "" and state.payment == ""
    call(state, "choose_method", key, "courier")
    assert state.parts[1].needs_address and state.parts[1].address == str(address.id)
    assert "9.00" in state.fees
    call(state, "choose_payment", "cash")
    call(state, "load")  # e.g. back from the address book
    assert state.parts[1].method == "courier" and state.payment == "cash"


def test_place_cash_shows_the_orders_and_empties_the_cart(make_state, login_as):
    token, _, lamp, _ = setup_cart(login_as)
    state = loaded(make_state, token)
    call(state, "choose_method", state.parts[1].key, "courier")
    call(state, "choose_payment", "cash")
    key = state.key
    call(state, "place", {"key": key})
    assert len(state.placed) == 2 and all(p.number.startswith("MP-") for p in state.placed)
    assert state.placed[0].href == f"/orders/{state.placed[0].number}"
    call(state, "place", {"key": key})  # a second click changes nothing
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(OrderGroup)).one() == 1
        assert s.exec(select(func.count()).select_from(Order)).one() == 2
        assert s.exec(select(func.count()).select_from(CartLine)).one() == 0


def test_refusals_land_next_to_the_line_and_the_choices(make_state, login_as):
    token, _, lamp, _ = setup_cart(login_as)
    state = loaded(make_state, token)
    with write_session() as s:
        s.get(Listing, lamp.id).status = "sold"
    call(state, "place", {"key": state.key})
    lamp_part = state.parts[1]
    assert lamp_part.lines[0].error in ("Sold out", "已售罄")
    assert lamp_part.method_error and state.payment_error
    assert state.form_error and not state.placing and not state.placed
    call(state, "choose_payment", "cash")
    assert state.payment_error == ""


def test_a_malformed_key_from_the_page_is_not_used(make_state, login_as):
    token, _, _, _ = setup_cart(login_as)
    state = loaded(make_state, token)
    call(state, "choose_method", state.parts[1].key, "pickup")
    call(state, "choose_payment", "cash")
    call(state, "place", {"key": "<script>"})
    with read_session() as s:
        (group,) = s.exec(select(OrderGroup)).all()
    assert group.idempotency_key == state.key


def test_an_unexpected_failure_can_be_retried_with_the_same_key(make_state, login_as, monkeypatch):
    token, _, _, _ = setup_cart(login_as)
    state = loaded(make_state, token)
    call(state, "choose_method", state.parts[1].key, "pickup")
    call(state, "choose_payment", "cash")
    real = checkout.place_checkout

    def busy(*args, **kw):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(checkout, "place_checkout", busy)
    call(state, "place", {"key": state.key})
    assert state.form_error and not state.placing and not state.placed
    monkeypatch.setattr(checkout, "place_checkout", real)
    call(state, "place", {"key": state.key})
    assert len(state.placed) == 2
