"""Live page watches, run as Reflex runs them: one per tab, ended by a logout, expiry or ban.

Each scenario runs the pages' handlers on one event loop: ``load`` as the page
does, then its ``watch`` as a task; the other side writes through the services
and wakes the watch through the notifier, as a send does.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex.utils import prerequisites
from sqlalchemy import update

from marketplace_app import realtime
from marketplace_app.db import write_session
from marketplace_app.models import AuthSession, Sanction, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import auth_sessions, messaging
from marketplace_app.services.security import token_hash
from marketplace_app.state.messages import MessagesState, ThreadState
from tests.unit.orders_factory import make_listing

SETTLE_S = 3.0
TABS = ("tab-1", "tab-2")


@pytest.fixture(autouse=True)
def connected_tabs():
    """The test's browser tabs hold a websocket, as far as the app's namespace knows."""
    namespace = prerequisites.get_and_validate_app().app.event_namespace
    for client in TABS:
        asyncio.run(namespace.link_token_to_sid(f"sid-{client}", client, update_state=False))
    yield
    for client in TABS:
        asyncio.run(namespace._token_manager.disconnect_token(client, f"sid-{client}"))


def in_tab(state_cls, token: str, path: str, client: str = "tab-1"):
    """A page's state in one browser tab (its Reflex client token), logged in with ``token``."""
    root = rx.State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {
            "headers": {"origin": "http://127.0.0.1:3000", "cookie": f"mp_session={token}"},
            "pathname": path,
            "asPath": path,
            "ip": "127.0.0.1",
            "token": client,
        }
    )
    return root.get_substate(state_cls.get_full_name().split("."))


def handler(state, name: str):
    """A handler of ``state``, bound as Reflex calls it."""
    fn = type(state).event_handlers[name].fn
    return lambda *args: fn(state, *args)


async def watching(state, user_id: int) -> asyncio.Task:
    """Load the page as the browser does and start its watch; wait until it sleeps."""
    await handler(state, "load")()

    async def drain():
        run = handler(state, "watch")()
        if hasattr(run, "__anext__"):
            async for _ in run:
                pass
        else:
            await run

    task = asyncio.create_task(drain())
    await until(lambda: task.done() or realtime.notifier.waiting(user_id) > 0)
    return task


