"""Throttling guesses: tries per account and per address.

Logging in, signing up and changing a password share this one throttle.
Every counted try is a :class:`~marketplace_app.models.LoginAttempt` row
tagged with its action. :func:`check` refuses a try once the account or the
address has used up its tries within the last 15 minutes; :func:`record`
stores one. A slow step (a password hash or verify) runs between a check in a
read transaction and a second check plus the record in a short write
transaction, so concurrent tries cannot slip past the limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace_app.models import LoginAttempt
from marketplace_app.services.errors import Throttled

WINDOW = timedelta(minutes=15)
ACCOUNT_MAX = 254
IP_MAX = 45


@dataclass(frozen=True)
class Limit:
    """How many tries one action allows per account and per address within the window.

    Attributes:
        action: the ``LoginAttempt.action`` the tries are recorded under.
        per_account: tries allowed per account (or contact) in the window.
        per_ip: tries allowed per client address in the window.
        account_key: the i18n key of the refusal for an account.
        ip_key: the i18n key of the refusal for an address.
        successes_count: whether successful tries count too. When False only
            failures count, and an account's count restarts at its last
            success (only someone with the password can do that; an address's
            count never restarts, so an attacker's own account cannot reset it).
    """

    action: str
    per_account: int
    per_ip: int
    account_key: str
    ip_key: str
    successes_count: bool = False


LOGIN = Limit("login", 5, 30, "error.login_throttled", "error.login_throttled_ip")
# Every sign-up counts: each one says whether a contact is taken, and many from
# one address are scripted account creation.
SIGN_UP = Limit(
    "sign_up", 5, 20, "error.sign_up_throttled", "error.sign_up_throttled_ip", successes_count=True
)
# Wrong current passwords, from someone holding a session who may not be its owner.
PASSWORD_CHANGE = Limit(
    "password", 5, 30, "error.password_throttled", "error.password_throttled_ip"
)
LIMITS = (LOGIN, SIGN_UP, PASSWORD_CHANGE)


def _counted(session: Session, limit: Limit, where, since: datetime, most: int) -> list[datetime]:
    """Times of the newest counted tries matching ``where`` since ``since``, newest first."""
    query = select(LoginAttempt.at).where(
        LoginAttempt.action == limit.action, where, LoginAttempt.at > since
    )
    if not limit.successes_count:
        query = query.where(col(LoginAttempt.success).is_(False))
    return list(session.exec(query.order_by(col(LoginAttempt.at).desc()).limit(most)).all())


def _minutes_left(oldest_counted: datetime, now: datetime) -> int:
    seconds = (oldest_counted + WINDOW - now).total_seconds()
    return max(1, math.ceil(seconds / 60))


def check(session: Session, limit: Limit, *, account: str, ip: str, now: datetime) -> None:
    """Refuse when the account or the address used up its tries within the window.

    An unknown (empty) address is not throttled as one, since it would lump
    unrelated people together.

    Args:
        session: any session (this only reads).
        limit: the action's limits.
        account: the account's key as :func:`record` stores it.
        ip: the client's address ("" when unknown).
        now: the time of the try.

    Raises:
        Throttled: ``limit.account_key`` or ``limit.ip_key`` with ``minutes`` to wait.
    """
    since = now - WINDOW
    account_since = since
    if not limit.successes_count:
        last_ok = session.exec(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.action == limit.action,
                LoginAttempt.account == account[:ACCOUNT_MAX],
                col(LoginAttempt.success).is_(True),
            )
        ).one()
        account_since = max(since, last_ok or since)
    tries = _counted(
        session,
        limit,
        LoginAttempt.account == account[:ACCOUNT_MAX],
        account_since,
        limit.per_account,
    )
    if len(tries) >= limit.per_account:
        raise Throttled(limit.account_key, minutes=_minutes_left(tries[-1], now))
    if ip:
        tries = _counted(session, limit, LoginAttempt.ip == ip[:IP_MAX], since, limit.per_ip)
        if len(tries) >= limit.per_ip:
            raise Throttled(limit.ip_key, minutes=_minutes_left(tries[-1], now))


def record(
    session: Session, limit: Limit, *, account: str, ip: str, success: bool, now: datetime
) -> None:
    """Store one try.

    Args:
        session: a write session.
        limit: the action's limits.
        account: the account's key (a normalized contact, or a user id).
        ip: the client's address ("" when unknown).
        success: whether the try succeeded.
        now: the time of the try.
    """
    session.add(
        LoginAttempt(
            action=limit.action,
            account=account[:ACCOUNT_MAX],
            ip=(ip or "")[:IP_MAX],
            success=success,
            at=now,
        )
    )
    session.flush()
