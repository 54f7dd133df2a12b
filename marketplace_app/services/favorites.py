"""Favorites: the listings a user keeps hearts on."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import Session, select

from marketplace_app.models import Favorite, Listing
from marketplace_app.services import catalog, listing_access
from marketplace_app.services.errors import NotFound

MAX_IDS = 500


def toggle(session: Session, user_id: int, listing_id: int) -> bool:
    """Add or remove a heart.

    Args:
        session: a write session.
        user_id: the caller.
        listing_id: a listing others can see (active or sold), or the caller's own.

    Returns:
        True when the listing is now a favorite.

    Raises:
        NotFound: no such public listing.
    """
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if not listing_access.is_public(listing):
        raise NotFound()
    removed = session.exec(
        delete(Favorite).where(Favorite.user_id == user_id, Favorite.listing_id == listing_id)
    ).rowcount
    if removed:
        return False
    session.add(Favorite(user_id=user_id, listing_id=listing_id))
    session.flush()
    return True


def favorite_ids(session: Session, user_id: int) -> list[int]:
    """The ids of the user's most recent favorites (for filled hearts on cards)."""
    stmt = (
        select(Favorite.listing_id)
        .where(Favorite.user_id == user_id)
        .order_by(Favorite.created_at.desc())
        .limit(MAX_IDS)
    )
    return list(session.exec(stmt).all())


def favorites(session: Session, user_id: int, *, limit: int = 48, offset: int = 0):
    """The user's favorites as cards, newest heart first; removed listings are left out.

    Returns:
        (total, cards).
    """
    visible = [Favorite.user_id == user_id, Listing.status.in_(listing_access.PUBLIC_STATUSES)]
    total = session.exec(
        select(func.count())
        .select_from(Favorite)
        .join(Listing, Listing.id == Favorite.listing_id)
        .where(*visible)
    ).one()
    stmt = (
        catalog.card_query()
        .join(Favorite, Favorite.listing_id == Listing.id)
        .where(*visible)
        .order_by(Favorite.created_at.desc())
        .limit(min(limit, catalog.MAX_PAGE))
        .offset(max(0, offset))
    )
    return total, catalog.cards(session.exec(stmt).all())


def count_for(session: Session, listing_id: int) -> int:
    """How many people keep this listing."""
    return session.exec(
        select(func.count()).select_from(Favorite).where(Favorite.listing_id == listing_id)
    ).one()
