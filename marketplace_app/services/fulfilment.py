"""Getting an order to the buyer: delivery options, pickup slots, handover codes.

Delivery per seller part of a checkout (one order per seller):

- ``pickup``: free; at the shop's pickup point (its address when none is set),
  or for a resident's item at a meetup in the item's district, in a one-hour
  slot. Shops offer slots inside their opening hours for the next
  :data:`SHOP_DAYS` days; residents, who have no hours, offer daytime slots
  (:data:`RESIDENT_HOURS`) for the next :data:`RESIDENT_DAYS` days. A slot
  starts at least :data:`LEAD_MINUTES` from now.
- ``local`` (local delivery) and ``courier``: to an address from the buyer's
  address book, for a fee.

A method is offered for a seller's part when every listing in it allows the
method; its fee is the highest of those listings' fees (one delivery per order).

Handover code: 6 digits derived with an HMAC of ``SECRET_KEY`` from the order's
id and number, so nothing is stored in plain text; the order keeps only the
code's SHA-256 (``handover_code_hash``) to check what a seller types.
"""

from __future__ import annotations

import hashlib
import hmac
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import qrcode

from marketplace_app.models import Listing, Shop
from marketplace_app.services import shops as shop_service
from marketplace_app.settings import settings

METHODS = ("pickup", "local", "courier")
SLOT_MINUTES = 60
LEAD_MINUTES = 60
SHOP_DAYS = 7
RESIDENT_DAYS = 3
RESIDENT_HOURS = (("09:00", "20:00"),)
MAX_SLOTS = 60
CODE_DIGITS = 6
QR_TEXT_MAX = 500


@dataclass(frozen=True)
class Slot:
    """A pickup time window (aware UTC)."""

    starts_at: datetime
    ends_at: datetime

    @property
    def key(self) -> str:
        """The slot's stable identifier: its start as ISO 8601 UTC."""
        return slot_key(self.starts_at)


def slot_key(starts_at: datetime) -> str:
    """A slot start as the text pages send back (ISO 8601, UTC, minutes)."""
    return starts_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _day_slots(ranges: Sequence[tuple[str, str]], day: date, earliest: datetime) -> list[Slot]:
    """One-hour slots in one day's opening ranges, starting at ``earliest`` or later."""
    zone = ZoneInfo(settings.timezone)
    midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
    found = []
    for open_at, close_at in sorted(ranges):
        if shop_service.hours_error([(open_at, close_at)]):
            continue
        start, end = _minutes(open_at), _minutes(close_at)
        while start + SLOT_MINUTES <= end:
            begins = (midnight + timedelta(minutes=start)).astimezone(ZoneInfo("UTC"))
            if begins >= earliest:
                found.append(Slot(begins, begins + timedelta(minutes=SLOT_MINUTES)))
            start += SLOT_MINUTES
    return found


def slots_from_hours(
    hours: dict[str, Sequence[tuple[str, str]]], now: datetime, *, days: int
) -> list[Slot]:
    """One-hour slots inside weekly opening hours, from ``now`` on.

    Args:
        hours: weekday ("mon".."sun") -> ("HH:MM", "HH:MM") ranges in the
            town's time zone (``settings.timezone``); malformed ranges are skipped.
        now: aware current time.
        days: how many calendar days, today included.

    Returns:
        Up to :data:`MAX_SLOTS` slots in time order, each starting at least
        :data:`LEAD_MINUTES` after ``now``.
    """
    earliest = now + timedelta(minutes=LEAD_MINUTES)
    today = now.astimezone(ZoneInfo(settings.timezone)).date()
    found: list[Slot] = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        found += _day_slots(hours.get(shop_service.WEEKDAYS[day.weekday()], ()), day, earliest)
    found.sort(key=lambda s: s.starts_at)
    return found[:MAX_SLOTS]


def pickup_slots(shop: Shop | None, now: datetime) -> list[Slot]:
    """The pickup slots a seller offers.

    Args:
        shop: the shop selling, or None for a resident.
        now: aware current time.

    Returns:
        Slots from the shop's opening hours, or a resident's daytime slots.
    """
    if shop is not None:
        return slots_from_hours(shop_service.parse_hours(shop.opening_hours), now, days=SHOP_DAYS)
    daily = {day: list(RESIDENT_HOURS) for day in shop_service.WEEKDAYS}
    return slots_from_hours(daily, now, days=RESIDENT_DAYS)


