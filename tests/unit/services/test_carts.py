"""Carts: adding within stock, one-offs, flagged lines, grouping, owners, guest merge at login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from marketplace_app import migrations
from marketplace_app.api.routes import make_api
from marketplace_app.db import get_engines, read_session, write_session
from marketplace_app.models import (
    Cart,
    CartLine,
    Category,
    Listing,
    ListingImage,
    ListingVariant,
    Shop,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import accounts, auth_sessions, carts, products, purchasable
from marketplace_app.services.carts import CartOwner
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.settings import settings
from tests.unit.services.conftest import make_user

GUEST = "g" * 32
OTHER_GUEST = "h" * 32


def make_listing(s: Session, seller_id: int, *, kind: str = "shop", **kw) -> Listing:
    values = {
        "title": "Thing",
        "price_cents": 1000,
        "stock": 5 if kind == "shop" else 1,
        "status": "active",
        "condition": None if kind == "shop" else "good",
        **kw,
    }
    listing = Listing(seller_id=seller_id, kind=kind, **values)
    s.add(listing)
    s.flush()
    if kind == "shop":  # a product without options sells through one unlabelled variant
        s.add(
            ListingVariant(
                listing_id=listing.id,
                label="",
                price_cents=listing.price_cents,
                stock=listing.stock,
            )
        )
        s.flush()
    return listing


def make_variant(s: Session, listing: Listing, label: str, price: int, stock: int, **kw):
    """Give a product a labelled variant (replacing its unlabelled one); stock and price follow."""
    for plain in s.exec(
        select(ListingVariant).where(
            ListingVariant.listing_id == listing.id, ListingVariant.label == ""
        )
    ).all():
        s.delete(plain)
    variant = ListingVariant(
        listing_id=listing.id, label=label, price_cents=price, stock=stock, **kw
    )
    s.add(variant)
    s.flush()
    products.derive(
        listing, s.exec(select(ListingVariant).where(ListingVariant.listing_id == listing.id)).all()
    )
    s.add(listing)
    s.flush()
    return variant


@pytest.fixture
def town(db):
    """A shop (owner "shopkeeper") with a plain product and a product with two variants,
    a neighbour with a one-off item, and a buyer."""
    with write_session() as s:
        keeper = make_user(s, "Keeper")
        neighbour = make_user(s, "Nina")
        buyer = make_user(s, "Buyer")
        shop = Shop(owner_id=keeper.id, name="Corner Bakery", slug="corner", status="approved")
        s.add(shop)
        s.flush()
        bread = make_listing(
            s,
            keeper.id,
            shop_id=shop.id,
            title="Bread",
            price_cents=900,
            stock=4,
            local_delivery_fee_cents=500,
        )
        bread_v = s.exec(
            select(ListingVariant.id).where(ListingVariant.listing_id == bread.id)
        ).one()
        honey = make_listing(s, keeper.id, shop_id=shop.id, title="Honey", price_cents=1800)
        small = make_variant(s, honey, "250 g", 1800, 3)
        large = make_variant(s, honey, "500 g", 3200, 2, sale_price_cents=2900)
        chair = make_listing(
            s,
            neighbour.id,
            kind="secondhand",
            title="Chair",
            price_cents=15000,
            courier_fee_cents=2000,
        )
        s.add(
            ListingImage(listing_id=chair.id, position=0, storage_key="a" * 32, width=8, height=6)
        )
        return {
            "keeper": keeper.id,
            "neighbour": neighbour.id,
            "buyer": buyer.id,
            "shop": shop.id,
            "bread": bread.id,
            "bread_v": bread_v,
            "honey": honey.id,
            "small": small.id,
            "large": large.id,
            "chair": chair.id,
        }


def set_plain(listing_id: int, **values) -> None:
    """Change a product without options (its one variant, and the listing's derived fields)."""
    with write_session() as s:
        listing = s.get(Listing, listing_id)
        variant = s.exec(
            select(ListingVariant).where(ListingVariant.listing_id == listing_id)
        ).one()
        for name, value in values.items():
            setattr(variant, name, value)
        products.derive(listing, [variant])
        s.add_all([listing, variant])


def tx(fn, *args, **kwargs):
    with write_session() as s:
        return fn(s, *args, **kwargs)


def read(fn, *args, **kwargs):
    with read_session() as s:
        return fn(s, *args, **kwargs)


def lines_of(owner) -> dict[int, tuple[int, int | None, int]]:
    """line id -> (listing, variant, quantity) of an owner's cart."""
    with read_session() as s:
        cart = s.exec(select(Cart).where(owner._where())).first()
        if cart is None:
            return {}
        rows = s.exec(select(CartLine).where(CartLine.cart_id == cart.id)).all()
        return {r.id: (r.listing_id, r.variant_id, r.quantity) for r in rows}


# --- adding ---------------------------------------------------------------------------------


def test_adding_creates_the_cart_and_counts_units(town):
    me = CartOwner.user(town["buyer"])
    assert read(carts.units, me) == 0
    added = tx(carts.add, me, town["bread"], None, 2)
    assert (added.quantity, added.units, added.capped) == (2, 2, False)
    added = tx(carts.add, me, town["honey"], town["small"], 1)
    assert added.units == 3
    assert read(carts.units, town["buyer"]) == 3  # a plain user id works too


def test_adding_again_raises_the_quantity_up_to_the_stock(town):
    me = CartOwner.user(town["buyer"])
    tx(carts.add, me, town["bread"], None, 3)
    again = tx(carts.add, me, town["bread"], None, 3)
    assert (again.quantity, again.capped, again.available) == (4, True, 4)
    assert list(lines_of(me).values()) == [(town["bread"], town["bread_v"], 4)]


def test_a_one_off_stays_at_one(town):
    me = CartOwner.user(town["buyer"])
    first = tx(carts.add, me, town["chair"], None, 5)
    assert (first.quantity, first.capped) == (1, False)
    again = tx(carts.add, me, town["chair"])
    assert (again.quantity, again.capped, again.units) == (1, True, 1)


def test_a_product_with_variants_needs_one_of_its_own(town):
    me = CartOwner.user(town["buyer"])
    with pytest.raises(ValidationFailed) as info:
        tx(carts.add, me, town["honey"], None, 1)
    assert info.value.fields == {"_form": "error.cart_choose_variant"}
    with pytest.raises(NotFound):
        tx(carts.add, me, town["bread"], town["small"], 1)  # a variant of another listing
    added = tx(carts.add, me, town["honey"], town["large"], 5)
    assert (added.quantity, added.capped) == (2, True)


@pytest.mark.parametrize("quantity", [0, -1, carts.MAX_QUANTITY + 1, "2", 1.5, True, None])
def test_bad_quantities_are_refused(town, quantity):
    with pytest.raises(ValidationFailed) as info:
        tx(carts.add, CartOwner.user(town["buyer"]), town["bread"], None, quantity)
    assert "quantity" in info.value.fields


@pytest.mark.parametrize("listing_id", [0, -5, 10**9, "1", None, True])
def test_unknown_listings_are_not_found(town, listing_id):
    with pytest.raises(NotFound):
        tx(carts.add, CartOwner.user(town["buyer"]), listing_id, None, 1)


def test_own_inactive_sold_out_and_drafts_cannot_be_added(town):
    with pytest.raises(ValidationFailed) as info:
        tx(carts.add, CartOwner.user(town["keeper"]), town["bread"], None, 1)
    assert info.value.fields == {"_form": "error.cart_own_listing"}
    me = CartOwner.user(town["buyer"])
    for status, expected in (
        ("paused", "error.cart_unavailable"),
        ("sold", "error.cart_sold_out"),
    ):
        tx(lambda s, st=status: setattr(s.get(Listing, town["chair"]), "status", st))
        with pytest.raises(ValidationFailed) as info:
            tx(carts.add, me, town["chair"])
        assert info.value.fields == {"_form": expected}
    for status in ("draft", "removed"):
        tx(lambda s, st=status: setattr(s.get(Listing, town["chair"]), "status", st))
        with pytest.raises(NotFound):
            tx(carts.add, me, town["chair"])
    set_plain(town["bread"], stock=0)
    with pytest.raises(ValidationFailed) as info:
        tx(carts.add, me, town["bread"])
    assert info.value.fields == {"_form": "error.cart_sold_out"}
    assert read(carts.units, me) == 0


def test_a_cart_holds_at_most_max_lines(town, monkeypatch):
    monkeypatch.setattr(carts, "MAX_LINES", 2)
    me = CartOwner.user(town["buyer"])
    tx(carts.add, me, town["bread"])
    tx(carts.add, me, town["chair"])
    tx(carts.add, me, town["bread"])  # an existing line still grows
    with pytest.raises(ValidationFailed) as info:
        tx(carts.add, me, town["honey"], town["small"])
    assert info.value.fields == {"_form": "error.cart_full"}


# --- changing -------------------------------------------------------------------------------


def test_set_quantity_stays_within_stock_and_one_offs_stay_one(town):
    me = CartOwner.user(town["buyer"])
    bread = tx(carts.add, me, town["bread"]).line_id
    chair = tx(carts.add, me, town["chair"]).line_id
    assert tx(carts.set_quantity, me, bread, 4) == 5
    with pytest.raises(ValidationFailed) as info:
        tx(carts.set_quantity, me, bread, 5)
    assert info.value.fields == {"quantity": "error.cart_only_left"}
    assert info.value.params == {"count": 4}
    with pytest.raises(ValidationFailed) as info:
        tx(carts.set_quantity, me, chair, 2)
    assert info.value.fields == {"quantity": "error.cart_one_off"}
    assert tx(carts.set_quantity, me, bread, 1) == 2


def test_a_line_above_stock_can_still_be_lowered(town):
    me = CartOwner.user(town["buyer"])
    line = tx(carts.add, me, town["bread"], None, 4).line_id
    set_plain(town["bread"], stock=2)
    assert read(carts.view, me).groups[0].lines[0].problem == purchasable.ABOVE_STOCK
    assert tx(carts.set_quantity, me, line, 3) == 3  # lower, though still above: allowed
    assert tx(carts.set_quantity, me, line, 2) == 2
    assert read(carts.view, me).groups[0].lines[0].ready


def test_remove_takes_the_line_out(town):
    me = CartOwner.user(town["buyer"])
    line = tx(carts.add, me, town["bread"], None, 2).line_id
    tx(carts.add, me, town["chair"])
    assert tx(carts.remove, me, line) == 1
    with pytest.raises(NotFound):
        tx(carts.remove, me, line)


def test_nobody_touches_another_carts_lines(town):
    mine = CartOwner.user(town["buyer"])
    guest = CartOwner.guest(GUEST)
    line = tx(carts.add, mine, town["bread"], None, 2).line_id
    tx(carts.add, guest, town["chair"])
    before = (lines_of(mine), lines_of(guest))
    for intruder in (guest, CartOwner.user(town["neighbour"]), CartOwner.guest(OTHER_GUEST)):
        for call, args in (
            (carts.set_quantity, (line, 1)),
            (carts.remove, (line,)),
            (carts.accept_price, (line,)),
        ):
            with pytest.raises(NotFound):
                tx(call, intruder, *args)
    assert (lines_of(mine), lines_of(guest)) == before


@pytest.mark.parametrize("line_id", [0, -1, "1", None, True, 2.0])
def test_garbage_line_ids_are_not_found(town, line_id):
    me = CartOwner.user(town["buyer"])
    tx(carts.add, me, town["bread"])
    with pytest.raises(NotFound):
        tx(carts.remove, me, line_id)


# --- the view -------------------------------------------------------------------------------


def test_view_groups_by_seller_with_sale_prices_subtotals_and_delivery(town):
    me = CartOwner.user(town["buyer"])
    tx(carts.add, me, town["bread"], None, 2)
    tx(carts.add, me, town["chair"])
    tx(carts.add, me, town["honey"], town["large"], 1)
    with write_session() as s:
        honey = s.get(Listing, town["honey"])
        honey.sale_starts_at = utcnow() - timedelta(days=1)
    view = read(carts.view, me)
    shop, neighbour = view.groups
    assert (shop.seller_name, shop.shop_id, shop.shop_slug) == (
        "Corner Bakery",
        town["shop"],
        "corner",
    )
    assert [line.title for line in shop.lines] == ["Bread", "Honey"]
    honey_line = shop.lines[1]
    assert (honey_line.variant_label, honey_line.unit_price_cents, honey_line.was_price_cents) == (
        "500 g",
        2900,
        3200,
    )
    assert shop.subtotal_cents == 2 * 900 + 2900
    # Pickup for both; honey has no local delivery, so the group offers none.
    assert [(d.method, d.fee_cents) for d in shop.delivery] == [("pickup", 0)]
    assert neighbour.seller_name == "Nina" and neighbour.shop_id is None
    chair = neighbour.lines[0]
    assert chair.one_off and chair.max_quantity == 1 and chair.cover_key == "a" * 32
    assert [(d.method, d.fee_cents) for d in neighbour.delivery] == [
        ("pickup", 0),
        ("courier", 2000),
    ]
    assert (view.units, view.total_cents, view.ready_count, view.problem_count) == (
        4,
        2 * 900 + 2900 + 15000,
        3,
        0,
    )


def test_changed_lines_are_flagged_never_dropped(town):
    me = CartOwner.user(town["buyer"])
    tx(carts.add, me, town["bread"], None, 3)
    tx(carts.add, me, town["chair"])
    tx(carts.add, me, town["honey"], town["small"], 1)
    set_plain(town["bread"], price_cents=1100)  # dearer
    with write_session() as s:
        s.get(Listing, town["chair"]).status = "sold"
        s.get(ListingVariant, town["small"]).stock = 0
    view = read(carts.view, me)
    problems = {line.title: line.problem for group in view.groups for line in group.lines}
    assert problems == {
        "Bread": carts.PROBLEM_PRICE_UP,
        "Chair": purchasable.SOLD,
        "Honey": purchasable.SOLD_OUT,
    }
    assert (view.total_cents, view.ready_count, view.problem_count, view.units) == (0, 0, 3, 5)

    bread = view.groups[0].lines[0]
    tx(carts.accept_price, me, bread.id)
    view = read(carts.view, me)
    assert view.groups[0].lines[0].ready and view.total_cents == 3 * 1100


def test_a_cheaper_price_is_simply_shown(town):
    me = CartOwner.user(town["buyer"])
    tx(carts.add, me, town["bread"])
    set_plain(town["bread"], price_cents=500)
    line = read(carts.view, me).groups[0].lines[0]
    assert line.ready and line.unit_price_cents == 500


def test_no_cart_is_an_empty_view(town):
    assert read(carts.view, CartOwner.guest(GUEST)) is carts.EMPTY_VIEW
    assert carts.EMPTY_VIEW.empty


# --- guests and login -----------------------------------------------------------------------


def test_guest_tokens_are_stored_only_as_sha256(town):
    tx(carts.add, CartOwner.guest(GUEST), town["bread"])
    with read_session() as s:
        cart = s.exec(select(Cart)).one()
    assert cart.user_id is None and cart.guest_token_hash == carts.guest_token_hash(GUEST)
    assert GUEST not in cart.guest_token_hash and len(cart.guest_token_hash) == 64


@pytest.mark.parametrize("token", ["", "short", "x" * 101, "bad token with spaces!!", None, 5])
def test_malformed_guest_tokens_are_refused(token):
    assert not carts.valid_guest_token(token)
    with pytest.raises(ValueError):
        CartOwner.guest(token)


def test_new_guest_tokens_are_valid_and_random():
    tokens = {carts.new_guest_token() for _ in range(20)}
    assert len(tokens) == 20 and all(carts.valid_guest_token(t) for t in tokens)


def test_merge_gives_the_guest_cart_to_a_user_without_one(town):
    guest = CartOwner.guest(GUEST)
    tx(carts.add, guest, town["bread"], None, 2)
    assert tx(carts.merge_guest_cart, GUEST, town["buyer"]) == 2
    assert read(carts.units, town["buyer"]) == 2
    assert read(carts.units, guest) == 0
    with read_session() as s:
        assert s.exec(select(Cart).where(Cart.guest_token_hash.is_not(None))).first() is None


def test_merge_adds_quantities_capped_at_stock_and_deletes_the_guest_cart(town):
    me = CartOwner.user(town["buyer"])
    guest = CartOwner.guest(GUEST)
    tx(carts.add, me, town["bread"], None, 3)
    tx(carts.add, me, town["chair"])
    tx(carts.add, guest, town["bread"], None, 3)
    tx(carts.add, guest, town["chair"])
    tx(carts.add, guest, town["honey"], town["small"], 2)
    assert tx(carts.merge_guest_cart, GUEST, town["buyer"]) == 6
    assert sorted(lines_of(me).values(), key=str) == sorted(
        [
            (town["bread"], town["bread_v"], 4),
            (town["chair"], None, 1),
            (town["honey"], town["small"], 2),
        ],
        key=str,
    )
    with read_session() as s:
        assert len(s.exec(select(Cart)).all()) == 1
    assert tx(carts.merge_guest_cart, GUEST, town["buyer"]) == 0  # nothing left to merge


def test_merge_keeps_the_lower_seen_price_so_a_rise_stays_flagged(town):
    me = CartOwner.user(town["buyer"])
    tx(carts.add, CartOwner.guest(GUEST), town["bread"])
    set_plain(town["bread"], price_cents=1200)
    tx(carts.add, me, town["bread"])
    tx(carts.merge_guest_cart, GUEST, town["buyer"])
    line = read(carts.view, me).groups[0].lines[0]
    assert (line.quantity, line.seen_price_cents, line.problem) == (2, 900, carts.PROBLEM_PRICE_UP)


def test_merging_own_items_keeps_them_flagged(town):
    tx(carts.add, CartOwner.guest(GUEST), town["chair"])
    tx(carts.add, CartOwner.user(town["neighbour"]), town["bread"])
    tx(carts.merge_guest_cart, GUEST, town["neighbour"])
    view = read(carts.view, town["neighbour"])
    chair = next(line for g in view.groups for line in g.lines if line.title == "Chair")
    assert chair.problem == purchasable.OWN and chair.max_quantity == 0


def test_merge_ignores_missing_or_malformed_tokens(town):
    assert tx(carts.merge_guest_cart, None, town["buyer"]) == 0
    assert tx(carts.merge_guest_cart, "nope", town["buyer"]) == 0
    assert tx(carts.merge_guest_cart, OTHER_GUEST, town["buyer"]) == 0


# --- over HTTP: the cookie and the login merge ----------------------------------------------


@pytest.fixture
def client(db):
    return TestClient(make_api(), base_url=settings.public_url)


def test_a_page_load_without_a_cart_cookie_gets_an_httponly_one(client):
    page = {"Accept": "text/html,application/xhtml+xml"}
    response = client.get("/api/locale", params={"to": "xx"}, headers=page, follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "mp_cart=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = response.cookies["mp_cart"]
    assert carts.valid_guest_token(token)
    again = client.get("/api/locale", params={"to": "xx"}, headers=page, follow_redirects=False)
    assert "set-cookie" not in again.headers  # it has one now
    plain = TestClient(make_api(), base_url=settings.public_url)
    assert "set-cookie" not in plain.get("/robots.txt").headers  # not a page load


def test_login_merges_the_guest_cart_and_clears_the_cookie(client, town):
    with write_session() as s:
        user = accounts.register(
            s, name="Web", contact="web@example.com", password="password-123", locale="en"
        )
        s.flush()
        user_id = user.id
    tx(carts.add, CartOwner.user(user_id), town["bread"], None, 1)
    tx(carts.add, CartOwner.guest(GUEST), town["bread"], None, 2)
    tx(carts.add, CartOwner.guest(GUEST), town["chair"])
    ticket = tx(auth_sessions.issue_login_ticket, user_id)
    client.cookies.set("mp_cart", GUEST)
    response = client.post(
        "/api/session", json={"ticket": ticket}, headers={"Origin": settings.public_origin}
    )
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith("mp_session=") for c in cookies)
    assert any(c.startswith("mp_cart=") and "Max-Age=0" in c for c in cookies)
    assert read(carts.units, user_id) == 4
    assert read(carts.units, CartOwner.guest(GUEST)) == 0


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg(pg_server):
    url = pg_server.create_database("carts_pg")
    migrations.upgrade(url)
    yield get_engines(url)[1]
    for engine in set(get_engines(url)):
        engine.dispose()


def test_add_change_merge_and_view_on_postgresql(pg):
    def on_pg(fn, *args, **kwargs):
        with Session(pg, expire_on_commit=False) as s:
            result = fn(s, *args, **kwargs)
            s.commit()
            return result

    def build(s):
        keeper, buyer = make_user(s, "Keeper"), make_user(s, "Buyer")
        category = Category(slug="produce")
        s.add(category)
        s.flush()
        kw = {"category_id": category.id}
        bread = make_listing(s, keeper.id, title="Bread", price_cents=900, stock=4, **kw)
        honey = make_listing(s, keeper.id, title="Honey", **kw)
        small = make_variant(s, honey, "250 g", 1800, 3)
        chair = make_listing(s, keeper.id, kind="secondhand", title="Chair", **kw)
        return buyer.id, bread.id, honey.id, small.id, chair.id

    buyer, bread, honey, small, chair = on_pg(build)
    guest, me = CartOwner.guest(GUEST), CartOwner.user(buyer)
    on_pg(carts.add, guest, bread, None, 3)
    on_pg(carts.add, guest, chair)
    on_pg(carts.add, guest, chair)  # a one-off without a variant: still one line
    on_pg(carts.add, guest, honey, small, 1)
    line = on_pg(carts.add, me, bread, None, 2).line_id
    assert on_pg(carts.merge_guest_cart, GUEST, buyer) == 5
    view = on_pg(carts.view, me)
    assert [(x.title, x.quantity) for x in view.groups[0].lines] == [
        ("Chair", 1),
        ("Honey", 1),
        ("Bread", 4),  # the user's own line, added last, holds the merged quantity
    ]
    assert on_pg(carts.set_quantity, me, line, 1) == 3
    with pytest.raises(NotFound):
        on_pg(carts.remove, guest, line)
    assert on_pg(carts.units, guest) == 0


def test_stale_guest_carts_are_pruned_and_user_carts_kept(town):
    old, fresh = CartOwner.guest(carts.new_guest_token()), CartOwner.guest(carts.new_guest_token())
    me = CartOwner.user(town["buyer"])
    long_ago = utcnow() - timedelta(days=carts.GUEST_CART_DAYS + 1)
    tx(carts.add, old, town["bread"], now=long_ago)
    tx(carts.add, fresh, town["bread"])
    tx(carts.add, me, town["bread"], now=long_ago)

    assert tx(carts.prune_guest_carts, utcnow() - timedelta(days=carts.GUEST_CART_DAYS)) == 1

    assert lines_of(old) == {}
    assert len(lines_of(fresh)) == 1 and len(lines_of(me)) == 1
