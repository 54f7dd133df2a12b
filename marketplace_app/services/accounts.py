"""Accounts: registration, login, sessions, profile, addresses, password reset, roles.

Every function takes the caller's :class:`~sqlmodel.Session` and does its
writes in that transaction; errors are :mod:`marketplace_app.services.errors`
carrying i18n keys. Secrets (session ids, login tickets, reset tokens) are
stored only as HMACs (:mod:`marketplace_app.services.security`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace_app.i18n import translate
from marketplace_app.models import (
    Address,
    AuditEntry,
    AuthSession,
    LoginAttempt,
    LoginTicket,
    PasswordResetToken,
    ShopMember,
    User,
)
from marketplace_app.models.accounts import LOCALES, ROLES
from marketplace_app.models.types import utcnow
from marketplace_app.services import notifications
from marketplace_app.services.errors import (
    NotFound,
    PermissionDenied,
    Throttled,
    ValidationFailed,
)
from marketplace_app.services.passwords import (
    burn_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from marketplace_app.services.security import new_token, token_hash
from marketplace_app.settings import settings

NAME_MAX = 60
PASSWORD_MIN = 8
PASSWORD_MAX = 128
BIO_MAX = 500
DISTRICT_MAX = 60
REASON_MAX = 500
MAX_TOKEN_LEN = 200

LOGIN_WINDOW = timedelta(minutes=15)
ACCOUNT_MAX_FAILURES = 5
IP_MAX_FAILURES = 30
TICKET_TTL = timedelta(seconds=60)
SESSION_TOUCH_EVERY = timedelta(minutes=5)
RESET_TTL = timedelta(hours=1)
RESETS_PER_HOUR = 3
MAX_ADDRESSES = 50

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE = re.compile(r"^\+?\d{6,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s-]+")
_ROLE_RANK = {"user": 0, "moderator": 1, "admin": 2}


# --- contacts and field rules ---------------------------------------------------


def normalize_contact(contact: str) -> tuple[str, str]:
    """Classify and normalize a log-in contact.

    Args:
        contact: what the person typed: an email address or a phone number.

    Returns:
        ``("email", lowercased address)`` or ``("phone", digits with an
        optional leading +)``.

    Raises:
        ValidationFailed: ``contact`` is neither.
    """
    value = (contact or "").strip()
    if "@" in value:
        if len(value) <= 254 and _EMAIL.match(value):
            return "email", value.lower()
    else:
        phone = _PHONE_SEPARATORS.sub("", value)
        if _PHONE.match(phone):
            return "phone", phone
    raise ValidationFailed({"contact": "error.contact_invalid"})


def _name_error(name: str) -> str | None:
    if not name:
        return "error.name_required"
    if len(name) > NAME_MAX:
        return "error.name_too_long"
    return None


def _password_error(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return "error.password_too_short"
    if len(password) > PASSWORD_MAX:
        return "error.password_too_long"
    return None


def _raise_if(errors: dict[str, str | None]) -> None:
    found = {k: v for k, v in errors.items() if v}
    if found:
        raise ValidationFailed(found)


def _user_by_contact(session: Session, kind: str, value: str) -> User | None:
    column = User.email if kind == "email" else User.phone
    return session.exec(select(User).where(column == value)).first()


def _live_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    return user


# --- registration and login -------------------------------------------------------


def register(session: Session, *, name: str, contact: str, password: str, locale: str) -> User:
    """Create an account.

    Args:
        session: a write session.
        name: display name, 1-60 characters after stripping.
        contact: email address or phone number, unique among all accounts.
        password: 8-128 characters.
        locale: "zh-CN" or "en".

    Returns:
        The new user (flushed, so it has an id).

    Raises:
        ValidationFailed: with every field's problem at once.
    """
    name = (name or "").strip()
    errors: dict[str, str | None] = {
        "name": _name_error(name),
        "password": _password_error(password or ""),
        "locale": None if locale in LOCALES else "error.locale_invalid",
    }
    kind = value = ""
    try:
        kind, value = normalize_contact(contact)
    except ValidationFailed as error:
        errors.update(error.fields)
    else:
        if _user_by_contact(session, kind, value) is not None:
            errors["contact"] = "error.contact_taken"
    _raise_if(errors)
    user = User(name=name, password_hash=hash_password(password), locale=locale, **{kind: value})
    try:
        # A savepoint, so a concurrent registration (PostgreSQL) only fails this insert.
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise ValidationFailed({"contact": "error.contact_taken"}) from None
    return user


def _recent_failures(session: Session, where, since: datetime) -> list[datetime]:
    """Times of the newest failures matching ``where`` since ``since``, newest first."""
    rows = session.exec(
        select(LoginAttempt.at)
        .where(where, col(LoginAttempt.success).is_(False), LoginAttempt.at > since)
        .order_by(col(LoginAttempt.at).desc())
        .limit(max(ACCOUNT_MAX_FAILURES, IP_MAX_FAILURES))
    ).all()
    return list(rows)


def _minutes_left(oldest_counted: datetime, now: datetime) -> int:
    seconds = (oldest_counted + LOGIN_WINDOW - now).total_seconds()
    return max(1, math.ceil(seconds / 60))


def _check_throttle(session: Session, account: str, ip: str, now: datetime) -> None:
    """Refuse when the account or the address failed too often within the window.

    An account's count restarts at its last successful login (only someone
    with the password can do that); an address's does not, so an attacker's
    own account cannot reset it. An unknown (empty) address is not throttled
    as one, since it would lump unrelated people together.
    """
    since = now - LOGIN_WINDOW
    last_ok = session.exec(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.account == account, col(LoginAttempt.success).is_(True)
        )
    ).one()
    failures = _recent_failures(
        session, LoginAttempt.account == account, max(since, last_ok or since)
    )
    if len(failures) >= ACCOUNT_MAX_FAILURES:
        oldest = failures[ACCOUNT_MAX_FAILURES - 1]
        raise Throttled("error.login_throttled", minutes=_minutes_left(oldest, now))
    if ip:
        failures = _recent_failures(session, LoginAttempt.ip == ip, since)
        if len(failures) >= IP_MAX_FAILURES:
            oldest = failures[IP_MAX_FAILURES - 1]
            raise Throttled("error.login_throttled_ip", minutes=_minutes_left(oldest, now))


def authenticate(session: Session, *, contact: str, password: str, ip: str) -> User:
    """Check a login, throttled per account and per client address.

    An account gets 5 failed tries within 15 minutes (counted since its last
    successful login), an address 30; the next try is refused before the
    password is looked at, and is not itself recorded. Every checked attempt
    is recorded, so the caller must commit even when this raises
    :class:`ValidationFailed`. Unknown accounts cost one password verify too.

    Args:
        session: a write session.
        contact: email or phone as typed.
        password: the password as typed.
        ip: the client's address ("" when unknown).

    Returns:
        The user.

    Raises:
        Throttled: ``error.login_throttled`` or ``error.login_throttled_ip``
            with ``minutes`` to wait.
        ValidationFailed: ``{"_form": "error.login_invalid"}`` for an unknown
            account or a wrong password alike.
    """
    now = utcnow()
    ip = (ip or "")[:45]
    try:
        kind, account = normalize_contact(contact)
    except ValidationFailed:
        kind, account = "", (contact or "").strip().lower()[:254]
    _check_throttle(session, account, ip, now)
    user = _user_by_contact(session, kind, account) if kind else None
    if user is None or user.deleted_at is not None:
        burn_verify(password)
        ok = False
    else:
        ok = verify_password(password, user.password_hash)
    session.add(LoginAttempt(account=account, ip=ip, success=ok, at=now))
    session.flush()
    if not ok:
        raise ValidationFailed({"_form": "error.login_invalid"})
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
        session.flush()
    return user


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


def redeem_login_ticket(session: Session, ticket: str, *, user_agent: str, ip: str) -> str | None:
    """Trade a login ticket for a new session, once.

    Args:
        session: a write session.
        ticket: the plaintext ticket.
        user_agent: the browser's User-Agent (kept for the user's session list).
        ip: the client's address.

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


