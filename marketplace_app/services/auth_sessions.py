"""Logins, login tickets and sessions, and changing a password.

A login (like a password change) is two steps so that the slow part never holds the write lock (on
SQLite a write transaction is ``BEGIN IMMEDIATE`` and blocks every other
writer): :func:`check_credentials` runs in a read transaction and does the
throttle check and the ~40 ms password verify; :func:`record_login` runs in a
short write transaction and records the attempt, stores a re-hash and issues
the ticket. :func:`log_in` runs both.

Secrets (session ids, login tickets) are stored only as HMACs
(:mod:`marketplace_app.services.security`).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from marketplace_app.models import (
    AuthSession,
    LoginAttempt,
    LoginTicket,
    PasswordResetToken,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import throttle
from marketplace_app.services.accounts import (
    live_user,
    normalize_contact,
    password_error,
    raise_if,
    user_by_contact,
)
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.passwords import (
    burn_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from marketplace_app.services.security import new_token, token_hash
from marketplace_app.settings import settings

MAX_TOKEN_LEN = 200

TICKET_TTL = timedelta(seconds=60)
SESSION_TOUCH_EVERY = timedelta(minutes=5)

# How long spent records are kept before prune_expired deletes them.
KEEP_LOGIN_ATTEMPTS = timedelta(days=1)
KEEP_SPENT_TICKETS = timedelta(days=1)
KEEP_EXPIRED_RESET_TOKENS = timedelta(days=1)
KEEP_ENDED_SESSIONS = timedelta(days=30)

SessionFactory = Callable[[], AbstractContextManager[Session]]


# --- login ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginCheck:
    """What :func:`check_credentials` found, for :func:`record_login`.

    It holds no secret: the password itself is not kept, only hashes.

    Attributes:
        account: the normalized contact (or, when it is not a valid one, the
            typed text lowercased), as the attempt is recorded.
        ip: the client's address, truncated to 45 characters.
        user_id: the user whose password matched, or None when refused.
        password_changed_at: that user's ``password_changed_at`` at the check.
        verified_hash: the stored hash the password matched.
        new_hash: a fresh hash of the same password when the stored one uses
            older parameters, else None.
    """

    account: str
    ip: str
    user_id: int | None = None
    password_changed_at: datetime | None = None
    verified_hash: str = ""
    new_hash: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the password matched a live account."""
        return self.user_id is not None


def check_credentials(
    session: Session, *, contact: str, password: str, ip: str, now: datetime | None = None
) -> LoginCheck:
    """Check a login's password without writing anything (the slow half of a login).

    The throttle is checked first (an account gets 5 failed tries within 15
    minutes, counted since its last successful login; an address 30); a
    throttled try is refused before the password is looked at. Then the
    password is verified; an unknown or deleted account costs one verify too,
    so both refusals take the same time. When the stored hash is outdated,
    the new hash is computed here as well, so the write step stays short.

    Args:
        session: a read session (nothing is written).
        contact: email or phone as typed.
        password: the password as typed.
        ip: the client's address ("" when unknown).
        now: the time of the attempt (default: now).

    Returns:
        The outcome, to pass to :func:`record_login`.

    Raises:
        Throttled: ``error.login_throttled`` or ``error.login_throttled_ip``
            with ``minutes`` to wait.
    """
    now = now or utcnow()
    ip = (ip or "")[:45]
    try:
        kind, account = normalize_contact(contact)
    except ValidationFailed:
        kind, account = "", (contact or "").strip().lower()[:254]
    throttle.check(session, throttle.LOGIN, account=account, ip=ip, now=now)
    user = user_by_contact(session, kind, account) if kind else None
    if user is None or user.deleted_at is not None:
        burn_verify(password)
        return LoginCheck(account=account, ip=ip)
    if not verify_password(password, user.password_hash):
        return LoginCheck(account=account, ip=ip)
    return LoginCheck(
        account=account,
        ip=ip,
        user_id=user.id,
        password_changed_at=user.password_changed_at,
        verified_hash=user.password_hash,
        new_hash=hash_password(password) if needs_rehash(user.password_hash) else None,
    )


