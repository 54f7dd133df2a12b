"""In-app notices with an email in the reader's language."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import InboxItem, OutboxEmail
from marketplace_app.services import inbox
from marketplace_app.services.errors import NotFound
from tests.unit.services.conftest import make_user


def test_notify_writes_a_notice_and_queues_an_email_in_the_users_language(session):
    mei = make_user(session, "Mei", locale="zh-CN")
    tom = make_user(session, "Tom", locale="en")
    for user in (mei, tom):
        inbox.notify(session, user.id, "inbox.order.paid", {"number": "AB12"}, "/orders/AB12")
    items = session.exec(select(InboxItem).order_by(InboxItem.id)).all()
    assert [(i.user_id, i.message_key, i.link) for i in items] == [
        (mei.id, "inbox.order.paid", "/orders/AB12"),
        (tom.id, "inbox.order.paid", "/orders/AB12"),
    ]
    assert inbox.params_of(items[0]) == {"number": "AB12"}
    mails = {m.to_addr: m for m in session.exec(select(OutboxEmail)).all()}
    assert "订单 AB12 已付款" in mails[mei.email].subject
    assert mails[mei.email].body_text.startswith("Mei，你好")
    assert mails[tom.email].subject.endswith("Order AB12 is paid.")
    assert "/orders/AB12" in mails[tom.email].body_text
    assert mails[tom.email].status == "pending"


def test_no_email_for_a_user_without_one(session):
    phone_only = make_user(session, "Lin", email=None, phone="+8613800000000")
    inbox.notify(session, phone_only.id, "inbox.order.completed", {"number": "Z9"}, "")
    assert len(session.exec(select(InboxItem)).all()) == 1
    assert session.exec(select(OutboxEmail)).all() == []


def test_notice_and_email_exist_only_if_the_transaction_commits(db):
    with write_session() as s:
        user_id = make_user(s, "Ann").id
    with pytest.raises(RuntimeError), write_session() as s:
        inbox.notify(s, user_id, "inbox.order.paid", {"number": "X1"}, "/orders/X1")
        raise RuntimeError("the order change failed")
    with read_session() as s:
        assert s.exec(select(InboxItem)).all() == []
        assert s.exec(select(OutboxEmail)).all() == []


@pytest.mark.parametrize(
    ("key", "params", "link", "error"),
    [
        ("inbox.no_such_key", {}, "", KeyError),
        ("inbox.order.paid", {}, "", KeyError),  # missing placeholder
        ("inbox.order.paid", {"number": "1"}, "https://evil.example/", ValueError),
        ("inbox.order.paid", {"number": "1"}, "//evil.example/", ValueError),
        ("inbox.order.paid", {"number": "x" * 3000}, "", ValueError),
    ],
)
def test_bad_notices_fail_loudly(session, key, params, link, error):
    user = make_user(session, "Ann")
    with pytest.raises(error):
        inbox.notify(session, user.id, key, params, link)


def test_list_unread_count_open_and_mark_all(session):
    ann = make_user(session, "Ann")
    bob = make_user(session, "Bob")
    for n in range(3):
        inbox.notify(session, ann.id, "inbox.order.paid", {"number": f"N{n}"}, f"/orders/N{n}")
    inbox.notify(session, bob.id, "inbox.order.paid", {"number": "B"}, "")
    listed = inbox.items(session, ann.id)
    assert [inbox.params_of(i)["number"] for i in listed] == ["N2", "N1", "N0"]
    assert inbox.unread_count(session, ann.id) == 3
    assert inbox.open_item(session, ann.id, listed[0].id) == "/orders/N2"
    assert inbox.open_item(session, ann.id, listed[0].id) == "/orders/N2"  # again: harmless
    assert inbox.unread_count(session, ann.id) == 2
    bobs = inbox.items(session, bob.id)[0]
    for other in (bobs.id, 999_999, "1", None):
        with pytest.raises(NotFound):
            inbox.open_item(session, ann.id, other)
    assert inbox.mark_all_read(session, ann.id) == 2
    assert inbox.unread_count(session, ann.id) == 0
    assert inbox.unread_count(session, bob.id) == 1


def test_render_follows_the_readers_language():
    assert inbox.render("en", "inbox.order.shipped", {"number": "A", "tracking": "T1"}) == (
        "Order A was shipped. Tracking number: T1."
    )
    assert "快递单号：T1" in inbox.render(
        "zh-CN", "inbox.order.shipped", {"number": "A", "tracking": "T1"}
    )
