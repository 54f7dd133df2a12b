"""Shop products: variants with their own price and stock, a sale window, publishing.

A shop product is a :class:`~marketplace_app.models.Listing` of kind "shop"
(no condition) whose seller is the shop's owner. It always has at least one
:class:`~marketplace_app.models.ListingVariant` (e.g. 500 g / 1 kg); a product
without real options has a single variant with an empty label
(:func:`single_variant_values`, for paths that create products in bulk).
Whether and at what price a variant can be bought is :mod:`purchasable`'s.

Derived listing fields, kept right in the same transaction as every change:

- ``Listing.price_cents``: the lowest variant price (cards show "from").
- ``Listing.stock``: the sum of the variants' stock.
- ``Listing.sale_price_cents``: during a sale, the lowest price a buyer can
  pay (each variant's sale price, or its price when it has none); None when
  no variant has a sale price below that lowest regular price.

Sale decision: sale prices belong to variants; the sale *window*
(``sale_starts_at`` / ``sale_ends_at``, aware UTC, start before end, either
may be open) belongs to the product and applies to every variant's sale
price. There is no separate product-level sale price: a single-variant
product puts its sale price on its one variant.

Only staff of an approved shop may write (``roles.shop_ids_for`` and
``listing_access.editable_listing``). New products start as drafts;
publishing (status "active") needs at least one photo; unpublishing pauses.
Photos are handled by :mod:`marketplace_app.services.listing_images`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace_app.models import Category, Listing, ListingImage, ListingVariant, Shop
from marketplace_app.models.types import utcnow
from marketplace_app.services import blocklist, geo, listing_access, roles, sanctions, search
from marketplace_app.services.accounts import raise_if
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.listings import E_FEE_TOO_HIGH, E_PRICE_TOO_HIGH, parse_amount
from marketplace_app.settings import settings

TITLE_MIN, TITLE_MAX = 2, 80
DESCRIPTION_MAX = 4000
LABEL_MAX = 40
VARIANTS_MAX = 20
PRICE_MIN_CENTS = 1
PRICE_MAX_CENTS = 100_000_000  # 1,000,000.00
FEE_MAX_CENTS = 1_000_000  # 10,000.00
STOCK_MAX = 1_000_000
LOW_STOCK_MAX = 100_000
PRODUCTS_PAGE = 100

_INT = re.compile(r"^\d{1,9}$")
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


# --- input -------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantInput:
    """One variant row as typed (prices as text in major units, e.g. "12.50").

    Attributes:
        id: an existing variant of the product being edited; None for a new one.
    """

    label: str = ""
    price: str = ""
    sale_price: str = ""
    stock: str = "0"
    id: int | None = None


@dataclass(frozen=True)
class ProductInput:
    """A product as submitted by the editor or a CSV file.

    Attributes:
        category: a category slug.
        sale_starts: local date-time text ("2025-05-01T08:00", in the town's
            ``TIMEZONE``), an aware datetime, or "" for an open start.
        sale_ends: like ``sale_starts``; "" for no end.
        low_stock: a whole number, or "" for no low-stock warning.
        local_delivery_fee: a fee ("0" = free), or "" when not offered.
        courier_fee: like ``local_delivery_fee``.
    """

    title: str = ""
    description: str = ""
    category: str = ""
    variants: Sequence[VariantInput] = field(default_factory=list)
    sale_starts: str | datetime | None = ""
    sale_ends: str | datetime | None = ""
    low_stock: str = ""
    pickup: bool = True
    local_delivery_fee: str = ""
    courier_fee: str = ""


@dataclass(frozen=True)
class _Variant:
    id: int | None
    label: str
    price_cents: int
    sale_price_cents: int | None
    stock: int


@dataclass(frozen=True)
class _Parsed:
    title: str
    description: str
    category_id: int
    variants: list[_Variant]
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    low_stock: int | None
    pickup: bool
    local_fee: int | None
    courier_fee: int | None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def parse_int(text: str | int) -> int:
    """A non-negative whole number typed by a person (ValueError otherwise)."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(text)
        return text
    value = _text(text).replace(",", "")
    if not _INT.match(value):
        raise ValueError(text)
    return int(value)


