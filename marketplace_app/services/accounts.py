"""Accounts: registration, contacts, profile and language.

Also the small field rules the other account modules share (contact lookup,
password length, collecting field errors). Logins and sessions live in
:mod:`~marketplace_app.services.auth_sessions`, the address book in
:mod:`~marketplace_app.services.addresses`, password reset in
:mod:`~marketplace_app.services.password_reset`, roles in
:mod:`~marketplace_app.services.roles`.

Every function takes the caller's :class:`~sqlmodel.Session` and does its
writes in that transaction; errors are :mod:`marketplace_app.services.errors`
carrying i18n keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace_app.models import User
from marketplace_app.models.accounts import LOCALES
from marketplace_app.models.types import utcnow
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.passwords import hash_password

NAME_MAX = 60
PASSWORD_MIN = 8
PASSWORD_MAX = 128
BIO_MAX = 500
DISTRICT_MAX = 60

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE = re.compile(r"^\+?\d{6,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s-]+")


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


def is_phone(text: str) -> bool:
    """Whether ``text`` is a phone number: 6-15 digits, an optional +, spaces and dashes."""
    return bool(_PHONE.match(_PHONE_SEPARATORS.sub("", text)))


def name_error(name: str) -> str | None:
    """The i18n key of what is wrong with a (stripped) display name, or None."""
    if not name:
        return "error.name_required"
    if len(name) > NAME_MAX:
        return "error.name_too_long"
    return None


def password_error(password: str) -> str | None:
    """The i18n key of what is wrong with a new password, or None."""
    if len(password) < PASSWORD_MIN:
        return "error.password_too_short"
    if len(password) > PASSWORD_MAX:
        return "error.password_too_long"
    return None


def raise_if(errors: dict[str, str | None]) -> None:
    """Raise :class:`ValidationFailed` with every field whose error is set.

    Args:
        errors: field name -> i18n key, or None for a good field.

    Raises:
        ValidationFailed: at least one field has an error.
    """
    found = {k: v for k, v in errors.items() if v}
    if found:
        raise ValidationFailed(found)


def user_by_contact(session: Session, kind: str, value: str) -> User | None:
    """The user (deleted or not) with this normalized email or phone.

    Args:
        session: any session.
        kind: "email" or "phone", as :func:`normalize_contact` returns it.
        value: the normalized contact.

    Returns:
        The user, or None.
    """
    column = User.email if kind == "email" else User.phone
    return session.exec(select(User).where(column == value)).first()


def live_user(session: Session, user_id: int) -> User:
    """A user who is not deleted.

    Args:
        session: any session.
        user_id: the user.

    Returns:
        The user.

    Raises:
        NotFound: absent or deleted.
    """
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound()
    return user


# --- registration -----------------------------------------------------------------


@dataclass(frozen=True)
class NewAccount:
    """A registration whose fields passed, with its password already hashed.

    Attributes:
        name: the display name, stripped.
        kind: "email" or "phone".
        contact: the normalized contact.
        locale: "zh-CN" or "en".
        password_hash: the password's hash (hashing is slow: it is done
            before the write transaction opens).
    """

    name: str
    kind: str
    contact: str
    locale: str
    password_hash: str = field(repr=False)


def registration_fields(
    *, name: str, contact: str, password: str, locale: str
) -> tuple[str, str, str]:
    """Check a registration's fields, all at once (not yet whether the contact is free).

    Args:
        name: display name, 1-60 characters after stripping.
        contact: email address or phone number.
        password: 8-128 characters.
        locale: "zh-CN" or "en".

    Returns:
        (stripped name, contact kind, normalized contact).

    Raises:
        ValidationFailed: with every field's problem at once.
    """
    name = (name or "").strip()
    errors: dict[str, str | None] = {
        "name": name_error(name),
        "password": password_error(password or ""),
        "locale": None if locale in LOCALES else "error.locale_invalid",
    }
    kind = value = ""
    try:
        kind, value = normalize_contact(contact)
    except ValidationFailed as error:
        errors.update(error.fields)
    raise_if(errors)
    return name, kind, value


def create_account(session: Session, account: NewAccount) -> User:
    """Store a checked registration.

    Args:
        session: a write session.
        account: from :func:`registration_fields` and a hash of the password.

    Returns:
        The new user (flushed, so it has an id).

    Raises:
        ValidationFailed: ``contact`` is taken (also by a registration that
            committed meanwhile).
    """
    taken = ValidationFailed({"contact": "error.contact_taken"})
    if user_by_contact(session, account.kind, account.contact) is not None:
        raise taken
    user = User(
        name=account.name,
        password_hash=account.password_hash,
        locale=account.locale,
        **{account.kind: account.contact},
    )
    try:
        # A savepoint, so a concurrent registration (PostgreSQL) only fails this insert.
        with session.begin_nested():
            session.add(user)
    except IntegrityError:
        raise taken from None
    return user


def register(session: Session, *, name: str, contact: str, password: str, locale: str) -> User:
    """Create an account in one transaction, hashing the password inside it.

    For seeding and tests. The sign-up form goes through
    :func:`marketplace_app.services.sign_up.sign_up`, which hashes before
    its write transaction opens and throttles.

    Args:
        session: a write session.
        name: display name, 1-60 characters after stripping.
        contact: email address or phone number, unique among all accounts.
        password: 8-128 characters.
        locale: "zh-CN" or "en".

    Returns:
        The new user (flushed, so it has an id).

    Raises:
        ValidationFailed: with every field's problem at once; a taken contact
            once the other fields are right.
    """
    name, kind, value = registration_fields(
        name=name, contact=contact, password=password, locale=locale
    )
    return create_account(
        session, NewAccount(name, kind, value, locale, password_hash=hash_password(password))
    )


# --- profile ------------------------------------------------------------------


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
    user = live_user(session, user_id)
    name, bio, district = (name or "").strip(), (bio or "").strip(), (district or "").strip()
    raise_if(
        {
            "name": name_error(name),
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
    user = live_user(session, user_id)
    user.locale = locale
    session.add(user)
    session.flush()
