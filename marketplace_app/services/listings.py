"""A resident's listings: drafts, publishing, editing and the listing lifecycle.

A listing starts as a draft (``start_draft``) so that photos and typed text
live in the database from the first save or upload. ``save`` stores the form:
lightly checked for a draft (only what could not be stored: lengths and
malformed numbers), fully checked when publishing or when the listing is
already live. Every write goes through :func:`listing_access.editable_listing`:
another seller's listing answers "not found" like an absent one.

Lifecycle (``set_status``)::

    draft  --publish (save)--> active <--pause/unpause--> paused
    (publish and unpause may hold it for review instead: pending --approve--> active)
    active, paused --mark_sold--> sold
    any --delete--> removed (soft; a never-published draft is deleted outright)

The exact pickup spot (``lat``/``lon``) is the centre of the chosen district and
never leaves the server; the public position is that rounded to ~200 m.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from marketplace_app.models import (
    CartLine,
    Category,
    Favorite,
    Listing,
    ListingImage,
    RecentView,
)
from marketplace_app.models.catalog import CONDITIONS
from marketplace_app.models.types import utcnow
from marketplace_app.services import blocklist, geo, listing_images, sanctions, search
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.listing_access import editable_listing

TITLE_MIN, TITLE_MAX = 3, 80
DESCRIPTION_MAX = 4000
MAX_PRICE_CENTS = 100_000_000  # 1,000,000.00
MAX_FEE_CENTS = 1_000_000  # 10,000.00
MY_PAGE_MAX = 100
MY_TABS = ("active", "draft", "paused", "sold")

ACTIONS = ("pause", "unpause", "mark_sold", "delete")
# action -> (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "pause": (("active",), "paused"),
    "unpause": (("paused",), "active"),
    "mark_sold": (("active", "paused"), "sold"),
    "delete": (("draft", "pending", "active", "paused", "sold"), "removed"),
}

E_REQUIRED = "error.required"
E_TITLE_SHORT = "sell.error.title_short"
E_TITLE_LONG = "sell.error.title_long"
E_DESCRIPTION_LONG = "sell.error.description_long"
E_CATEGORY = "sell.error.category"
E_CONDITION = "sell.error.condition"
E_DISTRICT = "sell.error.district"
E_PRICE_REQUIRED = "sell.error.price_required"
E_PRICE_FORMAT = "sell.error.price_format"
E_PRICE_NEGATIVE = "sell.error.price_negative"
E_PRICE_DECIMALS = "sell.error.price_decimals"
E_PRICE_TOO_HIGH = "sell.error.price_too_high"
E_FEE_TOO_HIGH = "sell.error.fee_too_high"
E_PHOTOS_REQUIRED = "sell.error.photos_required"
E_DELIVERY_REQUIRED = "sell.error.delivery_required"
E_ILLEGAL_ACTION = "sell.error.illegal_action"

# Optional sign, digits with an optional fraction, nothing else (no "1e3", no "1,000").
_AMOUNT_RE = re.compile(r"[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d*)?|\.\d+)")


@dataclass(frozen=True)
class ListingInput:
    """The sell form as typed (every value untrusted).

    Attributes:
        title: 3-80 characters when published.
        description: at most 4000 characters.
        category: a category slug.
        condition: one of ``CONDITIONS``.
        price: the price as typed, e.g. ``"12.5"``; ignored when ``free``.
        free: give the item away (price 0).
        negotiable: the price is open to offers.
        district: one of :data:`geo.DISTRICTS` (the pickup area).
        pickup: the buyer may pick it up.
        local_delivery: the seller delivers in town, for ``local_fee``.
        local_fee: the local delivery fee as typed ("" = no fee).
        courier: the seller sends it by courier, for ``courier_fee``.
        courier_fee: the courier fee as typed ("" = no fee).
    """

    title: str = ""
    description: str = ""
    category: str = ""
    condition: str = ""
    price: str = ""
    free: bool = False
    negotiable: bool = False
    district: str = ""
    pickup: bool = True
    local_delivery: bool = False
    local_fee: str = ""
    courier: bool = False
    courier_fee: str = ""

    def cleaned(self) -> ListingInput:
        """Strings stripped (non-strings become ""), flags made real booleans."""
        values: dict[str, object] = {}
        for f in fields(self):
            raw = getattr(self, f.name)
            if isinstance(f.default, bool):
                values[f.name] = raw is True
            else:
                values[f.name] = raw.strip() if isinstance(raw, str) else ""
        return replace(self, **values)


@dataclass(frozen=True)
class MyListing:
    """One row of the seller's own listings page (prices in minor units)."""

    id: int
    title: str
    price_cents: int
    status: str
    cover_key: str | None
    view_count: int
    updated_at: datetime
    published_at: datetime | None


