"""The one answer to "can this be bought now, by whom, at what price"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from marketplace_app.models import Listing, ListingVariant, Offer, Shop, UserBlock
from marketplace_app.services import products, purchasable
from marketplace_app.services.purchasable import Want
from tests.unit.services.conftest import make_user

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _product(s: Session, shop: Shop, title: str, variants: list[tuple[str, int, int]]) -> Listing:
    listing = Listing(
        seller_id=shop.owner_id,
        shop_id=shop.id,
        kind="shop",
        title=title,
        price_cents=0,
        status="active",
    )
    s.add(listing)
    s.flush()
    rows = [
        ListingVariant(listing_id=listing.id, label=label, price_cents=price, stock=stock)
        for label, price, stock in variants
    ]
    s.add_all(rows)
    products.derive(listing, rows)
    s.add(listing)
    s.flush()
    return listing


@pytest.fixture
def town(session):
    keeper, nina, bea = (make_user(session, n) for n in ("Keeper", "Nina", "Bea"))
    shop = Shop(owner_id=keeper.id, name="Bakery", slug="bakery", status="approved")
    session.add(shop)
    session.flush()
    bread = _product(session, shop, "Bread", [("", 900, 4)])
    honey = _product(session, shop, "Honey", [("250 g", 1800, 3), ("500 g", 3200, 0)])
    chair = Listing(
        seller_id=nina.id,
        kind="secondhand",
        title="Chair",
        condition="good",
        price_cents=15000,
        stock=1,
        status="active",
    )
    session.add(chair)
    session.flush()
    people = {"keeper": keeper, "nina": nina, "bea": bea}
    return {**people, "shop": shop, "bread": bread, "honey": honey, "chair": chair}


def quote(session, listing, variant_id=None, buyer=None, quantity=1, now=NOW):
    buyer_id = buyer.id if buyer else None
    return purchasable.quote(
        session, listing.id, variant_id, buyer_id=buyer_id, quantity=quantity, now=now
    )


def test_a_product_without_options_sells_through_its_one_variant(session, town):
    q = quote(session, town["bread"], buyer=town["bea"])
    assert q.ok and q.variant_id is not None and q.label == ""
    assert (q.price_cents, q.stock, q.max_quantity) == (900, 4, 4)


def test_a_product_with_options_needs_a_choice_and_each_option_has_its_own_stock(session, town):
    honey = town["honey"]
    assert quote(session, honey).problem == purchasable.CHOOSE_VARIANT
    small, large = purchasable.listing_quotes(session, honey.id, buyer_id=None, now=NOW)
    assert (small.label, small.ok, small.price_cents) == ("250 g", True, 1800)
    assert (large.label, large.problem, large.max_quantity) == ("500 g", purchasable.SOLD_OUT, 0)
    other = quote(session, town["bread"], variant_id=small.variant_id)
    assert other.problem == purchasable.UNAVAILABLE  # another product's variant


def test_a_product_with_no_variant_at_all_cannot_be_bought(session, town):
    listing = town["bread"]
    for v in session.exec(
        ListingVariant.__table__.select().where(ListingVariant.listing_id == listing.id)
    ):
        session.delete(session.get(ListingVariant, v.id))
    session.flush()
    assert quote(session, listing).problem == purchasable.UNAVAILABLE


def test_problems_come_most_serious_first(session, town):
    chair, bea = town["chair"], town["bea"]
    assert quote(session, chair, buyer=town["nina"]).problem == purchasable.OWN
    chair.status = "sold"
    assert quote(session, chair, buyer=bea).problem == purchasable.SOLD
    chair.status = "paused"
    assert quote(session, chair, buyer=bea).problem == purchasable.UNAVAILABLE
    chair.status = "active"
    session.add(UserBlock(blocker_id=town["nina"].id, blocked_id=bea.id))
    session.flush()
    assert quote(session, chair, buyer=bea).problem == purchasable.BLOCKED
    assert quote(session, chair, buyer=town["keeper"]).ok  # only the two of them


def test_a_shop_that_is_not_approved_sells_nothing(session, town):
    town["shop"].status = "suspended"
    session.flush()
    assert quote(session, town["bread"]).problem == purchasable.UNAVAILABLE


def test_more_than_the_stock_is_above_stock_with_the_number_left(session, town):
    q = quote(session, town["bread"], quantity=5)
    assert (q.problem, q.params, q.max_quantity) == (purchasable.ABOVE_STOCK, {"left": 4}, 4)


def test_the_sale_window_decides_the_variant_price(session, town):
    bread = town["bread"]
    variant = session.get(ListingVariant, quote(session, bread).variant_id)
    variant.sale_price_cents = 700
    bread.sale_starts_at, bread.sale_ends_at = NOW + timedelta(hours=1), NOW + timedelta(days=1)
    session.flush()
    assert (quote(session, bread).price_cents, quote(session, bread).was_price_cents) == (900, None)
    during = quote(session, bread, now=NOW + timedelta(hours=2))
    assert (during.price_cents, during.was_price_cents) == (700, 900)
    after = quote(session, bread, now=NOW + timedelta(days=2))
    assert after.price_cents == 900


def test_an_accepted_offer_prices_the_item_for_its_buyer_and_reserves_it_from_others(session, town):
    chair, bea = town["chair"], town["bea"]
    offer = Offer(
        listing_id=chair.id,
        buyer_id=bea.id,
        seller_id=town["nina"].id,
        amount_cents=12000,
        agreed_cents=12000,
        status="accepted",
        expires_at=NOW + timedelta(days=1),
        reserved_until=NOW + timedelta(hours=5),
    )
    session.add(offer)
    session.flush()
    mine = quote(session, chair, buyer=bea)
    assert mine.ok and (mine.price_cents, mine.was_price_cents) == (12000, 15000)
    assert (mine.list_price_cents, mine.offer_id) == (15000, offer.id)
    theirs = quote(session, chair, buyer=town["keeper"])
    assert theirs.problem == purchasable.RESERVED and "until" in theirs.params
    assert theirs.price_cents == 15000
    lapsed = quote(session, chair, buyer=town["keeper"], now=NOW + timedelta(hours=6))
    assert lapsed.ok


def test_loaded_facts_judge_many_lines_and_skip_missing_listings(session, town):
    ids = [town["bread"].id, town["chair"].id, 999_999]
    facts = purchasable.load(session, ids, town["bea"].id, NOW)
    quotes = [purchasable.judge_loaded(facts, Want(i), town["bea"].id, NOW) for i in ids]
    assert [q.ok for q in quotes[:2]] == [True, True] and quotes[2] is None
    assert quotes[1].one_off and quotes[1].max_quantity == 1


def test_on_sale_is_about_the_item_not_the_buyer(session, town):
    chair = town["chair"]
    assert purchasable.on_sale(chair)
    for status in ("paused", "sold", "pending", "removed"):
        chair.status = status
        assert not purchasable.on_sale(chair), status
    chair.status, chair.stock = "active", 0
    assert not purchasable.on_sale(chair)