def _set_password(session: Session, user: User, password: str) -> None:
    now = utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.updated_at = now
    session.add(user)
    _end_everything(session, user.id, now)


# --- profile ------------------------------------------------------------------


def change_password(session: Session, user_id: int, *, current: str, new: str) -> str:
    """Change a password: every session ends, the caller gets a ticket for a new one.

    Args:
        session: a write session.
        user_id: the logged-in user.
        current: their current password.
        new: the new password (8-128 characters).

    Returns:
        A login ticket, so the browser that made the change stays logged in.

    Raises:
        NotFound: the user is gone.
        ValidationFailed: ``current`` is wrong and/or ``new`` is refused.
    """
    user = _live_user(session, user_id)
    errors = {
        "current": None
        if verify_password(current or "", user.password_hash)
        else "error.password_wrong",
        "new": _password_error(new or ""),
    }
    _raise_if(errors)
    _set_password(session, user, new)
    session.flush()
    return issue_login_ticket(session, user_id)


def update_profile(session: Session, user_id: int, *, name: str, bio: str, district: str) -> User:
    """Save a user's public profile.

    Args:
        session: a write session.
        user_id: the logged-in user.
        name: 1-60 characters.
        bio: up to 500 characters.
        district: up to 60 characters.

    Returns:
        The updated user.

    Raises:
        NotFound: the user is gone.
        ValidationFailed: per field.
    """
    user = _live_user(session, user_id)
    name, bio, district = (name or "").strip(), (bio or "").strip(), (district or "").strip()
    _raise_if(
        {
            "name": _name_error(name),
            "bio": "error.bio_too_long" if len(bio) > BIO_MAX else None,
            "district": "error.too_long" if len(district) > DISTRICT_MAX else None,
        }
    )
    user.name, user.bio, user.district = name, bio, district
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    return user


