"""Shops: applications, the operator's approval, the shop profile and its public page.

A resident applies with a name, description, address, pickup point, district,
a contact, opening hours and optionally a logo and a banner. The shop is
``pending`` until a moderator approves it (the owner becomes its first
:class:`~marketplace_app.models.ShopMember`) or rejects it with a reason the
applicant reads on their status page. After a rejection the applicant may
apply again: the same row is reused and goes back to ``pending``.

A user owns at most one shop that is pending, approved or suspended. Only
approved shops have a public page and give their staff shop rights
(:func:`marketplace_app.services.roles.shop_ids_for`).

Opening hours are stored as JSON ``{"mon": [["08:00", "18:00"]], ...}``: a list
of (open, close) ranges per weekday, an empty list meaning closed.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace_app.i18n import translate
from marketplace_app.models import AuditEntry, Listing, Shop, ShopMember, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import catalog, geo, media, notifications, roles
from marketplace_app.services.accounts import is_phone, raise_if
from marketplace_app.services.errors import NotFound, OwnCase, ValidationFailed
from marketplace_app.settings import settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NAME_MIN, NAME_MAX = 2, 80
DESCRIPTION_MAX = 2000
ADDRESS_MAX = 200
PICKUP_MAX = 200
PHONE_MAX = 20
EMAIL_MAX = 254
REASON_MAX = 500
RANGES_PER_DAY = 3
SHOP_PAGE_PRODUCTS = 60
# Words the /shop/... routes use: a shop called "Apply" must not hide /shop/apply.
RESERVED_SLUGS = frozenset({"apply", "manage", "new", "admin", "import", "product"})
# A user may hold one of these at a time; after a rejection they may apply again.
LIVE_STATUSES = ("pending", "approved", "suspended")

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class ShopApplicationInput:
    """A shop application (or profile) as submitted by a form.

    Attributes:
        hours: weekday ("mon".."sun") -> list of ("HH:MM", "HH:MM") ranges;
            an empty list or a missing day means closed.
    """

    name: str = ""
    description: str = ""
    address: str = ""
    pickup_point: str = ""
    district: str = ""
    phone: str = ""
    email: str = ""
    hours: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)

    def cleaned(self) -> ShopApplicationInput:
        """The same input with text stripped, non-strings blanked and hours normalized."""
        values: dict[str, object] = {}
        for f in fields(self):
            if f.name == "hours":
                continue
            raw = getattr(self, f.name)
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
        hours: dict[str, list[tuple[str, str]]] = {}
        source = self.hours if isinstance(self.hours, Mapping) else {}
        for day in WEEKDAYS:
            ranges = source.get(day) or []
            cleaned = []
            for pair in ranges if isinstance(ranges, list | tuple) else []:
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    cleaned.append(tuple(str(v).strip() for v in pair))
                else:
                    cleaned.append(("", ""))
            hours[day] = cleaned
        values["email"] = str(values["email"]).lower()
        return replace(self, hours=hours, **values)

    def errors(self) -> dict[str, str]:
        """Field name -> i18n key for every problem of the (cleaned) input."""
        found: dict[str, str | None] = {
            "name": _length_error(self.name, NAME_MIN, NAME_MAX, "error.shop_name_length"),
            "description": _length_error(self.description, 1, DESCRIPTION_MAX),
            "address": _length_error(self.address, 1, ADDRESS_MAX),
            "pickup_point": _length_error(self.pickup_point, 1, PICKUP_MAX),
            "district": None if self.district in geo.DISTRICTS else "error.shop_district",
        }
        if not self.phone and not self.email:
            found["phone"] = "error.shop_contact_required"
        if self.phone and (len(self.phone) > PHONE_MAX or not is_phone(self.phone)):
            found["phone"] = "error.phone_invalid"
        if self.email and (len(self.email) > EMAIL_MAX or not _EMAIL.match(self.email)):
            found["email"] = "error.email_invalid"
        for day in WEEKDAYS:
            found[f"hours_{day}"] = hours_error(self.hours.get(day, []))
        if not any(self.hours.get(day) for day in WEEKDAYS):
            found["hours"] = "error.shop_hours_none"
        return {k: v for k, v in found.items() if v}


def _length_error(value: str, low: int, high: int, key: str = "") -> str | None:
    if not value:
        return "error.required"
    if len(value) < low or len(value) > high:
        return key or "error.too_long"
    return None


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def hours_error(ranges: Sequence[tuple[str, str]]) -> str | None:
    """What is wrong with one day's opening ranges, as an i18n key (None if fine).

    Args:
        ranges: ("HH:MM", "HH:MM") pairs; "24:00" is allowed as a closing time.

    Returns:
        ``error.shop_hours_time`` (bad format), ``error.shop_hours_order``
        (closing not after opening), ``error.shop_hours_overlap`` or
        ``error.shop_hours_too_many``; None when the day is fine.
    """
    if len(ranges) > RANGES_PER_DAY:
        return "error.shop_hours_too_many"
    spans = []
    for open_at, close_at in ranges:
        if not _TIME.match(open_at) or not _TIME.match(close_at) or open_at == "24:00":
            return "error.shop_hours_time"
        start, end = _minutes(open_at), _minutes(close_at)
        if start >= end:
            return "error.shop_hours_order"
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        if start < end:
            return "error.shop_hours_overlap"
    return None


# A new shop's hours until it says otherwise: the application form's starting
# point, and the hours of shops created by the catalog importer.
DEFAULT_HOURS: dict[str, list[tuple[str, str]]] = {
    **{day: [("09:00", "18:00")] for day in WEEKDAYS[:5]},
    "sat": [("10:00", "16:00")],
    "sun": [],
}


def hours_json(hours: dict[str, list[tuple[str, str]]]) -> str:
    """Opening hours (weekday -> ranges) as stored in ``Shop.opening_hours``."""
    return json.dumps({day: [list(r) for r in hours.get(day, [])] for day in WEEKDAYS})


def parse_hours(raw: str) -> dict[str, list[tuple[str, str]]]:
    """A shop's stored opening hours as weekday -> ranges (bad data reads as closed)."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        data = {}
    hours: dict[str, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        ranges = data.get(day) if isinstance(data, dict) else None
        good = []
        for pair in ranges if isinstance(ranges, list) else []:
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) for v in pair):
                good.append((pair[0], pair[1]))
        hours[day] = good
    return hours


