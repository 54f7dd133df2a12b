"""Register, log in, and reset a forgotten password."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import reflex as rx

from marketplace_app.db import read_session, write_session
from marketplace_app.services import auth_sessions, notifications, password_reset, sign_up
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import caller_address, public, run_write
from marketplace_app.state.session import LocaleState, establish_session
from marketplace_app.web import safe_next


class AuthState(rx.State):
    """Login, registration and password-reset forms."""

    errors: dict[str, str] = {}
    busy: bool = False
    reset_requested: bool = False
    reset_done: bool = False

    @rx.var
    def next_query(self) -> str:
        """``?next=...`` that keeps where a visitor was going between login and registration."""
        target = self.router.url.query_parameters.get("next")
        return "?" + urlencode({"next": safe_next(target)}) if target else ""

    @rx.event
    @public
    def clear(self):
        """Forget messages from an earlier visit (on page load)."""
        self.errors = {}
        self.busy = False
        self.reset_requested = False
        self.reset_done = False

    @rx.event
    @public
    async def login(self, form: dict):
        """Check the credentials; on success the browser gets its session cookie."""
        contact = forms.text(form, "contact", 254)
        password = forms.secret(form, "password")
        loc = await self.get_state(LocaleState)
        missing = {
            f: loc._tr("error.required")
            for f, v in (("contact", contact), ("password", password))
            if not v
        }
        if missing:
            self.errors = missing
            return
        self.errors = {}
        self.busy = True
        yield
        try:
            # The password verify runs in a read transaction; only the short
            # bookkeeping write takes the write lock (see auth_sessions.log_in).
            ticket = await asyncio.to_thread(
                auth_sessions.log_in,
                read_session,
                write_session,
                contact=contact,
                password=password,
                ip=caller_address(self),
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
            self.busy = False
            return
        self.busy = False
        yield establish_session(ticket, safe_next(self.router.url.query_parameters.get("next")))

    @rx.event
    @public
    async def register(self, form: dict):
        """Create an account and log it in."""
        loc = await self.get_state(LocaleState)
        self.errors = {}
        self.busy = True
        yield
        try:
            # The password hash runs before the short write (see sign_up.sign_up).
            ticket = await asyncio.to_thread(
                sign_up.sign_up,
                read_session,
                write_session,
                name=forms.text(form, "name", 60),
                contact=forms.text(form, "contact", 254),
                password=forms.secret(form, "password"),
                locale=loc.lang,
                ip=caller_address(self),
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
            self.busy = False
            return
        self.busy = False
        yield establish_session(ticket, safe_next(self.router.url.query_parameters.get("next")))

    @rx.event
    @public
    async def request_reset(self, form: dict):
        """Email a reset link when the account exists; answer the same either way."""
        contact = forms.text(form, "contact", 254)
        loc = await self.get_state(LocaleState)
        if not contact:
            self.errors = {"contact": loc._tr("error.required")}
            return
        self.errors = {}
        self.busy = True
        yield
        await run_write(password_reset.request_password_reset, contact=contact)
        self.busy = False
        self.reset_requested = True
        yield AuthState.deliver_mail

    @rx.event(background=True)
    @public
    async def deliver_mail(self):
        """Send queued emails now rather than at the next outbox tick."""
        await asyncio.to_thread(notifications.deliver_pending)

    @rx.event
    @public
    async def reset_password(self, form: dict):
        """Set a new password from an emailed one-time link."""
        token = self.router.url.query_parameters.get("token", "")
        loc = await self.get_state(LocaleState)
        password = forms.secret(form, "password")
        if password != forms.secret(form, "confirm"):
            self.errors = {"confirm": loc._tr("error.password_mismatch")}
            return
        self.errors = {}
        self.busy = True
        yield
        try:
            await asyncio.to_thread(
                password_reset.reset_password,
                read_session,
                write_session,
                token=token[:200],
                new_password=password,
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
        else:
            self.reset_done = True
        self.busy = False
