"""Guarded handlers find the caller from the session cookie and act only on their own data."""

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Address, User
from marketplace_app.services import addresses, auth_sessions
from marketplace_app.state.account import AddressState, ProfileState
from marketplace_app.state.session import SessionState
from tests.unit.state.conftest import call, redirect_target


def _address_of(user_id: int) -> int:
    data = addresses.AddressInput(
        label="Home",
        recipient="A",
        phone="13800001111",
        line1="1 Road",
        line2="",
        district="",
        city="Town",
        postcode="",
    )
    with write_session() as s:
        return addresses.save_address(s, user_id, None, data).id


def _alive(address_id: int) -> bool:
    with read_session() as s:
        return s.get(Address, address_id).deleted_at is None


def test_without_a_session_the_handler_body_never_runs(make_state, login_as):
    owner_id, _ = login_as("owner@example.com")
    address_id = _address_of(owner_id)
    state = make_state(AddressState, token=None, path="/account/addresses")
    result = call(state, "delete", address_id)
    assert redirect_target(result) == "/login?next=%2Faccount%2Faddresses"
    assert _alive(address_id)


def test_a_forged_cookie_is_nobody(make_state, login_as):
    owner_id, _ = login_as("owner@example.com")
    address_id = _address_of(owner_id)
    state = make_state(AddressState, token="forged-token-value")
    call(state, "delete", address_id)
    assert _alive(address_id)


def test_another_users_session_cannot_touch_my_address(make_state, login_as):
    owner_id, _ = login_as("owner@example.com")
    _, intruder_token = login_as("intruder@example.com")
    address_id = _address_of(owner_id)
    state = make_state(AddressState, token=intruder_token)
    call(state, "delete", address_id)
    call(state, "make_default", address_id)
    call(state, "open_form", address_id)
    assert state.editing_id == 0
    assert _alive(address_id)


def test_the_owner_can(make_state, login_as):
    owner_id, token = login_as("owner@example.com")
    address_id = _address_of(owner_id)
    state = make_state(AddressState, token=token)
    call(state, "load")
    assert [a.id for a in state.addresses] == [address_id]
    call(state, "delete", address_id)
    assert not _alive(address_id)
    assert state.addresses == []


def test_profile_save_reports_errors_per_field_and_changes_nothing(make_state, login_as):
    user_id, token = login_as("me@example.com", name="Original")
    state = make_state(ProfileState, token=token)
    call(state, "save", {"name": "", "bio": "x" * 600, "district": ""})
    assert set(state.errors) >= {"name"}
    with read_session() as s:
        assert s.get(User, user_id).name == "Original"


def test_handlers_ignore_malformed_payloads(make_state, login_as):
    _, token = login_as("me@example.com")
    state = make_state(AddressState, token=token)
    call(state, "delete", "1 OR 1=1")
    call(state, "save", ["not", "a", "dict"])
    assert state.errors  # refused with messages, no crash


def test_logout_ends_the_session_on_the_server(make_state, login_as):
    _, token = login_as("me@example.com")
    state = make_state(SessionState, token=token)
    call(state, "load")
    assert state.logged_in
    call(state, "logout")
    with write_session() as s:
        assert auth_sessions.user_for_session(s, token) is None