# --- helpers ---------------------------------------------------------------------


def _audit(session: Session, actor_id: int | None, action: str, shop_id: int, reason: str = ""):
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type="shop",
            target_id=shop_id,
            reason=reason[:REASON_MAX],
        )
    )


def _slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")


def _slug_taken(session: Session, slug: str, shop_id: int) -> bool:
    found = session.exec(select(Shop.id).where(Shop.slug == slug, Shop.id != shop_id)).first()
    return found is not None


def _assign_slug(session: Session, shop: Shop) -> None:
    """Give the shop a unique URL slug from its name ("shop-<id>" for names without latin)."""
    base = _slug_base(shop.name)
    fallback = f"shop-{shop.id}"
    if len(base) < 2 or base in RESERVED_SLUGS or base.startswith("shop-"):
        base = ""
    candidates = [base, *(f"{base}-{n}" for n in range(2, 20))] if base else []
    for candidate in [*candidates, fallback]:
        if not _slug_taken(session, candidate, shop.id):
            shop.slug = candidate
            return
    shop.slug = f"{fallback}-{secrets.token_hex(4)}"


def _name_taken(session: Session, name: str, own_id: int | None) -> bool:
    stmt = select(Shop.id).where(func.lower(Shop.name) == name.lower(), Shop.status != "rejected")
    if own_id is not None:
        stmt = stmt.where(Shop.id != own_id)
    return session.exec(stmt).first() is not None


