"""Commission: rates per seller kind from the table or the settings, rounded half up."""

from __future__ import annotations

import pytest

from marketplace_app.db import write_session
from marketplace_app.models import CommissionRate
from marketplace_app.services import commission


def test_default_rates_come_from_the_settings(session):
    assert commission.rate_bp(session, "shop") == 500
    assert commission.rate_bp(session, "resident") == 300
    assert commission.commission_cents(session, "shop", 10_000) == 500
    assert commission.commission_cents(session, "resident", 10_000) == 300


def test_a_rate_row_overrides_the_settings(db):
    with write_session() as s:
        s.add(CommissionRate(seller_kind="resident", basis_points=1250))
    with write_session() as s:
        assert commission.commission_cents(s, "resident", 10_000) == 1250
        assert commission.commission_cents(s, "shop", 10_000) == 500


@pytest.mark.parametrize(
    ("bp", "amount", "expected"),
    [
        (500, 10, 1),  # 0.5 cent rounds up
        (500, 9, 0),  # 0.45 rounds down
        (500, 30, 2),  # 1.5 rounds up
        (300, 2500, 75),
        (333, 1, 0),
        (0, 12345, 0),
        (10_000, 777, 777),
        (500, 0, 0),
    ],
)
def test_rounding_is_half_up_in_whole_cents(bp, amount, expected):
    assert commission.apply_rate(bp, amount) == expected


def test_unknown_kinds_and_negative_amounts_are_bugs(session):
    with pytest.raises(ValueError):
        commission.rate_bp(session, "bank")
    with pytest.raises(ValueError):
        commission.apply_rate(500, -1)
