"""Search: counts, filters, sorts and distance checked against brute force, on both databases.

A generated catalog of 3,000 listings (shared/datasets/catalog.py, seed 7) is
imported once per database; every expectation is recomputed in Python from the
same rows. Small hand-made listings cover Chinese, status and reindexing.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, SQLModel, col, select

from datasets import catalog_script
from marketplace_app import migrations
from marketplace_app.db import get_engines, write_session_for
from marketplace_app.models import Category, Listing, ListingImage, User
from marketplace_app.models.catalog import LISTING_STATUSES
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    blocklist,
    geo,
    importer,
    listing_access,
    listing_images,
    listings,
    products,
    purchasable,
    search,
    takedown,
)
from marketplace_app.services.search_text import query_terms
from tests.unit.services.conftest import make_user
from tests.unit.services.test_listings import (  # noqa: F401  (media_dir: a fixture)
    good_input,
    jpeg,
    media_dir,
    published,
)
from tests.unit.services.test_sanctions import _shop_product

CATALOG_SCRIPT = catalog_script()
N = 3000
SEED = 7
ORIGIN = geo.district_centre("Old Town")


@dataclass
class Row:
    id: int
    title: str
    description: str
    category: str
    kind: str
    condition: str | None
    price: int
    lat: float
    lon: float
    created_ts: float


@dataclass
class Catalog:
    url: str
    stats: dict
    rows: list[Row]

    def search(self, **kw) -> search.SearchResult:
        with Session(get_engines(self.url)[0]) as session:
            return search.search(session, search.SearchQuery(**kw))

    def all_ids(self, **kw) -> list[int]:
        """Every result id, page after page (60 a page)."""
        ids, page = [], 1
        while True:
            result = self.search(page=page, per_page=60, **kw)
            ids += [c.id for c in result.cards]
            if len(result.cards) < 60:
                return ids
            page += 1


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("catalog")
    out, stats = folder / "catalog.jsonl", folder / "stats.json"
    subprocess.run(
        [sys.executable, str(CATALOG_SCRIPT), "--n", str(N), "--seed", str(SEED)]
        + ["--out", str(out), "--stats", str(stats)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out, json.loads(stats.read_text())


def _load_rows(url: str) -> list[Row]:
    with Session(get_engines(url)[0]) as session:
        pairs = session.exec(select(Listing, Category.slug).join(Category)).all()
        return [
            Row(
                id=listing.id,
                title=listing.title,
                description=listing.description,
                category=slug,
                kind=listing.kind,
                condition=listing.condition,
                price=purchasable.listing_price(listing)[0],
                lat=listing.public_lat,
                lon=listing.public_lon,
                created_ts=listing.created_at.timestamp(),
            )
            for listing, slug in pairs
        ]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cat(request, dataset, tmp_path_factory) -> Catalog:
    path, stats = dataset
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'catalog.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database("search_catalog")
    migrations.upgrade(url)
    report = importer.import_listings(partial(write_session_for, url), path)
    assert report.imported == N and report.bad == 0
    return Catalog(url, stats, _load_rows(url))


def newest(rows):
    return [r.id for r in sorted(rows, key=lambda r: (-r.created_ts, -r.id))]


def km(row, origin=ORIGIN) -> float:
    return geo.distance_km(origin[0], origin[1], row.lat, row.lon)


def has_word(row, word):
    return word in row.title.lower() or word in row.description.lower()


# -- full text ------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["honey", "bicycle", "walnut", "lamp", "zeppelin"])
def test_planted_keyword_counts(cat, word):
    hits = cat.stats["keyword_hits"][word]
    expected = hits["title"] + hits["description_only"]
    assert cat.search(text=word).total == expected
    assert cat.search(text=word.upper()).total == expected
    assert set(cat.all_ids(text=word)) == {r.id for r in cat.rows if has_word(r, word)}


def test_prefix_matching(cat):
    bicycles = cat.search(text="bicycle").total
    assert bicycles > 0
    assert cat.search(text="bicy").total == bicycles
    assert cat.search(text="Bicyc").total == bicycles
    assert cat.search(text="bicyclex").total == 0


def test_all_words_must_match(cat):
    expected = {r.id for r in cat.rows if has_word(r, "lamp") and has_word(r, "brass")}
    assert expected
    assert set(cat.all_ids(text="brass lamp")) == expected


def test_title_hits_rank_above_description_hits(cat):
    ids = cat.all_ids(text="honey")
    in_title = {r.id for r in cat.rows if "honey" in r.title.lower()}
    first = ids[: len(in_title)]
    assert set(first) == in_title


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        '""honey',
        "honey)",
        "(honey",
        "-honey",
        "honey*",
        "*",
        "honey AND",
        "OR honey",
        "NEAR(honey lamp)",
        "honey NOT lamp",
        "title:honey",
        "{title}: honey",
        "^honey",
        "honey 🍯",
        "🍯",
        "'; DROP TABLE listings; --",
        "\\",
        "honey:*",
        "honey & | ! <-> lamp",
        "a" * 500,
    ],
)
def test_query_syntax_in_input_never_errors(cat, typed):
    result = cat.search(text=typed)
    assert result.total >= 0
    if [t.tokens for t in query_terms(typed)] == [("honey",)]:
        honey = cat.stats["keyword_hits"]["honey"]
        assert result.total == honey["title"] + honey["description_only"]


# -- filters and sorts ----------------------------------------------------------------


def _check(cat, expected_rows, **kw):
    result = cat.search(per_page=60, **kw)
    assert result.total == len(expected_rows)
    return result


def test_category_filter(cat):
    expected = [r for r in cat.rows if r.category == "books"]
    result = _check(cat, expected, category="books")
    assert [c.id for c in result.cards] == newest(expected)[:60]
    assert cat.search(category="no-such-category").total == 0


@pytest.mark.parametrize("kind", ["shop", "secondhand"])
def test_kind_filter(cat, kind):
    expected = [r for r in cat.rows if r.kind == kind]
    assert _check(cat, expected, kind=kind).cards[0].kind == kind


def test_condition_filter(cat):
    for conditions in [("good",), ("like_new", "poor"), ("new",)]:
        expected = [r for r in cat.rows if r.condition in conditions]
        _check(cat, expected, conditions=conditions)
    # unknown conditions are ignored
    _check(cat, [r for r in cat.rows if r.condition == "fair"], conditions=("fair", "broken"))
    _check(cat, cat.rows, conditions=("broken",))


def test_price_range(cat):
    expected = [r for r in cat.rows if 1_000 <= r.price <= 5_000]
    result = _check(cat, expected, min_price_cents=1_000, max_price_cents=5_000)
    assert all(1_000 <= c.price_cents <= 5_000 for c in result.cards)
    _check(cat, [r for r in cat.rows if r.price >= 50_000], min_price_cents=50_000)
    _check(cat, [r for r in cat.rows if r.price <= 500], max_price_cents=500)
    # reversed bounds are swapped
    _check(cat, expected, min_price_cents=5_000, max_price_cents=1_000)


def test_text_with_category_and_price(cat):
    expected = [
        r for r in cat.rows if has_word(r, "lamp") and r.category == "home" and r.price <= 10_000
    ]
    assert expected
    _check(cat, expected, text="lamp", category="home", max_price_cents=10_000)


@pytest.mark.parametrize("radius", search.RADII_KM)
def test_radius(cat, radius):
    expected = [r for r in cat.rows if km(r) <= radius]
    result = _check(cat, expected, origin=ORIGIN, radius_km=radius)
    assert [c.id for c in result.cards] == newest(expected)[:60]
    assert set(cat.all_ids(origin=ORIGIN, radius_km=radius)) == {r.id for r in expected}


@pytest.mark.parametrize("radius", [3, 10])
def test_radius_with_text_and_filters(cat, radius):
    origin = geo.district_centre("Harborside")
    expected = [r for r in cat.rows if km(r, origin) <= radius and has_word(r, "lamp")]
    _check(cat, expected, text="lamp", origin=origin, radius_km=radius)
    expected = [r for r in cat.rows if km(r, origin) <= radius and r.kind == "shop"]
    result = _check(cat, expected, kind="shop", origin=origin, radius_km=radius, sort="price_asc")
    order = sorted(expected, key=lambda r: (r.price, -r.created_ts, -r.id))
    assert [c.id for c in result.cards] == [r.id for r in order][:60]


def test_unknown_radius_is_ignored_and_radius_needs_an_origin(cat):
    assert cat.search(origin=ORIGIN, radius_km=4).total == N
    assert cat.search(radius_km=5).total == N


def _order(rows, sort):
    keys = {
        "newest": lambda r: (-r.created_ts, -r.id),
        "relevance": lambda r: (-r.created_ts, -r.id),
        "price_asc": lambda r: (r.price, -r.created_ts, -r.id),
        "price_desc": lambda r: (-r.price, -r.created_ts, -r.id),
        "distance": lambda r: (km(r), -r.created_ts, -r.id),
    }
    return [r.id for r in sorted(rows, key=keys[sort])]


@pytest.mark.parametrize("sort", ["newest", "relevance", "price_asc", "price_desc", "distance"])
def test_sorts_and_pages(cat, sort):
    expected = _order(cat.rows, sort)
    pages = []
    for page in (1, 2, 40):
        result = cat.search(origin=ORIGIN, sort=sort, page=page, per_page=30)
        assert result.total == N
        pages.append([c.id for c in result.cards])
    assert pages[0] == expected[:30]
    assert pages[1] == expected[30:60]
    assert pages[2] == expected[1170:1200]


@pytest.mark.parametrize("sort", ["price_asc", "price_desc", "distance", "newest"])
def test_sorts_with_text(cat, sort):
    rows = [r for r in cat.rows if has_word(r, "lamp")]
    assert cat.all_ids(text="lamp", origin=ORIGIN, sort=sort) == _order(rows, sort)


@pytest.mark.parametrize("radius", [1, 5])
def test_distance_sort_within_radius_pages_through_everything(cat, radius):
    rows = [r for r in cat.rows if km(r) <= radius]
    assert cat.all_ids(origin=ORIGIN, radius_km=radius, sort="distance") == _order(rows, "distance")


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"sort": "price_desc", "page": 2},
        {"kind": "shop", "sort": "price_asc"},
        {"origin": ORIGIN, "radius_km": 3},
        {"origin": ORIGIN, "radius_km": 5, "sort": "distance", "page": 2},
        {"origin": ORIGIN, "sort": "distance"},
    ],
)
def test_words_in_most_listings_match_as_a_filter(cat, monkeypatch, kw):
    """Past BROAD_MATCHES the words filter like a category, newest first: same answers."""
    monkeypatch.setattr(search, "BROAD_MATCHES", 0)
    kw = {"per_page": 20, **kw}
    rows = [r for r in cat.rows if has_word(r, "lamp")]
    if "radius_km" in kw:
        rows = [r for r in rows if km(r) <= kw["radius_km"]]
    if "kind" in kw:
        rows = [r for r in rows if r.kind == kw["kind"]]
    expected = _order(rows, kw.get("sort", "newest"))
    result = cat.search(text="lamp", **kw)
    page = kw.get("page", 1)
    assert result.total == len(rows)
    assert [c.id for c in result.cards] == expected[(page - 1) * 20 : page * 20]


def test_distance_values(cat):
    result = cat.search(origin=ORIGIN, sort="distance", per_page=60, page=3)
    by_id = {r.id: r for r in cat.rows}
    assert len(result.cards) == 60
    for card in result.cards:
        assert card.distance_km == pytest.approx(km(by_id[card.id]), abs=1e-9)
    assert all(c.distance_km is None for c in cat.search(text="lamp").cards)


def test_page_past_the_end_is_empty_with_the_total(cat):
    result = cat.search(text="honey", page=999)
    assert result.cards == [] and result.total > 0
    result = cat.search(origin=ORIGIN, radius_km=1, sort="distance", page=999)
    assert result.cards == [] and result.total > 0


def test_clean_query_clamps():
    q = search.clean_query(
        search.SearchQuery(
            text="x" * 200,
            kind="robot",
            conditions=("good", "good", "mint"),
            min_price_cents=-5,
            origin=(500.0, 0.0),
            radius_km=3,
            sort="distance",
            page=0,
            per_page=1000,
        )
    )
    assert len(q.text) == 80 and q.kind is None and q.conditions == ("good",)
    assert q.min_price_cents == 0 and q.origin is None and q.radius_km is None
    assert q.sort == "relevance" and q.page == 1 and q.per_page == 60
    assert search.clean_query(search.SearchQuery(sort="cheapest", page=10**9)).page == 1000


# -- small hand-made data: Chinese, status, free, reindexing, similar ------------------


class Small:
    """A fresh schema (create_all, as the unit-test fixtures make it) on one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = Session(get_engines(url)[1], expire_on_commit=False)
        self.category = Category(slug="home")
        self.other = Category(slug="books")
        self.seller = User(name="Sam", email="sam@example.com", password_hash="!")
        self.session.add_all([self.category, self.other, self.seller])
        self.session.flush()

    def add(self, title: str, description: str = "", **kw) -> Listing:
        lat, lon = kw.pop("at", ORIGIN)
        public = geo.public_position(lat, lon)
        values = dict(
            seller_id=self.seller.id,
            kind="secondhand",
            category_id=self.category.id,
            condition="good",
            price_cents=1000,
            status="active",
            lat=lat,
            lon=lon,
            public_lat=public[0],
            public_lon=public[1],
        )
        values.update(kw)
        listing = Listing(title=title, description=description, **values)
        self.session.add(listing)
        self.session.flush()
        return listing

    def find(self, **kw) -> list[str]:
        # A savepoint moves FTS5's pending writes to disk first: SQLite 3.40's
        # FTS5 breaks (wrong prefix matches, then "database disk image is
        # malformed") when one transaction deletes a row, runs a prefix query
        # and inserts the same rowid again. The app never searches inside a
        # write transaction; these tests do.
        self.session.flush()
        if self.session.get_bind().dialect.name == "sqlite":
            conn = self.session.connection()
            conn.exec_driver_sql("SAVEPOINT fts5_flush")
            conn.exec_driver_sql("RELEASE fts5_flush")
        result = search.search(self.session, search.SearchQuery(per_page=60, **kw))
        assert result.total == len(result.cards)
        return sorted(c.title for c in result.cards)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def small_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('small') / 'small.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database("search_small")
    SQLModel.metadata.create_all(get_engines(url)[1])
    return url