def parse_local_time(value: str | datetime | None) -> datetime | None:
    """A date-time from a form or CSV, in the town's zone, as aware UTC.

    Args:
        value: "YYYY-MM-DDTHH:MM" (also with a space or seconds) read in
            ``settings.timezone``; an aware datetime; or ""/None.

    Returns:
        The moment in UTC, or None for empty input.

    Raises:
        ValueError: unreadable text or a naive datetime.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(ZoneInfo("UTC"))
    text = _text(value)
    if not text:
        return None
    for fmt in _LOCAL_FORMATS:
        try:
            naive = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return naive.replace(tzinfo=ZoneInfo(settings.timezone)).astimezone(ZoneInfo("UTC"))
    raise ValueError(text)


def local_time_text(moment: datetime | None) -> str:
    """An aware datetime as "YYYY-MM-DDTHH:MM" in the town's zone ("" for None)."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%dT%H:%M")


def _money_error(text: str, low: int, high: int, invalid: str) -> tuple[int | None, str | None]:
    out_of_range = "error.product_price_range" if invalid.endswith("price_invalid") else invalid
    try:
        cents = parse_amount(text, maximum=high)
    except ValueError as error:
        return None, out_of_range if str(error) in (E_PRICE_TOO_HIGH, E_FEE_TOO_HIGH) else invalid
    if cents < low:
        return None, out_of_range
    return cents, None


def _parse_variants(variants: Sequence[VariantInput], errors: dict[str, str]) -> list[_Variant]:
    if not variants:
        errors["variants"] = "error.product_variants_required"
        return []
    if len(variants) > VARIANTS_MAX:
        errors["variants"] = "error.product_variants_too_many"
        return []
    parsed: list[_Variant] = []
    seen: set[str] = set()
    for i, v in enumerate(variants):
        label = _text(v.label)
        prefix = f"variant_{i}_"
        if not label and len(variants) > 1:
            errors[prefix + "label"] = "error.product_label_required"
        elif len(label) > LABEL_MAX:
            errors[prefix + "label"] = "error.too_long"
        elif label.casefold() in seen:
            errors[prefix + "label"] = "error.product_label_duplicate"
        seen.add(label.casefold())
        price, problem = _money_error(
            v.price, PRICE_MIN_CENTS, PRICE_MAX_CENTS, "error.product_price_invalid"
        )
        if problem:
            errors[prefix + "price"] = problem
        sale = None
        if _text(v.sale_price):
            sale, problem = _money_error(
                v.sale_price, PRICE_MIN_CENTS, PRICE_MAX_CENTS, "error.product_price_invalid"
            )
            if problem:
                errors[prefix + "sale_price"] = problem
            elif price is not None and sale >= price:
                errors[prefix + "sale_price"] = "error.product_sale_not_lower"
        try:
            stock = parse_int(v.stock if v.stock not in (None, "") else "0")
            if stock > STOCK_MAX:
                raise ValueError(stock)
        except ValueError:
            errors[prefix + "stock"] = "error.product_stock_invalid"
            stock = 0
        variant_id = v.id if isinstance(v.id, int) and not isinstance(v.id, bool) else None
        parsed.append(_Variant(variant_id, label, price or 0, sale, stock))
    return parsed


def _fee(text: str, name: str, errors: dict[str, str]) -> int | None:
    if not _text(text):
        return None
    cents, problem = _money_error(text, 0, FEE_MAX_CENTS, "error.product_fee_invalid")
    if problem:
        errors[name] = problem
    return cents