def record_login(session: Session, check: LoginCheck, *, now: datetime | None = None) -> str | None:
    """Record a checked login and, when it succeeded, issue its login ticket (the fast half).

    The throttle is checked again here, under the write lock, so concurrent
    tries cannot slip past it between the check and the record; a try
    refused now records nothing, as in :func:`check_credentials`. A success
    also fails when the account was deleted or its password changed since
    the check. An outdated hash is replaced only if no one changed it since.

    A refusal is returned, not raised: the caller commits the transaction so
    the failed attempt counts towards the throttle, then reports the
    refusal (raising would roll the record back). :func:`log_in` does that.

    Args:
        session: a write session.
        check: what :func:`check_credentials` found.
        now: the time of the attempt (default: now).

    Returns:
        The plaintext login ticket, or None when the login is refused.

    Raises:
        Throttled: the account or address reached its limit meanwhile.
    """
    now = now or utcnow()
    throttle.check(session, throttle.LOGIN, account=check.account, ip=check.ip, now=now)
    user = None
    if check.user_id is not None:
        # FOR UPDATE (PostgreSQL): a concurrent password change waits for this commit.
        user = session.exec(select(User).where(User.id == check.user_id).with_for_update()).first()
    ok = (
        user is not None
        and user.deleted_at is None
        and user.password_changed_at == check.password_changed_at
    )
    throttle.record(
        session, throttle.LOGIN, account=check.account, ip=check.ip, success=ok, now=now
    )
    if not ok:
        return None
    if check.new_hash:
        session.exec(
            update(User)
            .where(User.id == user.id, User.password_hash == check.verified_hash)
            .values(password_hash=check.new_hash)
        )
    return issue_login_ticket(session, user.id)


def log_in(
    read_tx: SessionFactory, write_tx: SessionFactory, *, contact: str, password: str, ip: str
) -> str:
    """Log in: verify in a read transaction, then record in a short write transaction.

    The write lock is taken only after the password verify, so a login does
    not stall other writers for the hash time. A refused attempt is committed
    before :class:`ValidationFailed` is raised, so it counts.

    Args:
        read_tx: opens a read session (e.g. :func:`marketplace_app.db.read_session`).
        write_tx: opens one write transaction that commits on a normal exit
            (e.g. :func:`marketplace_app.db.write_session`).
        contact: email or phone as typed.
        password: the password as typed.
        ip: the client's address ("" when unknown).

    Returns:
        The plaintext login ticket, for the browser to trade for its session.

    Raises:
        Throttled: ``error.login_throttled`` or ``error.login_throttled_ip``
            with ``minutes`` to wait; nothing is recorded.
        ValidationFailed: ``{"_form": "error.login_invalid"}`` for an unknown
            account or a wrong password alike.
    """
    with read_tx() as session:
        check = check_credentials(session, contact=contact, password=password, ip=ip)
    with write_tx() as session:
        ticket = record_login(session, check)
    if ticket is None:
        raise ValidationFailed({"_form": "error.login_invalid"})
    return ticket


# --- login tickets and sessions -------------------------------------------------


def issue_login_ticket(session: Session, user_id: int) -> str:
    """Issue a one-time ticket the browser trades for its session cookie.

    Args:
        session: a write session.
        user_id: the user who just proved who they are.

    Returns:
        The plaintext ticket, valid for 60 seconds.
    """
    ticket = new_token()
    session.add(
        LoginTicket(
            user_id=user_id, ticket_hash=token_hash(ticket), expires_at=utcnow() + TICKET_TTL
        )
    )
    session.flush()
    return ticket


def redeem_login_ticket(
    session: Session, ticket: str, *, user_agent: str, ip: str, replaces: str | None = None
) -> str | None:
    """Trade a login ticket for a new session, once.

    The session the browser carried before (``replaces``, of this user or
    another) is revoked when the new one is issued, so its id can never be
    used again.

    Args:
        session: a write session.
        ticket: the plaintext ticket.
        user_agent: the browser's User-Agent (kept for the user's session list).
        ip: the client's address.
        replaces: the browser's previous session cookie, if it sent one.

    Returns:
        The plaintext session token, or None when the ticket is unknown,
        expired, already used, or its user is gone.
    """
    if not ticket or len(ticket) > MAX_TOKEN_LEN:
        return None
    now = utcnow()
    digest = token_hash(ticket)
    taken = session.exec(
        update(LoginTicket)
        .where(
            LoginTicket.ticket_hash == digest,
            col(LoginTicket.used_at).is_(None),
            LoginTicket.expires_at > now,
        )
        .values(used_at=now)
    )
    if taken.rowcount != 1:
        return None
    user_id = session.exec(
        select(LoginTicket.user_id).where(LoginTicket.ticket_hash == digest)
    ).one()
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        return None
    token = new_token()
    session.add(
        AuthSession(
            user_id=user_id,
            token_hash=token_hash(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=settings.session_days),
            user_agent=(user_agent or "")[:255],
            ip=(ip or "")[:45],
        )
    )
    if replaces:
        end_session(session, replaces)
    session.flush()
    return token


