"""Real concurrent checkouts, on SQLite and on PostgreSQL: stock never oversells.

Every buyer runs in its own thread with its own session and transaction, all
released together by a barrier. After each race the books must balance: the
stock a listing started with equals what is left plus what was sold, no stock
is ever negative, and every order's total is its lines plus its fee.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from marketplace_app import db, migrations
from marketplace_app.db import get_engines, write_session_for
from marketplace_app.models import (
    Listing,
    ListingVariant,
    Order,
    OrderGroup,
    OrderLine,
    OrderTransition,
)
from marketplace_app.services import checkout
from marketplace_app.services.checkout import CheckoutRefused, SellerChoice
from tests.unit import invariants
from tests.unit.services.conftest import make_user
from tests.unit.services.test_checkout import (
    add_to_cart,
    make_shop,
    resident_item,
    shop_product,
)

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def url(request, tmp_path_factory) -> str:
    """An empty, migrated database on each backend.

    The racers call :func:`checkout.place` directly, without the in-process
    write queue of ``db.write_session``, so on SQLite they really wait on
    the database's write lock; a long busy timeout keeps a loaded test machine
    from turning that wait into "database is locked".
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 120_000)
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('race') / 'race.db'}"
        else:
            url = request.getfixturevalue("pg_server").create_database("checkout_race")
        migrations.upgrade(url)
        yield url
        for engine in set(get_engines(url)):
            engine.dispose()


def reader(url: str) -> Session:
    return Session(get_engines(url)[0])


@dataclass
class Outcome:
    placed: checkout.PlacedGroup | None = None
    refused: CheckoutRefused | None = None
    error: BaseException | None = None


def race(url: str, jobs: list[Callable[[Session], checkout.PlacedGroup]]) -> list[Outcome]:
    """Run every job at once, each in its own thread and transaction."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [Outcome() for _ in jobs]
    write = partial(write_session_for, url)

    def run(i: int) -> None:
        barrier.wait()
        try:
            with write() as session:
                outcomes[i].placed = jobs[i](session)
        except CheckoutRefused as refused:
            outcomes[i].refused = refused
        except BaseException as error:  # reported by the test
            outcomes[i].error = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a buyer never finished"
    errors = [o.error for o in outcomes if o.error]
    assert not errors, errors[:3]
    return outcomes


class StockWatch:
    """Samples the lowest stock of some listings while a race runs."""

    def __init__(self, url: str, listing_ids: list[int]) -> None:
        self.url, self.ids = url, listing_ids
        self.lowest: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def _watch(self) -> None:
        while True:
            with reader(self.url) as s:
                low = s.exec(select(func.min(Listing.stock)).where(Listing.id.in_(self.ids))).one()
            self.lowest = low if self.lowest is None else min(self.lowest, low)
            if self._stop.wait(0.002):  # a sample every few ms, leaving the racers the CPU
                return

    def __enter__(self) -> StockWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()


def baseline(url: str) -> dict:
    """The shared invariants' stock baseline (before a race)."""
    with reader(url) as s:
        return invariants.stock_baseline(s)


def check_invariants(url: str, initial: dict[int, int], before: dict) -> None:
    """Stock conserved, never negative; order totals = lines + fees; one first transition.

    Then the project-wide checks (tests/unit/invariants.py): stock against the
    baseline taken before the race, balanced ledger, legal transition logs.
    """
    with reader(url) as s:
        invariants.check_invariants(s, before)
        for listing_id, start in initial.items():
            listing = s.get(Listing, listing_id)
            sold = s.exec(
                select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(
                    OrderLine.listing_id == listing_id
                )
            ).one()
            assert listing.stock >= 0
            assert start == listing.stock + sold, f"listing {listing_id}: stock not conserved"
            variants = s.exec(
                select(ListingVariant).where(ListingVariant.listing_id == listing_id)
            ).all()
            if variants:
                assert all(v.stock >= 0 for v in variants)
                assert listing.stock == sum(v.stock for v in variants)
        for order in s.exec(select(Order)).all():
            lines = s.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
            assert order.subtotal_cents == sum(ln.line_total_cents for ln in lines)
            assert order.total_cents == (
                order.subtotal_cents + order.delivery_fee_cents - order.discount_cents
            )
            first = s.exec(
                select(OrderTransition).where(OrderTransition.order_id == order.id)
            ).all()
            assert [(t.from_status, t.to_status) for t in first] == [(None, order.status)]
        for group in s.exec(select(OrderGroup)).all():
            totals = s.exec(
                select(func.sum(Order.total_cents)).where(Order.group_id == group.id)
            ).one()
            assert group.total_cents == totals


def buyers(url: str, n: int, listing: Listing, quantity: int = 1, variant=None) -> list[int]:
    """``n`` new buyers, each with ``quantity`` of the listing in their cart."""
    tag = uuid.uuid4().hex[:8]
    ids = []
    with write_session_for(url) as s:
        for i in range(n):
            buyer = make_user(s, f"Buyer{i}x{tag}")
            add_to_cart(s, buyer, listing, quantity, variant)
            ids.append(buyer.id)
    return ids


