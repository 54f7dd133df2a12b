"""The product walked from a newcomer's seat, starting from the demo town `make run` seeds.

Nothing here is built by the test for the thing under test: the items bought
are the demo town's (or an imported catalog's), found the way a visitor finds
them, at phone and desktop size. These journeys are the definition of done: a
feature is done when a journey from the demo town reaches it.

The last group follows the README's "Things to try", one test per line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from datasets import catalog_script
from marketplace_app.services import commission, demo
from marketplace_app.settings import settings
from tests.e2e.conftest import ROOT, VIEWPORTS, App
from tests.e2e.test_accounts import log_in, new_email, register
from tests.e2e.test_cart import amount
from tests.e2e.test_checkout import fill_address
from tests.e2e.test_orders import open_order, person, status_is
from tests.e2e.test_selling import photo
from tests.e2e.test_shops import MODERATOR, apply_for_shop, other_page, queue_row

DEMO_PASSWORD = "demo-pass-123"
# Who sells what in the demo town: a seller's display name -> their login.
SELLER_EMAILS = {
    **{r.name: r.email for r in demo.RESIDENTS},
    **{s.name: s.owner_email for s in demo.SHOPS},
}


# --- finding things the way a visitor does ------------------------------------------


def open_card(ui: Page, card) -> int:
    """Open a listing card; returns the listing's id."""
    href = card.get_by_test_id("listing-card-link").get_attribute("href")
    card.get_by_test_id("listing-card-link").click()
    expect(ui).to_have_url(re.compile(rf"{re.escape(href)}$"))
    expect(ui.get_by_test_id("listing-title")).to_be_visible()
    return int(href.rsplit("/", 1)[1])


def buyable_now(ui: Page) -> bool:
    """Whether the open listing page offers its add-to-cart button."""
    button = ui.get_by_test_id("add-to-cart")
    expect(button).to_be_visible()
    return button.is_enabled()


def neighbour_item(ui: Page, method: str) -> tuple[int, str]:
    """A neighbour's item for sale (not free) that offers ``method``; (id, seller's name).

    Browses the neighbours' listings as a buyer would, newest first, and opens
    them until one fits (items sold by earlier runs are skipped).
    """
    ui.goto("/search?kind=secondhand&sort=newest")
    expect(ui.get_by_test_id("listing-card").first).to_be_visible()
    hrefs = [link.get_attribute("href") for link in ui.get_by_test_id("listing-card-link").all()]
    for href in hrefs:
        ui.goto(href)
        expect(ui.get_by_test_id("listing-title")).to_be_visible()
        offers_method = ui.locator(f'[data-testid="delivery-option"][data-method="{method}"]')
        price = ui.get_by_test_id("listing-price").inner_text()
        if offers_method.count() and re.search(r"\d", price) and buyable_now(ui):
            seller = ui.get_by_test_id("listing-seller-name").inner_text().strip()
            return int(href.rsplit("/", 1)[1]), seller
    raise AssertionError(f"no neighbour's item offering {method} is left in the demo town")


def add_to_cart_here(ui: Page, count: int) -> None:
    ui.get_by_test_id("add-to-cart").click()
    expect(ui.get_by_test_id("cart-count")).to_have_text(str(count))


def to_checkout(ui: Page) -> None:
    ui.get_by_test_id("nav-cart").click()
    expect(ui).to_have_url(re.compile(r"/cart/?$"))
    ui.get_by_test_id("checkout-button").click()


def choose_pickup_and_cash(ui: Page, seller) -> None:
    seller.get_by_test_id("delivery-option-pickup").click()
    expect(seller.get_by_test_id("delivery-option-pickup")).to_be_checked()
    expect(seller.get_by_test_id("slot-select")).to_be_visible()
    ui.get_by_test_id("payment-option-cash").click()
    expect(ui.get_by_test_id("payment-option-cash")).to_be_checked()