def set_locale(session: Session, user_id: int, locale: str) -> None:
    """Remember a user's language.

    Args:
        session: a write session.
        user_id: the user.
        locale: "zh-CN" or "en".

    Raises:
        ValidationFailed: an unsupported locale.
        NotFound: the user is gone.
    """
    if locale not in LOCALES:
        raise ValidationFailed({"locale": "error.locale_invalid"})
    user = _live_user(session, user_id)
    user.locale = locale
    session.add(user)
    session.flush()


# --- address book -----------------------------------------------------------------

_ADDRESS_LIMITS = {
    "label": 40,
    "recipient": 60,
    "phone": 20,
    "line1": 120,
    "line2": 120,
    "district": 60,
    "city": 60,
    "postcode": 12,
}
_ADDRESS_REQUIRED = ("recipient", "phone", "line1", "city")


@dataclass(frozen=True)
class AddressInput:
    """An address as submitted by a form (every field a string)."""

    label: str = ""
    recipient: str = ""
    phone: str = ""
    line1: str = ""
    line2: str = ""
    district: str = ""
    city: str = ""
    postcode: str = ""

    def cleaned(self) -> AddressInput:
        """The same address with every field stripped (non-strings become "")."""
        values = {}
        for f in fields(self):
            raw = getattr(self, f.name)
            values[f.name] = raw.strip() if isinstance(raw, str) else ""
        return replace(self, **values)

    def errors(self) -> dict[str, str]:
        """Field name -> i18n key for every problem of the (cleaned) address."""
        found: dict[str, str] = {}
        for name, limit in _ADDRESS_LIMITS.items():
            value = getattr(self, name)
            if not value and name in _ADDRESS_REQUIRED:
                found[name] = "error.required"
            elif len(value) > limit:
                found[name] = "error.too_long"
        if "phone" not in found and not _PHONE.match(_PHONE_SEPARATORS.sub("", self.phone)):
            found["phone"] = "error.phone_invalid"
        return found


def _own_address(session: Session, user_id: int, address_id: int) -> Address:
    address = session.get(Address, address_id) if isinstance(address_id, int) else None
    if address is None or address.user_id != user_id or address.deleted_at is not None:
        raise NotFound()
    return address


def _live_addresses(user_id: int):
    return select(Address).where(Address.user_id == user_id, col(Address.deleted_at).is_(None))


def _make_only_default(session: Session, user_id: int, address: Address) -> None:
    session.exec(
        update(Address)
        .where(Address.user_id == user_id, Address.id != address.id, col(Address.is_default))
        .values(is_default=False)
    )
    address.is_default = True
    session.add(address)


def list_addresses(session: Session, user_id: int) -> list[Address]:
    """A user's address book, the default first, then newest first.

    Args:
        session: any session.
        user_id: the owner.

    Returns:
        Up to 50 addresses.
    """
    rows = session.exec(
        _live_addresses(user_id)
        .order_by(
            col(Address.is_default).desc(), col(Address.created_at).desc(), col(Address.id).desc()
        )
        .limit(MAX_ADDRESSES)
    ).all()
    return list(rows)


