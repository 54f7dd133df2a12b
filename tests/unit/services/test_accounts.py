"""Registration, login with throttling, tickets, sessions, profile and roles."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from passlib.context import CryptContext
from sqlalchemy import update
from sqlmodel import select

from marketplace_app.models import (
    AuditEntry,
    AuthSession,
    LoginAttempt,
    LoginTicket,
    Shop,
    ShopMember,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import accounts, passwords
from marketplace_app.services.errors import (
    NotFound,
    PermissionDenied,
    Throttled,
    ValidationFailed,
)
from marketplace_app.services.security import token_hash
from tests.unit.services.conftest import make_user

PASSWORD = "s3cret-pass"
CURRENT_PREFIX = (
    f"$argon2id$v=19$m={passwords.ARGON2_MEMORY_KIB},t={passwords.ARGON2_ROUNDS},"
    f"p={passwords.ARGON2_LANES}$"
)


def register(session, contact="ann@example.com", name="Ann", password=PASSWORD, locale="en"):
    return accounts.register(session, name=name, contact=contact, password=password, locale=locale)


def login(session, contact="ann@example.com", password=PASSWORD, ip="198.51.100.1"):
    return accounts.authenticate(session, contact=contact, password=password, ip=ip)


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.key == "error.validation"
    return caught.value.fields


def new_session(session, user_id: int) -> str:
    ticket = accounts.issue_login_ticket(session, user_id)
    token = accounts.redeem_login_ticket(session, ticket, user_agent="pytest", ip="127.0.0.1")
    assert token
    return token


# --- contacts and registration -----------------------------------------------------


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
    for i in range(accounts.ACCOUNT_MAX_FAILURES):
        fields_of(lambda i=i: login(session, password=f"wrong-{i}", ip=f"198.51.100.{i}"))
    for password in (PASSWORD, "wrong-again"):
        with pytest.raises(Throttled) as caught:
            login(session, password=password, ip="192.0.2.77")
        assert caught.value.key == "error.login_throttled"
        assert caught.value.minutes == 15
        assert caught.value.params == {"minutes": 15}
    # Refused before the password check, and not counted.
    assert len(session.exec(select(LoginAttempt)).all()) == accounts.ACCOUNT_MAX_FAILURES

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
    for _ in range(accounts.ACCOUNT_MAX_FAILURES - 1):
        fields_of(lambda: login(session, password="wrong-pass"))
    login(session)
    for _ in range(accounts.ACCOUNT_MAX_FAILURES - 1):
        fields_of(lambda: login(session, password="wrong-pass"))
    assert login(session).email == "ann@example.com"


def test_ip_throttle(session):
    register(session)
    now = utcnow()
    ip = "203.0.113.9"
    for i in range(accounts.IP_MAX_FAILURES):
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


# --- tickets and sessions ------------------------------------------------------------


def test_login_ticket_is_single_use(session):
    user = make_user(session)
    ticket = accounts.issue_login_ticket(session, user.id)
    row = session.exec(select(LoginTicket)).one()
    assert row.ticket_hash != ticket and len(row.ticket_hash) == 64
    assert timedelta(seconds=55) < row.expires_at - utcnow() <= timedelta(seconds=60)
    token = accounts.redeem_login_ticket(session, ticket, user_agent="ua", ip="127.0.0.1")
    assert token
    assert accounts.user_for_session(session, token).id == user.id
    assert accounts.redeem_login_ticket(session, ticket, user_agent="ua", ip="127.0.0.1") is None
    assert len(session.exec(select(AuthSession)).all()) == 1


def test_expired_and_unknown_tickets_are_refused(session):
    user = make_user(session)
    ticket = accounts.issue_login_ticket(session, user.id)
    session.exec(update(LoginTicket).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert accounts.redeem_login_ticket(session, ticket, user_agent="", ip="") is None
    for bad in ("", "nope", "x" * 5000):
        assert accounts.redeem_login_ticket(session, bad, user_agent="", ip="") is None
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
    accounts.end_session(session, revoked)
    accounts.end_session(session, "never-issued")
    assert accounts.user_for_session(session, expired) is None
    assert accounts.user_for_session(session, revoked) is None
    assert accounts.user_for_session(session, None) is None
    assert accounts.user_for_session(session, "") is None
    assert accounts.user_for_session(session, "never-issued") is None
    assert accounts.user_for_session(session, good).id == user.id


def test_sessions_of_deleted_users_end(session):
    user = make_user(session)
    token = new_session(session, user.id)
    user.deleted_at = utcnow()
    session.add(user)
    session.flush()
    assert accounts.user_for_session(session, token) is None


def test_sessions_older_than_the_password_are_refused(session):
    user = make_user(session)
    token = new_session(session, user.id)
    user.password_changed_at = utcnow() + timedelta(seconds=1)
    session.add(user)
    session.flush()
    assert accounts.user_for_session(session, token) is None


def test_last_seen_is_touched_at_most_every_five_minutes(session):
    user = make_user(session)
    token = new_session(session, user.id)
    row = session.exec(select(AuthSession)).one()
    recent = utcnow() - timedelta(minutes=4)
    session.exec(update(AuthSession).values(last_seen_at=recent))
    accounts.user_for_session(session, token)
    session.refresh(row)
    assert row.last_seen_at == recent
    session.exec(update(AuthSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
    accounts.user_for_session(session, token)
    session.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(seconds=5)


# --- password change and profile ------------------------------------------------------


def test_change_password_ends_every_other_session(session):
    user = register(session)
    phone, laptop = new_session(session, user.id), new_session(session, user.id)
    ticket = accounts.change_password(session, user.id, current=PASSWORD, new="brand-new-pass")
    assert accounts.user_for_session(session, phone) is None
    assert accounts.user_for_session(session, laptop) is None
    token = accounts.redeem_login_ticket(session, ticket, user_agent="", ip="")
    assert accounts.user_for_session(session, token).id == user.id
    assert login(session, password="brand-new-pass").id == user.id
    assert fields_of(lambda: login(session)) == {"_form": "error.login_invalid"}


def test_change_password_validation(session):
    user = register(session)
    assert fields_of(
        lambda: accounts.change_password(session, user.id, current="wrong-pass", new="short")
    ) == {"current": "error.password_wrong", "new": "error.password_too_short"}
    assert fields_of(
        lambda: accounts.change_password(session, user.id, current=PASSWORD, new="n" * 129)
    ) == {"new": "error.password_too_long"}
    with pytest.raises(NotFound):
        accounts.change_password(session, 999, current=PASSWORD, new="brand-new-pass")


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


# --- roles -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "checks"),
    [
        ("user", {"user": True, "moderator": False, "admin": False}),
        ("moderator", {"user": True, "moderator": True, "admin": False}),
        ("admin", {"user": True, "moderator": True, "admin": True}),
    ],
)
def test_has_role(role, checks):
    user = User(name="x", email="x@example.com", password_hash="-", role=role)
    assert {r: accounts.has_role(user, r) for r in checks} == checks
    assert not accounts.has_role(user, "owner")
    user.deleted_at = utcnow()
    assert not accounts.has_role(user, "user")


def test_shop_ids_for(session):
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    shops = [Shop(owner_id=ann.id, name=f"S{i}", slug=f"s{i}") for i in range(3)]
    session.add_all(shops)
    session.flush()
    session.add(ShopMember(shop_id=shops[2].id, user_id=ann.id, role="owner"))
    session.add(ShopMember(shop_id=shops[0].id, user_id=ann.id))
    session.add(ShopMember(shop_id=shops[1].id, user_id=bob.id))
    session.flush()
    assert accounts.shop_ids_for(session, ann.id) == [shops[0].id, shops[2].id]
    assert accounts.shop_ids_for(session, 999) == []


def test_set_role_needs_an_admin_and_is_audited(session):
    admin = make_user(session, "Ada", role="admin")
    mod = make_user(session, "Mo", role="moderator")
    ann = make_user(session, "Ann")
    with pytest.raises(PermissionDenied):
        accounts.set_role(session, actor_id=mod.id, user_id=ann.id, role="moderator", reason="")
    with pytest.raises(PermissionDenied):
        accounts.set_role(session, actor_id=999, user_id=ann.id, role="moderator", reason="")
    with pytest.raises(NotFound):
        accounts.set_role(session, actor_id=admin.id, user_id=999, role="moderator", reason="")
    assert fields_of(
        lambda: accounts.set_role(
            session, actor_id=admin.id, user_id=ann.id, role="king", reason="r" * 501
        )
    ) == {"role": "error.role_invalid", "reason": "error.too_long"}

    accounts.set_role(
        session, actor_id=admin.id, user_id=ann.id, role="moderator", reason="Helps a lot"
    )
    session.refresh(ann)
    assert ann.role == "moderator"
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id, entry.reason) == (
        admin.id,
        "role.set_moderator",
        "user",
        ann.id,
        "Helps a lot",
    )


def test_the_last_admin_cannot_step_down(session):
    admin = make_user(session, "Ada", role="admin")
    assert fields_of(
        lambda: accounts.set_role(
            session, actor_id=admin.id, user_id=admin.id, role="user", reason=""
        )
    ) == {"_form": "error.last_admin"}
    other = make_user(session, "Bea")
    accounts.set_role(session, actor_id=admin.id, user_id=other.id, role="admin", reason="")
    accounts.set_role(session, actor_id=admin.id, user_id=admin.id, role="user", reason="")
    session.refresh(admin)
    assert admin.role == "user"


def test_create_admin_new_and_existing(session):
    admin = accounts.create_admin(
        session, name="Root", email="Root@Example.com", password="admin-pass"
    )
    assert (admin.email, admin.role) == ("root@example.com", "admin")
    ann = register(session)
    token = new_session(session, ann.id)
    promoted = accounts.create_admin(
        session, name="ignored", email="ann@example.com", password="new-admin-pass"
    )
    assert promoted.id == ann.id
    assert (promoted.role, promoted.name) == ("admin", "Ann")
    assert accounts.user_for_session(session, token) is None
    assert login(session, password="new-admin-pass").id == ann.id
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.action, e.target_id) for e in entries] == [
        (None, "role.admin_created", admin.id),
        (None, "role.admin_created", ann.id),
    ]
    assert fields_of(
        lambda: accounts.create_admin(session, name="", email="+8613800138000", password="x")
    ) == {
        "name": "error.name_required",
        "email": "error.email_invalid",
        "password": "error.password_too_short",
    }


def test_a_registration_race_is_reported_as_a_taken_contact(session, monkeypatch):
    register(session)
    # The other registration commits between this one's check and its insert.
    monkeypatch.setattr(accounts, "_user_by_contact", lambda *args: None)
    assert fields_of(lambda: register(session, name="Twin")) == {"contact": "error.contact_taken"}
    # Only the insert was undone (a savepoint): the transaction goes on.
    monkeypatch.undo()
    assert register(session, contact="bo@example.com", name="Bo").id is not None
    assert len(session.exec(select(User)).all()) == 2
