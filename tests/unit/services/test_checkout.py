"""Checkout: pricing from the listings, one order per seller, stock, idempotency, refusals."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import (
    Address,
    Cart,
    CartLine,
    Category,
    InboxItem,
    Listing,
    ListingVariant,
    Order,
    OrderGroup,
    OrderLine,
    OrderTransition,
    Shop,
    User,
)
from marketplace_app.services import checkout, fulfilment
from marketplace_app.services.checkout import CheckoutRefused, Seen, SellerChoice
from marketplace_app.services.errors import NotFound, ValidationFailed
from tests.unit.conftest import write_turn_is_free
from tests.unit.orders_factory import add_variants
from tests.unit.services.conftest import make_user

# A Monday, 09:00 in Asia/Shanghai (the test town's zone).
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ALWAYS_OPEN = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


# --- a small market, built directly in the database ---------------------------------


def category_id(session: Session, slug: str = "home") -> int:
    """A category's id, created when missing (published listings need one)."""
    found = session.exec(select(Category).where(Category.slug == slug)).first()
    if found is None:
        found = Category(slug=slug)
        session.add(found)
        session.flush()
    return found.id


def make_shop(session: Session, owner: User, name: str = "Corner Bakery", **kw) -> Shop:
    """An approved shop (open all week unless ``opening_hours`` is given)."""
    kw.setdefault("opening_hours", json.dumps(ALWAYS_OPEN))
    shop = Shop(
        owner_id=owner.id,
        name=name,
        slug=name.lower().replace(" ", "-"),
        status="approved",
        pickup_point=f"{name} counter",
        district="Old Town",
        **kw,
    )
    session.add(shop)
    session.flush()
    return shop


def shop_product(
    session: Session,
    shop: Shop,
    title: str = "Sourdough loaf",
    variants: tuple[tuple[str, int, int, int | None], ...] = (("", 800, 10, None),),
    **kw,
) -> Listing:
    """A shop product with variants given as (label, price, stock, sale price)."""
    kw.setdefault("category_id", category_id(session))
    listing = Listing(
        seller_id=shop.owner_id,
        shop_id=shop.id,
        kind="shop",
        title=title,
        price_cents=min(v[1] for v in variants),
        stock=sum(v[2] for v in variants),
        status="active",
        district=shop.district,
        **kw,
    )
    session.add(listing)
    session.flush()
    add_variants(session, listing, variants)
    session.flush()
    return listing


def resident_item(
    session: Session, seller: User, title: str = "Reading lamp", price: int = 2500, **kw
) -> Listing:
    """A resident's one-off item (stock 1)."""
    kw.setdefault("district", "Riverside")
    kw.setdefault("category_id", category_id(session))
    listing = Listing(
        seller_id=seller.id,
        kind="secondhand",
        title=title,
        condition="good",
        price_cents=price,
        stock=1,
        status="active",
        **kw,
    )
    session.add(listing)
    session.flush()
    return listing


def variant_of(session: Session, listing: Listing, label: str = "") -> ListingVariant:
    return session.exec(
        select(ListingVariant).where(
            ListingVariant.listing_id == listing.id, ListingVariant.label == label
        )
    ).one()


def add_to_cart(
    session: Session,
    buyer: User,
    listing: Listing,
    quantity: int = 1,
    variant: ListingVariant | None = None,
) -> CartLine:
    cart = session.exec(select(Cart).where(Cart.user_id == buyer.id)).first()
    if cart is None:
        cart = Cart(user_id=buyer.id)
        session.add(cart)
        session.flush()
    line = CartLine(
        cart_id=cart.id,
        listing_id=listing.id,
        variant_id=variant.id if variant else None,
        quantity=quantity,
        seen_price_cents=variant.price_cents if variant else listing.price_cents,
    )
    session.add(line)
    session.flush()
    return line


def address_for(session: Session, user: User, line1: str = "Mill Lane 7") -> Address:
    address = Address(
        user_id=user.id, recipient=user.name, phone="13800000000", line1=line1, city="Riverside"
    )
    session.add(address)
    session.flush()
    return address


