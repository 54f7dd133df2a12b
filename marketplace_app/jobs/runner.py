"""Background jobs started with the app (in every worker; each job is safe to overlap)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from marketplace_app.db import write_session
from marketplace_app.jobs.media_prune import prune_unattached
from marketplace_app.jobs.offer_timers import run_offer_timers
from marketplace_app.jobs.order_timers import run_order_timers
from marketplace_app.models.types import utcnow
from marketplace_app.services import auth_sessions, carts, notifications

OUTBOX_INTERVAL_S = 15
PRUNE_EVERY_TICKS = 240  # about once an hour

log = logging.getLogger(__name__)


def _prune() -> int:
    with write_session() as session:
        stale_carts = utcnow() - timedelta(days=carts.GUEST_CART_DAYS)
        return auth_sessions.prune_expired(session) + carts.prune_guest_carts(session, stale_carts)


async def run_jobs() -> None:
    """Run the order and offer timers and deliver queued emails every few seconds; prune hourly.

    The hourly pruning ends expired sessions, old guest carts and uploads
    no form ever attached (:mod:`marketplace_app.jobs.media_prune`).

    Order timers run under a lease in the database and move each order with a
    status-conditional update; emails are claimed with a conditional update;
    so several workers running this loop never handle one thing twice.
    Pruning is idempotent.
    """
    tick = 0
    while True:
        try:
            await asyncio.to_thread(run_order_timers)
            await asyncio.to_thread(run_offer_timers)
            await asyncio.to_thread(notifications.deliver_pending)
            if tick % PRUNE_EVERY_TICKS == 0:
                await asyncio.to_thread(_prune)
                await asyncio.to_thread(prune_unattached)
        except Exception:
            log.exception("background job failed; will retry")
        tick += 1
        await asyncio.sleep(OUTBOX_INTERVAL_S)
