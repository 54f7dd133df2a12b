"""Order timers: expire, release, settle and remind about orders; publish reviews.

Unpaid escrow orders expire; cash orders not handed over by their seller's
deadline are cancelled (their stock goes back); orders whose waiting time is
over settle; sellers are reminded to ship; reviews whose window ended are
published.

Every worker runs :func:`run_order_timers` on its jobs loop. A lease row in
``job_leases`` (taken with a conditional UPDATE, or an INSERT that does nothing
when the row exists) lets one worker at a time do the round; each order is
then moved in its own short transaction by a status-conditional update, so
even two rounds that overlap (a lease that ran out mid-round) never process
one order twice.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from marketplace_app.db import read_session, write_session
from marketplace_app.models import JobLease
from marketplace_app.models.types import utcnow
from marketplace_app.services import orders, reviews

LEASE_NAME = "order_timers"
LEASE_TTL = timedelta(seconds=60)
BATCH = 100

log = logging.getLogger(__name__)

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def take_lease(
    session: Session, name: str, holder: str, now: datetime, ttl: timedelta = LEASE_TTL
) -> bool:
    """Take (or renew) a named lease for ``holder`` until ``now + ttl``.

    It succeeds when nobody holds the lease, the holder's lease ran out, or
    ``holder`` already has it. Both steps are single atomic statements, so of
    two workers trying at once exactly one wins.

    Args:
        session: a write session.
        name: the job's name.
        holder: who asks (unique per worker).
        now: the current time.
        ttl: how long the lease lasts.

    Returns:
        True when ``holder`` now holds the lease.
    """
    until = now + ttl
    renewed = session.exec(
        update(JobLease)
        .where(JobLease.name == name)
        .where((JobLease.expires_at < now) | (JobLease.holder == holder))
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount == 1:
        return True
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.exec(
        dialect.insert(JobLease)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(JobLease.name)
    )
    return inserted.first() is not None


def release_lease(session: Session, name: str, holder: str) -> None:
    """Give a lease back (only if ``holder`` still holds it).

    Args:
        session: a write session.
        name: the job's name.
        holder: the worker giving it back.
    """
    session.exec(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(expires_at=utcnow() - timedelta(seconds=1))
        .execution_options(synchronize_session=False)
    )


@dataclass
class TimerReport:
    """What one round did."""

    ran: bool = False
    expired: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    reminded: list[int] = field(default_factory=list)
    published_reviews: list[int] = field(default_factory=list)


def each_due(
    due: Callable[..., list[int]], handle: Callable[..., object], now: datetime
) -> list[object]:
    """Handle every id ``due`` names, each in its own transaction.

    A failure is logged and skipped: one bad row must not stop the others.

    Args:
        due: ``due(session, now, limit=...)`` -> the ids to handle.
        handle: ``handle(session, id, now)`` -> False/None when there was
            nothing to do, True, or a value to report instead of the id.
        now: the time to judge deadlines by.

    Returns:
        What was handled: the id, or the value ``handle`` returned.
    """
    with read_session() as session:
        ids = due(session, now, limit=BATCH)
    done = []
    for one in ids:
        try:
            with write_session() as session:
                result = handle(session, one, now)
        except Exception:
            log.exception("timer %s failed for %s", getattr(handle, "__name__", handle), one)
            continue
        if result:
            done.append(one if result is True else result)
    return done


def run_order_timers(now: datetime | None = None, holder: str = WORKER_ID) -> TimerReport:
    """One round of the order timers, if this worker gets the lease.

    Args:
        now: the time to judge deadlines by (default: now).
        holder: this worker's id.

    Returns:
        What was done; ``ran`` is False when another worker holds the lease.
    """
    now = now or utcnow()
    with write_session() as session:
        if not take_lease(session, LEASE_NAME, holder, utcnow()):
            return TimerReport()
    report = TimerReport(ran=True)
    try:
        report.expired = [str(n) for n in each_due(orders.due_to_expire, orders.expire, now)]
        report.released = [
            str(n) for n in each_due(orders.due_to_release, orders.release_unhanded, now)
        ]
        report.settled = [str(n) for n in each_due(orders.due_to_settle, orders.settle, now)]
        report.reminded = [
            int(i) for i in each_due(orders.due_for_reminder, orders.remind_to_ship, now)
        ]
        report.published_reviews = [
            int(i) for i in each_due(reviews.due_to_publish, reviews.publish, now)
        ]
    finally:
        with write_session() as session:
            release_lease(session, LEASE_NAME, holder)
    return report
