"""Users, login sessions, addresses and the records that protect logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import (
    HANDOVER_DAYS_CHECK,
    HANDOVER_DAYS_DEFAULT,
    created_field,
    in_check,
    required_time_field,
    time_field,
)

ROLES = ("user", "moderator", "admin")
LOCALES = ("zh-CN", "en")
ATTEMPT_ACTIONS = ("login", "sign_up", "password")


class User(SQLModel, table=True):
    """A person with an account. Everyone can buy; any resident can sell.

    ``role`` covers platform staff (moderator, admin); shop staff comes from
    :class:`~marketplace_app.models.shops.ShopMember`. Users are soft-deleted.
    """

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(in_check("role", ROLES), name="role"),
        CheckConstraint(in_check("locale", LOCALES), name="locale"),
        CheckConstraint("email IS NOT NULL OR phone IS NOT NULL", name="contact"),
        CheckConstraint(HANDOVER_DAYS_CHECK, name="cash_handover_days_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60)
    email: str | None = Field(default=None, max_length=254, unique=True)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default="user", max_length=16)
    locale: str = Field(default="zh-CN", max_length=8)
    bio: str = Field(default="", max_length=500)
    district: str = Field(default="", max_length=60)
    lat: float | None = Field(default=None)
    lon: float | None = Field(default=None)
    avatar_key: str | None = Field(default=None, max_length=80)
    import_key: str | None = Field(default=None, max_length=40, unique=True)
    # Selling setting: days a cash order of theirs may wait for its handover.
    cash_handover_days: int = Field(default=HANDOVER_DAYS_DEFAULT)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    password_changed_at: datetime = created_field()
    deleted_at: datetime | None = time_field()


class AuthSession(SQLModel, table=True):
    """A login session. Only an HMAC of the cookie's random id is stored."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_id_expires_at", "user_id", "expires_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_field()
    expires_at: datetime = required_time_field()
    last_seen_at: datetime = created_field()
    revoked_at: datetime | None = time_field()
    user_agent: str = Field(default="", max_length=255)
    ip: str = Field(default="", max_length=45)


class LoginTicket(SQLModel, table=True):
    """A one-time, short-lived proof of a successful login.

    The login form's handler issues it; the browser trades it for the
    HttpOnly session cookie at an API route (a handler cannot set one).
    """

    __tablename__ = "login_tickets"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    ticket_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime = required_time_field()
    used_at: datetime | None = time_field()


class LoginAttempt(SQLModel, table=True):
    """One try at logging in, signing up or changing a password.

    Kept a while to throttle guessing per account and per address
    (:mod:`marketplace_app.services.throttle`). ``account`` is the normalized
    contact (log in, sign up) or the user's id (password change).
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        CheckConstraint(in_check("action", ATTEMPT_ACTIONS), name="action"),
        Index("ix_login_attempts_action_account_at", "action", "account", "at"),
        Index("ix_login_attempts_action_ip_at", "action", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action: str = Field(default="login", max_length=16)
    account: str = Field(max_length=254)
    ip: str = Field(max_length=45)
    success: bool = Field(default=False)
    at: datetime = created_field()


class PasswordResetToken(SQLModel, table=True):
    """A one-time password reset link's token (stored as an HMAC)."""

    __tablename__ = "password_reset_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_field()
    expires_at: datetime = required_time_field()
    used_at: datetime | None = time_field()


class Address(SQLModel, table=True):
    """An entry of a user's address book (delivery and courier orders)."""

    __tablename__ = "addresses"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    label: str = Field(default="", max_length=40)
    recipient: str = Field(max_length=60)
    phone: str = Field(max_length=20)
    line1: str = Field(max_length=120)
    line2: str = Field(default="", max_length=120)
    district: str = Field(default="", max_length=60)
    city: str = Field(max_length=60)
    postcode: str = Field(default="", max_length=12)
    lat: float | None = Field(default=None)
    lon: float | None = Field(default=None)
    is_default: bool = Field(default=False)
    created_at: datetime = created_field()
    deleted_at: datetime | None = time_field()


class AuditEntry(SQLModel, table=True):
    """Who did what to which thing, and why: role changes, operator actions."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_actor_id_at", "actor_id", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=60)
    target_type: str = Field(max_length=40)
    target_id: int | None = Field(default=None)
    reason: str = Field(default="", max_length=500)
    at: datetime = created_field(index=True)