async def until(condition, timeout: float = SETTLE_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def stop(*tasks: asyncio.Task) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def talk(login_as):
    """A buyer and a seller with a conversation about the seller's item (one message in it)."""
    buyer = login_as("buyer@example.com", "Bea")
    seller = login_as("seller@example.com", "Sue")
    with write_session() as s:
        lamp = make_listing(s, s.get(User, seller[0]), title="Desk lamp", kind="secondhand")
        conv = messaging.start_for_listing(s, buyer[0], lamp.id)
        messaging.send(s, buyer[0], conv.id, "Is the lamp still there?")
        return buyer, seller, conv.id


def send(user_id: int, conversation_id: int, body: str) -> None:
    """A message sent and announced, as the thread page's send does."""
    with write_session() as s:
        messaging.send(s, user_id, conversation_id, body)
        conv = s.get(messaging.Conversation, conversation_id)
        people = messaging.participants(s, conv)
    realtime.notifier.poke(people)


def revoke(token: str) -> None:
    with write_session() as s:
        auth_sessions.end_session(s, token)


def expire(token: str) -> None:
    with write_session() as s:
        s.exec(
            update(AuthSession)
            .where(AuthSession.token_hash == token_hash(token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


def ban(user_id: int, actor_id: int) -> None:
    with write_session() as s:
        s.add(Sanction(user_id=user_id, kind="ban", reason="Scams", actor_id=actor_id))


# -- one watch per tab


@pytest.mark.parametrize(
    ("state_cls", "path"),
    [(ThreadState, "/messages/{conv}"), (MessagesState, "/messages")],
    ids=["thread", "list"],
)
def test_a_second_load_in_the_same_tab_leaves_one_watch(talk, state_cls, path):
    _, seller, conv = talk
    page = in_tab(state_cls, seller[1], path.format(conv=conv))

    async def scenario():
        first = await watching(page, seller[0])
        assert realtime.notifier.waiting(seller[0]) == 1
        second = await watching(page, seller[0])  # the page loads again: a reload, a reconnect
        try:
            assert await until(first.done, timeout=0.5)
            assert not second.done()
            assert realtime.notifier.waiting(seller[0]) == 1
            assert realtime.watches.running() == 1
        finally:
            await stop(first, second)

    asyncio.run(scenario())
    assert realtime.watches.running() == 0


def test_two_tabs_each_keep_their_own_watch(talk):
    _, seller, conv = talk
    one = in_tab(ThreadState, seller[1], f"/messages/{conv}", client="tab-1")
    two = in_tab(ThreadState, seller[1], f"/messages/{conv}", client="tab-2")

    async def scenario():
        tasks = [await watching(one, seller[0]), await watching(two, seller[0])]
        try:
            await asyncio.sleep(0.1)
            assert not any(t.done() for t in tasks)
            assert realtime.watches.running() == 2
        finally:
            await stop(*tasks)

    asyncio.run(scenario())


# -- the session, checked again every cycle


def test_the_thread_shows_a_new_message_live(talk):
    buyer, seller, conv = talk
    page = in_tab(ThreadState, seller[1], f"/messages/{conv}")

    async def scenario():
        task = await watching(page, seller[0])
        try:
            assert [m.body for m in page.items] == ["Is the lamp still there?"]
            send(buyer[0], conv, "Hello?")
            assert await until(lambda: len(page.items) == 2)
            assert page.items[-1].body == "Hello?"
        finally:
            await stop(task)

    asyncio.run(scenario())


@pytest.mark.parametrize("end", ["logout", "expiry", "ban"])
def test_the_thread_watch_ends_with_the_session(talk, end, login_as):
    buyer, seller, conv = talk
    page = in_tab(ThreadState, seller[1], f"/messages/{conv}")
    moderator = login_as("mod@example.com", "Mo")

    async def scenario():
        task = await watching(page, seller[0])
        try:
            if end == "logout":
                revoke(seller[1])
            elif end == "expiry":
                expire(seller[1])
            else:
                ban(seller[0], moderator[0])
            send(buyer[0], conv, "Call me on 555")
            assert await until(task.done)
            assert [m.body for m in page.items] == ["Is the lamp still there?"]
            assert realtime.notifier.waiting(seller[0]) == 0
        finally:
            await stop(task)

    asyncio.run(scenario())


def test_a_suspension_does_not_end_the_watch(talk, login_as):
    buyer, seller, conv = talk
    page = in_tab(ThreadState, seller[1], f"/messages/{conv}")
    moderator = login_as("mod@example.com", "Mo")

    async def scenario():
        task = await watching(page, seller[0])
        try:
            with write_session() as s:
                s.add(
                    Sanction(
                        user_id=seller[0],
                        kind="suspend",
                        reason="Cool off",
                        actor_id=moderator[0],
                        ends_at=utcnow() + timedelta(days=1),
                    )
                )
            send(buyer[0], conv, "Still there?")
            assert await until(lambda: len(page.items) == 2)
            assert not task.done()
        finally:
            await stop(task)

    asyncio.run(scenario())


def test_the_list_moves_a_new_message_to_the_top_live(talk, login_as):
    buyer, seller, conv = talk
    other = login_as("other@example.com", "Oli")
    with write_session() as s:
        vase = make_listing(s, s.get(User, seller[0]), title="Blue vase", kind="secondhand")
        newer = messaging.start_for_listing(s, other[0], vase.id)
        messaging.send(s, other[0], newer.id, "Vase available?")
        newer_id = newer.id
    page = in_tab(MessagesState, seller[1], "/messages")

    async def scenario():
        task = await watching(page, seller[0])
        try:
            assert [r.id for r in page.rows] == [newer_id, conv]
            send(buyer[0], conv, "I can pick it up today")
            assert await until(lambda: page.rows[0].id == conv)
            top = page.rows[0]
            assert (top.unread, top.preview) == (2, "I can pick it up today")
            assert [r.id for r in page.rows] == [conv, newer_id]
        finally:
            await stop(task)

    asyncio.run(scenario())


def test_a_new_conversation_appears_in_the_list_live(talk, login_as):
    _, seller, conv = talk
    other = login_as("other@example.com", "Oli")
    with write_session() as s:
        vase = make_listing(s, s.get(User, seller[0]), title="Blue vase", kind="secondhand")
        started = messaging.start_for_listing(s, other[0], vase.id).id
    page = in_tab(MessagesState, seller[1], "/messages")

    async def scenario():
        task = await watching(page, seller[0])
        try:
            assert [r.id for r in page.rows] == [conv]
            send(other[0], started, "Is the vase still for sale?")
            assert await until(lambda: len(page.rows) == 2)
            assert (page.rows[0].id, page.rows[0].other_name) == (started, "Oli")
        finally:
            await stop(task)

    asyncio.run(scenario())


@pytest.mark.parametrize("end", ["logout", "ban"])
def test_the_list_watch_ends_with_the_session(talk, end, login_as):
    buyer, seller, conv = talk
    page = in_tab(MessagesState, seller[1], "/messages")
    moderator = login_as("mod@example.com", "Mo")

    async def scenario():
        task = await watching(page, seller[0])
        try:
            if end == "logout":
                revoke(seller[1])
            else:
                ban(seller[0], moderator[0])
            send(buyer[0], conv, "Private: my address is 1 River Road")
            assert await until(task.done)
            assert page.rows[0].preview == "Is the lamp still there?"
        finally:
            await stop(task)

    asyncio.run(scenario())
