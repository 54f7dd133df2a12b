"""The demo town: one seeding into a fresh database, checked from every side."""

import dataclasses
import json
import re
from collections import Counter
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import SQLModel, select

from marketplace_app.db import read_session, write_engine, write_session
from marketplace_app.models import (
    Category,
    Listing,
    ListingImage,
    Order,
    OrderGroup,
    OrderLine,
    OrderTransition,
    Review,
    Shop,
    ShopMember,
    User,
)
from marketplace_app.models.notifications import InboxItem, OutboxEmail
from marketplace_app.models.types import utcnow
from marketplace_app.services import demo, geo, media, messaging, search
from marketplace_app.services.passwords import verify_password
from marketplace_app.settings import settings

SLUGS = [
    "produce",
    "bakery",
    "crafts",
    "electronics",
    "furniture",
    "clothing",
    "books",
    "kids",
    "sports",
    "home",
    "garden",
    "services",
]


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """Seed once for the whole module (seeding draws and encodes ~125 pictures)."""
    engine = write_engine()
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    upload_dir = tmp_path_factory.mktemp("uploads")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(media, "settings", dataclasses.replace(settings, upload_dir=upload_dir))
        with read_session() as s:
            assert demo.is_empty(s)
        # Seed as the CLI process does: without the app's flush hook on listings.
        event.remove(OrmSession, "after_flush", search._reindex_flushed_listings)
        try:
            with write_session() as s:
                summary = demo.seed_demo(s)
        finally:
            event.listen(OrmSession, "after_flush", search._reindex_flushed_listings)
        yield summary, media.media_dir()
    engine.dispose()


@pytest.fixture
def seeded(town):
    return town[0]


@pytest.fixture
def media_dir(town):
    return town[1]


def test_content_titles_are_unique_and_fit():
    titles = [p.title for shop in demo.SHOPS for p in shop.products]
    titles += [i.title for r in demo.RESIDENTS for i in r.items]
    assert len(titles) == len(set(titles))
    assert all(len(t) <= 80 for t in titles)
    for spec in demo.ORDERS:
        for title, _ in spec.lines:
            assert title in titles
    used = {p.motif for s in demo.SHOPS for p in s.products} | {s.logo_motif for s in demo.SHOPS}
    used |= {i.motif for r in demo.RESIDENTS for i in r.items}
    assert used <= set(demo.MOTIFS)


def test_is_empty_on_a_fresh_database(db):
    with read_session() as s:
        assert demo.is_empty(s)


def test_seed_counts_and_accounts(seeded):
    summary = seeded
    with read_session() as s:
        categories = s.exec(select(Category).order_by(Category.position)).all()
        users = s.exec(select(User)).all()
        shops = s.exec(select(Shop)).all()
        listings = s.exec(select(Listing)).all()
        members = s.exec(select(ShopMember)).all()
        assert not demo.is_empty(s)
    assert [c.slug for c in categories] == SLUGS
    assert all(c.icon and c.icon != "tag" for c in categories)
    assert summary.categories == 12
    roles = Counter(u.role for u in users)
    assert roles == {"admin": 1, "moderator": 1, "user": 16}
    assert len(users) == summary.users == 18
    assert len(shops) == summary.shops == 4
    assert {s.status for s in shops} == {"approved"}
    assert {(m.shop_id, m.user_id, m.role) for m in members} == {
        (s.id, s.owner_id, "owner") for s in shops
    }
    assert len(listings) == summary.listings
    kinds = Counter(listing.kind for listing in listings)
    assert 4 * 5 <= kinds["shop"] <= 4 * 8
    assert 12 * 2 <= kinds["secondhand"] <= 12 * 4
    assert {u.locale for u in users} == {"zh-CN", "en"}
    accounts = {a.email: a for a in summary.accounts}
    assert accounts["admin@demo.town"].password == "demo-admin-pass"
    assert accounts["admin@demo.town"].role == "admin"
    assert accounts["mei@demo.town"].password == "demo-pass-123"
    by_email = {u.email: u for u in users}
    assert verify_password("demo-admin-pass", by_email["admin@demo.town"].password_hash)
    assert verify_password("demo-pass-123", by_email["mei@demo.town"].password_hash)
    # One hash per distinct password, reused.
    resident_hashes = {u.password_hash for u in users if u.role == "user"}
    assert len(resident_hashes) == 1