def parse_amount(text: str, *, maximum: int = MAX_PRICE_CENTS) -> int:
    """Parse a typed money amount into minor units, exactly (Decimal, never float).

    The one money parser: sell form, product editor and product CSV all use it.

    Args:
        text: e.g. ``"12"``, ``"12.5"``, ``"12.50"``, ``"0"``, ``"1,234.50"``,
            ``"¥8"`` (a leading yuan sign and thousands commas are allowed).
        maximum: the largest accepted amount in minor units.

    Returns:
        The amount in cents.

    Raises:
        ValueError: with an i18n key as its message (format, negative,
            decimals or too high).
    """
    text = (text or "").strip().lstrip("¥￥").strip() if isinstance(text, str) else ""
    if not _AMOUNT_RE.fullmatch(text):
        raise ValueError(E_PRICE_FORMAT)
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover (the pattern admits only valid decimals)
        raise ValueError(E_PRICE_FORMAT) from None
    if amount < 0:
        raise ValueError(E_PRICE_NEGATIVE)
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(E_PRICE_DECIMALS)
    if cents > maximum:
        raise ValueError(E_PRICE_TOO_HIGH if maximum == MAX_PRICE_CENTS else E_FEE_TOO_HIGH)
    return int(cents)


def format_amount(cents: int | None) -> str:
    """Minor units back to what a seller types (``1250`` -> ``"12.50"``, ``1200`` -> ``"12"``)."""
    if cents is None:
        return ""
    whole, frac = divmod(int(cents), 100)
    return f"{whole}.{frac:02d}" if frac else str(whole)


def _category_id(session: Session, slug: str) -> int | None:
    if not slug:
        return None
    return session.exec(select(Category.id).where(Category.slug == slug[:40])).first()


@dataclass
class _Checked:
    """The form turned into column values, with every problem found."""

    errors: dict[str, str]
    category_id: int | None = None
    condition: str | None = None
    district: str = ""
    price_cents: int = 0
    local_fee_cents: int | None = None
    courier_fee_cents: int | None = None


def _amount(raw: str, field: str, errors: dict[str, str], maximum: int) -> int | None:
    if not raw:
        return None
    try:
        return parse_amount(raw, maximum=maximum)
    except ValueError as problem:
        errors[field] = str(problem)
        return None


def _check(session: Session, data: ListingInput, *, full: bool, has_photos: bool) -> _Checked:
    """Check the form: always what could not be stored, with ``full`` everything."""
    errors: dict[str, str] = {}
    out = _Checked(errors=errors)

    if len(data.title) > TITLE_MAX:
        errors["title"] = E_TITLE_LONG
    elif full and not data.title:
        errors["title"] = E_REQUIRED
    elif full and len(data.title) < TITLE_MIN:
        errors["title"] = E_TITLE_SHORT
    if len(data.description) > DESCRIPTION_MAX:
        errors["description"] = E_DESCRIPTION_LONG

    out.category_id = _category_id(session, data.category)
    if full and out.category_id is None:
        errors["category"] = E_CATEGORY
    out.condition = data.condition if data.condition in CONDITIONS else None
    if full and out.condition is None:
        errors["condition"] = E_CONDITION
    out.district = data.district if data.district in geo.DISTRICTS else ""
    if full and not out.district:
        errors["district"] = E_DISTRICT

    if data.free:
        out.price_cents = 0
    else:
        price = _amount(data.price, "price", errors, MAX_PRICE_CENTS)
        if price is not None:
            out.price_cents = price
        elif full and "price" not in errors:
            errors["price"] = E_PRICE_REQUIRED
    if data.local_delivery:
        out.local_fee_cents = _amount(data.local_fee, "local_fee", errors, MAX_FEE_CENTS) or 0
    if data.courier:
        out.courier_fee_cents = _amount(data.courier_fee, "courier_fee", errors, MAX_FEE_CENTS) or 0

    if full and not (data.pickup or data.local_delivery or data.courier):
        errors["delivery"] = E_DELIVERY_REQUIRED
    if full and not has_photos:
        errors["photos"] = E_PHOTOS_REQUIRED
    return out


def _resident_listing(session: Session, seller_id: int, listing_id: int) -> Listing:
    """A resident listing the caller may edit (shop products are the shops' forms)."""
    listing = editable_listing(session, seller_id, listing_id)
    if listing.shop_id is not None or listing.kind != "secondhand":
        raise NotFound()
    return listing


def _reindex(session: Session, listing_id: int) -> None:
    session.flush()
    search.reindex_listing(session, listing_id)


