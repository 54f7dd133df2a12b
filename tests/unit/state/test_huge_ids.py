"""Page loaders and handlers given ids too big for a column: "not found", never an error.

Each case runs on SQLite and on PostgreSQL, whose INTEGER ids are 32-bit: an id
past 2**31 - 1 there used to fail inside the database instead of being absent.
"""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.ids import MAX_ID
from marketplace_app.models import Favorite
from marketplace_app.services import auth_sessions
from marketplace_app.state.account import AddressState
from marketplace_app.state.cart import CartState
from marketplace_app.state.catalog import ListingState
from marketplace_app.state.favorites import FavoriteState
from marketplace_app.state.inbox import InboxState
from marketplace_app.state.messages import ThreadState
from marketplace_app.state.moderation import BlocklistState
from marketplace_app.state.my_listings import MyListingsState
from marketplace_app.state.offers import OfferPanelState, OffersState
from marketplace_app.state.operator import OperatorState
from marketplace_app.state.products import ProductEditorState, ShopManageState
from marketplace_app.state.report import ReportState
from marketplace_app.state.reviews import ReviewListState
from marketplace_app.state.sell import SellState
from tests.unit.both_databases import app_db, pg_app_url  # noqa: F401  (fixtures)
from tests.unit.services.conftest import make_user
from tests.unit.state.conftest import call

HUGE = [MAX_ID + 1, 2**63, 10**20]
HUGE_TEXT = [str(n) for n in HUGE] + ["9" * 5000]


@pytest.fixture
def token_for(app_db):  # noqa: F811
    """token_for(role) -> the session cookie of a new user with that role."""

    def create(role: str = "user") -> str:
        with write_session() as s:
            user = make_user(s, "Huge", f"huge-{uuid.uuid4().hex[:8]}@example.com", role=role)
            ticket = auth_sessions.issue_login_ticket(s, user.id)
            return auth_sessions.redeem_login_ticket(s, ticket, user_agent="t", ip="")

    return create


PAGES = [
    (ListingState, "load", "/listing/{}", "user"),
    (ReviewListState, "load_listing", "/listing/{}", "user"),
    (OfferPanelState, "load", "/listing/{}", "user"),
    (SellState, "load", "/sell/{}", "user"),
    (ProductEditorState, "load", "/shop/manage/product/{}", "user"),
    (ThreadState, "load", "/messages/{}", "user"),
]


@pytest.mark.parametrize("raw", HUGE_TEXT)
@pytest.mark.parametrize(
    ("state_cls", "handler", "path", "role"), PAGES, ids=[f"{p[0].__name__}" for p in PAGES]
)
def test_pages_with_huge_ids_in_the_url_are_not_found(
    make_state, token_for, state_cls, handler, path, role, raw
):
    state = make_state(state_cls, token_for(role), path=path.format(raw))
    call(state, handler)
    shown = {
        ListingState: lambda: not state.found,
        ReviewListState: lambda: state.reviews == [],
        OfferPanelState: lambda: not state.shown,
        SellState: lambda: state.not_found,
        ProductEditorState: lambda: state.not_found,
        ThreadState: lambda: not state.found,
    }[state_cls]
    assert shown()


def test_reporting_a_listing_with_a_huge_id_says_not_found(make_state, token_for):
    state = make_state(ReportState, token_for(), path=f"/listing/{2**40}")
    call(state, "submit", {"reason": "scam", "text": "x"})
    assert "_form" in state.errors


HANDLERS = [
    (FavoriteState, "toggle", ("{}",), "user"),
    (MyListingsState, "toggle_pause", ("{}",), "user"),
    (MyListingsState, "mark_sold", ("{}",), "user"),
    (ShopManageState, "publish", ("{}",), "user"),
    (ShopManageState, "set_stock", ("{}", "{}", "3"), "user"),
    (AddressState, "delete", ("{}",), "user"),
    (AddressState, "make_default", ("{}",), "user"),
    (InboxState, "open_item", ("{}",), "user"),
    (ThreadState, "open_listing", ("{}",), "user"),
    (ThreadState, "start_report", ("{}",), "user"),
    (OffersState, "act", ("{}", "withdraw"), "user"),
    (OffersState, "buy", ("{}",), "user"),
    (CartState, "remove_line", ("{}",), "user"),
    (CartState, "set_quantity", ("{}", 1), "user"),
    (SellState, "remove_photo", ("{}",), "user"),
    (SellState, "make_cover", ("{}",), "user"),
    (ProductEditorState, "remove_photo", ("{}",), "user"),
    (BlocklistState, "remove", ("{}",), "admin"),
    (OperatorState, "approve", ("{}",), "moderator"),
    (OperatorState, "approve_listing", ("{}",), "moderator"),
    (OperatorState, "reject", ({"shop_id": "{}", "reason": "no"},), "moderator"),
]


def _fill(arg, value):
    if arg == "{}":
        return value
    if isinstance(arg, dict):
        return {k: str(value) if v == "{}" else v for k, v in arg.items()}
    return arg


@pytest.mark.parametrize("value", [*HUGE, str(2**40)])
@pytest.mark.parametrize(
    ("state_cls", "handler", "args", "role"),
    HANDLERS,
    ids=[f"{h[0].__name__}.{h[1]}" for h in HANDLERS],
)
def test_handlers_given_huge_ids_change_nothing_and_do_not_fail(
    make_state, token_for, state_cls, handler, args, role, value
):
    state = make_state(state_cls, token_for(role))
    call(state, handler, *[_fill(a, value) for a in args])


def test_a_huge_favorite_is_not_stored(make_state, token_for):
    token = token_for()
    state = make_state(FavoriteState, token)
    call(state, "toggle", 2**40)
    assert state.ids == []
    with read_session() as s:
        user, _ = auth_sessions.session_user(s, token)
        assert s.exec(select(Favorite).where(Favorite.user_id == user.id)).all() == []
