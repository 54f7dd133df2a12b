"""Checkout in the browser: one cart from a shop and a neighbour, pickup and courier, cash.

Each run gets its own fresh items (written straight into the app's database:
a product of the demo bakery with 20 in stock, and a neighbour's one-off lamp
that also ships by courier), so both screen sizes buy the same things.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import ROOT, App
from tests.e2e.test_accounts import new_email, register
from tests.e2e.test_cart import amount

MAKE_ITEMS = """
import json, sys
from sqlmodel import select
import marketplace_app.models
from marketplace_app.db import write_session
from marketplace_app.models import Category, Listing, ListingVariant, Shop, User
from marketplace_app.models.types import utcnow

tag = sys.argv[1]
now = utcnow()
with write_session() as s:
    owner = s.exec(select(User).where(User.email == "bakery@demo.town")).one()
    shop = s.exec(select(Shop).where(Shop.owner_id == owner.id)).one()
    bakery = s.exec(select(Category).where(Category.slug == "bakery")).one()
    home = s.exec(select(Category).where(Category.slug == "home")).one()
    product = Listing(
        seller_id=owner.id, shop_id=shop.id, kind="shop", category_id=bakery.id,
        title=f"Rye loaf {tag}", price_cents=1200, stock=20, status="active", pickup=True,
        district=shop.district, published_at=now,
    )
    s.add(product)
    s.flush()
    s.add(ListingVariant(listing_id=product.id, label="", price_cents=1200, stock=20))
    seller = User(name=f"Nia {tag}", email=f"nia-{tag}@example.com", password_hash="!",
                  district="Riverside")
    s.add(seller)
    s.flush()
    lamp = Listing(
        seller_id=seller.id, kind="secondhand", category_id=home.id, title=f"Desk lamp {tag}",
        condition="good", price_cents=3500, stock=1, status="active", pickup=True,
        courier_fee_cents=800, district="Riverside", published_at=now,
    )
    s.add(lamp)
    s.flush()
    print(json.dumps({"product": product.id, "lamp": lamp.id, "shop": shop.name}))
"""

COUNT_GROUPS = """
import sys
from sqlalchemy import func
from sqlmodel import select
import marketplace_app.models
from marketplace_app.db import read_session
from marketplace_app.models import Order, OrderGroup, User

with read_session() as s:
    buyer = s.exec(select(User).where(User.email == sys.argv[1])).one()
    groups = s.exec(select(func.count()).select_from(OrderGroup).where(
        OrderGroup.buyer_id == buyer.id)).one()
    orders = s.exec(select(func.count()).select_from(Order).where(Order.buyer_id == buyer.id)).one()
    print(groups, orders)
