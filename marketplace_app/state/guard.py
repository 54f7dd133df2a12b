"""Who is calling: identity from the session cookie, and handler guards.

Every public method of a State is callable by any browser with any payload.
Handlers either carry :func:`public` (safe for anyone: they act only on the
caller's own cookie or on public data) or :func:`login_required`, which finds
the user from the HttpOnly session cookie on the server before the handler
runs. ``tests/unit/state/test_handler_inventory.py`` fails on any other.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar
from urllib.parse import urlencode

import reflex as rx

from marketplace_app.client_address import client_address
from marketplace_app.db import read_session, write_session
from marketplace_app.services import auth_sessions, roles, sanctions
from marketplace_app.upload_sessions import upload_session
from marketplace_app.web import SESSION_COOKIE

GUARD_ATTR = "__mp_guard__"

T = TypeVar("T")


@dataclass(frozen=True)
class AuthUser:
    """The logged-in user as handlers see it."""

    id: int
    name: str
    role: str
    locale: str
    shop_ids: tuple[int, ...]
    district: str = ""
    lat: float | None = None
    lon: float | None = None

    def has_role(self, role: str) -> bool:
        """Whether the user holds ``role``: a platform role, or "shop" for shop staff."""
        if role == "shop":
            return bool(self.shop_ids)
        return roles.role_at_least(self.role, role)


_current: contextvars.ContextVar[AuthUser | None] = contextvars.ContextVar(
    "mp_current_user", default=None
)


async def run_read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(session, *args, **kwargs)`` in a read session on a worker thread."""

    def work() -> T:
        with read_session() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(work)


async def run_write(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn(session, *args, **kwargs)`` in one write transaction on a worker thread."""

    def work() -> T:
        with write_session() as session:
            return fn(session, *args, **kwargs)

    return await asyncio.to_thread(work)


def cookie_value(cookie_header: str, name: str) -> str | None:
    """One cookie's value from a Cookie header (None when absent or malformed)."""
    jar = SimpleCookie()
    try:
        jar.load(cookie_header or "")
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _lookup(session, token: str) -> tuple[AuthUser, bool] | None:
    found = auth_sessions.session_user(session, token)
    if found is None:
        return None
    user, due = found
    shop_ids = tuple(roles.shop_ids_for(session, user.id))
    return (
        AuthUser(
            user.id, user.name, user.role, user.locale, shop_ids, user.district, user.lat, user.lon
        ),
        due,
    )


async def _user_for(token: str | None) -> AuthUser | None:
    """The user of a live session; the occasional ``last_seen_at`` touch is its own short write."""
    if not token:
        return None
    found = await run_read(_lookup, token)
    if found is None:
        return None
    user, due = found
    if due:
        await run_write(auth_sessions.touch_session, token)
    return user


async def resolve_user(state: rx.State) -> AuthUser | None:
    """The user behind this browser's session cookie, looked up in the database."""
    return await _user_for(session_token(state))


async def resolve_upload_user(state: rx.State) -> AuthUser | None:
    """The user an upload handler runs for, from the upload request's own cookie.

    The upload request must carry a live session, and the same one as the
    tab it names (whose state the handler changes and whose updates go back
    in the upload's response). See :mod:`marketplace_app.upload_sessions`.
    """
    token = upload_session(state.router.session.client_token)
    if token is None or token != session_token(state):
        return None
    return await _user_for(token)


def session_token(state: rx.State) -> str | None:
    """The raw session id from the cookie the tab's websocket carried."""
    return cookie_value(state.router.headers.cookie, SESSION_COOKIE)


def _still_stands(session, token: str, user_id: int) -> bool:
    found = auth_sessions.session_user(session, token)
    if found is None or found[0].id != user_id:
        return False
    standing = sanctions.restriction(session, user_id)
    return standing is None or standing.kind != "ban"


async def session_stands(token: str | None, user_id: int) -> bool:
    """Whether a session still stands for its user, who is not banned.

    Handlers look the caller up once per event; a long-running task (a live
    page's watch) asks this again every cycle, so a logout, a revoked or
    expired session, or a ban ends it.

    Args:
        token: the session cookie the task started with (:func:`session_token`).
        user_id: the user the task serves.

    Returns:
        False when the session is gone or belongs to someone else, or the member is banned.
    """
    if not token:
        return False
    return await run_read(_still_stands, token, user_id)


def caller_address(state: rx.State) -> str:
    """The browser's address, for per-address limits (see :func:`client_address`)."""
    return client_address(
        state.router.session.client_ip, state.router.headers.raw_headers.get("x-forwarded-for")
    )


def current_user() -> AuthUser:
    """The user a :func:`login_required` handler runs for.

    Raises:
        RuntimeError: when called outside a guarded handler.
    """
    user = _current.get()
    if user is None:
        raise RuntimeError("current_user() outside a login_required handler")
    return user


def _denied(state: rx.State, user: AuthUser | None) -> rx.event.EventSpec:
    if user is None:
        url = state.router.url
        here = (url.path or "/") + (f"?{url.query}" if url.query else "")
        return rx.redirect("/login?" + urlencode({"next": here}))
    return rx.redirect("/")


def public(fn: Callable) -> Callable:
    """Mark a handler as safe for anyone (it must not act on others' data)."""
    setattr(fn, GUARD_ATTR, "public")
    return fn


def login_required(
    fn: Callable | None = None, *, role: str | None = None, upload: bool = False
) -> Callable:
    """Run the handler only for a logged-in user (holding ``role`` if given).

    Others are sent to the login page (or home, when logged in without the
    role); the handler body does not run. Inside it, :func:`current_user`
    returns the caller. Works for async functions and async generators.

    Args:
        fn: the handler (when used without arguments).
        role: "moderator", "admin" or "shop" to require a role.
        upload: an upload handler (it takes ``list[rx.UploadFile]``): the user
            comes from the upload request's own cookie
            (:func:`resolve_upload_user`), and a call without an upload in
            flight is refused. A refused upload does nothing at all: the tab
            it names may be someone else's, and a redirect would go to that tab.

    Returns:
        The guarded handler.
    """
    resolve = resolve_upload_user if upload else resolve_user

    def refusal(state: rx.State, user: AuthUser | None) -> rx.event.EventSpec | None:
        return None if upload else _denied(state, user)

    def decorate(handler: Callable) -> Callable:
        if inspect.isasyncgenfunction(handler):

            @functools.wraps(handler)
            async def gen_wrapper(self, *args, **kwargs):
                user = await resolve(self)
                if user is None or (role and not user.has_role(role)):
                    if (refused := refusal(self, user)) is not None:
                        yield refused
                    return
                reset = _current.set(user)
                try:
                    async for item in handler(self, *args, **kwargs):
                        yield item
                finally:
                    _current.reset(reset)

            wrapper = gen_wrapper
        elif inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def coro_wrapper(self, *args, **kwargs):
                user = await resolve(self)
                if user is None or (role and not user.has_role(role)):
                    return refusal(self, user)
                reset = _current.set(user)
                try:
                    return await handler(self, *args, **kwargs)
                finally:
                    _current.reset(reset)

            wrapper = coro_wrapper
        else:
            raise TypeError(f"{handler.__qualname__}: guarded handlers must be async")
        guard = f"role:{role}" if role else "login"
        setattr(wrapper, GUARD_ATTR, f"upload:{guard}" if upload else guard)
        return wrapper

    return decorate(fn) if fn is not None else decorate
