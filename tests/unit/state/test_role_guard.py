"""``login_required(role=...)`` admits only holders of the role; the body never runs for others."""

import reflex as rx

from marketplace_app.db import write_session
from marketplace_app.models import User
from marketplace_app.state.guard import current_user, login_required
from tests.unit.state.conftest import call, redirect_target


class ProbeModeratorState(rx.State):
    """A state only for this test: one moderator-only handler."""

    ran_for: int = 0

    @rx.event
    @login_required(role="moderator")
    async def act(self):
        self.ran_for = current_user().id


def _promote(user_id: int, role: str) -> None:
    with write_session() as s:
        s.get(User, user_id).role = role


def test_a_plain_user_is_turned_away(make_state, login_as):
    _, token = login_as("plain@example.com")
    state = make_state(ProbeModeratorState, token=token)
    result = call(state, "act")
    assert state.ran_for == 0
    assert redirect_target(result) == "/"  # logged in, so sent home rather than to login


def test_nobody_is_sent_to_log_in(make_state, db):
    state = make_state(ProbeModeratorState, path="/admin", query="tab=queue")
    result = call(state, "act")
    assert state.ran_for == 0
    assert redirect_target(result) == "/login?next=%2Fadmin%3Ftab%3Dqueue"


def test_moderator_and_admin_pass(make_state, login_as):
    mod_id, mod_token = login_as("mod@example.com")
    admin_id, admin_token = login_as("admin@example.com")
    _promote(mod_id, "moderator")
    _promote(admin_id, "admin")
    state = make_state(ProbeModeratorState, token=mod_token)
    call(state, "act")
    assert state.ran_for == mod_id
    state = make_state(ProbeModeratorState, token=admin_token)
    call(state, "act")
    assert state.ran_for == admin_id
