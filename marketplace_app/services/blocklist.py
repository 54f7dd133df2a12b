"""The blocklist: words that hold a new listing for an operator's review.

Admins add and remove terms. When a resident publishes a listing (or a shop
publishes a product) whose title or description contains a term, the
listing goes to status "pending" instead of "active" (:func:`hold_if_blocked`):
it is not public and search does not return it. Moderators approve it
(-> active) or reject it with a reason its owner reads (-> removed).

Matching is on NFKC-normalized, case-folded text, so "ＧＵＮ", "Gun" and
"gun" match the term "gun", and Chinese terms match inside Chinese text
(which has no spaces between words).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from marketplace_app.models import BlockedTerm, Listing, ListingImage, Shop, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import audit, inbox, search, takedown
from marketplace_app.services.accounts import raise_if
from marketplace_app.services.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace_app.services.roles import has_role
from marketplace_app.services.shops import require_moderator

TERM_MAX = 60
TERMS_MAX = 500
APPROVE_ACTION = "listing.approve"
REJECT_ACTION = "listing.reject"


@dataclass(frozen=True)
class PendingRow:
    """A listing held for review, with the terms that held it."""

    listing_id: int
    title: str
    description: str
    kind: str
    seller_name: str
    shop_name: str | None
    cover_key: str | None
    terms: tuple[str, ...]
    updated_at: datetime


def normalize(text: str) -> str:
    """Text as matching sees it: NFKC, case-folded, runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _require_admin(session: Session, actor_id: int) -> None:
    actor = session.get(User, actor_id) if isinstance(actor_id, int) else None
    if actor is None or not has_role(actor, "admin"):
        raise PermissionDenied()


def terms(session: Session, actor_id: int) -> list[BlockedTerm]:
    """Every blocked term, alphabetically (admins only).

    Raises:
        PermissionDenied: the reader is not an admin.
    """
    _require_admin(session, actor_id)
    return list(
        session.exec(select(BlockedTerm).order_by(col(BlockedTerm.term)).limit(TERMS_MAX)).all()
    )


def add_term(session: Session, *, actor_id: int, term: str) -> BlockedTerm:
    """Add a term to the blocklist (audited).

    Args:
        session: a write session.
        actor_id: the admin.
        term: a word or phrase (1-60 characters after normalizing).

    Returns:
        The new term (stored normalized).

    Raises:
        PermissionDenied: the actor is not an admin.
        ValidationFailed: ``term`` empty, too long or already listed.
    """
    _require_admin(session, actor_id)
    value = normalize(term if isinstance(term, str) else "")
    raise_if(
        {
            "term": "error.required"
            if not value
            else ("error.too_long" if len(value) > TERM_MAX else None)
        }
    )
    if session.exec(select(BlockedTerm.id).where(BlockedTerm.term == value)).first():
        raise ValidationFailed({"term": "error.term_exists"})
    row = BlockedTerm(term=value, created_by=actor_id)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="blocklist.add",
        target_type="blocked_term",
        target_id=row.id,
        reason=value,
    )
    session.flush()
    return row


def remove_term(session: Session, *, actor_id: int, term_id: int) -> None:
    """Take a term off the blocklist (audited; listings it held stay held).

    Raises:
        PermissionDenied: the actor is not an admin.
        NotFound: no such term.
    """
    _require_admin(session, actor_id)
    row = session.get(BlockedTerm, term_id) if isinstance(term_id, int) else None
    if row is None:
        raise NotFound()
    audit.record(
        session,
        actor_id=actor_id,
        action="blocklist.remove",
        target_type="blocked_term",
        target_id=row.id,
        reason=row.term,
    )
    session.delete(row)
    session.flush()


def matches(session: Session, *texts: str) -> tuple[str, ...]:
    """The blocked terms that occur in any of the texts.

    Args:
        session: any session.
        texts: e.g. a title and a description.

    Returns:
        The matching terms, alphabetically (empty when none match).
    """
    haystack = "\n".join(normalize(t) for t in texts)
    if not haystack.strip():
        return ()
    listed = session.exec(select(BlockedTerm.term).order_by(col(BlockedTerm.term))).all()
    return tuple(term for term in listed if term and term in haystack)


