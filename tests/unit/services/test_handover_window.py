"""The cash handover window: the sellers' setting (checked, owners only), each order's deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import AuditEntry, Shop, User
from marketplace_app.models.base import HANDOVER_DAYS_DEFAULT
from marketplace_app.services import handover_window
from marketplace_app.services.errors import NotFound, ValidationFailed
from tests.unit.orders_factory import add_staff, make_shop
from tests.unit.services.conftest import make_user

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def people(db):
    with write_session() as s:
        rita, olga, stan = make_user(s, "Rita"), make_user(s, "Olga"), make_user(s, "Stan")
        shop = make_shop(s, olga)
        add_staff(s, shop, stan)
        return {"rita": rita.id, "olga": olga.id, "stan": stan.id, "shop": shop.id}


@pytest.mark.parametrize("typed", ["1", "7", " 14 ", "03"])
def test_whole_days_from_one_to_fourteen(typed):
    assert handover_window.parse_days(typed) == int(typed)


@pytest.mark.parametrize(
    "typed", ["", "0", "15", "-2", "3.5", "three", "１", "1e1", "9999", None, 5]
)
def test_anything_else_is_refused_with_the_range(typed):
    with pytest.raises(ValidationFailed) as caught:
        handover_window.parse_days(typed)
    assert caught.value.fields == {"cash_handover_days": handover_window.E_DAYS}
    assert caught.value.params == {"min": 1, "max": 14}


def test_a_resident_sets_their_own_window(people):
    with read_session() as s:
        assert handover_window.resident_days(s, people["rita"]) == HANDOVER_DAYS_DEFAULT
    with write_session() as s:
        assert handover_window.set_resident_days(s, people["rita"], "5") == 5
    with pytest.raises(ValidationFailed), write_session() as s:
        handover_window.set_resident_days(s, people["rita"], "30")
    with read_session() as s:
        assert s.get(User, people["rita"]).cash_handover_days == 5


def test_only_the_owner_of_an_approved_shop_sets_its_window(people):
    with read_session() as s:
        assert handover_window.owned_shop_days(s, people["olga"]) == (people["shop"], 3)
        assert handover_window.owned_shop_days(s, people["stan"]) is None
    with write_session() as s:
        assert handover_window.set_shop_days(s, people["olga"], people["shop"], "9") == 9
    for who in ("stan", "rita"):
        with pytest.raises(NotFound), write_session() as s:
            handover_window.set_shop_days(s, people[who], people["shop"], "1")
    with pytest.raises(NotFound), write_session() as s:
        handover_window.set_shop_days(s, people["olga"], "1", "1")
    with write_session() as s:
        s.get(Shop, people["shop"]).status = "suspended"
    with pytest.raises(NotFound), write_session() as s:
        handover_window.set_shop_days(s, people["olga"], people["shop"], "4")
    with read_session() as s:
        assert s.get(Shop, people["shop"]).cash_handover_days == 9
        assert handover_window.owned_shop_days(s, people["olga"]) is None
        (entry,) = s.exec(select(AuditEntry)).all()
        assert (entry.action, entry.actor_id, entry.reason) == (
            "shop.cash_handover_days",
            people["olga"],
            "9d",
        )


def test_the_deadline_counts_from_the_order_or_a_later_pickup_slot(people):
    with write_session() as s:
        handover_window.set_resident_days(s, people["rita"], "2")
        handover_window.set_shop_days(s, people["olga"], people["shop"], "6")
    with read_session() as s:
        due = handover_window.due_at
        assert due(s, people["rita"], None, NOW) == NOW + timedelta(days=2)
        assert due(s, people["olga"], people["shop"], NOW) == NOW + timedelta(days=6)
        slot_end = NOW + timedelta(days=4)
        assert due(s, people["rita"], None, NOW, slot_end) == slot_end + timedelta(days=2)
        assert due(s, people["rita"], None, NOW, NOW - timedelta(hours=1)) == NOW + timedelta(
            days=2
        )