def _stored_image(value: bytes | str | None, field_name: str) -> media.StoredImage | str | None:
    """Ingest uploaded bytes, or accept the key of an image the caller already stored."""
    if value is None or value == b"" or value == "":
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return media.ingest_upload(bytes(value))
        except ValidationFailed as error:
            raise ValidationFailed({field_name: next(iter(error.fields.values()))}) from None
    if isinstance(value, str):
        try:
            exists = media.rendition_path(value, media.RENDITION_WIDTHS[0]).exists()
        except ValueError:
            exists = False
        if exists:
            return value
    raise ValidationFailed({field_name: "error.image_corrupt"})


def _key(image: media.StoredImage | str | None) -> str | None:
    if isinstance(image, media.StoredImage):
        return image.key
    return image


def _forget(*images: media.StoredImage | str | None) -> None:
    """Delete images this call ingested itself (after a later failure)."""
    for image in images:
        if isinstance(image, media.StoredImage):
            media.delete_image(image.key)


def _apply_fields(shop: Shop, data: ShopApplicationInput) -> None:
    shop.name = data.name
    shop.description = data.description
    shop.address = data.address
    shop.pickup_point = data.pickup_point
    shop.district = data.district
    shop.phone = data.phone
    shop.email = data.email
    shop.opening_hours = hours_json(data.hours)
    shop.lat, shop.lon = geo.district_centre(data.district)


def _checked(
    session: Session, data: ShopApplicationInput, own_id: int | None
) -> ShopApplicationInput:
    """The cleaned form, or every problem with it (a name another shop uses is one).

    Raises:
        ValidationFailed: per field.
    """
    data = data.cleaned()
    errors = data.errors()
    if "name" not in errors and _name_taken(session, data.name, own_id):
        errors["name"] = "error.shop_name_taken"
    raise_if(errors)
    return data


def _stored_images(
    logo: bytes | str | None, banner: bytes | str | None
) -> tuple[media.StoredImage | str | None, media.StoredImage | str | None]:
    """The logo and the banner, ingested or checked (neither is kept when one is refused)."""
    logo_img = _stored_image(logo, "logo")
    try:
        banner_img = _stored_image(banner, "banner")
    except ValidationFailed:
        _forget(logo_img)
        raise
    return logo_img, banner_img


def _set_images(
    shop: Shop, logo: media.StoredImage | str | None, banner: media.StoredImage | str | None
) -> None:
    """Point the shop at a new logo and banner; None keeps the current one."""
    if _key(logo):
        shop.logo_key = _key(logo)
    if _key(banner):
        shop.banner_key = _key(banner)


def _notify(session: Session, shop: Shop, kind: str) -> None:
    owner = session.get(User, shop.owner_id)
    if owner is None or not owner.email:
        return
    params = {
        "name": owner.name,
        "shop": shop.name,
        "market": settings.market_name,
        "reason": shop.review_reason,
        "link": f"{settings.public_url}/shop/apply",
    }
    notifications.queue_email(
        session,
        to=owner.email,
        subject=translate(owner.locale, f"email.shop_{kind}.subject", **params),
        body=translate(owner.locale, f"email.shop_{kind}.body", **params),
    )


# --- applications ------------------------------------------------------------------


def my_shop(session: Session, user_id: int) -> Shop | None:
    """The shop a user owns (their latest application), else one they staff.

    Args:
        session: any session.
        user_id: the user.

    Returns:
        The shop in any status for an owner; for staff only an approved shop.
    """
    owned = session.exec(
        select(Shop).where(Shop.owner_id == user_id).order_by(col(Shop.id).desc())
    ).first()
    if owned is not None:
        return owned
    ids = roles.shop_ids_for(session, user_id)
    return session.get(Shop, ids[0]) if ids else None