def test_shops_are_complete(seeded, media_dir):
    with read_session() as s:
        shops = s.exec(select(Shop)).all()
    for shop in shops:
        assert shop.description and shop.pickup_point and shop.district in geo.DISTRICTS
        hours = json.loads(shop.opening_hours)
        assert set(hours) == {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        for ranges in hours.values():
            for start, end in ranges:
                assert start < end
        assert shop.logo_key and media.rendition_path(shop.logo_key, 320).exists()
        centre = geo.district_centre(shop.district)
        assert geo.distance_km(*centre, shop.lat, shop.lon) < 2.0


def test_listings_are_well_formed(seeded, media_dir):
    now = utcnow()
    with read_session() as s:
        listings = s.exec(select(Listing)).all()
        images = s.exec(select(ListingImage)).all()
    by_listing: dict[int, list[ListingImage]] = {}
    for image in images:
        by_listing.setdefault(image.listing_id, []).append(image)
    assert len(images) == seeded.images
    free = 0
    for listing in listings:
        pictures = sorted(by_listing[listing.id], key=lambda i: i.position)
        assert 1 <= len(pictures) <= 3
        assert [p.position for p in pictures] == list(range(len(pictures)))
        assert pictures[0].alt == listing.title
        for picture in pictures:
            for width in media.RENDITION_WIDTHS:
                assert media.rendition_path(picture.storage_key, width).exists()
            assert picture.width <= 1600
        assert listing.status in ("active", "sold")
        assert listing.published_at is not None and listing.created_at <= listing.published_at
        assert now - listing.created_at < timedelta(days=31)
        assert listing.created_at.tzinfo is not None
        assert abs(listing.public_lat - listing.lat) < 0.002
        assert abs(listing.public_lon - listing.lon) < 0.002
        assert (listing.public_lat, listing.public_lon) == geo.public_position(
            listing.lat, listing.lon
        )
        assert geo.BOX_LAT0 <= listing.lat <= geo.BOX_LAT0 + geo.BOX_DLAT
        assert geo.BOX_LON0 <= listing.lon <= geo.BOX_LON0 + geo.BOX_DLON
        assert isinstance(listing.price_cents, int)
        if listing.kind == "shop":
            assert listing.condition is None and listing.shop_id is not None
            assert 0 <= listing.stock <= 40
            if listing.sale_price_cents is not None:
                assert listing.sale_price_cents < listing.price_cents
                assert listing.sale_starts_at <= now <= listing.sale_ends_at
        else:
            assert listing.condition in ("new", "like_new", "good", "fair", "poor")
            assert listing.shop_id is None
            assert (listing.stock, listing.status) in ((1, "active"), (0, "sold"))
            free += listing.price_cents == 0
    assert 1 <= free <= 2
    shop_listings = [x for x in listings if x.kind == "shop"]
    assert any(x.sale_price_cents for x in shop_listings)
    assert any(x.local_delivery_fee_cents for x in shop_listings)
    assert any(x.courier_fee_cents for x in shop_listings)
    assert any(x.negotiable for x in listings)
    # Mostly Chinese, some English.
    chinese = sum(any("\u4e00" <= ch <= "\u9fff" for ch in x.title) for x in listings)
    assert len(listings) * 0.6 < chinese < len(listings)


def test_cover_image_is_a_real_picture(seeded, media_dir):
    with read_session() as s:
        image = s.exec(select(ListingImage).where(ListingImage.position == 0)).first()
    with Image.open(media.rendition_path(image.storage_key, 800), formats=["WEBP"]) as im:
        assert im.size == (800, 600)
        colours = im.convert("RGB").getcolors(maxcolors=1_000_000)
        assert len(colours) > 50  # drawn, not a flat fill


def test_orders_are_consistent(seeded):
    with read_session() as s:
        orders = s.exec(select(Order)).all()
        groups = {g.id: g for g in s.exec(select(OrderGroup)).all()}
        lines = s.exec(select(OrderLine)).all()
        transitions = s.exec(select(OrderTransition).order_by(OrderTransition.id)).all()
        reviews = s.exec(select(Review)).all()
        listings = {x.id: x for x in s.exec(select(Listing)).all()}
    assert 4 <= len(orders) == seeded.orders <= 6
    assert len({o.number for o in orders}) == len(orders)
    assert len({g.idempotency_key for g in groups.values()}) == len(groups)
    for order in orders:
        assert re.fullmatch(r"MP-\d{4}-[0-9A-Z]{6}", order.number)  # as checkout numbers them
        assert order.status == "completed"
        assert order.total_cents == (
            order.subtotal_cents + order.delivery_fee_cents - order.discount_cents
        )
        mine = [line for line in lines if line.order_id == order.id]
        assert mine
        assert order.subtotal_cents == sum(line.line_total_cents for line in mine)
        for line in mine:
            listing = listings[line.listing_id]
            assert line.line_total_cents == line.unit_price_cents * line.quantity
            assert line.title == listing.title
            assert listing.seller_id == order.seller_id
            assert listing.created_at < order.created_at
            if listing.kind == "secondhand":
                assert listing.status == "sold" and listing.stock == 0
        assert groups[order.group_id].total_cents == order.total_cents
        chain = [t for t in transitions if t.order_id == order.id]
        assert chain[0].from_status is None
        assert chain[-1].to_status == "completed"
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.from_status == before.to_status
            assert after.at >= before.at
        assert order.updated_at == chain[-1].at <= utcnow()
    assert len(reviews) == seeded.reviews
    assert not _notices(), "history sends no notices or emails"
    order_ids = {o.id: o for o in orders}
    for review in reviews:
        order = order_ids[review.order_id]
        assert 3 <= review.stars <= 5 and review.text
        assert review.created_at <= review.published_at <= utcnow()
        if review.author_role == "buyer":
            assert (review.author_id, review.subject_id) == (order.buyer_id, order.seller_id)
        else:
            assert (review.author_id, review.subject_id) == (order.seller_id, order.buyer_id)
    assert {r.author_role for r in reviews} == {"buyer", "seller"}


def _notices() -> list:
    with read_session() as s:
        return [*s.exec(select(InboxItem)).all(), *s.exec(select(OutboxEmail)).all()]


def test_shop_stock_was_taken_by_orders(seeded):
    sold = Counter()
    for spec in demo.ORDERS:
        for title, quantity in spec.lines:
            sold[title] += quantity
    initial = {p.title: p.stock for shop in demo.SHOPS for p in shop.products}
    with read_session() as s:
        listings = s.exec(select(Listing).where(Listing.kind == "shop")).all()
    for listing in listings:
        assert listing.stock == initial[listing.title] - sold[listing.title]


def test_seeding_twice_is_refused_and_leaves_no_files(seeded, media_dir, monkeypatch):
    # Small pictures keep this quick; they are still stored, then must be removed.
    monkeypatch.setattr(demo, "draw_listing_picture", lambda *a, **k: Image.new("RGB", (64, 48)))
    before = set(media_dir.iterdir())
    with read_session() as s:
        assert demo.find_conflict(s) == "admin@demo.town exists"
    with pytest.raises(demo.DemoConflict), write_session() as s:
        demo.seed_demo(s)
    assert set(media_dir.iterdir()) == before
    with read_session() as s:
        assert len(s.exec(select(User)).all()) == 18


def test_every_listing_is_in_the_search_index(seeded):
    """Seeding indexes explicitly: the CLI process never imports the flush hook."""
    with read_session() as s:
        listings = s.exec(select(Listing).where(Listing.status == "active")).all()
        indexed = s.connection().exec_driver_sql("SELECT count(*) FROM listing_search").scalar()
        found = search.search(s, search.SearchQuery(text="picture books"))
    assert indexed >= len(listings) > 0
    assert any("picture books" in card.title for card in found.cards)


def test_completed_orders_are_booked_in_the_ledger(seeded):
    """Demo sellers see their takings: each order paid in and released, commission kept."""
    from marketplace_app.services import ledger
    from tests.unit.invariants import check_invariants

    with read_session() as s:
        check_invariants(s)
        orders = s.exec(select(Order)).all()
        assert all(0 < o.commission_cents < o.total_cents for o in orders)
        for seller_id in {o.seller_id for o in orders}:
            owed = sum(
                o.total_cents - o.commission_cents for o in orders if o.seller_id == seller_id
            )
            assert ledger.balance(s, ledger.seller_account(seller_id)) == owed
        assert ledger.balance(s, ledger.ESCROW) == 0


def test_demo_chats_leave_the_seller_two_unread_messages(seeded):
    with read_session() as s:
        by_email = {u.email: u.id for u in s.exec(select(User)).all()}
        mei = by_email["mei@demo.town"]
        rows = messaging.conversations(s, mei)
        assert messaging.unread_total(s, mei) == 2
        assert messaging.unread_total(s, by_email["lei@demo.town"]) == 0
        # lei's first message was answered within a quarter of an hour.
        assert messaging.median_first_response_minutes(s, mei) == 15
    assert len(rows) == 2
