"""The blocklist: words that hold a listing for an operator's review before it goes live.

Admins add and remove terms. Matching is on NFKC-normalized, case-folded
text, so "ＧＵＮ", "Gun" and "gun" match the term "gun", and Chinese terms
match inside Chinese text (which has no spaces between words).

One rule decides whether a listing may go live now or must wait for review,
:func:`go_live`, and every path that puts a listing on sale calls it:
publishing a resident's listing or a shop's product, unpausing, and a sold
item going back on sale after its order was cancelled (:func:`back_on_sale`).
A held listing gets status "pending": not public, not in search, and its
owner reads why on My listings. Its words need a review when they contain a
blocked term added after they were last cleared (``text_cleared_at``: found
clean when going live, or approved by an operator); words never cleared
since they last changed need one for any term they contain. So a term added
since a listing went on sale holds it the next time it goes live, and an
approved listing is not held again for the terms it was approved with.

An edit that brings a blocked term into the words of a listing on sale,
paused or sold (:func:`words_edited`) holds it at once: a sold item's page
stays public, and a paused one must not come back unreviewed. Approval puts
it back where it was (``held_from``); rejection removes it with a reason.
Operators never decide their own listings.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from marketplace_app.models import BlockedTerm, Listing, ListingImage, Shop, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import audit, inbox, listing_access, roles, search, takedown
from marketplace_app.services.accounts import raise_if
from marketplace_app.services.errors import NotFound, OwnCase, ValidationFailed

TERM_MAX = 60
TERMS_MAX = 500
APPROVE_ACTION = "listing.approve"
REJECT_ACTION = "listing.reject"
_APPROVED_NOTICE = {
    "active": "inbox.moderation.listing_approved",
    "paused": "inbox.moderation.listing_approved_paused",
    "sold": "inbox.moderation.listing_approved_sold",
}


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
    mine: bool = False


def normalize(text: str) -> str:
    """Text as matching sees it: NFKC, case-folded, runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def terms(session: Session, actor_id: int) -> list[BlockedTerm]:
    """Every blocked term, alphabetically (admins only).

    Raises:
        PermissionDenied: the reader is not an admin.
    """
    roles.require_staff(session, actor_id, "admin")
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
    roles.require_staff(session, actor_id, "admin")
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
    roles.require_staff(session, actor_id, "admin")
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


def _haystack(texts: tuple[str, ...]) -> str:
    return "\n".join(normalize(t) for t in texts)


def _matching(session: Session, texts: tuple[str, ...]) -> list[BlockedTerm]:
    haystack = _haystack(texts)
    if not haystack.strip():
        return []
    listed = session.exec(select(BlockedTerm).order_by(col(BlockedTerm.term))).all()
    return [row for row in listed if row.term and row.term in haystack]


def matcher(session: Session) -> Callable[..., tuple[str, ...]]:
    """:func:`matches` for many texts against the blocklist as read once, now (bulk imports).

    Args:
        session: any session.

    Returns:
        A function of texts giving the terms they contain, alphabetically.
    """
    listed = [t for t in session.exec(select(BlockedTerm.term).order_by(BlockedTerm.term)) if t]

    def matching(*texts: str) -> tuple[str, ...]:
        haystack = _haystack(texts)
        return tuple(t for t in listed if t in haystack) if haystack.strip() else ()

    return matching


def matches(session: Session, *texts: str) -> tuple[str, ...]:
    """The blocked terms that occur in any of the texts.

    Args:
        session: any session.
        texts: e.g. a title and a description.

    Returns:
        The matching terms, alphabetically (empty when none match).
    """
    return tuple(row.term for row in _matching(session, texts))


def needs_review(session: Session, listing: Listing) -> tuple[str, ...]:
    """The blocked terms that keep a listing's words from going live unreviewed.

    Those its title and description contain that were added after the words
    were last cleared; every one they contain when they never were.

    Args:
        session: any session.
        listing: the listing.

    Returns:
        The terms, alphabetically (empty: it may go live).
    """
    cleared = listing.text_cleared_at
    return tuple(
        row.term
        for row in _matching(session, (listing.title, listing.description))
        if cleared is None or row.created_at > cleared
    )


