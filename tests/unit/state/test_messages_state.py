"""Message handlers called as a browser would: only the two sides read or write a thread."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Message, User
from marketplace_app.services.masking import MASK
from marketplace_app.state.messages import MessagesState, ThreadState
from marketplace_app.state.session import SessionState
from tests.unit.orders_factory import make_listing
from tests.unit.state.conftest import call, redirect_target


@pytest.fixture
def cast(login_as):
    buyer = login_as("buyer@example.com", "Bea")
    seller = login_as("seller@example.com", "Sue")
    stranger = login_as("stranger@example.com", "Sam")
    with write_session() as s:
        lamp = make_listing(s, s.get(User, seller[0]), title="Desk lamp", kind="secondhand")
        return buyer, seller, stranger, lamp.id


def thread(make_state, who, conversation_id: int) -> ThreadState:
    state = make_state(ThreadState, who[1], path=f"/messages/{conversation_id}")
    call(state, "load")
    return state


def started(make_state, buyer, listing_id: int) -> int:
    opener = make_state(ThreadState, buyer[1], path=f"/listing/{listing_id}")
    target = redirect_target(call(opener, "open_listing", listing_id))
    assert target and target.startswith("/messages/")
    return int(target.rsplit("/", 1)[1])


def test_the_two_sides_talk_and_the_unread_count_follows(make_state, cast):
    buyer, seller, _, listing_id = cast
    conv = started(make_state, buyer, listing_id)
    mine = thread(make_state, buyer, conv)
    assert (mine.found, mine.items, mine.masking) == (True, [], True)
    call(mine, "send", {"body": "Still there? Ring 138 0013 8000"})
    assert mine.errors == {}
    (item,) = mine.items
    assert MASK in item.body and "8000" not in item.body

    inbox = make_state(MessagesState, seller[1], path="/messages")
    call(inbox, "load")
    (row,) = inbox.rows
    assert row.unread == 1
    nav = make_state(SessionState, seller[1])
    call(nav, "load")
    assert nav.messages_unread == 1
    theirs = make_state(ThreadState, seller[1], path=f"/messages/{conv}")
    nav = theirs.parent_state.get_substate(SessionState.get_full_name().split("."))
    nav.messages_unread = 1
    call(theirs, "load")
    assert [m.body for m in theirs.items] == [item.body]
    assert nav.messages_unread == 0


def test_strangers_neither_read_nor_write(make_state, cast):
    buyer, _, stranger, listing_id = cast
    conv = started(make_state, buyer, listing_id)
    call(thread(make_state, buyer, conv), "send", {"body": "Hello"})
    nosy = thread(make_state, stranger, conv)
    assert (nosy.found, nosy.items, nosy.conversation_id) == (False, [], 0)
    call(nosy, "send", {"body": "Let me in"})
    assert nosy.errors
    call(nosy, "toggle_block")
    with read_session() as s:
        assert s.exec(select(Message.body)).all() == ["Hello"]


def test_a_guest_is_sent_to_log_in(make_state, cast):
    *_, listing_id = cast
    guest = make_state(ThreadState, None, path=f"/listing/{listing_id}")
    assert redirect_target(call(guest, "open_listing", listing_id)).startswith("/login")