"""


def _python(app: App, script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=app.env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip().splitlines()[-1]


def fresh_items(app: App) -> dict:
    return json.loads(_python(app, MAKE_ITEMS, uuid.uuid4().hex[:8]))


def add_to_cart(ui: Page, listing_id: int, count: int, quantity: int | None = None) -> None:
    ui.goto(f"/listing/{listing_id}")
    expect(ui.get_by_test_id("listing-title")).to_be_visible()
    if quantity is not None:
        ui.get_by_test_id("quantity-input").fill(str(quantity))
    ui.get_by_test_id("add-to-cart").click()
    expect(ui.get_by_test_id("cart-count")).to_have_text(str(count))


def part(ui: Page, title: str):
    return ui.get_by_test_id("checkout-seller").filter(has_text=title)


def fill_address(ui: Page) -> None:
    ui.get_by_test_id("address-recipient").fill("Bea Buyer")
    ui.get_by_test_id("address-phone").fill("+86 138 0000 2222")
    ui.get_by_test_id("address-line1").fill("7 Mill Lane")
    ui.get_by_test_id("address-city").fill("Riverside")
    ui.get_by_test_id("address-save").click()


def test_checkout_needs_a_login(ui: Page):
    ui.goto("/checkout")
    expect(ui).to_have_url(re.compile(r"/login\?next=%2Fcheckout"))


def test_shop_and_neighbour_checkout_with_pickup_courier_and_cash(ui: Page, app: App):
    items = fresh_items(app)
    email = new_email()
    register(ui, email, name="Bea Buyer")
    add_to_cart(ui, items["product"], 2, quantity=2)
    add_to_cart(ui, items["lamp"], 3)

    ui.goto("/cart")
    ui.get_by_test_id("checkout-button").click()
    expect(ui).to_have_url(re.compile(r"/checkout$"))
    expect(ui.get_by_test_id("checkout-seller")).to_have_count(2)
    bread, lamp = part(ui, "Rye loaf"), part(ui, "Desk lamp")

    # The shop's product allows only pickup: chosen, with the first slot.
    expect(bread.get_by_test_id("delivery-option-pickup")).to_be_checked()
    expect(bread.get_by_test_id("delivery-option-courier")).to_have_count(0)
    slots = bread.get_by_test_id("slot-select")
    expect(slots).to_be_visible()
    second = slots.locator("option").nth(1).get_attribute("value")
    slots.select_option(second)
    expect(slots).to_have_value(second)

    # The lamp comes by courier; there is no address yet: add one and come back.
    lamp.get_by_test_id("delivery-option-courier").click()
    expect(lamp.get_by_test_id("delivery-option-courier")).to_be_checked()
    expect(lamp.get_by_test_id("address-select")).to_have_count(0)
    ui.get_by_test_id("payment-option-cash").click()
    expect(ui.get_by_test_id("payment-option-cash")).to_be_checked()
    lamp.get_by_test_id("add-address").click()
    expect(ui).to_have_url(re.compile(r"/account/addresses\?from=checkout$"))
    expect(ui.get_by_test_id("address-back-to-checkout")).to_be_visible()
    # The form is already open; saving leads back to checkout with the choices kept.
    fill_address(ui)
    expect(ui).to_have_url(re.compile(r"/checkout$"))
    lamp = part(ui, "Desk lamp")
    expect(lamp.get_by_test_id("delivery-option-courier")).to_be_checked()
    expect(lamp.get_by_test_id("address-select")).to_contain_text("7 Mill Lane")
    expect(part(ui, "Rye loaf").get_by_test_id("slot-select")).to_have_value(second)
    expect(ui.get_by_test_id("payment-option-cash")).to_be_checked()
    expect(ui.get_by_test_id("checkout-fees")).to_contain_text("8.00")
    assert amount(ui.get_by_test_id("checkout-total").inner_text()) == 24 + 35 + 8

    # A double click places one order group.
    ui.get_by_test_id("place-order").dblclick()
    numbers = ui.get_by_test_id("order-number")
    expect(numbers).to_have_count(2)
    for i in range(2):
        text = numbers.nth(i).inner_text()
        assert re.fullmatch(r"MP-\d{4}-[0-9A-Z]{6}", text)
        assert numbers.nth(i).get_attribute("href") == f"/orders/{text}"
    expect(ui.get_by_test_id("cart-count")).to_have_text("0")
    assert _python(app, COUNT_GROUPS, email) == "1 2"
    placed = [numbers.nth(i).inner_text() for i in range(2)]

    # The shop's stock went down by the two loaves; the lamp is sold.
    ui.goto(f"/listing/{items['product']}")
    expect(ui.get_by_test_id("listing-stock")).to_contain_text("18")
    ui.goto(f"/listing/{items['lamp']}")
    expect(ui.get_by_test_id("add-to-cart")).to_be_disabled()

    # The buyer changes their mind about the bread: cancelling gives the stock back.
    bread_order = None
    for text in placed:
        ui.goto(f"/orders/{text}")
        expect(ui.get_by_test_id("order-detail-status")).to_be_visible()
        if ui.get_by_text(re.compile("Rye loaf")).count():
            bread_order = text
            break
    assert bread_order, placed
    ui.get_by_test_id("order-cancel-reason").fill("Baking my own after all")
    ui.get_by_test_id("order-cancel").click()
    expect(ui.get_by_test_id("order-detail-status")).to_have_attribute("data-status", "cancelled")
    ui.goto(f"/listing/{items['product']}")
    expect(ui.get_by_test_id("listing-stock")).to_contain_text("20")


def test_a_line_sold_meanwhile_is_named_and_nothing_is_lost(ui: Page, app: App):
    items = fresh_items(app)
    register(ui, new_email(), name="Late Buyer")
    add_to_cart(ui, items["lamp"], 1)
    ui.goto("/checkout")
    lamp = part(ui, "Desk lamp")
    lamp.get_by_test_id("delivery-option-pickup").click()
    expect(lamp.get_by_test_id("slot-select")).to_be_visible()
    ui.get_by_test_id("payment-option-cash").click()
    expect(ui.get_by_test_id("payment-option-cash")).to_be_checked()
    _python(
        app,
        "import sys\nfrom marketplace_app.db import write_session\n"
        "from marketplace_app.models import Listing\n"
        "with write_session() as s:\n"
        "    s.get(Listing, int(sys.argv[1])).status = 'sold'\n"
        "print('ok')",
        str(items["lamp"]),
    )
    ui.get_by_test_id("place-order").click()
    expect(lamp.get_by_test_id("line-error")).to_contain_text(re.compile("Sold out|已售罄"))
    expect(ui.get_by_test_id("checkout-error")).to_be_visible()
    expect(lamp.get_by_test_id("delivery-option-pickup")).to_be_checked()
    expect(ui.get_by_test_id("payment-option-cash")).to_be_checked()
    expect(ui.get_by_test_id("order-number")).to_have_count(0)


def test_escrow_checkout_pays_at_the_gateway_and_comes_back(ui: Page, app: App):
    items = fresh_items(app)
    register(ui, new_email(), name="Escrow Buyer")
    add_to_cart(ui, items["product"], 1)
    ui.goto("/checkout")
    expect(part(ui, "Rye loaf").get_by_test_id("delivery-option-pickup")).to_be_checked()
    ui.get_by_test_id("payment-option-escrow").click()
    expect(ui.get_by_test_id("payment-option-escrow")).to_be_checked()
    ui.get_by_test_id("place-order").click()

    # Straight to the gateway's hosted page, for the order's total.
    expect(ui).to_have_url(re.compile(r"/sandbox-gateway/pay/cs_[0-9a-f]{32}$"))
    expect(ui.get_by_test_id("sandbox-amount")).to_contain_text("12.00")
    ui.get_by_test_id("sandbox-pay").click()
    expect(ui).to_have_url(re.compile(r"/orders/group/[A-Za-z0-9_-]{22}$"))
    expect(ui.get_by_test_id("order-group-paid")).to_be_visible()
    expect(ui.get_by_test_id("order-row")).to_have_count(1)
    expect(ui.get_by_test_id("order-row")).to_have_attribute("data-status", "paid")
