"""The cart in the browser: a guest fills it from a shop and a neighbour, edits it, logs in.

One shop product with variants is made once per session by the demo bakery's
owner (the demo town's products have none); the neighbour's item and the
plain product come from the demo town.
"""

from __future__ import annotations

import io
import re
import uuid
from decimal import Decimal
from urllib.parse import quote

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import VIEWPORTS, App
from tests.e2e.test_accounts import PASSWORD, log_in, new_email, register

BAKERY_OWNER = ("bakery@demo.town", "demo-pass-123")
NEIGHBOUR_ITEM = "Tennis racket with cover"  # tom@demo.town's, never sold by the demo orders
PLAIN_PRODUCT = "法式长棍"  # the bakery's baguette: no variants
MONEY = re.compile(r"(\d[\d,]*\.\d{2})")


def amount(text: str) -> Decimal:
    """The first money amount in a text, e.g. "¥1,234.50" -> Decimal("1234.50")."""
    found = MONEY.search(text)
    assert found, f"no amount in {text!r}"
    return Decimal(found.group(1).replace(",", ""))


def fresh_page(browser: Browser, app: App, size: str) -> Page:
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=app.url, locale="en-US")
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture(scope="session")
def jar_product(browser: Browser, app: App, tmp_path_factory) -> str:
    """A published bakery product with two variants; returns its page's path."""
    picture = tmp_path_factory.mktemp("cart") / "jar.png"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (220, 170, 60)).save(buf, "PNG")
    picture.write_bytes(buf.getvalue())
    word = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])
    title = f"Jam jar {word}"

    owner = fresh_page(browser, app, "desktop")
    try:
        log_in(owner, *BAKERY_OWNER)
        expect(owner.get_by_test_id("nav-account")).to_be_visible()
        owner.goto("/shop/manage/product/new")
        owner.get_by_test_id("product-title").fill(title)
        owner.get_by_test_id("product-description").fill("Apricot jam, two sizes.")
        owner.get_by_test_id("product-category").select_option("produce")
        owner.get_by_test_id("variant-label").first.fill("Small jar")
        owner.get_by_test_id("variant-price").first.fill("12")
        owner.get_by_test_id("variant-stock").first.fill("6")
        owner.get_by_test_id("variant-add").click()
        owner.get_by_test_id("variant-label").nth(1).fill("Large jar")
        owner.get_by_test_id("variant-price").nth(1).fill("20")
        owner.get_by_test_id("variant-stock").nth(1).fill("4")
        owner.get_by_test_id("product-save").click()
        expect(owner).to_have_url(re.compile(r"/shop/manage/product/\d+$"))
        product_id = re.search(r"/product/(\d+)$", owner.url).group(1)
        owner.get_by_test_id("product-photos").set_input_files(str(picture))
        expect(owner.get_by_test_id("product-photo-preview")).to_have_count(1)
        owner.get_by_test_id("product-publish").click()
        expect(owner.get_by_test_id("product-status")).to_have_text(re.compile("Available|在售"))

        # The owner's own product: no adding, and a reason.
        owner.goto(f"/listing/{product_id}")
        expect(owner.get_by_test_id("listing-title")).to_have_text(title)
        expect(owner.get_by_test_id("add-to-cart")).to_be_disabled()
        expect(owner.get_by_test_id("add-to-cart-form")).to_contain_text(
            re.compile("your own listing|你自己发布")
        )
    finally:
        owner.context.close()
    return f"/listing/{product_id}"


def open_listing_by_title(ui: Page, title: str) -> None:
    ui.goto(f"/search?q={quote(title)}")
    card = ui.get_by_test_id("listing-card").filter(has_text=title).first
    card.get_by_test_id("listing-card-link").click()
    expect(ui.get_by_test_id("listing-title")).to_have_text(title)


def add_and_expect_count(ui: Page, count: int) -> None:
    ui.get_by_test_id("add-to-cart").click()
    expect(ui.get_by_test_id("cart-count")).to_have_text(str(count))
    expect(ui.get_by_test_id("toast")).to_be_visible()


def line(ui: Page, title: str):
    return ui.get_by_test_id("cart-line").filter(
        has=ui.get_by_test_id("cart-line-title").filter(has_text=title)
    )


def test_an_empty_cart_offers_a_way_on(ui: Page):
    ui.goto("/cart")
    expect(ui.get_by_test_id("empty-state")).to_be_visible()
    expect(ui.get_by_test_id("cart-count")).to_have_text("0")
    ui.get_by_test_id("empty-state").get_by_role("link").click()
    expect(ui).to_have_url(re.compile(r"/search"))


