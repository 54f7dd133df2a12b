"""Review handlers called as a browser would: others' orders and reviews stay untouched."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Report, Review, User
from marketplace_app.services import media, orders, reviews
from marketplace_app.settings import settings
from marketplace_app.state.operator import OperatorState
from marketplace_app.state.reviews import OrderReviewState, ReviewListState
from tests.unit.orders_factory import code_of, make_listing, place
from tests.unit.state.conftest import call, redirect_target


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "settings", dataclasses.replace(settings, upload_dir=tmp_path))


@dataclasses.dataclass
class Cast:
    buyer: tuple[int, str]
    seller: tuple[int, str]
    stranger: tuple[int, str]
    number: str
    listing_id: int


@pytest.fixture
def cast(login_as):
    buyer = login_as("buyer@example.com", "Bea")
    seller = login_as("seller@example.com", "Rita")
    stranger = login_as("stranger@example.com", "Sam")
    with write_session() as s:
        lamp = make_listing(s, s.get(User, seller[0]), kind="secondhand", title="Lamp")
        order = place(s, s.get(User, buyer[0]), [(lamp, None, 1)], payment="cash")
        number, listing_id = order.number, lamp.id
    with write_session() as s:
        orders.mark_ready(s, seller[0], number)
        orders.confirm_handover(s, seller[0], number, code_of(order))
    return Cast(buyer, seller, stranger, number, listing_id)


def box(make_state, who, number: str) -> OrderReviewState:
    state = make_state(OrderReviewState, who[1] if who else None, path=f"/orders/{number}")
    call(state, "load")
    return state


def all_reviews() -> list[Review]:
    with read_session() as s:
        return list(s.exec(select(Review).order_by(Review.id)).all())


def test_both_sides_review_through_the_handlers(make_state, cast):
    buyer = box(make_state, cast.buyer, cast.number)
    assert buyer.may_review and not buyer.rates_product
    call(buyer, "submit", {"text": "No stars"})
    assert "stars" in buyer.errors and all_reviews() == []
    call(buyer, "set_stars", 9)
    assert buyer.stars == 0
    call(buyer, "set_stars", 4)
    call(buyer, "submit", {"text": "Lovely lamp"})
    assert buyer.errors == {} and buyer.has_mine and not buyer.mine_published
    assert not buyer.may_review
    seller = box(make_state, cast.seller, cast.number)
    assert seller.may_review and not seller.has_theirs
    call(seller, "set_stars", 5)
    call(seller, "submit", {"text": "Prompt"})
    assert seller.mine_published and seller.has_theirs and seller.theirs_text == "Lovely lamp"
    listing = make_state(ReviewListState, None, path=f"/listing/{cast.listing_id}")
    call(listing, "load_listing")
    assert [r.text for r in listing.reviews] == ["Lovely lamp"]
    assert not listing.reviews[0].can_reply and not listing.reviews[0].can_report


def test_strangers_and_guests_change_nothing(make_state, cast):
    guest = make_state(OrderReviewState, None, path=f"/orders/{cast.number}")
    spec = call(guest, "load")
    assert redirect_target(spec).startswith("/login?next=")
    stranger = box(make_state, cast.stranger, cast.number)
    assert not stranger.may_review and not stranger.has_mine
    call(stranger, "set_stars", 1)
    call(stranger, "submit", {"text": "I was never there"})
    assert all_reviews() == []
    # A forged order number in the private var changes nothing either.
    stranger._number = cast.number
    call(stranger, "submit", {"text": "Forged"})
    assert all_reviews() == []


def test_reply_and_report_with_others_ids_change_nothing(make_state, cast):
    with write_session() as s:
        first = reviews.submit(s, cast.buyer[0], cast.number, stars=2, text="Meh")
        review_id = first.id
    with write_session() as s:
        reviews.submit(s, cast.seller[0], cast.number, stars=5, text="Fine buyer")
    stranger = make_state(ReviewListState, cast.stranger[1], path=f"/listing/{cast.listing_id}")
    call(stranger, "load_listing")
    assert [(r.id, r.can_reply, r.can_report) for r in stranger.reviews] == [
        (review_id, False, True)
    ]
    call(stranger, "start_reply", review_id)
    call(stranger, "send_reply", {"reply": "I am not the seller"})
    assert stranger.reply_error != ""
    with read_session() as s:
        assert s.get(Review, review_id).reply_text == ""
    # The author cannot report their own review; others can.
    author = make_state(ReviewListState, cast.buyer[1], path=f"/listing/{cast.listing_id}")
    call(author, "load_listing")
    call(author, "start_report", review_id)
    call(author, "send_report", {"reason": "offensive"})
    assert "_form" in author.report_errors and not author.report_sent
    call(stranger, "start_report", review_id)
    call(stranger, "send_report", {"reason": "offensive", "text": "Mean"})
    assert stranger.report_sent
    with read_session() as s:
        report = s.exec(select(Report).where(Report.target_type == "review")).one()
    # A normal user cannot hide it through the operator handler.
    queue = make_state(OperatorState, cast.stranger[1], path="/admin/queue")
    call(queue, "decide_review_report", {"report_id": str(report.id), "reason": "x"})
    with read_session() as s:
        assert s.get(Review, review_id).hidden_at is None
        assert s.get(Report, report.id).status == "open"
    # The seller (the subject) replies once.
    seller = make_state(ReviewListState, cast.seller[1], path=f"/listing/{cast.listing_id}")
    call(seller, "load_listing")
    assert seller.reviews[0].can_reply
    call(seller, "start_reply", review_id)
    call(seller, "send_reply", {"reply": "Sorry to hear"})
    assert seller.reply_error == "" and seller.reviews[0].reply == "Sorry to hear"
    assert not seller.reviews[0].can_reply


def test_a_moderator_hides_a_reported_review_from_the_queue(make_state, cast, login_as):
    mod = login_as("mod@example.com", "Mona")
    with write_session() as s:
        s.get(User, mod[0]).role = "moderator"
        review = reviews.submit(s, cast.buyer[0], cast.number, stars=1, text="Awful")
        review_id = review.id
    with write_session() as s:
        reviews.submit(s, cast.seller[0], cast.number, stars=5, text="")
    with write_session() as s:
        report_id = reviews.report(s, cast.stranger[0], review_id, reason="offensive").id
    queue = make_state(OperatorState, mod[1], path="/admin/queue")
    call(queue, "load")
    assert [r.id for r in queue.review_reports] == [report_id]
    call(queue, "choose", "hide")
    call(queue, "decide_review_report", {"report_id": str(report_id), "reason": "Abuse"})
    assert queue.review_reports == [] and queue.row_errors == {}
    with read_session() as s:
        hidden = s.get(Review, review_id)
        assert hidden.hidden_reason == "Abuse" and hidden.text == "Awful"