def start_draft(session: Session, seller_id: int) -> Listing:
    """Create an empty draft for a resident seller.

    Args:
        session: database session (write).
        seller_id: the caller's user id.

    Returns:
        The new draft (kind "secondhand", status "draft", stock 1).
    """
    now = utcnow()
    listing = Listing(
        seller_id=seller_id,
        kind="secondhand",
        title="",
        price_cents=0,
        stock=1,
        status="draft",
        created_at=now,
        updated_at=now,
    )
    session.add(listing)
    session.flush()
    _reindex(session, listing.id)
    return listing


def save(
    session: Session, seller_id: int, listing_id: int, data: ListingInput, *, publish: bool
) -> Listing:
    """Store the sell form on one of the caller's resident listings.

    A draft saved without ``publish`` is checked lightly (lengths and malformed
    numbers only) and stays a draft. Publishing a draft, or saving a listing
    that is already live (active, paused or sold: its status is kept), checks
    everything: title 3-80, description at most 4000, an existing category, a
    condition, a district, a price or "free", at least one photo, at least one
    delivery option, valid fees.

    Args:
        session: database session (write).
        seller_id: the caller's user id.
        listing_id: the listing to save.
        data: the form.
        publish: publish a draft (ignored for listings already live).

    Returns:
        The saved listing.

    Raises:
        NotFound: absent, removed, a shop product, or not the caller's.
        ValidationFailed: every field problem at once (nothing is saved).
        Restricted: publishing or editing a live listing while suspended or banned.

    A published listing whose text matches the blocklist, or an active,
    paused or sold one whose edited text now does, is held with status
    "pending" until an operator approves it
    (:mod:`~marketplace_app.services.blocklist`).
    """
    listing = _resident_listing(session, seller_id, listing_id)
    data = data.cleaned() if isinstance(data, ListingInput) else ListingInput()
    full = publish or listing.status != "draft"
    if full:
        sanctions.require_good_standing(session, seller_id)
    has_photos = (
        session.exec(
            select(func.count())
            .select_from(ListingImage)
            .where(ListingImage.listing_id == listing.id)
        ).one()
        > 0
    )
    checked = _check(session, data, full=full, has_photos=has_photos)
    if checked.errors:
        raise ValidationFailed(checked.errors)

    now = utcnow()
    before = (listing.title, listing.description)
    listing.title = data.title
    listing.description = data.description
    listing.category_id = checked.category_id
    listing.condition = checked.condition
    listing.price_cents = checked.price_cents
    listing.negotiable = data.negotiable and not data.free
    listing.district = checked.district
    if checked.district:
        listing.lat, listing.lon = geo.district_centre(checked.district)
        listing.public_lat, listing.public_lon = geo.public_position(listing.lat, listing.lon)
    else:
        listing.lat = listing.lon = listing.public_lat = listing.public_lon = None
    listing.pickup = data.pickup
    listing.local_delivery_fee_cents = checked.local_fee_cents
    listing.courier_fee_cents = checked.courier_fee_cents
    blocklist.words_edited(session, listing, before)
    if publish and listing.status == "draft":
        listing.published_at = listing.published_at or now
        # A fresh listing sorts as new from the moment it is published.
        listing.created_at = now
        blocklist.go_live(session, listing)
    listing.updated_at = now
    session.add(listing)
    _reindex(session, listing.id)
    return listing


def set_status(session: Session, seller_id: int, listing_id: int, action: str) -> Listing:
    """Pause, unpause, mark sold or delete a listing the caller may edit.

    Works for any listing :func:`listing_access.can_edit` allows (resident
    items and shop products). Delete is soft (status "removed", ``deleted_at``);
    a draft, never published, is deleted outright with its photos. Unpausing
    asks :func:`blocklist.go_live`: a listing whose words contain a term added
    since they were cleared waits for review ("pending") instead.

    Args:
        session: database session (write).
        seller_id: the caller's user id.
        listing_id: the listing.
        action: "pause", "unpause", "mark_sold" or "delete".

    Returns:
        The listing after the change.

    Raises:
        NotFound: absent, removed or not the caller's.
        Restricted: unpausing while suspended or banned.
        ValidationFailed: ``{"_form": "sell.error.illegal_action"}`` for an
            unknown action or one the listing's status does not allow.
    """
    listing = editable_listing(session, seller_id, listing_id)
    allowed = TRANSITIONS.get(action) if isinstance(action, str) else None
    if allowed is None or listing.status not in allowed[0]:
        raise ValidationFailed({"_form": E_ILLEGAL_ACTION})
    if action == "unpause":
        sanctions.require_good_standing(session, seller_id)
    now = utcnow()
    if (
        action == "delete"
        and listing.status == "draft"
        and listing.published_at is None
        and listing.shop_id is None
    ):
        _purge_draft(session, listing)
        _reindex(session, listing_id)
        return listing
    if action == "unpause":
        blocklist.go_live(session, listing)
    else:
        listing.status = allowed[1]
    if action == "delete":
        listing.deleted_at = now
    listing.updated_at = now
    session.add(listing)
    _reindex(session, listing.id)
    return listing