def session_user(session: Session, token: str | None) -> tuple[User, bool] | None:
    """The user a session cookie belongs to, if the session is still good.

    A session is good when it is not revoked or expired, its user is not
    deleted, and it began after the user's last password change. Only reads,
    so it can run in a read transaction on every page load.

    Args:
        session: any session.
        token: the cookie's plaintext session id.

    Returns:
        (user, whether last_seen_at is due for a touch), or None.
    """
    if not token or len(token) > MAX_TOKEN_LEN:
        return None
    now = utcnow()
    row = session.exec(
        select(AuthSession, User)
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    auth, user = row
    if (
        auth.revoked_at is not None
        or auth.expires_at <= now
        or user.deleted_at is not None
        or auth.created_at < user.password_changed_at
    ):
        return None
    return user, now - auth.last_seen_at >= SESSION_TOUCH_EVERY


def touch_session(session: Session, token: str) -> None:
    """Record that a session was used (at most every 5 minutes).

    Args:
        session: a write session.
        token: the cookie's plaintext session id.
    """
    now = utcnow()
    session.exec(
        update(AuthSession)
        .where(
            AuthSession.token_hash == token_hash(token),
            AuthSession.last_seen_at < now - SESSION_TOUCH_EVERY,
        )
        .values(last_seen_at=now)
    )


def user_for_session(session: Session, token: str | None) -> User | None:
    """Like :func:`session_user`, touching ``last_seen_at`` when due.

    Args:
        session: a write session.
        token: the cookie's plaintext session id.

    Returns:
        The user, or None.
    """
    found = session_user(session, token)
    if found is None:
        return None
    user, due = found
    if due:
        touch_session(session, token)
    return user


def end_session(session: Session, token: str) -> None:
    """Revoke a session (log out); an unknown token is ignored.

    Args:
        session: a write session.
        token: the cookie's plaintext session id.
    """
    if not token or len(token) > MAX_TOKEN_LEN:
        return
    session.exec(
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash(token), col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow())
    )


# --- housekeeping ---------------------------------------------------------------------


