"""The address book: validation, defaults, and ownership."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import select

from marketplace_app.models import Address
from marketplace_app.services import addresses
from marketplace_app.services.addresses import AddressInput
from marketplace_app.services.errors import NotFound, ValidationFailed
from tests.unit.services.conftest import make_user

HOME = AddressInput(
    label="Home",
    recipient="Ann Lee",
    phone="+86 138-0013-8000",
    line1="12 River Road",
    line2="Flat 3",
    district="Old Town",
    city="Riverside",
    postcode="100001",
)


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


@pytest.fixture
def ann(session):
    return make_user(session, "Ann")


@pytest.fixture
def bob(session):
    return make_user(session, "Bob")


def test_first_address_becomes_the_default(session, ann):
    first = addresses.save_address(session, ann.id, None, HOME)
    second = addresses.save_address(session, ann.id, None, replace(HOME, label="Work"))
    assert first.is_default and not second.is_default
    assert (first.user_id, first.phone, first.city) == (ann.id, "+86 138-0013-8000", "Riverside")
    assert [a.id for a in addresses.list_addresses(session, ann.id)] == [first.id, second.id]


def test_fields_are_stripped(session, ann):
    saved = addresses.save_address(session, ann.id, None, replace(HOME, recipient="  Ann  "))
    assert saved.recipient == "Ann"


def test_validation_per_field(session, ann):
    empty = AddressInput()
    assert fields_of(lambda: addresses.save_address(session, ann.id, None, empty)) == {
        "recipient": "error.required",
        "phone": "error.required",
        "line1": "error.required",
        "city": "error.required",
    }
    too_long = AddressInput(
        label="l" * 41,
        recipient="r" * 61,
        phone="1" * 21,
        line1="a" * 121,
        line2="b" * 121,
        district="d" * 61,
        city="c" * 61,
        postcode="p" * 13,
    )
    errors = fields_of(lambda: addresses.save_address(session, ann.id, None, too_long))
    assert errors == dict.fromkeys(
        ("label", "recipient", "phone", "line1", "line2", "district", "city", "postcode"),
        "error.too_long",
    )
    for phone in ("12345", "call me", "1234567890123456"):
        assert fields_of(
            lambda phone=phone: addresses.save_address(
                session, ann.id, None, replace(HOME, phone=phone)
            )
        ) == {"phone": "error.phone_invalid"}
    assert addresses.list_addresses(session, ann.id) == []


def test_edit_and_make_default(session, ann):
    home = addresses.save_address(session, ann.id, None, HOME)
    work = addresses.save_address(session, ann.id, None, replace(HOME, label="Work"))
    edited = addresses.save_address(
        session, ann.id, work.id, replace(HOME, label="Office", city="Hill"), make_default=True
    )
    assert edited.id == work.id and (edited.label, edited.city) == ("Office", "Hill")
    session.refresh(home)
    assert edited.is_default and not home.is_default
    addresses.set_default_address(session, ann.id, home.id)
    session.refresh(work)
    assert home.is_default and not work.is_default
    assert [a.id for a in addresses.list_addresses(session, ann.id)] == [home.id, work.id]


def test_delete_promotes_the_newest_remaining(session, ann):
    first = addresses.save_address(session, ann.id, None, HOME)
    second = addresses.save_address(session, ann.id, None, replace(HOME, label="2"))
    third = addresses.save_address(session, ann.id, None, replace(HOME, label="3"))
    addresses.delete_address(session, ann.id, first.id)
    session.refresh(third)
    session.refresh(second)
    assert third.is_default and not second.is_default
    assert [a.id for a in addresses.list_addresses(session, ann.id)] == [third.id, second.id]
    assert session.get(Address, first.id).deleted_at is not None  # soft-deleted
    addresses.delete_address(session, ann.id, second.id)  # not the default: no change
    session.refresh(third)
    assert third.is_default


def test_deleted_addresses_are_gone_for_the_owner(session, ann):
    home = addresses.save_address(session, ann.id, None, HOME)
    addresses.delete_address(session, ann.id, home.id)
    with pytest.raises(NotFound):
        addresses.save_address(session, ann.id, home.id, HOME)
    with pytest.raises(NotFound):
        addresses.delete_address(session, ann.id, home.id)
    with pytest.raises(NotFound):
        addresses.set_default_address(session, ann.id, home.id)
    assert addresses.list_addresses(session, ann.id) == []


def test_someone_elses_address_is_not_found(session, ann, bob):
    home = addresses.save_address(session, ann.id, None, HOME)
    with pytest.raises(NotFound):
        addresses.save_address(session, bob.id, home.id, replace(HOME, line1="Stolen"))
    with pytest.raises(NotFound):
        addresses.save_address(session, bob.id, home.id, AddressInput())  # not a validation hint
    with pytest.raises(NotFound):
        addresses.delete_address(session, bob.id, home.id)
    with pytest.raises(NotFound):
        addresses.set_default_address(session, bob.id, home.id)
    with pytest.raises(NotFound):
        addresses.delete_address(session, ann.id, 12345)
    session.refresh(home)
    assert (home.line1, home.deleted_at, home.is_default) == ("12 River Road", None, True)
    assert addresses.list_addresses(session, bob.id) == []


def test_address_book_limit(session, ann):
    session.add_all(
        Address(user_id=ann.id, recipient="A", phone="123456", line1="L", city="C")
        for _ in range(addresses.MAX_ADDRESSES)
    )
    session.flush()
    assert fields_of(lambda: addresses.save_address(session, ann.id, None, HOME)) == {
        "_form": "error.address_limit"
    }
    assert len(addresses.list_addresses(session, ann.id)) == addresses.MAX_ADDRESSES
    assert len(session.exec(select(Address)).all()) == addresses.MAX_ADDRESSES
