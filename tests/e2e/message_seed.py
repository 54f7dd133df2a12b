"""Put a buyer, a seller and the seller's one-off item into the e2e app's database.

Run with the app's environment (``python -m tests.e2e.message_seed ...``): the
two people are created when their emails are new; they have no order together,
so contact details in their chat are masked. Prints ``{"listing_id": ...}``.
"""

from __future__ import annotations

import argparse
import json
import uuid

from sqlmodel import select

from marketplace_app.db import write_session
from marketplace_app.models import Category
from tests.e2e.order_seed import _user
from tests.unit.orders_factory import make_listing


def main() -> None:
    """Parse the arguments, seed the people and the item, print the item's id."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyer", required=True)
    parser.add_argument("--seller", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    with write_session() as s:
        _user(s, args.buyer, "Buyer Bea", args.password)
        seller = _user(s, args.seller, "Seller Sol", args.password)
        category = s.exec(select(Category.id).order_by(Category.id)).first()
        listing = make_listing(
            s,
            seller,
            kind="secondhand",
            title=f"Kettle {uuid.uuid4().hex[:6]}",
            price=1800,
            category_id=category,
        )
        listing_id = listing.id
    print(json.dumps({"listing_id": listing_id}))


if __name__ == "__main__":
    main()