@pytest.fixture
def small(small_url):
    data = Small(small_url)
    try:
        yield data
    finally:
        data.session.rollback()
        data.session.close()


def test_chinese_words_of_two_and_three_characters(small):
    small.add("新鲜面包", "每天早上烤")
    small.add("全麦酸种面包（800 g）")
    small.add("手工面条")
    small.add("二手自行车", "送面包机一台")
    small.add("Bread 面包 and jam")
    assert small.find(text="面包") == [
        "Bread 面包 and jam",
        "二手自行车",
        "全麦酸种面包（800 g）",
        "新鲜面包",
    ]
    assert small.find(text="面包机") == ["二手自行车"]
    assert small.find(text="酸种面包") == ["全麦酸种面包（800 g）"]
    assert small.find(text="面") == sorted(
        ["新鲜面包", "全麦酸种面包（800 g）", "手工面条", "二手自行车", "Bread 面包 and jam"]
    )
    assert small.find(text="自行车") == ["二手自行车"]
    assert small.find(text="包面") == []  # two runs never join into one word
    assert small.find(text="bread 面包") == ["Bread 面包 and jam"]
    assert small.find(text="早上") == ["新鲜面包"]


def test_inactive_listings_are_never_found(small):
    for status in ("draft", "paused", "sold", "removed"):
        small.add(f"Hidden lamp {status}", status=status)
    small.add("Visible lamp")
    assert small.find(text="lamp") == ["Visible lamp"]
    assert small.find() == ["Visible lamp"]
    assert small.find(origin=ORIGIN, radius_km=1, sort="distance") == ["Visible lamp"]
    assert small.find(text="hidden") == []


