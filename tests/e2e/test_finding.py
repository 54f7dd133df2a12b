"""Finding things: search with filters in the URL, radius, favorites, reports."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlparse

from playwright.sync_api import Page, expect

from tests.e2e.test_accounts import new_email, register

# Demo-town listings: other tests add (and sell) listings of their own, so the
# tests that need a particular kind of listing name one from the demo.
DEMO_GIVEAWAY = "Free: children's picture books"
DEMO_REPAIR = "Bicycle tune-up and brake check"


def _count(ui: Page) -> int:
    """The result count, once the results for the URL's query are on screen."""
    query = urlencode(sorted((k, v[0]) for k, v in parse_qs(urlparse(ui.url).query).items()))
    count = ui.locator(f'[data-testid="results-count"][data-query="{query}"][aria-busy="false"]')
    expect(count).to_be_visible()
    return int(re.search(r"\d+", count.inner_text()).group(0))


def _params(ui: Page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(ui.url).query).items()}


def _open_filters(ui: Page, size: str) -> None:
    if size == "phone":
        ui.get_by_test_id("filters-toggle").click()
    expect(ui.get_by_test_id("filter-category")).to_be_visible()


def test_filters_live_in_the_url_and_survive_reload_and_back(ui: Page, size: str):
    ui.goto("/search")
    everything = _count(ui)
    assert everything > 20
    _open_filters(ui, size)
    ui.get_by_test_id("filter-kind").select_option("shop")
    expect(ui).to_have_url(re.compile(r"kind=shop"))
    shops = _count(ui)
    assert 0 < shops < everything
    if size == "phone":
        ui.get_by_test_id("filters-toggle").click()
    ui.get_by_test_id("sort-select").select_option("price_asc")
    expect(ui).to_have_url(re.compile(r"sort=price_asc"))
    assert _count(ui) == shops
    prices = ui.get_by_test_id("listing-card-price").all_inner_texts()
    values = [float(re.sub(r"[^\d.]", "", p) or 0) for p in prices]
    assert values == sorted(values)

    ui.reload()
    assert _params(ui) == {"kind": "shop", "sort": "price_asc"}
    assert _count(ui) == shops
    ui.go_back()
    expect(ui).to_have_url(re.compile(r"kind=shop$"))
    ui.go_back()
    expect(ui).to_have_url(re.compile(r"/search/?$"))
    assert _count(ui) == everything


def test_free_only_and_price_range(ui: Page, size: str):
    ui.goto("/search?free=1")
    free = _count(ui)
    assert free >= 1
    for price in ui.get_by_test_id("listing-card-price").all_inner_texts():
        assert re.search(r"Free|免费", price)
    ui.goto("/search")
    _open_filters(ui, size)
    ui.get_by_test_id("filter-min-price").fill("10")
    ui.get_by_test_id("filter-max-price").fill("30")
    ui.get_by_test_id("filter-apply").click()
    expect(ui).to_have_url(re.compile(r"min=10.*max=30|max=30.*min=10"))
    assert _count(ui) > 0
    for price in ui.get_by_test_id("listing-card-price").all_inner_texts():
        assert 10 <= float(re.sub(r"[^\d.]", "", price)) <= 30


def test_radius_narrows_and_distance_sort_orders(ui: Page, size: str):
    ui.goto("/search?near=Old+Town&sort=distance")
    everything = _count(ui)
    ui.goto("/search?near=Old+Town&radius=1&sort=distance")
    nearby = _count(ui)
    assert 0 < nearby < everything
    places = ui.get_by_test_id("listing-card").all_inner_texts()
    assert all("<1 km" in p or "~1 km" in p for p in places)


def test_find_by_word_then_keep_it_as_a_favorite(ui: Page, size: str):
    register(ui, new_email(), name="Fan")
    ui.goto("/search")
    title = DEMO_GIVEAWAY
    box = ui.get_by_test_id("search-input")
    box.fill("picture")
    ui.get_by_test_id("search-submit").click()
    expect(ui).to_have_url(re.compile(r"q="))
    expect(ui.get_by_test_id("listing-card-title").filter(has_text=title).first).to_be_visible()
    ui.get_by_test_id("listing-card-link").filter(has_text=title).first.click()
    expect(ui.get_by_test_id("listing-title")).to_have_text(title)
    heart = ui.get_by_test_id("favorite-toggle")
    expect(heart).to_have_attribute("aria-pressed", "false")
    heart.click()
    expect(heart).to_have_attribute("aria-pressed", "true")
    ui.goto("/favorites")
    kept = ui.get_by_test_id("favorites-list")
    expect(kept.get_by_test_id("listing-card-title").filter(has_text=title)).to_have_count(1)
    expect(ui.get_by_test_id("recently-viewed")).to_be_visible()
    kept.get_by_test_id("listing-card-favorite").first.click()
    ui.reload()
    expect(ui.get_by_test_id("empty-state")).to_be_visible()


def test_guests_are_asked_to_log_in_to_keep_favorites(ui: Page):
    ui.goto("/search")
    ui.get_by_test_id("listing-card-favorite").first.click()
    expect(ui).to_have_url(re.compile(r"/login\?next="))


def test_listing_page_has_distance_similar_items_and_a_report_form(ui: Page):
    register(ui, new_email(), name="Reporter")
    ui.goto("/search?kind=secondhand&q=picture")
    ui.get_by_test_id("listing-card-link").filter(has_text=DEMO_GIVEAWAY).click()
    expect(ui.get_by_test_id("listing-distance")).to_have_text(re.compile(r"km"))
    expect(ui.get_by_test_id("similar-items").get_by_test_id("listing-card").first).to_be_visible()
    ui.get_by_test_id("report-listing").click()
    ui.get_by_test_id("report-reason").select_option("wrong_category")
    ui.get_by_test_id("report-text").fill("This is a bicycle helmet, not a book.")
    ui.get_by_test_id("report-submit").click()
    expect(ui.get_by_test_id("toast")).to_be_visible()


def test_share_link_previews_the_listing(ui: Page, app):
    import httpx

    ui.goto("/search?kind=shop&q=brake")
    ui.get_by_test_id("listing-card-link").filter(has_text=DEMO_REPAIR).click()
    expect(ui).to_have_url(re.compile(r"/listing/\d+$"))
    listing_id = ui.url.rsplit("/", 1)[-1]
    title = ui.get_by_test_id("listing-title").inner_text()
    expect(ui).to_have_title(re.compile(re.escape(title)))
    page = httpx.get(f"{app.url}/share/listing/{listing_id}").text
    assert 'property="og:image"' in page and "og:title" in page
