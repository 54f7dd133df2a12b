"""Account journeys in the browser: register, log out, log in, reset by email, profile."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

PASSWORD = "correct horse 42"


def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}@example.com"


def register(ui: Page, email: str, password: str = PASSWORD, name: str = "Test Buyer") -> None:
    ui.goto("/register")
    ui.get_by_test_id("register-name").fill(name)
    ui.get_by_test_id("register-email").fill(email)
    ui.get_by_test_id("register-password").fill(password)
    ui.get_by_test_id("register-submit").click()
    expect(ui.get_by_test_id("nav-account")).to_be_visible()


def log_out(ui: Page) -> None:
    ui.get_by_test_id("nav-account").click()
    expect(ui).to_have_url(re.compile(r"/account$"))
    with ui.expect_navigation(url=re.compile(r"/$")):
        ui.get_by_test_id("logout").click()
    expect(ui.get_by_test_id("nav-login")).to_be_visible()


def log_in(ui: Page, email: str, password: str) -> None:
    ui.goto("/login")
    ui.get_by_test_id("login-email").fill(email)
    ui.get_by_test_id("login-password").fill(password)
    ui.get_by_test_id("login-submit").click()


def test_register_logout_login_and_wrong_password(ui: Page):
    email = new_email()
    register(ui, email)
    session = next(c for c in ui.context.cookies() if c["name"] == "mp_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    log_out(ui)
    assert not [c for c in ui.context.cookies() if c["name"] == "mp_session"]

    log_in(ui, email, "not the password")
    expect(ui.get_by_test_id("form-error")).to_be_visible()
    expect(ui.get_by_test_id("login-email")).to_have_value(email)
    expect(ui.get_by_test_id("nav-login")).to_be_visible()

    log_in(ui, email, PASSWORD)
    expect(ui.get_by_test_id("nav-account")).to_be_visible()
    ui.reload()
    expect(ui.get_by_test_id("nav-account")).to_be_visible()


def test_a_next_parameter_never_leads_off_the_site(ui: Page, app):
    """A crafted ?next= (a tab that browsers drop, making "//evil.example") stays home."""
    left: list[str] = []

    def off_site(route):
        left.append(route.request.url)
        route.fulfill(body="another site", content_type="text/plain")

    ui.context.route(re.compile(r"^https?://evil\.example"), off_site)
    email = new_email()
    register(ui, email)
    log_out(ui)
    ui.goto("/login?next=/%09/evil.example")
    ui.get_by_test_id("login-email").fill(email)
    ui.get_by_test_id("login-password").fill(PASSWORD)
    ui.get_by_test_id("login-submit").click()
    expect(ui.get_by_test_id("nav-account")).to_be_visible()
    expect(ui).to_have_url(f"{app.url}/")
    assert left == []


def test_register_errors_show_next_to_fields_and_keep_input(ui: Page):
    ui.goto("/register")
    ui.get_by_test_id("register-name").fill("Kept Name")
    ui.get_by_test_id("register-email").fill("not-an-address")
    ui.get_by_test_id("register-password").fill("short")
    ui.get_by_test_id("register-submit").click()
    expect(ui.get_by_test_id("form-error")).to_have_count(2)
    expect(ui.get_by_test_id("register-name")).to_have_value("Kept Name")
    expect(ui.get_by_test_id("register-email")).to_have_value("not-an-address")
    expect(ui.get_by_test_id("nav-login")).to_be_visible()


def test_password_reset_through_emailed_link(ui: Page, mailbox):
    email = new_email()
    register(ui, email)
    log_out(ui)
    ui.goto("/forgot-password")
    ui.get_by_test_id("forgot-email").fill(email)
    ui.get_by_test_id("forgot-submit").click()
    expect(ui.get_by_test_id("toast")).to_be_visible()

    message = mailbox.wait_for(email)
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/reset-password\?token=[\w-]+", body).group(0)
    ui.goto(link)
    ui.get_by_test_id("reset-password").fill("a brand new secret")
    ui.get_by_test_id("reset-confirm").fill("a brand new secret")
    ui.get_by_test_id("reset-submit").click()
    expect(ui.get_by_test_id("reset-login-link")).to_be_visible()

    log_in(ui, email, PASSWORD)
    expect(ui.get_by_test_id("form-error")).to_be_visible()
    log_in(ui, email, "a brand new secret")
    expect(ui.get_by_test_id("nav-account")).to_be_visible()

    ui.goto(link)  # the link works once only
    ui.get_by_test_id("reset-password").fill("yet another secret")
    ui.get_by_test_id("reset-confirm").fill("yet another secret")
    ui.get_by_test_id("reset-submit").click()
    expect(ui.get_by_test_id("form-error")).to_be_visible()


def test_profile_and_address_book(ui: Page):
    register(ui, new_email(), name="Addr Owner")
    ui.goto("/account")
    ui.get_by_test_id("profile-name").fill("Renamed Owner")
    ui.get_by_test_id("profile-save").click()
    expect(ui.get_by_test_id("toast")).to_be_visible()

    ui.get_by_test_id("account-addresses-link").click()
    expect(ui.get_by_test_id("empty-state")).to_be_visible()
    ui.get_by_test_id("address-add").click()
    ui.get_by_test_id("address-line1").fill("12 Mill Lane")
    ui.get_by_test_id("address-save").click()
    expect(ui.get_by_test_id("form-error").first).to_be_visible()
    expect(ui.get_by_test_id("address-line1")).to_have_value("12 Mill Lane")
    ui.get_by_test_id("address-recipient").fill("Addr Owner")
    ui.get_by_test_id("address-phone").fill("+86 138 0000 1111")
    ui.get_by_test_id("address-city").fill("Riverside")
    ui.get_by_test_id("address-save").click()
    expect(ui.get_by_test_id("address-row")).to_have_count(1)
    expect(ui.get_by_test_id("address-row")).to_contain_text("12 Mill Lane")
