"""Items held by an accepted offer: who may buy them, and at what price, right now.

An accepted offer (:mod:`marketplace_app.services.offers`) holds its listing
for its buyer at ``agreed_cents`` until ``reserved_until``. Carts and checkout
ask this module (and not :mod:`offers`, which itself puts items into carts):
the holder pays the agreed price; anyone else is told the item is reserved
until a given time. A hold past its ``reserved_until`` no longer counts, even
before the offer timers mark it lapsed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from marketplace_app.models import Offer
from marketplace_app.models.types import utcnow
from marketplace_app.settings import settings

E_RESERVED = "error.offer.reserved"


def holds(
    session: Session, listing_ids: Iterable[int], now: datetime | None = None
) -> dict[int, Offer]:
    """The accepted offers holding some listings now.

    Args:
        session: any session.
        listing_ids: the listings to look at.
        now: the moment to judge at (defaults to now).

    Returns:
        listing id -> the accepted offer holding it (listings not held are absent).
    """
    ids = sorted({int(i) for i in listing_ids})
    if not ids:
        return {}
    now = now or utcnow()
    rows = session.exec(
        select(Offer)
        .where(
            col(Offer.listing_id).in_(ids),
            Offer.status == "accepted",
            col(Offer.reserved_until) > now,
        )
        .order_by(col(Offer.reserved_until).desc())
    ).all()
    found: dict[int, Offer] = {}
    for offer in rows:
        found.setdefault(offer.listing_id, offer)
    return found


def clock(moment: datetime, now: datetime | None = None) -> str:
    """A time on the market's clock: ``"14:05"`` today, ``"11-03 14:05"`` on another day.

    Args:
        moment: the time (UTC-aware).
        now: today's reference moment (defaults to now).

    Returns:
        The local time, with the month and day when it is not today.
    """
    zone = ZoneInfo(settings.timezone)
    local = moment.astimezone(zone)
    today = (now or utcnow()).astimezone(zone).date()
    return local.strftime("%H:%M" if local.date() == today else "%m-%d %H:%M")


def reserved_params(offer: Offer, now: datetime | None = None) -> dict[str, str]:
    """The values :data:`E_RESERVED` needs for a hold."""
    return {"until": clock(offer.reserved_until, now)}