def _hold(session: Session, listing: Listing, back_to: str) -> None:
    """Wait for review; approval returns the listing to ``back_to``."""
    listing.status = "pending"
    listing.held_from = None if back_to == "active" else back_to
    session.add(listing)


def go_live(session: Session, listing: Listing) -> bool:
    """Put a listing on sale, or hold it for review when its words need one.

    The one answer to "may this listing go live now?": publishing,
    unpausing and going back on sale after a cancelled order all ask it.
    The caller has checked everything else (owner, photos, standing) and
    flushes and reindexes as usual.

    Args:
        session: the write session of the change.
        listing: the listing going live.

    Returns:
        True when it is on sale (status "active"); False when held ("pending").
    """
    if needs_review(session, listing):
        _hold(session, listing, "active")
        return False
    listing.status = "active"
    listing.held_from = None
    listing.text_cleared_at = utcnow()
    session.add(listing)
    return True


def words_edited(session: Session, listing: Listing, before: tuple[str, str]) -> bool:
    """After an edit: hold a listing whose new words need a review, whatever its status.

    A listing on sale, paused or sold whose title or description changed and
    now contains a blocked term waits for review; approval returns it to
    that status. A draft's words are checked when it is published. Editing
    anything else (the price, say) leaves an approved listing alone.

    Args:
        session: the write session of the edit.
        listing: the listing after the edit.
        before: its (title, description) before the edit.

    Returns:
        True when the listing was held (status "pending").
    """
    if (listing.title, listing.description) == before:
        return False
    listing.text_cleared_at = None
    if listing.status not in ("active", "paused", "sold"):
        return False
    if needs_review(session, listing):
        _hold(session, listing, listing.status)
        return True
    listing.text_cleared_at = utcnow()
    session.add(listing)
    return False


def back_on_sale(session: Session, listing: Listing) -> bool:
    """A sold item goes back on sale (its order was cancelled), through :func:`go_live`.

    One held for review since it was sold goes on sale once approved.

    Args:
        session: the write session of the cancellation.
        listing: the item.

    Returns:
        True when its status (or where approval takes it) changed.
    """
    if listing.status == "pending" and listing.held_from == "sold":
        listing.held_from = None
        session.add(listing)
        return True
    if listing.status != "sold":
        return False
    go_live(session, listing)
    return True


def pending_listings(session: Session, actor_id: int, *, limit: int = 50) -> list[PendingRow]:
    """Listings waiting for review, oldest first (moderators only).

    ``mine`` marks the reader's own listings (theirs or their shop's):
    another operator must decide those.

    Raises:
        PermissionDenied: the reader is not a moderator.
    """
    roles.require_staff(session, actor_id)
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
            mine=listing_access.involves(session, actor_id, listing),
        )
        for listing, seller, shop, key in session.exec(stmt).all()
    ]


def _pending(session: Session, listing_id: int, actor_id: int) -> Listing:
    """A held listing the operator may decide (not their own, nor their shop's)."""
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if listing is None or listing.status != "pending":
        raise NotFound()
    if listing_access.involves(session, actor_id, listing):
        raise OwnCase()
    return listing


def approve(session: Session, *, actor_id: int, listing_id: int) -> Listing:
    """Let a held listing go back: on sale (or paused or sold, as it was held from).

    Its words count as cleared from now on (:func:`needs_review`); it is
    searchable again and its owner is told.

    Raises:
        PermissionDenied: the actor is not a moderator.
        NotFound: no such listing waiting for review.
        OwnCase: the listing is the actor's own (or their shop's).
    """
    roles.require_staff(session, actor_id)
    listing = _pending(session, listing_id, actor_id)
    now = utcnow()
    back_to = listing.held_from or "active"
    listing.status = back_to
    listing.held_from = None
    listing.text_cleared_at = now
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
        _APPROVED_NOTICE[back_to],
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
        OwnCase: the listing is the actor's own (or their shop's).
    """
    roles.require_staff(session, actor_id)
    words = audit.checked_reason(reason, required=True)
    listing = _pending(session, listing_id, actor_id)
    listing.held_from = None
    takedown.take_down(
        session,
        listing,
        actor_id=actor_id,
        action=REJECT_ACTION,
        notice="inbox.moderation.listing_rejected",
        reason=words,
    )
    return listing
