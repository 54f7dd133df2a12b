"""The handover window form, called as a browser would: a resident's own, a shop owner's shop's."""

from __future__ import annotations

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Shop, User
from marketplace_app.state.handover_days import HandoverDaysState
from tests.unit.orders_factory import add_staff, make_shop
from tests.unit.state.conftest import call

FIELD = "cash_handover_days"


def test_a_resident_sets_their_window_and_a_bad_value_is_refused_in_place(make_state, login_as):
    rita = login_as("rita@example.com", "Rita")
    form = make_state(HandoverDaysState, rita[1], path="/account")
    call(form, "load_mine")
    assert (form.shown, form.days) == (True, "3")
    assert "1" in form.hint and "14" in form.hint
    key = form.form_key
    call(form, "save", {FIELD: "20"})
    assert set(form.errors) == {FIELD} and not form.saved
    assert form.form_key == key  # the field keeps what was typed
    call(form, "save", {FIELD: "5"})
    assert (form.errors, form.saved, form.days) == ({}, True, "5")
    with read_session() as s:
        assert s.get(User, rita[0]).cash_handover_days == 5


def test_the_shop_page_sets_the_owners_shop_only(make_state, login_as):
    olga = login_as("olga@example.com", "Olga")
    stan = login_as("stan@example.com", "Stan")
    with write_session() as s:
        shop = make_shop(s, s.get(User, olga[0]))
        add_staff(s, shop, s.get(User, stan[0]))
        shop_id = shop.id
    owner = make_state(HandoverDaysState, olga[1], path="/shop/manage")
    call(owner, "load_shop")
    assert (owner.shown, owner.days) == (True, "3")
    call(owner, "save", {FIELD: "7"})
    assert owner.saved
    staff = make_state(HandoverDaysState, stan[1], path="/shop/manage")
    call(staff, "load_shop")
    assert not staff.shown
    call(staff, "save", {FIELD: "1"})
    with read_session() as s:
        assert s.get(Shop, shop_id).cash_handover_days == 7
        assert s.get(User, olga[0]).cash_handover_days == 3
        assert s.get(User, stan[0]).cash_handover_days == 3
