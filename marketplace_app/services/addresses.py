"""The address book: a user's delivery addresses, one of them the default.

Addresses are soft-deleted; another user's address answers "not found" like
an absent one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace_app.models import Address
from marketplace_app.models.types import utcnow
from marketplace_app.services.accounts import is_phone, raise_if
from marketplace_app.services.errors import NotFound, ValidationFailed

MAX_ADDRESSES = 50

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
        if "phone" not in found and not is_phone(self.phone):
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
    raise_if(data.errors())
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
