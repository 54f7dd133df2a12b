"""The platform's commission on a seller's order, fixed when the order is placed.

Rates are basis points per seller kind (500 = 5 %): a :class:`CommissionRate`
row when an operator set one, otherwise ``COMMISSION_SHOP_BP`` /
``COMMISSION_RESIDENT_BP`` from the settings. Amounts are integer cents,
rounded half up.
"""

from __future__ import annotations

from sqlmodel import Session

from marketplace_app.models import CommissionRate
from marketplace_app.models.payments import SELLER_KINDS
from marketplace_app.settings import settings

BASIS = 10_000


def rate_bp(session: Session, seller_kind: str) -> int:
    """The commission rate for a kind of seller, in basis points.

    Args:
        session: any session.
        seller_kind: "shop" or "resident".

    Returns:
        The rate from the ``commission_rates`` table, else from the settings.

    Raises:
        ValueError: an unknown seller kind.
    """
    if seller_kind not in SELLER_KINDS:
        raise ValueError(f"unknown seller kind {seller_kind!r}")
    row = session.get(CommissionRate, seller_kind)
    if row is not None:
        return row.basis_points
    return settings.commission_shop_bp if seller_kind == "shop" else settings.commission_resident_bp


def apply_rate(basis_points: int, amount_cents: int) -> int:
    """``amount_cents`` times a rate, rounded half up to whole cents (no float).

    Args:
        basis_points: the rate (0 to 10,000).
        amount_cents: a non-negative amount.

    Returns:
        The commission in cents.
    """
    if amount_cents < 0 or basis_points < 0:
        raise ValueError("amount and rate must not be negative")
    return (amount_cents * basis_points + BASIS // 2) // BASIS


def commission_cents(session: Session, seller_kind: str, amount_cents: int) -> int:
    """The platform's commission on an amount sold by a kind of seller.

    Args:
        session: any session.
        seller_kind: "shop" or "resident".
        amount_cents: what the commission is taken from (an order's goods
            subtotal, after discounts; delivery fees carry none).

    Returns:
        The commission in cents, rounded half up.
    """
    return apply_rate(rate_bp(session, seller_kind), amount_cents)
