"""The login form's handler: a ticket on success, a recorded refusal otherwise."""

import re

from sqlmodel import col, select

from marketplace_app.db import read_session
from marketplace_app.models import LoginAttempt, LoginTicket
from marketplace_app.services.security import token_hash
from marketplace_app.state.auth import AuthState
from tests.unit.state.conftest import call


def test_login_refuses_then_hands_over_a_ticket(make_state, login_as):
    user_id, _ = login_as("me@example.com")  # password "password-123"
    state = make_state(AuthState, path="/login")

    call(state, "login", {"contact": "me@example.com", "password": "wrong-password"})
    assert set(state.errors) == {"_form"}
    assert not state.busy

    result = call(state, "login", {"contact": "ME@example.com", "password": "password-123"})
    assert state.errors == {}
    assert not state.busy
    with read_session() as s:
        attempts = s.exec(select(LoginAttempt).order_by(LoginAttempt.id)).all()
        assert [(a.account, a.success) for a in attempts] == [
            ("me@example.com", False),
            ("me@example.com", True),
        ]
        unused = s.exec(select(LoginTicket).where(col(LoginTicket.used_at).is_(None))).all()
    assert [t.user_id for t in unused] == [user_id]
    # The browser gets exactly that ticket to trade for its cookie.
    script = str(result)
    assert "/api/session" in script
    candidates = re.findall(r"[A-Za-z0-9_-]{32,}", script)
    assert unused[0].ticket_hash in {token_hash(c) for c in candidates}
