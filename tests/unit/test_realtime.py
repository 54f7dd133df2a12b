"""The in-process notifier: pokes wake waiters at once, from any thread, and are never lost."""

from __future__ import annotations

import asyncio
import threading
import time

from marketplace_app.realtime import Notifier


def test_a_poke_wakes_a_waiter_at_once():
    notifier = Notifier()

    async def scenario():
        seen = notifier.version(7)
        waiter = asyncio.create_task(notifier.wait(7, seen, timeout=5))
        await asyncio.sleep(0.01)
        assert notifier.waiting(7) == 1
        started = time.monotonic()
        notifier.poke([7])
        now = await waiter
        return now, seen, time.monotonic() - started

    now, seen, took = asyncio.run(scenario())
    assert now == seen + 1
    assert took < 0.5
    assert notifier.waiting(7) == 0


def test_a_poke_from_another_thread_wakes_the_loop():
    notifier = Notifier()

    async def scenario():
        waiter = asyncio.create_task(notifier.wait(1, 0, timeout=5))
        await asyncio.sleep(0.01)
        started = time.monotonic()
        threading.Thread(target=notifier.poke, args=([1],)).start()
        await waiter
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 0.5


def test_only_the_poked_users_wake():
    notifier = Notifier()

    async def scenario():
        other = asyncio.create_task(notifier.wait(2, 0, timeout=0.2))
        await asyncio.sleep(0.01)
        notifier.poke([3])
        return await other

    assert asyncio.run(scenario()) == 0
    assert notifier.version(3) == 1


def test_a_poke_between_two_waits_is_not_lost():
    notifier = Notifier()
    seen = notifier.version(5)
    notifier.poke([5])

    async def scenario():
        started = time.monotonic()
        now = await notifier.wait(5, seen, timeout=5)
        return now, time.monotonic() - started

    now, took = asyncio.run(scenario())
    assert now == seen + 1 and took < 0.1


def test_a_timeout_returns_the_same_counter_and_leaves_nobody_waiting():
    notifier = Notifier()
    assert asyncio.run(notifier.wait(9, 0, timeout=0.05)) == 0
    assert notifier.waiting(9) == 0


def test_many_waiters_for_one_user_all_wake():
    notifier = Notifier()

    async def scenario():
        waiters = [asyncio.create_task(notifier.wait(4, 0, timeout=5)) for _ in range(5)]
        await asyncio.sleep(0.01)
        notifier.poke([4, 4])
        return await asyncio.gather(*waiters)

    assert asyncio.run(scenario()) == [1] * 5
