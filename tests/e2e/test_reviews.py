"""Reviews in the browser: both sides review a completed order (blind until both did),
the reviews appear on the listing page, the seller card's figures change, the seller replies.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT
from tests.e2e.test_accounts import PASSWORD, new_email
from tests.e2e.test_orders import open_order, person
from tests.e2e.test_selling import photo


def seed_completed(app, buyer: str, seller: str) -> tuple[str, int]:
    """A completed cash pickup of a neighbour's item: (order number, listing id)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.order_seed", "--buyer", buyer, "--seller", seller]
        + ["--password", PASSWORD, "--complete"],
        cwd=ROOT,
        env=app.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seeded = json.loads(done.stdout.strip().splitlines()[-1])
    return seeded["number"], int(seeded["listing_id"])


def card_text(page: Page, testid: str) -> str:
    return page.get_by_test_id("listing-seller").get_by_test_id(testid).inner_text()


def test_both_sides_review_then_reviews_show_and_the_seller_card_changes(
    browser: Browser, app, ui: Page, size: str, tmp_path: Path
):
    buyer_email, seller_email = new_email(), new_email()
    number, listing_id = seed_completed(app, buyer_email, seller_email)

    # A visitor sees the seller card before any review.
    ui.goto(f"/listing/{listing_id}")
    expect(ui.get_by_test_id("listing-title")).to_be_visible()
    expect(ui.get_by_test_id("seller-rating")).not_to_contain_text("★")
    expect(ui.get_by_test_id("seller-completion")).to_contain_text("100%")
    expect(ui.get_by_test_id("seller-no-shows")).to_contain_text("0")
    explanation = ui.get_by_test_id("seller-how-computed-text")
    expect(explanation).not_to_be_visible()
    ui.get_by_test_id("seller-how-computed").click()
    expect(explanation).to_be_visible()
    expect(ui.get_by_test_id("review-item")).to_have_count(0)

    buyer = person(browser, app, size, buyer_email)
    seller = person(browser, app, size, seller_email)
    try:
        # The buyer rates 4 stars with words and a photo: waiting for the other side.
        open_order(buyer, number)
        stars = buyer.get_by_test_id("review-stars-4")
        stars.click()
        expect(stars).to_have_attribute("aria-pressed", "true")
        expect(buyer.get_by_test_id("review-stars-5")).to_have_attribute("aria-pressed", "false")
        buyer.get_by_test_id("review-text").fill("Lovely teapot, as described.")
        buyer.get_by_test_id("review-photos").set_input_files(str(photo(tmp_path, "pot.jpg")))
        expect(buyer.get_by_test_id("review-photo-preview")).to_have_count(1)
        buyer.get_by_test_id("review-submit").click()
        expect(buyer.get_by_test_id("review-mine")).to_have_attribute("data-state", "waiting")
        expect(buyer.get_by_test_id("review-submit")).to_have_count(0)

        # Blind: nothing is public yet.
        ui.reload()
        expect(ui.get_by_test_id("listing-title")).to_be_visible()
        expect(ui.get_by_test_id("seller-rating")).not_to_contain_text("★")
        expect(ui.get_by_test_id("review-item")).to_have_count(0)

        # The seller rates the buyer with the keyboard; both reviews are published.
        open_order(seller, number)
        expect(seller.get_by_test_id("review-theirs")).to_have_count(0)
        seller.get_by_test_id("review-stars-5").focus()
        seller.keyboard.press("Enter")
        expect(seller.get_by_test_id("review-stars-5")).to_have_attribute("aria-pressed", "true")
        seller.get_by_test_id("review-text").fill("Quick and friendly.")
        seller.get_by_test_id("review-submit").click()
        expect(seller.get_by_test_id("review-mine")).to_have_attribute("data-state", "published")
        expect(seller.get_by_test_id("review-theirs")).to_contain_text("Lovely teapot")

        open_order(buyer, number)
        expect(buyer.get_by_test_id("review-mine")).to_have_attribute("data-state", "published")
        expect(buyer.get_by_test_id("review-theirs")).to_contain_text("Quick and friendly.")

        # The listing page shows the review and the changed figures.
        ui.reload()
        item = ui.get_by_test_id("review-item")
        expect(item).to_have_count(1)
        expect(item.get_by_test_id("review-item-text")).to_have_text("Lovely teapot, as described.")
        expect(item.get_by_test_id("review-item-stars")).to_have_attribute("data-stars", "4")
        expect(item.get_by_test_id("review-photo")).to_have_count(1)
        expect(ui.get_by_test_id("seller-rating")).to_have_text(re.compile(r"★ 4\.0 · 1\D"))
        expect(item.get_by_test_id("review-report")).to_have_count(0)  # visitors log in first

        # The seller answers once, publicly.
        seller.goto(f"/listing/{listing_id}")
        mine = seller.get_by_test_id("review-item")
        expect(mine).to_have_count(1)
        mine.get_by_test_id("review-reply-open").click()
        seller.get_by_test_id("review-reply").fill("Thank you, enjoy your tea!")
        seller.get_by_test_id("review-reply-submit").click()
        expect(mine.get_by_test_id("review-item-reply")).to_contain_text("enjoy your tea")
        expect(mine.get_by_test_id("review-reply-open")).to_have_count(0)
        ui.reload()
        expect(ui.get_by_test_id("review-item-reply")).to_contain_text("enjoy your tea")
    finally:
        buyer.context.close()
        seller.context.close()