def test_free_only_and_sale_prices(small):
    small.add("Free chair", price_cents=0)
    small.add("Cheap chair", price_cents=300)
    now = utcnow()
    from datetime import timedelta

    small.add(
        "Sale chair",
        price_cents=9000,
        sale_price_cents=200,
        sale_starts_at=now - timedelta(days=1),
        sale_ends_at=now + timedelta(days=1),
    )
    small.add(
        "Old sale chair",
        price_cents=8000,
        sale_price_cents=100,
        sale_ends_at=now - timedelta(days=1),
    )
    assert small.find(free_only=True) == ["Free chair"]
    assert small.find(max_price_cents=300) == ["Cheap chair", "Free chair", "Sale chair"]
    result = search.search(small.session, search.SearchQuery(sort="price_asc"))
    assert [(c.title, c.price_cents) for c in result.cards] == [
        ("Free chair", 0),
        ("Sale chair", 200),
        ("Cheap chair", 300),
        ("Old sale chair", 8000),
    ]


def test_reindex_after_a_title_change(small):
    lamp = small.add("Brass lamp", "Solid and heavy")
    assert small.find(text="brass") == ["Brass lamp"]
    # Through the ORM the index follows on flush.
    lamp.title = "Copper kettle"
    small.session.flush()
    assert small.find(text="brass") == []
    assert small.find(text="copper") == ["Copper kettle"]
    # A Core UPDATE bypasses the ORM: the writer calls reindex_listing.
    small.session.execute(
        update(Listing).where(Listing.id == lamp.id).values(description="Whistles loudly")
    )
    assert small.find(text="whistles") == []
    search.reindex_listing(small.session, lamp.id)
    assert small.find(text="whistles") == ["Copper kettle"]
    assert small.find(text="solid") == []


