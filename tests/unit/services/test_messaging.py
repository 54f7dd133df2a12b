"""Messaging: when masking applies, who may read and post, blocks, the rate limit, unread
counts, reports, hidden messages, and the median first-response figure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace_app.db import write_session
from marketplace_app.models import Conversation, Message, Report, Sanction
from marketplace_app.models.types import utcnow
from marketplace_app.services import messaging, reviews
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.masking import MASK
from marketplace_app.services.sanctions import Restricted
from marketplace_app.settings import settings
from tests.unit.orders_factory import Town, act, checked_town, place, read


@pytest.fixture
def town(db):
    yield from checked_town()


def lamp_chat(town: Town, buyer=None) -> Conversation:
    return act(messaging.start_for_listing, (buyer or town.buyer).id, town.lamp.id)


def test_masking_stops_once_an_order_exists(town):
    conv = lamp_chat(town)
    before = act(messaging.send, town.buyer.id, conv.id, "ring 138 0013 8000")
    assert before.masked and "8000" not in before.body
    with write_session() as s:
        place(s, town.buyer, [(town.lamp, None, 1)], payment="cash")
    after = act(messaging.send, town.buyer.id, conv.id, "ring 138 0013 8000")
    assert not after.masked and after.body == "ring 138 0013 8000"
    assert not read(messaging.thread, town.resident.id, conv.id).masking


def test_an_unpaid_order_does_not_unmask(town):
    conv = lamp_chat(town)
    with write_session() as s:
        place(s, town.buyer, [(town.lamp, None, 1)], payment="escrow")
    sent = act(messaging.send, town.buyer.id, conv.id, "me@example.com")
    assert sent.masked and sent.body == MASK


# -- starting and permissions


def test_one_conversation_per_listing_and_buyer(town):
    first = lamp_chat(town)
    assert lamp_chat(town).id == first.id
    assert first.topic == f"listing:{town.lamp.id}:{town.buyer.id}"
    assert first.seller_id == town.resident.id
    assert lamp_chat(town, town.other_buyer).id != first.id


def test_a_seller_cannot_message_their_own_listing(town):
    with pytest.raises(ValidationFailed):
        act(messaging.start_for_listing, town.resident.id, town.lamp.id)
    with pytest.raises(ValidationFailed):
        act(messaging.start_for_listing, town.staff.id, town.bread.id)
    with pytest.raises(NotFound):
        act(messaging.start_for_listing, town.buyer.id, 999_999)


def test_shop_staff_answer_for_the_shop(town):
    conv = act(messaging.start_for_listing, town.buyer.id, town.bread.id)
    act(messaging.send, town.buyer.id, conv.id, "Is it baked today?")
    assert read(messaging.unread_total, town.staff.id) == 1
    act(messaging.send, town.staff.id, conv.id, "Yes, this morning.")
    thread = read(messaging.thread, town.buyer.id, conv.id)
    assert [m.body for m in thread.messages] == ["Is it baked today?", "Yes, this morning."]
    assert [r.id for r in read(messaging.conversations, town.staff.id)] == [conv.id]


def test_strangers_can_neither_read_nor_post(town):
    conv = lamp_chat(town)
    act(messaging.send, town.buyer.id, conv.id, "hello")
    for fn, args in (
        (messaging.thread, ()),
        (messaging.messages_after, (0,)),
        (messaging.mark_read, ()),
        (messaging.block_other, ()),
    ):
        with pytest.raises(NotFound):
            act(fn, town.stranger.id, conv.id, *args)
    with pytest.raises(NotFound):
        act(messaging.send, town.stranger.id, conv.id, "let me in")
    with pytest.raises(NotFound):
        act(messaging.send, town.buyer.id, "1", "an id of the wrong type")
    assert read(messaging.conversations, town.stranger.id) == []


def test_order_conversation_for_both_sides_only(town):
    with write_session() as s:
        order = place(s, town.buyer, [(town.bread, None, 1)], payment="cash")
    conv = act(messaging.start_for_order, town.buyer.id, order.number)
    assert act(messaging.start_for_order, town.staff.id, order.number).id == conv.id
    assert conv.topic == f"order:{order.id}"
    with pytest.raises(NotFound):
        act(messaging.start_for_order, town.stranger.id, order.number)
    sent = act(messaging.send, town.staff.id, conv.id, "call 13800138000")
    assert not sent.masked


# -- sending rules


def test_body_must_be_1_to_2000_characters(town):
    conv = lamp_chat(town)
    with pytest.raises(ValidationFailed) as empty:
        act(messaging.send, town.buyer.id, conv.id, "   ")
    assert empty.value.fields == {"body": messaging.E_EMPTY}
    with pytest.raises(ValidationFailed) as long:
        act(messaging.send, town.buyer.id, conv.id, "x" * 2001)
    assert long.value.fields == {"body": messaging.E_TOO_LONG}
    assert act(messaging.send, town.buyer.id, conv.id, "x" * 2000).body == "x" * 2000
    photo = act(messaging.send, town.buyer.id, conv.id, "", image_key="a" * 24)
    assert photo.image_key == "a" * 24 and photo.body == ""


def test_sending_is_rate_limited_per_sender(town):
    conv = lamp_chat(town)
    start = utcnow()
    limit = settings.message_rate_per_minute
    for i in range(limit):
        act(messaging.send, town.buyer.id, conv.id, f"m{i}", now=start + timedelta(seconds=i))
    with pytest.raises(ValidationFailed) as slow:
        act(messaging.send, town.buyer.id, conv.id, "one more", now=start + timedelta(seconds=30))
    assert slow.value.fields == {"body": messaging.E_SLOW_DOWN}
    assert slow.value.params["seconds"] == 30
    # The other side is not slowed down, and the window moves on.
    act(messaging.send, town.resident.id, conv.id, "hi", now=start + timedelta(seconds=30))
    act(messaging.send, town.buyer.id, conv.id, "later", now=start + timedelta(seconds=61))


def test_blocks_stop_messages_both_ways(town):
    conv = lamp_chat(town)
    act(messaging.block_other, town.resident.id, conv.id)
    with pytest.raises(ValidationFailed) as theirs:
        act(messaging.send, town.buyer.id, conv.id, "hello?")
    assert theirs.value.fields == {"_form": messaging.E_BLOCKED}
    with pytest.raises(ValidationFailed) as mine:
        act(messaging.send, town.resident.id, conv.id, "hello?")
    assert mine.value.fields == {"_form": messaging.E_YOU_BLOCKED}
    thread = read(messaging.thread, town.resident.id, conv.id)
    assert thread.blocked_by_me and not thread.blocked_me
    assert read(messaging.thread, town.buyer.id, conv.id).blocked_me
    act(messaging.unblock_other, town.resident.id, conv.id)
    act(messaging.send, town.buyer.id, conv.id, "hello again")


def test_suspended_members_cannot_send(town):
    conv = lamp_chat(town)
    with write_session() as s:
        s.add(
            Sanction(
                user_id=town.buyer.id,
                kind="suspend",
                reason="spam",
                ends_at=utcnow() + timedelta(days=1),
                actor_id=town.moderator.id,
            )
        )
    with pytest.raises(Restricted):
        act(messaging.send, town.buyer.id, conv.id, "hello")


# -- reading


def test_unread_counts_and_mark_read(town):
    conv = lamp_chat(town)
    other = lamp_chat(town, town.other_buyer)
    act(messaging.send, town.buyer.id, conv.id, "one")
    act(messaging.send, town.buyer.id, conv.id, "two")
    act(messaging.send, town.other_buyer.id, other.id, "three")
    assert read(messaging.unread_total, town.resident.id) == 3
    assert read(messaging.unread_total, town.buyer.id) == 0
    rows = read(messaging.conversations, town.resident.id)
    assert [(r.id, r.unread, r.preview) for r in rows] == [
        (other.id, 1, "three"),
        (conv.id, 2, "two"),
    ]
    assert rows[0].other_name == "Otto" and rows[0].listing_title == "Brass lamp"
    act(messaging.mark_read, town.resident.id, conv.id)
    assert read(messaging.unread_total, town.resident.id) == 1
    act(messaging.send, town.resident.id, conv.id, "yes")
    assert read(messaging.unread_total, town.buyer.id) == 1
    after = read(messaging.messages_after, town.buyer.id, conv.id, 0)
    assert [m.body for m in after] == ["one", "two", "yes"]
    assert [m.mine for m in after] == [True, True, False]


def test_the_list_is_paged_and_skips_empty_conversations(town):
    lamp_chat(town)
    assert read(messaging.conversations, town.resident.id) == []
    assert read(messaging.conversations, town.buyer.id) == []
    conv = lamp_chat(town)
    act(messaging.send, town.buyer.id, conv.id, "hi")
    bread = act(messaging.start_for_listing, town.buyer.id, town.bread.id)
    act(messaging.send, town.buyer.id, bread.id, "hi shop")
    first = read(messaging.conversations, town.buyer.id, limit=1)
    second = read(messaging.conversations, town.buyer.id, limit=1, offset=1)
    assert [r.id for r in first + second] == [bread.id, conv.id]


# -- reports and hidden messages


def test_report_a_message_from_the_other_side(town):
    conv = lamp_chat(town)
    mine = act(messaging.send, town.buyer.id, conv.id, "hi")
    theirs = act(messaging.send, town.resident.id, conv.id, "pay me outside the app")
    report = act(messaging.report, town.buyer.id, theirs.id, reason="scam", text="off-app")
    assert (report.target_type, report.target_id, report.status) == ("message", theirs.id, "open")
    again = act(messaging.report, town.buyer.id, theirs.id, reason="other", text="still")
    assert again.id == report.id
    with pytest.raises(ValidationFailed) as own:
        act(messaging.report, town.buyer.id, mine.id, reason="scam")
    assert own.value.fields == {"_form": messaging.E_OWN_MESSAGE}
    with pytest.raises(ValidationFailed) as bad:
        act(messaging.report, town.buyer.id, theirs.id, reason="nope")
    assert "reason" in bad.value.fields
    with pytest.raises(NotFound):
        act(messaging.report, town.stranger.id, theirs.id, reason="scam")
    with write_session() as s:
        assert len(s.exec(select(Report).where(Report.target_type == "message")).all()) == 1


def test_hidden_messages_show_the_reason_never_the_words(town):
    conv = lamp_chat(town)
    sent = act(messaging.send, town.resident.id, conv.id, "something nasty")
    with write_session() as s:
        row = s.get(Message, sent.id)
        row.hidden_at = utcnow()
        row.hidden_reason = "Abusive language"
        s.add(row)
    (item,) = read(messaging.thread, town.buyer.id, conv.id).messages
    assert item.hidden and item.body == "" and item.hidden_reason == "Abusive language"
    (row,) = read(messaging.conversations, town.buyer.id)
    assert row.preview_hidden and row.preview == ""
    assert read(messaging.unread_total, town.buyer.id) == 0
    with pytest.raises(NotFound):
        act(messaging.report, town.buyer.id, sent.id, reason="offensive")


# -- reputation


def _say(conv_id: int, sender_id: int, at) -> None:
    with write_session() as s:
        s.add(Message(conversation_id=conv_id, sender_id=sender_id, body="x", created_at=at))


def test_median_first_response_from_a_known_history(town):
    assert read(messaging.median_first_response_minutes, town.resident.id) is None
    t0 = utcnow() - timedelta(days=3)
    buyers = [town.buyer, town.other_buyer, town.stranger, town.moderator]
    convs = [lamp_chat(town, b) for b in buyers]
    # Replies after 10, 30 and 90 minutes; the fourth buyer gets no answer.
    for conv, buyer, wait in zip(convs, buyers, (10, 30, 90, None), strict=True):
        _say(conv.id, buyer.id, t0)
        _say(conv.id, buyer.id, t0 + timedelta(minutes=5))  # a second ask does not restart it
        if wait is not None:
            _say(conv.id, town.resident.id, t0 + timedelta(minutes=wait))
            _say(conv.id, town.resident.id, t0 + timedelta(minutes=wait + 500))
    assert read(messaging.median_first_response_minutes, town.resident.id) == 30
    assert read(reviews.reputation, town.resident.id).median_response_minutes == 30
    # The figure is the seller's: the buyers' own reply times are not counted.
    assert read(messaging.median_first_response_minutes, town.buyer.id) is None


def test_a_seller_opening_line_is_not_a_reply(town):
    conv = lamp_chat(town)
    t0 = utcnow() - timedelta(hours=2)
    _say(conv.id, town.resident.id, t0)
    _say(conv.id, town.buyer.id, t0 + timedelta(minutes=1))
    _say(conv.id, town.resident.id, t0 + timedelta(minutes=8))
    assert read(messaging.median_first_response_minutes, town.resident.id) == 7
