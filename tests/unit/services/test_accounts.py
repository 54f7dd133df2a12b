"""Registration, contacts, profile and language."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.models import User
from marketplace_app.services import accounts, passwords
from marketplace_app.services.errors import NotFound, ValidationFailed
from tests.unit.services.conftest import make_user

PASSWORD = "s3cret-pass"


def register(session, contact="ann@example.com", name="Ann", password=PASSWORD, locale="en"):
    return accounts.register(session, name=name, contact=contact, password=password, locale=locale)


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.key == "error.validation"
    return caught.value.fields


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ann@Example.COM ", ("email", "ann@example.com")),
        ("+86 138-0013-8000", ("phone", "+8613800138000")),
        ("030 123456", ("phone", "030123456")),
        ("123456", ("phone", "123456")),
    ],
)
def test_normalize_contact(typed, expected):
    assert accounts.normalize_contact(typed) == expected


@pytest.mark.parametrize(
    "typed",
    ["", "ann", "ann@", "@example.com", "ann@example", "12345", "1" * 16, "12a456", "++123456"],
)
def test_normalize_contact_refuses(typed):
    assert fields_of(lambda: accounts.normalize_contact(typed)) == {
        "contact": "error.contact_invalid"
    }


def test_register_creates_a_user(session):
    user = register(session, contact=" Ann@Example.com", name="  Ann Lee ")
    assert user.id is not None
    assert (user.name, user.email, user.phone, user.locale, user.role) == (
        "Ann Lee",
        "ann@example.com",
        None,
        "en",
        "user",
    )
    assert passwords.verify_password(PASSWORD, user.password_hash)
    phone_user = register(session, contact="+49 30 1234-5678", name="Bo", locale="zh-CN")
    assert (phone_user.email, phone_user.phone) == (None, "+493012345678")


def test_register_reports_every_field_at_once(session):
    assert fields_of(
        lambda: register(session, name="  ", contact="nope", password="short", locale="fr")
    ) == {
        "name": "error.name_required",
        "contact": "error.contact_invalid",
        "password": "error.password_too_short",
        "locale": "error.locale_invalid",
    }
    assert fields_of(lambda: register(session, name="x" * 61, password="p" * 129)) == {
        "name": "error.name_too_long",
        "password": "error.password_too_long",
    }
    assert session.exec(select(User)).all() == []


def test_register_accepts_the_length_limits(session):
    user = register(session, name="x" * 60, password="p" * 8)
    assert user.name == "x" * 60


def test_register_refuses_a_taken_contact(session):
    register(session, contact="ann@example.com")
    register(session, contact="+8613800138000", name="Bo")
    assert fields_of(lambda: register(session, contact="ANN@example.com")) == {
        "contact": "error.contact_taken"
    }
    assert fields_of(lambda: register(session, contact="+86 138 0013 8000")) == {
        "contact": "error.contact_taken"
    }


def test_update_profile(session):
    user = make_user(session)
    updated = accounts.update_profile(
        session, user.id, name=" Ann B ", bio=" Bakes bread. ", district="Old Town"
    )
    assert (updated.name, updated.bio, updated.district) == ("Ann B", "Bakes bread.", "Old Town")
    assert fields_of(
        lambda: accounts.update_profile(session, user.id, name="", bio="b" * 501, district="d" * 61)
    ) == {"name": "error.name_required", "bio": "error.bio_too_long", "district": "error.too_long"}
    with pytest.raises(NotFound):
        accounts.update_profile(session, 999, name="x", bio="", district="")


def test_set_locale(session):
    user = make_user(session, locale="zh-CN")
    accounts.set_locale(session, user.id, "en")
    session.refresh(user)
    assert user.locale == "en"
    assert fields_of(lambda: accounts.set_locale(session, user.id, "de")) == {
        "locale": "error.locale_invalid"
    }


def test_a_registration_race_is_reported_as_a_taken_contact(session, monkeypatch):
    register(session)
    # The other registration commits between this one's check and its insert.
    monkeypatch.setattr(accounts, "user_by_contact", lambda *args: None)
    assert fields_of(lambda: register(session, name="Twin")) == {"contact": "error.contact_taken"}
    # Only the insert was undone (a savepoint): the transaction goes on.
    monkeypatch.undo()
    assert register(session, contact="bo@example.com", name="Bo").id is not None
    assert len(session.exec(select(User)).all()) == 2
