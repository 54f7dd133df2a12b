"""Chat in the browser: two people, each in their own context, talking live.

A buyer asks about a listing; the seller sees the unread badge, opens the
conversation and answers with a phone number, which the buyer sees masked
(with the notice why) in the open page, without a reload, within a second.
A reported message hidden by an operator shows the reason to both sides; a
block stops the chat for both. The seller's open conversation list shows a new
conversation, and a new message moves its conversation to the top, live.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT
from tests.e2e.test_accounts import PASSWORD, new_email
from tests.e2e.test_moderation import queue_row, word
from tests.e2e.test_orders import MODERATOR, person

LIVE_MS = 1000
# The list re-reads its top rows on a wake-up; a little more room than a thread.
LIST_LIVE_MS = 2000


def seed_listing(app, buyer: str, seller: str) -> int:
    """A one-off item of ``seller``'s, with ``buyer`` registered too (no order between them)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.message_seed", "--buyer", buyer, "--seller", seller]
        + ["--password", PASSWORD],
        cwd=ROOT,
        env=app.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["listing_id"]


def send(page: Page, text: str) -> None:
    page.get_by_test_id("message-input").fill(text)
    page.get_by_test_id("message-send").click()


def last_message(page: Page):
    return page.get_by_test_id("message-item").last


def test_two_people_chat_live_with_unread_badge_and_masking(browser: Browser, app, size: str):
    buyer_email, seller_email = new_email(), new_email()
    listing_id = seed_listing(app, buyer_email, seller_email)
    seller = person(browser, app, size, seller_email)
    buyer = person(browser, app, size, buyer_email)
    try:
        # The buyer starts the conversation from the listing's seller card.
        buyer.goto(f"/listing/{listing_id}")
        buyer.get_by_test_id("contact-seller").click()
        expect(buyer).to_have_url(re.compile(r"/messages/\d+$"))
        expect(buyer.get_by_test_id("message-input")).to_be_enabled()
        send(buyer, "Hello, is the kettle still available?")
        expect(last_message(buyer)).to_contain_text("still available")
        expect(buyer.get_by_test_id("message-input")).to_have_value("")

        # The seller sees the unread count in the navigation and on the conversation.
        seller.goto("/messages")
        expect(seller.get_by_test_id("nav-messages-count")).to_have_text("1")
        row = seller.get_by_test_id("conversation-row")
        expect(row).to_have_count(1)
        expect(row.get_by_test_id("conversation-unread")).to_have_text("1")
        row.click()
        expect(last_message(seller)).to_contain_text("still available")
        expect(seller.get_by_test_id("nav-messages-count")).to_have_text("0")

        # The answer shows in the buyer's open page, without a reload, within a second,
        # its phone number masked, with the notice why.
        send(seller, "Yes! Call me on 138 0013 8000 or pay 120 on 2025-06-01.")
        expect(last_message(buyer)).to_contain_text("Yes! Call me on", timeout=LIVE_MS)
        expect(last_message(buyer)).not_to_contain_text("8000")
        expect(last_message(buyer)).to_contain_text("pay 120 on 2025-06-01")
        expect(last_message(buyer).get_by_test_id("message-masked-notice")).to_be_visible()
        expect(buyer.get_by_test_id("message-masking-rule")).to_be_visible()

        # And back the other way, live too.
        send(buyer, "Great, see you tomorrow")
        expect(last_message(seller)).to_contain_text("see you tomorrow", timeout=LIVE_MS)
        expect(seller.get_by_test_id("message-item")).to_have_count(3)
        expect(seller.get_by_test_id("nav-messages-count")).to_have_text("0")
        seller.get_by_test_id("messages-back").click()
        expect(seller.get_by_test_id("conversation-row")).to_have_count(1)
        expect(seller.get_by_test_id("conversation-unread")).to_have_count(0)
    finally:
        seller.context.close()
        buyer.context.close()


