"""Escrow through the sandbox gateway in the browser, and the seller's balance page.

A buyer checks out with escrow, lands on the sandbox gateway's hosted page,
pays (or declines), and the signed webhook has been handled by the time the
browser is back on the group's page. The items are fresh per run (see
tests/e2e/test_checkout.py); the seller is the demo bakery.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, update
from sqlmodel import Session

from marketplace_app.models import Listing, Order
from tests.e2e.conftest import VIEWPORTS, App
from tests.e2e.test_accounts import log_in, new_email, register
from tests.e2e.test_cart import amount
from tests.e2e.test_checkout import add_to_cart, fresh_items, part

SELLER = ("bakery@demo.town", "demo-pass-123")
EXPIRY_WAIT_S = 60


@pytest.fixture(scope="module")
def app_db(app: App):
    """A session factory on the running app's own database."""
    engine = create_engine(f"sqlite:///{app.data_dir}/e2e.db", connect_args={"timeout": 15})
    yield lambda: Session(engine, expire_on_commit=False)
    engine.dispose()


def stock_of(app_db, listing_id: int) -> int:
    with app_db() as s:
        return s.get(Listing, listing_id).stock


def order_row(ui: Page, number: str | None = None):
    if number is None:
        return ui.get_by_test_id("order-row")
    return ui.locator(f'[data-testid="order-row"][data-number="{number}"]')


def check_out_with_escrow(ui: Page, listing_id: int) -> None:
    """The buyer's one-item cart through checkout with escrow, to the gateway's page."""
    add_to_cart(ui, listing_id, 1)
    ui.goto("/checkout")
    expect(part(ui, "Rye loaf").get_by_test_id("delivery-option-pickup")).to_be_checked()
    ui.get_by_test_id("payment-option-escrow").click()
    expect(ui.get_by_test_id("payment-option-escrow")).to_be_checked()
    ui.get_by_test_id("place-order").click()
    expect(ui).to_have_url(re.compile(r"/sandbox-gateway/pay/cs_[0-9a-f]{32}$"))
    expect(ui.get_by_test_id("sandbox-amount")).to_contain_text("12.00")


def test_escrow_paid_in_the_sandbox_shows_on_both_sides(
    ui: Page, browser: Browser, app: App, size: str
):
    items = fresh_items(app)
    register(ui, new_email(), name="Escrow Buyer")
    check_out_with_escrow(ui, items["product"])
    pay = ui.get_by_test_id("sandbox-pay")
    assert pay.bounding_box()["width"] <= VIEWPORTS[size]["width"]
    pay.click()

    # Back at the group's page: the webhook already marked it paid.
    expect(ui).to_have_url(re.compile(r"/orders/group/[A-Za-z0-9_-]+$"))
    group_path = re.search(r"/orders/group/[A-Za-z0-9_-]+$", ui.url).group(0)
    public_id = group_path.rsplit("/", 1)[1]
    expect(ui.get_by_test_id("order-group-paid")).to_be_visible()
    expect(order_row(ui)).to_have_count(1)
    expect(order_row(ui)).to_have_attribute("data-status", "paid")
    number = order_row(ui).get_attribute("data-number")

    # The pay link has nothing left to pay: straight back to the group.
    ui.goto(f"/api/payments/pay/{public_id}")
    expect(ui).to_have_url(re.compile(rf"{group_path}$"))

    # The seller: the order on the statement, its money held in escrow, the CSV.
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=app.url, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        seller = context.new_page()
        log_in(seller, *SELLER)
        expect(seller.get_by_test_id("nav-account")).to_be_visible()
        seller.goto("/account")
        seller.get_by_test_id("account-balance-link").click()
        expect(seller).to_have_url(re.compile(r"/seller/balance$"))
        row = seller.locator(f'[data-testid="statement-row"][data-number="{number}"]')
        expect(row).to_be_visible()
        expect(row.get_by_test_id("statement-status")).to_have_attribute("data-status", "paid")
        expect(row.get_by_test_id("statement-gross")).to_contain_text("12.00")
        gross = amount(row.get_by_test_id("statement-gross").inner_text())
        commission = amount(row.get_by_test_id("statement-commission").inner_text())
        net = amount(row.get_by_test_id("statement-net").inner_text())
        assert commission > 0 and net + commission == gross
        assert amount(seller.get_by_test_id("balance-held").inner_text()) >= gross
        expect(seller.get_by_test_id("balance-chart")).to_have_attribute(
            "aria-label", re.compile(r".+")
        )
        with seller.expect_download() as download_info:
            seller.get_by_test_id("balance-csv").click()
        rows = list(csv.reader(io.StringIO(download_info.value.path().read_text("utf-8-sig"))))
        assert len(rows[0]) == 9  # headed in the seller's language
        (mine,) = [r for r in rows[1:] if r[1] == number]
        assert mine[2] == "escrow" and mine[4] == "12.00" and mine[6] == f"{net:.2f}"
    finally:
        context.close()


def test_a_declined_payment_stays_pending_then_expires(ui: Page, app: App, app_db):
    items = fresh_items(app)
    stock_before = stock_of(app_db, items["product"])
    register(ui, new_email(), name="Declining Buyer")
    check_out_with_escrow(ui, items["product"])
    assert stock_of(app_db, items["product"]) == stock_before - 1
    ui.get_by_test_id("sandbox-decline").click()

    expect(ui).to_have_url(re.compile(r"/orders/group/[A-Za-z0-9_-]+$"))
    expect(order_row(ui)).to_have_attribute("data-status", "pending_payment")
    expect(ui.get_by_test_id("order-group-pending")).to_be_visible()
    number = order_row(ui).get_attribute("data-number")

    # A second try: "Pay now" opens a fresh gateway session (the declined one is spent).
    ui.get_by_test_id("order-pay-now").click()
    expect(ui.get_by_test_id("sandbox-pay")).to_be_visible()
    ui.go_back()
    expect(order_row(ui, number)).to_have_attribute("data-status", "pending_payment")

    # Fifteen minutes later (moved forward in the database): the timer cancels it.
    with app_db() as s:
        s.exec(
            update(Order)
            .where(Order.number == number)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        s.commit()
    deadline = time.monotonic() + EXPIRY_WAIT_S
    while time.monotonic() < deadline:
        ui.reload()
        expect(order_row(ui, number)).to_be_visible()
        if order_row(ui, number).get_attribute("data-status") == "cancelled":
            break
        time.sleep(3)
    expect(order_row(ui, number)).to_have_attribute("data-status", "cancelled")
    assert stock_of(app_db, items["product"]) == stock_before
