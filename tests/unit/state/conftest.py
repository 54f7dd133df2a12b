"""Build app states with a given session cookie, to call handlers as a browser would."""

import asyncio
import inspect
import uuid

import pytest
import reflex as rx
from reflex.istate.data import RouterData

import marketplace_app.marketplace_app  # noqa: F401  (registers pages and states)
from marketplace_app.db import write_session
from marketplace_app.services import accounts, auth_sessions
from marketplace_app.state.guard import GUARD_ATTR, session_token
from marketplace_app.upload_sessions import UploadSessions
from marketplace_app.web import SESSION_COOKIE


@pytest.fixture
def make_state():
    """make_state(StateClass, token=None, path="/", query="") -> a state instance.

    ``token`` is the session cookie the tab's websocket carried; ``ip`` and
    ``forwarded_for`` its peer address and X-Forwarded-For header. Each state
    gets a client token of its own.
    """

    def build(
        state_cls,
        token: str | None = None,
        path: str = "/",
        query: str = "",
        ip: str = "127.0.0.1",
        forwarded_for: str | None = None,
    ):
        root = rx.State(_reflex_internal_init=True)
        headers = {"cookie": f"mp_session={token}"} if token else {}
        if forwarded_for is not None:
            headers["x-forwarded-for"] = forwarded_for
        as_path = path + (f"?{query}" if query else "")
        root.router = RouterData.from_router_data(
            {
                "headers": {"origin": "http://127.0.0.1:3000", **headers},
                "pathname": path,
                "asPath": as_path,
                "ip": ip,
                "token": uuid.uuid4().hex,
            }
        )
        return root.get_substate(state_cls.get_full_name().split("."))

    return build


_TAB_COOKIE = object()


def call(state, name: str, *args):
    """Run one handler to completion; returns what it returned or yielded last.

    An upload handler runs as a browser runs it: inside an upload request
    carrying the tab's own session cookie (see :func:`call_upload`).
    """
    return asyncio.run(_run(state, name, args, _TAB_COOKIE))


def call_upload(state, name: str, *args, cookie: str | None):
    """Run an upload handler inside an ``/_upload`` request, as Reflex does.

    The request goes through the app's real :class:`UploadSessions` middleware
    with the state's client token and ``cookie`` as its session cookie (None:
    no cookie), and the handler runs while the request is being handled.
    """
    return asyncio.run(_run(state, name, args, cookie))


async def _run(state, name: str, args: tuple, cookie):
    fn = type(state).event_handlers[name].fn

    async def run():
        result = fn(state, *args)
        if hasattr(result, "__anext__"):
            last = None
            async for item in result:
                last = item if item is not None else last
            return last
        return await result if inspect.isawaitable(result) else result

    if not str(getattr(fn, GUARD_ATTR, "")).startswith("upload:"):
        return await run()
    if cookie is _TAB_COOKIE:
        cookie = session_token(state)
    headers = [(b"reflex-client-token", state.router.session.client_token.encode())]
    if cookie is not None:
        headers.append((b"cookie", f"{SESSION_COOKIE}={cookie}".encode()))
    outcome = {}

    async def reflex_upload_route(scope, receive, send):
        outcome["result"] = await run()

    scope = {"type": "http", "method": "POST", "path": "/_upload", "headers": headers}
    await UploadSessions(reflex_upload_route)(scope, None, None)
    return outcome["result"]


@pytest.fixture
def login_as(db):
    """login_as(email) -> a session token for a new user with that email."""

    def create(email: str, name: str = "Someone") -> tuple[int, str]:
        with write_session() as s:
            user = accounts.register(
                s, name=name, contact=email, password="password-123", locale="en"
            )
            s.flush()
            ticket = auth_sessions.issue_login_ticket(s, user.id)
            token = auth_sessions.redeem_login_ticket(
                s, ticket, user_agent="pytest", ip="127.0.0.1"
            )
            return user.id, token

    return create


def redirect_target(spec) -> str | None:
    """The path an ``rx.redirect`` event spec sends the browser to."""
    for name, value in getattr(spec, "args", ()):
        if str(name) == "path":
            return value._var_value
    return None
