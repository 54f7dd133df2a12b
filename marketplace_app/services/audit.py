"""The audit log: who did what to which thing, when and why.

Operator actions and role changes write an :class:`AuditEntry` in the same
transaction as the change (:func:`record`). Staff read the log newest first,
filtered by actor, action, target type and a date range (:func:`entries`);
the filters ride on the ``(actor_id, at)`` and ``(action, at)`` indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from marketplace_app.models import AuditEntry, User
from marketplace_app.services import roles
from marketplace_app.services.accounts import raise_if
from marketplace_app.services.errors import ValidationFailed
from marketplace_app.settings import settings

REASON_MAX = 500
PAGE_MAX = 100
FILTER_MAX = 60
# The action families the reader offers as filters ("sanction." keeps every sanction.*).
ACTION_GROUPS = (
    "report.",
    "listing.",
    "review.",
    "message.",
    "sanction.",
    "blocklist.",
    "role.",
    "shop.",
)
TARGET_TYPES = ("listing", "review", "message", "user", "report", "shop", "blocked_term")


def checked_reason(reason: object, *, required: bool) -> str:
    """An operator's reason as the log keeps it: trimmed, at most 500 characters.

    Args:
        reason: the reason as typed.
        required: refuse an empty one.

    Returns:
        The trimmed reason.

    Raises:
        ValidationFailed: ``reason`` missing (when required) or too long.
    """
    words = reason.strip()[: REASON_MAX + 1] if isinstance(reason, str) else ""
    raise_if(
        {
            "reason": "error.queue_reason_required"
            if required and not words
            else ("error.too_long" if len(words) > REASON_MAX else None)
        }
    )
    return words


@dataclass(frozen=True)
class AuditFilter:
    """What to keep: each field empty (or None) keeps everything.

    ``actor`` matches the actor's name or email (case-insensitive, contains);
    ``action`` is an exact action or a prefix ending with "." (e.g. "sanction.");
    ``since`` and ``until`` are local calendar days, both included.
    """

    actor: str = ""
    action: str = ""
    target_type: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditRow:
    """One entry as the reader shows it."""

    id: int
    at: datetime
    actor_name: str
    action: str
    target_type: str
    target_id: int | None
    reason: str


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
) -> None:
    """Write one audit entry in the caller's transaction.

    Args:
        session: the write session of the change being audited.
        actor_id: who acted (None for the command line or the system).
        action: e.g. "sanction.suspend".
        target_type: e.g. "user", "listing", "report".
        target_id: the target's id.
        reason: why (cut to 500 characters).
    """
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action[:60],
            target_type=target_type[:40],
            target_id=target_id,
            reason=(reason or "")[:REASON_MAX],
        )
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.timezone))


def entries(
    session: Session,
    actor_id: int,
    where: AuditFilter | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditRow], bool]:
    """A page of the audit log, newest first (staff only).

    Args:
        session: any session.
        actor_id: the reader (a moderator or admin).
        where: the filters (None keeps everything).
        limit: page size (1-100).
        offset: entries to skip.

    Returns:
        The page's rows, and whether more entries follow.

    Raises:
        PermissionDenied: the reader is not staff.
        ValidationFailed: ``until`` before ``since`` (field ``until``).
    """
    roles.require_staff(session, actor_id)
    where = where or AuditFilter()
    if where.since and where.until and where.until < where.since:
        raise ValidationFailed({"until": "error.audit_dates"})
    limit = max(1, min(int(limit), PAGE_MAX))
    stmt = select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.actor_id)
    actor = where.actor.strip()[:FILTER_MAX].lower()
    if actor:
        pattern = "%" + actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        ids = select(User.id).where(
            col(User.name).ilike(pattern, escape="\\") | col(User.email).ilike(pattern, escape="\\")
        )
        stmt = stmt.where(col(AuditEntry.actor_id).in_(ids))
    action = where.action.strip()[:FILTER_MAX]
    if action.endswith("."):
        stmt = stmt.where(col(AuditEntry.action).startswith(action, autoescape=True))
    elif action:
        stmt = stmt.where(AuditEntry.action == action)
    if where.target_type:
        stmt = stmt.where(AuditEntry.target_type == where.target_type.strip()[:40])
    if where.since:
        stmt = stmt.where(col(AuditEntry.at) >= _day_start(where.since))
    if where.until:
        stmt = stmt.where(col(AuditEntry.at) < _day_start(where.until + timedelta(days=1)))
    stmt = (
        stmt.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset(max(0, int(offset)))
        .limit(limit + 1)
    )
    found = session.exec(stmt).all()
    rows = [
        AuditRow(
            id=entry.id,
            at=entry.at,
            actor_name=name or "",
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            reason=entry.reason,
        )
        for entry, name in found[:limit]
    ]
    return rows, len(found) > limit