def pickup(part: checkout.PartInfo) -> SellerChoice:
    """Pickup in the first offered slot."""
    return SellerChoice("pickup", slot=part.slots[0].key)


def parts_of(session: Session, buyer: User, now: datetime = NOW) -> dict[str, checkout.PartInfo]:
    return {p.key: p for p in checkout.preview(session, buyer.id, now).parts}


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def market(db):
    """A buyer, a shop selling bread and a resident selling a lamp, all committed."""
    with write_session() as s:
        buyer = make_user(s, "Bea")
        baker = make_user(s, "Bo")
        neighbour = make_user(s, "Nia")
        shop = make_shop(s, baker)
        bread = shop_product(
            s, shop, variants=(("500 g", 500, 10, None), ("1 kg", 900, 3, 800)), pickup=True
        )
        lamp = resident_item(s, neighbour, courier_fee_cents=1200, pickup=True)
        address = address_for(s, buyer)
        small, big = variant_of(s, bread, "500 g"), variant_of(s, bread, "1 kg")
    return {
        "buyer": buyer,
        "baker": baker,
        "neighbour": neighbour,
        "shop": shop,
        "bread": bread,
        "small": small,
        "big": big,
        "lamp": lamp,
        "address": address,
    }


def fill_cart(m, *, bread_qty: int = 2, big_qty: int = 1) -> None:
    with write_session() as s:
        add_to_cart(s, m["buyer"], m["bread"], bread_qty, m["small"])
        add_to_cart(s, m["buyer"], m["bread"], big_qty, m["big"])
        add_to_cart(s, m["buyer"], m["lamp"])


def both_choices(m, method_for_lamp: str = "courier") -> dict[str, SellerChoice]:
    with read_session() as s:
        parts = parts_of(s, m["buyer"])
    shop_key, lamp_key = f"shop-{m['shop'].id}", f"user-{m['neighbour'].id}"
    lamp = (
        pickup(parts[lamp_key])
        if method_for_lamp == "pickup"
        else SellerChoice(method_for_lamp, address_id=m["address"].id)
    )
    return {shop_key: pickup(parts[shop_key]), lamp_key: lamp}


def place(m, key: str | None = None, payment: str = "cash", **kw) -> checkout.PlacedGroup:
    if "choices" not in kw:
        kw["choices"] = both_choices(m)
    with write_session() as s:
        return checkout.place(
            s,
            m["buyer"].id,
            key=key or checkout.new_key(),
            payment_method=payment,
            now=NOW,
            **kw,
        )


def stock(listing_id: int) -> tuple[int, str]:
    with read_session() as s:
        listing = s.get(Listing, listing_id)
        return listing.stock, listing.status


def variant_stock(variant_id: int) -> int:
    with read_session() as s:
        return s.get(ListingVariant, variant_id).stock


# --- preview -----------------------------------------------------------------------


def test_preview_splits_the_cart_per_seller_and_prices_from_the_listings(market):
    m = market
    fill_cart(m)
    with read_session() as s:
        view = checkout.preview(s, m["buyer"].id, NOW)
    shop_part, lamp_part = view.parts
    assert shop_part.key == f"shop-{m['shop'].id}" and shop_part.seller_name == "Corner Bakery"
    assert lamp_part.key == f"user-{m['neighbour'].id}" and lamp_part.seller_name == "Nia"
    small, big = shop_part.lines
    assert (small.unit_price_cents, small.quantity, small.line_total_cents) == (500, 2, 1000)
    assert (big.unit_price_cents, big.was_price_cents, big.variant_label) == (800, 900, "1 kg")
    assert shop_part.subtotal_cents == 1800 and view.subtotal_cents == 1800 + 2500
    assert shop_part.options == {"pickup": 0}
    assert lamp_part.options == {"pickup": 0, "courier": 1200}
    assert lamp_part.pickup_place == "Riverside"
    assert shop_part.pickup_place == "Corner Bakery counter"
    assert shop_part.slots and lamp_part.slots
    assert view.fees_cents({lamp_part.key: "courier", shop_part.key: "pickup"}) == 1200
    assert not any(ln.problem for p in view.parts for ln in p.lines)