def _parse(
    session: Session, data: ProductInput, categories: Mapping[str, int] | None = None
) -> _Parsed:
    """Check every field; raise one ValidationFailed naming each bad one.

    ``categories`` (slug -> id) saves a query per product when checking many.
    """
    errors: dict[str, str] = {}
    title = _text(data.title)
    description = _text(data.description)
    if not title:
        errors["title"] = "error.required"
    elif len(title) < TITLE_MIN or len(title) > TITLE_MAX:
        errors["title"] = "error.product_title_length"
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = "error.too_long"
    slug = _text(data.category)
    lookup = categories if categories is not None else {slug: category_id_for(session, slug)}
    category_id = lookup.get(slug)
    if category_id is None:
        errors["category"] = "error.product_category"
    variants = _parse_variants(list(data.variants or []), errors)
    starts = ends = None
    try:
        starts = parse_local_time(data.sale_starts)
    except ValueError:
        errors["sale_starts"] = "error.product_date_invalid"
    try:
        ends = parse_local_time(data.sale_ends)
    except ValueError:
        errors["sale_ends"] = "error.product_date_invalid"
    if starts and ends and starts >= ends:
        errors["sale_ends"] = "error.product_sale_window"
    if (starts or ends) and not any(v.sale_price_cents is not None for v in variants):
        errors.setdefault("sale_starts", "error.product_sale_no_price")
    low_stock = None
    if _text(data.low_stock):
        try:
            low_stock = parse_int(data.low_stock)
            if low_stock > LOW_STOCK_MAX:
                raise ValueError(low_stock)
        except ValueError:
            errors["low_stock"] = "error.product_low_stock_invalid"
    local_fee = _fee(data.local_delivery_fee, "local_delivery_fee", errors)
    courier_fee = _fee(data.courier_fee, "courier_fee", errors)
    pickup = bool(data.pickup)
    if (
        not pickup
        and local_fee is None
        and courier_fee is None
        and "local_delivery_fee" not in errors
    ):
        errors["delivery"] = "error.product_delivery_required"
    raise_if(errors)
    return _Parsed(
        title,
        description,
        category_id,
        variants,
        starts,
        ends,
        low_stock,
        pickup,
        local_fee,
        courier_fee,
    )


def validate(
    session: Session, data: ProductInput, categories: Mapping[str, int] | None = None
) -> None:
    """Check a product without saving it.

    Args:
        session: any session.
        data: the product.
        categories: optional slug -> id map from :func:`category_ids`.

    Raises:
        ValidationFailed: per field, exactly as :func:`save_product` would.
    """
    _parse(session, data, categories)


def category_ids(session: Session) -> dict[str, int]:
    """Every category's slug -> id."""
    return dict(session.exec(select(Category.slug, Category.id)).all())


def category_id_for(session: Session, slug: str) -> int | None:
    """The id of the category with this slug (None for an unknown one)."""
    if not slug or len(slug) > 40:
        return None
    return session.exec(select(Category.id).where(Category.slug == slug)).first()


# --- access --------------------------------------------------------------------------


def staff_shop(session: Session, actor_id: int, shop_id: int) -> Shop:
    """The shop, when the actor is its staff and it is approved.

    Raises:
        NotFound: otherwise (a pending shop's owner included).
    """
    if not isinstance(shop_id, int) or shop_id not in roles.shop_ids_for(session, actor_id):
        raise NotFound()
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound()
    return shop


def _product(session: Session, actor_id: int, product_id: int) -> Listing:
    listing = listing_access.editable_listing(session, actor_id, product_id)
    if listing.kind != "shop" or listing.shop_id is None:
        raise NotFound()
    return listing


def _variants(session: Session, listing_id: int) -> list[ListingVariant]:
    return list(
        session.exec(
            select(ListingVariant)
            .where(ListingVariant.listing_id == listing_id)
            .order_by(col(ListingVariant.position), col(ListingVariant.id))
        ).all()
    )


# --- derived fields ------------------------------------------------------------------


def derive(listing: Listing, variants: Sequence[ListingVariant | _Variant]) -> None:
    """Set the listing's price, sale price and stock from its variants."""
    prices = [v.price_cents for v in variants]
    listing.price_cents = min(prices) if prices else 0
    listing.stock = sum(v.stock for v in variants)
    if any(v.sale_price_cents is not None for v in variants):
        lowest = min(
            v.sale_price_cents if v.sale_price_cents is not None else v.price_cents
            for v in variants
        )
        listing.sale_price_cents = lowest if lowest < listing.price_cents else None
    else:
        listing.sale_price_cents = None


def single_variant_values(
    listing_id: int,
    price_cents: int,
    stock: int,
    created_at: datetime,
    sale_price_cents: int | None = None,
) -> dict[str, object]:
    """The one unlabelled variant of a product without options, as column values.

    Every path that creates a shop product without naming variants (the
    catalog importer, the demo town) gives it this variant, so that every
    product sells through a variant (see :mod:`purchasable`).

    Args:
        listing_id: the product.
        price_cents: its price.
        stock: its stock.
        created_at: when the product was created.
        sale_price_cents: its price during the product's sale window, if any.

    Returns:
        ``listing_variants`` column values (for a Core insert or ``ListingVariant(**...)``).
    """
    return {
        "listing_id": listing_id,
        "label": "",
        "price_cents": price_cents,
        "sale_price_cents": sale_price_cents,
        "stock": stock,
        "position": 0,
        "created_at": created_at,
    }


