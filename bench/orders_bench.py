"""Checkout benchmark: orders placed per second by concurrent buyers, and no oversell.

    .venv/bin/python bench/orders_bench.py                      # SQLite
    .venv/bin/python bench/orders_bench.py --postgres temp      # a throwaway PostgreSQL
    .venv/bin/python bench/orders_bench.py --postgres postgresql+psycopg://u@host/db

Builds a fresh database (migrations, then shops with products and residents
with one-off items), fills one cart per checkout beforehand (1-3 lines from
one or two sellers, pickup or courier, cash or escrow), then lets ``--buyers``
threads place them all at once through ``services.checkout.place``, each
placement in its own write transaction, as the checkout page does. Some
products are scarce on purpose, so buyers also get "sold out" / "only N left".
Afterwards it checks that nothing oversold: for every listing (and variant)
the starting stock equals what is left plus what the orders hold, and no stock
is negative. Prints placements/s, p50/p95 latency and the refusals. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="mp-bench-data-"))
os.environ.setdefault("SECRET_KEY", "bench-only")

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
HOURS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def temporary_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (as the ``postgres`` user when root)."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    tmp = Path(tempfile.mkdtemp(prefix="mp-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(tmp, user="postgres", group="postgres")
    data, port = tmp / "data", _free_port()

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True)

    run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={tmp} "
        "-c max_connections=100"
    )
    run(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(tmp / "log"),
        "-w",
        "start",
    )
    try:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute('CREATE DATABASE "bench"')
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/bench"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Checkout:
    """One prepared cart: its buyer and what the page would send."""

    buyer_id: int
    choices: dict
    payment: str


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


def build(url: str, checkouts: int, seed: int) -> tuple[list[Checkout], dict, dict]:
    """Sellers, listings and one filled cart per checkout.

    Returns:
        The checkouts, and the starting stock per listing id and per variant id.
    """
    from sqlmodel import Session, select

    from marketplace_app.db import get_engines
    from marketplace_app.models import (
        Address,
        Cart,
        CartLine,
        Category,
        Listing,
        ListingVariant,
        Shop,
        User,
    )
    from marketplace_app.services import checkout
    from marketplace_app.services.checkout import SellerChoice

    rng = random.Random(seed)
    password = "$argon2id$v=19$m=19456,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"
    with Session(get_engines(url)[1], expire_on_commit=False) as s:
        category = Category(slug="bench")
        s.add(category)
        s.flush()
        products: list[tuple[Listing, ListingVariant]] = []
        for i in range(10):
            owner = User(name=f"Shop owner {i}", email=f"owner{i}@bench", password_hash=password)
            s.add(owner)
            s.flush()
            shop = Shop(
                owner_id=owner.id,
                name=f"Bench shop {i}",
                slug=f"bench-shop-{i}",
                status="approved",
                pickup_point=f"Counter {i}",
                opening_hours=json.dumps(HOURS),
            )
            s.add(shop)
            s.flush()
            for j in range(4):
                # One product in eight is scarce: buyers will find it sold out.
                stock = 15 if (i * 4 + j) % 8 == 0 else checkouts * 2
                listing = Listing(
                    seller_id=owner.id,
                    shop_id=shop.id,
                    kind="shop",
                    category_id=category.id,
                    title=f"Product {i}-{j}",
                    price_cents=500 + 50 * j,
                    stock=stock,
                    courier_fee_cents=800,
                )
                s.add(listing)
                s.flush()
                variant = ListingVariant(
                    listing_id=listing.id, label="", price_cents=listing.price_cents, stock=stock
                )
                s.add(variant)
                s.flush()
                products.append((listing, variant))
        residents = []
        for i in range(40):
            seller = User(name=f"Resident {i}", email=f"resident{i}@bench", password_hash=password)
            s.add(seller)
            s.flush()
            residents.append(seller)
        plans: list[tuple[User, list[tuple[Listing, ListingVariant | None, int]]]] = []
        for n in range(checkouts):
            buyer = User(name=f"Buyer {n}", email=f"buyer{n}@bench", password_hash=password)
            s.add(buyer)
            s.flush()
            s.add(
                Address(
                    user_id=buyer.id,
                    recipient=buyer.name,
                    phone="13800000000",
                    line1=f"Bench road {n}",
                    city="Bench",
                )
            )
            cart = Cart(user_id=buyer.id)
            s.add(cart)
            s.flush()
            lines = []
            for listing, variant in rng.sample(products, rng.choice((1, 1, 2))):
                lines.append((listing, variant, rng.choice((1, 1, 2))))
            if n % 4 == 0:  # a quarter also buy a resident's one-off item
                item = Listing(
                    seller_id=rng.choice(residents).id,
                    kind="secondhand",
                    category_id=category.id,
                    title=f"Item {n}",
                    condition="good",
                    price_cents=1000 + n,
                    stock=1,
                    district="Riverside",
                    courier_fee_cents=1000,
                )
                s.add(item)
                s.flush()
                lines.append((item, None, 1))
            for listing, variant, qty in lines:
                s.add(
                    CartLine(
                        cart_id=cart.id,
                        listing_id=listing.id,
                        variant_id=variant.id if variant else None,
                        quantity=qty,
                        seen_price_cents=listing.price_cents,
                    )
                )
            plans.append((buyer, lines))
        s.commit()
        initial_listings = {lst.id: lst.stock for lst, _ in products}
        initial_variants = {v.id: v.stock for _, v in products}
        for _, lines in plans:
            for listing, variant, _ in lines:
                if variant is None:
                    initial_listings[listing.id] = 1
        addresses = {a.user_id: a.id for a in s.exec(select(Address)).all()}
        prepared = []
        for buyer, _ in plans:
            choices = {}
            for part in checkout.preview(s, buyer.id).parts:
                if rng.random() < 0.7:
                    choices[part.key] = SellerChoice("pickup", slot=part.slots[0].key)
                else:
                    choices[part.key] = SellerChoice("courier", address_id=addresses[buyer.id])
            prepared.append(Checkout(buyer.id, choices, rng.choice(("cash", "escrow"))))
    return prepared, initial_listings, initial_variants


def place_all(
    url: str, checkouts: list[Checkout], buyers: int
) -> tuple[float, float, list, Counter]:
    """Place every checkout from ``buyers`` threads.

    Returns:
        Wall seconds, this process's CPU seconds, latencies, outcome counts.
    """
    from marketplace_app.db import write_session_for
    from marketplace_app.services import checkout
    from marketplace_app.services.checkout import CheckoutRefused

    write = functools.partial(write_session_for, url)

    todo = list(checkouts)
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: Counter = Counter()
    barrier = threading.Barrier(buyers + 1)

    def worker() -> None:
        barrier.wait()
        while True:
            with lock:
                if not todo:
                    return
                job = todo.pop()
            started = time.perf_counter()
            try:
                checkout.place_checkout(
                    write,
                    job.buyer_id,
                    key=checkout.new_key(),
                    choices=job.choices,
                    payment_method=job.payment,
                )
                outcome = "placed"
            except CheckoutRefused as refused:
                outcome = "refused: " + ", ".join(sorted(set(refused.fields.values())))
            except Exception as error:  # counted and shown
                outcome = f"error: {type(error).__name__}: {error}"[:160]
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                outcomes[outcome] += 1

    threads = [threading.Thread(target=worker) for _ in range(buyers)]
    for t in threads:
        t.start()
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for t in threads:
        t.join()
    return time.perf_counter() - started, time.process_time() - cpu, latencies, outcomes


def oversold(url: str, listings: dict[int, int], variants: dict[int, int]) -> list[str]:
    """Every broken stock equation (empty when nothing oversold)."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from marketplace_app.db import get_engines
    from marketplace_app.models import Listing, ListingVariant, OrderLine

    problems = []
    with Session(get_engines(url)[0]) as s:
        sold_l = dict(
            s.exec(
                select(OrderLine.listing_id, func.sum(OrderLine.quantity)).group_by(
                    OrderLine.listing_id
                )
            ).all()
        )
        sold_v = dict(
            s.exec(
                select(OrderLine.variant_id, func.sum(OrderLine.quantity))
                .where(OrderLine.variant_id.is_not(None))
                .group_by(OrderLine.variant_id)
            ).all()
        )
        for listing_id, start in listings.items():
            left = s.get(Listing, listing_id).stock
            if left < 0 or start != left + sold_l.get(listing_id, 0):
                problems.append(
                    f"listing {listing_id}: {start} != {left} + {sold_l.get(listing_id)}"
                )
        for variant_id, start in variants.items():
            left = s.get(ListingVariant, variant_id).stock
            if left < 0 or start != left + sold_v.get(variant_id, 0):
                problems.append(
                    f"variant {variant_id}: {start} != {left} + {sold_v.get(variant_id)}"
                )
    return problems