def test_preview_flags_lines_that_cannot_be_had(market):
    m = market
    with write_session() as s:
        add_to_cart(s, m["buyer"], m["bread"], 4, m["big"])  # only 3
        own = resident_item(s, m["buyer"], "My own chair")
        add_to_cart(s, m["buyer"], own)
        add_to_cart(s, m["buyer"], m["lamp"])
        s.get(Listing, m["lamp"].id).status = "paused"
    with read_session() as s:
        lines = {
            ln.title: ln for p in checkout.preview(s, m["buyer"].id, NOW).parts for ln in p.lines
        }
    assert lines["Sourdough loaf"].problem == "error.checkout_only_left"
    assert lines["Sourdough loaf"].problem_params == {"left": 3}
    assert lines["My own chair"].problem == "error.checkout_own_item"
    assert lines["Reading lamp"].problem == "error.checkout_unavailable"


def test_sale_price_only_while_the_window_is_open(market):
    m = market
    with write_session() as s:
        s.get(Listing, m["bread"].id).sale_ends_at = NOW - timedelta(hours=1)
        add_to_cart(s, m["buyer"], m["bread"], 1, m["big"])
    with read_session() as s:
        (part,) = checkout.preview(s, m["buyer"].id, NOW).parts
    assert part.lines[0].unit_price_cents == 900 and part.lines[0].was_price_cents is None


# --- placing -----------------------------------------------------------------------


def test_cash_checkout_creates_one_group_with_one_confirmed_order_per_seller(market):
    m = market
    fill_cart(m)
    placed = place(m)
    assert placed.created and placed.payment_method == "cash"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", placed.public_id)
    assert placed.total_cents == 1800 + 2500 + 1200
    with read_session() as s:
        orders = s.exec(select(Order).where(Order.group_id == placed.id).order_by(Order.id)).all()
        assert [o.number for o in orders] == [o.number for o in placed.orders]
        bread_order, lamp_order = orders
        for o in orders:
            assert re.fullmatch(r"MP-2611-[0-9A-HJKMNP-TV-Z]{6}", o.number)
            assert o.status == "paid" and o.payment_method == "cash"
            assert o.expires_at is None and o.paid_at is None
            assert o.total_cents == o.subtotal_cents + o.delivery_fee_cents - o.discount_cents
            lines = s.exec(select(OrderLine).where(OrderLine.order_id == o.id)).all()
            assert o.subtotal_cents == sum(ln.line_total_cents for ln in lines)
            code = fulfilment.handover_code(o.id, o.number)
            assert o.handover_code_hash == fulfilment.code_hash(code)
            (t,) = s.exec(select(OrderTransition).where(OrderTransition.order_id == o.id)).all()
            assert (t.from_status, t.to_status, t.actor_id) == (None, "paid", m["buyer"].id)
        assert bread_order.shop_id == m["shop"].id and bread_order.seller_id == m["baker"].id
        assert bread_order.delivery_method == "pickup" and bread_order.delivery_fee_cents == 0
        assert bread_order.address_text == "Corner Bakery counter"
        assert bread_order.slot_ends_at - bread_order.slot_starts_at == timedelta(hours=1)
        assert bread_order.commission_cents == 90  # 5 % of 18.00
        assert lamp_order.shop_id is None and lamp_order.delivery_method == "courier"
        assert lamp_order.delivery_fee_cents == 1200 and lamp_order.commission_cents == 75  # 3 %
        assert "Mill Lane 7" in lamp_order.address_text and "13800000000" in lamp_order.address_text
        assert count(s, CartLine) == 0
        notices = s.exec(select(InboxItem.user_id, InboxItem.message_key)).all()
        assert sorted(notices) == sorted(
            [
                (m["buyer"].id, "checkout.notice.placed_cash"),
                (m["baker"].id, "checkout.notice.new_order"),
                (m["neighbour"].id, "checkout.notice.new_order"),
            ]
        )
    assert stock(m["bread"].id) == (13 - 3, "active")
    assert variant_stock(m["small"].id) == 8 and variant_stock(m["big"].id) == 2
    assert stock(m["lamp"].id) == (0, "sold")


