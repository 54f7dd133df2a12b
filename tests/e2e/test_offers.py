"""Offers in the browser: offer -> counter -> accept -> checkout at the agreed price;
an order bought with an offer and then cancelled gives the buyer the agreed price again.

Each run gets its own seller and negotiable one-off item (written straight into
the app's database, with a password so the seller can log in), and its own
buyer; the buyer and the seller each act in their own browser context.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import ROOT, App
from tests.e2e.test_accounts import PASSWORD, new_email
from tests.e2e.test_cart import amount
from tests.e2e.test_orders import person

MAKE_ITEM = """
import json, sys
from sqlmodel import select
import marketplace_app.models
from marketplace_app.db import write_session
from marketplace_app.models import Category, Listing
from marketplace_app.models.types import utcnow
from marketplace_app.services import accounts

tag, password, seller_email, buyer_email = sys.argv[1:5]
with write_session() as s:
    seller = accounts.register(s, name=f"Sue {tag}", contact=seller_email, password=password,
                               locale="en")
    accounts.register(s, name=f"Bea {tag}", contact=buyer_email, password=password, locale="en")
    home = s.exec(select(Category).where(Category.slug == "home")).one()
    lamp = Listing(
        seller_id=seller.id, kind="secondhand", category_id=home.id, title=f"Brass lamp {tag}",
        condition="good", price_cents=10000, stock=1, status="active", pickup=True,
        negotiable=True, district="Riverside", published_at=utcnow(),
    )
    s.add(lamp)
    s.flush()
    print(json.dumps({"lamp": lamp.id, "title": lamp.title}))
"""


def fresh_item(app: App, seller: str, buyer: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MAKE_ITEM, uuid.uuid4().hex[:8], PASSWORD, seller, buyer],
        cwd=ROOT,
        env=app.env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_offer_counter_accept_then_checkout_at_the_offer_price(browser: Browser, app, size):
    seller_email, buyer_email = new_email(), new_email()
    item = fresh_item(app, seller_email, buyer_email)
    buyer = person(browser, app, size, buyer_email)
    seller = person(browser, app, size, seller_email)
    try:
        # The buyer offers below the floor (refused next to the field), then 60.
        buyer.goto(f"/listing/{item['lamp']}")
        expect(buyer.get_by_test_id("offer-floor")).to_contain_text("50.00")
        buyer.get_by_test_id("offer-amount").fill("20")
        buyer.get_by_test_id("offer-submit").click()
        expect(buyer.get_by_test_id("form-error")).to_contain_text("50.00")
        expect(buyer.get_by_test_id("offer-amount")).to_have_value("20")
        buyer.get_by_test_id("offer-amount").fill("60")
        buyer.get_by_test_id("offer-submit").click()
        mine = buyer.get_by_test_id("offer-row")
        expect(mine).to_have_count(1)
        expect(mine).to_have_attribute("data-status", "open")

        # The seller finds it under offers received and counters with 85.
        seller.goto("/account")
        seller.get_by_test_id("account-offers-link").click()
        expect(seller).to_have_url(re.compile(r"/offers$"))
        seller.locator('[data-testid="offers-tab"][data-tab="received"]').click()
        row = seller.get_by_test_id("offer-row").filter(has_text=item["title"])
        expect(row).to_have_attribute("data-status", "open")
        row.get_by_test_id("offer-counter-amount").fill("85")
        row.get_by_test_id("offer-counter").click()
        expect(row).to_have_attribute("data-status", "countered")
        expect(row.get_by_test_id("offer-status")).to_have_attribute("data-status", "countered")

        # The buyer accepts the counter on the item's page and buys at the agreed price.
        buyer.reload()
        mine = buyer.get_by_test_id("offer-row")
        expect(mine).to_have_attribute("data-status", "countered")
        expect(mine.get_by_test_id("offer-counter-shown")).to_contain_text("85.00")
        mine.get_by_test_id("offer-accept").click()
        expect(mine).to_have_attribute("data-status", "accepted")
        expect(mine.get_by_test_id("offer-agreed")).to_contain_text("85.00")
        mine.get_by_test_id("offer-buy").click()
        expect(buyer).to_have_url(re.compile(r"/checkout$"))
        expect(buyer.get_by_test_id("checkout-total")).to_contain_text("85.00")
        expect(buyer.get_by_test_id("delivery-option-pickup")).to_be_checked()
        buyer.get_by_test_id("payment-option-cash").click()
        expect(buyer.get_by_test_id("payment-option-cash")).to_be_checked()
        assert amount(buyer.get_by_test_id("checkout-total").inner_text()) == 85
        buyer.get_by_test_id("place-order").click()
        number = buyer.get_by_test_id("order-number")
        expect(number).to_have_count(1)
        number.click()
        expect(buyer.get_by_test_id("order-total")).to_contain_text("85.00")
        assert amount(buyer.get_by_test_id("order-total").inner_text()) == 85

        # The offer is ordered, on both sides.
        buyer.goto("/offers")
        made = buyer.get_by_test_id("offer-row").filter(has_text=item["title"])
        expect(made).to_have_attribute("data-status", "ordered")
        seller.reload()
        row = seller.get_by_test_id("offer-row").filter(has_text=item["title"])
        expect(row).to_have_attribute("data-status", "ordered")
    finally:
        buyer.context.close()
        seller.context.close()


BOUGHT_WITH_OFFER = """
import json, sys
from datetime import timedelta
from sqlmodel import select
import marketplace_app.models
from marketplace_app.db import read_session, write_session
from marketplace_app.models import Category, Listing
from marketplace_app.models.types import utcnow
from marketplace_app.services import accounts, checkout, offers

