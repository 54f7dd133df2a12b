"""Reporting a listing to the operators."""

from __future__ import annotations

import reflex as rx

from marketplace_app.services import moderation
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import current_user, login_required, run_write
from marketplace_app.state.session import LocaleState


class ReportState(rx.State):
    """The report dialog on a listing page."""

    dialog_open: bool = False
    sent: bool = False
    errors: dict[str, str] = {}

    @rx.event
    @login_required
    async def start(self):
        """Open the dialog (guests are sent to log in first)."""
        self.dialog_open = True
        self.sent = False
        self.errors = {}

    @rx.event
    @login_required
    async def close(self):
        """Close the dialog."""
        self.dialog_open = False

    @rx.event
    @login_required
    async def opened(self, is_open: bool):
        """Follow the dialog when Escape or a click outside closes it."""
        if is_open is False:
            self.dialog_open = False

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """File the report for the listing in the URL."""
        loc = await self.get_state(LocaleState)
        raw_id = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            await run_write(
                moderation.report_listing,
                reporter_id=current_user().id,
                listing_id=int(raw_id),
                reason=forms.text(form, "reason", 20),
                text=forms.text(form, "text", 1000),
            )
        except ValueError:
            self.errors = {"_form": loc._tr("error.not_found")}
            return
        except ServiceError as error:
            self.errors = loc._errors(error)
            return
        self.errors = {}
        self.sent = True