def test_escrow_orders_wait_for_payment_and_expire(market):
    m = market
    fill_cart(m)
    placed = place(m, payment="escrow")
    with read_session() as s:
        orders = s.exec(select(Order).where(Order.group_id == placed.id)).all()
        assert {o.status for o in orders} == {"pending_payment"}
        assert {o.expires_at for o in orders} == {NOW + timedelta(minutes=15)}
        keys = s.exec(select(InboxItem.message_key)).all()
    assert keys == ["checkout.notice.placed_escrow"]  # sellers hear of it once it is paid


def test_the_same_key_gives_the_same_group(market):
    m = market
    fill_cart(m)
    key, choices = checkout.new_key(), both_choices(m)
    first = place(m, key, choices=choices)
    again = place(m, key, choices=choices)
    assert not again.created
    assert (again.id, again.public_id, [o.number for o in again.orders]) == (
        first.id,
        first.public_id,
        [o.number for o in first.orders],
    )
    with read_session() as s:
        assert count(s, OrderGroup) == 1 and count(s, Order) == 2


def test_another_buyers_key_is_not_found(market):
    m = market
    fill_cart(m)
    key = checkout.new_key()
    place(m, key)
    with write_session() as s:
        other = make_user(s, "Eve")
    with pytest.raises(NotFound), write_session() as s:
        checkout.place(s, other.id, key=key, choices={}, payment_method="cash", now=NOW)


@pytest.mark.parametrize("key", ["", "short", "x" * 65, "has spaces in it!!", None, 12345])
def test_malformed_keys_are_refused(market, key):
    with pytest.raises(ValidationFailed) as caught, write_session() as s:
        checkout.place(s, market["buyer"].id, key=key, choices={}, payment_method="cash")
    assert caught.value.fields == {"_form": "error.checkout_key"}


def test_an_empty_cart_places_nothing(market):
    with pytest.raises(ValidationFailed) as caught:
        place(market, choices={})
    assert caught.value.fields == {"_form": "error.checkout_empty"}


def assert_nothing_placed(m, *, cart_lines: int) -> None:
    with read_session() as s:
        assert count(s, OrderGroup) == 0 and count(s, Order) == 0 and count(s, OrderLine) == 0
        assert count(s, CartLine) == cart_lines
    assert stock(m["lamp"].id)[0] in (0, 1)


def test_a_sold_out_line_refuses_the_whole_checkout_and_names_the_line(market):
    m = market
    fill_cart(m, bread_qty=2, big_qty=3)
    with write_session() as s:
        s.get(ListingVariant, m["big"].id).stock = 2
        s.get(Listing, m["bread"].id).stock = 12
    with pytest.raises(CheckoutRefused) as caught:
        place(m)
    with read_session() as s:
        big_line = s.exec(select(CartLine).where(CartLine.variant_id == m["big"].id)).one()
    assert caught.value.fields == {f"line:{big_line.id}": "error.checkout_only_left"}
    assert caught.value.details == {f"line:{big_line.id}": {"left": 2}}
    assert_nothing_placed(m, cart_lines=3)
    assert stock(m["bread"].id) == (12, "active") and stock(m["lamp"].id) == (1, "active")