def test_rebuild_index_and_deleted_listings(small):
    small.add("Walnut desk")
    gone = small.add("Walnut stool")
    conn = small.session.connection()
    conn.execute(text("DELETE FROM listing_search"))
    assert small.find(text="walnut") == []
    assert search.rebuild_index(small.session) == 2
    assert small.find(text="walnut") == ["Walnut desk", "Walnut stool"]
    small.session.delete(gone)
    small.session.flush()
    assert small.find(text="walnut") == ["Walnut desk"]
    search.reindex_listing(small.session, gone.id)  # already gone: harmless
    assert small.find(text="walnut") == ["Walnut desk"]


def test_listings_without_a_position(small):
    small.add("Placed lamp")
    small.add("Nowhere lamp", at=(0.0, 0.0), public_lat=None, public_lon=None)
    assert small.find(text="lamp", origin=ORIGIN, radius_km=10) == ["Placed lamp"]
    result = search.search(small.session, search.SearchQuery(origin=ORIGIN, sort="distance"))
    assert [c.title for c in result.cards] == ["Placed lamp", "Nowhere lamp"]
    assert result.cards[1].distance_km is None
    result = search.search(
        small.session, search.SearchQuery(text="lamp", sort="distance", origin=ORIGIN)
    )
    assert [c.title for c in result.cards] == ["Placed lamp", "Nowhere lamp"]


