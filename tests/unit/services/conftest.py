"""Fixtures for the service tests: cheap users and a real local SMTP server."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Iterator
from contextlib import nullcontext

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from marketplace_app.models import LoginTicket, User
from marketplace_app.services import auth_sessions
from marketplace_app.services.security import token_hash
from marketplace_app.settings import settings

# A syntactically valid hash nobody can log in with: for tests that never log in.
NO_LOGIN_HASH = "$argon2id$v=19$m=19456,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"


def make_user(session: Session, name: str = "Ann", email: str | None = "", **kw) -> User:
    """Insert a user directly (no password hashing: fast); ``email=None`` for none."""
    user = User(
        name=name,
        email=f"{name.lower()}@example.com" if email == "" else email,
        password_hash=NO_LOGIN_HASH,
        **kw,
    )
    session.add(user)
    session.flush()
    return user


def in_session(session: Session):
    """A transaction factory handing out ``session`` itself (for a read and a write step)."""
    return lambda: nullcontext(session)


def log_in_here(session: Session, *, contact: str, password: str, ip: str = "") -> User:
    """Log in through :func:`auth_sessions.log_in` with both steps in ``session``.

    Returns:
        The user the issued login ticket belongs to.
    """
    here = in_session(session)
    ticket = auth_sessions.log_in(here, here, contact=contact, password=password, ip=ip)
    user_id = session.exec(
        select(LoginTicket.user_id).where(LoginTicket.ticket_hash == token_hash(ticket))
    ).one()
    return session.get(User, user_id)


class Collector:
    """An aiosmtpd handler keeping every accepted message's envelope."""

    def __init__(self) -> None:
        self.envelopes = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch) -> Iterator[Collector]:
    """A real SMTP server on 127.0.0.1; the outbox is pointed at it."""
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setattr(
        "marketplace_app.services.notifications.settings",
        dataclasses.replace(
            settings, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, smtp_user=""
        ),
    )
    try:
        yield handler
    finally:
        controller.stop()
