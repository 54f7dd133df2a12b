"""Background jobs started with the app (in every worker; each job is safe to overlap)."""

from __future__ import annotations

import asyncio
import logging

from marketplace_app.db import write_session
from marketplace_app.services import auth_sessions, notifications

OUTBOX_INTERVAL_S = 15
PRUNE_EVERY_TICKS = 240  # about once an hour

log = logging.getLogger(__name__)


def _prune() -> int:
    with write_session() as session:
        return auth_sessions.prune_expired(session)


async def run_jobs() -> None:
    """Deliver queued emails every few seconds and prune stale login data hourly.

    Emails are claimed with a conditional update, so several workers running
    this loop never send one twice; pruning is idempotent.
    """
    tick = 0
    while True:
        try:
            await asyncio.to_thread(notifications.deliver_pending)
            if tick % PRUNE_EVERY_TICKS == 0:
                await asyncio.to_thread(_prune)
        except Exception:
            log.exception("background job failed; will retry")
        tick += 1
        await asyncio.sleep(OUTBOX_INTERVAL_S)
