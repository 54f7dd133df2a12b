"""Logins with throttling, tickets, sessions, password change, and pruning."""

from __future__ import annotations

import statistics
import threading
import time
from datetime import timedelta

import pytest
from passlib.context import CryptContext
from sqlalchemy import update
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import (
    AuthSession,
    LoginAttempt,
    LoginTicket,
    PasswordResetToken,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import accounts, auth_sessions, passwords, throttle
from marketplace_app.services.errors import NotFound, Throttled, ValidationFailed
from marketplace_app.services.security import token_hash
from marketplace_app.settings import settings
from tests.unit.services.conftest import in_session, log_in_here, make_user

PASSWORD = "s3cret-pass"
CURRENT_PREFIX = (
    f"$argon2id$v=19$m={passwords.ARGON2_MEMORY_KIB},t={passwords.ARGON2_ROUNDS},"
    f"p={passwords.ARGON2_LANES}$"
)


def register(session, contact="ann@example.com", name="Ann", password=PASSWORD, locale="en"):
    return accounts.register(session, name=name, contact=contact, password=password, locale=locale)


def login(session, contact="ann@example.com", password=PASSWORD, ip="198.51.100.1"):
    return log_in_here(session, contact=contact, password=password, ip=ip)


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.key == "error.validation"
    return caught.value.fields


def change_password(session, user_id: int, current: str, new: str, ip: str = "") -> str:
    here = in_session(session)
    return auth_sessions.change_password(here, here, user_id, current=current, new=new, ip=ip)


def new_session(session, user_id: int) -> str:
    ticket = auth_sessions.issue_login_ticket(session, user_id)
    token = auth_sessions.redeem_login_ticket(session, ticket, user_agent="pytest", ip="127.0.0.1")
    assert token
    return token


# --- login ----------------------------------------------------------------------------


def test_login_success_and_failure(session):
    user = register(session)
    assert login(session, contact=" ANN@example.com").id == user.id
    assert fields_of(lambda: login(session, password="wrong-pass")) == {
        "_form": "error.login_invalid"
    }
    assert fields_of(lambda: login(session, contact="bob@example.com")) == {
        "_form": "error.login_invalid"
    }
    assert fields_of(lambda: login(session, contact="not a contact")) == {
        "_form": "error.login_invalid"
    }
    attempts = session.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(a.account, a.success) for a in attempts] == [
        ("ann@example.com", True),
        ("ann@example.com", False),
        ("bob@example.com", False),
        ("not a contact", False),
    ]
    assert {a.ip for a in attempts} == {"198.51.100.1"}


def test_deleted_users_cannot_log_in(session):
    user = register(session)
    user.deleted_at = utcnow()
    session.add(user)
    assert fields_of(lambda: login(session)) == {"_form": "error.login_invalid"}


def test_login_rehashes_an_old_hash(session):
    user = make_user(session, "Ann")
    weak = CryptContext(schemes=["argon2"], argon2__memory_cost=8192, argon2__rounds=1)
    user.password_hash = weak.hash(PASSWORD)
    changed_at = user.password_changed_at
    session.add(user)
    login(session)
    session.refresh(user)
    assert user.password_hash.startswith(CURRENT_PREFIX)
    assert not passwords.needs_rehash(user.password_hash)
    assert user.password_changed_at == changed_at  # same password: sessions stay valid


def test_account_throttle_refuses_even_the_right_password(session):
    register(session)
    for i in range(throttle.LOGIN.per_account):
        fields_of(lambda i=i: login(session, password=f"wrong-{i}", ip=f"198.51.100.{i}"))
    for password in (PASSWORD, "wrong-again"):
        with pytest.raises(Throttled) as caught:
            login(session, password=password, ip="192.0.2.77")
        assert caught.value.key == "error.login_throttled"
        assert caught.value.minutes == 15
        assert caught.value.params == {"minutes": 15}
    # Refused before the password check, and not counted.
    assert len(session.exec(select(LoginAttempt)).all()) == throttle.LOGIN.per_account

    # Once the failures age out of the window, the right password works again.
    session.exec(update(LoginAttempt).values(at=utcnow() - timedelta(minutes=16)))
    assert login(session).email == "ann@example.com"


def test_throttle_minutes_count_down_to_the_oldest_counted_failure(session):
    register(session)
    now = utcnow()
    for minutes_ago in (11, 9, 5, 3, 1):
        session.add(
            LoginAttempt(account="ann@example.com", ip="x", at=now - timedelta(minutes=minutes_ago))
        )
    with pytest.raises(Throttled) as caught:
        login(session)
    assert caught.value.minutes == 4  # the failure 11 minutes ago leaves in 4


