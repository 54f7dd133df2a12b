"""Put a paid escrow order into the e2e app's database, through the order services.

Run with the app's environment (``python -m tests.e2e.order_seed ...``): it
creates the buyer and the seller when their emails are new, a one-off item for
sale, an order for it as checkout would place it, and pays it through
``orders.mark_group_paid``. With ``--complete`` it is a cash pickup that the
seller hands over at once (so it is completed and open for reviews).
Prints ``{"number": ..., "listing_id": ...}``.
"""

from __future__ import annotations

import argparse
import json
import uuid

from sqlmodel import select

from marketplace_app.db import write_session
from marketplace_app.models import Category
from marketplace_app.services import accounts, orders
from tests.unit.orders_factory import code_of, make_listing, pay, place


def _user(session, email: str, name: str, password: str):
    found = accounts.user_by_contact(session, "email", email)
    if found is not None:
        return found
    return accounts.register(session, name=name, contact=email, password=password, locale="en")


def main() -> None:
    """Parse the arguments, seed the order, print its number."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyer", required=True)
    parser.add_argument("--seller", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--delivery", choices=("pickup", "local", "courier"), default="pickup")
    parser.add_argument("--complete", action="store_true")
    args = parser.parse_args()
    with write_session() as s:
        buyer = _user(s, args.buyer, "Buyer Bea", args.password)
        seller = _user(s, args.seller, "Seller Sol", args.password)
        category = s.exec(select(Category.id).order_by(Category.id)).first()
        listing = make_listing(
            s,
            seller,
            kind="secondhand",
            title=f"Teapot {uuid.uuid4().hex[:6]}",
            price=2400,
            category_id=category,
        )
        fee = 0 if args.delivery == "pickup" else 600
        if args.complete:
            order = place(s, buyer, [(listing, None, 1)], payment="cash")
        else:
            order = place(s, buyer, [(listing, None, 1)], delivery=args.delivery, fee=fee)
            pay(s, order.group_id)
        number, listing_id, seller_id, code = order.number, listing.id, seller.id, code_of(order)
    if args.complete:
        with write_session() as s:
            orders.mark_ready(s, seller_id, number)
        with write_session() as s:
            orders.confirm_handover(s, seller_id, number, code)
    print(json.dumps({"number": number, "listing_id": listing_id}))


if __name__ == "__main__":
    main()
