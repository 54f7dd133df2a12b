"""Taking a listing off the market for an operator's reason.

Hiding a reported listing and rejecting one held by the blocklist end the
same way: status "removed" (without ``deleted_at``: its owner did not delete
it), an audit entry whose reason the owner reads on My listings, a notice to
the seller, and the listing out of search.
"""

from __future__ import annotations

from sqlmodel import Session

from marketplace_app.models import Listing
from marketplace_app.models.types import utcnow
from marketplace_app.services import audit, inbox, search


def take_down(
    session: Session, listing: Listing, *, actor_id: int, action: str, notice: str, reason: str
) -> None:
    """Remove a listing for a reason, record it and tell its seller.

    Args:
        session: the operator's write session.
        listing: the listing to remove.
        actor_id: the moderator.
        action: the audit action (e.g. "listing.hide", "listing.reject").
        notice: the inbox message key for the seller (gets ``title`` and ``reason``).
        reason: the checked reason.
    """
    listing.status = "removed"
    listing.updated_at = utcnow()
    session.add(listing)
    audit.record(
        session,
        actor_id=actor_id,
        action=action,
        target_type="listing",
        target_id=listing.id,
        reason=reason,
    )
    inbox.notify(
        session,
        listing.seller_id,
        notice,
        {"title": listing.title, "reason": reason},
        "/my/listings",
    )
    session.flush()
    search.reindex_listing(session, listing.id)
