"""Importing the shared catalog format: sellers, listings, search index, bad lines."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from datasets import catalog_script
from marketplace_app import migrations
from marketplace_app.db import get_engines, write_session_for
from marketplace_app.models import BlockedTerm, Category, Listing, Shop, ShopMember, User
from marketplace_app.services import carts, checkout, fulfilment, geo, importer, purchasable, search
from marketplace_app.services.passwords import needs_rehash, verify_password
from tests.unit.invariants import check_invariants

CATALOG_SCRIPT = catalog_script()
N = 400


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("catalog")
    out, stats = folder / "catalog.jsonl", folder / "stats.json"
    subprocess.run(
        [sys.executable, str(CATALOG_SCRIPT), "--n", str(N), "--seed", "3"]
        + ["--out", str(out), "--stats", str(stats)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return out, json.loads(stats.read_text())


@pytest.fixture
def url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'import.db'}"
    migrations.upgrade(url)
    return url


def count(url: str, model, *where) -> int:
    with Session(get_engines(url)[0]) as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_import_creates_sellers_listings_and_index(url, dataset):
    path, stats = dataset
    seen = []
    report = importer.import_listings(
        partial(write_session_for, url), path, batch=150, progress=seen.append
    )
    assert (report.lines, report.imported, report.bad, report.skipped_existing) == (N, N, 0, 0)
    assert report.sellers_created == stats["sellers"]
    assert report.shops_created == stats["shop_sellers"]
    assert report.categories_created == 12
    assert count(url, Listing) == N
    assert count(url, User) == stats["sellers"]
    assert count(url, Shop, Shop.status == "approved") == stats["shop_sellers"]
    assert count(url, ShopMember, ShopMember.role == "owner") == stats["shop_sellers"]
    for kind, n in stats["listings_by_kind"].items():
        assert count(url, Listing, Listing.kind == kind) == n
    # progress after every batch
    assert [p.imported for p in seen] == [150, 300, 400]
    assert seen[-1].fraction == 1.0 and all(p.rows_per_s > 0 for p in seen[1:])

    with Session(get_engines(url)[0]) as s:
        honey = stats["keyword_hits"]["honey"]
        result = search.search(s, search.SearchQuery(text="honey"))
        assert result.total == honey["title"] + honey["description_only"]


def test_rows_match_the_file(url, dataset):
    path, _stats = dataset
    importer.import_listings(partial(write_session_for, url), path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    with Session(get_engines(url)[0]) as s:
        for row in lines[:50]:
            listing = s.exec(
                select(Listing).where(Listing.import_key == f"catalog:listing:{row['id']}")
            ).one()
            assert (listing.title, listing.description) == (row["title"], row["description"])
            assert listing.kind == row["kind"] and listing.condition == row["condition"]
            assert (listing.price_cents, listing.stock) == (row["price_cents"], row["stock"])
            assert (listing.lat, listing.lon) == (row["lat"], row["lon"])
            assert (listing.public_lat, listing.public_lon) == geo.public_position(
                row["lat"], row["lon"]
            )
            assert listing.status == "active" and listing.district == row["district"]
            created = listing.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert created == row["created_at"] and listing.published_at == listing.created_at
            assert s.get(Category, listing.category_id).slug == row["category"]
            seller = s.get(User, listing.seller_id)
            assert seller.import_key == f"catalog:seller:{row['seller_id']}"
            assert seller.email == f"seller-{row['seller_id']}@import.invalid"
            if row["seller_type"] == "shop":
                shop = s.get(Shop, listing.shop_id)
                assert shop.owner_id == seller.id and shop.status == "approved"
                assert shop.import_key == f"catalog:shop:{row['seller_id']}"
            else:
                assert listing.shop_id is None


def test_imported_sellers_cannot_log_in(url, dataset):
    importer.import_listings(partial(write_session_for, url), dataset[0])
    with Session(get_engines(url)[0]) as s:
        hashes = set(s.exec(select(User.password_hash)).all())
    assert hashes == {importer.UNUSABLE_PASSWORD}
    for guess in ("", "!", "password"):
        assert verify_password(guess, importer.UNUSABLE_PASSWORD) is False
    assert needs_rehash(importer.UNUSABLE_PASSWORD) is True


def test_running_the_same_file_again_adds_nothing(url, dataset):
    path, stats = dataset
    importer.import_listings(partial(write_session_for, url), path)
    again = importer.import_listings(partial(write_session_for, url), path, batch=97)
    assert (again.imported, again.skipped_existing, again.bad) == (0, N, 0)
    assert (again.sellers_created, again.shops_created, again.categories_created) == (0, 0, 0)
    assert count(url, Listing) == N and count(url, User) == stats["sellers"]
    with Session(get_engines(url)[0]) as s:
        assert (
            search.search(s, search.SearchQuery(text="lamp")).total
            == (stats["keyword_hits"]["lamp"]["total"])
        )


def test_an_interrupted_import_resumes(url, dataset, tmp_path):
    path, _stats = dataset
    lines = path.read_text().splitlines(keepends=True)
    head = tmp_path / "head.jsonl"
    head.write_text("".join(lines[:123]))
    assert importer.import_listings(partial(write_session_for, url), head).imported == 123
    report = importer.import_listings(partial(write_session_for, url), path)
    assert (report.imported, report.skipped_existing) == (N - 123, 123)
    assert count(url, Listing) == N


GOOD = {
    "id": 1,
    "title": "Brass lamp",
    "description": "Warm light.",
    "category": "home",
    "kind": "secondhand",
    "condition": "good",
    "price_cents": 1500,
    "stock": 1,
    "seller_id": 1,
    "seller_type": "resident",
    "district": "Old Town",
    "lat": 52.51,
    "lon": 13.41,
    "created_at": "2025-05-01T10:00:00Z",
}


def line(**changes) -> str:
    row = {**GOOD, **changes}
    return json.dumps({k: v for k, v in row.items() if v is not ...})


def test_bad_lines_are_counted_with_their_numbers(url, tmp_path):
    lines = [
        line(),  # 1 ok
        "{not json",  # 2
        line(id=2, kind="robot"),  # 3
        line(id=3, price_cents=-1),  # 4
        line(id=4, title=""),  # 5
        line(id=5, created_at="yesterday"),  # 6
        line(id=6, lat=95.0),  # 7
        line(id=7, seller_type="shop"),  # 8: kind secondhand from a shop
        line(id=1),  # 9: repeated id
        "",  # blank lines are skipped, not bad
        line(id=8, stock=True),  # 11
        line(id=9, category="Not A Slug!"),  # 12
        line(id=10, title=...),  # 13: missing
        "[1, 2]",  # 14
        line(id=11, kind="shop", seller_type="shop", condition=None),  # 15: seller 1 is a resident
        line(id=12, category="garden", condition=None, price_cents=0),  # 16 ok, new category
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe broken\n")
    report = importer.import_listings(partial(write_session_for, url), path)
    assert report.imported == 2 and report.bad == 14 and report.lines == 16
    assert [n for n, _reason in report.bad_lines] == [
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        11,
        12,
        13,
        14,
        15,
        17,
    ]
    reasons = dict(report.bad_lines)
    assert reasons[2] == "not valid JSON" and "repeated" in reasons[9]
    assert reasons[17] == "not UTF-8" and "seller_type" in reasons[15]
    assert report.categories_created == 2
    assert count(url, Listing, Listing.price_cents == 0) == 1


def test_seller_of_another_type_in_the_database_is_refused(url, tmp_path):
    first = tmp_path / "a.jsonl"
    first.write_text(line() + "\n")
    importer.import_listings(partial(write_session_for, url), first)
    second = tmp_path / "b.jsonl"
    second.write_text(line(id=2, kind="shop", seller_type="shop", condition=None) + "\n")
    report = importer.import_listings(partial(write_session_for, url), second)
    assert report.imported == 0 and report.bad_lines == [
        (1, "seller exists with another seller_type")
    ]


def test_missing_file_raises(url, tmp_path):
    with pytest.raises(OSError):
        importer.import_listings(partial(write_session_for, url), tmp_path / "nope.jsonl")


def test_imported_shop_products_can_be_bought(url, dataset):
    """Each imported product sells through its one variant, picked up in the shop's hours."""
    path, _ = dataset
    importer.import_listings(partial(write_session_for, url), path)
    with write_session_for(url) as s:
        products = s.exec(select(Listing).where(Listing.kind == "shop")).all()
        buyer = User(name="Bea", email="bea@example.com", password_hash="!")
        s.add(buyer)
        s.flush()
        for product in products:
            quote = purchasable.quote(s, product.id, buyer_id=buyer.id)
            assert quote.ok and quote.variant_id is not None, product.title
            assert (quote.price_cents, quote.stock) == (product.price_cents, product.stock)
        product = products[0]
        carts.add(s, buyer.id, product.id, None, 2)
        (part,) = checkout.preview(s, buyer.id).parts
        assert part.slots, "an imported shop is open for pickups"
        slot = fulfilment.slot_key(part.slots[0].starts_at)
        placed = checkout.place(
            s,
            buyer.id,
            key=checkout.new_key(),
            choices={part.key: checkout.SellerChoice("pickup", slot=slot)},
            payment_method="cash",
        )
        assert placed.orders[0].total_cents == 2 * product.price_cents
    with Session(get_engines(url)[0]) as s:
        check_invariants(s)


def test_imported_listings_with_blocked_words_wait_for_review(url, tmp_path):
    """The importer asks the blocklist like every other way onto the market."""
    with write_session_for(url) as s:
        s.add(BlockedTerm(term="replica"))
    path = tmp_path / "two.jsonl"
    path.write_text(
        line(id=1, title="Replica watch, looks real")
        + "\n"
        + line(id=2, title="Oak bookshelf")
        + "\n"
    )
    report = importer.import_listings(partial(write_session_for, url), path)
    assert (report.imported, report.held_for_review) == (2, 1)
    with Session(get_engines(url)[0]) as s:
        statuses = dict(s.exec(select(Listing.title, Listing.status)).all())
        found = search.search(s, search.SearchQuery(text="replica")).total
    assert statuses == {"Replica watch, looks real": "pending", "Oak bookshelf": "active"}
    assert found == 0
