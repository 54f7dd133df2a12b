"""Selling in the browser: the form with a photo, publishing, and the listing's lifecycle."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from marketplace_app.state.sell import SellState
from tests.e2e.conftest import VIEWPORTS
from tests.e2e.test_accounts import new_email, register


def photo(tmp_path: Path, name: str = "lamp.jpg", colour=(180, 120, 40)) -> Path:
    path = tmp_path / name
    Image.new("RGB", (640, 480), colour).save(path, "JPEG", quality=85)
    return path


def loaded(img) -> bool:
    return img.evaluate("img => img.complete && img.naturalWidth > 0")


def anonymous_sees(browser: Browser, base_url: str, size: str, path: str) -> str:
    """Open ``path`` in a fresh context (no cookies): "listing" or "not-found"."""
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=base_url)
    try:
        page = context.new_page()
        page.goto(path)
        found = page.get_by_test_id("listing-title").or_(page.get_by_test_id("not-found"))
        expect(found).to_be_visible(timeout=15_000)
        return "not-found" if page.get_by_test_id("not-found").is_visible() else "listing"
    finally:
        context.close()


def buyer_finds_and_keeps(browser: Browser, base_url: str, size: str, word: str, title: str):
    """Another resident finds the new item by a word and by radius, then favorites it."""
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=base_url, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        buyer = context.new_page()
        register(buyer, new_email(), name="Buyer Bea")
        for query, expected in (
            (f"q={word}", 1),
            (f"near=Riverside&q={word}&radius=1", 1),
            (f"near=Northgate&q={word}&radius=3", 0),
        ):
            buyer.goto(f"/search?{query}")
            count = buyer.locator(
                f'[data-testid="results-count"][data-query="{query}"][aria-busy="false"]'
            )
            expect(count).to_have_text(re.compile(rf"\b{expected}\b"))
        buyer.goto(f"/search?near=Riverside&q={word}&radius=1")
        card = buyer.get_by_test_id("listing-card").filter(has_text=title)
        card.get_by_test_id("listing-card-favorite").click()
        expect(card.get_by_test_id("listing-card-favorite")).to_have_attribute(
            "aria-pressed", "true"
        )
        buyer.goto("/favorites")
        kept = buyer.get_by_test_id("favorites-list").get_by_test_id("listing-card-title")
        expect(kept.filter(has_text=title)).to_have_count(1)
    finally:
        context.close()


def row_of(ui: Page, title: str):
    return ui.get_by_test_id("my-listing-row").filter(has_text=title)


def test_sell_requires_logging_in(ui: Page):
    ui.goto("/sell")
    expect(ui).to_have_url(re.compile(r"/login\?next=%2Fsell(%2F)?$"))


def test_post_an_item_with_a_photo_then_pause_sell_and_delete(
    ui: Page, browser: Browser, app, size: str, tmp_path: Path
):
    register(ui, new_email(), name="Seller Sam")
    ui.goto("/sell")
    word = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])
    title = f"Brass lamp {word}"

    # An empty publish: errors next to the fields, what was typed stays.
    ui.get_by_test_id("sell-title").fill(title)
    ui.get_by_test_id("sell-submit").click()
    errors = ui.get_by_test_id("form-error")
    expect(errors.first).to_be_visible()
    assert errors.count() >= 4  # category, condition, price, photos (district may be preset)
    expect(ui.get_by_test_id("sell-title")).to_have_value(title)
    expect(ui).to_have_url(re.compile(r"/sell\?draft=\d+$"))

    # A photo: uploaded, stored, previewed.
    ui.get_by_test_id("sell-photos").set_input_files(str(photo(tmp_path)))
    preview = ui.get_by_test_id("sell-photo-preview")
    expect(preview).to_have_count(1)
    preview_img = preview.first.locator("img")
    expect(preview_img).to_have_attribute("alt", re.compile(r".+"))
    ui.wait_for_function(
        "el => el.complete && el.naturalWidth > 0", arg=preview_img.element_handle()
    )
    expect(ui.get_by_test_id("sell-title")).to_have_value(title)

    # The rest of the form, then publish.
    ui.get_by_test_id("sell-description").fill("Polished brass, works with any bulb.")
    ui.get_by_test_id("sell-category").select_option("home")
    ui.get_by_test_id("sell-condition").select_option("good")
    ui.get_by_test_id("sell-price").fill("12.50")
    ui.get_by_test_id("sell-district").select_option("Riverside")
    ui.get_by_test_id("sell-submit").click()

    expect(ui).to_have_url(re.compile(r"/listing/\d+$"))
    listing_path = re.search(r"/listing/\d+$", ui.url).group(0)
    expect(ui.get_by_test_id("listing-title")).to_have_text(title)
    expect(ui.get_by_test_id("listing-price")).to_contain_text("12.50")
    image = ui.get_by_test_id("listing-gallery-image").first
    expect(image).to_be_visible()
    assert image.get_attribute("alt")
    ui.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=image.element_handle())
    assert loaded(image)
    assert anonymous_sees(browser, app.url, size, listing_path) == "listing"
    buyer_finds_and_keeps(browser, app.url, size, word, title)

    # My listings: pause hides it from others, resume brings it back.
    ui.goto("/my/listings")
    row = row_of(ui, title)
    expect(row).to_have_count(1)
    expect(row).to_have_attribute("data-status", "active")
    row.get_by_test_id("listing-pause").click()
    expect(row).to_have_attribute("data-status", "paused")
    assert anonymous_sees(browser, app.url, size, listing_path) == "not-found"
    row.get_by_test_id("listing-pause").click()
    expect(row).to_have_attribute("data-status", "active")
    assert anonymous_sees(browser, app.url, size, listing_path) == "listing"

    # Mark sold: still public, marked sold; no more pausing.
    row.get_by_test_id("listing-mark-sold").click()
    expect(row).to_have_attribute("data-status", "sold")
    expect(row.get_by_test_id("listing-pause")).to_have_count(0)

    # Delete, with a confirmation step: gone for everyone.
    row.get_by_test_id("listing-delete").click()
    ui.get_by_test_id("listing-delete-cancel").click()
    expect(row).to_have_count(1)
    row.get_by_test_id("listing-delete").click()
    ui.get_by_test_id("listing-delete-confirm").click()
    expect(row_of(ui, title)).to_have_count(0)
    assert anonymous_sees(browser, app.url, size, listing_path) == "not-found"


def test_a_draft_survives_a_reload_and_photos_can_be_reordered(ui: Page, tmp_path: Path):
    register(ui, new_email(), name="Drafty Dana")
    ui.goto("/sell")
    title = f"Half-written {uuid.uuid4().hex[:6]}"
    ui.get_by_test_id("sell-title").fill(title)
    files = [
        str(photo(tmp_path, "a.jpg", (200, 30, 30))),
        str(photo(tmp_path, "b.png", (30, 200, 30))),
    ]
    ui.get_by_test_id("sell-photos").set_input_files(files)
    previews = ui.get_by_test_id("sell-photo-preview")
    expect(previews).to_have_count(2)
    first_src = previews.nth(0).locator("img").get_attribute("src")
    second_src = previews.nth(1).locator("img").get_attribute("src")

    previews.nth(1).get_by_test_id("sell-photo-cover").click()
    expect(previews.nth(0).locator("img")).to_have_attribute("src", second_src)
    previews.nth(0).get_by_test_id("sell-photo-right").click()
    expect(previews.nth(0).locator("img")).to_have_attribute("src", first_src)

    ui.get_by_test_id("sell-draft").click()
    expect(ui.get_by_test_id("toast")).to_be_visible()
    expect(ui).to_have_url(re.compile(r"/sell\?draft=\d+$"))
    ui.reload()
    expect(ui.get_by_test_id("sell-title")).to_have_value(title)
    expect(ui.get_by_test_id("sell-photo-preview")).to_have_count(2)
    expect(previews.nth(0).locator("img")).to_have_attribute("src", first_src)

    previews.nth(0).get_by_test_id("sell-photo-remove").click()
    expect(previews).to_have_count(1)
    expect(previews.nth(0).locator("img")).to_have_attribute("src", second_src)

    ui.goto("/my/listings?status=draft")
    expect(row_of(ui, title)).to_have_count(1)


def test_an_upload_to_someone_elses_tab_is_refused(
    ui: Page, browser: Browser, app, size: str, tmp_path: Path
):
    register(ui, new_email(), name="Victim Vic")
    ui.goto("/sell")
    ui.get_by_test_id("sell-photos").set_input_files(str(photo(tmp_path)))
    previews = ui.get_by_test_id("sell-photo-preview")
    expect(previews).to_have_count(1)
    expect(ui).to_have_url(re.compile(r"/sell\?draft=\d+$"))
    # The Reflex client token names the tab; it is no credential.
    tab = ui.evaluate("() => window.sessionStorage.getItem('token')")
    assert tab

    # Mallory learned it. She uploads to that tab from her own browser, logged in
    # as herself, then from one with no cookie at all.
    upload = {
        "headers": {
            "Reflex-Client-Token": tab,
            "Reflex-Event-Handler": f"{SellState.get_full_name()}.upload_photos",
        },
        "multipart": {
            "files": {
                "name": "evil.jpg",
                "mimeType": "image/jpeg",
                "buffer": photo(tmp_path, "evil.jpg", (0, 0, 0)).read_bytes(),
            }
        },
    }
    mallory = browser.new_context(viewport=VIEWPORTS[size], base_url=app.url, locale="en-US")
    stranger = browser.new_context(base_url=app.url)
    try:
        page = mallory.new_page()
        register(page, new_email(), name="Mallory")
        for request in (mallory.request, stranger.request):
            response = request.post("/_upload", **upload)
            assert response.status < 500
    finally:
        mallory.close()
        stranger.close()

    # The victim's tab was left alone (no redirect sent to it), and after a
    # reload the draft holds only the victim's photo; the victim can still add one.
    expect(ui).to_have_url(re.compile(r"/sell\?draft=\d+$"))
    expect(previews).to_have_count(1)
    ui.reload()
    expect(previews).to_have_count(1)
    ui.get_by_test_id("sell-photos").set_input_files(str(photo(tmp_path, "mine.png", (1, 200, 1))))
    expect(previews).to_have_count(2)