def hold_if_blocked(session: Session, listing: Listing) -> bool:
    """Hold a listing that is going live for review when its text matches the blocklist.

    Call it right after setting ``status = "active"`` on publishing; the
    caller flushes and reindexes as usual.

    Args:
        session: the write session of the publishing.
        listing: the listing being published.

    Returns:
        True when the listing was held (status "pending").
    """
    if listing.status != "active" or not matches(session, listing.title, listing.description):
        return False
    listing.status = "pending"
    session.add(listing)
    return True


def hold_if_edited_in(session: Session, listing: Listing, before: tuple[str, str]) -> bool:
    """Hold a live listing for review when an edit brought a blocked term into its text.

    An approved listing whose words did not change is left alone, so editing
    only its price does not send it back to the queue.

    Args:
        session: the write session of the edit.
        listing: the listing after the edit.
        before: its (title, description) before the edit.

    Returns:
        True when the listing was held (status "pending").
    """
    if (listing.title, listing.description) == before:
        return False
    return hold_if_blocked(session, listing)


def pending_listings(session: Session, actor_id: int, *, limit: int = 50) -> list[PendingRow]:
    """Listings waiting for review, oldest first (moderators only).

    Raises:
        PermissionDenied: the reader is not a moderator.
    """
    require_moderator(session, actor_id)
    cover = (
        select(ListingImage.listing_id, func.min(ListingImage.position).label("pos"))
        .group_by(ListingImage.listing_id)
        .subquery()
    )
    stmt = (
        select(Listing, User.name, Shop.name, ListingImage.storage_key)
        .join(User, User.id == Listing.seller_id)
        .outerjoin(Shop, Shop.id == Listing.shop_id)
        .outerjoin(cover, cover.c.listing_id == Listing.id)
        .outerjoin(
            ListingImage,
            and_(ListingImage.listing_id == Listing.id, ListingImage.position == cover.c.pos),
        )
        .where(Listing.status == "pending")
        .order_by(col(Listing.updated_at), col(Listing.id))
        .limit(max(1, min(int(limit), 200)))
    )
    return [
        PendingRow(
            listing_id=listing.id,
            title=listing.title,
            description=listing.description,
            kind=listing.kind,
            seller_name=seller,
            shop_name=shop,
            cover_key=key,
            terms=matches(session, listing.title, listing.description),
            updated_at=listing.updated_at,
        )
        for listing, seller, shop, key in session.exec(stmt).all()
    ]


def _pending(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if listing is None or listing.status != "pending":
        raise NotFound()
    return listing


def approve(session: Session, *, actor_id: int, listing_id: int) -> Listing:
    """Let a held listing go live: active, searchable, its owner told.

    Raises:
        PermissionDenied: the actor is not a moderator.
        NotFound: no such listing waiting for review.
    """
    require_moderator(session, actor_id)
    listing = _pending(session, listing_id)
    now = utcnow()
    listing.status = "active"
    listing.published_at = listing.published_at or now
    listing.updated_at = now
    session.add(listing)
    audit.record(
        session,
        actor_id=actor_id,
        action=APPROVE_ACTION,
        target_type="listing",
        target_id=listing.id,
    )
    inbox.notify(
        session,
        listing.seller_id,
        "inbox.moderation.listing_approved",
        {"title": listing.title},
        f"/listing/{listing.id}",
    )
    search.reindex_listing(session, listing.id)
    return listing


def reject(session: Session, *, actor_id: int, listing_id: int, reason: str) -> Listing:
    """Refuse a held listing: removed, with a reason its owner reads.

    Raises:
        PermissionDenied: the actor is not a moderator.
        NotFound: no such listing waiting for review.
        ValidationFailed: ``reason`` missing or too long.
    """
    require_moderator(session, actor_id)
    words = audit.checked_reason(reason, required=True)
    listing = _pending(session, listing_id)
    takedown.take_down(
        session,
        listing,
        actor_id=actor_id,
        action=REJECT_ACTION,
        notice="inbox.moderation.listing_rejected",
        reason=words,
    )
    return listing