def find_slot(shop: Shop | None, key: str, now: datetime) -> Slot | None:
    """The pickup slot a key names, when the seller offers it at ``now``.

    A slot is offered when it lies in the seller's hours (a resident's daytime
    hours) within the offered days and starts at least :data:`LEAD_MINUTES`
    from now; only the key's own day is worked out.

    Args:
        shop: the shop selling, or None for a resident.
        key: a slot key (:func:`slot_key`) sent back by a page.
        now: aware current time.

    Returns:
        The slot, or None.
    """
    if not isinstance(key, str) or len(key) != len("2026-01-01T00:00Z"):
        return None
    try:
        starts = datetime.strptime(key, "%Y-%m-%dT%H:%MZ").replace(tzinfo=ZoneInfo("UTC"))
    except ValueError:
        return None
    zone = ZoneInfo(settings.timezone)
    day = starts.astimezone(zone).date()
    days = SHOP_DAYS if shop is not None else RESIDENT_DAYS
    if not 0 <= (day - now.astimezone(zone).date()).days < days:
        return None
    weekday = shop_service.WEEKDAYS[day.weekday()]
    ranges = (
        shop_service.parse_hours(shop.opening_hours)[weekday]
        if shop is not None
        else list(RESIDENT_HOURS)
    )
    earliest = now + timedelta(minutes=LEAD_MINUTES)
    return next((s for s in _day_slots(ranges, day, earliest) if s.starts_at == starts), None)


def delivery_options(listings: Sequence[Listing]) -> dict[str, int]:
    """The delivery methods a seller's part of a checkout allows, with the fee of each.

    Args:
        listings: the listings of one seller in the checkout.

    Returns:
        method -> fee in cents, in :data:`METHODS` order; pickup is free.
        Empty when the listings share no method.
    """
    if not listings:
        return {}
    options: dict[str, int] = {}
    if all(listing.pickup for listing in listings):
        options["pickup"] = 0
    for method, attr in (("local", "local_delivery_fee_cents"), ("courier", "courier_fee_cents")):
        fees = [getattr(listing, attr) for listing in listings]
        if all(fee is not None for fee in fees):
            options[method] = max(fees)
    return options


def pickup_place(shop: Shop | None, listings: Sequence[Listing]) -> str:
    """Where a pickup happens: the shop's pickup point, or the item's district.

    Args:
        shop: the selling shop, or None for a resident.
        listings: the seller's listings in the checkout.

    Returns:
        Text for the order's ``address_text`` ("" when nothing is known).
    """
    if shop is not None:
        return shop.pickup_point or shop.address
    return next((listing.district for listing in listings if listing.district), "")


def handover_code(order_id: int, number: str) -> str:
    """The 6-digit code a buyer shows at the handover of an order.

    Derived, never stored: an HMAC-SHA256 of ``SECRET_KEY`` over the order's
    id and number.

    Args:
        order_id: the order's id.
        number: the order's number.

    Returns:
        Six digits, e.g. "048213".
    """
    digest = hmac.new(
        settings.secret_key.encode("utf-8"),
        f"handover:{order_id}:{number}".encode(),
        hashlib.sha256,
    ).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_hash(code: str) -> str:
    """The SHA-256 hex of a handover code (what ``Order.handover_code_hash`` holds)."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def code_matches(stored_hash: str, typed: str) -> bool:
    """Whether a typed code is the order's handover code (constant-time compare).

    Args:
        stored_hash: the order's ``handover_code_hash``.
        typed: what the seller entered (spaces are ignored).

    Returns:
        True only for the right six digits.
    """
    if not stored_hash or not isinstance(typed, str):
        return False
    cleaned = typed.replace(" ", "").strip()
    if len(cleaned) != CODE_DIGITS or not cleaned.isdigit():
        return False
    return hmac.compare_digest(stored_hash, code_hash(cleaned))


def qr_png(text: str) -> bytes:
    """A QR code image of ``text`` as PNG bytes.

    Args:
        text: what the code encodes (at most 500 characters).

    Returns:
        The PNG file's bytes.
    """
    if not isinstance(text, str) or not text or len(text) > QR_TEXT_MAX:
        raise ValueError("QR text must be 1 to 500 characters")
    image = qrcode.make(text, border=2, box_size=8)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()
