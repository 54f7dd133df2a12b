"""Whether a member may act: suspensions and bans in force.

Operators issue sanctions (see :mod:`marketplace_app.services.moderation`);
this module answers the one question every writing service asks before a
member posts, buys, offers or sends a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from marketplace_app.models import Sanction
from marketplace_app.models.types import utcnow
from marketplace_app.services.errors import ServiceError
from marketplace_app.settings import settings


@dataclass(frozen=True)
class Standing:
    """A restriction in force: ``kind`` is "suspend" or "ban"; ``until`` None for a ban."""

    kind: str
    until: datetime | None
    reason: str


class Restricted(ServiceError):
    """The member is suspended or banned and may not do this now."""

    def __init__(self, standing: Standing) -> None:
        if standing.until is None:
            super().__init__("error.account_banned", reason=standing.reason)
        else:
            local = standing.until.astimezone(ZoneInfo(settings.timezone))
            super().__init__(
                "error.account_suspended",
                until=local.strftime("%Y-%m-%d %H:%M"),
                reason=standing.reason,
            )
        self.standing = standing


def restriction(session: Session, user_id: int, now: datetime | None = None) -> Standing | None:
    """The suspension or ban in force for a member, if any (a ban wins).

    Args:
        session: any session.
        user_id: the member.
        now: the moment to judge at (defaults to now).

    Returns:
        The restriction in force, or None when the member may act.
    """
    now = now or utcnow()
    rows = session.exec(
        select(Sanction)
        .where(
            Sanction.user_id == user_id,
            col(Sanction.kind).in_(("suspend", "ban")),
            col(Sanction.lifted_at).is_(None),
            or_(col(Sanction.ends_at).is_(None), col(Sanction.ends_at) > now),
        )
        .order_by(col(Sanction.created_at).desc())
    ).all()
    ban = next((s for s in rows if s.kind == "ban"), None)
    if ban is not None:
        return Standing("ban", None, ban.reason)
    if not rows:
        return None
    latest = max(rows, key=lambda s: s.ends_at)
    return Standing("suspend", latest.ends_at, latest.reason)


def require_good_standing(session: Session, user_id: int) -> None:
    """Refuse when the member is suspended or banned.

    Args:
        session: any session (usually the write session of the action).
        user_id: the member about to post, buy, offer or send a message.

    Raises:
        Restricted: a suspension or ban is in force.
    """
    standing = restriction(session, user_id)
    if standing is not None:
        raise Restricted(standing)
