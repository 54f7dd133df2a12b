"""The email outbox: transactional queueing, SMTP and folder delivery, claims, retries."""

from __future__ import annotations

import dataclasses
import email
import threading
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import update
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import OutboxEmail
from marketplace_app.models.types import utcnow
from marketplace_app.services import notifications
from marketplace_app.settings import settings
from tests.unit.services.conftest import free_port

SUBJECT = "重置你的密码 · Reset"
BODY = "你好，Ann!\nhttps://example.com/reset-password?token=abc_DEF-123\n"


def queue(n: int = 1, subject: str = SUBJECT) -> list[int]:
    with write_session() as s:
        return [
            notifications.queue_email(
                s, to=f"user{i}@example.com", subject=f"{subject} {i}", body=BODY
            ).id
            for i in range(n)
        ]


def rows() -> list[OutboxEmail]:
    with read_session() as s:
        return list(s.exec(select(OutboxEmail).order_by(OutboxEmail.id)).all())


def backdate_claims(minutes: float) -> None:
    with write_session() as s:
        s.exec(update(OutboxEmail).values(claimed_at=utcnow() - timedelta(minutes=minutes)))


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


@pytest.fixture
def outbox_dir(monkeypatch, tmp_path):
    folder = tmp_path / "outbox"
    monkeypatch.setattr(
        "marketplace_app.services.notifications.settings",
        dataclasses.replace(settings, smtp_host="", outbox_dir=folder),
    )
    return folder


def test_queueing_belongs_to_the_callers_transaction(db):
    with pytest.raises(RuntimeError), write_session() as s:
        row = notifications.queue_email(s, to="a@example.com", subject="Hi", body="x")
        assert row.status == "pending" and row.id is not None
        raise RuntimeError("the request failed")
    assert rows() == []
    queue()
    assert [r.status for r in rows()] == ["pending"]


def test_without_smtp_emails_are_written_to_the_outbox_folder(db, outbox_dir):
    queue()
    assert notifications.deliver_pending() == 1
    files = list(outbox_dir.glob("*.eml"))
    assert len(files) == 1
    message = parse(files[0].read_bytes())
    assert message["Subject"] == f"{SUBJECT} 0"
    assert message["To"] == "user0@example.com"
    assert message["From"] == settings.mail_from
    assert message["Message-ID"] and message["Date"]
    assert message["Content-Transfer-Encoding"] == "8bit"  # readable in a text editor
    assert message.get_content() == BODY
    [row] = rows()
    assert (row.status, row.attempts) == ("sent", 0)
    assert row.sent_at is not None
    assert notifications.deliver_pending() == 0
    assert len(list(outbox_dir.glob("*.eml"))) == 1


def test_smtp_delivery_keeps_chinese_text(db, smtp_server):
    queue(2)
    assert notifications.deliver_pending() == 2
    received = sorted(smtp_server.envelopes, key=lambda e: e.rcpt_tos)
    assert [e.rcpt_tos for e in received] == [["user0@example.com"], ["user1@example.com"]]
    message = parse(received[0].content)
    assert message["Subject"] == f"{SUBJECT} 0"
    assert message["Content-Transfer-Encoding"] == "base64"  # safe without 8BITMIME
    assert message.get_content().replace("\r\n", "\n") == BODY  # CRLF on the wire
    assert {r.status for r in rows()} == {"sent"}


def test_the_limit_is_respected(db, outbox_dir):
    queue(3)
    assert notifications.deliver_pending(limit=2) == 2
    assert [r.status for r in rows()] == ["sent", "sent", "pending"]


def test_a_claimed_email_is_not_sent_twice(db, smtp_server):
    [email_id] = queue()
    claimed = notifications._claim(email_id)  # another worker is sending it right now
    assert claimed is not None and claimed.status == "sending"
    assert notifications._claim(email_id) is None
    assert notifications.deliver_pending() == 0
    assert smtp_server.envelopes == []
    # That worker died: after the claim timeout the email goes out once.
    backdate_claims(4)
    assert notifications.deliver_pending() == 0
    backdate_claims(6)
    assert notifications.deliver_pending() == 1
    assert notifications.deliver_pending() == 0
    assert len(smtp_server.envelopes) == 1


def test_concurrent_workers_send_each_email_once(db, smtp_server):
    queue(12)
    results: list[int] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        barrier.wait()
        results.append(notifications.deliver_pending())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(results) == 12
    recipients = [e.rcpt_tos[0] for e in smtp_server.envelopes]
    assert sorted(recipients) == sorted(f"user{i}@example.com" for i in range(12))
    assert {r.status for r in rows()} == {"sent"}


def test_failures_are_retried_then_given_up(db, monkeypatch):
    monkeypatch.setattr(
        "marketplace_app.services.notifications.settings",
        dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=free_port()),
    )
    queue()
    assert notifications.deliver_pending() == 0
    [row] = rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "Connection" in row.last_error
    assert notifications.deliver_pending() == 0  # not again right away
    assert rows()[0].attempts == 1
    for attempt in range(2, notifications.MAX_ATTEMPTS + 1):
        backdate_claims(2)
        assert notifications.deliver_pending() == 0
        assert rows()[0].attempts == attempt
    [row] = rows()
    assert (row.status, row.attempts) == ("failed", notifications.MAX_ATTEMPTS)
    backdate_claims(60)
    assert notifications.deliver_pending() == 0
    assert rows()[0].attempts == notifications.MAX_ATTEMPTS