def place(ui: Page, orders: int = 1) -> list[str]:
    """Place the order; the order numbers shown."""
    ui.get_by_test_id("place-order").click()
    numbers = ui.get_by_test_id("order-number")
    expect(numbers).to_have_count(orders)
    found = [numbers.nth(i).inner_text().strip() for i in range(orders)]
    assert all(re.fullmatch(r"MP-\d{4}-[0-9A-Z]{6}", n) for n in found)
    expect(ui.get_by_test_id("cart-count")).to_have_text("0")
    return found


def pay_into_escrow(ui: Page, total: Decimal) -> str:
    """Place the checkout with escrow and pay ``total`` in the sandbox; the order's number."""
    ui.get_by_test_id("payment-option-escrow").click()
    expect(ui.get_by_test_id("payment-option-escrow")).to_be_checked()
    ui.get_by_test_id("place-order").click()
    # The sandbox gateway's page asks for the order's total; paying brings the buyer back.
    expect(ui).to_have_url(re.compile(r"/sandbox-gateway/pay/cs_[0-9a-f]{32}$"))
    expect(ui.get_by_test_id("sandbox-amount")).to_contain_text(f"{total:,.2f}")
    ui.get_by_test_id("sandbox-pay").click()
    expect(ui.get_by_test_id("order-group-paid")).to_be_visible()
    row = ui.get_by_test_id("order-row")
    expect(row).to_have_attribute("data-status", "paid")
    return row.get_attribute("data-number")


def balance(page: Page) -> Decimal:
    page.goto("/seller/balance")
    figure = page.get_by_test_id("balance-available")
    expect(figure).to_be_visible()
    return amount(figure.inner_text())


def commission_of(goods: Decimal, kind: str) -> Decimal:
    rate = settings.commission_shop_bp if kind == "shop" else settings.commission_resident_bp
    return Decimal(commission.apply_rate(rate, int(goods * 100))) / 100


# --- the journeys ------------------------------------------------------------------


def test_buy_the_first_item_on_the_home_page_with_pickup_and_cash(ui: Page):
    """A newcomer buys what the home page shows first: a shop's product."""
    ui.goto("/")
    first = ui.get_by_test_id("listing-card").first
    expect(first).to_be_visible()
    title = first.get_by_test_id("listing-card-title").inner_text()
    open_card(ui, first)
    expect(ui.get_by_test_id("listing-title")).to_have_text(title)
    expect(ui.get_by_test_id("quantity-input")).to_be_visible()  # a shop's product
    assert buyable_now(ui)
    add_to_cart_here(ui, 1)  # as a guest

    # Checkout asks a guest to log in; a newcomer registers from there and comes back.
    to_checkout(ui)
    expect(ui).to_have_url(re.compile(r"/login\?next=(%2F|/)checkout$"))
    ui.get_by_test_id("register-link").click()
    expect(ui).to_have_url(re.compile(r"/register\?next=(%2F|/)checkout$"))
    ui.get_by_test_id("register-name").fill("New Neighbour")
    ui.get_by_test_id("register-email").fill(new_email())
    ui.get_by_test_id("register-password").fill("correct horse 42")
    ui.get_by_test_id("register-submit").click()
    expect(ui).to_have_url(re.compile(r"/checkout/?$"))
    expect(ui.get_by_test_id("cart-count")).to_have_text("1")  # the guest cart came along

    seller = ui.get_by_test_id("checkout-seller")
    expect(seller).to_have_count(1)
    expect(seller.get_by_test_id("checkout-line-title")).to_contain_text(title)
    expect(seller.get_by_test_id("line-error")).to_have_count(0)
    choose_pickup_and_cash(ui, seller)
    (number,) = place(ui)

    open_order(ui, number)
    status_is(ui, "paid")  # cash: confirmed, paid at the handover
    expect(ui.get_by_test_id("order-line")).to_contain_text(title)