def test_guest_fills_the_cart_edits_it_and_logs_in_to_merge(
    ui: Page, browser: Browser, app: App, size: str, jar_product: str
):
    # Someone with an account already has a baguette in their cart.
    email = new_email()
    other = fresh_page(browser, app, size)
    try:
        register(other, email, name="Cart Keeper")
        open_listing_by_title(other, PLAIN_PRODUCT)
        add_and_expect_count(other, 1)
    finally:
        other.context.close()

    # As a guest: the large jar, two of them.
    ui.goto(jar_product)
    expect(ui.get_by_test_id("nav-login")).to_be_visible()
    options = ui.get_by_test_id("variant-option")
    expect(options).to_have_text(["Small jar", "Large jar"])
    options.nth(1).click()
    expect(options.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(ui.get_by_test_id("listing-price")).to_contain_text("20.00")
    ui.get_by_test_id("quantity-input").fill("2")
    add_and_expect_count(ui, 2)
    guest_cookie = next(c for c in ui.context.cookies() if c["name"] == "mp_cart")
    assert guest_cookie["httpOnly"] and guest_cookie["sameSite"] == "Lax"

    # A neighbour's one-off: no quantity to choose.
    open_listing_by_title(ui, NEIGHBOUR_ITEM)
    racket_price = amount(ui.get_by_test_id("listing-price").inner_text())
    expect(ui.get_by_test_id("quantity-input")).to_have_count(0)
    add_and_expect_count(ui, 3)

    # And a baguette, to be removed again.
    open_listing_by_title(ui, PLAIN_PRODUCT)
    add_and_expect_count(ui, 4)

    # The cart: two sellers, lines with titles, variant and totals.
    ui.get_by_test_id("nav-cart").click()
    expect(ui).to_have_url(re.compile(r"/cart$"))
    expect(ui.get_by_test_id("cart-group")).to_have_count(2)
    expect(ui.get_by_test_id("cart-line")).to_have_count(3)
    jar = line(ui, "Jam jar")
    expect(jar.get_by_test_id("cart-line-variant")).to_have_text("Large jar")
    expect(jar.get_by_test_id("cart-line-total")).to_contain_text("40.00")
    racket = line(ui, NEIGHBOUR_ITEM)
    expect(racket.get_by_test_id("cart-line-qty")).to_have_value("1")
    expect(racket.get_by_test_id("cart-line-qty")).to_have_attribute("readonly", "")
    baguette_price = amount(line(ui, PLAIN_PRODUCT).get_by_test_id("cart-line-total").inner_text())
    total = ui.get_by_test_id("cart-total")
    expect(total).to_contain_text(f"{Decimal(40) + racket_price + baguette_price:,.2f}")
    expect(ui.get_by_test_id("checkout-button")).to_have_attribute("href", "/login?next=/checkout")

    # Change a quantity by typing, then with the stepper; totals and the nav count follow.
    qty = jar.get_by_test_id("cart-line-qty")
    qty.fill("3")
    qty.press("Enter")
    expect(jar.get_by_test_id("cart-line-total")).to_contain_text("60.00")
    expect(ui.get_by_test_id("cart-count")).to_have_text("5")
    expect(total).to_contain_text(f"{Decimal(60) + racket_price + baguette_price:,.2f}")
    jar.get_by_test_id("cart-line-decrease").click()
    expect(jar.get_by_test_id("cart-line-qty")).to_have_value("2")
    expect(ui.get_by_test_id("cart-count")).to_have_text("4")

    # More than the stock (4 large jars): refused next to the line, nothing lost.
    qty = jar.get_by_test_id("cart-line-qty")
    qty.fill("9")
    qty.press("Enter")
    expect(jar.get_by_test_id("form-error")).to_be_visible()
    expect(ui.get_by_test_id("cart-count")).to_have_text("4")

    # Remove the baguette.
    line(ui, PLAIN_PRODUCT).get_by_test_id("cart-line-remove").click()
    expect(ui.get_by_test_id("cart-line")).to_have_count(2)
    expect(ui.get_by_test_id("cart-count")).to_have_text("3")
    expect(total).to_contain_text(f"{Decimal(40) + racket_price:,.2f}")

    # Phone and desktop: nothing sticks out, the checkout button can be reached.
    assert ui.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    ui.get_by_test_id("checkout-button").scroll_into_view_if_needed()
    expect(ui.get_by_test_id("checkout-button")).to_be_in_viewport()

    # Log in: the guest cart joins the account's cart.
    log_in(ui, email, PASSWORD)
    expect(ui.get_by_test_id("nav-account")).to_be_visible()
    expect(ui.get_by_test_id("cart-count")).to_have_text("4")
    assert not [c for c in ui.context.cookies() if c["value"] == guest_cookie["value"]]
    ui.goto("/cart")
    expect(ui.get_by_test_id("cart-line")).to_have_count(3)
    expect(ui.get_by_test_id("cart-group")).to_have_count(2)
    expect(line(ui, "Jam jar").get_by_test_id("cart-line-qty")).to_have_value("2")
    expect(line(ui, PLAIN_PRODUCT).get_by_test_id("cart-line-qty")).to_have_value("1")
    expect(ui.get_by_test_id("checkout-button")).to_have_attribute("href", "/checkout")