def prune_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete login records nobody needs any more (for a periodic job).

    Deletes login attempts older than a day (the throttle looks back 15
    minutes), login tickets used or expired more than a day ago, password
    reset tokens expired more than a day ago (the reset limit looks back an
    hour), and sessions expired or revoked more than 30 days ago.

    Args:
        session: a write session.
        now: the current time (default: now).

    Returns:
        How many rows were deleted.
    """
    now = now or utcnow()
    ticket_cutoff = now - KEEP_SPENT_TICKETS
    session_cutoff = now - KEEP_ENDED_SESSIONS
    statements = (
        delete(LoginAttempt).where(LoginAttempt.at < now - KEEP_LOGIN_ATTEMPTS),
        delete(LoginTicket).where(
            or_(LoginTicket.expires_at < ticket_cutoff, col(LoginTicket.used_at) < ticket_cutoff)
        ),
        delete(PasswordResetToken).where(
            PasswordResetToken.expires_at < now - KEEP_EXPIRED_RESET_TOKENS
        ),
        delete(AuthSession).where(
            or_(
                AuthSession.expires_at < session_cutoff,
                col(AuthSession.revoked_at) < session_cutoff,
            )
        ),
    )
    return sum(session.exec(statement).rowcount for statement in statements)


# --- password change ------------------------------------------------------------------


def _end_everything(session: Session, user_id: int, now: datetime) -> None:
    """Revoke every session and spend every outstanding ticket and reset link."""
    session.exec(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.exec(
        update(LoginTicket)
        .where(LoginTicket.user_id == user_id, col(LoginTicket.used_at).is_(None))
        .values(used_at=now)
    )
    session.exec(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, col(PasswordResetToken.used_at).is_(None))
        .values(used_at=now)
    )


def set_password_hash(session: Session, user: User, password_hash: str) -> None:
    """Store a new password's hash and end everything the old password opened.

    Every session is revoked and every outstanding login ticket and reset
    link is spent; sessions begun before ``password_changed_at`` are refused.
    The caller hashes the password before its write transaction opens.

    Args:
        session: a write session.
        user: the user.
        password_hash: the new password's hash (the password already validated).
    """
    now = utcnow()
    user.password_hash = password_hash
    user.password_changed_at = now
    user.updated_at = now
    session.add(user)
    _end_everything(session, user.id, now)


@dataclass(frozen=True)
class PasswordCheck:
    """What :func:`check_password_change` found, for :func:`record_password_change`.

    Attributes:
        user_id: the logged-in user.
        ip: the client's address, truncated to 45 characters.
        current_ok: whether the current password matched.
        password_changed_at: the user's ``password_changed_at`` at the check.
        new_error: the i18n key of what is wrong with the new password, or None.
        new_hash: the new password's hash, when the change can go ahead.
    """

    user_id: int
    ip: str
    current_ok: bool
    password_changed_at: datetime
    new_error: str | None
    new_hash: str | None = field(default=None, repr=False)


def check_password_change(
    session: Session,
    user_id: int,
    *,
    current: str,
    new: str,
    ip: str,
    now: datetime | None = None,
) -> PasswordCheck:
    """Check a password change without writing anything (the slow half).

    The throttle is checked first (5 wrong current passwords per account
    within 15 minutes, counted since its last right one; 30 per address).
    Then the current password is verified and, when it is right and the new
    one is acceptable, the new one is hashed.

    Args:
        session: a read session (nothing is written).
        user_id: the logged-in user.
        current: their current password as typed.
        new: the new password as typed.
        ip: the client's address ("" when unknown).
        now: the time of the attempt (default: now).

    Returns:
        The outcome, to pass to :func:`record_password_change`.

    Raises:
        NotFound: the user is gone.
        Throttled: ``error.password_throttled`` or ``error.password_throttled_ip``.
    """
    now = now or utcnow()
    ip = (ip or "")[:45]
    user = live_user(session, user_id)
    throttle.check(session, throttle.PASSWORD_CHANGE, account=str(user_id), ip=ip, now=now)
    current_ok = verify_password(current or "", user.password_hash)
    new_error = password_error(new or "")
    return PasswordCheck(
        user_id=user_id,
        ip=ip,
        current_ok=current_ok,
        password_changed_at=user.password_changed_at,
        new_error=new_error,
        new_hash=hash_password(new) if current_ok and new_error is None else None,
    )


def record_password_change(
    session: Session, check: PasswordCheck, *, now: datetime | None = None
) -> str | None:
    """Record a checked password change and, when it may go ahead, make it (the fast half).

    The throttle is checked again under the write lock. A right current
    password no longer counts when the password changed since the check. A
    refusal is returned, not raised, so the caller commits the recorded try
    (see :func:`change_password`).

    Args:
        session: a write session.
        check: what :func:`check_password_change` found.
        now: the time of the attempt (default: now).

    Returns:
        A login ticket for the browser that made the change, or None when refused.

    Raises:
        NotFound: the user is gone.
        Throttled: the account or address reached its limit meanwhile.
    """
    now = now or utcnow()
    account = str(check.user_id)
    throttle.check(session, throttle.PASSWORD_CHANGE, account=account, ip=check.ip, now=now)
    # FOR UPDATE (PostgreSQL): a concurrent change or login waits for this commit.
    user = session.exec(select(User).where(User.id == check.user_id).with_for_update()).first()
    if user is None or user.deleted_at is not None:
        raise NotFound()
    ok = check.current_ok and user.password_changed_at == check.password_changed_at
    throttle.record(
        session, throttle.PASSWORD_CHANGE, account=account, ip=check.ip, success=ok, now=now
    )
    if not ok or check.new_hash is None:
        return None
    set_password_hash(session, user, check.new_hash)
    session.flush()
    return issue_login_ticket(session, user.id)


def change_password(
    read_tx: SessionFactory,
    write_tx: SessionFactory,
    user_id: int,
    *,
    current: str,
    new: str,
    ip: str,
) -> str:
    """Change a password: every session ends, the caller gets a ticket for a new one.

    The verify and the hash run in a read transaction; the write lock is held
    only for the short write. A wrong current password is committed as a
    failed try before it is reported.

    Args:
        read_tx: opens a read session.
        write_tx: opens one write transaction that commits on a normal exit.
        user_id: the logged-in user.
        current: their current password.
        new: the new password (8-128 characters).
        ip: the client's address ("" when unknown).

    Returns:
        A login ticket, so the browser that made the change stays logged in.

    Raises:
        NotFound: the user is gone.
        Throttled: too many wrong current passwords for the account or address.
        ValidationFailed: ``current`` is wrong and/or ``new`` is refused.
    """
    with read_tx() as session:
        check = check_password_change(session, user_id, current=current, new=new, ip=ip)
    if check.current_ok and check.new_error:
        raise ValidationFailed({"new": check.new_error})
    with write_tx() as session:
        ticket = record_password_change(session, check)
    if ticket is None:
        raise_if({"current": "error.password_wrong", "new": check.new_error})
    return ticket
