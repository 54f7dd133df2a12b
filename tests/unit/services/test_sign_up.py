"""Signing up: the hash before the write, and the throttle per contact and per address."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import LoginAttempt, LoginTicket, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import passwords, sign_up, throttle
from marketplace_app.services.errors import Throttled, ValidationFailed
from tests.unit.services.conftest import in_session, make_user

PASSWORD = "s3cret-pass"


def join(session, contact="ann@example.com", ip="198.51.100.1", name="Ann", password=PASSWORD):
    here = in_session(session)
    return sign_up.sign_up(
        here, here, name=name, contact=contact, password=password, locale="en", ip=ip
    )


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


def test_a_sign_up_creates_the_account_and_its_ticket(session):
    ticket = join(session, contact=" Ann@Example.com")
    user = session.exec(select(User)).one()
    assert (user.name, user.email, user.locale) == ("Ann", "ann@example.com", "en")
    assert passwords.verify_password(PASSWORD, user.password_hash)
    assert session.exec(select(LoginTicket.user_id)).one() == user.id
    assert ticket
    attempt = session.exec(select(LoginAttempt)).one()
    assert (attempt.action, attempt.account, attempt.ip, attempt.success) == (
        "sign_up",
        "ann@example.com",
        "198.51.100.1",
        True,
    )


def test_field_problems_are_reported_together_and_not_counted(session):
    assert fields_of(lambda: join(session, name=" ", contact="nope", password="short")) == {
        "name": "error.name_required",
        "contact": "error.contact_invalid",
        "password": "error.password_too_short",
    }
    assert session.exec(select(LoginAttempt)).all() == []


def test_a_taken_contact_is_refused_and_counted(session):
    make_user(session, "Ann")
    assert fields_of(lambda: join(session, contact="ANN@example.com")) == {
        "contact": "error.contact_taken"
    }
    attempt = session.exec(select(LoginAttempt)).one()
    assert (attempt.account, attempt.success) == ("ann@example.com", False)
    assert len(session.exec(select(User)).all()) == 1


def test_a_contact_gets_five_tries(session):
    make_user(session, "Ann")
    for i in range(throttle.SIGN_UP.per_account):
        fields_of(lambda i=i: join(session, ip=f"198.51.100.{i}"))
    with pytest.raises(Throttled) as caught:
        join(session, ip="192.0.2.200")
    assert (caught.value.key, caught.value.minutes) == ("error.sign_up_throttled", 15)
    assert len(session.exec(select(LoginAttempt)).all()) == throttle.SIGN_UP.per_account


def test_an_address_gets_twenty_sign_ups(session):
    ip = "203.0.113.5"
    for i in range(throttle.SIGN_UP.per_ip):
        join(session, contact=f"user{i}@example.com", ip=ip)
    with pytest.raises(Throttled) as caught:
        join(session, contact="one-more@example.com", ip=ip)
    assert caught.value.key == "error.sign_up_throttled_ip"
    assert join(session, contact="one-more@example.com", ip="203.0.113.6")


def test_record_checks_the_throttle_again(session):
    check = sign_up.check_sign_up(
        session, name="Ann", contact="ann@example.com", password=PASSWORD, locale="en", ip=""
    )
    assert check.account is not None
    for _ in range(throttle.SIGN_UP.per_account):
        throttle.record(
            session, throttle.SIGN_UP, account="ann@example.com", ip="", success=False, now=utcnow()
        )
    with pytest.raises(Throttled):
        sign_up.record_sign_up(session, check)
    assert session.exec(select(User)).all() == []


def test_a_sign_up_that_lost_the_race_is_a_taken_contact(session):
    check = sign_up.check_sign_up(
        session, name="Ann", contact="ann@example.com", password=PASSWORD, locale="en", ip=""
    )
    make_user(session, "Ann")  # another sign-up committed between check and record
    assert sign_up.record_sign_up(session, check) is None
    assert [a.success for a in session.exec(select(LoginAttempt)).all()] == [False]


def test_a_refused_sign_up_is_committed_before_it_is_reported(db):
    with write_session() as s:
        make_user(s, "Ann")
    with pytest.raises(ValidationFailed):
        sign_up.sign_up(
            read_session,
            write_session,
            name="Ann",
            contact="ann@example.com",
            password=PASSWORD,
            locale="en",
            ip="",
        )
    with read_session() as s:
        assert [a.success for a in s.exec(select(LoginAttempt)).all()] == [False]
