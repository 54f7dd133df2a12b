"""Order timers: a lease in the database, and no order processed twice by two workers;
cash orders not handed over by their seller's deadline give their stock back."""

from __future__ import annotations

import functools
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace_app import migrations
from marketplace_app.db import get_engines, read_session, write_session, write_session_for
from marketplace_app.jobs import order_timers
from marketplace_app.models import (
    Category,
    InboxItem,
    JobLease,
    LedgerEntry,
    Listing,
    ListingVariant,
    Order,
    OrderTransition,
    Shop,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import handover_window, ledger, orders
from marketplace_app.settings import settings
from tests.unit.invariants import check_invariants, stock_baseline
from tests.unit.orders_factory import code_of, make_town, pay, place


def lease(name: str, holder: str, now, ttl=order_timers.LEASE_TTL) -> bool:
    with write_session() as s:
        return order_timers.take_lease(s, name, holder, now, ttl)


def test_one_holder_at_a_time_until_the_lease_runs_out(db):
    now = utcnow()
    assert lease("job", "a", now)
    assert not lease("job", "b", now)
    assert lease("job", "a", now + timedelta(seconds=5))  # renewal by the holder
    assert not lease("job", "b", now + timedelta(seconds=30))
    later = now + timedelta(seconds=5) + order_timers.LEASE_TTL + timedelta(seconds=1)
    assert lease("job", "b", later)
    with read_session() as s:
        row = s.get(JobLease, "job")
    assert row.holder == "b"
    assert not lease("job", "a", later)


def test_released_lease_can_be_taken_by_another_worker(db):
    now = utcnow()
    assert lease("job", "a", now)
    with write_session() as s:
        order_timers.release_lease(s, "job", "b")  # not b's: nothing happens
    assert not lease("job", "b", utcnow())
    with write_session() as s:
        order_timers.release_lease(s, "job", "a")
    assert lease("job", "b", utcnow())


def test_many_workers_racing_for_a_lease_get_exactly_one_winner(db):
    barrier = threading.Barrier(8)
    wins: list[str] = []

    def try_it(name: str) -> None:
        barrier.wait()
        if lease("race", name, utcnow()):
            wins.append(name)

    threads = [threading.Thread(target=try_it, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def _due_world():
    """Orders of every timer kind, all due."""
    with write_session() as s:
        town = make_town(s)
    with read_session() as s:
        baseline = stock_baseline(s)
    expiring, settling, reminding = [], [], []
    with write_session() as s:
        for _ in range(6):
            expiring.append(place(s, town.buyer, [(town.bread, None, 2)]))
        for _ in range(4):
            order = place(s, town.buyer, [(town.bread, None, 1)])
            pay(s, order.group_id)
            orders.mark_ready(s, town.shop_owner.id, order.number)
            orders.confirm_handover(s, town.shop_owner.id, order.number, code_of(order))
            settling.append(order)
        for _ in range(3):
            order = place(s, town.other_buyer, [(town.bread, None, 1)], payment="cash")
            reminding.append(order)
        s.exec(
            update(Order)
            .where(Order.id.in_([o.id for o in reminding]))
            .values(created_at=utcnow() - timedelta(days=2))
        )
    return town, baseline, expiring, settling, reminding


def test_a_round_expires_settles_and_reminds(db):
    town, baseline, expiring, settling, reminding = _due_world()
    now = utcnow() + timedelta(
        minutes=max(settings.unpaid_expiry_minutes, settings.inspection_minutes) + 1
    )
    report = order_timers.run_order_timers(now, holder="solo")
    assert report.ran
    assert sorted(report.expired) == sorted(o.number for o in expiring)
    assert sorted(report.settled) == sorted(o.number for o in settling)
    assert sorted(report.reminded) == sorted(o.id for o in reminding)
    again = order_timers.run_order_timers(now, holder="solo")
    assert again.ran and (again.expired, again.settled, again.reminded) == ([], [], [])
    with read_session() as s:
        assert s.get(Listing, town.bread.id).stock == 500 - 4 - 3
        assert ledger.balance(s, ledger.ESCROW) == 0
        check_invariants(s, baseline)


def test_two_workers_at_once_never_process_an_order_twice(db, monkeypatch):
    town, baseline, expiring, settling, reminding = _due_world()
    now = utcnow() + timedelta(
        minutes=max(settings.unpaid_expiry_minutes, settings.inspection_minutes) + 1
    )
    barrier = threading.Barrier(2)
    reports = {}

    def worker(name: str) -> None:
        barrier.wait()
        reports[name] = order_timers.run_order_timers(now, holder=name)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done = [n for r in reports.values() for n in r.expired]
    assert sorted(done) == sorted(o.number for o in expiring)
    settled = [n for r in reports.values() for n in r.settled]
    assert sorted(settled) == sorted(o.number for o in settling)
    reminded = [n for r in reports.values() for n in r.reminded]
    assert sorted(reminded) == sorted(o.id for o in reminding)
    with read_session() as s:
        cancels = s.exec(
            select(OrderTransition).where(OrderTransition.to_status == "cancelled")
        ).all()
        assert len(cancels) == len(expiring)
        reminders = s.exec(
            select(InboxItem).where(InboxItem.message_key == orders.SHIP_REMINDER_KEY)
        ).all()
        assert len(reminders) == len(reminding)
        check_invariants(s, baseline)


def test_overlapping_rounds_without_the_lease_still_process_each_order_once(db, monkeypatch):
    """Even if two rounds ran together (a lease that expired mid-round), the
    status-conditional updates keep every order to one move."""
    town, baseline, expiring, settling, reminding = _due_world()
    monkeypatch.setattr(order_timers, "take_lease", lambda *a, **k: True)
    now = utcnow() + timedelta(
        minutes=max(settings.unpaid_expiry_minutes, settings.inspection_minutes) + 1
    )
    barrier = threading.Barrier(3)
    reports = []

    def worker(name: str) -> None:
        barrier.wait()
        reports.append(order_timers.run_order_timers(now, holder=name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expired = [n for r in reports for n in r.expired]
    settled = [n for r in reports for n in r.settled]
    reminded = [n for r in reports for n in r.reminded]
    assert sorted(expired) == sorted(o.number for o in expiring)
    assert sorted(settled) == sorted(o.number for o in settling)
    assert sorted(reminded) == sorted(o.id for o in reminding)
    with read_session() as s:
        releases = s.exec(
            select(OrderTransition).where(OrderTransition.to_status == "completed")
        ).all()
        assert len(releases) == len(settling)
        check_invariants(s, baseline)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path, monkeypatch):
    """A migrated database on each backend, with the timers' sessions pointed at it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'timers.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database(f"timers_{uuid.uuid4().hex[:8]}")
    migrations.upgrade(url)
    read_engine, write_engine = get_engines(url)
    write = functools.partial(write_session_for, url)

    @contextmanager
    def read():
        with Session(read_engine) as session:
            yield session

    monkeypatch.setattr(order_timers, "write_session", write)
    monkeypatch.setattr(order_timers, "read_session", read)
    yield write, read
    for engine in {read_engine, write_engine}:
        engine.dispose()


def test_racing_rounds_on_each_backend_move_every_order_once(backend, monkeypatch):
    """Real concurrent transactions: the lease picks one worker; without it (a lease that
    ran out mid-round) the status-conditional updates still keep each order to one move."""
    write, read = backend
    with write() as s:
        category = Category(slug="home")
        s.add(category)
        s.flush()
        town = make_town(s, category_id=category.id)
    with read() as s:
        baseline = stock_baseline(s)
    with write() as s:
        expiring = [place(s, town.buyer, [(town.bread, None, 1)]) for _ in range(8)]
        settling = []
        for _ in range(4):
            order = place(s, town.buyer, [(town.bread, None, 1)])
            pay(s, order.group_id)
            orders.mark_ready(s, town.shop_owner.id, order.number)
            orders.confirm_handover(s, town.shop_owner.id, order.number, code_of(order))
            settling.append(order)
        reminding = [
            place(s, town.other_buyer, [(town.bread, None, 1)], payment="cash") for _ in range(3)
        ]
        s.exec(
            update(Order)
            .where(Order.id.in_([o.id for o in reminding]))
            .values(created_at=utcnow() - timedelta(days=2))
        )
        releasing = [
            place(s, town.buyer, [(town.bread, None, 1)], payment="cash") for _ in range(3)
        ]
        s.exec(
            update(Order)
            .where(Order.id.in_([o.id for o in releasing]))
            .values(handover_due_at=utcnow())
        )
    now = utcnow() + timedelta(hours=1)

    def round_robin(count: int) -> list[order_timers.TimerReport]:
        barrier = threading.Barrier(count)
        reports: list[order_timers.TimerReport] = []
        errors: list[BaseException] = []

        def worker(name: str) -> None:
            barrier.wait()
            try:
                reports.append(order_timers.run_order_timers(now, holder=name))
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        return reports

    with_lease = round_robin(4)
    assert sum(r.ran for r in with_lease) >= 1
    # Same orders again, every worker running at once as if nobody held a lease.
    monkeypatch.setattr(order_timers, "take_lease", lambda *a, **k: True)
    without = round_robin(4)
    reports = with_lease + without
    assert sorted(n for r in reports for n in r.expired) == sorted(o.number for o in expiring)
    assert sorted(n for r in reports for n in r.settled) == sorted(o.number for o in settling)
    assert sorted(n for r in reports for n in r.reminded) == sorted(o.id for o in reminding)
    assert sorted(n for r in reports for n in r.released) == sorted(o.number for o in releasing)
    with read() as s:
        moves = s.exec(
            select(OrderTransition.to_status, func.count())
            .where(OrderTransition.from_status.is_not(None))
            .group_by(OrderTransition.to_status)
        ).all()
        counts = dict(moves)
        assert counts["cancelled"] == len(expiring) + len(releasing)
        assert counts["completed"] == len(settling)
        reminders = s.exec(
            select(func.count())
            .select_from(InboxItem)
            .where(InboxItem.message_key == orders.SHIP_REMINDER_KEY)
        ).one()
        assert reminders == len(reminding)
        assert ledger.balance(s, ledger.ESCROW) == 0
        check_invariants(s, baseline)


# -- cash orders never handed over


def _cash_world():
    """Cash orders waiting for their handover: a shop's (window 2 days), a resident's (3)."""
    with write_session() as s:
        town = make_town(s)
        s.get(Shop, town.shop.id).cash_handover_days = 2
    with read_session() as s:
        baseline = stock_baseline(s)
        kilo = s.exec(select(ListingVariant).where(ListingVariant.label == "1 kg")).one()
    with write_session() as s:
        waiting = place(s, town.buyer, [(town.bread, None, 3)], payment="cash")
        ready = place(s, town.buyer, [(town.coffee, kilo, 1)], payment="cash")
        orders.mark_ready(s, town.shop_owner.id, ready.number)
        lamp = place(s, town.other_buyer, [(town.lamp, None, 1)], payment="cash")
        handed = place(s, town.buyer, [(town.bread, None, 1)], payment="cash")
        orders.mark_ready(s, town.shop_owner.id, handed.number)
        orders.confirm_handover(s, town.shop_owner.id, handed.number, code_of(handed))
        on_the_way = place(
            s, town.buyer, [(town.bread, None, 1)], payment="cash", delivery="local", fee=500
        )
        orders.mark_out_for_delivery(s, town.shop_owner.id, on_the_way.number)
        escrow = place(s, town.buyer, [(town.bread, None, 1)])
        pay(s, escrow.group_id)
    return (
        town,
        baseline,
        {
            "waiting": waiting,
            "ready": ready,
            "lamp": lamp,
            "handed": handed,
            "on_the_way": on_the_way,
            "escrow": escrow,
        },
    )


def _status(order: Order) -> str:
    with read_session() as s:
        return s.get(Order, order.id).status


def test_each_cash_order_gets_its_sellers_deadline(db):
    _, _, made = _cash_world()
    with read_session() as s:
        for key, days in (("waiting", 2), ("ready", 2), ("lamp", 3)):
            order = s.get(Order, made[key].id)
            assert order.handover_due_at - order.created_at == timedelta(days=days), key
        assert s.get(Order, made["escrow"].id).handover_due_at is None


def test_cash_orders_not_handed_over_are_cancelled_and_give_their_stock_back(db):
    town, baseline, made = _cash_world()
    with read_session() as s:
        entries_before = s.exec(select(func.count()).select_from(LedgerEntry)).one()
    early = order_timers.run_order_timers(utcnow() + timedelta(days=2) - timedelta(minutes=1))
    assert early.released == []

    report = order_timers.run_order_timers(utcnow() + timedelta(days=2, minutes=1), holder="a")
    assert sorted(report.released) == sorted(made[k].number for k in ("waiting", "ready"))
    assert _status(made["lamp"]) == "paid"  # the resident's window is 3 days
    report = order_timers.run_order_timers(utcnow() + timedelta(days=3, minutes=1), holder="a")
    assert report.released == [made["lamp"].number]
    again = order_timers.run_order_timers(utcnow() + timedelta(days=30), holder="b")
    assert again.released == []

    for key, status in (
        ("waiting", "cancelled"),
        ("ready", "cancelled"),
        ("lamp", "cancelled"),
        ("handed", "completed"),
        ("on_the_way", "out_for_delivery"),
        ("escrow", "paid"),
    ):
        assert _status(made[key]) == status, key
    with read_session() as s:
        assert s.get(Listing, town.bread.id).stock == 500 - 1 - 1 - 1
        kilo = s.exec(select(ListingVariant).where(ListingVariant.label == "1 kg")).one()
        assert kilo.stock == 2
        lamp = s.get(Listing, town.lamp.id)
        assert (lamp.status, lamp.stock) == ("active", 1)
        for key in ("waiting", "ready", "lamp"):
            last = s.exec(
                select(OrderTransition)
                .where(OrderTransition.order_id == made[key].id)
                .order_by(col(OrderTransition.id).desc())
            ).first()
            assert (last.to_status, last.actor_id, last.reason) == (
                "cancelled",
                None,
                "not_handed_over",
            )
        told = s.exec(
            select(InboxItem.user_id).where(
                InboxItem.message_key == "inbox.order.not_handed_over",
                InboxItem.link == orders.link(made["lamp"].number),
            )
        ).all()
        assert sorted(told) == sorted([town.other_buyer.id, town.resident.id])
        # Cash books nothing before the handover, so cancelling moves no money.
        assert s.exec(select(func.count()).select_from(LedgerEntry)).one() == entries_before
        check_invariants(s, baseline)


def test_a_handover_after_the_round_listed_it_wins(db):
    town, _, made = _cash_world()
    now = utcnow() + timedelta(days=2, minutes=1)
    with read_session() as s:
        due = orders.due_to_release(s, now)
    assert made["ready"].id in due
    with write_session() as s:
        orders.confirm_handover(s, town.shop_owner.id, made["ready"].number, code_of(made["ready"]))
    with write_session() as s:
        assert orders.release_unhanded(s, made["ready"].id, now) is None
    assert _status(made["ready"]) == "completed"


def test_the_seller_moving_the_deadline_changes_new_orders_only(db):
    town, _, made = _cash_world()
    with write_session() as s:
        handover_window.set_shop_days(s, town.shop_owner.id, town.shop.id, "10")
        later = place(s, town.buyer, [(town.bread, None, 1)], payment="cash")
    with read_session() as s:
        old, new = s.get(Order, made["waiting"].id), s.get(Order, later.id)
        assert old.handover_due_at - old.created_at == timedelta(days=2)
        assert new.handover_due_at - new.created_at == timedelta(days=10)
