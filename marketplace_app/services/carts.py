"""Carts stored in the database (the buying milestone adds lines and checkout)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from marketplace_app.models import Cart, CartLine


def count_units(session: Session, user_id: int) -> int:
    """Units in a user's cart: the number the navigation shows."""
    total = session.exec(
        select(func.coalesce(func.sum(CartLine.quantity), 0))
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(Cart.user_id == user_id)
    ).one()
    return int(total)