def apply(
    session: Session,
    user_id: int,
    data: ShopApplicationInput,
    *,
    logo: bytes | str | None = None,
    banner: bytes | str | None = None,
) -> Shop:
    """Apply to open a shop, or apply again after a rejection.

    Args:
        session: a write session.
        user_id: the applicant.
        data: the form.
        logo: the logo's uploaded bytes, or the key of an image already stored
            with :func:`media.ingest_upload`; None keeps the current one.
        banner: the banner, like ``logo``.

    Returns:
        The pending shop.

    Raises:
        NotFound: the user is absent or deleted.
        ValidationFailed: per field (``name``, ``description``, ``address``,
            ``pickup_point``, ``district``, ``phone``, ``email``,
            ``hours_<day>``, ``hours``, ``logo``, ``banner``), or ``_form``
            (``error.shop_exists``) when the user already has a live shop.
    """
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.deleted_at is not None:
        raise NotFound()
    shop = my_shop(session, user_id)
    owned = shop if shop is not None and shop.owner_id == user_id else None
    if owned is not None and owned.status in LIVE_STATUSES:
        raise ValidationFailed({"_form": "error.shop_exists"})
    data = _checked(session, data, owned.id if owned else None)
    logo_img, banner_img = _stored_images(logo, banner)
    try:
        if owned is None:
            owned = Shop(owner_id=user_id, name=data.name, slug=f"new-{secrets.token_hex(8)}")
        _apply_fields(owned, data)
        owned.status = "pending"
        owned.review_reason = ""
        owned.reviewed_at = None
        owned.reviewed_by = None
        owned.created_at = utcnow()
        _set_images(owned, logo_img, banner_img)
        session.add(owned)
        session.flush()
        _assign_slug(session, owned)
        session.add(owned)
        _audit(session, user_id, "shop.apply", owned.id)
        session.flush()
    except BaseException:
        _forget(logo_img, banner_img)
        raise
    return owned


def update_profile(
    session: Session,
    actor_id: int,
    shop_id: int,
    data: ShopApplicationInput,
    *,
    logo: bytes | str | None = None,
    banner: bytes | str | None = None,
) -> Shop:
    """Change an approved shop's profile (its owner only; no new review needed).

    Args:
        session: a write session.
        actor_id: the caller.
        shop_id: the shop.
        data: the whole profile, validated like an application.
        logo: new logo bytes or stored key; None keeps the current one.
        banner: new banner, like ``logo``.

    Returns:
        The shop.

    Raises:
        NotFound: not an approved shop the actor owns.
        ValidationFailed: per field, like :func:`apply`.
    """
    shop = session.get(Shop, shop_id) if isinstance(shop_id, int) else None
    if shop is None or shop.owner_id != actor_id or shop.status != "approved":
        raise NotFound()
    data = _checked(session, data, shop.id)
    logo_img, banner_img = _stored_images(logo, banner)
    renamed = shop.name != data.name
    _apply_fields(shop, data)
    _set_images(shop, logo_img, banner_img)
    if renamed:
        _assign_slug(session, shop)
    session.add(shop)
    _audit(session, actor_id, "shop.update", shop.id)
    session.flush()
    return shop


def pending_applications(
    session: Session, *, limit: int = 50, actor_id: int | None = None
) -> list[Shop]:
    """Applications waiting for review, oldest first.

    Args:
        session: any session.
        limit: at most this many (1-200).
        actor_id: when given, the caller must be a moderator.

    Returns:
        Pending shops.

    Raises:
        PermissionDenied: ``actor_id`` is given and not a moderator.
    """
    if actor_id is not None:
        roles.require_staff(session, actor_id)
    rows = session.exec(
        select(Shop)
        .where(Shop.status == "pending")
        .order_by(col(Shop.created_at), col(Shop.id))
        .limit(max(1, min(limit, 200)))
    ).all()
    return list(rows)


def applicant_names(session: Session, shops: Sequence[Shop]) -> dict[int, str]:
    """Owner id -> name for a list of shops (one query)."""
    ids = {s.owner_id for s in shops}
    if not ids:
        return {}
    rows = session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all()
    return dict(rows)