def test_an_item_sold_meanwhile_is_refused_at_the_update(market, monkeypatch):
    """The check before the UPDATE passed; the conditional UPDATE itself refuses."""
    m = market
    fill_cart(m)
    real = checkout._take_stock

    def sell_lamp_first(session, parts, buyer_id, now):
        session.execute(
            Listing.__table__.update()
            .where(Listing.__table__.c.id == m["lamp"].id)
            .values(stock=0, status="sold")
        )
        return real(session, parts, buyer_id, now)

    monkeypatch.setattr(checkout, "_take_stock", sell_lamp_first)
    with pytest.raises(CheckoutRefused) as caught:
        place(m)
    (field,) = caught.value.fields
    assert caught.value.fields[field] == "error.checkout_sold_out"
    assert_nothing_placed(m, cart_lines=3)
    assert stock(m["bread"].id) == (13, "active")
    assert variant_stock(m["small"].id) == 10


def test_a_changed_price_is_refused_when_the_page_showed_another(market):
    m = market
    fill_cart(m)
    with read_session() as s:
        shown = {
            ln.line_id: Seen(ln.unit_price_cents, ln.quantity)
            for p in checkout.preview(s, m["buyer"].id, NOW).parts
            for ln in p.lines
        }
    with write_session() as s:
        s.get(Listing, m["lamp"].id).price_cents = 3000
    with pytest.raises(CheckoutRefused) as caught:
        place(m, seen=shown)
    with read_session() as s:
        lamp_line = s.exec(select(CartLine).where(CartLine.listing_id == m["lamp"].id)).one()
    assert caught.value.fields == {f"line:{lamp_line.id}": "error.checkout_price_changed"}
    assert caught.value.details[f"line:{lamp_line.id}"] == {"price_cents": 3000}
    assert_nothing_placed(m, cart_lines=3)


def test_only_the_lines_the_page_showed_are_placed(market):
    m = market
    fill_cart(m)
    with read_session() as s:
        view = checkout.preview(s, m["buyer"].id, NOW)
    shop_part = next(p for p in view.parts if p.shop_id)
    shown = {ln.line_id: Seen(ln.unit_price_cents, ln.quantity) for ln in shop_part.lines}
    placed = place(m, seen=shown, choices={shop_part.key: pickup(shop_part)})
    assert len(placed.orders) == 1 and placed.total_cents == 1800
    with read_session() as s:
        (left,) = s.exec(select(CartLine)).all()
    assert left.listing_id == m["lamp"].id


def test_lines_gone_from_the_cart_are_reported(market):
    m = market
    fill_cart(m)
    with pytest.raises(ValidationFailed) as caught:
        place(m, seen={999_999: Seen(100, 1)})
    assert caught.value.fields == {"_form": "error.checkout_cart_changed"}


def test_missing_and_wrong_choices_are_named_per_seller(market):
    m = market
    fill_cart(m)
    with write_session() as s:
        stranger = make_user(s, "Sam")
        theirs = address_for(s, stranger)
    shop_key, lamp_key = f"shop-{m['shop'].id}", f"user-{m['neighbour'].id}"
    cases = [
        ({}, {f"{shop_key}:method", f"{lamp_key}:method"}),
        ({shop_key: SellerChoice("courier"), lamp_key: SellerChoice("local")}, None),
        (
            {
                shop_key: SellerChoice("pickup"),
                lamp_key: SellerChoice("courier", address_id=theirs.id),
            },
            {f"{shop_key}:slot", f"{lamp_key}:address"},
        ),
        (
            {
                shop_key: SellerChoice("pickup", slot="2026-11-02T01:00Z"),  # inside the lead time
                lamp_key: SellerChoice("courier", address_id=m["address"].id),
            },
            {f"{shop_key}:slot"},
        ),
    ]
    for choices, fields in cases:
        with pytest.raises(CheckoutRefused) as caught:
            place(m, choices=choices, payment="bitcoin")
        expected = fields or {f"{shop_key}:method", f"{lamp_key}:method"}
        assert set(caught.value.fields) == expected | {"payment"}
    assert_nothing_placed(m, cart_lines=3)


def test_a_slot_that_passed_is_refused(market):
    m = market
    fill_cart(m)
    choices = both_choices(m)
    with pytest.raises(CheckoutRefused) as caught, write_session() as s:
        checkout.place(
            s,
            m["buyer"].id,
            key=checkout.new_key(),
            choices=choices,
            payment_method="cash",
            now=NOW + timedelta(days=8),
        )
    assert caught.value.fields == {f"shop-{m['shop'].id}:slot": "error.checkout_slot_gone"}