def test_a_successful_login_restarts_the_account_count(session):
    register(session)
    for _ in range(throttle.LOGIN.per_account - 1):
        fields_of(lambda: login(session, password="wrong-pass"))
    login(session)
    for _ in range(throttle.LOGIN.per_account - 1):
        fields_of(lambda: login(session, password="wrong-pass"))
    assert login(session).email == "ann@example.com"


def test_ip_throttle(session):
    register(session)
    now = utcnow()
    ip = "203.0.113.9"
    for i in range(throttle.LOGIN.per_ip):
        ago = timedelta(minutes=10) if i == 0 else timedelta(minutes=2)
        session.add(LoginAttempt(account=f"guess{i}@example.com", ip=ip, at=now - ago))
    session.flush()
    with pytest.raises(Throttled) as caught:
        login(session, ip=ip)
    assert caught.value.key == "error.login_throttled_ip"
    assert caught.value.minutes == 5
    # Another address is not affected, and neither is the account.
    assert login(session, ip="203.0.113.10").email == "ann@example.com"
    # Old failures do not count.
    session.exec(
        update(LoginAttempt).where(LoginAttempt.ip == ip).values(at=now - timedelta(minutes=20))
    )
    assert login(session, ip=ip).email == "ann@example.com"


def test_unknown_user_and_wrong_password_take_the_same_time(session):
    register(session)
    passwords.burn_verify("warm up")  # the dummy hash is computed on first use

    def timed(contact: str, ip: str) -> float:
        start = time.perf_counter()
        with pytest.raises(ValidationFailed):
            login(session, contact=contact, password="wrong-password", ip=ip)
        return time.perf_counter() - start

    unknown, wrong = [], []
    for i in range(5):  # interleaved, so load changes hit both series alike
        unknown.append(timed(f"nobody{i}@example.com", "192.0.2.1"))
        wrong.append(timed("ann@example.com", "192.0.2.2"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2, (unknown, wrong)


def test_check_credentials_writes_nothing(session):
    user = register(session)
    right = auth_sessions.check_credentials(
        session, contact="ann@example.com", password=PASSWORD, ip="198.51.100.1"
    )
    assert (right.ok, right.user_id, right.account, right.ip) == (
        True,
        user.id,
        "ann@example.com",
        "198.51.100.1",
    )
    assert right.new_hash is None
    wrong = auth_sessions.check_credentials(
        session, contact="ann@example.com", password="wrong-pass", ip=""
    )
    assert not wrong.ok
    assert not (session.new or session.dirty or session.deleted)
    assert session.exec(select(LoginAttempt)).all() == []
    assert session.exec(select(LoginTicket)).all() == []


def test_a_refused_login_is_committed_before_it_is_reported(db):
    with write_session() as s:
        register(s)
    for i in range(throttle.LOGIN.per_account):
        with pytest.raises(ValidationFailed):
            auth_sessions.log_in(
                read_session, write_session, contact="ann@example.com", password=f"no-{i}", ip=""
            )
    with pytest.raises(Throttled):
        auth_sessions.log_in(
            read_session, write_session, contact="ann@example.com", password=PASSWORD, ip=""
        )
    with read_session() as s:
        attempts = s.exec(select(LoginAttempt)).all()
        assert [a.success for a in attempts] == [False] * throttle.LOGIN.per_account
        assert s.exec(select(LoginTicket)).all() == []


def test_record_login_checks_the_throttle_again(session):
    # Tries that passed the check together cannot all be answered: the write step counts again.
    register(session)
    check = auth_sessions.check_credentials(
        session, contact="ann@example.com", password=PASSWORD, ip=""
    )
    assert check.ok
    now = utcnow()
    for _ in range(throttle.LOGIN.per_account):
        session.add(LoginAttempt(account="ann@example.com", ip="", at=now))
    session.flush()
    with pytest.raises(Throttled):
        auth_sessions.record_login(session, check)
    assert len(session.exec(select(LoginAttempt)).all()) == throttle.LOGIN.per_account
    assert session.exec(select(LoginTicket)).all() == []


def test_a_password_change_or_deletion_after_the_check_refuses_the_login(session):
    user = register(session)

    def check():
        return auth_sessions.check_credentials(
            session, contact="ann@example.com", password=PASSWORD, ip=""
        )

    before_change = check()
    ticket = change_password(session, user.id, PASSWORD, "other-pass")
    assert auth_sessions.record_login(session, before_change) is None
    assert session.exec(select(LoginTicket)).one().ticket_hash == token_hash(ticket)

    change_password(session, user.id, "other-pass", PASSWORD)
    before_delete = check()
    user.deleted_at = utcnow()
    session.add(user)
    assert auth_sessions.record_login(session, before_delete) is None
    attempts = session.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(a.action, a.success) for a in attempts] == [
        ("password", True),
        ("login", False),
        ("password", True),
        ("login", False),
    ]


def test_a_rehash_does_not_overwrite_a_hash_changed_meanwhile(session):
    user = make_user(session, "Ann")
    weak = CryptContext(schemes=["argon2"], argon2__memory_cost=8192, argon2__rounds=1)
    user.password_hash = weak.hash(PASSWORD)
    session.add(user)
    check = auth_sessions.check_credentials(
        session, contact="ann@example.com", password=PASSWORD, ip=""
    )
    assert check.ok and check.new_hash.startswith(CURRENT_PREFIX)
    # Another login of the same password re-hashed it in between.
    other = passwords.hash_password(PASSWORD)
    user.password_hash = other
    session.add(user)
    assert auth_sessions.record_login(session, check)
    session.refresh(user)
    assert user.password_hash == other


def _write_during_a_login(monkeypatch, read_tx, hold: float, writer: str) -> dict[str, float]:
    """Log in on a thread; while its password verify runs, do a write here.

    The verify is the real argon2 verify of a real hash. Afterwards it waits
    (up to ``hold`` seconds) for the write here to finish, so that "the
    write finished while the login was verifying" does not depend on how
    fast this machine is: it is true unless the write had to wait for the
    login's transaction.

    Returns:
        Times in seconds on one clock, and whether the write finished first.
    """
    real_verify = auth_sessions.verify_password
    verifying = threading.Event()
    written = threading.Event()
    times: dict[str, float] = {}

    def verify(password: str, hashed: str) -> bool:
        times["verify_start"] = time.perf_counter()
        verifying.set()
        ok = real_verify(password, hashed)
        times["verify_end"] = time.perf_counter()
        times["written_during_verify"] = written.wait(hold)
        return ok

    monkeypatch.setattr(auth_sessions, "verify_password", verify)
    outcome: dict[str, object] = {}

    def login_thread() -> None:
        try:
            outcome["ticket"] = auth_sessions.log_in(
                read_tx, write_session, contact="ann@example.com", password=PASSWORD, ip=""
            )
        except BaseException as error:  # reported below, on the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=login_thread)
    thread.start()
    try:
        assert verifying.wait(10), "the login never reached its verify"
        times["write_start"] = time.perf_counter()
        with write_session() as s:
            make_user(s, writer)
        times["write_end"] = time.perf_counter()
        written.set()
    finally:
        written.set()
        thread.join(30)
    assert "error" not in outcome, outcome
    assert outcome["ticket"]
    print(
        f"verify {1000 * (times['verify_end'] - times['verify_start']):.1f} ms, "
        f"write {1000 * (times['write_end'] - times['write_start']):.1f} ms, "
        f"write ended {1000 * (times['verify_end'] - times['write_end']):.1f} ms "
        "before the verify did"
    )
    return times


@pytest.mark.skipif(not settings.is_sqlite, reason="the database-wide write lock is SQLite's")
def test_a_login_does_not_hold_the_write_lock_while_verifying(db, monkeypatch):
    with write_session() as s:
        register(s)  # a real argon2id hash
    times = _write_during_a_login(monkeypatch, read_session, hold=5.0, writer="Bob")
    assert times["written_during_verify"]
    assert times["write_end"] - times["write_start"] < 5.0

    # Control: were the check run in a write transaction, the same write waits for the login.
    times = _write_during_a_login(monkeypatch, write_session, hold=0.3, writer="Cy")
    assert not times["written_during_verify"]
    assert times["write_end"] > times["verify_end"] + 0.25


# --- tickets and sessions ------------------------------------------------------------


def test_login_ticket_is_single_use(session):
    user = make_user(session)
    ticket = auth_sessions.issue_login_ticket(session, user.id)
    row = session.exec(select(LoginTicket)).one()
    assert row.ticket_hash != ticket and len(row.ticket_hash) == 64
    assert timedelta(seconds=55) < row.expires_at - utcnow() <= timedelta(seconds=60)
    token = auth_sessions.redeem_login_ticket(session, ticket, user_agent="ua", ip="127.0.0.1")
    assert token
    assert auth_sessions.user_for_session(session, token).id == user.id
    assert (
        auth_sessions.redeem_login_ticket(session, ticket, user_agent="ua", ip="127.0.0.1") is None
    )
    assert len(session.exec(select(AuthSession)).all()) == 1


def test_expired_and_unknown_tickets_are_refused(session):
    user = make_user(session)
    ticket = auth_sessions.issue_login_ticket(session, user.id)
    session.exec(update(LoginTicket).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert auth_sessions.redeem_login_ticket(session, ticket, user_agent="", ip="") is None
    for bad in ("", "nope", "x" * 5000):
        assert auth_sessions.redeem_login_ticket(session, bad, user_agent="", ip="") is None
    assert session.exec(select(AuthSession)).all() == []


def test_session_row_stores_only_a_hash(session):
    user = make_user(session)
    token = new_session(session, user.id)
    row = session.exec(select(AuthSession)).one()
    assert row.token_hash != token and len(row.token_hash) == 64
    assert (row.user_agent, row.ip) == ("pytest", "127.0.0.1")
    assert abs(row.expires_at - (row.created_at + timedelta(days=30))) < timedelta(seconds=1)


def test_expired_revoked_and_unknown_sessions(session):
    user = make_user(session)
    expired, revoked, good = (new_session(session, user.id) for _ in range(3))
    session.exec(
        update(AuthSession)
        .where(AuthSession.token_hash == token_hash(expired))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    auth_sessions.end_session(session, revoked)
    auth_sessions.end_session(session, "never-issued")
    assert auth_sessions.user_for_session(session, expired) is None
    assert auth_sessions.user_for_session(session, revoked) is None
    assert auth_sessions.user_for_session(session, None) is None
    assert auth_sessions.user_for_session(session, "") is None
    assert auth_sessions.user_for_session(session, "never-issued") is None
    assert auth_sessions.user_for_session(session, good).id == user.id


def test_sessions_of_deleted_users_end(session):
    user = make_user(session)
    token = new_session(session, user.id)
    user.deleted_at = utcnow()
    session.add(user)
    session.flush()
    assert auth_sessions.user_for_session(session, token) is None


def test_sessions_older_than_the_password_are_refused(session):
    user = make_user(session)
    token = new_session(session, user.id)
    user.password_changed_at = utcnow() + timedelta(seconds=1)
    session.add(user)
    session.flush()
    assert auth_sessions.user_for_session(session, token) is None


def test_last_seen_is_touched_at_most_every_five_minutes(session):
    user = make_user(session)
    token = new_session(session, user.id)
    row = session.exec(select(AuthSession)).one()
    recent = utcnow() - timedelta(minutes=4)
    session.exec(update(AuthSession).values(last_seen_at=recent))
    auth_sessions.user_for_session(session, token)
    session.refresh(row)
    assert row.last_seen_at == recent
    session.exec(update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
    auth_sessions.user_for_session(session, token)
    session.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(seconds=5)


# --- password change ------------------------------------------------------------------


def test_change_password_ends_every_other_session(session):
    user = register(session)
    phone, laptop = new_session(session, user.id), new_session(session, user.id)
    ticket = change_password(session, user.id, PASSWORD, "brand-new-pass")
    assert auth_sessions.user_for_session(session, phone) is None
    assert auth_sessions.user_for_session(session, laptop) is None
    token = auth_sessions.redeem_login_ticket(session, ticket, user_agent="", ip="")
    assert auth_sessions.user_for_session(session, token).id == user.id
    assert login(session, password="brand-new-pass").id == user.id
    assert fields_of(lambda: login(session)) == {"_form": "error.login_invalid"}


def test_change_password_validation(session):
    user = register(session)
    assert fields_of(lambda: change_password(session, user.id, "wrong-pass", "short")) == {
        "current": "error.password_wrong",
        "new": "error.password_too_short",
    }
    assert fields_of(lambda: change_password(session, user.id, PASSWORD, "n" * 129)) == {
        "new": "error.password_too_long"
    }
    with pytest.raises(NotFound):
        change_password(session, 999, PASSWORD, "brand-new-pass")


def test_wrong_current_passwords_are_throttled_per_account(session):
    user = register(session)
    for i in range(throttle.PASSWORD_CHANGE.per_account - 1):
        fields_of(lambda i=i: change_password(session, user.id, "wrong-pass", "brand-new", f"{i}"))
    # The right password restarts the account's count (and the change goes through).
    change_password(session, user.id, PASSWORD, "brand-new-pass")
    for i in range(throttle.PASSWORD_CHANGE.per_account):
        fields_of(lambda i=i: change_password(session, user.id, "wrong-pass", "x-new-pass", f"{i}"))
    with pytest.raises(Throttled) as caught:
        change_password(session, user.id, "brand-new-pass", "x-new-pass", "192.0.2.50")
    assert (caught.value.key, caught.value.minutes) == ("error.password_throttled", 15)
    # A refused try is not counted, and changed nothing.
    attempts = session.exec(
        select(LoginAttempt).where(LoginAttempt.action == "password").order_by(LoginAttempt.id)
    ).all()
    assert [a.success for a in attempts] == [False] * 4 + [True] + [False] * 5
    assert {a.account for a in attempts} == {str(user.id)}
    assert login(session, password="brand-new-pass").id == user.id


def test_wrong_current_passwords_are_throttled_per_address(session):
    ip = "203.0.113.77"
    now = utcnow()
    session.add_all(
        LoginAttempt(action="password", account=f"{n}", ip=ip, at=now)
        for n in range(throttle.PASSWORD_CHANGE.per_ip)
    )
    user = register(session)
    with pytest.raises(Throttled) as caught:
        change_password(session, user.id, PASSWORD, "brand-new-pass", ip)
    assert caught.value.key == "error.password_throttled_ip"
    assert change_password(session, user.id, PASSWORD, "brand-new-pass", "203.0.113.78")


def test_a_refused_password_change_is_committed_before_it_is_reported(db):
    with write_session() as s:
        user_id = register(s).id
    with pytest.raises(ValidationFailed):
        auth_sessions.change_password(
            read_session, write_session, user_id, current="wrong-pass", new="brand-new", ip=""
        )
    with read_session() as s:
        attempts = s.exec(select(LoginAttempt)).all()
        assert [(a.action, a.success) for a in attempts] == [("password", False)]


def test_a_password_change_checked_before_another_change_is_refused(session):
    user = register(session)
    check = auth_sessions.check_password_change(
        session, user.id, current=PASSWORD, new="first-new-pass", ip=""
    )
    change_password(session, user.id, PASSWORD, "other-new-pass")
    assert auth_sessions.record_password_change(session, check) is None
    assert login(session, password="other-new-pass").id == user.id


# --- pruning ----------------------------------------------------------------------------


def test_prune_expired(session):
    user = make_user(session, "Ann")
    now = utcnow()
    day, month = timedelta(days=1), timedelta(days=30)
    minute = timedelta(minutes=1)
    session.add_all(
        [
            LoginAttempt(account="gone", ip="", at=now - day - minute),
            LoginAttempt(account="kept", ip="", at=now - day + minute),
        ]
    )

    def ticket(name: str, expires_at, used_at=None) -> LoginTicket:
        return LoginTicket(
            user_id=user.id, ticket_hash=name, expires_at=expires_at, used_at=used_at
        )

    session.add_all(
        [
            ticket("gone-expired", now - day - minute),
            ticket("gone-used", now + minute, used_at=now - day - minute),
            ticket("kept-expired", now - day + minute),
            ticket("kept-used", now - day + minute, used_at=now - day + minute),
            ticket("kept-fresh", now + minute),
        ]
    )

    def reset(name: str, expires_at, used_at=None) -> PasswordResetToken:
        return PasswordResetToken(
            user_id=user.id, token_hash=name, expires_at=expires_at, used_at=used_at
        )

    session.add_all(
        [
            reset("gone", now - day - minute),
            reset("kept-expired", now - day + minute),
            reset("kept-used", now + minute, used_at=now - 2 * day),
        ]
    )

    def auth(name: str, expires_at, revoked_at=None) -> AuthSession:
        return AuthSession(
            user_id=user.id, token_hash=name, expires_at=expires_at, revoked_at=revoked_at
        )

    session.add_all(
        [
            auth("gone-expired", now - month - minute),
            auth("gone-revoked", now + month, revoked_at=now - month - minute),
            auth("kept-expired", now - month + minute),
            auth("kept-revoked", now + month, revoked_at=now - month + minute),
            auth("kept-live", now + month),
        ]
    )
    session.flush()

    assert auth_sessions.prune_expired(session, now=now) == 6
    session.expire_all()
    assert [a.account for a in session.exec(select(LoginAttempt)).all()] == ["kept"]
    for model, column in (
        (LoginTicket, LoginTicket.ticket_hash),
        (PasswordResetToken, PasswordResetToken.token_hash),
        (AuthSession, AuthSession.token_hash),
    ):
        names = session.exec(select(column).select_from(model)).all()
        assert names and all(name.startswith("kept") for name in names), names
    assert auth_sessions.prune_expired(session, now=now) == 0
    assert session.get(User, user.id) is not None

    # Two months on, every row left has ended long enough ago.
    assert auth_sessions.prune_expired(session, now=now + timedelta(days=61)) == 9