def _recount_stock(session: Session, listing: Listing) -> None:
    total = session.exec(
        select(func.coalesce(func.sum(ListingVariant.stock), 0)).where(
            ListingVariant.listing_id == listing.id
        )
    ).one()
    listing.stock = int(total)


# --- writes --------------------------------------------------------------------------


def _sync_variants(session: Session, pairs: Sequence[tuple[Listing, list[_Variant]]]) -> None:
    """Make each listing's variants exactly its wanted ones (matched by id, else new).

    Two flushes in all, however many listings.
    """
    ids = [listing.id for listing, _ in pairs]
    current: dict[int, dict[int, ListingVariant]] = {i: {} for i in ids}
    for v in session.exec(
        select(ListingVariant).where(col(ListingVariant.listing_id).in_(ids))
    ).all():
        current[v.listing_id][v.id] = v
    kept: dict[int, set[int]] = {}
    for listing, wanted in pairs:
        rows = current[listing.id]
        keep = kept[listing.id] = {v.id for v in wanted if v.id in rows}
        for variant_id, variant in rows.items():
            if variant_id in keep:
                # Park kept labels first: swapping two labels never trips UNIQUE(listing, label).
                variant.label = f"~parked~{variant_id}"
                session.add(variant)
            else:
                session.delete(variant)
    session.flush()
    for listing, wanted in pairs:
        rows, keep = current[listing.id], kept[listing.id]
        for position, v in enumerate(wanted):
            row = rows[v.id] if v.id in keep else None
            if row is None:
                row = ListingVariant(listing_id=listing.id, label=v.label, price_cents=0)
            row.label = v.label
            row.price_cents = v.price_cents
            row.sale_price_cents = v.sale_price_cents
            row.stock = v.stock
            row.position = position
            session.add(row)
    session.flush()


def _new_listing(shop: Shop, title: str, now: datetime) -> Listing:
    return Listing(
        seller_id=shop.owner_id,
        shop_id=shop.id,
        kind="shop",
        title=title,
        price_cents=0,
        status="draft",
        created_at=now,
    )


def _apply(listing: Listing, shop: Shop, parsed: _Parsed, now: datetime) -> None:
    """Copy the checked fields onto the listing, with its place and derived fields."""
    listing.title = parsed.title
    listing.description = parsed.description
    listing.category_id = parsed.category_id
    listing.condition = None
    listing.negotiable = False
    listing.sale_starts_at = parsed.sale_starts_at
    listing.sale_ends_at = parsed.sale_ends_at
    listing.low_stock_threshold = parsed.low_stock
    listing.pickup = parsed.pickup
    listing.local_delivery_fee_cents = parsed.local_fee
    listing.courier_fee_cents = parsed.courier_fee
    listing.district = shop.district
    lat, lon = (shop.lat, shop.lon)
    if (lat is None or lon is None) and shop.district in geo.DISTRICTS:
        lat, lon = geo.district_centre(shop.district)
    listing.lat, listing.lon = lat, lon
    listing.public_lat, listing.public_lon = (
        geo.public_position(lat, lon) if lat is not None and lon is not None else (None, None)
    )
    listing.updated_at = now
    derive(listing, parsed.variants)


def _add_variants(session: Session, listing: Listing, wanted: list[_Variant]) -> None:
    """Variants of a brand-new listing (nothing to match or delete)."""
    session.add_all(
        ListingVariant(
            listing_id=listing.id,
            label=v.label,
            price_cents=v.price_cents,
            sale_price_cents=v.sale_price_cents,
            stock=v.stock,
            position=position,
        )
        for position, v in enumerate(wanted)
    )


