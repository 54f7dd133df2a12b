"""Shops in the browser: apply, operator approval or rejection, products with variants, search."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import App
from tests.e2e.test_accounts import log_in, new_email, register

MODERATOR = ("moderator@demo.town", "demo-mod-pass")


def unique_word() -> str:
    """A word of letters only, found by nothing else in the demo town."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "logo.png"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (190, 120, 60)).save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return path


def other_page(browser: Browser, app: App, like: Page) -> Page:
    """A page in a fresh browser context (no cookies) with the same viewport."""
    context = browser.new_context(viewport=like.viewport_size, base_url=app.url, locale="en-US")
    context.set_default_timeout(15_000)
    return context.new_page()


def apply_for_shop(ui: Page, name: str, logo: Path | None = None) -> None:
    ui.goto("/shop/apply")
    ui.get_by_test_id("shop-name").fill(name)
    ui.get_by_test_id("shop-description").fill("Honey and jam from the valley.")
    if logo is not None:
        ui.get_by_test_id("shop-logo").set_input_files(str(logo))
        expect(ui.get_by_test_id("shop-logo-preview")).to_be_visible()
    ui.get_by_test_id("shop-district").select_option("Millbrook")
    ui.get_by_test_id("shop-address").fill("3 Mill Lane")
    ui.get_by_test_id("shop-pickup").fill("At the farm gate")
    ui.get_by_test_id("shop-phone").fill("+86 571 8650 0000")
    ui.get_by_test_id("shop-apply-submit").click()
    expect(ui.get_by_test_id("shop-status")).to_contain_text(re.compile("waiting|等待"))


def queue_row(mod: Page, name: str):
    mod.goto("/account")
    mod.get_by_test_id("account-queue-link").click()
    expect(mod).to_have_url(re.compile(r"/admin/queue/?$"))
    row = mod.get_by_test_id("admin-queue-row").filter(has_text=name)
    expect(row).to_have_count(1)
    return row


