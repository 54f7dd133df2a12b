"""Fulfilment: delivery options, pickup slots from opening hours, handover codes, QR images."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from marketplace_app.models import Listing, Shop
from marketplace_app.services import fulfilment
from marketplace_app.settings import settings

ZONE = ZoneInfo(settings.timezone)
# Monday 2 Nov 2026, 09:30 local time.
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=ZONE).astimezone(UTC)


def local(slot: fulfilment.Slot) -> tuple[str, str]:
    return (
        slot.starts_at.astimezone(ZONE).strftime("%a %H:%M"),
        slot.ends_at.astimezone(ZONE).strftime("%H:%M"),
    )


def shop_with(hours: dict) -> Shop:
    return Shop(
        owner_id=1, name="S", slug="s", opening_hours=json.dumps(hours), pickup_point="Counter"
    )


def test_shop_slots_follow_the_opening_hours_and_the_lead_time():
    shop = shop_with({"mon": [["08:00", "12:00"], ["14:00", "15:30"]], "wed": [["10:00", "11:00"]]})
    slots = fulfilment.pickup_slots(shop, NOW)
    assert [local(s) for s in slots] == [
        ("Mon 11:00", "12:00"),  # 10:00 starts within the hour ahead; 08:00 and 09:00 passed
        ("Mon 14:00", "15:00"),  # 15:00-16:00 would end after closing
        ("Wed 10:00", "11:00"),  # seven days from today: next Monday is not offered yet
    ]
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in slots)
    assert all(s.starts_at.tzinfo is not None for s in slots)


def test_a_shop_closed_all_week_offers_no_slots_and_bad_hours_are_skipped():
    assert fulfilment.pickup_slots(shop_with({}), NOW) == []
    shop = shop_with({"tue": [["18:00", "10:00"], ["9am", "5pm"], ["10:00", "11:00"]]})
    assert [local(s) for s in fulfilment.pickup_slots(shop, NOW)] == [("Tue 10:00", "11:00")]


def test_a_shop_open_until_midnight():
    shop = shop_with({"tue": [["22:00", "24:00"]]})
    assert [local(s) for s in fulfilment.pickup_slots(shop, NOW)] == [
        ("Tue 22:00", "23:00"),
        ("Tue 23:00", "00:00"),
    ]


def test_residents_offer_daytime_slots_for_three_days():
    slots = fulfilment.pickup_slots(None, NOW)
    days = {s.starts_at.astimezone(ZONE).date() for s in slots}
    assert len(days) == 3
    assert local(slots[0]) == ("Mon 11:00", "12:00")
    assert local(slots[-1]) == ("Wed 19:00", "20:00")
    assert len(slots) == 9 + 11 + 11
    assert len({s.key for s in slots}) == len(slots)


def test_slot_keys_are_utc_minutes():
    slot = fulfilment.pickup_slots(None, NOW)[0]
    assert slot.key == "2026-11-02T03:00Z"
    assert fulfilment.slot_key(slot.starts_at.astimezone(ZONE)) == slot.key


@pytest.mark.parametrize(
    "hours", [None, {"mon": [["08:00", "12:00"]], "thu": [["18:00", "22:00"]]}]
)
def test_find_slot_agrees_with_the_offered_slots(hours):
    shop = shop_with(hours) if hours else None
    offered = fulfilment.pickup_slots(shop, NOW)
    for slot in offered:
        assert fulfilment.find_slot(shop, slot.key, NOW) == slot
    offered_keys = {s.key for s in offered}
    for hour in range(24 * 8):
        start = NOW.replace(minute=0) + timedelta(hours=hour)
        key = fulfilment.slot_key(start)
        assert (fulfilment.find_slot(shop, key, NOW) is not None) == (key in offered_keys)
    for bad in ("", "tomorrow", "2026-11-02T03:00", "2026-13-02T03:00Z", None, 5):
        assert fulfilment.find_slot(shop, bad, NOW) is None


def listing(**kw) -> Listing:
    return Listing(seller_id=1, kind="secondhand", title="x", price_cents=1, **kw)


def test_delivery_options_are_what_every_listing_allows_at_the_highest_fee():
    a = listing(pickup=True, local_delivery_fee_cents=300, courier_fee_cents=1000)
    b = listing(pickup=True, local_delivery_fee_cents=500, courier_fee_cents=None)
    c = listing(pickup=False, local_delivery_fee_cents=0, courier_fee_cents=800)
    assert fulfilment.delivery_options([a]) == {"pickup": 0, "local": 300, "courier": 1000}
    assert fulfilment.delivery_options([a, b]) == {"pickup": 0, "local": 500}
    assert fulfilment.delivery_options([a, c]) == {"local": 300, "courier": 1000}
    assert fulfilment.delivery_options([b, c]) == {"local": 500}
    assert fulfilment.delivery_options([]) == {}


def test_pickup_place():
    shop = shop_with({})
    assert fulfilment.pickup_place(shop, []) == "Counter"
    shop.pickup_point, shop.address = "", "Bell St 12"
    assert fulfilment.pickup_place(shop, []) == "Bell St 12"
    assert fulfilment.pickup_place(None, [listing(district=""), listing(district="Riverside")]) == (
        "Riverside"
    )


def test_handover_codes_are_six_digits_derived_per_order():
    code = fulfilment.handover_code(7, "MP-2611-7K3QXA")
    assert len(code) == 6 and code.isdigit()
    assert fulfilment.handover_code(7, "MP-2611-7K3QXA") == code
    others = {fulfilment.handover_code(i, f"MP-2611-{i:06d}") for i in range(200)}
    assert len(others) > 190


def test_handover_code_hash_and_check():
    code = fulfilment.handover_code(3, "MP-2611-AAAAAA")
    stored = fulfilment.code_hash(code)
    assert stored == hashlib.sha256(code.encode()).hexdigest()
    assert fulfilment.code_matches(stored, code)
    assert fulfilment.code_matches(stored, f" {code[:3]} {code[3:]} ")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for typed in (wrong, "", code[:5], code + "0", "abcdef", None, 123456):
        assert not fulfilment.code_matches(stored, typed)
    assert not fulfilment.code_matches("", code)


def test_qr_png_is_a_png_image():
    png = fulfilment.qr_png("MP-2611-7K3QXA 123456")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 100
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png))
    assert image.width == image.height >= 100


@pytest.mark.parametrize("bad", ["", "x" * 501, None])
def test_qr_png_refuses_empty_or_huge_text(bad):
    with pytest.raises(ValueError):
        fulfilment.qr_png(bad)
