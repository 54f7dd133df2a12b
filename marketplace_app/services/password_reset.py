"""Forgotten passwords: a one-time emailed link sets a new one.

The link's token is stored only as an HMAC
(:mod:`marketplace_app.services.security`); nothing tells a caller whether
an account exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace_app.i18n import translate
from marketplace_app.models import PasswordResetToken, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import notifications
from marketplace_app.services.accounts import (
    normalize_contact,
    password_error,
    raise_if,
    user_by_contact,
)
from marketplace_app.services.auth_sessions import (
    MAX_TOKEN_LEN,
    SessionFactory,
    set_password_hash,
)
from marketplace_app.services.errors import ValidationFailed
from marketplace_app.services.passwords import hash_password
from marketplace_app.services.security import new_token, token_hash
from marketplace_app.settings import settings

RESET_TTL = timedelta(hours=1)
RESETS_PER_HOUR = 3


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
    user = user_by_contact(session, kind, value)
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


def _usable(digest: str, now: datetime) -> tuple:
    """The conditions of a reset token that can still be used."""
    return (
        PasswordResetToken.token_hash == digest,
        col(PasswordResetToken.used_at).is_(None),
        PasswordResetToken.expires_at > now,
    )


def _link_user(session: Session, token: str, now: datetime) -> User:
    """The live user a usable reset link belongs to.

    Raises:
        ValidationFailed: ``_form`` for an unknown, expired or used link.
    """
    invalid = ValidationFailed({"_form": "error.reset_link_invalid"})
    if not token or len(token) > MAX_TOKEN_LEN:
        raise invalid
    where = _usable(token_hash(token), now)
    user_id = session.exec(select(PasswordResetToken.user_id).where(*where)).first()
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or user.deleted_at is not None:
        raise invalid
    return user


def reset_password(
    read_tx: SessionFactory, write_tx: SessionFactory, *, token: str, new_password: str
) -> None:
    """Set a new password from a reset link; every session of the user ends.

    The link and the password are checked in a read transaction and the
    password is hashed before the short write transaction opens. The link
    stays usable when only the password is refused, so the person can try
    another one.

    Args:
        read_tx: opens a read session.
        write_tx: opens one write transaction that commits on a normal exit.
        token: the link's plaintext token.
        new_password: 8-128 characters.

    Raises:
        ValidationFailed: ``_form`` for an unknown, expired or used link;
            ``password`` for a refused password.
    """
    with read_tx() as session:
        _link_user(session, token, utcnow())
    raise_if({"password": password_error(new_password or "")})
    password_hash = hash_password(new_password)
    with write_tx() as session:
        now = utcnow()
        user = _link_user(session, token, now)
        taken = session.exec(
            update(PasswordResetToken).where(*_usable(token_hash(token), now)).values(used_at=now)
        )
        if taken.rowcount != 1:
            raise ValidationFailed({"_form": "error.reset_link_invalid"})
        set_password_hash(session, user, password_hash)
        session.flush()
