"""Cart handlers as a browser calls them: owner from cookies, validated ids, nav count."""

from __future__ import annotations

from datetime import timedelta

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Cart, CartLine, Category, Listing, Offer, Shop
from marketplace_app.models.types import utcnow
from marketplace_app.services import carts
from marketplace_app.services.carts import CartOwner
from marketplace_app.state.cart import CartState, whole_number
from marketplace_app.state.catalog import ListingState
from marketplace_app.state.session import SessionState
from tests.unit.services.conftest import make_user
from tests.unit.services.test_carts import make_listing, make_variant, set_plain
from tests.unit.state.conftest import call

GUEST = "g" * 32
OTHER_GUEST = "h" * 32


def page(state_cls, *, token: str | None = None, guest: str | None = None, path: str = "/cart"):
    """A state of a fresh browser tab whose websocket carries these cookies."""
    root = rx.State(_reflex_internal_init=True)
    cookies = "; ".join(
        f"{name}={value}" for name, value in (("mp_session", token), ("mp_cart", guest)) if value
    )
    root.router = RouterData.from_router_data(
        {
            "headers": {
                "origin": "http://127.0.0.1:3000",
                **({"cookie": cookies} if cookies else {}),
            },
            "pathname": path,
            "asPath": path,
            "ip": "127.0.0.1",
        }
    )
    return root.get_substate(state_cls.get_full_name().split("."))


def nav_count(state) -> int:
    return state.parent_state.get_substate(SessionState.get_full_name().split(".")).cart_count


@pytest.fixture
def shop(login_as):
    """A shop with bread and two-size honey; a neighbour's chair; a logged-in buyer."""
    keeper_id, keeper_token = login_as("keeper@example.com", "Keeper")
    buyer_id, buyer_token = login_as("buyer@example.com", "Buyer")
    with write_session() as s:
        neighbour = make_user(s, "Nina")
        bakery = Shop(owner_id=keeper_id, name="Corner Bakery", slug="corner", status="approved")
        food = Category(slug="produce")
        s.add_all([bakery, food])
        s.flush()
        kw = {"shop_id": bakery.id, "category_id": food.id}
        bread = make_listing(s, keeper_id, title="Bread", price_cents=900, **kw)
        honey = make_listing(s, keeper_id, title="Honey", price_cents=1800, **kw)
        small = make_variant(s, honey, "250 g", 1800, 3)
        large = make_variant(s, honey, "500 g", 3200, 0)
        chair = make_listing(
            s,
            neighbour.id,
            kind="secondhand",
            title="Chair",
            price_cents=15000,
            category_id=food.id,
        )
        return {
            "keeper": (keeper_id, keeper_token),
            "buyer": (buyer_id, buyer_token),
            "bread": bread.id,
            "honey": honey.id,
            "small": small.id,
            "large": large.id,
            "chair": chair.id,
        }


def listing_page(listing_id: int, **cookies) -> ListingState:
    state = page(ListingState, path=f"/listing/{listing_id}", **cookies)
    call(state, "load")
    return state


def cart_page(**cookies) -> CartState:
    state = page(CartState, **cookies)
    call(state, "load")
    return state


def all_lines():
    with read_session() as s:
        return sorted(
            (line.cart_id, line.listing_id, line.variant_id, line.quantity, line.seen_price_cents)
            for line in s.exec(select(CartLine)).all()
        )


# --- the listing page -------------------------------------------------------------------------


def test_a_guest_adds_a_variant_and_a_one_off_and_the_nav_count_follows(shop):
    honey = listing_page(shop["honey"], guest=GUEST)
    assert honey.variant_id == shop["small"] and honey.cart_block == ""
    assert honey.is_shop and honey.quantity_max == 3
    call(honey, "add_to_cart", {"quantity": "2"})
    assert honey.cart_error == "" and honey.cart_note and not honey.adding
    assert nav_count(honey) == 2

    chair = listing_page(shop["chair"], guest=GUEST)
    assert not chair.is_shop and chair.quantity_max == 1
    call(chair, "add_to_cart", {"quantity": "7"})  # a one-off: always 1
    assert nav_count(chair) == 3
    call(chair, "add_to_cart", {})
    assert nav_count(chair) == 3 and chair.cart_note  # "already in your cart"

    with read_session() as s:
        assert carts.units(s, CartOwner.guest(GUEST)) == 3
        assert s.exec(select(Cart)).one().user_id is None

    nav = page(SessionState, guest=GUEST, path="/")
    call(nav, "load")
    assert nav.cart_count == 3