def concerns(session: Session, user_id: int, shop: Shop) -> bool:
    """Whether a shop is the user's own business: they own it or are on its staff."""
    if shop.owner_id == user_id:
        return True
    member = session.exec(
        select(ShopMember.id).where(ShopMember.shop_id == shop.id, ShopMember.user_id == user_id)
    ).first()
    return member is not None


def _pending(session: Session, shop_id: int, actor_id: int) -> Shop:
    """A pending application the operator may decide (not their own shop's)."""
    shop = session.get(Shop, shop_id) if isinstance(shop_id, int) else None
    if shop is None:
        raise NotFound()
    if shop.status != "pending":
        raise ValidationFailed({"_form": "error.shop_not_pending"})
    if concerns(session, actor_id, shop):
        raise OwnCase()
    return shop


def approve(session: Session, *, actor_id: int, shop_id: int) -> None:
    """Approve a pending application: the shop goes public, its owner becomes staff.

    Args:
        session: a write session.
        actor_id: the moderator or admin deciding.
        shop_id: the shop.

    Raises:
        PermissionDenied: the actor is not a moderator.
        NotFound: no such shop.
        ValidationFailed: ``_form`` ``error.shop_not_pending`` when already decided.
        OwnCase: the actor applied for this shop (or is on its staff).
    """
    roles.require_staff(session, actor_id)
    shop = _pending(session, shop_id, actor_id)
    shop.status = "approved"
    shop.review_reason = ""
    shop.reviewed_at = utcnow()
    shop.reviewed_by = actor_id
    session.add(shop)
    member = session.exec(
        select(ShopMember).where(ShopMember.shop_id == shop.id, ShopMember.user_id == shop.owner_id)
    ).first()
    if member is None:
        session.add(ShopMember(shop_id=shop.id, user_id=shop.owner_id, role="owner"))
    _audit(session, actor_id, "shop.approve", shop.id)
    _notify(session, shop, "approved")
    session.flush()


def reject(session: Session, *, actor_id: int, shop_id: int, reason: str) -> None:
    """Reject a pending application with a reason the applicant will read.

    Args:
        session: a write session.
        actor_id: the moderator or admin deciding.
        shop_id: the shop.
        reason: why (1-500 characters).

    Raises:
        PermissionDenied: the actor is not a moderator.
        NotFound: no such shop.
        ValidationFailed: ``reason`` missing or too long, or ``_form`` when
            the application was already decided.
        OwnCase: the actor applied for this shop (or is on its staff).
    """
    roles.require_staff(session, actor_id)
    reason = reason.strip() if isinstance(reason, str) else ""
    raise_if(
        {
            "reason": "error.queue_reason_required"
            if not reason
            else _length_error(reason, 1, REASON_MAX)
        }
    )
    shop = _pending(session, shop_id, actor_id)
    shop.status = "rejected"
    shop.review_reason = reason
    shop.reviewed_at = utcnow()
    shop.reviewed_by = actor_id
    session.add(shop)
    _audit(session, actor_id, "shop.reject", shop.id, reason)
    _notify(session, shop, "rejected")
    session.flush()


# --- the public page -----------------------------------------------------------------


def public_shop(
    session: Session, slug: str, *, limit: int = SHOP_PAGE_PRODUCTS
) -> tuple[Shop, list[catalog.Card]]:
    """An approved shop and its products on sale, newest first.

    Args:
        session: any session.
        slug: the shop's URL slug.
        limit: at most this many product cards.

    Returns:
        (the shop, cards of its active products).

    Raises:
        NotFound: no approved shop has this slug.
    """
    shop = None
    if isinstance(slug, str) and 0 < len(slug) <= 80:
        shop = session.exec(select(Shop).where(Shop.slug == slug)).first()
    if shop is None or shop.status != "approved":
        raise NotFound()
    stmt = (
        catalog.card_query()
        .where(Listing.shop_id == shop.id, Listing.status == "active")
        .order_by(col(Listing.created_at).desc(), col(Listing.id).desc())
        .limit(max(1, min(limit, catalog.MAX_PAGE)))
    )
    return shop, catalog.cards(session.exec(stmt).all())