def test_cards_carry_the_first_photo_and_the_sellers_name(small):
    framed = small.add("Framed print")
    small.add("Bare print")
    small.session.add_all(
        [
            ListingImage(listing_id=framed.id, position=1, storage_key="b" * 24, width=1, height=1),
            ListingImage(listing_id=framed.id, position=0, storage_key="a" * 24, width=1, height=1),
        ]
    )
    small.session.flush()
    result = search.search(small.session, search.SearchQuery(text="print", sort="newest"))
    assert [(c.title, c.cover_key, c.seller_name) for c in result.cards] == [
        ("Bare print", None, "Sam"),
        ("Framed print", "a" * 24, "Sam"),
    ]


def test_similar(small):
    base = small.add("Oak chair", price_cents=5000)
    near_same = small.add("Pine chair", price_cents=5500, at=geo.district_centre("Old Town"))
    far_same = small.add("Teak chair", price_cents=5000, at=geo.district_centre("Oakridge"))
    small.add("Gold chair", price_cents=500_000)  # price far off: only as filler
    small.add("Paused chair", price_cents=5000, status="paused")
    small.add("A novel", price_cents=5000, category_id=small.other.id)
    small.session.flush()
    cards = search.similar(small.session, base.id, limit=2)
    assert [c.id for c in cards] == [near_same.id, far_same.id]
    assert cards[0].distance_km == pytest.approx(0.0, abs=0.3)
    titles = [c.title for c in search.similar(small.session, base.id)]
    assert titles == ["Pine chair", "Teak chair", "Gold chair"]
    assert search.similar(small.session, 10**9) == []


