"""Orders in the browser: pickup with the handover code, a refund dispute, the inbox.

Orders are seeded into the running app's database through the order services
(``tests/e2e/order_seed.py``, run with the app's environment); everything after
that is clicked through by the buyer, the seller and the demo moderator, each
in their own browser context at the parametrized size.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT, VIEWPORTS
from tests.e2e.test_accounts import PASSWORD, log_in, new_email
from tests.e2e.test_cart import amount

MODERATOR = ("moderator@demo.town", "demo-mod-pass")


def seed_order(app, buyer: str, seller: str, delivery: str = "pickup") -> str:
    """A paid escrow order from ``seller`` to ``buyer`` (both created if new)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.order_seed", "--buyer", buyer, "--seller", seller]
        + ["--password", PASSWORD, "--delivery", delivery],
        cwd=ROOT,
        env=app.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["number"]


def person(browser: Browser, app, size: str, email: str, password: str = PASSWORD) -> Page:
    """A logged-in browser tab of its own for one person."""
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=app.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, email, password)
    expect(page.get_by_test_id("nav-account")).to_be_visible()
    return page


def status_is(page: Page, status: str) -> None:
    expect(page.get_by_test_id("order-detail-status")).to_have_attribute("data-status", status)


def open_order(page: Page, number: str) -> None:
    page.goto(f"/orders/{number}")
    expect(page.get_by_test_id("order-detail-status")).to_be_visible()


def test_pickup_with_handover_code_then_receipt_and_inbox(
    browser: Browser, app, size: str, mailbox
):
    buyer_email, seller_email = new_email(), new_email()
    number = seed_order(app, buyer_email, seller_email)
    seller = person(browser, app, size, seller_email)
    buyer = person(browser, app, size, buyer_email)
    try:
        # The seller finds the paid order among incoming orders and marks it ready.
        seller.goto("/seller/orders")
        row = seller.locator(f'[data-testid="seller-order-row"][data-number="{number}"]')
        expect(row).to_have_attribute("data-status", "paid")
        row.get_by_role("link").click()
        expect(seller).to_have_url(re.compile(rf"/orders/{number}$"))
        status_is(seller, "paid")
        expect(seller.get_by_test_id("handover-code")).to_have_count(0)
        seller.get_by_test_id("mark-ready").click()
        status_is(seller, "ready_for_pickup")

        # The buyer sees it in their list, opens it, and shows the code (digits and QR).
        buyer.goto("/orders")
        buyer_row = buyer.locator(f'[data-testid="order-row"][data-number="{number}"]')
        expect(buyer_row.get_by_test_id("order-status")).to_have_attribute(
            "data-status", "ready_for_pickup"
        )
        buyer_row.get_by_role("link").click()
        status_is(buyer, "ready_for_pickup")
        code_box = buyer.get_by_test_id("handover-code")
        expect(code_box).to_have_text(re.compile(r"^\d{6}$"))
        code = code_box.inner_text().strip()
        qr = buyer.get_by_test_id("handover-qr")
        expect(qr).to_have_attribute("alt", re.compile(r".+"))
        buyer.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=qr.element_handle()
        )
        current = buyer.locator('[data-testid="order-step"][data-state="current"]')
        expect(current).to_have_count(1)

        # A wrong code is refused next to the field; the right one completes the handover.
        seller.reload()
        status_is(seller, "ready_for_pickup")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        seller.get_by_test_id("handover-code-input").fill(wrong)
        seller.get_by_test_id("confirm-handover").click()
        expect(seller.get_by_test_id("form-error")).to_be_visible()
        status_is(seller, "ready_for_pickup")
        seller.get_by_test_id("handover-code-input").fill(code)
        seller.get_by_test_id("confirm-handover").click()
        status_is(seller, "handed_over")

        # The buyer confirms receipt: completed, and the timeline tells the story.
        buyer.reload()
        status_is(buyer, "handed_over")
        expect(buyer.get_by_test_id("handover-code")).to_have_count(0)
        buyer.get_by_test_id("order-confirm-receipt").click()
        status_is(buyer, "completed")
        expect(buyer.get_by_test_id("order-timeline-entry")).to_have_count(5)
        expect(buyer.locator('[data-testid="order-step"][data-state="done"]')).to_have_count(5)

        # The escrow money is released: the seller's balance shows the order's net.
        seller.goto("/seller/balance")
        statement = seller.locator(f'[data-testid="statement-row"][data-number="{number}"]')
        expect(statement.get_by_test_id("statement-status")).to_have_attribute(
            "data-status", "completed"
        )
        net = amount(statement.get_by_test_id("statement-net").inner_text())
        assert net > 0
        expect(seller.get_by_test_id("balance-available")).to_contain_text(f"{net:,.2f}")

        # Notices: the unread count in the navigation, the inbox, opening one.
        buyer.goto("/inbox")
        items = buyer.get_by_test_id("inbox-item")
        expect(items.first).to_be_visible()
        unread_before = int(buyer.get_by_test_id("unread-count").inner_text())
        assert unread_before >= 4  # paid, ready, handed over, completed
        expect(items.first).to_have_attribute("data-unread", "true")
        expect(items.first.get_by_test_id("inbox-item-text")).to_contain_text(number)
        items.first.get_by_role("button").click()
        expect(buyer).to_have_url(re.compile(rf"/orders/{number}$"))
        expect(buyer.get_by_test_id("unread-count")).to_have_text(str(unread_before - 1))
        buyer.goto("/inbox")
        expect(buyer.get_by_test_id("inbox-item").first).to_have_attribute("data-unread", "false")
        buyer.get_by_test_id("inbox-mark-all-read").click()
        expect(buyer.get_by_test_id("unread-count")).to_have_text("0")

        # The same notices went out by email (through the outbox and SMTP).
        mail = mailbox.wait_for(buyer_email, timeout=60)
        assert number in str(mail["Subject"])
        assert f"/orders/{number}" in mail.get_content()
    finally:
        seller.context.close()
        buyer.context.close()