def test_shop_from_application_to_a_product_found_in_search(
    ui: Page, browser: Browser, app: App, picture: Path
):
    word = unique_word()
    shop_name = f"{word.title()} Pantry"
    register(ui, new_email(), name="Shop Owner")
    apply_for_shop(ui, shop_name, logo=picture)

    ui.goto("/shop/manage")  # not approved yet: no shop rights
    expect(ui.get_by_test_id("shop-apply-link")).to_be_visible()

    mod = other_page(browser, app, ui)
    log_in(mod, *MODERATOR)
    expect(mod.get_by_test_id("nav-account")).to_be_visible()
    row = queue_row(mod, shop_name)
    row.get_by_test_id("admin-approve").click()
    expect(mod.get_by_test_id("admin-queue-row").filter(has_text=shop_name)).to_have_count(0)
    mod.context.close()

    ui.goto("/shop/apply")
    expect(ui.get_by_test_id("shop-status")).to_contain_text(re.compile("open|开张"))
    ui.goto("/account")
    shop_link = ui.get_by_test_id("account-shop-link")
    expect(shop_link).to_have_attribute("href", re.compile(r"/shop/manage/?$"))  # session loaded
    shop_link.click()
    expect(ui).to_have_url(re.compile(r"/shop/manage/?$"))
    ui.get_by_test_id("product-new").click()
    expect(ui).to_have_url(re.compile(r"/shop/manage/product/new/?$"))

    title = f"Wildflower {word} honey"
    ui.get_by_test_id("product-title").fill(title)
    ui.get_by_test_id("product-description").fill("Raw honey, two sizes.")
    ui.get_by_test_id("product-category").select_option("produce")
    ui.get_by_test_id("variant-label").first.fill("250 g")
    ui.get_by_test_id("variant-price").first.fill("18")
    ui.get_by_test_id("variant-stock").first.fill("5")
    ui.get_by_test_id("variant-add").click()
    expect(ui.get_by_test_id("variant-row")).to_have_count(2)
    ui.get_by_test_id("variant-label").nth(1).fill("500 g")
    ui.get_by_test_id("variant-price").nth(1).fill("32.50")
    ui.get_by_test_id("variant-stock").nth(1).fill("3")
    ui.get_by_test_id("product-save").click()
    expect(ui).to_have_url(re.compile(r"/shop/manage/product/\d+$"))
    expect(ui.get_by_test_id("variant-label").nth(1)).to_have_value("500 g")

    ui.get_by_test_id("product-photos").set_input_files(str(picture))
    expect(ui.get_by_test_id("product-photo-preview")).to_have_count(1)
    ui.get_by_test_id("product-publish").click()
    expect(ui.get_by_test_id("product-status")).to_have_text(re.compile("Available|在售"))

    ui.goto("/shop/manage")
    product = ui.get_by_test_id("product-row").filter(has_text=title)
    expect(product.get_by_test_id("product-unpublish")).to_be_visible()
    expect(product.get_by_test_id("variant-stock-input")).to_have_count(2)

    visitor = other_page(browser, app, ui)
    visitor.goto(f"/search?q={word}")
    expect(visitor.get_by_test_id("results-count")).to_have_text(re.compile(r"\b1\b"))
    card = visitor.get_by_test_id("listing-card").filter(has_text=title)
    expect(card).to_have_count(1)
    card.get_by_test_id("listing-card-link").click()
    expect(visitor).to_have_url(re.compile(r"/listing/\d+$"))
    expect(visitor.get_by_test_id("listing-title")).to_have_text(title)
    options = visitor.get_by_test_id("variant-option")
    expect(options).to_have_text(["250 g", "500 g"])
    expect(options.first).to_have_attribute("aria-pressed", "true")
    expect(visitor.get_by_test_id("listing-price")).to_contain_text("18.00")
    options.nth(1).click()
    expect(options.nth(1)).to_have_attribute("aria-pressed", "true")
    expect(visitor.get_by_test_id("listing-price")).to_contain_text("32.50")
    expect(visitor.get_by_test_id("listing-stock")).to_have_text(re.compile(r"3"))

    ui.goto("/shop/apply")
    slug_href = ui.get_by_test_id("shop-public-link").get_attribute("href")
    visitor.goto(slug_href)
    expect(visitor.get_by_test_id("shop-page-name")).to_have_text(shop_name)
    expect(visitor.get_by_test_id("shop-page-logo")).to_be_visible()
    expect(visitor.get_by_test_id("listing-card").filter(has_text=title)).to_have_count(1)
    assert visitor.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    visitor.context.close()


def test_rejected_application_shows_the_reason_and_can_be_sent_again(
    ui: Page, browser: Browser, app: App
):
    word = unique_word()
    shop_name = f"{word.title()} Repairs"
    reason = f"Please give the full street address ({word})."
    register(ui, new_email(), name="Hopeful Owner")
    apply_for_shop(ui, shop_name)

    mod = other_page(browser, app, ui)
    log_in(mod, *MODERATOR)
    expect(mod.get_by_test_id("nav-account")).to_be_visible()
    row = queue_row(mod, shop_name)
    row.get_by_test_id("admin-reject").click()  # no reason: refused next to the row
    expect(row.get_by_test_id("form-error")).to_be_visible()
    row.get_by_test_id("admin-reason").fill(reason)
    row.get_by_test_id("admin-reject").click()
    expect(mod.get_by_test_id("admin-queue-row").filter(has_text=shop_name)).to_have_count(0)
    mod.context.close()

    ui.goto("/shop/apply")
    expect(ui.get_by_test_id("shop-reject-reason")).to_have_text(reason)
    expect(ui.get_by_test_id("shop-name")).to_have_value(shop_name)
    ui.get_by_test_id("shop-address").fill("3 Mill Lane, Millbrook 100012")
    ui.get_by_test_id("shop-apply-submit").click()
    expect(ui.get_by_test_id("shop-status")).to_contain_text(re.compile("waiting|等待"))


def test_operator_queue_is_for_moderators_only(ui: Page):
    register(ui, new_email(), name="Curious User")
    ui.goto("/admin/queue")
    expect(ui).to_have_url(re.compile(r"/$"))
    expect(ui.get_by_test_id("admin-queue-row")).to_have_count(0)
