"""Views: a listing's view count and each user's recently viewed listings."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, select

from marketplace_app.models import Listing, RecentView
from marketplace_app.models.types import utcnow
from marketplace_app.services import catalog

KEEP = 50


def record_view(session: Session, listing_id: int, viewer_id: int | None) -> None:
    """Count a view of someone else's listing and remember it for the viewer.

    Args:
        session: a write session.
        listing_id: the listing shown.
        viewer_id: the logged-in viewer, or None for a guest (counted, not remembered).
    """
    listing = session.get(Listing, listing_id)
    if listing is None or listing.seller_id == viewer_id:
        return
    session.exec(
        update(Listing).where(Listing.id == listing_id).values(view_count=Listing.view_count + 1)
    )
    if viewer_id is None:
        return
    mine = (RecentView.user_id == viewer_id, RecentView.listing_id == listing_id)
    row = session.exec(select(RecentView).where(*mine)).first()
    if row is None:
        session.add(RecentView(user_id=viewer_id, listing_id=listing_id))
        session.flush()
        _trim(session, viewer_id)
    else:
        row.viewed_at = utcnow()


def _trim(session: Session, user_id: int) -> None:
    stale = session.exec(
        select(RecentView)
        .where(RecentView.user_id == user_id)
        .order_by(RecentView.viewed_at.desc())
        .offset(KEEP)
    ).all()
    for row in stale:
        session.delete(row)


def recently_viewed(session: Session, user_id: int, *, limit: int = 8) -> list[catalog.Card]:
    """The user's recently viewed listings that are still active, newest first."""
    stmt = (
        catalog.card_query()
        .join(RecentView, RecentView.listing_id == Listing.id)
        .where(RecentView.user_id == user_id, Listing.status == "active")
        .order_by(RecentView.viewed_at.desc())
        .limit(min(limit, catalog.MAX_PAGE))
    )
    return catalog.cards(session.exec(stmt).all())
