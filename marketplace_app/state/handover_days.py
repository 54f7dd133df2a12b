"""The cash handover window setting: a resident's on ``/account``, a shop's on ``/shop/manage``.

Which one a save changes is fixed when the page loads (the caller's own
account, or the approved shop they own); the service checks the owner again.
"""

from __future__ import annotations

import reflex as rx

from marketplace_app.models.base import HANDOVER_DAYS_MAX, HANDOVER_DAYS_MIN
from marketplace_app.services import handover_window
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.session import LocaleState

DAYS_CHARS = 8


class HandoverDaysState(rx.State):
    """The days a cash order may wait for its handover, as a small form."""

    shown: bool = False
    days: str = ""
    hint: str = ""
    errors: dict[str, str] = {}
    saved: bool = False
    form_key: int = 0
    _shop_id: int = 0

    async def _show(self, days: int) -> None:
        loc = await self.get_state(LocaleState)
        self.days = str(days)
        self.hint = loc._tr(
            "orders.handover_days.hint", min=HANDOVER_DAYS_MIN, max=HANDOVER_DAYS_MAX
        )
        self.errors = {}
        self.saved = False
        self.shown = True
        self.form_key += 1

    @rx.event
    @login_required
    async def load_mine(self):
        """Show the caller's own window (their sales as a resident)."""
        self._shop_id = 0
        await self._show(await run_read(handover_window.resident_days, current_user().id))

    @rx.event
    @login_required
    async def load_shop(self):
        """Show the window of the approved shop the caller owns (hidden for staff)."""
        found = await run_read(handover_window.owned_shop_days, current_user().id)
        self._shop_id = found[0] if found else 0
        self.shown = False
        if found:
            await self._show(found[1])

    @rx.event
    @login_required
    async def save(self, form: dict):
        """Save the typed days; a wrong value is refused next to the field."""
        if not self.shown:
            return
        loc = await self.get_state(LocaleState)
        typed = forms.text(form, handover_window.FIELD, DAYS_CHARS)
        user_id = current_user().id
        try:
            if self._shop_id:
                days = await run_write(handover_window.set_shop_days, user_id, self._shop_id, typed)
            else:
                days = await run_write(handover_window.set_resident_days, user_id, typed)
        except ServiceError as error:
            self.errors = loc._errors(error)
            self.saved = False
            return
        self.days = str(days)
        self.errors = {}
        self.saved = True