def test_escrow_needs_something_to_pay(market):
    m = market
    with write_session() as s:
        free = resident_item(s, m["neighbour"], "Free seedlings", price=0)
        add_to_cart(s, m["buyer"], free)
    with read_session() as s:
        (part,) = checkout.preview(s, m["buyer"].id, NOW).parts
    with pytest.raises(ValidationFailed) as caught:
        place(m, payment="escrow", choices={part.key: pickup(part)})
    assert caught.value.fields == {"payment": "error.checkout_nothing_to_pay"}
    placed = place(m, payment="cash", choices={part.key: pickup(part)})
    assert placed.total_cents == 0 and placed.orders[0].status == "paid"


def test_a_product_line_without_a_variant_uses_its_only_variant(market):
    m = market
    with write_session() as s:
        shop = s.get(Shop, m["shop"].id)
        jam = shop_product(s, shop, "Plum jam", variants=(("", 650, 4, None),))
        add_to_cart(s, m["buyer"], jam, 2)
    with read_session() as s:
        (part,) = checkout.preview(s, m["buyer"].id, NOW).parts
    placed = place(m, choices={part.key: pickup(part)})
    assert placed.total_cents == 1300
    assert stock(jam.id) == (2, "active")
    with read_session() as s:
        (line,) = s.exec(select(OrderLine)).all()
        assert line.variant_id is not None
        assert s.get(ListingVariant, line.variant_id).stock == 2


def test_a_suspended_shops_products_cannot_be_ordered(market):
    m = market
    fill_cart(m)
    with write_session() as s:
        s.get(Shop, m["shop"].id).status = "suspended"
    with read_session() as s:
        parts = parts_of(s, m["buyer"])
    shop_part = parts[f"shop-{m['shop'].id}"]
    assert {ln.problem for ln in shop_part.lines} == {"error.checkout_unavailable"}


def test_order_numbers_are_random_not_sequential():
    numbers = {checkout.new_order_number(NOW) for _ in range(200)}
    assert len(numbers) == 200
    assert all(n.startswith("MP-2611-") for n in numbers)


def test_a_taken_number_is_drawn_again(market, monkeypatch):
    m = market
    fill_cart(m)
    first = place(m)
    taken = first.orders[0].number
    draws = iter([taken, taken, "MP-2611-NEW001", "MP-2611-NEW002"])
    monkeypatch.setattr(checkout, "new_order_number", lambda now=None: next(draws))
    with write_session() as s:
        add_to_cart(s, m["buyer"], m["bread"], 1, m["small"])
    with read_session() as s:
        (part,) = checkout.preview(s, m["buyer"].id, NOW).parts
    second = place(m, choices={part.key: pickup(part)})
    assert second.orders[0].number == "MP-2611-NEW001"


def test_format_address_is_one_line():
    address = Address(
        user_id=1,
        recipient="Bea",
        phone="13800000000",
        line1="Mill Lane 7",
        line2="Flat 2",
        district="Riverside",
        city="Berlin",
        postcode="10115",
    )
    assert (
        checkout.format_address(address)
        == "Bea · 13800000000 · Mill Lane 7, Flat 2, Riverside, Berlin 10115"
    )


def test_place_checkout_commits_and_always_gives_the_turn_back(market):
    m = market
    fill_cart(m)
    kw = {"payment_method": "cash", "now": NOW}
    with pytest.raises(CheckoutRefused):
        checkout.place_checkout(
            write_session, m["buyer"].id, key=checkout.new_key(), choices={}, **kw
        )
    assert write_turn_is_free()
    placed = checkout.place_checkout(
        write_session, m["buyer"].id, key=checkout.new_key(), choices=both_choices(m), **kw
    )
    assert write_turn_is_free()
    with read_session() as s:
        assert s.get(OrderGroup, placed.id).public_id == placed.public_id
