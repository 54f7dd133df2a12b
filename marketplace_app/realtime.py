"""In-process wake-ups for live pages: "something new for user N".

A message send pokes its conversation's participants after the write has
committed; every open conversation page of those users (a background task
waiting in :meth:`Notifier.wait`) wakes at once and reads what is new from
the database. Pokes may come from any thread: waiters are woken on their own
event loop with ``call_soon_threadsafe``.

Only this process is reached. Waiters therefore wait with a short timeout
and look at the database anyway, so messages sent through another worker
still arrive, only up to one timeout later.

Each user has a counter that every poke raises. A waiter passes the counter
it last saw, so a poke that lands between two waits is never lost.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable


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

    async def wait(self, user_id: int, seen: int, timeout: float) -> int:
        """Wait until the user's counter passes ``seen``, or ``timeout`` seconds.

        Args:
            user_id: the user.
            seen: the counter the caller last saw.
            timeout: the longest wait, in seconds.

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
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            pass
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


notifier = Notifier()
