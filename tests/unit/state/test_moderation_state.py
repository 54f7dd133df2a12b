"""Moderation handlers called as a browser would: the queue's new actions, the audit
reader, the blocklist and "report this member"; normal users change nothing.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.i18n import translate
from marketplace_app.models import BlockedTerm, Listing, Report, Sanction, Shop
from marketplace_app.services import blocklist
from marketplace_app.settings import settings
from marketplace_app.state.moderation import AuditState, BlocklistState
from marketplace_app.state.operator import OperatorState
from marketplace_app.state.report import MemberReportState
from tests.unit.state.conftest import call, redirect_target
from tests.unit.state.test_shops_state import make_product, make_shop, promote


@pytest.fixture
def cast(login_as):
    """A seller with a product, a plain user, a moderator and an admin: (id, token) each."""
    seller = login_as("seller@example.com", "Sally")
    user = login_as("user@example.com", "Uma")
    mod = login_as("mod@example.com", "Mod")
    admin = login_as("admin@example.com", "Ada")
    promote(mod[0], "moderator")
    promote(admin[0], "admin")
    product, _ = make_product(seller[0], make_shop(seller[0], "Apiary"))
    return {"seller": seller, "user": user, "mod": mod, "admin": admin, "product": product}


def member_report(reporter_id: int, user_id: int) -> int:
    with write_session() as s:
        report = Report(
            reporter_id=reporter_id, target_type="user", target_id=user_id, reason="scam"
        )
        s.add(report)
        s.flush()
        return report.id


def test_report_this_member_from_a_listing_page(make_state, cast):
    _, token = cast["user"]
    path = f"/listing/{cast['product']}"
    state = make_state(MemberReportState, token=token, path=path)
    call(state, "start")
    call(state, "submit", {"reason": "other", "text": ""})
    assert set(state.errors) == {"text"} and not state.sent
    call(state, "submit", {"reason": "scam", "text": "Never delivers"})
    assert state.sent and state.errors == {}
    with read_session() as s:
        (row,) = s.exec(select(Report)).all()
        assert (row.target_type, row.target_id, row.text) == (
            "user",
            cast["seller"][0],
            "Never delivers",
        )
    guest = make_state(MemberReportState, path=path)
    assert redirect_target(call(guest, "submit", {"reason": "scam"})).startswith("/login")


def test_a_normal_user_cannot_act_from_the_queue(make_state, cast):
    user_id, token = cast["user"]
    report_id = member_report(user_id, cast["seller"][0])
    state = make_state(OperatorState, token=token, path="/admin/queue")
    call(state, "choose", "ban")
    for name, args in (
        ("decide_user_report", ({"report_id": str(report_id), "reason": "x"},)),
        ("approve_listing", (cast["product"],)),
        ("reject_listing", ({"listing_id": str(cast["product"]), "reason": "x"},)),
        ("lift", ({"sanction_id": "1"},)),
    ):
        assert redirect_target(call(state, name, *args)) == "/"
    with read_session() as s:
        assert s.get(Report, report_id).status == "open"
        assert s.exec(select(Sanction)).all() == []


def test_a_moderator_suspends_from_a_member_report_then_lifts(make_state, cast):
    seller_id, _ = cast["seller"]
    report_id = member_report(cast["user"][0], seller_id)
    state = make_state(
        OperatorState, token=cast["mod"][1], path="/admin/queue", query="tab=reports"
    )
    call(state, "load")
    (row,) = state.user_reports
    assert (row.member, row.listings.split()[0]) == ("Sally", "1")
    form = {"report_id": str(report_id), "reason": "Fraud", "days": "400"}
    call(state, "choose", "suspend")
    call(state, "decide_user_report", form)
    assert f"user-report-{report_id}" in state.row_errors  # 400 days: refused next to the row
    call(state, "choose", "hide")
    call(state, "decide_user_report", {**form, "days": "3"})  # Enter in the reason: nothing
    assert len(state.user_reports) == 1
    call(state, "choose", "suspend")
    call(state, "decide_user_report", {**form, "days": "3"})
    assert state.user_reports == [] and state.row_errors == {}
    (sanction,) = state.sanctions
    assert (sanction.member, sanction.kind) == ("Sally", "suspend")
    call(state, "lift", {"sanction_id": str(sanction.id), "reason": "Appeal"})
    assert state.sanctions == []


def test_held_listings_are_approved_from_the_queue(make_state, cast):
    with write_session() as s:
        blocklist.add_term(s, actor_id=cast["admin"][0], term="honey")  # the product's words
    seller_id, _ = cast["seller"]
    product, _ = make_product(seller_id, make_shop(seller_id, "Second"))
    state = make_state(OperatorState, token=cast["mod"][1], path="/admin/queue")
    call(state, "load")
    assert [p.id for p in state.pending] == [product] and not state.is_admin
    call(state, "approve_listing", product)
    assert state.pending == []


def test_the_audit_reader_filters_and_refuses_bad_dates(make_state, cast):
    with write_session() as s:
        blocklist.add_term(s, actor_id=cast["admin"][0], term="knife")
    state = make_state(AuditState, token=cast["admin"][1], path="/admin/audit")
    call(state, "load")
    assert [r.action for r in state.rows] == ["blocklist.add"]
    call(state, "apply", {"action": "sanction.", "since": "", "until": ""})
    assert state.rows == [] and state.errors == {}
    call(state, "apply", {"actor": "ada", "since": "2026-13-01"})
    assert set(state.errors) == {"since"} and state.actor == "ada"
    user = make_state(AuditState, token=cast["user"][1], path="/admin/audit")
    assert redirect_target(call(user, "load")) == "/"
    assert user.rows == []


def test_only_admins_manage_the_blocklist(make_state, cast):
    admin = make_state(BlocklistState, token=cast["admin"][1], path="/admin/blocklist")
    call(admin, "load")
    call(admin, "add", {"term": "Replica"})
    call(admin, "add", {"term": "replica"})
    assert set(admin.errors) == {"term"}
    assert [t.term for t in admin.terms] == ["replica"]
    mod = make_state(BlocklistState, token=cast["mod"][1], path="/admin/blocklist")
    assert redirect_target(call(mod, "remove", admin.terms[0].id)) == "/"
    call(admin, "remove", admin.terms[0].id)
    with read_session() as s:
        assert s.exec(select(BlockedTerm)).all() == []


def test_the_queue_offers_no_decision_on_an_operators_own_things(make_state, cast):
    """An operator's own shop application and held product: no buttons, and refused anyway."""
    with write_session() as s:
        blocklist.add_term(s, actor_id=cast["admin"][0], term="honey")  # the product's words
    for who in ("mod", "admin"):  # an admin is no exception
        operator_id, token = cast[who]
        product, _ = make_product(operator_id, make_shop(operator_id, f"Hive {who}"))
        with write_session() as s:
            s.add(Shop(owner_id=operator_id, name=f"Deli {who}", slug=f"deli-{who}"))
        state = make_state(OperatorState, token=token, path="/admin/queue")
        call(state, "load")
        own_apps = [a for a in state.applications if a.mine]
        own_held = [p for p in state.pending if p.mine]
        assert [a.name for a in own_apps] == [f"Deli {who}"]
        assert [p.id for p in own_held] == [product]
        call(state, "approve", own_apps[0].id)
        call(state, "approve_listing", product)
        message = translate(settings.default_locale, "error.own_case")
        assert state.row_errors == {
            f"shop-{own_apps[0].id}": message,
            f"pending-{product}": message,
        }
        with read_session() as s:
            assert s.get(Listing, product).status == "pending"
            assert s.get(Shop, own_apps[0].id).status == "pending"
    # Each operator decides the other's.
    state = make_state(OperatorState, token=cast["mod"][1], path="/admin/queue")
    call(state, "load")
    others = [p.id for p in state.pending if not p.mine]
    assert len(others) == 1
    call(state, "approve_listing", others[0])
    assert state.row_errors == {}