def save_address(
    session: Session,
    user_id: int,
    address_id: int | None,
    data: AddressInput,
    make_default: bool = False,
) -> Address:
    """Add an address, or edit one of the user's own.

    Args:
        session: a write session.
        user_id: the owner.
        address_id: the address to edit, or None to add one.
        data: the submitted fields.
        make_default: make it the default address (a user's first one always is).

    Returns:
        The saved address.

    Raises:
        NotFound: ``address_id`` is not one of the user's live addresses.
        ValidationFailed: per field, or ``_form`` when the book is full.
    """
    if address_id is not None:
        address = _own_address(session, user_id, address_id)
    data = data.cleaned()
    _raise_if(data.errors())
    if address_id is None:
        count = session.exec(
            select(func.count()).select_from(_live_addresses(user_id).subquery())
        ).one()
        if count >= MAX_ADDRESSES:
            raise ValidationFailed({"_form": "error.address_limit"})
        address = Address(user_id=user_id, recipient="", phone="", line1="", city="")
        make_default = make_default or count == 0
    for f in fields(data):
        setattr(address, f.name, getattr(data, f.name))
    session.add(address)
    session.flush()
    if make_default:
        _make_only_default(session, user_id, address)
        session.flush()
    return address


def delete_address(session: Session, user_id: int, address_id: int) -> None:
    """Delete one of the user's addresses (soft); the newest remaining becomes default.

    Args:
        session: a write session.
        user_id: the owner.
        address_id: the address.

    Raises:
        NotFound: not one of the user's live addresses.
    """
    address = _own_address(session, user_id, address_id)
    was_default = address.is_default
    address.deleted_at = utcnow()
    address.is_default = False
    session.add(address)
    session.flush()
    if was_default:
        newest = session.exec(
            _live_addresses(user_id)
            .order_by(col(Address.created_at).desc(), col(Address.id).desc())
            .limit(1)
        ).first()
        if newest is not None:
            _make_only_default(session, user_id, newest)
    session.flush()


def set_default_address(session: Session, user_id: int, address_id: int) -> None:
    """Make one of the user's addresses the default.

    Args:
        session: a write session.
        user_id: the owner.
        address_id: the address.

    Raises:
        NotFound: not one of the user's live addresses.
    """
    _make_only_default(session, user_id, _own_address(session, user_id, address_id))
    session.flush()


# --- password reset -----------------------------------------------------------------


def request_password_reset(session: Session, *, contact: str) -> None:
    """Email a one-time reset link, if the contact names an account with an email.

    Nothing tells the caller whether an account exists: unknown contacts,
    accounts without email and requests beyond 3 per hour are ignored silently.

    Args:
        session: a write session (the email is queued in it).
        contact: email or phone as typed.
    """
    try:
        kind, value = normalize_contact(contact)
    except ValidationFailed:
        return
    user = _user_by_contact(session, kind, value)
    if user is None or user.deleted_at is not None or not user.email:
        return
    now = utcnow()
    recent = session.exec(
        select(func.count())
        .select_from(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == user.id,
            PasswordResetToken.created_at > now - timedelta(hours=1),
        )
    ).one()
    if recent >= RESETS_PER_HOUR:
        return
    token = new_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + RESET_TTL,
        )
    )
    params = {
        "name": user.name,
        "link": f"{settings.public_url}/reset-password?token={token}",
        "market": settings.market_name,
        "minutes": int(RESET_TTL.total_seconds() // 60),
    }
    notifications.queue_email(
        session,
        to=user.email,
        subject=translate(user.locale, "email.reset.subject", **params),
        body=translate(user.locale, "email.reset.body", **params),
    )


def reset_password(session: Session, *, token: str, new_password: str) -> None:
    """Set a new password from a reset link; every session of the user ends.

    The link stays usable when only the password is refused, so the person
    can try another one.

    Args:
        session: a write session.
        token: the link's plaintext token.
        new_password: 8-128 characters.

    Raises:
        ValidationFailed: ``_form`` for an unknown, expired or used link;
            ``password`` for a refused password.
    """
    invalid = ValidationFailed({"_form": "error.reset_link_invalid"})
    if not token or len(token) > MAX_TOKEN_LEN:
        raise invalid
    now = utcnow()
    digest = token_hash(token)
    usable = (
        PasswordResetToken.token_hash == digest,
        col(PasswordResetToken.used_at).is_(None),
        PasswordResetToken.expires_at > now,
    )
    user_id = session.exec(select(PasswordResetToken.user_id).where(*usable)).first()
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or user.deleted_at is not None:
        raise invalid
    _raise_if({"password": _password_error(new_password or "")})
    taken = session.exec(update(PasswordResetToken).where(*usable).values(used_at=now))
    if taken.rowcount != 1:
        raise invalid
    _set_password(session, user, new_password)
    session.flush()


# --- roles ------------------------------------------------------------------------


def role_at_least(held: str, required: str) -> bool:
    """Whether platform role ``held`` includes ``required`` (admin includes moderator).

    Args:
        held: the user's role.
        required: "user", "moderator" or "admin".

    Returns:
        True when ``held`` ranks at or above ``required``.
    """
    if required not in _ROLE_RANK:
        return False
    return _ROLE_RANK.get(held, -1) >= _ROLE_RANK[required]


def has_role(user: User, role: str) -> bool:
    """Whether a user holds a platform role (admin implies moderator).

    Args:
        user: the user.
        role: "user", "moderator" or "admin".

    Returns:
        True when the user's role is at least ``role``; False for deleted users.
    """
    return user.deleted_at is None and role_at_least(user.role, role)


def shop_ids_for(session: Session, user_id: int) -> list[int]:
    """The shops a user may act for (as owner or staff).

    Args:
        session: any session.
        user_id: the user.

    Returns:
        Shop ids, ascending.
    """
    rows = session.exec(
        select(ShopMember.shop_id).where(ShopMember.user_id == user_id).order_by(ShopMember.shop_id)
    ).all()
    return list(rows)


def _audit(
    session: Session, *, actor_id: int | None, action: str, user_id: int, reason: str
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor_id, action=action, target_type="user", target_id=user_id, reason=reason
        )
    )


