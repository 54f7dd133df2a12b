"""The password form's handler: hashing outside the write turn, and its throttle."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.db import read_session
from marketplace_app.i18n import translate
from marketplace_app.models import LoginAttempt, User
from marketplace_app.services import passwords, throttle
from marketplace_app.settings import settings
from marketplace_app.state.account import ProfileState
from tests.unit.conftest import write_during_password_work
from tests.unit.state.conftest import call

OLD = "password-123"  # what login_as gives


def change(state, current: str = OLD, new: str = "a-new-password"):
    return call(state, "change_password", {"current": current, "new": new, "confirm": new})


def test_a_password_change_hashes_and_verifies_outside_the_write_turn(
    make_state, login_as, password_work
):
    user_id, token = login_as("ann@example.com")
    password_work.reset()
    state = make_state(ProfileState, token, path="/account")
    change(state, current="not-it")
    assert set(state.password_errors) == {"current"}
    change(state)
    assert state.password_errors == {}
    assert [kind for kind, _ in password_work.runs] == ["verify", "verify", "hash"]
    assert password_work.under_the_write_turn == []
    with read_session() as s:
        assert passwords.verify_password("a-new-password", s.get(User, user_id).password_hash)


@pytest.mark.skipif(not settings.is_sqlite, reason="the write turn is SQLite's")
def test_a_password_change_does_not_keep_other_writers_waiting(
    make_state, login_as, password_work, capsys
):
    _, token = login_as("ann@example.com")
    password_work.reset()
    state = make_state(ProfileState, token, path="/account")
    took = write_during_password_work(password_work, lambda: change(state))
    with capsys.disabled():
        print(
            f"\npassword change: verify {1000 * password_work.seconds:.0f} ms,"
            f" another write meanwhile {1000 * took:.1f} ms"
        )
    assert password_work.went_on_in_time
    assert took < 1.0
    assert state.password_errors == {}


def test_wrong_current_passwords_are_throttled_with_a_message_under_the_field(make_state, login_as):
    user_id, token = login_as("ann@example.com")
    state = make_state(ProfileState, token, path="/account", ip="198.51.100.3")
    wrong = translate(settings.default_locale, "error.password_wrong")
    for _ in range(throttle.PASSWORD_CHANGE.per_account):
        change(state, current="not-it")
        assert state.password_errors == {"current": wrong}
    change(state)  # even the right password waits now
    assert state.password_errors == {
        "current": translate(settings.default_locale, "error.password_throttled", minutes=15)
    }
    with read_session() as s:
        assert passwords.verify_password(OLD, s.get(User, user_id).password_hash)
        rows = s.exec(select(LoginAttempt).where(LoginAttempt.action == "password")).all()
    assert {(a.account, a.ip, a.success) for a in rows} == {(str(user_id), "198.51.100.3", False)}
    assert len(rows) == throttle.PASSWORD_CHANGE.per_account
