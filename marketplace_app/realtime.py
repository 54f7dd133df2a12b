"""In-process wake-ups for live pages: "something new for user N".

A message send pokes its conversation's participants after the write has
committed; every open conversation page of those users (a background task
waiting in :meth:`Notifier.wait`) wakes at once and reads what is new from
the database. Pokes may come from any thread: waiters are woken on their own
event loop with ``call_soon_threadsafe``.

With Redis (``REDIS_URL``, several workers), :func:`publish` also sends the
poke over a Redis channel and every worker's :func:`relay` task passes it on to
its own waiters, so a page served by another worker wakes just as fast.
Waiters still wait with a short timeout and look at the database anyway, so a
lost poke (Redis restarting) only delays a message by one timeout.

Each user has a counter that every poke raises. A waiter passes the counter
it last saw, so a poke that lands between two waits is never lost.

:data:`watches` keeps one live page watch per browser tab: a watch that
starts for a tab tells the tab's previous one to stop, at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import uuid
import weakref
from collections.abc import Iterable

import redis.asyncio as aioredis

from marketplace_app.settings import settings

CHANNEL = "marketplace:realtime:poke"
# Tells this worker's own pokes apart when they come back over the channel.
PROCESS_ID = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
RECONNECT_S = 1.0

log = logging.getLogger(__name__)


class Notifier:
    """Per-user counters and the tasks waiting for them to change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[int, int] = {}
        self._waiters: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Future]]] = {}

    def version(self, user_id: int) -> int:
        """The user's current counter (0 before any poke)."""
        with self._lock:
            return self._versions.get(user_id, 0)

    def waiting(self, user_id: int) -> int:
        """How many tasks wait for the user now (for tests and diagnostics)."""
        with self._lock:
            return len(self._waiters.get(user_id, ()))

    def poke(self, user_ids: Iterable[int]) -> None:
        """Raise the users' counters and wake everyone waiting for them.

        Safe to call from any thread.

        Args:
            user_ids: the users with something new.
        """
        woken = []
        with self._lock:
            for user_id in set(user_ids):
                self._versions[user_id] = self._versions.get(user_id, 0) + 1
                woken.extend(self._waiters.pop(user_id, ()))
        for loop, future in woken:
            try:
                loop.call_soon_threadsafe(_settle, future)
            except RuntimeError:  # that loop has closed: nobody is waiting there any more
                continue

    async def wait(
        self, user_id: int, seen: int, timeout: float, stop: asyncio.Future | None = None
    ) -> int:
        """Wait until the user's counter passes ``seen``, ``stop`` settles, or ``timeout`` seconds.

        Args:
            user_id: the user.
            seen: the counter the caller last saw.
            timeout: the longest wait, in seconds.
            stop: a future that ends the wait early when it settles (a watch told to stop).

        Returns:
            The counter now (equal to ``seen`` after a timeout with no poke).
        """
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        entry = (loop, future)
        with self._lock:
            current = self._versions.get(user_id, 0)
            if current != seen:
                return current
            self._waiters.setdefault(user_id, set()).add(entry)
        try:
            await asyncio.wait(
                {future} if stop is None else {future, stop},
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            with self._lock:
                waiting = self._waiters.get(user_id)
                if waiting is not None:
                    waiting.discard(entry)
                    if not waiting:
                        del self._waiters[user_id]
        return self.version(user_id)


def _settle(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def _settle_threadsafe(future: asyncio.Future) -> None:
    # A closed loop: nobody waits on the future any more.
    with contextlib.suppress(RuntimeError):
        future.get_loop().call_soon_threadsafe(_settle, future)


class TabWatches:
    """Which background watch serves each browser tab: the newest one.

    A watch claims its tab's slot when it starts (the key names the tab and
    the kind of page); the watch that held the slot before is told to stop:
    its stop future settles, which also ends its :meth:`Notifier.wait` at
    once. So a second on_load or a reconnect never leaves two watches running
    for one tab in this worker.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stops: dict[str, asyncio.Future] = {}

    def claim(self, key: str) -> asyncio.Future:
        """Make the running task the tab's watch; the previous one is told to stop.

        Args:
            key: the tab and page kind.

        Returns:
            This watch's stop future: it settles when a newer watch claims the tab.
        """
        stop = asyncio.get_running_loop().create_future()
        with self._lock:
            previous = self._stops.get(key)
            self._stops[key] = stop
        if previous is not None:
            _settle_threadsafe(previous)
        return stop

    def release(self, key: str, stop: asyncio.Future) -> None:
        """A watch has ended: free its tab's slot, unless a newer watch holds it.

        Args:
            key: the tab and page kind.
            stop: the ending watch's stop future (from :meth:`claim`).
        """
        with self._lock:
            if self._stops.get(key) is stop:
                del self._stops[key]

    def running(self) -> int:
        """How many tabs have a watch now (for tests and diagnostics)."""
        with self._lock:
            return len(self._stops)


notifier = Notifier()
watches = TabWatches()


# One client per event loop: a client's connections belong to the loop that made them.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def _client(url: str) -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = _clients[loop] = aioredis.from_url(url, socket_timeout=2)
    return client


def encode(user_ids: Iterable[int], origin: str = PROCESS_ID) -> str:
    """The channel message for a poke: ``"<origin>:<id>,<id>,..."``."""
    return f"{origin}:{','.join(str(u) for u in sorted(set(user_ids)))}"


def decode(message: str | bytes) -> tuple[str, list[int]]:
    """The origin and user ids of a channel message (ids that are not numbers are skipped)."""
    text = message.decode() if isinstance(message, bytes) else message
    origin, _, ids = text.partition(":")
    return origin, [int(part) for part in ids.split(",") if part.isdigit()]


async def publish(user_ids: Iterable[int], *, redis_url: str | None = None) -> None:
    """Wake the users' open pages in this worker and, with Redis, in every other one.

    Args:
        user_ids: the users with something new.
        redis_url: the Redis to publish on (defaults to ``REDIS_URL``; none: this
            worker only).
    """
    ids = set(user_ids)
    notifier.poke(ids)
    url = settings.redis_url if redis_url is None else redis_url
    if not url or not ids:
        return
    try:
        await _client(url).publish(CHANNEL, encode(ids))
    except Exception:  # the waiters' own database probe still finds the message
        log.warning("could not publish a realtime poke to Redis", exc_info=True)


async def relay(*, redis_url: str | None = None, target: Notifier | None = None) -> None:
    """Pass pokes published by other workers to this worker's waiters (a lifespan task).

    Returns at once without Redis. Reconnects after a lost connection.

    Args:
        redis_url: the Redis to listen on (defaults to ``REDIS_URL``).
        target: the notifier to wake (defaults to this process's).
    """
    url = settings.redis_url if redis_url is None else redis_url
    target = target or notifier
    if not url:
        return
    while True:
        try:
            client = aioredis.from_url(url)
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    origin, ids = decode(message["data"])
                    if origin != PROCESS_ID:
                        target.poke(ids)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("realtime relay lost Redis; reconnecting", exc_info=True)
            await asyncio.sleep(RECONNECT_S)