@pytest.mark.parametrize("radius", [None, 10])
def test_distance_sort_with_nothing_near_the_origin(small, radius):
    """The first rings around the origin hold no listing latitude at all."""
    small.add("Far lamp", at=geo.district_centre("Oakridge"))
    small.add("Farther lamp", at=(ORIGIN[0] + 0.08, ORIGIN[1]))  # ~9 km north
    result = search.search(
        small.session, search.SearchQuery(origin=ORIGIN, radius_km=radius, sort="distance")
    )
    assert result.total == 2
    assert [c.title for c in result.cards] == ["Far lamp", "Farther lamp"]


def test_huge_distance_sort_falls_back_to_measuring_rows(small):
    small.add("Here lamp")
    small.add("Far lamp", at=(-33.86, 151.2))  # Sydney: beyond any ring
    result = search.search(small.session, search.SearchQuery(origin=ORIGIN, sort="distance"))
    assert [c.title for c in result.cards] == ["Here lamp", "Far lamp"]
    assert result.cards[1].distance_km > 15_000
    assert math.isfinite(result.cards[1].distance_km)


# -- what the index holds: exactly the searchable listings, after every change ---------


def indexed(session: Session) -> set[int]:
    """Listing ids with a row in the index table itself."""
    key = "rowid" if session.get_bind().dialect.name == "sqlite" else "listing_id"
    return set(session.connection().exec_driver_sql(f"SELECT {key} FROM listing_search").scalars())


def assert_index_exact(session: Session) -> None:
    session.flush()
    public = session.exec(
        select(Listing.id).where(col(Listing.status).in_(listing_access.PUBLIC_STATUSES))
    ).all()
    assert indexed(session) == set(public)


def test_every_status_change_through_the_orm_keeps_the_index_exact(small):
    rows = {}
    for status in LISTING_STATUSES:
        rows[status] = small.add(f"Lamp {status}", status=status)
    assert indexed(small.session) == {rows["active"].id, rows["sold"].id}
    for listing in rows.values():
        for status in (*LISTING_STATUSES, listing.status):
            listing.status = status
            assert_index_exact(small.session)
    assert small.find(text="lamp") == ["Lamp active"]


