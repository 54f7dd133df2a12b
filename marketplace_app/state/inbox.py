"""``/inbox``: the caller's notices, newest first; opening one marks it read."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n.formatting import date_time
from marketplace_app.ids import parse_id
from marketplace_app.models import InboxItem
from marketplace_app.services import inbox
from marketplace_app.services.errors import NotFound
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.session import LocaleState, SessionState


@dataclass
class InboxItemView:
    """One notice as the list shows it."""

    id: int
    text: str
    when: str
    unread: bool
    has_link: bool


def item_view(item: InboxItem, lang: str) -> InboxItemView:
    """A notice in the reader's language (a notice whose words are gone says so)."""
    try:
        text = inbox.render(lang, item.message_key, inbox.params_of(item))
    except (KeyError, IndexError, ValueError):
        text = inbox.render(lang, "inbox.unreadable", {})
    return InboxItemView(
        id=item.id,
        text=text,
        when=date_time(item.created_at, lang),
        unread=item.read_at is None,
        has_link=bool(item.link),
    )


class InboxState(rx.State):
    """The inbox list and its read marks."""

    items: list[InboxItemView] = []
    loaded: bool = False

    async def _reload(self) -> None:
        lang = (await self.get_state(LocaleState)).lang
        user_id = current_user().id
        rows = await run_read(inbox.items, user_id)
        self.items = [item_view(row, lang) for row in rows]
        session_state = await self.get_state(SessionState)
        session_state.unread_count = await run_read(inbox.unread_count, user_id)
        self.loaded = True

    @rx.event
    @login_required
    async def load(self):
        """Load the caller's notices."""
        self.loaded = False
        yield
        await self._reload()

    @rx.event
    @login_required
    async def open_item(self, item_id: int):
        """Mark a notice read and go where it leads."""
        item_id = parse_id(item_id)
        if item_id is None:
            return
        try:
            target = await run_write(inbox.open_item, current_user().id, item_id)
        except NotFound:
            target = ""
        await self._reload()
        if target:
            return rx.redirect(target)

    @rx.event
    @login_required
    async def mark_all_read(self):
        """Mark every notice read."""
        await run_write(inbox.mark_all_read, current_user().id)
        await self._reload()