def test_quantity_is_validated_and_capped_at_stock(shop):
    _, token = shop["buyer"]
    bread = listing_page(shop["bread"], token=token)
    for bad in ("0", "-1", "abc", "1e3", "", None, 2.0, str(carts.MAX_QUANTITY + 1), "٣"):
        call(bread, "add_to_cart", {"quantity": bad})
        assert bread.cart_error, bad
    call(bread, "add_to_cart", "not a form")
    assert bread.cart_error
    assert all_lines() == []
    call(bread, "add_to_cart", {"quantity": "9"})  # stock is 5
    assert bread.cart_error == "" and nav_count(bread) == 5


def test_own_sold_out_and_inactive_listings_offer_no_add(shop):
    _, keeper_token = shop["keeper"]
    own = listing_page(shop["bread"], token=keeper_token)
    assert own.cart_block == "own"
    call(own, "add_to_cart", {"quantity": "1"})
    assert all_lines() == []

    _, token = shop["buyer"]
    honey = listing_page(shop["honey"], token=token)
    call(honey, "select_variant", shop["large"])  # 0 in stock
    assert honey.cart_block == "sold_out"
    call(honey, "add_to_cart", {"quantity": "1"})
    assert all_lines() == []

    with write_session() as s:
        s.get(Listing, shop["chair"]).status = "sold"
    chair = listing_page(shop["chair"], token=token)
    assert chair.cart_block == "sold" and chair.cart_block_text


def test_a_product_without_options_shows_no_choice_and_sells_its_one_variant(shop):
    _, token = shop["buyer"]
    bread = listing_page(shop["bread"], token=token)
    assert bread.variants == [] and bread.variant_id and bread.cart_block == ""
    call(bread, "add_to_cart", {"quantity": "2"})
    assert bread.cart_error == "" and nav_count(bread) == 2
    assert [line[2] for line in all_lines()] == [bread.variant_id]


def test_a_guest_without_the_cart_cookie_is_told_why(shop):
    bread = listing_page(shop["bread"])
    call(bread, "add_to_cart", {"quantity": "1"})
    assert bread.cart_error and all_lines() == []
    bread = listing_page(shop["bread"], guest="not a token")
    call(bread, "add_to_cart", {"quantity": "1"})
    assert bread.cart_error and all_lines() == []


def test_a_listing_sold_out_since_the_page_loaded_is_refused_with_a_message(shop):
    _, token = shop["buyer"]
    bread = listing_page(shop["bread"], token=token)
    set_plain(shop["bread"], stock=0)
    call(bread, "add_to_cart", {"quantity": "1"})
    assert bread.cart_error and nav_count(bread) == 0


# --- the cart page ----------------------------------------------------------------------------


def _fill(owner: CartOwner, shop) -> None:
    with write_session() as s:
        carts.add(s, owner, shop["bread"], None, 2)
        carts.add(s, owner, shop["honey"], shop["small"], 1)
        carts.add(s, owner, shop["chair"])


def test_the_cart_page_groups_lines_and_totals(shop):
    buyer_id, token = shop["buyer"]
    _fill(CartOwner.user(buyer_id), shop)
    cart = cart_page(token=token)
    assert not cart.loading and not cart.is_guest and cart.checkout_href == "/checkout"
    assert [g.name for g in cart.groups] == ["Corner Bakery", "Nina"]
    assert [line.title for line in cart.groups[0].lines] == ["Bread", "Honey"]
    assert cart.groups[0].lines[1].variant_label == "250 g"
    assert cart.groups[1].lines[0].one_off
    assert cart.units == 4 and cart.ready_count == 3 and cart.problem_note == ""
    assert "186.00" in cart.total  # 2 x 9 + 18 + 150
    assert nav_count(cart) == 4


def test_changing_quantity_and_removing_update_totals_and_the_nav_count(shop):
    _fill(CartOwner.guest(GUEST), shop)
    cart = cart_page(guest=GUEST)
    assert cart.is_guest and cart.checkout_href == "/login?next=/checkout"
    bread = cart.groups[0].lines[0]
    call(cart, "set_quantity", bread.id, "4")
    assert cart.groups[0].lines[0].quantity == 4 and cart.units == 6 and nav_count(cart) == 6
    call(cart, "set_quantity", bread.id, 6)  # stock 5
    line = cart.groups[0].lines[0]
    assert line.quantity == 4 and line.error  # refused next to the line
    call(cart, "submit_quantity", {"line": str(bread.id), "quantity": "3"})
    assert cart.groups[0].lines[0].quantity == 3 and nav_count(cart) == 5
    call(cart, "submit_quantity", {"line": str(bread.id), "quantity": "4"})
    call(cart, "set_quantity", bread.id, "x")
    assert cart.groups[0].lines[0].error and cart.units == 6
    call(cart, "remove_line", bread.id)
    assert [line.title for line in cart.groups[0].lines] == ["Honey"]
    assert cart.units == 2 and nav_count(cart) == 2 and not cart.busy


