"""Bulk import of listings from the catalog format of ``shared/datasets`` (JSON Lines).

Each line names a listing and its seller. The importer creates what is
missing and skips what an earlier run already created, keyed by
``import_key``:

* sellers (``catalog:seller:<id>``): a user with an unusable password hash
  (:data:`UNUSABLE_PASSWORD`, which no password verifies) and the email
  ``seller-<id>@import.invalid``; a shop seller also gets an approved shop
  (``catalog:shop:<id>``) with the user as its owner, open the default hours
  (:data:`shops.DEFAULT_HOURS`) so that its products can be picked up;
* categories by slug (missing ones are created at the end of the list);
* listings (``catalog:listing:<id>``), active (or, when their words contain a
  blocked term, pending an operator's review), published when created, with
  their public position rounded by :func:`geo.public_position`, and their
  search index rows; a shop product also gets its one unlabelled variant
  (:func:`products.single_variant_values`), through which it is sold.

Speed: rows are written with SQLAlchemy Core ``executemany`` in batches, one
transaction per batch (listings and their index rows together, so an
interrupted import resumes cleanly when run again). No ORM objects are built
per row. Lines that cannot be imported are counted and reported with their
line numbers; they never stop the import.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlmodel import Session

from marketplace_app.models import Category, Listing, ListingVariant, Shop, ShopMember, User
from marketplace_app.models.catalog import CONDITIONS, LISTING_KINDS
from marketplace_app.models.types import utcnow
from marketplace_app.services import blocklist, geo, products, search
from marketplace_app.services import shops as shop_service

SessionFactory = Callable[[], AbstractContextManager[Session]]
ProgressFn = Callable[["Progress"], None]

UNUSABLE_PASSWORD = "!"
DEFAULT_BATCH = 10_000
MAX_BAD_REPORTED = 1000
MAX_PRICE_CENTS = 100_000_000
MAX_STOCK = 1_000_000
SELLER_TYPES = ("shop", "resident")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

_listings = Listing.__table__
_variants = ListingVariant.__table__
_users = User.__table__
_shops = Shop.__table__
_members = ShopMember.__table__
_categories = Category.__table__


def seller_key(seller_id: int) -> str:
    """``import_key`` of a seller's user."""
    return f"catalog:seller:{seller_id}"


def shop_key(seller_id: int) -> str:
    """``import_key`` of a shop seller's shop."""
    return f"catalog:shop:{seller_id}"


def listing_key(listing_id: int) -> str:
    """``import_key`` of a listing."""
    return f"catalog:listing:{listing_id}"


@dataclass
class Progress:
    """Where an import stands (passed to the progress callback after each batch)."""

    lines: int
    imported: int
    fraction: float
    rows_per_s: float
    elapsed_s: float


@dataclass
class ImportReport:
    """What an import did."""

    lines: int = 0
    imported: int = 0
    skipped_existing: int = 0
    bad: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)
    sellers_created: int = 0
    shops_created: int = 0
    categories_created: int = 0
    held_for_review: int = 0
    seconds: float = 0.0


class BadLine(ValueError):
    """A line that cannot be imported; the message says why."""


# -- parsing ---------------------------------------------------------------------------


def _int(row: dict, key: str, low: int, high: int) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadLine(f"{key}: not an integer")
    if not low <= value <= high:
        raise BadLine(f"{key}: out of range")
    return value


def _str(row: dict, key: str, high: int, *, required: bool = True) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise BadLine(f"{key}: not a string")
    value = value.strip()
    if required and not value:
        raise BadLine(f"{key}: empty")
    if len(value) > high:
        raise BadLine(f"{key}: longer than {high} characters")
    return value


def _coordinate(row: dict, key: str, limit: float) -> float:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadLine(f"{key}: not a number")
    value = float(value)
    if not math.isfinite(value) or abs(value) > limit:
        raise BadLine(f"{key}: out of range")
    return value


