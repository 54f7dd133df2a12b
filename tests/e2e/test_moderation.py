"""Moderation in the browser: reports handled from the operator queue, a suspension
that stops posting, a blocklisted listing held for review (never decided by its
own operator), and the audit log.

Each person has a browser context of their own at the parametrized size; the
demo moderator and admin act from the queue and the audit page.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import VIEWPORTS
from tests.e2e.test_accounts import new_email, register
from tests.e2e.test_orders import MODERATOR, person
from tests.e2e.test_selling import photo

ADMIN = ("admin@demo.town", "demo-admin-pass")


def word() -> str:
    """A made-up word only one listing will contain."""
    return "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:10])


def newcomer(browser: Browser, app, size: str, name: str) -> Page:
    """A freshly registered resident in a browser context of their own."""
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=app.url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    register(page, new_email(), name=name)
    return page


def fill_listing(page: Page, tmp_path: Path, title: str, description: str) -> None:
    """Fill the sell form with a photo and press publish."""
    page.goto("/sell")
    page.get_by_test_id("sell-title").fill(title)
    page.get_by_test_id("sell-photos").set_input_files(str(photo(tmp_path, f"{uuid.uuid4()}.jpg")))
    expect(page.get_by_test_id("sell-photo-preview")).to_have_count(1)
    page.get_by_test_id("sell-description").fill(description)
    page.get_by_test_id("sell-category").select_option("home")
    page.get_by_test_id("sell-condition").select_option("good")
    page.get_by_test_id("sell-price").fill("20")
    page.get_by_test_id("sell-district").select_option("Riverside")
    page.get_by_test_id("sell-submit").click()


def publish(page: Page, tmp_path: Path, title: str, description: str = "Works well.") -> str:
    """Publish a listing; its path."""
    fill_listing(page, tmp_path, title, description)
    expect(page).to_have_url(re.compile(r"/listing/\d+$"))
    return re.search(r"/listing/\d+$", page.url).group(0)


def search_count(page: Page, term: str) -> int:
    """How many results searching ``term`` finds, read in a fresh tab once the results are in.

    A fresh tab: a tab that showed the same query before would show its old count at once.
    """
    tab = page.context.new_page()
    try:
        tab.goto(f"/search?q={term}")
        count = tab.locator(
            f'[data-testid="results-count"][data-query="q={term}"][aria-busy="false"]'
        )
        expect(count).to_be_visible()
        return int(re.search(r"\d+", count.inner_text()).group(0))
    finally:
        tab.close()


def queue_row(page: Page, tab: str, text: str):
    page.goto(f"/admin/queue?tab={tab}")
    row = page.get_by_test_id("admin-queue-row").filter(has_text=text)
    expect(row).to_have_count(1)
    return row


def audit_shows(page: Page, *, action: str, text: str = "", target: str = "") -> None:
    """Filtered by an action family, the log shows one entry with ``text`` or on ``target``."""
    page.goto("/admin/audit")
    expect(page.get_by_test_id("audit-row").first).to_be_visible()
    page.get_by_test_id("audit-filter-action").select_option(action)
    page.get_by_test_id("audit-filter-apply").click()
    expect(page.get_by_test_id("audit-list")).to_have_attribute("data-action", action)
    rows = page.get_by_test_id("audit-row")
    on_target = page.get_by_test_id("audit-target").get_by_text(target, exact=True)
    expect(rows.filter(has=on_target) if target else rows.filter(has_text=text)).to_have_count(1)
    for i in range(rows.count()):
        expect(rows.nth(i).get_by_test_id("audit-action")).to_have_text(re.compile(f"^{action}"))


def test_a_reported_listing_hidden_by_an_operator_disappears_from_search(
    browser: Browser, app, size: str, tmp_path: Path
):
    term = word()
    title = f"Garden chair {term}"
    seller = newcomer(browser, app, size, "Seller Sid")
    reporter = newcomer(browser, app, size, "Reporter Rae")
    mod = person(browser, app, size, *MODERATOR)
    admin = person(browser, app, size, *ADMIN)
    try:
        path = publish(seller, tmp_path, title)
        assert search_count(reporter, term) == 1

        reporter.goto(path)
        reporter.get_by_test_id("report-listing").click()
        reporter.get_by_test_id("report-reason").select_option("scam")
        reporter.get_by_test_id("report-text").fill("Asks for payment up front.")
        reporter.get_by_test_id("report-submit").click()
        expect(reporter.get_by_test_id("toast")).to_be_visible()

        row = queue_row(mod, "reports", title)
        row.get_by_test_id("admin-hide").click()  # no reason: refused next to the row
        expect(row.get_by_test_id("form-error")).to_be_visible()
        row.get_by_test_id("admin-reason").fill(f"Scam listing {term}")
        row.get_by_test_id("admin-hide").click()
        expect(mod.get_by_test_id("admin-queue-row").filter(has_text=title)).to_have_count(0)

        assert search_count(reporter, term) == 0
        seller.goto("/my/listings")
        mine = seller.get_by_test_id("my-listing-row").filter(has_text=title)
        expect(mine).to_have_attribute("data-status", "removed")
        expect(mine.get_by_test_id("my-listing-note")).to_contain_text(f"Scam listing {term}")

        audit_shows(admin, action="listing.", text=f"Scam listing {term}")
    finally:
        for page in (seller, reporter, mod, admin):
            page.context.close()


def test_a_member_suspended_from_a_report_cannot_publish(
    browser: Browser, app, size: str, tmp_path: Path
):
    term = word()
    name = f"Member {term}"
    member = newcomer(browser, app, size, name)
    reporter = newcomer(browser, app, size, "Reporter Ray")
    mod = person(browser, app, size, *MODERATOR)
    admin = person(browser, app, size, *ADMIN)
    try:
        path = publish(member, tmp_path, f"Desk lamp {term}")

        reporter.goto(path)
        reporter.get_by_test_id("report-user").click()
        reporter.get_by_test_id("report-user-reason").select_option("scam")
        reporter.get_by_test_id("report-user-text").fill("Took the money, never came.")
        reporter.get_by_test_id("report-user-submit").click()
        expect(reporter.get_by_test_id("report-user-sent")).to_be_visible()

        row = queue_row(mod, "reports", name)
        expect(row).to_have_attribute("data-kind", "user")
        expect(row.get_by_test_id("admin-hide")).to_have_count(0)
        row.get_by_test_id("admin-reason").fill(f"No-show fraud {term}")
        row.get_by_test_id("admin-suspend-days").fill("3")
        row.get_by_test_id("admin-suspend").click()
        expect(mod.get_by_test_id("admin-queue-row").filter(has_text=name)).to_have_count(0)
        sanction = queue_row(mod, "sanctions", name)
        expect(sanction).to_contain_text(f"No-show fraud {term}")

        fill_listing(member, tmp_path, f"Bookshelf {term}", "Pine, 5 shelves.")
        refusal = member.get_by_test_id("form-error").filter(has_text=f"No-show fraud {term}")
        expect(refusal).to_have_text(re.compile(r"suspended|暂停"))  # in the member's language
        expect(member.get_by_test_id("sell-title")).to_have_value(f"Bookshelf {term}")
        expect(member).to_have_url(re.compile(r"/sell"))

        audit_shows(admin, action="sanction.", text=f"No-show fraud {term}")
    finally:
        for page in (member, reporter, mod, admin):
            page.context.close()


def test_a_listing_with_a_blocked_term_waits_for_review_then_appears(
    browser: Browser, app, size: str, tmp_path: Path
):
    term = word()
    title = f"Replica watch {term}"  # "replica" is on the demo blocklist
    seller = newcomer(browser, app, size, "Seller Sue")
    mod = person(browser, app, size, *MODERATOR)
    admin = person(browser, app, size, *ADMIN)
    try:
        listing_id = publish(seller, tmp_path, title).rsplit("/", 1)[-1]
        seller.goto("/my/listings")
        mine = seller.get_by_test_id("my-listing-row").filter(has_text=title)
        expect(mine).to_have_attribute("data-status", "pending")
        expect(mine.get_by_test_id("my-listing-note")).to_have_text(re.compile(r"review|审核"))
        assert search_count(mod, term) == 0

        row = queue_row(mod, "pending", title)
        expect(row.get_by_test_id("admin-pending-terms")).to_have_text("replica")
        row.get_by_test_id("admin-approve").click()
        expect(mod.get_by_test_id("admin-queue-row").filter(has_text=title)).to_have_count(0)
        assert search_count(mod, term) == 1

        audit_shows(admin, action="listing.", target=f"listing #{listing_id}")
        admin.get_by_test_id("audit-filter-actor").fill("moderator@demo")
        admin.get_by_test_id("audit-filter-apply").click()
        expect(admin.get_by_test_id("audit-row").first).to_contain_text("何琳")
        admin.get_by_test_id("audit-filter-since").fill("2000-01-01")
        admin.get_by_test_id("audit-filter-until").fill("2000-01-02")
        admin.get_by_test_id("audit-filter-apply").click()
        expect(admin.get_by_test_id("empty-state")).to_be_visible()
    finally:
        for page in (seller, mod, admin):
            page.context.close()


def test_an_operator_gets_no_decision_on_their_own_held_listing(
    browser: Browser, app, size: str, tmp_path: Path
):
    term = word()
    title = f"Replica lamp {term}"  # held: "replica" is on the demo blocklist
    mod = person(browser, app, size, *MODERATOR)
    admin = person(browser, app, size, *ADMIN)
    try:
        publish(mod, tmp_path, title)
        own = queue_row(mod, "pending", title)
        expect(own.get_by_test_id("admin-own-case")).to_have_text(re.compile(r"another|其他"))
        expect(own.get_by_test_id("admin-approve")).to_have_count(0)
        expect(own.get_by_test_id("admin-reject")).to_have_count(0)

        theirs = queue_row(admin, "pending", title)
        expect(theirs.get_by_test_id("admin-own-case")).to_have_count(0)
        theirs.get_by_test_id("admin-approve").click()
        expect(admin.get_by_test_id("admin-queue-row").filter(has_text=title)).to_have_count(0)
    finally:
        for page in (mod, admin):
            page.context.close()


def test_operator_pages_are_for_staff(ui: Page):
    register(ui, new_email(), name="Curious Cat")
    for path in ("/admin/audit", "/admin/blocklist"):
        ui.goto(path)
        expect(ui).to_have_url(re.compile(r"/$"))
    expect(ui.get_by_test_id("audit-row")).to_have_count(0)
