"""The operator queue's reported messages and members in context, and sanctions in force.

Reads only; moderators (and admins) only. Rows an operator may not decide
(:func:`moderation.involves`) say so with ``mine``. Listing reports are
:func:`marketplace_app.services.moderation.open_reports`, review reports
:func:`marketplace_app.services.reviews.open_review_reports`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from marketplace_app.models import Conversation, Listing, Message, Report, Sanction, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import moderation, roles

CONTEXT_BEFORE = 3
CONTEXT_AFTER = 2
SANCTIONS_SHOWN = 10
LIMIT_MAX = 200


@dataclass(frozen=True)
class ContextMessage:
    """A message of the reported one's conversation (``reported`` marks that one)."""

    id: int
    sender_name: str
    body: str
    created_at: datetime
    hidden: bool
    reported: bool


@dataclass(frozen=True)
class MessageReportRow:
    """An open report of a message, with the messages around it."""

    id: int
    reason: str
    text: str
    created_at: datetime
    reporter_name: str
    message_id: int
    sender_id: int
    sender_name: str
    listing_title: str
    context: tuple[ContextMessage, ...]
    open_reports: int
    mine: bool = False


@dataclass(frozen=True)
class SanctionRow:
    """A sanction of a member; ``in_force`` is False once ended or lifted (always for a warning)."""

    id: int
    user_id: int
    user_name: str
    kind: str
    reason: str
    created_at: datetime
    ends_at: datetime | None
    lifted_at: datetime | None
    in_force: bool
    mine: bool = False


@dataclass(frozen=True)
class MemberSummary:
    """A member as the operator sees them before deciding."""

    id: int
    name: str
    member_since: datetime
    listing_count: int
    sanctions: tuple[SanctionRow, ...]


@dataclass(frozen=True)
class UserReportRow:
    """An open report of a member, with the member's record."""

    id: int
    reason: str
    text: str
    created_at: datetime
    reporter_name: str
    member: MemberSummary
    open_reports: int
    mine: bool = False


def _limit(limit: int) -> int:
    return max(1, min(int(limit), LIMIT_MAX))


def _open_counts(session: Session, target_type: str):
    return (
        select(Report.target_id, func.count().label("n"))
        .where(Report.target_type == target_type, Report.status == "open")
        .group_by(Report.target_id)
        .subquery()
    )


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all())


def _in_force(row: Sanction, now: datetime) -> bool:
    if row.kind == "warn" or row.lifted_at is not None:
        return False
    return row.ends_at is None or row.ends_at > now


def _sanction_row(row: Sanction, name: str, now: datetime) -> SanctionRow:
    return SanctionRow(
        id=row.id,
        user_id=row.user_id,
        user_name=name,
        kind=row.kind,
        reason=row.reason,
        created_at=row.created_at,
        ends_at=row.ends_at,
        lifted_at=row.lifted_at,
        in_force=_in_force(row, now),
    )


def _context(session: Session, message: Message) -> tuple[ContextMessage, ...]:
    before = session.exec(
        select(Message)
        .where(Message.conversation_id == message.conversation_id, Message.id < message.id)
        .order_by(col(Message.id).desc())
        .limit(CONTEXT_BEFORE)
    ).all()
    after = session.exec(
        select(Message)
        .where(Message.conversation_id == message.conversation_id, Message.id > message.id)
        .order_by(col(Message.id))
        .limit(CONTEXT_AFTER)
    ).all()
    thread = [*reversed(before), message, *after]
    names = _names(session, {m.sender_id for m in thread})
    return tuple(
        ContextMessage(
            id=m.id,
            sender_name=names.get(m.sender_id, ""),
            body=m.body,
            created_at=m.created_at,
            hidden=m.hidden_at is not None,
            reported=m.id == message.id,
        )
        for m in thread
    )


