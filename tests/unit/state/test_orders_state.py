"""Order, inbox and dispute handlers called as a browser would: own orders only."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
import reflex as rx
from PIL import Image
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Listing, Order, OrderGroup, RefundRequest, User
from marketplace_app.services import inbox, media, orders
from marketplace_app.settings import settings
from marketplace_app.state.inbox import InboxState
from marketplace_app.state.orders import (
    DisputesState,
    OrderGroupState,
    OrdersState,
    OrderState,
    SellerOrdersState,
)
from marketplace_app.state.session import SessionState
from tests.unit.invariants import check_invariants
from tests.unit.orders_factory import code_of, make_listing, make_shop, pay, place
from tests.unit.state.conftest import call, redirect_target


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(media, "settings", dataclasses.replace(settings, upload_dir=tmp_path))
    return media.media_dir()


@dataclasses.dataclass
class Cast:
    buyer: tuple[int, str]
    seller: tuple[int, str]
    stranger: tuple[int, str]
    moderator: tuple[int, str]
    order: Order
    group_public_id: str
    bread_id: int


@pytest.fixture
def cast(login_as):
    buyer = login_as("buyer@example.com", "Bea")
    seller = login_as("seller@example.com", "Olga")
    stranger = login_as("stranger@example.com", "Sam")
    moderator = login_as("mod@example.com", "Mona")
    with write_session() as s:
        s.get(User, moderator[0]).role = "moderator"
        shop = make_shop(s, s.get(User, seller[0]))
        bread = make_listing(s, s.get(User, seller[0]), shop=shop, stock=20)
        order = place(s, s.get(User, buyer[0]), [(bread, None, 2)])
        pay(s, order.group_id)
        public_id = s.get(OrderGroup, order.group_id).public_id
    yield Cast(buyer, seller, stranger, moderator, order, public_id, bread.id)
    with read_session() as s:
        check_invariants(s)


def shell_of(state) -> SessionState:
    """The SessionState of the same browser tab as ``state``."""
    return state.parent_state.get_substate(SessionState.get_full_name().split("."))


def status(order: Order) -> str:
    with read_session() as s:
        return s.get(Order, order.id).status


def order_state(make_state, who: tuple[int, str], number: str) -> OrderState:
    state = make_state(OrderState, who[1], path=f"/orders/{number}")
    call(state, "load")
    return state


def test_buyer_and_seller_lists(make_state, cast):
    mine = make_state(OrdersState, cast.buyer[1], path="/orders")
    call(mine, "load")
    assert [r.number for r in mine.rows] == [cast.order.number]
    assert mine.rows[0].status == "paid" and mine.rows[0].href == f"/orders/{cast.order.number}"
    theirs = make_state(OrdersState, cast.stranger[1], path="/orders")
    call(theirs, "load")
    assert theirs.rows == [] and theirs.loaded
    incoming = make_state(
        SellerOrdersState, cast.seller[1], path="/seller/orders", query="status=to_do"
    )
    call(incoming, "load")
    assert incoming.current == "to_do"
    assert [r.number for r in incoming.rows] == [cast.order.number]
    odd = make_state(SellerOrdersState, cast.seller[1], path="/seller/orders", query="status=<x>")
    call(odd, "load")
    assert odd.current == "all"


def test_logged_out_visitors_are_sent_to_login(make_state, cast):
    state = make_state(OrderState, None, path=f"/orders/{cast.order.number}")
    spec = call(state, "load")
    assert redirect_target(spec).startswith("/login?next=")
    assert state.number == ""


def test_a_stranger_sees_not_found_and_cannot_act(make_state, cast):
    state = order_state(make_state, cast.stranger, cast.order.number)
    assert state.not_found and state.number == ""
    for handler, args in (
        ("cancel", ({"reason": "x"},)),
        ("mark_ready", ()),
        ("confirm_handover", ({"code": code_of(cast.order)},)),
        ("confirm_receipt", ()),
        ("accept_refund", ()),
    ):
        call(state, handler, *args)
    assert status(cast.order) == "paid"
    # the group page of another buyer's checkout is "not found" too
    group = make_state(
        OrderGroupState, cast.stranger[1], path=f"/orders/group/{cast.group_public_id}"
    )
    call(group, "load")
    assert group.not_found and group.rows == []


def test_seller_fulfils_and_buyer_sees_the_code(make_state, cast):
    seller = order_state(make_state, cast.seller, cast.order.number)
    assert seller.viewer == "seller" and "mark_ready" in seller.actions
    assert seller.handover_code == ""  # never shown to the seller
    call(seller, "mark_ready")
    assert seller.status == "ready_for_pickup" and seller.flash
    buyer = order_state(make_state, cast.buyer, cast.order.number)
    assert buyer.viewer == "buyer"
    assert buyer.handover_code == code_of(cast.order) and len(buyer.handover_code) == 6
    assert buyer.qr_src.startswith("data:image/png;base64,")
    assert [s.state for s in buyer.steps] == ["done", "done", "current", "todo", "todo"]
    assert len(buyer.timeline) == 3
    # a wrong code is refused next to the field and counted
    call(
        seller,
        "confirm_handover",
        {"code": "000000" if code_of(cast.order) != "000000" else "111111"},
    )
    assert "code" in seller.errors and seller.attempts_left == 4
    call(seller, "confirm_handover", "not a form")
    assert "code" in seller.errors
    call(seller, "confirm_handover", {"code": code_of(cast.order)})
    assert seller.status == "handed_over" and seller.errors == {}
    call(buyer, "load")
    assert "confirm_receipt" in buyer.actions and "request_refund" in buyer.actions
    assert buyer.due_note
    call(buyer, "confirm_receipt")
    assert buyer.status == "completed"
    assert [s.state for s in buyer.steps] == ["done"] * 5
    assert shell_of(buyer).unread_count == 4  # paid, ready, handed over, completed


def test_buyer_cannot_use_seller_handlers_on_own_order(make_state, cast):
    buyer = order_state(make_state, cast.buyer, cast.order.number)
    call(buyer, "mark_ready")
    assert "_form" in buyer.errors
    call(buyer, "decline_refund", {"statement": "no"})
    assert status(cast.order) == "paid"


def test_refund_request_with_photos_then_dispute(make_state, cast):
    seller = order_state(make_state, cast.seller, cast.order.number)
    call(seller, "mark_ready")
    call(seller, "confirm_handover", {"code": code_of(cast.order)})
    buyer = order_state(make_state, cast.buyer, cast.order.number)
    call(buyer, "toggle_refund_form")
    assert buyer.refund_form_open
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 30, 30)).save(buf, "JPEG")
    data = buf.getvalue()
    photo = rx.UploadFile(file=io.BytesIO(data), path=Path("crumbs.jpg"), size=len(data))
    call(buyer, "upload_refund_photos", [photo])
    assert len(buyer.new_photos) == 1 and buyer.new_photos[0].alt
    too_many = [
        rx.UploadFile(file=io.BytesIO(data), path=Path(f"p{i}.jpg"), size=len(data))
        for i in range(5)
    ]
    call(buyer, "upload_refund_photos", too_many)
    assert "photos" in buyer.errors and len(buyer.new_photos) == 1
    call(buyer, "request_refund", {"reason": "nonsense", "statement": ""})
    assert set(buyer.errors) == {"reason", "statement"}
    assert len(buyer.new_photos) == 1  # kept for the next try
    call(buyer, "request_refund", {"reason": "damaged", "statement": "Squashed."})
    assert buyer.status == "refund_requested" and not buyer.refund_form_open
    with read_session() as s:
        refund = s.exec(select(RefundRequest)).one()
    assert refund.photo_keys and len(orders.photo_keys(refund)) == 1
    assert len(buyer.refund_photos) == 1
    call(seller, "load")
    call(seller, "decline_refund", {"statement": ""})
    assert "statement" in seller.errors
    call(seller, "decline_refund", {"statement": "It left the shop intact."})
    assert seller.status == "refund_declined"
    call(buyer, "load")
    call(buyer, "escalate")
    assert buyer.status == "disputed"
    # operators only
    nobody = make_state(DisputesState, cast.buyer[1], path="/admin/disputes")
    assert redirect_target(call(nobody, "load")) == "/"
    desk = make_state(DisputesState, cast.moderator[1], path="/admin/disputes")
    call(desk, "load")
    assert [c.number for c in desk.cases] == [cast.order.number]
    case = desk.cases[0]
    assert case.buyer_statement == "Squashed."
    assert case.seller_statement == "It left the shop intact."
    assert len(case.photos) == 1 and len(case.timeline) == 7
    call(desk, "choose", "release")
    call(desk, "decide", {"number": cast.order.number, "reason": ""})
    assert cast.order.number in desk.row_errors
    call(desk, "choose", "refund")
    call(desk, "decide", {"number": cast.order.number, "reason": "Photos show damage."})
    assert desk.notice and desk.cases == []
    assert status(cast.order) == "refunded"


def test_inbox_lists_opens_and_counts(make_state, cast):
    shell = make_state(SessionState, cast.seller[1], path="/")
    call(shell, "load")
    assert shell.unread_count == 1  # the order was paid
    box = make_state(InboxState, cast.seller[1], path="/inbox")
    call(box, "load")
    assert len(box.items) == 1 and box.items[0].unread
    assert cast.order.number in box.items[0].text
    spec = call(box, "open_item", box.items[0].id)
    assert redirect_target(spec) == f"/orders/{cast.order.number}"
    assert not box.items[0].unread
    assert shell_of(box).unread_count == 0
    # another user's notice cannot be opened; junk ids are ignored
    stranger = make_state(InboxState, cast.stranger[1], path="/inbox")
    call(stranger, "load")
    assert stranger.items == []
    assert call(stranger, "open_item", box.items[0].id) is None
    assert call(stranger, "open_item", "1") is None
    with read_session() as s:
        assert inbox.unread_count(s, cast.buyer[0]) == 1
    buyer_box = make_state(InboxState, cast.buyer[1], path="/inbox")
    call(buyer_box, "mark_all_read")
    with read_session() as s:
        assert inbox.unread_count(s, cast.buyer[0]) == 0


def test_group_page_shows_what_was_paid(make_state, cast):
    group = make_state(OrderGroupState, cast.buyer[1], path=f"/orders/group/{cast.group_public_id}")
    call(group, "load")
    assert not group.not_found and group.pending == 0
    assert [r.number for r in group.rows] == [cast.order.number]
    with write_session() as s:
        bread = s.get(Listing, cast.bread_id)
        pending = place(s, s.get(User, cast.buyer[0]), [(bread, None, 1)])
        public_id = s.get(OrderGroup, pending.group_id).public_id
    waiting = make_state(OrderGroupState, cast.buyer[1], path=f"/orders/group/{public_id}")
    spec = call(waiting, "load")
    assert waiting.pending == 1 and spec is not None  # asks the browser to look again
    with write_session() as s:
        pay(s, pending.group_id)
    call(waiting, "poll", 1)
    assert waiting.pending == 0