def save_product(
    session: Session,
    actor_id: int,
    shop_id: int,
    product_id: int | None,
    data: ProductInput,
) -> Listing:
    """Create a product (as a draft) or update one of the shop's products.

    Args:
        session: a write session.
        actor_id: the caller (staff of the approved shop).
        shop_id: the shop.
        product_id: the product to edit, or None for a new one.
        data: the whole product; its variants replace the current ones
            (rows with the id of a current variant update it, others are new,
            current variants left out are deleted).

    Returns:
        The saved listing with its derived price, sale price and stock.

    Raises:
        NotFound: not staff of this approved shop, or not this shop's product.
        ValidationFailed: per field (``title``, ``description``, ``category``,
            ``variants``, ``variant_<i>_label|price|sale_price|stock``,
            ``sale_starts``, ``sale_ends``, ``low_stock``,
            ``local_delivery_fee``, ``courier_fee``, ``delivery``).
    """
    shop = staff_shop(session, actor_id, shop_id)
    listing = None
    if product_id is not None:
        listing = _product(session, actor_id, product_id)
        if listing.shop_id != shop.id:
            raise NotFound()
    parsed = _parse(session, data)
    now = utcnow()
    is_new = listing is None
    listing = listing or _new_listing(shop, parsed.title, now)
    before = (listing.title, listing.description)
    _apply(listing, shop, parsed, now)
    blocklist.words_edited(session, listing, before)
    session.add(listing)
    session.flush()
    if is_new:
        _add_variants(session, listing, parsed.variants)
        session.flush()
    else:
        _sync_variants(session, [(listing, parsed.variants)])
    search.reindex_listing(session, listing.id)
    return listing


def save_products(
    session: Session,
    actor_id: int,
    shop_id: int,
    items: Sequence[tuple[int | None, ProductInput]],
) -> list[Listing]:
    """Save many products of one shop at once (the CSV import), all or none.

    Like :func:`save_product` for each item, with the staff check and the
    category lookup done once and two flushes in all for new products. The
    search index follows through its flush hook (title and description of
    new and changed listings).

    Args:
        session: a write session.
        actor_id: the caller (staff of the approved shop).
        shop_id: the shop.
        items: (product id or None for a new product, its input), in order.

    Returns:
        The saved listings, in the order of ``items``.

    Raises:
        NotFound: not staff of this shop, or an id that is not one of its live products.
        ValidationFailed: the first item with a problem, as :func:`save_product`.
    """
    shop = staff_shop(session, actor_id, shop_id)
    categories = category_ids(session)
    checked = [(product_id, _parse(session, data, categories)) for product_id, data in items]
    wanted_ids = [product_id for product_id, _ in checked if product_id is not None]
    existing: dict[int, Listing] = {}
    if wanted_ids:
        rows = session.exec(select(Listing).where(col(Listing.id).in_(wanted_ids))).all()
        existing = {row.id: row for row in rows}
    now = utcnow()
    listings: list[Listing] = []
    for product_id, parsed in checked:
        listing = existing.get(product_id) if product_id is not None else None
        if product_id is not None and (
            listing is None
            or listing.shop_id != shop.id
            or listing.kind != "shop"
            or listing.status == "removed"
        ):
            raise NotFound()
        listing = listing or _new_listing(shop, parsed.title, now)
        before = (listing.title, listing.description)
        _apply(listing, shop, parsed, now)
        blocklist.words_edited(session, listing, before)
        session.add(listing)
        listings.append(listing)
    session.flush()
    updates = []
    for listing, (product_id, parsed) in zip(listings, checked, strict=True):
        if product_id is None:
            _add_variants(session, listing, parsed.variants)
        else:
            updates.append((listing, parsed.variants))
    if updates:
        _sync_variants(session, updates)
    session.flush()
    return listings


def image_count(session: Session, listing_id: int) -> int:
    """How many photos a listing has."""
    return session.exec(
        select(func.count()).select_from(ListingImage).where(ListingImage.listing_id == listing_id)
    ).one()


def set_published(session: Session, actor_id: int, product_id: int, published: bool) -> Listing:
    """Publish (status "active") or unpublish (status "paused") a product.

    Args:
        session: a write session.
        actor_id: the caller (staff of the product's approved shop).
        product_id: the product.
        published: True to publish, False to unpublish.

    Returns:
        The listing.

    Raises:
        NotFound: not a product the actor may edit.
        ValidationFailed: ``photos`` ``error.product_photo_required`` when
            publishing a product without photos.
        Restricted: publishing while the actor is suspended or banned.

    A product whose text matches the blocklist waits for review (status "pending").
    """
    listing = _product(session, actor_id, product_id)
    now = utcnow()
    if published:
        if listing.status in ("active", "pending"):
            return listing
        sanctions.require_good_standing(session, actor_id)
        if image_count(session, listing.id) == 0:
            raise ValidationFailed({"photos": "error.product_photo_required"})
        if listing.category_id is None or not _variants(session, listing.id):
            raise ValidationFailed({"_form": "error.product_incomplete"})
        listing.published_at = listing.published_at or now
        blocklist.go_live(session, listing)
    else:
        if listing.status != "active":
            return listing
        listing.status = "paused"
    listing.updated_at = now
    session.add(listing)
    session.flush()
    search.reindex_listing(session, listing.id)
    return listing