def run(url: str, backend: str, args: argparse.Namespace) -> int:
    from marketplace_app import migrations

    migrations.upgrade(url)
    t0 = time.perf_counter()
    checkouts, listings, variants = build(url, args.checkouts, args.seed)
    print(f"[{backend}] prepared {len(checkouts)} carts in {time.perf_counter() - t0:.1f} s")
    seconds, cpu, latencies, outcomes = place_all(url, checkouts, args.buyers)
    placed = outcomes["placed"]
    print(f"[{backend}] {args.buyers} buyers, {len(checkouts)} checkouts in {seconds:.2f} s")
    print(f"[{backend}]   placed: {placed} orders groups -> {placed / seconds:.0f} placements/s")
    p50, p95 = statistics.median(latencies) * 1000, percentile(latencies, 95) * 1000
    if backend == "sqlite":  # all the work is in this process (PostgreSQL has its server's too)
        print(
            f"[{backend}]   this process used {cpu:.1f} s of CPU meanwhile: "
            f"{len(latencies) / cpu:.0f} attempts per CPU-second (the rate with one free core)"
        )
    print(
        f"[{backend}]   all attempts: {len(latencies) / seconds:.0f}/s; "
        f"latency p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    for outcome, n in sorted(outcomes.items()):
        if outcome != "placed":
            print(f"[{backend}]   {n:5d} {outcome}")
    problems = oversold(url, listings, variants)
    print(f"[{backend}]   oversell check: {'OK, zero oversold' if not problems else 'FAILED'}")
    for p in problems[:10]:
        print(f"[{backend}]     {p}")
    errors = sum(n for o, n in outcomes.items() if o.startswith("error"))
    return 1 if problems or errors else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Orders placed per second by concurrent buyers.")
    ap.add_argument("--buyers", type=int, default=20, help="concurrent buyer threads (20)")
    ap.add_argument("--checkouts", type=int, default=2000, help="carts to place (2000)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--postgres",
        metavar="URL|temp",
        help="also run on PostgreSQL: an EMPTY database URL, or 'temp' for a throwaway cluster",
    )
    ap.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    args = ap.parse_args(argv)

    status = 0
    if not args.no_sqlite:
        workdir = Path(tempfile.mkdtemp(prefix="mp-bench-orders-"))
        try:
            status |= run(f"sqlite:///{workdir / 'orders.db'}", "sqlite", args)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.postgres == "temp":
        with temporary_postgres() as url:
            status |= run(url, "postgresql", args)
            from marketplace_app.db import get_engines

            for engine in set(get_engines(url)):
                engine.dispose()
    elif args.postgres:
        status |= run(args.postgres, "postgresql", args)
    return status


if __name__ == "__main__":
    sys.exit(main())