def test_buy_a_neighbours_item_delivered_with_escrow(browser: Browser, app: App, ui: Page, size):
    """Local delivery and escrow: paid in the sandbox, delivered, confirmed, money released."""
    register(ui, new_email(), name="Escrow Buyer")
    listing_id, seller_name = neighbour_item(ui, "local")
    price = amount(ui.get_by_test_id("listing-price").inner_text())
    add_to_cart_here(ui, 1)
    seller_page = person(browser, app, size, SELLER_EMAILS[seller_name], DEMO_PASSWORD)
    try:
        before = balance(seller_page)

        to_checkout(ui)
        part = ui.get_by_test_id("checkout-seller")
        part.get_by_test_id("delivery-option-local").click()
        expect(part.get_by_test_id("delivery-option-local")).to_be_checked()
        part.get_by_test_id("add-address").click()
        fill_address(ui)
        expect(ui).to_have_url(re.compile(r"/checkout/?$"))
        part = ui.get_by_test_id("checkout-seller")
        expect(part.get_by_test_id("delivery-option-local")).to_be_checked()
        expect(part.get_by_test_id("address-select")).to_contain_text("7 Mill Lane")
        fee = amount(part.get_by_test_id("checkout-part-fee").inner_text())
        total = amount(ui.get_by_test_id("checkout-total").inner_text())
        assert total == price + fee and fee > 0
        number = pay_into_escrow(ui, total)

        # The neighbour brings it over and marks it delivered.
        seller_page.goto("/seller/orders")
        mine = seller_page.locator(f'[data-testid="seller-order-row"][data-number="{number}"]')
        expect(mine).to_have_attribute("data-status", "paid")
        open_order(seller_page, number)
        seller_page.get_by_test_id("mark-out-for-delivery").click()
        status_is(seller_page, "out_for_delivery")
        seller_page.get_by_test_id("mark-delivered").click()
        status_is(seller_page, "delivered")
        assert balance(seller_page) == before  # held in escrow until the buyer confirms

        # The buyer confirms receipt: the seller's balance grows by the price minus commission.
        open_order(ui, number)
        status_is(ui, "delivered")
        ui.get_by_test_id("order-confirm-receipt").click()
        status_is(ui, "completed")
        grown = balance(seller_page) - before
        assert grown == price + fee - commission_of(price, "resident")
        ui.goto(f"/listing/{listing_id}")
        expect(ui.get_by_test_id("add-to-cart")).to_be_disabled()  # sold
    finally:
        seller_page.context.close()


