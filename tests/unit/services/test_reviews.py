"""Reviews: who may write them, blind publishing (and its 7-day job), replies, reports,
hiding, and the reputation figures from a known history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.jobs.order_timers import run_order_timers
from marketplace_app.models import AuditEntry, InboxItem, Order, OrderTransition, Report, Review
from marketplace_app.models.types import utcnow
from marketplace_app.services import catalog, orders, reviews
from marketplace_app.services.errors import (
    NotFound,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from tests.unit.orders_factory import Town, act, checked_town, code_of, place, read


@pytest.fixture
def town(db):
    yield from checked_town()


def paid(town: Town, listing, buyer=None) -> Order:
    """A cash pickup order (paid at once, as cash orders start)."""
    with write_session() as s:
        return place(s, buyer or town.buyer, [(listing, None, 1)], payment="cash")


def completed(town: Town, listing, buyer=None) -> Order:
    """A cash pickup order handed over (and so completed) by its seller."""
    order = paid(town, listing, buyer)
    seller = listing.seller_id
    act(orders.mark_ready, seller, order.number)
    act(orders.confirm_handover, seller, order.number, code_of(order))
    with read_session() as s:
        assert s.get(Order, order.id).status == "completed"
    return order


def review_row(review_id: int) -> Review:
    with read_session() as s:
        return s.get(Review, review_id)


def age_completion(order: Order, days: float) -> None:
    """Pretend the order completed ``days`` ago."""
    with write_session() as s:
        s.exec(
            update(OrderTransition)
            .where(OrderTransition.order_id == order.id, OrderTransition.to_status == "completed")
            .values(at=utcnow() - timedelta(days=days))
        )


def notices(user_id: int, key: str) -> int:
    with read_session() as s:
        return len(
            s.exec(
                select(InboxItem).where(InboxItem.user_id == user_id, InboxItem.message_key == key)
            ).all()
        )


def test_no_review_before_completion_nor_by_strangers(town):
    order = paid(town, town.lamp)
    with pytest.raises(ServiceError) as error:
        act(reviews.submit, town.buyer.id, order.number, stars=5, text="")
    assert error.value.key == reviews.E_NOT_OPEN
    with pytest.raises(NotFound):
        act(reviews.submit, town.stranger.id, order.number, stars=5, text="")
    with pytest.raises(NotFound):
        act(reviews.submit, town.buyer.id, "NOPE", stars=5, text="")
    assert not read(reviews.order_reviews, town.buyer.id, order.number).may_review


def test_blind_until_both_sides_reviewed_then_both_published(town):
    order = completed(town, town.lamp)
    assert read(reviews.order_reviews, town.resident.id, order.number).may_review
    first = act(reviews.submit, town.buyer.id, order.number, stars=4, text="Lovely lamp")
    assert first.published_at is None and first.subject_id == town.resident.id
    assert notices(town.resident.id, "inbox.review.your_turn") == 1
    # The seller cannot see the buyer's words yet, and nobody else can either.
    box = read(reviews.order_reviews, town.resident.id, order.number)
    assert box.theirs is None and box.may_review
    assert read(reviews.reviews_of_user, town.resident.id) == []
    second = act(reviews.submit, town.resident.id, order.number, stars=5, text="Quick payer")
    assert second.author_role == "seller" and second.subject_id == town.buyer.id
    assert review_row(first.id).published_at is not None
    assert review_row(second.id).published_at is not None
    assert notices(town.resident.id, "inbox.review.published") == 1
    assert notices(town.buyer.id, "inbox.review.published") == 1
    box = read(reviews.order_reviews, town.buyer.id, order.number)
    assert box.theirs.id == second.id and box.mine.id == first.id and not box.may_review
    listed = read(reviews.reviews_of_user, town.resident.id)
    assert [r.text for r in listed] == ["Lovely lamp"]


def test_one_review_per_side_and_valid_stars(town):
    order = completed(town, town.lamp)
    with pytest.raises(ValidationFailed) as error:
        act(reviews.submit, town.buyer.id, order.number, stars=6, text="")
    assert error.value.fields == {"stars": reviews.E_STARS}
    with pytest.raises(ValidationFailed):
        act(reviews.submit, town.buyer.id, order.number, stars=True, text="")
    with pytest.raises(ValidationFailed):
        act(reviews.submit, town.buyer.id, order.number, stars=3, text="x" * 2001)
    with pytest.raises(ValidationFailed):
        act(reviews.submit, town.buyer.id, order.number, stars=3, text="", photos=["../etc"])
    act(reviews.submit, town.buyer.id, order.number, stars=3, text="")
    with pytest.raises(ServiceError) as error:
        act(reviews.submit, town.buyer.id, order.number, stars=1, text="again")
    assert error.value.key == reviews.E_ALREADY
    with read_session() as s:
        assert len(s.exec(select(Review).where(Review.order_id == order.id)).all()) == 1


def test_shop_orders_buyer_rates_seller_and_product_published_at_once(town):
    order = completed(town, town.bread)
    # Shop staff and the owner do not review buyers of shop goods.
    for user in (town.shop_owner, town.staff):
        with pytest.raises(ServiceError) as error:
            act(reviews.submit, user.id, order.number, stars=5, text="")
        assert error.value.key == reviews.E_NOT_YOURS
    box = read(reviews.order_reviews, town.buyer.id, order.number)
    assert box.may_review and box.rates_product
    review = act(
        reviews.submit, town.buyer.id, order.number, stars=5, text="Crusty", product_stars=4
    )
    assert review.published_at is not None and review.listing_id == town.bread.id
    assert read(reviews.product_rating, town.bread.id) == (40, 1)
    assert read(reviews.shop_rating, town.shop.id) == (50, 1)
    (rating, listed) = read(reviews.for_shop, town.shop.slug)
    assert rating == (50, 1) and [r.text for r in listed] == ["Crusty"]
    # Staff of the shop may answer the buyer's review, once.
    mine = read(reviews.reviews_of_shop, town.shop.id, town.staff.id)
    assert mine[0].can_reply
    act(reviews.reply, town.staff.id, review.id, "Thank you!")
    with pytest.raises(ServiceError) as error:
        act(reviews.reply, town.shop_owner.id, review.id, "Thanks again")
    assert error.value.key == reviews.E_REPLIED
    assert notices(town.buyer.id, "inbox.review.reply") == 1


def test_the_seven_day_job_publishes_a_lone_review_and_the_window_closes(town):
    order = completed(town, town.lamp)
    review = act(reviews.submit, town.buyer.id, order.number, stars=2, text="Dusty")
    now = utcnow()
    assert read(reviews.due_to_publish, now) == []
    assert read(reviews.due_to_publish, now + timedelta(days=6)) == []
    later = now + timedelta(days=7, minutes=1)
    assert read(reviews.due_to_publish, later) == [review.id]
    report = run_order_timers(now=later)
    assert report.ran and report.published_reviews == [review.id]
    assert review_row(review.id).published_at is not None
    assert notices(town.resident.id, "inbox.review.published") == 1
    assert read(reviews.due_to_publish, later) == []
    assert act(reviews.publish, review.id, later) is False  # already published
    # After the window nobody can review any more.
    age_completion(order, 8)
    with pytest.raises(ServiceError) as error:
        act(reviews.submit, town.resident.id, order.number, stars=5, text="")
    assert error.value.key == reviews.E_WINDOW
    assert not read(reviews.order_reviews, town.resident.id, order.number).may_review


def test_publish_refuses_a_review_not_yet_due(town):
    order = completed(town, town.lamp)
    review = act(reviews.submit, town.buyer.id, order.number, stars=4, text="")
    assert act(reviews.publish, review.id, utcnow()) is False
    assert review_row(review.id).published_at is None


def test_reply_only_by_the_subject_once_and_only_when_published(town):
    order = completed(town, town.lamp)
    review = act(reviews.submit, town.buyer.id, order.number, stars=4, text="Good")
    with pytest.raises(NotFound):  # not published yet
        act(reviews.reply, town.resident.id, review.id, "Thanks")
    act(reviews.submit, town.resident.id, order.number, stars=5, text="Nice buyer")
    for other in (town.buyer, town.stranger, town.shop_owner):
        with pytest.raises(NotFound):
            act(reviews.reply, other.id, review.id, "Not mine")
    with pytest.raises(ValidationFailed):
        act(reviews.reply, town.resident.id, review.id, "  ")
    act(reviews.reply, town.resident.id, review.id, "Thanks")
    with pytest.raises(ServiceError) as error:
        act(reviews.reply, town.resident.id, review.id, "Thanks twice")
    assert error.value.key == reviews.E_REPLIED
    row = review_row(review.id)
    assert row.reply_text == "Thanks" and row.replied_at is not None
    listed = read(reviews.reviews_of_user, town.resident.id, town.resident.id)
    assert listed[0].reply_text == "Thanks" and not listed[0].can_reply


def test_report_and_hide_by_a_moderator_only_words_kept(town):
    order = completed(town, town.bread)
    review = act(reviews.submit, town.buyer.id, order.number, stars=1, text="Rude words")
    with pytest.raises(ValidationFailed):
        act(reviews.report, town.buyer.id, review.id, reason="offensive")
    with pytest.raises(ValidationFailed):
        act(reviews.report, town.shop_owner.id, review.id, reason="nonsense")
    rep = act(reviews.report, town.shop_owner.id, review.id, reason="offensive", text="Insults")
    again = act(reviews.report, town.shop_owner.id, review.id, reason="other", text="Still")
    assert again.id == rep.id
    rows = read(reviews.open_review_reports, town.moderator.id)
    assert [(r.id, r.review_id, r.review_text) for r in rows] == [(rep.id, review.id, "Rude words")]
    for user in (town.buyer, town.shop_owner, town.stranger):
        with pytest.raises(PermissionDenied):
            act(reviews.hide, user.id, review.id, "no")
        with pytest.raises(PermissionDenied):
            read(reviews.open_review_reports, user.id)
    with pytest.raises(ValidationFailed):
        act(reviews.hide, town.moderator.id, review.id, "")
    act(reviews.hide, town.moderator.id, None, "Abusive", report_id=rep.id)
    row = review_row(review.id)
    assert row.hidden_at is not None and row.hidden_reason == "Abusive"
    assert row.text == "Rude words" and row.stars == 1
    with read_session() as s:
        assert s.get(Report, rep.id).status == "actioned"
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == reviews.HIDE_ACTION)).one()
        assert audit.target_id == review.id and audit.actor_id == town.moderator.id
    assert read(reviews.reviews_of_shop, town.shop.id) == []
    assert read(reviews.reputation, town.shop_owner.id).count == 0
    with pytest.raises(NotFound):
        act(reviews.hide, town.moderator.id, review.id, "twice")
    with pytest.raises(NotFound):
        act(reviews.report, town.stranger.id, review.id, reason="scam")


def test_reputation_from_a_known_history(town):
    seller = town.shop_owner
    # Three completed sales reviewed 5, 4 and 1 stars; the 1-star review gets hidden.
    ones = []
    for buyer, stars in ((town.buyer, 5), (town.other_buyer, 4), (town.stranger, 1)):
        order = completed(town, town.bread, buyer)
        ones.append(act(reviews.submit, buyer.id, order.number, stars=stars, text=""))
    act(reviews.hide, town.moderator.id, ones[-1].id, "spam")
    # The seller cancels one paid order: it counts against the seller.
    cancelled = paid(town, town.bread)
    act(orders.cancel, seller.id, cancelled.number, "Out of flour")
    # The buyer cancels one: it does not count.
    mine = paid(town, town.bread, town.other_buyer)
    act(orders.cancel, town.other_buyer.id, mine.number)
    # An unpaid escrow order expires: it does not count.
    with write_session() as s:
        unpaid = place(s, town.buyer, [(town.bread, None, 1)], payment="escrow")
    assert act(orders.expire, unpaid.id, utcnow() + timedelta(hours=1)) == unpaid.number
    # The buyer never comes for a pickup: the buyer's no-show, not against the seller.
    missed = paid(town, town.bread)
    act(orders.mark_ready, seller.id, missed.number)
    act(orders.cancel, seller.id, missed.number, "Buyer never came")

    rep = read(reviews.reputation, seller.id)
    assert (rep.avg_x10, rep.count) == (45, 2)
    assert rep.completion_rate == pytest.approx(3 / 4)
    assert rep.no_shows == 0 and rep.median_response_minutes is None
    assert rep.member_since == seller.created_at.replace(tzinfo=rep.member_since.tzinfo)
    buyer = read(reviews.reputation, town.buyer.id)
    assert buyer.no_shows == 1 and buyer.count == 0 and buyer.completion_rate is None
    card = read(catalog.seller_card, seller.id, town.shop.id)
    assert (card.rating_avg_x10, card.rating_count) == (45, 2)
    assert card.completion_rate == pytest.approx(0.75) and card.no_shows == 0
    with pytest.raises(NotFound):
        read(reviews.reputation, 999_999)