def message_reports(session: Session, actor_id: int, *, limit: int = 50) -> list[MessageReportRow]:
    """Open reports of messages, oldest first, each with its conversation around it.

    Raises:
        PermissionDenied: the reader is not a moderator.
    """
    roles.require_staff(session, actor_id)
    counts = _open_counts(session, "message")
    stmt = (
        select(Report, Message, Listing.title, counts.c.n)
        .join(Message, Message.id == Report.target_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(Listing, Listing.id == Conversation.listing_id)
        .join(counts, counts.c.target_id == Message.id)
        .where(Report.target_type == "message", Report.status == "open")
        .order_by(col(Report.created_at), col(Report.id))
        .limit(_limit(limit))
    )
    found = session.exec(stmt).all()
    people = {r.reporter_id for r, *_ in found} | {m.sender_id for _, m, *_ in found}
    names = _names(session, people)
    return [
        MessageReportRow(
            id=report.id,
            reason=report.reason,
            text=report.text,
            created_at=report.created_at,
            reporter_name=names.get(report.reporter_id, ""),
            message_id=message.id,
            sender_id=message.sender_id,
            sender_name=names.get(message.sender_id, ""),
            listing_title=title or "",
            context=_context(session, message),
            open_reports=n,
            mine=moderation.involves(session, actor_id, report),
        )
        for report, message, title, n in found
    ]


def member_summary(session: Session, actor_id: int, user_id: int) -> MemberSummary | None:
    """A member's name, member since, live listing count and latest sanctions (moderators only).

    Returns:
        The summary, or None for an absent member.

    Raises:
        PermissionDenied: the reader is not a moderator.
    """
    roles.require_staff(session, actor_id)
    member = session.get(User, user_id) if isinstance(user_id, int) else None
    if member is None:
        return None
    listings = session.exec(
        select(func.count())
        .select_from(Listing)
        .where(
            Listing.seller_id == member.id,
            col(Listing.status).in_(("active", "paused", "pending", "sold")),
        )
    ).one()
    rows = session.exec(
        select(Sanction)
        .where(Sanction.user_id == member.id)
        .order_by(col(Sanction.created_at).desc(), col(Sanction.id).desc())
        .limit(SANCTIONS_SHOWN)
    ).all()
    now = utcnow()
    return MemberSummary(
        id=member.id,
        name=member.name,
        member_since=member.created_at,
        listing_count=int(listings),
        sanctions=tuple(_sanction_row(s, member.name, now) for s in rows),
    )


def user_reports(session: Session, actor_id: int, *, limit: int = 50) -> list[UserReportRow]:
    """Open reports of members, oldest first, each with the member's record.

    Raises:
        PermissionDenied: the reader is not a moderator.
    """
    roles.require_staff(session, actor_id)
    counts = _open_counts(session, "user")
    stmt = (
        select(Report, counts.c.n)
        .join(counts, counts.c.target_id == Report.target_id)
        .where(Report.target_type == "user", Report.status == "open")
        .order_by(col(Report.created_at), col(Report.id))
        .limit(_limit(limit))
    )
    found = session.exec(stmt).all()
    names = _names(session, {r.reporter_id for r, _ in found})
    rows = []
    for report, n in found:
        member = member_summary(session, actor_id, report.target_id)
        if member is not None:
            rows.append(
                UserReportRow(
                    id=report.id,
                    reason=report.reason,
                    text=report.text,
                    created_at=report.created_at,
                    reporter_name=names.get(report.reporter_id, ""),
                    member=member,
                    open_reports=n,
                    mine=moderation.involves(session, actor_id, report),
                )
            )
    return rows


def sanctions_in_force(session: Session, actor_id: int, *, limit: int = 50) -> list[SanctionRow]:
    """Suspensions and bans in force now, newest first (to lift one early).

    ``mine`` marks the reader's own (another operator must lift it).

    Raises:
        PermissionDenied: the reader is not a moderator.
    """
    roles.require_staff(session, actor_id)
    now = utcnow()
    found = session.exec(
        select(Sanction, User.name)
        .join(User, User.id == Sanction.user_id)
        .where(
            col(Sanction.kind).in_(("suspend", "ban")),
            col(Sanction.lifted_at).is_(None),
            or_(col(Sanction.ends_at).is_(None), col(Sanction.ends_at) > now),
        )
        .order_by(col(Sanction.created_at).desc(), col(Sanction.id).desc())
        .limit(_limit(limit))
    ).all()
    return [
        replace(_sanction_row(row, name, now), mine=row.user_id == actor_id) for row, name in found
    ]
