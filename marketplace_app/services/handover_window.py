"""How long a cash order may wait for its handover: the sellers' setting and each order's deadline.

A cash order (paid at the handover) takes its stock when it is placed. Each
seller sets how many days such an order may wait to be handed over (residents
on their account page, shops on their shop page; 1 to 14 days, 3 unless they
change it). Checkout gives every cash order its deadline, ``handover_due_at``,
from the setting at that moment: that many days after the order was placed,
or after the end of the pickup slot the buyer chose, when that is later. An
order not handed over by then is cancelled by the order timers
(:func:`marketplace_app.services.orders.release_unhanded`) and its stock goes
back; changing the setting changes the deadline of new orders only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from marketplace_app.models import Shop, User
from marketplace_app.models.base import (
    HANDOVER_DAYS_DEFAULT,
    HANDOVER_DAYS_MAX,
    HANDOVER_DAYS_MIN,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import audit
from marketplace_app.services.errors import NotFound, ValidationFailed

FIELD = "cash_handover_days"
E_DAYS = "error.handover_days"


def parse_days(text: object) -> int:
    """The number of days typed into the setting's field.

    Args:
        text: what was typed (digits; surrounding spaces are fine).

    Returns:
        The days, within 1 to 14.

    Raises:
        ValidationFailed: ``cash_handover_days`` when it is not a whole number
            in range (``min``, ``max``).
    """
    raw = text.strip() if isinstance(text, str) else ""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 3):
        raise ValidationFailed({FIELD: E_DAYS}, min=HANDOVER_DAYS_MIN, max=HANDOVER_DAYS_MAX)
    days = int(raw)
    if not HANDOVER_DAYS_MIN <= days <= HANDOVER_DAYS_MAX:
        raise ValidationFailed({FIELD: E_DAYS}, min=HANDOVER_DAYS_MIN, max=HANDOVER_DAYS_MAX)
    return days


def resident_days(session: Session, user_id: int) -> int:
    """A resident's window for their own cash sales, in days."""
    user = session.get(User, user_id)
    return user.cash_handover_days if user else HANDOVER_DAYS_DEFAULT


def set_resident_days(session: Session, user_id: int, text: object) -> int:
    """A resident sets the window for their own cash sales.

    Args:
        session: a write session.
        user_id: the logged-in resident.
        text: the days as typed.

    Returns:
        The days now set.

    Raises:
        ValidationFailed: see :func:`parse_days`; nothing changes.
        NotFound: no such (live) user.
    """
    days = parse_days(text)
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    user.cash_handover_days = days
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    return days


def _owned_shop(session: Session, actor_id: int, shop_id: object) -> Shop:
    shop = (
        session.get(Shop, shop_id)
        if isinstance(shop_id, int) and not isinstance(shop_id, bool)
        else None
    )
    if shop is None or shop.owner_id != actor_id or shop.status != "approved":
        raise NotFound()
    return shop


def owned_shop_days(session: Session, owner_id: int) -> tuple[int, int] | None:
    """The approved shop a member owns and its window, for their shop page.

    Args:
        session: any session.
        owner_id: the logged-in member.

    Returns:
        (shop id, days), or None when they own no approved shop (staff don't set it).
    """
    shop = session.exec(
        select(Shop)
        .where(Shop.owner_id == owner_id, Shop.status == "approved")
        .order_by(col(Shop.id).desc())
    ).first()
    return (shop.id, shop.cash_handover_days) if shop else None


def set_shop_days(session: Session, actor_id: int, shop_id: object, text: object) -> int:
    """A shop's owner sets the window for the shop's cash orders (audited).

    Args:
        session: a write session.
        actor_id: the logged-in owner.
        shop_id: the shop.
        text: the days as typed.

    Returns:
        The days now set.

    Raises:
        ValidationFailed: see :func:`parse_days`; nothing changes.
        NotFound: not an approved shop the actor owns.
    """
    days = parse_days(text)
    shop = _owned_shop(session, actor_id, shop_id)
    shop.cash_handover_days = days
    session.add(shop)
    audit.record(
        session,
        actor_id=actor_id,
        action="shop.cash_handover_days",
        target_type="shop",
        target_id=shop.id,
        reason=f"{days}d",
    )
    session.flush()
    return days


def due_at(
    session: Session,
    seller_id: int,
    shop_id: int | None,
    now: datetime,
    slot_ends_at: datetime | None = None,
) -> datetime:
    """The handover deadline of a cash order placed now with this seller.

    Args:
        session: any session.
        seller_id: the order's seller.
        shop_id: the order's shop (its setting counts), or None for a resident.
        now: the moment the order is placed.
        slot_ends_at: the end of the pickup slot chosen, if any.

    Returns:
        ``max(now, slot_ends_at) + days``, with the shop's or the resident's days.
    """
    shop = session.get(Shop, shop_id) if shop_id is not None else None
    days = shop.cash_handover_days if shop else resident_days(session, seller_id)
    start = max(now, slot_ends_at) if slot_ends_at else now
    return start + timedelta(days=days)
