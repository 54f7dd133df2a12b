"""Background watches of live pages: the open chat thread and the conversation list.

A live page starts a watch (a background event) when it loads. The watch
sleeps on the user's wake-ups (:data:`marketplace_app.realtime.notifier`: a
send in this worker, or in another one through Redis) for at most
:data:`TICK_S`, so even a lost wake-up delays news by one tick.

Two rules hold for every watch:

- One per tab: a watch claims its tab's slot in
  :data:`marketplace_app.realtime.watches` and the tab's previous watch of the
  same kind stops at once, so a second on_load or a reconnect never leaves two
  running.
- The session is checked again every cycle that delivers something, and at
  least every :data:`CHECK_EVERY_S`: once the browser's session is logged
  out, revoked or expired, or the member is banned, the watch ends and
  delivers nothing more.

A watch also ends after :data:`MAX_WATCH_S`; the page's own checks (still on
that page, tab still connected) end it when the browser moves on. Reflex 0.10
itself cancels it first on a navigation or a disconnect, as a child of the
page's on_load chain; these checks are the backstop.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import reflex as rx
from reflex.utils import prerequisites

from marketplace_app import realtime
from marketplace_app.state.guard import AuthUser, session_stands, session_token

TICK_S = 1.0
CHECK_EVERY_S = 5.0
MAX_WATCH_S = 60 * 60


@dataclass(frozen=True)
class Tab:
    """The browser tab a watch serves: its Reflex client token and session cookie."""

    client: str
    cookie: str | None

    @classmethod
    def of(cls, state: rx.State) -> Tab:
        """The tab behind a state (read inside ``async with state`` in a background event)."""
        return cls(state.router.session.client_token, session_token(state))

    def connected(self) -> bool:
        """Whether this worker still has the tab's websocket."""
        namespace = prerequisites.get_and_validate_app().app.event_namespace
        return namespace is None or self.client in namespace.token_to_sid


class Watch:
    """One running watch of a live page, for one tab (use it as a ``with`` block)."""

    def __init__(self, kind: str, user: AuthUser, tab: Tab) -> None:
        """Prepare a watch.

        Args:
            kind: the page it serves ("thread", "conversations").
            user: the logged-in user it delivers to.
            tab: the tab it serves.
        """
        self.user = user
        self.tab = tab
        # A tab without a client token gets a slot of its own (nothing to tell apart).
        self._key = f"{kind}:{tab.client or uuid.uuid4().hex}"
        self._stop: asyncio.Future | None = None
        self._seen = realtime.notifier.version(user.id)
        self._started = time.monotonic()
        # The first tick is a full check: it catches what came between the
        # page's load and this watch's start.
        self._checked = self._started - CHECK_EVERY_S

    def __enter__(self) -> Watch:
        self._stop = realtime.watches.claim(self._key)
        return self

    def __exit__(self, *exc_info: object) -> None:
        realtime.watches.release(self._key, self._stop)

    def over(self) -> bool:
        """Whether a newer watch took the tab over, or this one ran its full time."""
        return self._stop.done() or time.monotonic() - self._started > MAX_WATCH_S

    async def cycles(
        self, probe: Callable[[], Awaitable[bool]] | None = None
    ) -> AsyncIterator[bool]:
        """Wait for each cycle that has something to deliver, while the watch may go on.

        Args:
            probe: a cheap check, each tick without a wake-up, of whether
                something new is there anyway (e.g. one indexed query).

        Yields:
            True when something new may have come (a wake-up, or the probe
            said so), False for the periodic check. The session was checked
            just before.
        """
        while not self.over():
            seen = await realtime.notifier.wait(self.user.id, self._seen, TICK_S, stop=self._stop)
            if self.over():
                return
            newer = seen != self._seen or (probe is not None and await probe())
            self._seen = seen
            if not newer and time.monotonic() - self._checked < CHECK_EVERY_S:
                continue
            self._checked = time.monotonic()
            if not await session_stands(self.tab.cookie, self.user.id) or self.over():
                return
            yield newer
