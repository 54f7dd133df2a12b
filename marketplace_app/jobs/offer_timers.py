"""Offer timers: expire unanswered offers, end holds that ran out, close offers on gone items.

Runs like the order timers (:mod:`marketplace_app.jobs.order_timers`): one
worker at a time holds the ``offer_timers`` lease, and each offer (or item) is
then handled in its own short transaction by a status-conditional update, so
rounds that overlap never move one offer twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from marketplace_app.db import write_session
from marketplace_app.jobs.order_timers import WORKER_ID, each_due, release_lease, take_lease
from marketplace_app.models.types import utcnow
from marketplace_app.services import offers

LEASE_NAME = "offer_timers"

log = logging.getLogger(__name__)


@dataclass
class OfferTimerReport:
    """What one round did (offer ids; listing ids for ``closed``)."""

    ran: bool = False
    expired: list[int] = field(default_factory=list)
    lapsed: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)


def run_offer_timers(now: datetime | None = None, holder: str = WORKER_ID) -> OfferTimerReport:
    """One round of the offer timers, if this worker gets the lease.

    Args:
        now: the time to judge deadlines by (default: now).
        holder: this worker's id.

    Returns:
        What was done; ``ran`` is False when another worker holds the lease.
    """
    now = now or utcnow()
    with write_session() as session:
        if not take_lease(session, LEASE_NAME, holder, utcnow()):
            return OfferTimerReport()
    report = OfferTimerReport(ran=True)
    try:
        report.expired = each_due(offers.due_to_expire, offers.expire, now)
        report.lapsed = each_due(offers.due_to_lapse, offers.lapse, now)
        report.closed = each_due(offers.due_to_close, offers.close, now)
    finally:
        with write_session() as session:
            release_lease(session, LEASE_NAME, holder)
    return report