def test_flagged_lines_stay_and_checkout_waits_for_a_ready_line(shop):
    buyer_id, token = shop["buyer"]
    with write_session() as s:
        carts.add(s, CartOwner.user(buyer_id), shop["bread"], None, 2)
        carts.add(s, CartOwner.user(buyer_id), shop["chair"])
        s.flush()
        s.get(Listing, shop["chair"]).status = "paused"
    set_plain(shop["bread"], price_cents=1000)
    cart = cart_page(token=token)
    bread, chair = cart.groups[0].lines[0], cart.groups[1].lines[0]
    assert bread.price_up and "10.00" in bread.problem and chair.problem
    assert cart.ready_count == 0 and cart.problem_note
    call(cart, "accept_price", bread.id)
    assert cart.groups[0].lines[0].problem == "" and cart.ready_count == 1
    assert "20.00" in cart.total


def test_handlers_cannot_touch_another_carts_lines(shop):
    buyer_id, token = shop["buyer"]
    _fill(CartOwner.user(buyer_id), shop)
    _fill(CartOwner.guest(OTHER_GUEST), shop)
    set_plain(shop["bread"], price_cents=1000)  # so accept_price would change something
    before = all_lines()
    with read_session() as s:
        victim_ids = [line.id for line in s.exec(select(CartLine)).all()]

    for cookies in ({"guest": GUEST}, {}, {"token": shop["keeper"][1]}):
        intruder = cart_page(**cookies)
        for line_id in victim_ids:
            call(intruder, "set_quantity", line_id, 1)
            call(intruder, "set_quantity", line_id, "3")
            call(intruder, "submit_quantity", {"line": str(line_id), "quantity": "2"})
            call(intruder, "remove_line", line_id)
            call(intruder, "accept_price", line_id)
        for garbage in (None, "1", -1, 0, 2**70, 1.5, True, {"id": 1}, [1]):
            call(intruder, "set_quantity", garbage, 1)
            call(intruder, "remove_line", garbage)
            call(intruder, "accept_price", garbage)
            call(intruder, "submit_quantity", garbage)
            call(intruder, "submit_quantity", {"line": garbage, "quantity": garbage})
    # A guest's own handlers with the other guest's ids, after it has a cart of its own.
    with write_session() as s:
        carts.add(s, CartOwner.guest(GUEST), shop["chair"])
    mine = all_lines()
    intruder = cart_page(guest=GUEST)
    for line_id in victim_ids:
        call(intruder, "remove_line", line_id)
        call(intruder, "set_quantity", line_id, 2)
    assert all_lines() == mine and set(before) <= set(mine)


def test_an_empty_cart_and_a_cookieless_guest(shop):
    cart = cart_page()
    assert cart.groups == [] and cart.units == 0 and not cart.loading and cart.is_guest
    cart = cart_page(token=shop["buyer"][1])
    assert cart.groups == [] and not cart.is_guest


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("2", 2),
        (" 3 ", 3),
        ("0", None),
        (0, None),
        (True, None),
        (1.0, None),
        ("1.5", None),
        ("", None),
        (None, None),
        ("1" * 12, None),
        ("٣", None),
        (100, None),
    ],
)
def test_whole_number(value, expected):
    assert whole_number(value, 1, 99) == expected


def test_an_accepted_offer_shows_its_buyer_the_agreed_price_and_others_a_reservation(shop):
    buyer_id, token = shop["buyer"]
    _, keeper_token = shop["keeper"]
    with write_session() as s:
        chair = s.get(Listing, shop["chair"])
        s.add(
            Offer(
                listing_id=chair.id,
                buyer_id=buyer_id,
                seller_id=chair.seller_id,
                amount_cents=12000,
                agreed_cents=12000,
                status="accepted",
                expires_at=utcnow() + timedelta(days=1),
                reserved_until=utcnow() + timedelta(hours=5),
            )
        )
    mine = listing_page(shop["chair"], token=token)
    assert mine.cart_block == "" and "120.00" in mine.price and "150.00" in mine.was_price
    call(mine, "add_to_cart", {})
    with read_session() as s:
        assert s.exec(select(CartLine.seen_price_cents)).one() == 12000
    theirs = listing_page(shop["chair"], token=keeper_token)
    assert theirs.cart_block == "reserved" and "150.00" in theirs.price
    assert theirs.cart_block_text
