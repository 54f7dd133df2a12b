"""Password reset: silent for unknown contacts, rate-limited, single-use, end to end by SMTP."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import update
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import AuthSession, OutboxEmail, PasswordResetToken
from marketplace_app.models.types import utcnow
from marketplace_app.services import accounts, auth_sessions, notifications, password_reset
from marketplace_app.services.errors import ValidationFailed
from marketplace_app.services.security import token_hash
from marketplace_app.settings import settings
from tests.unit.services.conftest import NO_LOGIN_HASH, in_session, log_in_here, make_user

LINK = re.compile(r"/reset-password\?token=([A-Za-z0-9_-]+)")


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


def reset_here(session, token: str, new_password: str) -> None:
    here = in_session(session)
    password_reset.reset_password(here, here, token=token, new_password=new_password)


def token_from(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


def test_reset_end_to_end_through_smtp(db, smtp_server):
    with write_session() as s:
        user = accounts.register(
            s, name="Ann", contact="ann@example.com", password="old-password", locale="en"
        )
        old_ticket = auth_sessions.issue_login_ticket(s, user.id)
        old_session = auth_sessions.redeem_login_ticket(s, old_ticket, user_agent="", ip="")
    with write_session() as s:
        password_reset.request_password_reset(s, contact=" ANN@example.com ")

    assert notifications.deliver_pending() == 1
    assert len(smtp_server.envelopes) == 1
    envelope = smtp_server.envelopes[0]
    assert envelope.rcpt_tos == ["ann@example.com"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == f"Reset your {settings.market_name} password"
    body = message.get_content()
    assert "Hello Ann" in body and "60 minutes" in body
    assert f"{settings.public_url}/reset-password?token=" in body
    token = token_from(body)

    def reset(password: str) -> None:
        password_reset.reset_password(
            read_session, write_session, token=token, new_password=password
        )

    assert fields_of(lambda: reset("short")) == {"password": "error.password_too_short"}
    reset("new-password")  # a refused password left the link usable
    with write_session() as s:
        assert (
            log_in_here(s, contact="ann@example.com", password="new-password", ip="127.0.0.1").id
            == user.id
        )
        assert auth_sessions.user_for_session(s, old_session) is None
    assert fields_of(lambda: reset("third-password")) == {"_form": "error.reset_link_invalid"}
    with write_session() as s:
        assert (
            log_in_here(s, contact="ann@example.com", password="new-password", ip="127.0.0.1").id
            == user.id
        )


def test_reset_email_in_chinese(session):
    make_user(session, "小明", email="ming@example.com", locale="zh-CN")
    password_reset.request_password_reset(session, contact="ming@example.com")
    row = session.exec(select(OutboxEmail)).one()
    assert row.subject == f"重置你的{settings.market_name}账号密码"
    assert row.body_text.startswith("小明，你好")
    assert "60 分钟" in row.body_text
    token = token_from(row.body_text)
    stored = session.exec(select(PasswordResetToken)).one()
    assert stored.token_hash == token_hash(token) != token
    assert timedelta(minutes=59) < stored.expires_at - utcnow() <= timedelta(hours=1)


def test_unknown_and_emailless_contacts_are_ignored_silently(session):
    make_user(session, "Bo", email=None, phone="+8613800138000")
    gone = make_user(session, "Cy")
    gone.deleted_at = utcnow()
    session.add(gone)
    for contact in ("nobody@example.com", "+86 138 0013 8000", "cy@example.com", "junk", ""):
        assert password_reset.request_password_reset(session, contact=contact) is None
    assert session.exec(select(OutboxEmail)).all() == []
    assert session.exec(select(PasswordResetToken)).all() == []


def test_at_most_three_reset_emails_per_hour(session):
    make_user(session, "Ann")
    for _ in range(5):
        password_reset.request_password_reset(session, contact="ann@example.com")
    assert len(session.exec(select(OutboxEmail)).all()) == 3
    session.exec(update(PasswordResetToken).values(created_at=utcnow() - timedelta(minutes=61)))
    password_reset.request_password_reset(session, contact="ann@example.com")
    assert len(session.exec(select(OutboxEmail)).all()) == 4


def test_expired_unknown_and_used_links_are_refused(session):
    user = make_user(session, "Ann")
    password_reset.request_password_reset(session, contact="ann@example.com")
    token = token_from(session.exec(select(OutboxEmail)).one().body_text)
    session.exec(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    invalid = {"_form": "error.reset_link_invalid"}
    for bad in (token, "", "made-up", "x" * 5000):
        assert fields_of(lambda bad=bad: reset_here(session, bad, "new-password")) == invalid
    session.refresh(user)
    assert user.password_hash == NO_LOGIN_HASH  # unchanged


def test_reset_ends_sessions_and_spends_other_links(session):
    user = make_user(session, "Ann")
    ticket = auth_sessions.issue_login_ticket(session, user.id)
    token_a = auth_sessions.redeem_login_ticket(session, ticket, user_agent="", ip="")
    password_reset.request_password_reset(session, contact="ann@example.com")
    password_reset.request_password_reset(session, contact="ann@example.com")
    first, second = (
        token_from(r.body_text)
        for r in session.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    )
    reset_here(session, second, "new-password")
    assert auth_sessions.user_for_session(session, token_a) is None
    assert session.exec(select(AuthSession)).one().revoked_at is not None
    assert fields_of(lambda: reset_here(session, first, "other-password")) == {
        "_form": "error.reset_link_invalid"
    }
    assert (
        log_in_here(session, contact="ann@example.com", password="new-password", ip="").id
        == user.id
    )
