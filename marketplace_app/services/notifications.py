"""The email outbox: queue in the caller's transaction, deliver afterwards.

:func:`queue_email` only inserts a row, so an email is sent exactly when the
transaction that asked for it commits. :func:`deliver_pending` runs outside
any request (the jobs loop, or right after a reset request): it claims rows
one by one with a conditional update, so several workers never send the same
email twice, and it talks to the mail server with no database lock held.

Delivery is at-least-once: a worker that dies between sending and marking
the row sent leaves it "sending"; after :data:`CLAIM_TIMEOUT` another worker
sends it again.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from sqlalchemy import and_, or_, update
from sqlmodel import Session, select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import OutboxEmail
from marketplace_app.models.types import utcnow
from marketplace_app.settings import settings

CLAIM_TIMEOUT = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=1)
MAX_ATTEMPTS = 5
SMTP_TIMEOUT_S = 10
SMTPS_PORT = 465

log = logging.getLogger(__name__)


def queue_email(session: Session, *, to: str, subject: str, body: str) -> OutboxEmail:
    """Add an email to the outbox, inside the caller's transaction.

    Args:
        session: the caller's write session.
        to: recipient address.
        subject: subject line (any language; cut to 200 characters).
        body: plain-text body.

    Returns:
        The pending row.
    """
    row = OutboxEmail(to_addr=to.strip(), subject=subject[:200], body_text=body)
    session.add(row)
    session.flush()
    return row


def _claimable(now: datetime):
    """Rows that may be taken: pending and due, or abandoned mid-send."""
    return or_(
        and_(
            OutboxEmail.status == "pending",
            or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at < now - RETRY_AFTER),
        ),
        and_(OutboxEmail.status == "sending", OutboxEmail.claimed_at < now - CLAIM_TIMEOUT),
    )


def _claim(email_id: int) -> OutboxEmail | None:
    """Take one row for this worker; None when another worker has it."""
    now = utcnow()
    with write_session() as session:
        result = session.exec(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, _claimable(now))
            .values(status="sending", claimed_at=now)
        )
        if result.rowcount != 1:
            return None
        return session.get(OutboxEmail, email_id)


def _message(row: OutboxEmail, *, seven_bit: bool) -> EmailMessage:
    """The email; ``seven_bit`` base64-encodes a non-ASCII body (SMTP without 8BITMIME)."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = row.to_addr
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(utcnow())
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring=f"outbox{row.id}", domain=domain)
    cte = "base64" if seven_bit and not row.body_text.isascii() else None
    msg.set_content(row.body_text, charset="utf-8", cte=cte)
    return msg


def _send_smtp(msg: EmailMessage) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    if port == SMTPS_PORT:
        smtp = smtplib.SMTP_SSL(
            host, port, timeout=SMTP_TIMEOUT_S, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_S)
    with smtp:
        if settings.smtp_starttls and port != SMTPS_PORT:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(msg)


def _write_eml(msg: EmailMessage, row: OutboxEmail) -> None:
    folder = settings.outbox_dir
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S}-{row.id}.eml"
    tmp = folder / f".{name}.tmp"
    tmp.write_bytes(msg.as_bytes())
    os.replace(tmp, folder / name)


def _send(row: OutboxEmail) -> None:
    if settings.smtp_host:
        _send_smtp(_message(row, seven_bit=True))
    else:  # a file a developer may read: keep the text readable
        _write_eml(_message(row, seven_bit=False), row)


def _finish(row: OutboxEmail, error: Exception | None) -> None:
    """Record the outcome, unless another worker has re-claimed the row meanwhile."""
    mine = and_(
        OutboxEmail.id == row.id,
        OutboxEmail.status == "sending",
        OutboxEmail.claimed_at == row.claimed_at,
    )
    now = utcnow()
    if error is None:
        values: dict = {"status": "sent", "sent_at": now}
    else:
        attempts = row.attempts + 1
        values = {
            "status": "failed" if attempts >= MAX_ATTEMPTS else "pending",
            "attempts": attempts,
            "last_error": f"{type(error).__name__}: {error}"[:500],
            "claimed_at": now,
        }
    with write_session() as session:
        session.exec(update(OutboxEmail).where(mine).values(**values))


def deliver_pending(limit: int = 50) -> int:
    """Send due emails from the outbox, each in its own short transactions.

    Uses SMTP when SMTP_HOST is set (STARTTLS and login when configured,
    implicit TLS on port 465), otherwise writes ``.eml`` files into
    OUTBOX_DIR. A failed email is retried after :data:`RETRY_AFTER` and given
    up ("failed") after :data:`MAX_ATTEMPTS` attempts.

    Args:
        limit: most emails to handle in this call.

    Returns:
        How many emails were sent by this call.
    """
    with read_session() as session:
        ids = session.exec(
            select(OutboxEmail.id)
            .where(_claimable(utcnow()))
            .order_by(OutboxEmail.created_at, OutboxEmail.id)
            .limit(limit)
        ).all()
    sent = 0
    for email_id in ids:
        row = _claim(email_id)
        if row is None:
            continue
        try:
            _send(row)
        except Exception as error:  # any failure is recorded and retried
            log.warning("email %s not sent: %s", row.id, error)
            _finish(row, error)
        else:
            _finish(row, None)
            sent += 1
    return sent
