"""Background jobs started with the app (in every worker; each job is safe to overlap)."""

from __future__ import annotations

import asyncio
import logging

from marketplace_app.services import notifications

OUTBOX_INTERVAL_S = 15

log = logging.getLogger(__name__)


async def run_jobs() -> None:
    """Deliver queued emails every few seconds until the app stops.

    Rows are claimed with a conditional update, so several workers running
    this loop never send one email twice.
    """
    while True:
        try:
            await asyncio.to_thread(notifications.deliver_pending)
        except Exception:
            log.exception("outbox delivery failed; will retry")
        await asyncio.sleep(OUTBOX_INTERVAL_S)
