"""The cash handover window in the browser: a resident and a shop owner set theirs, and the
buyer of a cash order reads its deadline on the order page.

A value out of range is refused next to the field, with what was typed kept.
"""

from __future__ import annotations

import json
import subprocess
import sys

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT, App
from tests.e2e.test_accounts import new_email
from tests.e2e.test_messages import seed_listing
from tests.e2e.test_orders import person

SHOP_OWNER = ("bakery@demo.town", "demo-pass-123")

CASH_ORDER = """
import json, sys
import marketplace_app.models
from marketplace_app.db import write_session
from marketplace_app.models import Listing
from marketplace_app.services import accounts
from tests.unit.orders_factory import place

buyer_email, listing_id = sys.argv[1], int(sys.argv[2])
with write_session() as s:
    buyer = accounts.user_by_contact(s, "email", buyer_email)
    order = place(s, buyer, [(s.get(Listing, listing_id), None, 1)], payment="cash")
    print(json.dumps({"number": order.number}))
"""


def save_days(page: Page, days: str) -> None:
    field = page.get_by_test_id("handover-days-input")
    field.fill(days)
    page.get_by_test_id("handover-days-save").click()


def cash_order(app: App, buyer_email: str, listing_id: int) -> str:
    """A cash order of the buyer's for the item, placed now (its deadline from the setting)."""
    done = subprocess.run(
        [sys.executable, "-c", CASH_ORDER, buyer_email, str(listing_id)],
        cwd=ROOT,
        env=app.env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])["number"]


def test_a_resident_sets_the_window_and_the_buyer_reads_the_deadline(browser: Browser, app, size):
    seller_email, buyer_email = new_email(), new_email()
    listing_id = seed_listing(app, buyer_email, seller_email)
    seller = person(browser, app, size, seller_email)
    try:
        seller.goto("/account")
        days = seller.get_by_test_id("handover-days-input")
        expect(days).to_have_value("3")
        save_days(seller, "20")
        card = seller.get_by_test_id("handover-days")
        expect(card.get_by_test_id("form-error")).to_be_visible()
        expect(days).to_have_value("20")
        expect(days).to_have_attribute("aria-invalid", "true")
        save_days(seller, "5")
        expect(card.get_by_test_id("toast")).to_be_visible()
        expect(card.get_by_test_id("form-error")).to_have_count(0)
        seller.reload()
        expect(seller.get_by_test_id("handover-days-input")).to_have_value("5")
    finally:
        seller.context.close()

    number = cash_order(app, buyer_email, listing_id)
    buyer = person(browser, app, size, buyer_email)
    try:
        buyer.goto(f"/orders/{number}")
        expect(buyer.get_by_test_id("order-detail-status")).to_have_attribute("data-status", "paid")
        expect(buyer.get_by_test_id("order-due")).to_be_visible()
    finally:
        buyer.context.close()


def test_a_shop_owner_sets_the_shops_window(browser: Browser, app, size):
    owner = person(browser, app, size, *SHOP_OWNER)
    try:
        owner.goto("/shop/manage")
        days = owner.get_by_test_id("handover-days-input")
        expect(days).to_be_visible()
        before = days.input_value()
        save_days(owner, "0")
        card = owner.get_by_test_id("handover-days")
        expect(card.get_by_test_id("form-error")).to_be_visible()
        save_days(owner, "4")
        expect(card.get_by_test_id("toast")).to_be_visible()
        owner.reload()
        expect(owner.get_by_test_id("handover-days-input")).to_have_value("4")
        save_days(owner, before)  # leave the demo town as it was
        expect(owner.get_by_test_id("handover-days").get_by_test_id("toast")).to_be_visible()
    finally:
        owner.context.close()