@pytest.fixture(scope="module")
def imported_catalog(app: App, tmp_path_factory) -> Iterator[list[dict]]:
    """A generated catalog imported into the running app with ``cli import-listings``."""
    folder = tmp_path_factory.mktemp("catalog")
    path = folder / "listings.jsonl"
    subprocess.run(
        [sys.executable, str(catalog_script()), "--n", "300", "--seed", "7", "--out", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [sys.executable, "-m", "marketplace_app.cli", "import-listings", str(path)],
        cwd=ROOT,
        env=app.env,
        check=True,
        capture_output=True,
    )
    yield [json.loads(line) for line in path.read_text().splitlines()]


def test_search_an_imported_catalog_and_buy_a_shop_product(ui: Page, imported_catalog):
    """A catalog loaded by the importer: found by a word, bought like any shop product."""
    word = "honey"
    titles = {
        row["title"]
        for row in imported_catalog
        if row["kind"] == "shop" and word in row["title"].lower()
    }
    assert titles
    register(ui, new_email(), name="Catalog Buyer")
    ui.get_by_test_id("nav-search-input").fill(word)
    ui.get_by_test_id("nav-search-input").press("Enter")
    expect(ui).to_have_url(re.compile(rf"/search\?.*q={word}"))
    cards = ui.get_by_test_id("listing-card").filter(
        has=ui.get_by_test_id("listing-card-title").filter(
            has_text=re.compile("|".join(re.escape(t) for t in titles))
        )
    )
    expect(cards.first).to_be_visible()
    title = cards.first.get_by_test_id("listing-card-title").inner_text()
    open_card(ui, cards.first)
    expect(ui.get_by_test_id("listing-title")).to_have_text(title)
    assert buyable_now(ui)
    ui.get_by_test_id("quantity-input").fill("2")
    add_to_cart_here(ui, 2)
    to_checkout(ui)
    seller = ui.get_by_test_id("checkout-seller")
    expect(seller.get_by_test_id("line-error")).to_have_count(0)
    choose_pickup_and_cash(ui, seller)
    (number,) = place(ui)
    open_order(ui, number)
    expect(ui.get_by_test_id("order-line")).to_contain_text(title)


# --- the README's "Things to try", one test per line -----------------------------------


def test_try_search_with_filters_and_a_radius(ui: Page, size: str):
    """Things to try: search with filters and a radius."""
    ui.goto("/")
    ui.get_by_test_id("home-neighbours").get_by_role(
        "link", name=re.compile("See all|查看全部")
    ).click()
    expect(ui).to_have_url(re.compile(r"/search\?kind=secondhand"))
    everything = results(ui, "kind=secondhand")
    if size == "phone":
        ui.get_by_test_id("filters-toggle").click()
    ui.get_by_test_id("filter-near").select_option("Old Town")
    expect(ui).to_have_url(re.compile(r"near=Old"))
    ui.get_by_test_id("filter-radius").select_option("1")
    expect(ui).to_have_url(re.compile(r"radius=1"))
    nearby = results(ui, "radius=1")
    assert 0 < nearby < everything
    places = ui.get_by_test_id("listing-card").all_inner_texts()
    assert all("<1 km" in p or "~1 km" in p for p in places)


def results(ui: Page, shown_query: str) -> int:
    """The result count once the page shows the search whose query holds ``shown_query``."""
    count = ui.locator(
        f'[data-testid="results-count"][aria-busy="false"][data-query*="{shown_query}"]'
    )
    expect(count).to_be_visible()
    return int(re.search(r"\d+", count.inner_text()).group(0))


def test_try_posting_an_item_from_sell_with_a_photo(ui: Page, tmp_path: Path):
    """Things to try: post an item from Sell (photos from a phone's camera work)."""
    register(ui, new_email(), name="Seller Sun")
    ui.get_by_test_id("nav-sell").click()
    expect(ui).to_have_url(re.compile(r"/sell"))
    title = f"Garden chair {uuid.uuid4().hex[:6]}"
    ui.get_by_test_id("sell-title").fill(title)
    ui.get_by_test_id("sell-photos").set_input_files(str(photo(tmp_path, "camera.jpg")))
    expect(ui.get_by_test_id("sell-photo-preview")).to_have_count(1)
    ui.get_by_test_id("sell-description").fill("Folding, weatherproof, barely used.")
    ui.get_by_test_id("sell-category").select_option("garden")
    ui.get_by_test_id("sell-condition").select_option("like_new")
    ui.get_by_test_id("sell-price").fill("35")
    ui.get_by_test_id("sell-district").select_option("Riverside")
    ui.get_by_test_id("sell-submit").click()
    expect(ui).to_have_url(re.compile(r"/listing/\d+/?$"))
    expect(ui.get_by_test_id("listing-title")).to_have_text(title)
    expect(ui.get_by_test_id("listing-gallery-image").first).to_be_visible()


def test_try_applying_for_a_shop_approved_by_the_moderator(ui: Page, browser: Browser, app: App):
    """Things to try: apply for a shop; the moderator approves it in the operator queue."""
    name = f"Pantry {uuid.uuid4().hex[:6]}"
    register(ui, new_email(), name="Would-be Shopkeeper")
    apply_for_shop(ui, name)
    moderator = other_page(browser, app, ui)
    try:
        log_in(moderator, *MODERATOR)
        expect(moderator.get_by_test_id("nav-account")).to_be_visible()
        queue_row(moderator, name).get_by_test_id("admin-approve").click()
        expect(moderator.get_by_test_id("admin-queue-row").filter(has_text=name)).to_have_count(0)
    finally:
        moderator.context.close()
    ui.goto("/shop/apply")
    expect(ui.get_by_test_id("shop-status")).to_contain_text(re.compile("open|开张"))


def test_try_a_cart_from_a_shop_and_a_neighbour(ui: Page):
    """Things to try: fill the cart from a shop and a neighbour and check out."""
    register(ui, new_email(), name="Two-stop Buyer")
    neighbour_id, _ = neighbour_item(ui, "pickup")
    add_to_cart_here(ui, 1)
    ui.goto("/")
    shop_card = ui.get_by_test_id("home-shops").get_by_test_id("listing-card").first
    open_card(ui, shop_card)
    add_to_cart_here(ui, 2)
    to_checkout(ui)
    sellers = ui.get_by_test_id("checkout-seller")
    expect(sellers).to_have_count(2)
    for i in range(2):
        sellers.nth(i).get_by_test_id("delivery-option-pickup").click()
        expect(sellers.nth(i).get_by_test_id("slot-select")).to_be_visible()
    ui.get_by_test_id("payment-option-cash").click()
    place(ui, orders=2)
    ui.goto(f"/listing/{neighbour_id}")
    expect(ui.get_by_test_id("add-to-cart")).to_be_disabled()


def test_try_escrow_pickup_with_the_handover_code_and_the_sales_balance(
    browser: Browser, app: App, ui: Page, size: str
):
    """Things to try: pay into escrow in the sandbox; the seller marks it ready, the buyer
    shows the handover code, and the seller's Sales balance shows the money once receipt
    is confirmed."""
    register(ui, new_email(), name="Pickup Buyer")
    ui.goto("/")
    card = ui.get_by_test_id("home-shops").get_by_test_id("listing-card").first
    open_card(ui, card)
    seller_name = ui.get_by_test_id("listing-seller-name").inner_text().strip()
    price = amount(ui.get_by_test_id("listing-price").inner_text())
    add_to_cart_here(ui, 1)
    shop = person(browser, app, size, SELLER_EMAILS[seller_name], DEMO_PASSWORD)
    try:
        before = balance(shop)
        to_checkout(ui)
        seller = ui.get_by_test_id("checkout-seller")
        seller.get_by_test_id("delivery-option-pickup").click()
        expect(seller.get_by_test_id("slot-select")).to_be_visible()
        number = pay_into_escrow(ui, price)

        open_order(shop, number)
        shop.get_by_test_id("mark-ready").click()
        status_is(shop, "ready_for_pickup")
        open_order(ui, number)
        code = ui.get_by_test_id("handover-code")
        expect(code).to_have_text(re.compile(r"^\d{6}$"))
        shop.get_by_test_id("handover-code-input").fill(code.inner_text().strip())
        shop.get_by_test_id("confirm-handover").click()
        status_is(shop, "handed_over")
        ui.reload()
        ui.get_by_test_id("order-confirm-receipt").click()
        status_is(ui, "completed")
        assert balance(shop) - before == price - commission_of(price, "shop")
    finally:
        shop.context.close()


def test_every_journey_fits_the_screen(ui: Page, size: str):
    """The pages the journeys cross never scroll sideways."""
    for path in ("/", "/search?kind=secondhand", "/cart", "/login?next=%2Fcheckout"):
        ui.goto(path)
        expect(ui.get_by_test_id("nav-home")).to_be_visible()
        width = ui.evaluate("document.documentElement.scrollWidth")
        assert width <= VIEWPORTS[size]["width"], (path, width)
