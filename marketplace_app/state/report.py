"""Reporting from a listing page: the listing itself, or the member who sells it."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from marketplace_app.ids import parse_id
from marketplace_app.services import moderation, reports
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import current_user, login_required, run_write
from marketplace_app.state.session import LocaleState


class ReportDialogState(rx.State, mixin=True):
    """A report dialog about the listing in the URL: open, close, send once."""

    dialog_open: bool = False
    sent: bool = False
    errors: dict[str, str] = {}

    @rx.event
    @login_required
    async def start(self):
        """Open the dialog (guests are sent to log in first)."""
        self.dialog_open, self.sent, self.errors = True, False, {}

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

    async def _file(self, report: Callable, form: dict) -> None:
        """File ``report`` about the listing in the URL (its id is read on the server)."""
        loc = await self.get_state(LocaleState)
        listing_id = parse_id(self.router.url.path.rstrip("/").rsplit("/", 1)[-1])
        if listing_id is None:
            self.errors = {"_form": loc._tr("error.not_found")}
            return
        try:
            await run_write(
                report,
                reporter_id=current_user().id,
                listing_id=listing_id,
                reason=forms.text(form, "reason", 20),
                text=forms.text(form, "text", reports.TEXT_MAX),
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
            return
        self.errors, self.sent = {}, True


class ReportState(ReportDialogState, rx.State):
    """The report dialog on a listing page."""

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """File the report for the listing in the URL."""
        await self._file(moderation.report_listing, form)


class MemberReportState(ReportDialogState, rx.State):
    """The "report this member" dialog on a listing's seller card."""

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """Report the seller of the listing in the URL (the seller is found on the server)."""
        await self._file(moderation.report_seller, form)