def _purge_draft(session: Session, listing: Listing) -> None:
    """Delete a never-published draft, its photos (files after commit) and stray rows."""
    listing_images.forget_all(session, listing.id)
    for table in (Favorite, RecentView, CartLine):
        session.exec(delete(table).where(col(table.listing_id) == listing.id))
    session.delete(listing)


def my_listings(
    session: Session,
    seller_id: int,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[MyListing]:
    """The caller's own resident listings, most recently changed first.

    Args:
        session: database session.
        seller_id: the caller's user id.
        status: one of ``MY_TABS`` to keep one status; None for all but those the
            seller deleted (held ones and ones the operators removed included).
        limit: page size (capped at ``MY_PAGE_MAX``).
        offset: rows to skip.

    Returns:
        The rows, with each listing's cover photo key.
    """
    cover = (
        select(ListingImage.listing_id, func.min(ListingImage.position).label("pos"))
        .group_by(ListingImage.listing_id)
        .subquery()
    )
    conditions = [Listing.seller_id == seller_id, col(Listing.shop_id).is_(None)]
    if status in MY_TABS:
        conditions.append(Listing.status == status)
    else:
        conditions.append(or_(Listing.status != "removed", col(Listing.deleted_at).is_(None)))
    stmt = (
        select(Listing, ListingImage.storage_key)
        .outerjoin(cover, cover.c.listing_id == Listing.id)
        .outerjoin(
            ListingImage,
            (ListingImage.listing_id == Listing.id) & (ListingImage.position == cover.c.pos),
        )
        .where(*conditions)
        .order_by(col(Listing.updated_at).desc(), col(Listing.id).desc())
        .limit(max(1, min(int(limit), MY_PAGE_MAX)))
        .offset(max(0, int(offset)))
    )
    return [
        MyListing(
            id=listing.id,
            title=listing.title,
            price_cents=listing.price_cents,
            status=listing.status,
            cover_key=key,
            view_count=listing.view_count,
            updated_at=listing.updated_at,
            published_at=listing.published_at,
        )
        for listing, key in session.exec(stmt).all()
    ]


def status_counts(session: Session, seller_id: int) -> dict[str, int]:
    """How many of the caller's resident listings are in each tab's status.

    Returns:
        A count per status of ``MY_TABS``, and under "all" the count of the
        "all" tab (which also lists held ones and ones the operators removed).
    """
    rows = session.exec(
        select(Listing.status, func.count())
        .where(
            Listing.seller_id == seller_id,
            col(Listing.shop_id).is_(None),
            or_(Listing.status != "removed", col(Listing.deleted_at).is_(None)),
        )
        .group_by(Listing.status)
    ).all()
    counts = dict.fromkeys(MY_TABS, 0)
    counts.update({status: n for status, n in rows if status in MY_TABS})
    counts["all"] = sum(n for _, n in rows)
    return counts


def for_edit(
    session: Session, seller_id: int, listing_id: int
) -> tuple[Listing, list[ListingImage]]:
    """A resident listing of the caller's with its photos, to fill the sell form.

    Raises:
        NotFound: absent, removed, a shop product, or not the caller's.
    """
    listing = _resident_listing(session, seller_id, listing_id)
    return listing, listing_images.images_of(session, listing.id)


def form_values(session: Session, listing: Listing) -> ListingInput:
    """A stored listing as the sell form shows it (amounts as typed text)."""
    category = session.get(Category, listing.category_id) if listing.category_id else None
    # A draft has no column for "free": price 0 there may just be "not typed yet".
    free = listing.price_cents == 0 and listing.status != "draft"
    return ListingInput(
        title=listing.title,
        description=listing.description,
        category=category.slug if category else "",
        condition=listing.condition or "",
        price="" if listing.price_cents == 0 else format_amount(listing.price_cents),
        free=free,
        negotiable=listing.negotiable,
        district=listing.district,
        pickup=listing.pickup,
        local_delivery=listing.local_delivery_fee_cents is not None,
        local_fee=format_amount(listing.local_delivery_fee_cents or None),
        courier=listing.courier_fee_cents is not None,
        courier_fee=format_amount(listing.courier_fee_cents or None),
    )
