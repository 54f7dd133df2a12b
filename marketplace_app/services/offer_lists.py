"""Offers as their two sides see them: lists of made and received offers, an item's panel.

The moves themselves live in :mod:`marketplace_app.services.offers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace_app.models import Listing, Offer, OfferTransition, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import offer_holds, offers, purchasable

PAGE_MAX = 100


@dataclass(frozen=True)
class OfferInfo:
    """One offer as a list shows it to one of its two sides.

    Attributes:
        viewer: "buyer" or "seller".
        price_cents: the item's price now.
        other_name: the other side's name.
        actions: what the viewer may do now: "withdraw", "accept", "decline",
            "counter" and, for a held item, "buy".
        last_reason: the reason logged with its latest step (e.g.
            ``order_cancelled``; "" for none).
    """

    id: int
    listing_id: int
    title: str
    viewer: str
    status: str
    amount_cents: int
    counter_cents: int | None
    agreed_cents: int | None
    price_cents: int
    expires_at: datetime
    reserved_until: datetime | None
    other_name: str
    created_at: datetime
    actions: frozenset[str]
    last_reason: str


def _last_reasons(session: Session, offer_ids: set[int]) -> dict[int, str]:
    latest = (
        select(func.max(OfferTransition.id))
        .where(col(OfferTransition.offer_id).in_(offer_ids))
        .group_by(OfferTransition.offer_id)
    )
    return dict(
        session.exec(
            select(OfferTransition.offer_id, OfferTransition.reason).where(
                col(OfferTransition.id).in_(latest)
            )
        ).all()
    )


def _actions(offer: Offer, viewer: str, now: datetime) -> frozenset[str]:
    if viewer == offers.SELLER:
        return (
            frozenset({"accept", "decline", "counter"}) if offer.status == "open" else frozenset()
        )
    if offer.status == "open":
        return frozenset({"withdraw"})
    if offer.status == "countered":
        return frozenset({"accept", "decline"})
    if offer.status == "accepted" and offer.reserved_until and offer.reserved_until > now:
        return frozenset({"buy", "withdraw"})
    return frozenset()


def _infos(session: Session, rows: list[Offer], viewer: str, now: datetime) -> list[OfferInfo]:
    if not rows:
        return []
    listing_ids = {o.listing_id for o in rows}
    items = {x.id: x for x in session.exec(select(Listing).where(col(Listing.id).in_(listing_ids)))}
    people = {o.seller_id if viewer == offers.BUYER else o.buyer_id for o in rows}
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(people))).all())
    reasons = _last_reasons(session, {o.id for o in rows})
    return [
        OfferInfo(
            id=o.id,
            listing_id=o.listing_id,
            title=items[o.listing_id].title,
            viewer=viewer,
            status=o.status,
            amount_cents=o.amount_cents,
            counter_cents=o.counter_cents,
            agreed_cents=o.agreed_cents,
            price_cents=offers.price_now(items[o.listing_id], now),
            expires_at=o.expires_at,
            reserved_until=o.reserved_until,
            other_name=names.get(o.seller_id if viewer == offers.BUYER else o.buyer_id, ""),
            created_at=o.created_at,
            actions=_actions(o, viewer, now),
            last_reason=reasons.get(o.id, ""),
        )
        for o in rows
    ]


def _limit(limit: int) -> int:
    return max(1, min(int(limit), PAGE_MAX))


def _newest(query, limit: int):
    return query.order_by(col(Offer.updated_at).desc(), col(Offer.id).desc()).limit(_limit(limit))


def on_listing(
    session: Session,
    buyer_id: int,
    listing_id: int,
    *,
    limit: int = 20,
    now: datetime | None = None,
) -> list[OfferInfo]:
    """The buyer's own offers on one item, latest step first.

    Args:
        session: any session.
        buyer_id: the logged-in buyer.
        listing_id: the item.
        limit: at most this many (capped at 100).
        now: the moment to judge actions at (defaults to now).

    Returns:
        Offer summaries as the buyer sees them.
    """
    rows = session.exec(
        _newest(
            select(Offer).where(Offer.buyer_id == buyer_id, Offer.listing_id == listing_id),
            limit,
        )
    ).all()
    return _infos(session, list(rows), offers.BUYER, now or utcnow())


def made(
    session: Session, buyer_id: int, *, limit: int = 50, now: datetime | None = None
) -> list[OfferInfo]:
    """Every offer the buyer made, latest step first (capped at 100)."""
    rows = session.exec(_newest(select(Offer).where(Offer.buyer_id == buyer_id), limit)).all()
    return _infos(session, list(rows), offers.BUYER, now or utcnow())


def received(
    session: Session, seller_id: int, *, limit: int = 50, now: datetime | None = None
) -> list[OfferInfo]:
    """Every offer on the seller's items, latest step first (capped at 100)."""
    rows = session.exec(_newest(select(Offer).where(Offer.seller_id == seller_id), limit)).all()
    return _infos(session, list(rows), offers.SELLER, now or utcnow())


@dataclass(frozen=True)
class Panel:
    """What the offer panel of an item's page needs.

    Attributes:
        open: offers can be made on this item at all (negotiable, resident,
            on sale).
        is_own: the viewer sells it.
        price_cents: the price now.
        floor_cents: the lowest offer accepted.
        held_until: when another buyer's accepted offer holds it, until when.
        mine: the viewer's own offers on it.
    """

    open: bool
    is_own: bool
    price_cents: int
    floor_cents: int
    held_until: datetime | None
    mine: list[OfferInfo]


def panel(
    session: Session, viewer_id: int | None, listing_id: int, *, now: datetime | None = None
) -> Panel:
    """The offer panel of an item's page, for a viewer (None for a guest).

    Raises:
        NotFound: no such listing (or a draft or removed one).
    """
    now = now or utcnow()
    listing = offers.offerable(session, listing_id)
    price = offers.price_now(listing, now)
    held = offer_holds.holds(session, [listing.id], now).get(listing.id)
    return Panel(
        open=listing.kind == "secondhand" and listing.negotiable and purchasable.on_sale(listing),
        is_own=viewer_id is not None and viewer_id == listing.seller_id,
        price_cents=price,
        floor_cents=offers.floor_cents(price),
        held_until=held.reserved_until if held and held.buyer_id != viewer_id else None,
        mine=on_listing(session, viewer_id, listing.id, now=now) if viewer_id else [],
    )