def set_stock(
    session: Session, actor_id: int, product_id: int, variant_id: int, stock: int | str
) -> None:
    """Set one variant's stock; the product's total follows in the same transaction.

    Args:
        session: a write session.
        actor_id: the caller (staff of the product's approved shop).
        product_id: the product.
        variant_id: one of its variants (0 for a product without variant rows).
        stock: the new count (0-1,000,000).

    Raises:
        NotFound: not a product the actor may edit, or not its variant.
        ValidationFailed: ``stock`` ``error.product_stock_invalid``.
    """
    listing = _product(session, actor_id, product_id)
    if not isinstance(variant_id, int) or isinstance(variant_id, bool):
        raise NotFound()
    try:
        value = parse_int(stock)
        if value > STOCK_MAX:
            raise ValueError(value)
    except ValueError:
        raise ValidationFailed({"stock": "error.product_stock_invalid"}) from None
    if variant_id == 0 and not _variants(session, listing.id):
        listing.stock = value  # a product without variant rows: its one implicit variant
    else:
        result = session.exec(
            update(ListingVariant)
            .where(ListingVariant.id == variant_id, ListingVariant.listing_id == listing.id)
            .values(stock=value)
        )
        if result.rowcount != 1:
            raise NotFound()
        _recount_stock(session, listing)
    listing.updated_at = utcnow()
    session.add(listing)
    session.flush()
    search.reindex_listing(session, listing.id)


# --- reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VariantRow:
    """One variant as the shop sees it (and the listing page offers it)."""

    id: int
    label: str
    price_cents: int
    sale_price_cents: int | None
    stock: int
    low: bool = False


@dataclass(frozen=True)
class ProductRow:
    """One product in the shop's table."""

    id: int
    title: str
    status: str
    price_cents: int
    stock: int
    low_stock_threshold: int | None
    low_stock: bool
    variants: list[VariantRow]
    cover_key: str | None
    photos: int
    updated_at: datetime


@dataclass(frozen=True)
class ProductDetail:
    """A product as the editor loads it."""

    id: int
    shop_id: int
    title: str
    description: str
    category: str
    status: str
    variants: list[VariantRow]
    sale_starts_at: datetime | None
    sale_ends_at: datetime | None
    low_stock_threshold: int | None
    pickup: bool
    local_delivery_fee_cents: int | None
    courier_fee_cents: int | None
    photos: int


def _is_low(stock: int, threshold: int | None) -> bool:
    return threshold is not None and stock <= threshold


def _variant_rows(listing: Listing, variants: Sequence[ListingVariant]) -> list[VariantRow]:
    """The variants as rows.

    A product without variant rows (demo data, the JSONL importer) shows as one
    unnamed variant with id 0 holding the listing's price and stock.
    """
    threshold = listing.low_stock_threshold
    if not variants:
        return [
            VariantRow(
                0,
                "",
                listing.price_cents,
                listing.sale_price_cents,
                listing.stock,
                _is_low(listing.stock, threshold),
            )
        ]
    return [
        VariantRow(
            v.id,
            v.label,
            v.price_cents,
            v.sale_price_cents,
            v.stock,
            _is_low(v.stock, threshold),
        )
        for v in variants
    ]