def test_refund_declined_escalated_and_decided_by_the_moderator(
    browser: Browser, app, size: str, tmp_path: Path
):
    from tests.e2e.test_selling import photo

    buyer_email, seller_email = new_email(), new_email()
    number = seed_order(app, buyer_email, seller_email, delivery="courier")
    seller = person(browser, app, size, seller_email)
    buyer = person(browser, app, size, buyer_email)
    moderator = person(browser, app, size, *MODERATOR)
    try:
        # Shipped with a tracking number (required), then delivered.
        open_order(seller, number)
        seller.get_by_test_id("mark-shipped").click()
        expect(seller.get_by_test_id("form-error")).to_be_visible()
        seller.get_by_test_id("tracking-input").fill("SF1234567890")
        seller.get_by_test_id("mark-shipped").click()
        status_is(seller, "shipped")
        seller.get_by_test_id("mark-delivered").click()
        status_is(seller, "delivered")

        # The buyer asks for a refund with a reason, a statement and a photo.
        open_order(buyer, number)
        status_is(buyer, "delivered")
        expect(buyer.get_by_test_id("order-tracking")).to_contain_text("SF1234567890")
        buyer.get_by_test_id("order-request-refund").click()
        buyer.get_by_test_id("refund-reason").select_option("damaged")
        buyer.get_by_test_id("refund-statement").fill("The lid arrived cracked.")
        buyer.get_by_test_id("refund-photos").set_input_files(str(photo(tmp_path, "lid.jpg")))
        expect(buyer.get_by_test_id("refund-photo-preview")).to_have_count(1)
        buyer.get_by_test_id("refund-submit").click()
        status_is(buyer, "refund_requested")
        expect(buyer.get_by_test_id("refund-photo")).to_have_count(1)

        # The seller declines, with a statement.
        seller.reload()
        status_is(seller, "refund_requested")
        seller.get_by_test_id("seller-statement").fill("It was packed in bubble wrap.")
        seller.get_by_test_id("decline-refund").click()
        status_is(seller, "refund_declined")

        # The buyer escalates.
        buyer.reload()
        status_is(buyer, "refund_declined")
        buyer.get_by_test_id("order-escalate").click()
        status_is(buyer, "disputed")

        # The moderator sees both sides and decides for the buyer.
        moderator.goto("/admin/disputes")
        case = moderator.locator(f'[data-testid="dispute-row"][data-number="{number}"]')
        expect(case.get_by_test_id("dispute-buyer-statement")).to_have_text(
            "The lid arrived cracked."
        )
        expect(case.get_by_test_id("dispute-seller-statement")).to_have_text(
            "It was packed in bubble wrap."
        )
        expect(case.get_by_test_id("refund-photo")).to_have_count(1)
        case.get_by_test_id("dispute-reason").fill("The photo shows a crack from transport.")
        case.get_by_test_id("dispute-refund").click()
        expect(case).to_have_count(0)
        expect(moderator.get_by_test_id("toast")).to_contain_text(number)

        # Both sides see the outcome and its reason.
        buyer.reload()
        status_is(buyer, "refunded")
        expect(buyer.get_by_test_id("refund-decision")).to_contain_text("crack from transport")
        expect(buyer.get_by_test_id("order-timeline-entry").last).to_contain_text(
            "crack from transport"
        )
        seller.goto("/seller/orders?status=done")
        expect(
            seller.locator(f'[data-testid="seller-order-row"][data-number="{number}"]')
        ).to_have_attribute("data-status", "refunded")
    finally:
        for page in (seller, buyer, moderator):
            page.context.close()


def test_order_pages_need_login_and_hide_others_orders(browser: Browser, app, ui: Page, size: str):
    number = seed_order(app, new_email(), new_email())
    ui.goto(f"/orders/{number}")
    expect(ui).to_have_url(re.compile(r"/login\?next="))
    stranger = person(browser, app, size, MODERATOR[0], MODERATOR[1])
    try:
        stranger.goto(f"/orders/{number}")
        expect(stranger.get_by_test_id("not-found")).to_be_visible()
        expect(stranger.get_by_test_id("order-detail-status")).to_have_count(0)
        stranger.goto("/orders")
        expect(
            stranger.get_by_test_id("empty-state").or_(stranger.get_by_test_id("order-row").first)
        ).to_be_visible()
        expect(
            stranger.locator(f'[data-testid="order-row"][data-number="{number}"]')
        ).to_have_count(0)
    finally:
        stranger.context.close()
