"""The queue's reported messages and members in context, sanctions in force, and reviews."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import InboxItem, Listing, Report, Sanction
from marketplace_app.models.types import utcnow
from marketplace_app.services import moderation, moderation_queue, reviews
from marketplace_app.services.errors import OwnCase, PermissionDenied
from tests.unit.orders_factory import act, checked_town, read
from tests.unit.services import test_moderation
from tests.unit.services.conftest import make_user
from tests.unit.services.test_moderation import report_message, thread
from tests.unit.services.test_reviews import completed

world = test_moderation.world


def test_a_reported_message_comes_with_the_messages_around_it(session, world):
    seller, buyer, mod, listing = world
    msgs = thread(session, buyer, seller, listing, *[f"m{i}" for i in range(8)])
    report_message(session, buyer, msgs[5])
    report_message(session, make_user(session, "Witness"), msgs[5])
    first, second = moderation_queue.message_reports(session, mod.id)
    assert first.message_id == second.message_id == msgs[5].id
    assert (first.sender_name, first.listing_title, first.open_reports) == ("Seller", "Lamp", 2)
    assert [(c.body, c.reported) for c in first.context] == [
        ("m2", False),
        ("m3", False),
        ("m4", False),
        ("m5", True),
        ("m6", False),
        ("m7", False),
    ]
    assert [c.sender_name for c in first.context][:2] == ["Reporter", "Seller"]


def test_a_reported_member_comes_with_their_record(session, world):
    seller, reporter, mod, listing = world
    session.add(
        Listing(
            seller_id=seller.id, kind="secondhand", title="Old", price_cents=1, status="removed"
        )
    )
    moderation.sanction(session, actor_id=mod.id, user_id=seller.id, kind="warn", reason="Late")
    old = moderation.sanction(
        session, actor_id=mod.id, user_id=seller.id, kind="suspend", days=2, reason="Spam"
    )
    moderation.lift_sanction(session, actor_id=mod.id, sanction_id=old.id)
    moderation.report_user(
        session, reporter_id=reporter.id, user_id=seller.id, reason="scam", text="Took my money"
    )
    (row,) = moderation_queue.user_reports(session, mod.id)
    member = row.member
    assert (member.id, member.name, member.listing_count) == (seller.id, "Seller", 1)
    assert member.member_since == seller.created_at
    assert [(s.kind, s.reason, s.in_force) for s in member.sanctions] == [
        ("suspend", "Spam", False),
        ("warn", "Late", False),
    ]
    assert (row.reporter_name, row.text, row.open_reports) == ("Reporter", "Took my money", 1)


def test_sanctions_in_force_leave_out_warnings_lifted_and_ended_ones(session, world):
    seller, reporter, mod, _ = world
    moderation.sanction(session, actor_id=mod.id, user_id=seller.id, kind="warn", reason="w")
    ban = moderation.sanction(session, actor_id=mod.id, user_id=seller.id, kind="ban", reason="b")
    ended = moderation.sanction(
        session, actor_id=mod.id, user_id=reporter.id, kind="suspend", days=1, reason="s"
    )
    ended.ends_at = utcnow() - timedelta(minutes=1)
    session.add(ended)
    rows = moderation_queue.sanctions_in_force(session, mod.id)
    assert [(r.id, r.user_name, r.in_force) for r in rows] == [(ban.id, "Seller", True)]


def test_the_queue_is_for_moderators_only(session, world):
    seller, reporter, _, _ = world
    for reader in (seller.id, reporter.id, 777_777):
        for fn in (
            moderation_queue.message_reports,
            moderation_queue.user_reports,
            moderation_queue.sanctions_in_force,
        ):
            with pytest.raises(PermissionDenied):
                fn(session, reader)
        with pytest.raises(PermissionDenied):
            moderation_queue.member_summary(session, reader, seller.id)


@pytest.fixture
def town(db):
    yield from checked_town()


def test_warn_a_review_author_then_hide_the_review_from_another_report(town):
    order = completed(town, town.bread)
    review = act(reviews.submit, town.buyer.id, order.number, stars=1, text="Awful people")
    first = act(reviews.report, town.shop_owner.id, review.id, reason="offensive")
    act(
        moderation.sanction,
        actor_id=town.moderator.id,
        report_id=first.id,
        kind="warn",
        reason="Mind your words",
    )
    second = act(reviews.report, town.staff.id, review.id, reason="offensive")
    act(moderation.hide_reported, actor_id=town.moderator.id, report_id=second.id, reason="Insult")
    with read_session() as s:
        (row,) = s.exec(select(Sanction)).all()
        assert (row.user_id, row.kind) == (town.buyer.id, "warn")
        keys = s.exec(select(InboxItem.message_key).where(InboxItem.user_id == town.buyer.id)).all()
        assert {"inbox.moderation.warn", "inbox.moderation.review_hidden"} <= set(keys)
        assert {s.get(Report, r.id).status for r in (first, second)} == {"actioned"}
    assert read(reviews.open_review_reports, town.moderator.id) == []


def test_an_operator_cannot_hide_their_own_review_or_decide_its_reports(town):
    order = completed(town, town.bread, buyer=town.moderator)
    review = act(reviews.submit, town.moderator.id, order.number, stars=1, text="Stale bread")
    filed = act(reviews.report, town.shop_owner.id, review.id, reason="offensive")
    (row,) = read(reviews.open_review_reports, town.moderator.id)
    assert row.mine
    for decide in (
        lambda: act(
            moderation.hide_reported, actor_id=town.moderator.id, report_id=filed.id, reason="x"
        ),
        lambda: act(moderation.dismiss_report, actor_id=town.moderator.id, report_id=filed.id),
        lambda: act(reviews.hide, town.moderator.id, review.id, "x"),
    ):
        with pytest.raises(OwnCase):
            decide()
    with read_session() as s:
        assert s.get(Report, filed.id).status == "open"
    # An operator who is not a party to the order decides it.
    with write_session() as s:
        admin = make_user(s, "Ada", role="admin")
    (row,) = read(reviews.open_review_reports, admin.id)
    assert not row.mine
    act(moderation.hide_reported, actor_id=admin.id, report_id=filed.id, reason="Insult")