def seller(url: str):
    tag = uuid.uuid4().hex[:8]
    with write_session_for(url) as s:
        owner = make_user(s, f"Owner{tag}")
        shop = make_shop(s, owner, name=f"Shop {tag}")
        return owner, shop


def pickup_choice(url: str, buyer_id: int) -> dict[str, SellerChoice]:
    with reader(url) as s:
        (part,) = checkout.preview(s, buyer_id, NOW).parts
    return {part.key: SellerChoice("pickup", slot=part.slots[0].key)}


def placing(buyer_id: int, choices, key: str | None = None):
    def job(session: Session) -> checkout.PlacedGroup:
        return checkout.place(
            session,
            buyer_id,
            key=key or checkout.new_key(),
            choices=choices,
            payment_method="cash",
            now=NOW,
        )

    return job


def test_fifty_buyers_race_for_the_last_five_units(url):
    _, shop = seller(url)
    with write_session_for(url) as s:
        product = shop_product(s, shop, "Last loaves", variants=(("", 700, 5, None),))
    ids = buyers(url, 50, product)
    jobs = [placing(b, pickup_choice(url, b)) for b in ids]
    before = baseline(url)
    with StockWatch(url, [product.id]) as watch:
        outcomes = race(url, jobs)
    placed = [o.placed for o in outcomes if o.placed]
    refused = [o.refused for o in outcomes if o.refused]
    assert len(placed) == 5 and len(refused) == 45
    for r in refused:
        assert list(r.fields.values()) == ["error.checkout_sold_out"]
    assert watch.lowest is not None and watch.lowest >= 0
    with reader(url) as s:
        assert s.get(Listing, product.id).stock == 0
        units = s.exec(
            select(func.sum(OrderLine.quantity)).where(OrderLine.listing_id == product.id)
        ).one()
        assert units == 5
    check_invariants(url, {product.id: 5}, before)


def test_buyers_of_two_units_are_told_how_many_are_left(url):
    _, shop = seller(url)
    with write_session_for(url) as s:
        product = shop_product(
            s, shop, "Jam", variants=(("small", 300, 7, None), ("large", 500, 1, None))
        )
        small = s.exec(
            select(ListingVariant).where(
                ListingVariant.listing_id == product.id, ListingVariant.label == "small"
            )
        ).one()
    ids = buyers(url, 20, product, quantity=2, variant=small)
    before = baseline(url)
    outcomes = race(url, [placing(b, pickup_choice(url, b)) for b in ids])
    assert sum(1 for o in outcomes if o.placed) == 3
    messages = Counter(v for o in outcomes if o.refused for v in o.refused.fields.values())
    # After three sales one unit is left: the next buyer hears "only 1 left";
    # the counts split between the two words depending on timing.
    assert set(messages) == {"error.checkout_only_left"}
    for o in outcomes:
        if o.refused:
            assert list(o.refused.details.values()) == [{"left": 1}]
    with reader(url) as s:
        assert s.get(ListingVariant, small.id).stock == 1
        assert s.get(Listing, product.id).stock == 2
    check_invariants(url, {product.id: 8}, before)


def test_twenty_neighbours_race_for_one_item(url):
    tag = uuid.uuid4().hex[:8]
    with write_session_for(url) as s:
        owner = make_user(s, f"Seller{tag}")
        lamp = resident_item(s, owner, "Brass lamp")
    ids = buyers(url, 20, lamp)
    before = baseline(url)
    outcomes = race(url, [placing(b, pickup_choice(url, b)) for b in ids])
    assert sum(1 for o in outcomes if o.placed) == 1
    assert all(
        list(o.refused.fields.values()) == ["error.checkout_sold_out"]
        for o in outcomes
        if o.refused
    )
    with reader(url) as s:
        listing = s.get(Listing, lamp.id)
        assert (listing.stock, listing.status) == (0, "sold")
    check_invariants(url, {lamp.id: 1}, before)


def test_repeated_submits_of_one_checkout_create_one_group(url):
    _, shop = seller(url)
    with write_session_for(url) as s:
        product = shop_product(s, shop, "Rolls", variants=(("", 200, 50, None),))
    (buyer_id,) = buyers(url, 1, product, quantity=3)
    choices, key = pickup_choice(url, buyer_id), checkout.new_key()
    before = baseline(url)
    outcomes = race(url, [placing(buyer_id, choices, key) for _ in range(12)])
    placed = [o.placed for o in outcomes]
    assert all(placed)
    assert sum(1 for p in placed if p.created) == 1
    assert {p.public_id for p in placed} == {placed[0].public_id}
    assert {tuple(o.number for o in p.orders) for p in placed} == {
        tuple(o.number for o in placed[0].orders)
    }
    with reader(url) as s:
        groups = s.exec(select(OrderGroup).where(OrderGroup.idempotency_key == key)).all()
        assert len(groups) == 1
        assert s.get(Listing, product.id).stock == 47
    check_invariants(url, {product.id: 50}, before)
