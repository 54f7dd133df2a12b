"""Signing up from the registration form: throttled, hashed outside the write lock.

Like a login (:mod:`~marketplace_app.services.auth_sessions`), a sign-up is
two steps: :func:`check_sign_up` runs in a read transaction and does the
field checks, the throttle check and the ~40 ms password hash;
:func:`record_sign_up` runs in a short write transaction and creates the
account (or records the refusal) and issues the login ticket. :func:`sign_up`
runs both. Every try with a well-formed contact counts towards the throttle,
since each one tells whether that contact is taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from marketplace_app.models.types import utcnow
from marketplace_app.services import throttle
from marketplace_app.services.accounts import (
    NewAccount,
    create_account,
    registration_fields,
    user_by_contact,
)
from marketplace_app.services.auth_sessions import SessionFactory, issue_login_ticket
from marketplace_app.services.errors import ValidationFailed
from marketplace_app.services.passwords import hash_password


@dataclass(frozen=True)
class SignUpCheck:
    """What :func:`check_sign_up` found, for :func:`record_sign_up`.

    Attributes:
        contact: the normalized contact, as the try is recorded.
        ip: the client's address, truncated to 45 characters.
        account: the account to create, or None when the contact is taken.
    """

    contact: str
    ip: str
    account: NewAccount | None


def check_sign_up(
    session: Session,
    *,
    name: str,
    contact: str,
    password: str,
    locale: str,
    ip: str,
    now: datetime | None = None,
) -> SignUpCheck:
    """Check a sign-up without writing anything (the slow half).

    Field problems are reported first and do not count as tries. Then the
    throttle is checked (5 tries per contact and 20 per address within 15
    minutes), then whether the contact is free; only then is the password
    hashed.

    Args:
        session: a read session (nothing is written).
        name: display name, 1-60 characters after stripping.
        contact: email address or phone number.
        password: 8-128 characters.
        locale: "zh-CN" or "en".
        ip: the client's address ("" when unknown).
        now: the time of the try (default: now).

    Returns:
        The outcome, to pass to :func:`record_sign_up`.

    Raises:
        ValidationFailed: with every field's problem at once.
        Throttled: ``error.sign_up_throttled`` or ``error.sign_up_throttled_ip``.
    """
    now = now or utcnow()
    ip = (ip or "")[:45]
    name, kind, value = registration_fields(
        name=name, contact=contact, password=password, locale=locale
    )
    throttle.check(session, throttle.SIGN_UP, account=value, ip=ip, now=now)
    if user_by_contact(session, kind, value) is not None:
        return SignUpCheck(contact=value, ip=ip, account=None)
    account = NewAccount(name, kind, value, locale, password_hash=hash_password(password))
    return SignUpCheck(contact=value, ip=ip, account=account)


def record_sign_up(
    session: Session, check: SignUpCheck, *, now: datetime | None = None
) -> str | None:
    """Record a checked sign-up and, when the contact is free, create the account (the fast half).

    The throttle is checked again under the write lock. A refusal (the
    contact is taken, also by a sign-up that committed meanwhile) is returned,
    not raised, so the caller commits the recorded try (see :func:`sign_up`).

    Args:
        session: a write session.
        check: what :func:`check_sign_up` found.
        now: the time of the try (default: now).

    Returns:
        The new account's login ticket, or None when the contact is taken.

    Raises:
        Throttled: the contact or address reached its limit meanwhile.
    """
    now = now or utcnow()
    throttle.check(session, throttle.SIGN_UP, account=check.contact, ip=check.ip, now=now)
    user = None
    if check.account is not None:
        try:
            user = create_account(session, check.account)
        except ValidationFailed:
            user = None
    throttle.record(
        session,
        throttle.SIGN_UP,
        account=check.contact,
        ip=check.ip,
        success=user is not None,
        now=now,
    )
    if user is None:
        return None
    session.flush()
    return issue_login_ticket(session, user.id)


def sign_up(
    read_tx: SessionFactory,
    write_tx: SessionFactory,
    *,
    name: str,
    contact: str,
    password: str,
    locale: str,
    ip: str,
) -> str:
    """Create an account and log it in: check and hash, then a short write.

    Args:
        read_tx: opens a read session (e.g. :func:`marketplace_app.db.read_session`).
        write_tx: opens one write transaction that commits on a normal exit
            (e.g. :func:`marketplace_app.db.write_session`).
        name: display name.
        contact: email address or phone number.
        password: the password.
        locale: "zh-CN" or "en".
        ip: the client's address ("" when unknown).

    Returns:
        The plaintext login ticket, for the browser to trade for its session.

    Raises:
        ValidationFailed: per field; ``contact`` is taken.
        Throttled: too many sign-ups for the contact or from the address.
    """
    with read_tx() as session:
        check = check_sign_up(
            session, name=name, contact=contact, password=password, locale=locale, ip=ip
        )
    with write_tx() as session:
        ticket = record_sign_up(session, check)
    if ticket is None:
        raise ValidationFailed({"contact": "error.contact_taken"})
    return ticket