@pytest.mark.usefixtures("media_dir")
def test_resident_lifecycle_keeps_the_index_exact(small):
    draft = listings.start_draft(small.session, small.seller.id)
    listings.save(
        small.session, small.seller.id, draft.id, good_input(title="Oak lamp"), publish=False
    )
    assert draft.id not in indexed(small.session)  # a saved draft is nobody's to find
    listing_images.add_images(small.session, small.seller.id, draft.id, [jpeg()])
    listings.save(
        small.session, small.seller.id, draft.id, good_input(title="Oak lamp"), publish=True
    )
    assert draft.id in indexed(small.session)
    assert small.find(text="oak") == ["Oak lamp"]
    for action, found in (
        ("pause", []),
        ("unpause", ["Oak lamp"]),
        ("mark_sold", []),
        ("delete", []),
    ):
        listings.set_status(small.session, small.seller.id, draft.id, action)
        assert_index_exact(small.session)
        assert small.find(text="oak") == found
    assert draft.id not in indexed(small.session)

    never = listings.start_draft(small.session, small.seller.id)
    listing_images.add_images(small.session, small.seller.id, never.id, [jpeg()])
    listings.save(
        small.session, small.seller.id, never.id, good_input(title="Pine lamp"), publish=False
    )
    listings.set_status(small.session, small.seller.id, never.id, "delete")  # purged
    assert_index_exact(small.session)


@pytest.mark.usefixtures("media_dir")
def test_held_approved_rejected_and_hidden_listings(small):
    admin = make_user(small.session, "Admin", role="admin")
    mod = make_user(small.session, "Mod", role="moderator")
    blocklist.add_term(small.session, actor_id=admin.id, term="replica")
    held = published(small.session, small.seller, title="Replica lamp")
    assert held.status == "pending" and held.id not in indexed(small.session)
    assert small.find(text="lamp") == []
    blocklist.approve(small.session, actor_id=mod.id, listing_id=held.id)
    assert_index_exact(small.session)
    assert small.find(text="lamp") == ["Replica lamp"]  # approved: found again

    refused = published(small.session, small.seller, title="Replica vase")
    blocklist.reject(small.session, actor_id=mod.id, listing_id=refused.id, reason="Fake goods")
    assert refused.status == "removed"
    assert_index_exact(small.session)

    edited = published(small.session, small.seller, title="Plain mirror")
    listings.save(
        small.session, small.seller.id, edited.id, good_input(title="Replica mirror"), publish=True
    )
    assert edited.status == "pending"  # an edit bringing in a blocked term: held again
    assert_index_exact(small.session)

    takedown.take_down(
        small.session,
        held,
        actor_id=mod.id,
        action="listing.hide",
        notice="inbox.moderation.listing_removed",
        reason="Reported",
    )
    assert_index_exact(small.session)
    assert small.find(text="replica") == []


def test_shop_products_published_and_unpublished(small):
    owner = make_user(small.session, "Owner")
    product = _shop_product(small.session, owner)
    assert product.status == "draft" and product.id not in indexed(small.session)
    for published_now, found in ((True, ["Plum jam"]), (False, []), (True, ["Plum jam"])):
        products.set_published(small.session, owner.id, product.id, published_now)
        assert_index_exact(small.session)
        assert small.find(text="plum") == found


def test_core_updates_reach_text_searches_at_once(small):
    """Writers using Core statements (a sale, a bulk edit) need no reindex for filters."""
    lamp = small.add("Brass lamp", price_cents=1000)

    def core(**values):
        small.session.execute(update(Listing).where(Listing.id == lamp.id).values(**values))

    core(price_cents=400)
    assert small.find(text="lamp", max_price_cents=500) == ["Brass lamp"]
    core(category_id=small.other.id, kind="shop", condition="new")
    assert small.find(text="lamp", category="books", kind="shop", conditions=("new",)) == [
        "Brass lamp"
    ]
    assert small.find(text="lamp", category="home") == []
    far = geo.public_position(*geo.district_centre("Oakridge"))
    core(public_lat=far[0], public_lon=far[1])
    assert small.find(text="lamp", origin=ORIGIN, radius_km=1) == []
    core(status="sold")  # as checkout marks the last unit sold
    assert small.find(text="lamp") == []
    assert lamp.id in indexed(small.session)  # sold listings stay indexed