def set_role(session: Session, *, actor_id: int, user_id: int, role: str, reason: str) -> None:
    """Give a user a platform role; only admins may, and it is audited.

    Args:
        session: a write session.
        actor_id: the admin acting.
        user_id: the user whose role changes.
        role: "user", "moderator" or "admin".
        reason: why (kept in the audit log, up to 500 characters).

    Raises:
        PermissionDenied: the actor is not an admin.
        NotFound: the user is absent or deleted.
        ValidationFailed: unknown role, too long a reason, or removing the last admin.
    """
    actor = session.get(User, actor_id)
    if actor is None or not has_role(actor, "admin"):
        raise PermissionDenied()
    target = _live_user(session, user_id)
    reason = (reason or "").strip()
    _raise_if(
        {
            "role": None if role in ROLES else "error.role_invalid",
            "reason": "error.too_long" if len(reason) > REASON_MAX else None,
        }
    )
    if target.role == "admin" and role != "admin":
        admins = session.exec(
            select(func.count())
            .select_from(User)
            .where(User.role == "admin", col(User.deleted_at).is_(None))
        ).one()
        if admins <= 1:
            raise ValidationFailed({"_form": "error.last_admin"})
    target.role = role
    target.updated_at = utcnow()
    session.add(target)
    _audit(session, actor_id=actor_id, action=f"role.set_{role}", user_id=user_id, reason=reason)
    session.flush()


def create_admin(session: Session, *, name: str, email: str, password: str) -> User:
    """Create an admin account, or promote the account with that email (CLI).

    An existing account (even a deleted one, which is restored) keeps its
    name, becomes admin and gets the new password; its sessions end.

    Args:
        session: a write session.
        name: display name for a new account.
        email: the admin's email address.
        password: 8-128 characters.

    Returns:
        The admin user.

    Raises:
        ValidationFailed: per field (``name``, ``email``, ``password``).
    """
    name = (name or "").strip()
    errors: dict[str, str | None] = {"password": _password_error(password or "")}
    try:
        kind, value = normalize_contact(email)
    except ValidationFailed:
        kind = value = ""
    if kind != "email":
        errors["email"] = "error.email_invalid"
    user = _user_by_contact(session, "email", value) if kind == "email" else None
    if user is None:
        errors["name"] = _name_error(name)
    _raise_if(errors)
    if user is None:
        locale = settings.default_locale if settings.default_locale in LOCALES else "zh-CN"
        user = User(
            name=name,
            email=value,
            password_hash=hash_password(password),
            role="admin",
            locale=locale,
        )
        session.add(user)
        session.flush()
        reason = "new account"
    else:
        user.role = "admin"
        user.deleted_at = None
        _set_password(session, user, password)
        reason = "existing account promoted"
    _audit(session, actor_id=None, action="role.admin_created", user_id=user.id, reason=reason)
    session.flush()
    return user
