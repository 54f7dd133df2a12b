"""The sign-up, login and reset forms' handlers: hashing outside the write turn,
throttles with their messages, and the address the limits count by."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace_app import client_address
from marketplace_app.db import read_session, write_session
from marketplace_app.i18n import translate
from marketplace_app.models import LoginAttempt, PasswordResetToken, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import passwords, throttle
from marketplace_app.services.security import token_hash
from marketplace_app.settings import settings
from marketplace_app.state.auth import AuthState
from tests.unit.conftest import write_during_password_work
from tests.unit.state.conftest import call

FORM = {"name": "Ann", "contact": "ann@example.com", "password": "password-123"}


@pytest.fixture
def proxy_hops(monkeypatch):
    """proxy_hops(n): run with TRUSTED_PROXY_HOPS=n."""

    def use(hops: int) -> None:
        monkeypatch.setattr(
            client_address, "settings", dataclasses.replace(settings, trusted_proxy_hops=hops)
        )

    return use


def message(key: str) -> str:
    """A throttle's message as the form shows it (in the visitor's default language)."""
    return translate(settings.default_locale, key, minutes=15)


def attempts() -> list[tuple[str, str, str, bool]]:
    with read_session() as s:
        rows = s.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    return [(a.action, a.account, a.ip, a.success) for a in rows]


def reset_link(user_id: int) -> str:
    token = "a-reset-token-for-the-test"
    with write_session() as s:
        s.add(
            PasswordResetToken(
                user_id=user_id,
                token_hash=token_hash(token),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
    return token


# --- the write turn ---------------------------------------------------------------------


def test_no_password_is_hashed_or_verified_under_the_write_turn(db, make_state, password_work):
    state = make_state(AuthState, path="/register")
    call(state, "register", FORM)
    assert state.errors == {}
    call(state, "register", FORM)  # taken: refused after a look, without a hash
    assert set(state.errors) == {"contact"}

    call(make_state(AuthState, path="/login"), "login", {**FORM, "password": "wrong-pass"})
    call(make_state(AuthState, path="/login"), "login", FORM)

    with read_session() as s:
        user_id = s.exec(select(User.id)).one()
    token = reset_link(user_id)
    state = make_state(AuthState, path="/reset-password", query=f"token={token}")
    call(state, "reset_password", {"password": "a-new-password", "confirm": "a-new-password"})
    assert state.reset_done
    with read_session() as s:
        assert passwords.verify_password("a-new-password", s.get(User, user_id).password_hash)

    kinds = [kind for kind, _ in password_work.runs]
    assert kinds.count("hash") >= 2 and kinds.count("verify") >= 2
    assert password_work.under_the_write_turn == []


@pytest.mark.skipif(not settings.is_sqlite, reason="the write turn is SQLite's")
def test_a_sign_up_does_not_keep_other_writers_waiting(db, make_state, password_work, capsys):
    state = make_state(AuthState, path="/register")
    took = write_during_password_work(password_work, lambda: call(state, "register", FORM))
    with capsys.disabled():
        print(
            f"\nsign-up: hash {1000 * password_work.seconds:.0f} ms,"
            f" another write meanwhile {1000 * took:.1f} ms"
        )
    assert password_work.went_on_in_time
    assert took < 1.0
    assert state.errors == {}
    with read_session() as s:
        assert s.exec(select(User.email)).all() == ["ann@example.com"]


# --- throttles and their messages -------------------------------------------------------


def test_too_many_sign_ups_from_one_address_get_a_message(db, make_state, proxy_hops):
    proxy_hops(1)
    now = utcnow()
    with write_session() as s:
        s.add_all(
            LoginAttempt(action="sign_up", account=f"u{n}@example.com", ip="203.0.113.9", at=now)
            for n in range(throttle.SIGN_UP.per_ip)
        )
    # Behind the proxy, this browser is 203.0.113.9 whatever it claims further left.
    state = make_state(
        AuthState, path="/register", ip="10.0.0.1", forwarded_for="6.6.6.6, 203.0.113.9"
    )
    call(state, "register", FORM)
    assert state.errors == {"_form": message("error.sign_up_throttled_ip")}
    assert not state.busy
    with read_session() as s:
        assert s.exec(select(User)).all() == []

    # Another address signs up, and is recorded as itself.
    state = make_state(AuthState, path="/register", ip="10.0.0.1", forwarded_for="203.0.113.10")
    call(state, "register", FORM)
    assert state.errors == {}
    assert attempts()[-1] == ("sign_up", "ann@example.com", "203.0.113.10", True)


def test_too_many_tries_for_one_contact_get_a_message(make_state, login_as):
    login_as("ann@example.com")
    for _ in range(throttle.SIGN_UP.per_account):
        state = make_state(AuthState, path="/register")
        call(state, "register", FORM)
        assert set(state.errors) == {"contact"}
    call(state, "register", FORM)
    assert state.errors == {"_form": message("error.sign_up_throttled")}


@pytest.mark.parametrize("hops", [0, 1])
def test_a_forged_forwarded_for_does_not_move_the_login_limit(
    make_state, login_as, proxy_hops, hops
):
    proxy_hops(hops)
    login_as("ann@example.com")
    # Without a proxy the header is the client's own text; with one, only its last entry counts.
    state = make_state(
        AuthState, path="/login", ip="198.51.100.4", forwarded_for="1.2.3.4, 198.51.100.99"
    )
    call(state, "login", {"contact": "ann@example.com", "password": "wrong-pass"})
    expected = "198.51.100.4" if hops == 0 else "198.51.100.99"
    assert attempts() == [("login", "ann@example.com", expected, False)]