def shop_products(
    session: Session,
    actor_id: int,
    shop_id: int,
    *,
    limit: int = PRODUCTS_PAGE,
    offset: int = 0,
) -> list[ProductRow]:
    """The shop's products (all but removed ones), recently changed first.

    A product is "low on stock" when any variant's stock is at or below the
    product's low-stock threshold (products without a threshold never are).

    Args:
        session: any session.
        actor_id: the caller (staff of the approved shop).
        shop_id: the shop.
        limit: page size (1-200).
        offset: rows to skip.

    Returns:
        Product rows with their variants.

    Raises:
        NotFound: not staff of this approved shop.
    """
    shop = staff_shop(session, actor_id, shop_id)
    listings = session.exec(
        select(Listing)
        .where(Listing.shop_id == shop.id, Listing.status != "removed")
        .order_by(col(Listing.updated_at).desc(), col(Listing.id).desc())
        .limit(max(1, min(limit, 200)))
        .offset(max(0, offset))
    ).all()
    ids = [listing.id for listing in listings]
    by_listing: dict[int, list[ListingVariant]] = {i: [] for i in ids}
    covers: dict[int, str] = {}
    photos: dict[int, int] = {}
    if ids:
        for v in session.exec(
            select(ListingVariant)
            .where(col(ListingVariant.listing_id).in_(ids))
            .order_by(col(ListingVariant.position), col(ListingVariant.id))
        ).all():
            by_listing[v.listing_id].append(v)
        for img in session.exec(
            select(ListingImage)
            .where(col(ListingImage.listing_id).in_(ids))
            .order_by(col(ListingImage.position))
        ).all():
            covers.setdefault(img.listing_id, img.storage_key)
            photos[img.listing_id] = photos.get(img.listing_id, 0) + 1
    rows = []
    for listing in listings:
        variants = _variant_rows(listing, by_listing[listing.id])
        rows.append(
            ProductRow(
                id=listing.id,
                title=listing.title,
                status=listing.status,
                price_cents=listing.price_cents,
                stock=listing.stock,
                low_stock_threshold=listing.low_stock_threshold,
                low_stock=any(v.low for v in variants),
                variants=variants,
                cover_key=covers.get(listing.id),
                photos=photos.get(listing.id, 0),
                updated_at=listing.updated_at,
            )
        )
    return rows


def _detail(
    listing: Listing, slug: str, variants: Sequence[ListingVariant], photos: int
) -> ProductDetail:
    return ProductDetail(
        id=listing.id,
        shop_id=listing.shop_id,
        title=listing.title,
        description=listing.description,
        category=slug,
        status=listing.status,
        variants=_variant_rows(listing, variants),
        sale_starts_at=listing.sale_starts_at,
        sale_ends_at=listing.sale_ends_at,
        low_stock_threshold=listing.low_stock_threshold,
        pickup=listing.pickup,
        local_delivery_fee_cents=listing.local_delivery_fee_cents,
        courier_fee_cents=listing.courier_fee_cents,
        photos=photos,
    )


def product_detail(session: Session, actor_id: int, product_id: int) -> ProductDetail:
    """A product for the editor.

    Raises:
        NotFound: not a product the actor may edit.
    """
    listing = _product(session, actor_id, product_id)
    category = session.get(Category, listing.category_id) if listing.category_id else None
    return _detail(
        listing,
        category.slug if category else "",
        _variants(session, listing.id),
        image_count(session, listing.id),
    )


def product_details(
    session: Session, actor_id: int, shop_id: int, product_ids: Sequence[int]
) -> dict[int, ProductDetail]:
    """Several of a shop's products at once (a handful of queries in all).

    Args:
        session: any session.
        actor_id: the caller (staff of the approved shop).
        shop_id: the shop.
        product_ids: ids of its products; others are left out of the answer.

    Returns:
        id -> detail (``photos`` is not counted here and reads 0).

    Raises:
        NotFound: not staff of this approved shop.
    """
    shop = staff_shop(session, actor_id, shop_id)
    ids = [i for i in dict.fromkeys(product_ids) if isinstance(i, int)]
    if not ids:
        return {}
    listings = session.exec(
        select(Listing).where(
            col(Listing.id).in_(ids),
            Listing.shop_id == shop.id,
            Listing.kind == "shop",
            Listing.status != "removed",
        )
    ).all()
    slugs = {v: k for k, v in category_ids(session).items()}
    by_listing: dict[int, list[ListingVariant]] = {listing.id: [] for listing in listings}
    for v in session.exec(
        select(ListingVariant)
        .where(col(ListingVariant.listing_id).in_(list(by_listing)))
        .order_by(col(ListingVariant.position), col(ListingVariant.id))
    ).all():
        by_listing[v.listing_id].append(v)
    return {
        listing.id: _detail(listing, slugs.get(listing.category_id, ""), by_listing[listing.id], 0)
        for listing in listings
    }