def _timestamp(row: dict) -> datetime:
    value = row.get("created_at")
    if not isinstance(value, str):
        raise BadLine("created_at: not a string")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadLine("created_at: not an ISO-8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Row:
    """One valid line of the file."""

    line: int
    id: int
    title: str
    description: str
    category: str
    kind: str
    condition: str | None
    price_cents: int
    stock: int
    seller_id: int
    seller_type: str
    district: str
    lat: float
    lon: float
    created_at: datetime


def parse_line(text: str, line: int) -> Row:
    """Validate one line of the catalog format.

    Args:
        text: the line (one JSON object).
        line: its 1-based line number.

    Returns:
        The parsed row.

    Raises:
        BadLine: with the reason the line cannot be imported.
    """
    try:
        row = json.loads(text)
    except (ValueError, RecursionError):
        raise BadLine("not valid JSON") from None
    if not isinstance(row, dict):
        raise BadLine("not a JSON object")
    kind = row.get("kind")
    if kind not in LISTING_KINDS:
        raise BadLine("kind: unknown")
    seller_type = row.get("seller_type")
    if seller_type not in SELLER_TYPES:
        raise BadLine("seller_type: unknown")
    if (kind == "shop") != (seller_type == "shop"):
        raise BadLine("kind and seller_type disagree")
    condition = row.get("condition")
    if condition is not None and condition not in CONDITIONS:
        raise BadLine("condition: unknown")
    category = row.get("category")
    if not isinstance(category, str) or not _SLUG.match(category):
        raise BadLine("category: not a slug")
    return Row(
        line=line,
        id=_int(row, "id", 1, 10**12),
        title=_str(row, "title", 80),
        description=_str(row, "description", 4000, required=False),
        category=category,
        kind=kind,
        condition=None if kind == "shop" else condition,
        price_cents=_int(row, "price_cents", 0, MAX_PRICE_CENTS),
        stock=_int(row, "stock", 0, MAX_STOCK),
        seller_id=_int(row, "seller_id", 1, 10**12),
        seller_type=seller_type,
        district=_str(row, "district", 60, required=False),
        lat=_coordinate(row, "lat", 90.0),
        lon=_coordinate(row, "lon", 180.0),
        created_at=_timestamp(row),
    )


# -- the import ------------------------------------------------------------------------


class _Importer:
    """One run: known keys, sellers and categories, and the running report."""

    def __init__(self, write: SessionFactory, batch: int, progress: ProgressFn | None) -> None:
        self.write = write
        self.batch = max(1, batch)
        self.progress = progress
        self.report = ImportReport()
        self.started = time.perf_counter()
        self.seen_ids: set[int] = set()
        self.seller_types: dict[int, str] = {}
        # seller id -> (user id, shop id or None), filled as sellers are found or made
        self.sellers: dict[int, tuple[int, int | None]] = {}
        self.categories: dict[str, int] = {}

    def bad(self, line: int, reason: str) -> None:
        self.report.bad += 1
        if len(self.report.bad_lines) < MAX_BAD_REPORTED:
            self.report.bad_lines.append((line, reason))

    # -- per batch

    def run_batch(self, rows: list[Row]) -> None:
        with self.write() as session:
            conn = session.connection()
            self._categories(conn, rows)
            rows = self._sellers(conn, rows)
            rows = self._new_only(conn, rows)
            if rows:
                self._listings(conn, rows, blocklist.matcher(session))

    def _categories(self, conn, rows: list[Row]) -> None:
        missing = {r.category for r in rows} - self.categories.keys()
        if not missing:
            return
        found = conn.execute(
            select(_categories.c.slug, _categories.c.id).where(_categories.c.slug.in_(missing))
        ).all()
        self.categories.update(dict(found))
        new = sorted(missing - self.categories.keys())
        if not new:
            return
        position = conn.execute(select(func.coalesce(func.max(_categories.c.position), 0))).scalar()
        conn.execute(
            insert(_categories),
            [
                {"slug": slug, "parent_id": None, "position": position + 1 + i, "icon": "tag"}
                for i, slug in enumerate(new)
            ],
        )
        found = conn.execute(
            select(_categories.c.slug, _categories.c.id).where(_categories.c.slug.in_(new))
        ).all()
        self.categories.update(dict(found))
        self.report.categories_created += len(new)

    def _sellers(self, conn, rows: list[Row]) -> list[Row]:
        """Find or create every seller of ``rows``; drop rows whose seller conflicts."""
        missing = {r.seller_id: r for r in rows if r.seller_id not in self.sellers}
        if missing:
            self._load_sellers(conn, list(missing))
            new = [r for sid, r in missing.items() if sid not in self.sellers]
            if new:
                self._create_sellers(conn, new)
        kept = []
        for row in rows:
            user_id, shop_id = self.sellers[row.seller_id]
            if (shop_id is not None) != (row.seller_type == "shop"):
                self.bad(row.line, "seller exists with another seller_type")
                continue
            kept.append(row)
        return kept

    def _load_sellers(self, conn, seller_ids: list[int]) -> None:
        keys = {seller_key(i): i for i in seller_ids}
        users = conn.execute(
            select(_users.c.import_key, _users.c.id).where(_users.c.import_key.in_(keys))
        ).all()
        shop_keys = {shop_key(i): i for i in seller_ids}
        shops = dict(
            conn.execute(
                select(_shops.c.import_key, _shops.c.id).where(_shops.c.import_key.in_(shop_keys))
            ).all()
        )
        for key, user_id in users:
            sid = keys[key]
            self.sellers[sid] = (user_id, shops.get(shop_key(sid)))

    def _create_sellers(self, conn, first_rows: list[Row]) -> None:
        now = utcnow()
        emails = {f"seller-{r.seller_id}@import.invalid" for r in first_rows}
        taken = set(
            conn.execute(select(_users.c.email).where(_users.c.email.in_(emails))).scalars()
        )
        users = []
        for r in first_rows:
            email = f"seller-{r.seller_id}@import.invalid"
            if email in taken:  # someone else's account already uses it
                email = f"seller-{r.seller_id}-{secrets.token_hex(4)}@import.invalid"
            name = f"Shop {r.seller_id}" if r.seller_type == "shop" else f"Neighbour {r.seller_id}"
            users.append(
                {
                    "name": name,
                    "email": email,
                    "phone": None,
                    "password_hash": UNUSABLE_PASSWORD,
                    "role": "user",
                    "locale": "zh-CN",
                    "bio": "",
                    "district": r.district,
                    "lat": None,
                    "lon": None,
                    "avatar_key": None,
                    "import_key": seller_key(r.seller_id),
                    "created_at": now,
                    "updated_at": now,
                    "password_changed_at": now,
                    "deleted_at": None,
                }
            )
        conn.execute(insert(_users), users)
        self._load_sellers(conn, [r.seller_id for r in first_rows])
        self.report.sellers_created += len(first_rows)
        shop_rows = [r for r in first_rows if r.seller_type == "shop"]
        if not shop_rows:
            return
        slugs = {f"shop-{r.seller_id}" for r in shop_rows}
        taken_slugs = set(
            conn.execute(select(_shops.c.slug).where(_shops.c.slug.in_(slugs))).scalars()
        )
        shops = []
        for r in shop_rows:
            slug = f"shop-{r.seller_id}"
            shops.append(
                {
                    "owner_id": self.sellers[r.seller_id][0],
                    "name": f"Shop {r.seller_id}",
                    "slug": slug if slug not in taken_slugs else f"imported-shop-{r.seller_id}",
                    "description": "",
                    "status": "approved",
                    "review_reason": "",
                    "phone": "",
                    "email": "",
                    "address": "",
                    "pickup_point": "",
                    "district": r.district,
                    "lat": None,
                    "lon": None,
                    "opening_hours": shop_service.hours_json(shop_service.DEFAULT_HOURS),
                    "logo_key": None,
                    "banner_key": None,
                    "import_key": shop_key(r.seller_id),
                    "created_at": now,
                    "reviewed_at": now,
                    "reviewed_by": None,
                }
            )
        conn.execute(insert(_shops), shops)
        self._load_sellers(conn, [r.seller_id for r in shop_rows])
        conn.execute(
            insert(_members),
            [
                {
                    "shop_id": self.sellers[r.seller_id][1],
                    "user_id": self.sellers[r.seller_id][0],
                    "role": "owner",
                    "created_at": now,
                }
                for r in shop_rows
            ],
        )
        self.report.shops_created += len(shop_rows)

    def _new_only(self, conn, rows: list[Row]) -> list[Row]:
        keys = [listing_key(r.id) for r in rows]
        existing = set(
            conn.execute(
                select(_listings.c.import_key).where(_listings.c.import_key.in_(keys))
            ).scalars()
        )
        self.report.skipped_existing += len(existing)
        return [r for r, key in zip(rows, keys, strict=True) if key not in existing]

    def _listings(self, conn, rows: list[Row], blocked: Callable[..., tuple[str, ...]]) -> None:
        values = []
        now = utcnow()
        for r in rows:
            held = bool(blocked(r.title, r.description))
            self.report.held_for_review += held
            user_id, shop_id = self.sellers[r.seller_id]
            public_lat, public_lon = geo.public_position(r.lat, r.lon)
            values.append(
                {
                    "seller_id": user_id,
                    "shop_id": shop_id,
                    "kind": r.kind,
                    "category_id": self.categories[r.category],
                    "title": r.title,
                    "description": r.description,
                    "condition": r.condition,
                    "price_cents": r.price_cents,
                    "sale_price_cents": None,
                    "sale_starts_at": None,
                    "sale_ends_at": None,
                    "negotiable": False,
                    "stock": r.stock,
                    "status": "pending" if held else "active",
                    "text_cleared_at": None if held else now,
                    "held_from": None,
                    "district": r.district,
                    "lat": r.lat,
                    "lon": r.lon,
                    "public_lat": public_lat,
                    "public_lon": public_lon,
                    "pickup": True,
                    "local_delivery_fee_cents": None,
                    "courier_fee_cents": None,
                    "low_stock_threshold": None,
                    "view_count": 0,
                    "import_key": listing_key(r.id),
                    "created_at": r.created_at,
                    "updated_at": r.created_at,
                    "published_at": r.created_at,
                    "deleted_at": None,
                }
            )
        conn.execute(insert(_listings), values)
        keys = [v["import_key"] for v in values]
        ids = dict(
            conn.execute(
                select(_listings.c.import_key, _listings.c.id).where(
                    _listings.c.import_key.in_(keys)
                )
            ).all()
        )
        shop_variants = [
            products.single_variant_values(ids[key], r.price_cents, r.stock, r.created_at)
            for key, r in zip(keys, rows, strict=True)
            if r.kind == "shop"
        ]
        if shop_variants:
            conn.execute(insert(_variants), shop_variants)
        search.index_rows(
            conn, [(ids[key], r.title, r.description) for key, r in zip(keys, rows, strict=True)]
        )
        self.report.imported += len(rows)

    # -- reading

    def rows(self, lines: Iterator[tuple[int, str]]) -> Iterator[Row]:
        for number, text_line in lines:
            if not text_line.strip():
                continue
            self.report.lines += 1
            try:
                row = parse_line(text_line, number)
            except BadLine as exc:
                self.bad(number, str(exc))
                continue
            if row.id in self.seen_ids:
                self.bad(number, f"id {row.id} repeated")
                continue
            known = self.seller_types.setdefault(row.seller_id, row.seller_type)
            if known != row.seller_type:
                self.bad(number, f"seller {row.seller_id} named with another seller_type")
                continue
            self.seen_ids.add(row.id)
            yield row

    def tick(self, fraction: float) -> None:
        if self.progress is None:
            return
        elapsed = time.perf_counter() - self.started
        done = self.report.imported + self.report.skipped_existing
        self.progress(
            Progress(
                lines=self.report.lines,
                imported=self.report.imported,
                fraction=min(1.0, fraction),
                rows_per_s=done / elapsed if elapsed > 0 else 0.0,
                elapsed_s=elapsed,
            )
        )


def import_listings(
    write: SessionFactory,
    path: str | os.PathLike,
    *,
    batch: int = DEFAULT_BATCH,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import a catalog JSON Lines file.

    Args:
        write: opens one write transaction that commits on a normal exit
            (e.g. :func:`marketplace_app.db.write_session`); called once per batch.
        path: the ``.jsonl`` file.
        batch: listings per transaction.
        progress: called after every batch.

    Returns:
        Counts of lines, imported and skipped listings, created sellers, shops
        and categories, and the bad lines with their numbers and reasons.

    Raises:
        OSError: the file cannot be read.
    """
    importer = _Importer(write, batch, progress)
    file = Path(path)
    size = file.stat().st_size or 1
    with file.open("rb") as handle:

        def lines() -> Iterator[tuple[int, str]]:
            for number, raw in enumerate(handle, start=1):
                try:
                    yield number, raw.decode("utf-8")
                except UnicodeDecodeError:
                    importer.report.lines += 1
                    importer.bad(number, "not UTF-8")

        pending: list[Row] = []
        for row in importer.rows(lines()):
            pending.append(row)
            if len(pending) >= importer.batch:
                importer.run_batch(pending)
                pending = []
                importer.tick(handle.tell() / size)
        if pending:
            importer.run_batch(pending)
            importer.tick(1.0)
    if importer.report.imported:
        with write() as session:
            search.optimize_index(session.connection())
            engine = session.get_bind()
        if engine.dialect.name == "postgresql":
            # Marks the new rows all-visible, so counts are index-only scans
            # at once instead of after autovacuum's next visit.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM listings, listing_search")
    importer.report.seconds = time.perf_counter() - importer.started
    return importer.report
