"""The notifier: pokes wake waiters at once, from any thread, and are never lost; with
Redis, a poke published by one worker wakes the waiters of another (a real redis-server)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis

from marketplace_app import realtime
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


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private redis-server on a free port (scripts/system_deps.sh installs it)."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: run scripts/system_deps.sh"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_messages_on_the_channel_round_trip():
    assert realtime.decode(realtime.encode([3, 1, 3], origin="w1")) == ("w1", [1, 3])
    assert realtime.decode(b"w2:4,x,5") == ("w2", [4, 5])


async def _relay_running(url: str, target: Notifier) -> asyncio.Task:
    task = asyncio.create_task(realtime.relay(redis_url=url, target=target))
    client = aioredis.from_url(url)
    try:
        for _ in range(100):  # until the relay has subscribed
            (_, subscribers), *_ = await client.pubsub_numsub(realtime.CHANNEL)
            if subscribers:
                return task
            await asyncio.sleep(0.02)
    finally:
        await client.aclose()
    raise AssertionError("the relay never subscribed")


def test_a_poke_from_another_worker_wakes_this_one(redis_url):
    here = Notifier()

    async def scenario():
        relay = await _relay_running(redis_url, here)
        waiter = asyncio.create_task(here.wait(8, 0, timeout=5))
        await asyncio.sleep(0.01)
        started = time.monotonic()
        client = aioredis.from_url(redis_url)
        await client.publish(realtime.CHANNEL, realtime.encode([8], origin="another-worker"))
        await client.aclose()
        now = await waiter
        relay.cancel()
        return now, time.monotonic() - started

    now, took = asyncio.run(scenario())
    assert now == 1 and took < 0.5


def test_publish_wakes_here_at_once_and_tells_the_others_but_not_itself(redis_url):
    relayed = Notifier()

    async def scenario():
        relay = await _relay_running(redis_url, relayed)
        listener = aioredis.from_url(redis_url).pubsub()
        await listener.subscribe(realtime.CHANNEL)
        seen = realtime.notifier.version(12)
        await realtime.publish([12], redis_url=redis_url)
        local = realtime.notifier.version(12) - seen
        message = None
        while message is None:
            message = await listener.get_message(ignore_subscribe_messages=True, timeout=2)
        await asyncio.sleep(0.1)
        relay.cancel()
        await listener.aclose()
        return local, realtime.decode(message["data"])

    local, sent = asyncio.run(scenario())
    assert local == 1
    assert sent == (realtime.PROCESS_ID, [12])
    # The relay skipped the worker's own poke: it was already delivered here.
    assert relayed.version(12) == 0


def test_without_redis_publish_stays_in_this_worker_and_relay_returns():
    seen = realtime.notifier.version(13)
    asyncio.run(realtime.publish([13], redis_url=""))
    assert realtime.notifier.version(13) == seen + 1
    assert asyncio.run(asyncio.wait_for(realtime.relay(redis_url=""), 1)) is None