tag, password, seller_email, buyer_email = sys.argv[1:5]
with write_session() as s:
    seller = accounts.register(s, name=f"Sue {tag}", contact=seller_email, password=password,
                               locale="en")
    buyer = accounts.register(s, name=f"Bea {tag}", contact=buyer_email, password=password,
                              locale="en")
    home = s.exec(select(Category).where(Category.slug == "home")).one()
    lamp = Listing(
        seller_id=seller.id, kind="secondhand", category_id=home.id, title=f"Desk lamp {tag}",
        condition="good", price_cents=10000, stock=1, status="active", pickup=True,
        negotiable=True, district="Riverside", published_at=utcnow(),
    )
    s.add(lamp)
    s.flush()
    ids = {"seller": seller.id, "buyer": buyer.id, "lamp": lamp.id, "title": lamp.title}
with write_session() as s:
    ids["offer"] = offers.make_offer(s, ids["buyer"], ids["lamp"], "85").id
with write_session() as s:
    offers.accept(s, ids["seller"], ids["offer"])
with write_session() as s:
    offers.buy(s, ids["buyer"], ids["offer"])
with read_session() as s:
    (part,) = checkout.preview(s, ids["buyer"]).parts
choices = {part.key: checkout.SellerChoice("pickup", slot=part.slots[0].key)}
with write_session() as s:
    group = checkout.place(s, ids["buyer"], key=checkout.new_key(), choices=choices,
                           payment_method="cash")
print(json.dumps({"number": group.orders[0].number, "title": ids["title"]}))
"""


def test_a_cancelled_order_gives_the_buyer_the_agreed_price_again(browser: Browser, app, size):
    seller_email, buyer_email = new_email(), new_email()
    done = subprocess.run(
        [sys.executable, "-c", BOUGHT_WITH_OFFER, uuid.uuid4().hex[:8], PASSWORD]
        + [seller_email, buyer_email],
        cwd=ROOT,
        env=app.env,
        check=True,
        capture_output=True,
        text=True,
    )
    seeded = json.loads(done.stdout.strip().splitlines()[-1])
    buyer = person(browser, app, size, buyer_email)
    try:
        buyer.goto("/offers")
        row = buyer.get_by_test_id("offer-row").filter(has_text=seeded["title"])
        expect(row).to_have_attribute("data-status", "ordered")

        # The buyer cancels the order bought with the offer...
        buyer.goto(f"/orders/{seeded['number']}")
        buyer.get_by_test_id("order-cancel").click()
        expect(buyer.get_by_test_id("order-detail-status")).to_have_attribute(
            "data-status", "cancelled"
        )

        # ...and finds the offer theirs again, at the agreed price, with a way to buy it.
        buyer.goto("/offers")
        expect(row).to_have_attribute("data-status", "accepted")
        expect(row.get_by_test_id("offer-agreed")).to_contain_text("85.00")
        expect(row.get_by_test_id("offer-note")).to_be_visible()
        expect(row.get_by_test_id("offer-when")).to_be_visible()
        row.get_by_test_id("offer-buy").click()
        expect(buyer).to_have_url(re.compile(r"/checkout$"))
        expect(buyer.get_by_test_id("checkout-total")).to_contain_text("85.00")
    finally:
        buyer.context.close()
