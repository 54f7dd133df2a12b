"""Moderation: reports, the operator's actions on them, and sanctions on members.

A logged-in user reports a public listing (active or sold) or a member, with a
reason from :data:`~marketplace_app.models.moderation.REPORT_REASONS` and an
optional text (reviews and messages are reported through their own services).
A reporter has at most one *open* report per target: reporting again updates it.

Moderators (and admins) act on an open report: dismiss it; hide what it names
(a listing is taken off the market with status ``removed``, without
``deleted_at``, its owner reads the reason via :func:`removal_reason`; a
review or a message is hidden with a reason, its words kept); or warn,
suspend (1-365 days) or ban the member responsible (the listing's seller, the
review's author, the message's sender, the reported member). A sanction in
force can be lifted. Every action closes the target's open reports, writes an
audit entry and tells the member concerned in their inbox, with the reason.
Staff cannot be sanctioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from marketplace_app.models import (
    AuditEntry,
    Conversation,
    Listing,
    ListingImage,
    Message,
    Report,
    Review,
    Sanction,
    Shop,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    audit,
    blocklist,
    inbox,
    listing_access,
    messaging,
    reports,
    reviews,
    roles,
    takedown,
)
from marketplace_app.services.errors import NotFound, OwnCase, ValidationFailed
from marketplace_app.settings import settings

HIDE_ACTION = "listing.hide"
MESSAGE_HIDE_ACTION = "message.hide"
SANCTION_ACTIONS = ("warn", "suspend", "ban")
SUSPEND_DAYS = (1, 365)
REMOVAL_ACTIONS = (HIDE_ACTION, blocklist.REJECT_ACTION)


@dataclass(frozen=True)
class ReportRow:
    """One open report in the queue, with the reported listing in context."""

    id: int
    reason: str
    text: str
    created_at: datetime
    reporter_name: str
    listing_id: int
    listing_title: str
    listing_status: str
    listing_kind: str
    seller_name: str
    shop_name: str | None
    cover_key: str | None
    open_reports: int
    mine: bool = False


def report_listing(
    session: Session, *, reporter_id: int, listing_id: int, reason: str, text: str
) -> Report:
    """Report a public listing to the operators.

    Args:
        session: a write session.
        reporter_id: the logged-in reporter.
        listing_id: the listing.
        reason: one of ``REPORT_REASONS``.
        text: details (up to 1000 characters; required when the reason is "other").

    Returns:
        The open report (an existing open one by this reporter is updated).

    Raises:
        NotFound: the listing is absent or not public.
        ValidationFailed: ``reason`` or ``text`` invalid; ``_form``
            ``error.report_own_listing`` for the reporter's own listing.
    """
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if not listing_access.is_public(listing):
        raise NotFound()
    reason, text = reports.checked(reason, text)
    if listing_access.can_edit(session, reporter_id, listing) or listing.seller_id == reporter_id:
        raise ValidationFailed({"_form": "error.report_own_listing"})
    return reports.file(session, reporter_id, "listing", listing.id, reason, text)


def open_reports(
    session: Session, *, limit: int = 50, actor_id: int | None = None
) -> list[ReportRow]:
    """Open listing reports, oldest first, each with its listing in context.

    Args:
        session: any session.
        limit: at most this many (1-200).
        actor_id: when given, the caller must be a moderator.

    Returns:
        Queue rows; ``mine`` marks those about the reader's own listings
        (another operator must decide them).

    Raises:
        PermissionDenied: ``actor_id`` is given and not a moderator.
    """
    if actor_id is not None:
        roles.require_staff(session, actor_id)
    reporter = User.__table__.alias("reporter")
    seller = User.__table__.alias("seller")
    cover = (
        select(ListingImage.listing_id, func.min(ListingImage.position).label("pos"))
        .group_by(ListingImage.listing_id)
        .subquery()
    )
    counts = (
        select(Report.target_id, func.count().label("n"))
        .where(Report.target_type == "listing", Report.status == "open")
        .group_by(Report.target_id)
        .subquery()
    )
    stmt = (
        select(
            Report,
            Listing,
            reporter.c.name,
            seller.c.name,
            Shop.name,
            ListingImage.storage_key,
            counts.c.n,
        )
        .join(Listing, Listing.id == Report.target_id)
        .join(reporter, reporter.c.id == Report.reporter_id)
        .join(seller, seller.c.id == Listing.seller_id)
        .outerjoin(Shop, Shop.id == Listing.shop_id)
        .outerjoin(cover, cover.c.listing_id == Listing.id)
        .outerjoin(
            ListingImage,
            and_(ListingImage.listing_id == Listing.id, ListingImage.position == cover.c.pos),
        )
        .join(counts, counts.c.target_id == Listing.id)
        .where(Report.target_type == "listing", Report.status == "open")
        .order_by(col(Report.created_at), col(Report.id))
        .limit(max(1, min(limit, 200)))
    )
    return [
        ReportRow(
            id=report.id,
            reason=report.reason,
            text=report.text,
            created_at=report.created_at,
            reporter_name=reporter_name,
            listing_id=listing.id,
            listing_title=listing.title,
            listing_status=listing.status,
            listing_kind=listing.kind,
            seller_name=seller_name,
            shop_name=shop_name,
            cover_key=cover_key,
            open_reports=n,
            mine=actor_id is not None and involves(session, actor_id, report),
        )
        for report, listing, reporter_name, seller_name, shop_name, cover_key, n in session.exec(
            stmt
        ).all()
    ]


def report_user(
    session: Session, *, reporter_id: int, user_id: int, reason: str, text: str
) -> Report:
    """Report a member to the operators (e.g. from a listing's seller card).

    Args:
        session: a write session.
        reporter_id: the logged-in reporter.
        user_id: the member reported.
        reason: one of ``REPORT_REASONS``.
        text: details (up to 1000 characters; required when the reason is "other").

    Returns:
        The open report (an existing open one by this reporter is updated).

    Raises:
        NotFound: no such (live) member.
        ValidationFailed: ``reason`` or ``text`` invalid; ``_form``
            ``error.report_self`` for reporting oneself.
    """
    member = session.get(User, user_id) if isinstance(user_id, int) else None
    if member is None or member.deleted_at is not None:
        raise NotFound()
    reason, text = reports.checked(reason, text)
    if member.id == reporter_id:
        raise ValidationFailed({"_form": "error.report_self"})
    return reports.file(session, reporter_id, "user", member.id, reason, text)


def report_seller(
    session: Session, *, reporter_id: int, listing_id: int, reason: str, text: str
) -> Report:
    """Report the member who sells a public listing (the seller card's "report this member").

    Args:
        session: a write session.
        reporter_id: the logged-in reporter.
        listing_id: a public listing (active or sold) whose seller is reported.
        reason: one of ``REPORT_REASONS``.
        text: details (up to 1000 characters; required when the reason is "other").

    Returns:
        The open report of the seller.

    Raises:
        NotFound: the listing is absent or not public.
        ValidationFailed: as :func:`report_user`.
    """
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if not listing_access.is_public(listing):
        raise NotFound()
    return report_user(
        session, reporter_id=reporter_id, user_id=listing.seller_id, reason=reason, text=text
    )


def involves(session: Session, user_id: int, report: Report) -> bool:
    """Whether what a report names is the user's own business.

    A listing they sell (or their shop's), a review of an order they are
    party to, a message of a conversation they take part in, or themselves.
    An operator never decides such a report: another operator must.

    Args:
        session: any session.
        user_id: the operator.
        report: the report.

    Returns:
        True when the user is concerned.
    """
    if report.target_type == "user":
        return report.target_id == user_id
    if report.target_type == "listing":
        listing = session.get(Listing, report.target_id)
        return listing is not None and listing_access.involves(session, user_id, listing)
    if report.target_type == "review":
        review = session.get(Review, report.target_id)
        return review is not None and reviews.concerns(session, user_id, review)
    message = session.get(Message, report.target_id)
    conv = session.get(Conversation, message.conversation_id) if message is not None else None
    return conv is not None and messaging.side_of(session, conv, user_id) is not None


def _open_report(session: Session, report_id: int, actor_id: int) -> Report:
    """An open report the operator may decide (one that does not concern them)."""
    report = session.get(Report, report_id) if isinstance(report_id, int) else None
    if report is None:
        raise NotFound()
    if report.status != "open":
        raise ValidationFailed({"_form": "error.report_handled"})
    if involves(session, actor_id, report):
        raise OwnCase()
    return report


def _close_reports(
    session: Session, target_type: str, target_id: int, actor_id: int, resolution: str
) -> None:
    """Close every open report of one target as actioned."""
    now = utcnow()
    for report in session.exec(
        select(Report).where(
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.status == "open",
        )
    ).all():
        report.status = "actioned"
        report.handled_by = actor_id
        report.handled_at = now
        report.resolution = resolution
        session.add(report)


def dismiss_report(session: Session, *, actor_id: int, report_id: int, reason: str = "") -> None:
    """Close a report without action (what it names stays as it is).

    Args:
        session: a write session.
        actor_id: the moderator.
        report_id: the report.
        reason: an optional note (up to 500 characters), kept with the report.

    Raises:
        PermissionDenied: the actor is not a moderator.
        OwnCase: the report concerns the actor (:func:`involves`).
        NotFound: no such report.
        ValidationFailed: ``reason`` too long, or ``_form``
            ``error.report_handled`` when it was already handled.
    """
    roles.require_staff(session, actor_id)
    reason = audit.checked_reason(reason, required=False)
    report = _open_report(session, report_id, actor_id)
    report.status = "dismissed"
    report.handled_by = actor_id
    report.handled_at = utcnow()
    report.resolution = reason
    session.add(report)
    audit.record(
        session,
        actor_id=actor_id,
        action="report.dismiss",
        target_type="report",
        target_id=report.id,
        reason=reason,
    )
    session.flush()


def _report_of(session: Session, report_id: int, target_type: str, actor_id: int) -> Report:
    report = _open_report(session, report_id, actor_id)
    if report.target_type != target_type:
        raise NotFound()
    return report


def hide_listing(
    session: Session,
    *,
    actor_id: int,
    reason: str,
    report_id: int | None = None,
    listing_id: int | None = None,
) -> None:
    """Take a listing off the market for a reason, closing its open reports.

    The listing's status becomes ``removed`` (its owner did not delete it, so
    ``deleted_at`` stays empty); the owner reads the reason on their listings
    and gets a notice.

    Args:
        session: a write session.
        actor_id: the moderator.
        reason: why (1-500 characters); the owner reads it.
        report_id: an open report of the listing (or give ``listing_id``).
        listing_id: the listing, when not acting from a report.

    Raises:
        PermissionDenied: the actor is not a moderator.
        OwnCase: the report concerns the actor (:func:`involves`).
        NotFound: no such report or listing, or the listing is already removed.
        ValidationFailed: ``reason`` missing or too long; ``_form`` when the
            report was already handled.
    """
    roles.require_staff(session, actor_id)
    reason = audit.checked_reason(reason, required=True)
    if report_id is not None:
        listing_id = _report_of(session, report_id, "listing", actor_id).target_id
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if listing is None or listing.status == "removed":
        raise NotFound()
    _close_reports(session, "listing", listing.id, actor_id, reason)
    takedown.take_down(
        session,
        listing,
        actor_id=actor_id,
        action=HIDE_ACTION,
        notice="inbox.moderation.listing_removed",
        reason=reason,
    )


def hide_message(session: Session, *, actor_id: int, report_id: int, reason: str) -> Message:
    """Hide a reported message with a reason (its words are kept), closing its reports.

    Raises:
        PermissionDenied: the actor is not a moderator.
        OwnCase: the report concerns the actor (:func:`involves`).
        NotFound: no such open message report, or the message is already hidden.
        ValidationFailed: ``reason`` missing or too long; ``_form`` when handled.
    """
    roles.require_staff(session, actor_id)
    reason = audit.checked_reason(reason, required=True)
    report = _report_of(session, report_id, "message", actor_id)
    message = session.get(Message, report.target_id)
    if message is None or message.hidden_at is not None:
        raise NotFound()
    message.hidden_at = utcnow()
    message.hidden_reason = reason
    session.add(message)
    _close_reports(session, "message", message.id, actor_id, reason)
    audit.record(
        session,
        actor_id=actor_id,
        action=MESSAGE_HIDE_ACTION,
        target_type="message",
        target_id=message.id,
        reason=reason,
    )
    inbox.notify(
        session, message.sender_id, "inbox.moderation.message_hidden", {"reason": reason}, ""
    )
    session.flush()
    return message


def hide_review(session: Session, *, actor_id: int, report_id: int, reason: str) -> Review:
    """Hide a reported review (:func:`reviews.hide`) and tell its author why.

    Raises:
        PermissionDenied: the actor is not a moderator.
        OwnCase: the report concerns the actor (:func:`involves`).
        NotFound: no such open review report, or the review is already hidden.
        ValidationFailed: ``reason`` missing or too long.
    """
    review = reviews.hide(session, actor_id, None, reason, report_id=report_id)
    inbox.notify(
        session,
        review.author_id,
        "inbox.moderation.review_hidden",
        {"reason": review.hidden_reason},
        "",
    )
    return review


_HIDERS = {"listing": hide_listing, "message": hide_message, "review": hide_review}


def hide_reported(session: Session, *, actor_id: int, report_id: int, reason: str) -> None:
    """Hide whatever an open report names (a listing, a review or a message).

    Raises:
        PermissionDenied: the actor is not a moderator.
        OwnCase: the report concerns the actor (:func:`involves`).
        NotFound: no such report, or it names a member (members are sanctioned, not hidden).
        ValidationFailed: as the hiding function of the target type.
    """
    roles.require_staff(session, actor_id)
    hider = _HIDERS.get(_open_report(session, report_id, actor_id).target_type)
    if hider is None:
        raise NotFound()
    hider(session, actor_id=actor_id, report_id=report_id, reason=reason)


def responsible_member(session: Session, report: Report) -> int | None:
    """The member behind what a report names (seller, author, sender, the member).

    Returns:
        Their user id, or None when the target no longer exists.
    """
    if report.target_type == "user":
        return report.target_id
    model, column = {
        "listing": (Listing, "seller_id"),
        "review": (Review, "author_id"),
        "message": (Message, "sender_id"),
    }[report.target_type]
    target = session.get(model, report.target_id)
    return getattr(target, column) if target is not None else None


def _local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")


def _days(kind: str, days: object) -> int | None:
    if kind != "suspend":
        return None
    low, high = SUSPEND_DAYS
    if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
        raise ValidationFailed({"days": "error.suspend_days"}, min=low, max=high)
    return days


def sanction(
    session: Session,
    *,
    actor_id: int,
    kind: str,
    reason: str,
    days: int | None = None,
    report_id: int | None = None,
    user_id: int | None = None,
) -> Sanction:
    """Warn, suspend (for N days) or ban a member, from a report or directly.

    From a report, the member is the one responsible for what it names and
    the target's open reports are closed. A suspension or ban stops the
    member posting, buying, offering and messaging while in force
    (:mod:`marketplace_app.services.sanctions`); a warning only informs.

    Args:
        session: a write session.
        actor_id: the moderator.
        kind: "warn", "suspend" or "ban".
        reason: why (1-500 characters); the member reads it.
        days: for a suspension, 1-365.
        report_id: an open report (or give ``user_id``).
        user_id: the member, when not acting from a report.

    Returns:
        The new sanction.

    Raises:
        PermissionDenied: the actor is not a moderator.
        OwnCase: the report concerns the actor (:func:`involves`).
        NotFound: no such report or member.
        ValidationFailed: ``kind`` unknown (``_form``), ``days`` out of
            range, ``reason`` missing or too long; ``_form``
            ``error.sanction_staff`` for staff or oneself.
    """
    roles.require_staff(session, actor_id)
    if kind not in SANCTION_ACTIONS:
        raise ValidationFailed({"_form": "error.sanction_kind"})
    days = _days(kind, days)
    reason = audit.checked_reason(reason, required=True)
    report = _open_report(session, report_id, actor_id) if report_id is not None else None
    if report is not None:
        user_id = responsible_member(session, report)
    member = session.get(User, user_id) if isinstance(user_id, int) else None
    if member is None or member.deleted_at is not None:
        raise NotFound()
    if member.id == actor_id or roles.has_role(member, "moderator"):
        raise ValidationFailed({"_form": "error.sanction_staff"})
    now = utcnow()
    row = Sanction(
        user_id=member.id,
        kind=kind,
        reason=reason,
        actor_id=actor_id,
        created_at=now,
        ends_at=now + timedelta(days=days) if days else None,
    )
    session.add(row)
    if report is not None:
        _close_reports(session, report.target_type, report.target_id, actor_id, reason)
    audit.record(
        session,
        actor_id=actor_id,
        action=f"sanction.{kind}",
        target_type="user",
        target_id=member.id,
        reason=reason if days is None else f"{days}d: {reason}",
    )
    params = {"reason": reason}
    if row.ends_at is not None:
        params["until"] = _local(row.ends_at)
    inbox.notify(session, member.id, f"inbox.moderation.{kind}", params, "")
    session.flush()
    return row


def lift_sanction(session: Session, *, actor_id: int, sanction_id: int, reason: str = "") -> None:
    """End a warning, suspension or ban early (audited; the member is told).

    Raises:
        PermissionDenied: the actor is not a moderator.
        OwnCase: the sanction is the actor's own.
        NotFound: no such sanction, or it was already lifted.
        ValidationFailed: ``reason`` too long.
    """
    roles.require_staff(session, actor_id)
    reason = audit.checked_reason(reason, required=False)
    row = session.get(Sanction, sanction_id) if isinstance(sanction_id, int) else None
    if row is None or row.lifted_at is not None:
        raise NotFound()
    if row.user_id == actor_id:
        raise OwnCase()
    row.lifted_at = utcnow()
    row.lifted_by = actor_id
    session.add(row)
    audit.record(
        session,
        actor_id=actor_id,
        action="sanction.lift",
        target_type="user",
        target_id=row.user_id,
        reason=f"{row.kind} #{row.id}" + (f": {reason}" if reason else ""),
    )
    if row.kind != "warn":
        inbox.notify(session, row.user_id, "inbox.moderation.lifted", {}, "")
    session.flush()


def removal_reasons(session: Session, listing_ids: Sequence[int]) -> dict[int, str]:
    """Why the operators took listings down (hidden, or rejected after review).

    Args:
        session: any session.
        listing_ids: the listings (e.g. a page of the owner's listings).

    Returns:
        listing id -> the reason of the latest take-down, for those that have one.
    """
    ids = [i for i in listing_ids if isinstance(i, int)][:200]
    if not ids:
        return {}
    rows = session.exec(
        select(AuditEntry.target_id, AuditEntry.reason)
        .where(
            AuditEntry.target_type == "listing",
            col(AuditEntry.target_id).in_(ids),
            col(AuditEntry.action).in_(REMOVAL_ACTIONS),
        )
        .order_by(col(AuditEntry.at), col(AuditEntry.id))
    ).all()
    return dict(rows)


def removal_reason(session: Session, listing_id: int) -> str | None:
    """Why the operators took a listing down (for its owner), or None when they did not.

    Args:
        session: any session.
        listing_id: the listing.

    Returns:
        The reason of the latest hide or rejection, while the listing is still removed.
    """
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if listing is None or listing.status != "removed" or listing.deleted_at is not None:
        return None
    return removal_reasons(session, [listing.id]).get(listing.id)
