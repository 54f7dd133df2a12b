"""Roles: platform staff (moderator, admin), shop staff, and the audit of role changes."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace_app.models import AuditEntry, Shop, ShopMember, User
from marketplace_app.models.accounts import LOCALES, ROLES
from marketplace_app.models.types import utcnow
from marketplace_app.services.accounts import (
    live_user,
    name_error,
    normalize_contact,
    password_error,
    raise_if,
    user_by_contact,
)
from marketplace_app.services.auth_sessions import SessionFactory, set_password_hash
from marketplace_app.services.errors import PermissionDenied, ValidationFailed
from marketplace_app.services.passwords import hash_password
from marketplace_app.settings import settings

REASON_MAX = 500

_ROLE_RANK = {"user": 0, "moderator": 1, "admin": 2}


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


def require_staff(session: Session, user_id: int, role: str = "moderator") -> User:
    """The acting user, when they hold a platform staff role: the one operator check.

    Every service an operator (or only an admin) may use starts with it.

    Args:
        session: any session.
        user_id: the caller (from their server-side session).
        role: "moderator" (admins included) or "admin".

    Returns:
        The user.

    Raises:
        PermissionDenied: absent, deleted, or without the role (answered alike).
    """
    known = isinstance(user_id, int) and not isinstance(user_id, bool)
    user = session.get(User, user_id) if known else None
    if user is None or not has_role(user, role):
        raise PermissionDenied()
    return user


def shop_ids_for(session: Session, user_id: int) -> list[int]:
    """The shops a user may act for (as owner or staff).

    Only approved shops count: membership of a pending, rejected or
    suspended shop gives no shop rights.

    Args:
        session: any session.
        user_id: the user.

    Returns:
        Shop ids, ascending.
    """
    rows = session.exec(
        select(ShopMember.shop_id)
        .join(Shop, Shop.id == ShopMember.shop_id)
        .where(ShopMember.user_id == user_id, Shop.status == "approved")
        .order_by(ShopMember.shop_id)
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
    require_staff(session, actor_id, "admin")
    target = live_user(session, user_id)
    reason = (reason or "").strip()
    raise_if(
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


def _admin_fields(
    session: Session, *, name: str, email: str, password: str
) -> tuple[str, str, User | None]:
    """Check create-admin's fields, all at once.

    Returns:
        (stripped name, normalized email, the account with that email or None).

    Raises:
        ValidationFailed: per field (``name``, ``email``, ``password``).
    """
    name = (name or "").strip()
    errors: dict[str, str | None] = {"password": password_error(password or "")}
    try:
        kind, value = normalize_contact(email)
    except ValidationFailed:
        kind = value = ""
    if kind != "email":
        errors["email"] = "error.email_invalid"
    user = user_by_contact(session, "email", value) if kind == "email" else None
    if user is None:
        errors["name"] = name_error(name)
    raise_if(errors)
    return name, value, user


def create_admin(
    read_tx: SessionFactory, write_tx: SessionFactory, *, name: str, email: str, password: str
) -> User:
    """Create an admin account, or promote the account with that email (CLI).

    An existing account (even a deleted one, which is restored) keeps its
    name, becomes admin and gets the new password; its sessions end. The
    password is hashed between the read check and the short write.

    Args:
        read_tx: opens a read session.
        write_tx: opens one write transaction that commits on a normal exit.
        name: display name for a new account.
        email: the admin's email address.
        password: 8-128 characters.

    Returns:
        The admin user.

    Raises:
        ValidationFailed: per field (``name``, ``email``, ``password``).
    """
    with read_tx() as session:
        _admin_fields(session, name=name, email=email, password=password)
    password_hash = hash_password(password)
    with write_tx() as session:
        name, value, user = _admin_fields(session, name=name, email=email, password=password)
        if user is None:
            locale = settings.default_locale if settings.default_locale in LOCALES else "zh-CN"
            user = User(
                name=name, email=value, password_hash=password_hash, role="admin", locale=locale
            )
            session.add(user)
            session.flush()
            reason = "new account"
        else:
            user.role = "admin"
            user.deleted_at = None
            set_password_hash(session, user, password_hash)
            reason = "existing account promoted"
        _audit(session, actor_id=None, action="role.admin_created", user_id=user.id, reason=reason)
        session.flush()
    return user
