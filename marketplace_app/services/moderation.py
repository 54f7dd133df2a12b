"""Moderation: reports of listings and the operator queue that handles them.

A logged-in user reports a public listing (active or sold) with a reason
from :data:`~marketplace_app.models.moderation.REPORT_REASONS` and an optional
text. A reporter has at most one *open* report per listing: reporting again
updates it. Moderators (and admins) see the open reports with the listing in
context and either dismiss a report or hide the listing. Hiding sets the
listing's status to ``removed`` (without ``deleted_at``: the owner did not
delete it), closes all its open reports as ``actioned`` and writes an audit
entry whose reason the owner can read later (:func:`removal_reason`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from marketplace_app.models import AuditEntry, Listing, ListingImage, Report, Shop, User
from marketplace_app.models.moderation import REPORT_REASONS
from marketplace_app.models.types import utcnow
from marketplace_app.services import listing_access, search
from marketplace_app.services.accounts import raise_if
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.shops import require_moderator

TEXT_MAX = 1000
RESOLUTION_MAX = 500
PUBLIC_STATUSES = ("active", "sold")
HIDE_ACTION = "listing.hide"


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


def _clean(value: object, limit: int) -> str:
    return value.strip()[: limit + 1] if isinstance(value, str) else ""


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
    if listing is None or listing.status not in PUBLIC_STATUSES:
        raise NotFound()
    reason = reason.strip() if isinstance(reason, str) else ""
    text = _clean(text, TEXT_MAX)
    raise_if(
        {
            "reason": None if reason in REPORT_REASONS else "error.report_reason",
            "text": "error.too_long"
            if len(text) > TEXT_MAX
            else ("error.report_text_required" if reason == "other" and not text else None),
        }
    )
    if listing_access.can_edit(session, reporter_id, listing) or listing.seller_id == reporter_id:
        raise ValidationFailed({"_form": "error.report_own_listing"})
    report = session.exec(
        select(Report).where(
            Report.reporter_id == reporter_id,
            Report.target_type == "listing",
            Report.target_id == listing.id,
            Report.status == "open",
        )
    ).first()
    if report is None:
        report = Report(
            reporter_id=reporter_id, target_type="listing", target_id=listing.id, reason=reason
        )
    report.reason = reason
    report.text = text
    session.add(report)
    session.flush()
    return report


def open_reports(
    session: Session, *, limit: int = 50, actor_id: int | None = None
) -> list[ReportRow]:
    """Open listing reports, oldest first, each with its listing in context.

    Args:
        session: any session.
        limit: at most this many (1-200).
        actor_id: when given, the caller must be a moderator.

    Returns:
        Queue rows.

    Raises:
        PermissionDenied: ``actor_id`` is given and not a moderator.
    """
    if actor_id is not None:
        require_moderator(session, actor_id)
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
        )
        for report, listing, reporter_name, seller_name, shop_name, cover_key, n in session.exec(
            stmt
        ).all()
    ]


def _open_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id) if isinstance(report_id, int) else None
    if report is None:
        raise NotFound()
    if report.status != "open":
        raise ValidationFailed({"_form": "error.report_handled"})
    return report


def _audit(session: Session, actor_id: int, action: str, kind: str, target: int, reason: str):
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type=kind,
            target_id=target,
            reason=reason[:RESOLUTION_MAX],
        )
    )


def dismiss_report(session: Session, *, actor_id: int, report_id: int, reason: str = "") -> None:
    """Close a report without action (the listing stays as it is).

    Args:
        session: a write session.
        actor_id: the moderator.
        report_id: the report.
        reason: an optional note (up to 500 characters), kept with the report.

    Raises:
        PermissionDenied: the actor is not a moderator.
        NotFound: no such report.
        ValidationFailed: ``reason`` too long, or ``_form``
            ``error.report_handled`` when it was already handled.
    """
    require_moderator(session, actor_id)
    reason = _clean(reason, RESOLUTION_MAX)
    raise_if({"reason": "error.too_long" if len(reason) > RESOLUTION_MAX else None})
    report = _open_report(session, report_id)
    report.status = "dismissed"
    report.handled_by = actor_id
    report.handled_at = utcnow()
    report.resolution = reason
    session.add(report)
    _audit(session, actor_id, "report.dismiss", "report", report.id, reason)
    session.flush()


def hide_listing(
    session: Session,
    *,
    actor_id: int,
    reason: str,
    report_id: int | None = None,
    listing_id: int | None = None,
) -> None:
    """Take a listing off the market for a reason, closing its open reports.

    Args:
        session: a write session.
        actor_id: the moderator.
        reason: why (1-500 characters); the owner can read it later.
        report_id: an open report of the listing (or give ``listing_id``).
        listing_id: the listing, when not acting from a report.

    Raises:
        PermissionDenied: the actor is not a moderator.
        NotFound: no such report or listing, or the listing is already removed.
        ValidationFailed: ``reason`` missing or too long; ``_form`` when the
            report was already handled.
    """
    require_moderator(session, actor_id)
    reason = _clean(reason, RESOLUTION_MAX)
    raise_if(
        {
            "reason": "error.queue_reason_required"
            if not reason
            else ("error.too_long" if len(reason) > RESOLUTION_MAX else None)
        }
    )
    if report_id is not None:
        report = _open_report(session, report_id)
        if report.target_type != "listing":
            raise NotFound()
        listing_id = report.target_id
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if listing is None or listing.status == "removed":
        raise NotFound()
    now = utcnow()
    listing.status = "removed"
    listing.updated_at = now
    session.add(listing)
    reports = session.exec(
        select(Report).where(
            Report.target_type == "listing",
            Report.target_id == listing.id,
            Report.status == "open",
        )
    ).all()
    for report in reports:
        report.status = "actioned"
        report.handled_by = actor_id
        report.handled_at = now
        report.resolution = reason
        session.add(report)
    _audit(session, actor_id, HIDE_ACTION, "listing", listing.id, reason)
    session.flush()
    search.reindex_listing(session, listing.id)


def removal_reason(session: Session, listing_id: int) -> str | None:
    """Why the operators hid a listing (for its owner), or None when they did not.

    Args:
        session: any session.
        listing_id: the listing.

    Returns:
        The reason of the latest hide, while the listing is still removed.
    """
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if listing is None or listing.status != "removed":
        return None
    return session.exec(
        select(AuditEntry.reason)
        .where(
            AuditEntry.target_type == "listing",
            AuditEntry.target_id == listing.id,
            AuditEntry.action == HIDE_ACTION,
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(1)
    ).first()