def test_a_reported_message_is_hidden_by_an_operator_and_a_block_stops_the_chat(
    browser: Browser, app, size: str
):
    term = word()
    buyer_email, seller_email = new_email(), new_email()
    listing_id = seed_listing(app, buyer_email, seller_email)
    seller = person(browser, app, size, seller_email)
    buyer = person(browser, app, size, buyer_email)
    mod = person(browser, app, size, *MODERATOR)
    try:
        buyer.goto(f"/listing/{listing_id}")
        buyer.get_by_test_id("contact-seller").click()
        expect(buyer).to_have_url(re.compile(r"/messages/\d+$"))
        thread = buyer.url
        send(buyer, "Is it still for sale?")
        expect(last_message(buyer)).to_contain_text("still for sale")
        seller.goto(thread)
        send(seller, f"Pay me outside the app and save {term}")
        expect(last_message(buyer)).to_contain_text(term, timeout=LIVE_MS)

        # The buyer reports the seller's message; their own has no report button.
        expect(
            buyer.get_by_test_id("message-item").first.get_by_test_id("message-report")
        ).to_have_count(0)
        last_message(buyer).get_by_test_id("message-report").click()
        buyer.get_by_test_id("message-report-reason").select_option("scam")
        buyer.get_by_test_id("message-report-text").fill("Asks to pay off the platform.")
        buyer.get_by_test_id("message-report-submit").click()
        expect(buyer.get_by_test_id("message-report-sent")).to_be_visible()
        buyer.keyboard.press("Escape")

        # The operator sees it in context and hides it with a reason.
        row = queue_row(mod, "reports", term)
        expect(row).to_have_attribute("data-kind", "message")
        reported = row.get_by_test_id("admin-context-message").filter(has_text=term)
        expect(reported).to_have_attribute("data-reported", "true")
        row.get_by_test_id("admin-reason").fill(f"Off-platform payment {term}")
        row.get_by_test_id("admin-hide").click()
        expect(mod.get_by_test_id("admin-queue-row").filter(has_text=term)).to_have_count(0)

        # Both sides now see the operator's reason instead of the words.
        for page in (buyer, seller):
            page.goto(thread)
            expect(last_message(page).get_by_test_id("message-hidden")).to_contain_text(
                f"Off-platform payment {term}"
            )
            expect(last_message(page)).not_to_contain_text("outside the app")

        # The seller blocks the buyer: neither can write any more, each is told why.
        seller.get_by_test_id("user-block").click()
        expect(seller.get_by_test_id("message-input")).to_be_disabled()
        buyer.goto(thread)
        expect(buyer.get_by_test_id("message-input")).to_be_disabled()
        expect(buyer.get_by_test_id("toast")).to_be_visible()
    finally:
        for page in (seller, buyer, mod):
            page.context.close()


def test_the_conversation_list_updates_live(browser: Browser, app, size: str):
    buyer_email, seller_email = new_email(), new_email()
    first = seed_listing(app, buyer_email, seller_email)
    second = seed_listing(app, buyer_email, seller_email)
    seller = person(browser, app, size, seller_email)
    buyer = person(browser, app, size, buyer_email)
    try:
        seller.goto("/messages")
        expect(seller.get_by_test_id("empty-state")).to_be_visible()

        # A new conversation appears in the seller's open list, with its count and preview.
        buyer.goto(f"/listing/{first}")
        buyer.get_by_test_id("contact-seller").click()
        expect(buyer).to_have_url(re.compile(r"/messages/\d+$"))
        send(buyer, "Is the first kettle still there?")
        rows = seller.get_by_test_id("conversation-row")
        expect(rows).to_have_count(1, timeout=LIST_LIVE_MS)
        expect(rows.first.get_by_test_id("conversation-unread")).to_have_text("1")
        expect(rows.first.get_by_test_id("conversation-preview")).to_have_text(
            "Is the first kettle still there?"
        )
        expect(seller.get_by_test_id("nav-messages-count")).to_have_text("1")

        # A second one goes on top of it.
        buyer.goto(f"/listing/{second}")
        buyer.get_by_test_id("contact-seller").click()
        expect(buyer).to_have_url(re.compile(r"/messages/\d+$"))
        send(buyer, "And the second one?")
        expect(rows).to_have_count(2, timeout=LIST_LIVE_MS)
        expect(rows.first.get_by_test_id("conversation-preview")).to_have_text(
            "And the second one?"
        )

        # A new message in the older conversation moves it back to the top.
        buyer.goto(f"/listing/{first}")
        buyer.get_by_test_id("contact-seller").click()
        expect(buyer).to_have_url(re.compile(r"/messages/\d+$"))
        send(buyer, "I could come today")
        expect(rows.first.get_by_test_id("conversation-preview")).to_have_text(
            "I could come today", timeout=LIST_LIVE_MS
        )
        expect(rows.first.get_by_test_id("conversation-unread")).to_have_text("2")
        expect(rows.nth(1).get_by_test_id("conversation-preview")).to_have_text(
            "And the second one?"
        )
        expect(seller.get_by_test_id("nav-messages-count")).to_have_text("3")
    finally:
        seller.context.close()
        buyer.context.close()
