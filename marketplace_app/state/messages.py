"""``/messages`` and ``/messages/<id>``: conversations, live threads, images, reports, blocks.

Both pages are live: each starts a watch when it loads (a background task,
:mod:`marketplace_app.state.live`: one per tab, the session checked again
every cycle). The list's watch moves a conversation with a new message to the
top with its unread count and preview; the thread's watch appends new
messages and marks them read. Either stops when the page loads anew, when the
browser goes to another page or disconnects, and when the session ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import reflex as rx

from marketplace_app import realtime
from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date_time
from marketplace_app.ids import parse_id
from marketplace_app.services import media, messaging, orders, reports
from marketplace_app.services.errors import NotFound, ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import (
    AuthUser,
    current_user,
    login_required,
    run_read,
    run_write,
)
from marketplace_app.state.live import Tab, Watch
from marketplace_app.state.session import LocaleState, SessionState
from marketplace_app.state.uploads import received_files, refusal_key

LIST_PAGE = 20
IMAGE_UPLOAD_ID = "message-image"


@dataclass
class ConversationView:
    """One row of the conversation list."""

    id: int
    href: str
    other_name: str
    subject: str
    cover_src: str
    preview: str
    when: str
    unread: int


@dataclass
class MessageView:
    """One message in a thread."""

    id: int
    mine: bool
    sender: str
    when: str
    body: str
    image_src: str
    image_alt: str
    masked: bool
    hidden: bool
    hidden_note: str


def _cover(key: str | None) -> str:
    return media.url(key, 320) if key else ""


def _subject(title: str, number: str | None, lang: str, tr) -> str:
    if number:
        return tr("messages.about_order", number=number, title=title)
    return title


def message_view(item: messaging.MessageItem, lang: str, tr) -> MessageView:
    """A message in the reader's language."""
    return MessageView(
        id=item.id,
        mine=item.mine,
        sender=tr("messages.you") if item.mine else item.sender_name,
        when=date_time(item.created_at, lang),
        body=item.body,
        image_src=media.url(item.image_key, 800) if item.image_key else "",
        image_alt=tr("messages.image_alt", name=item.sender_name) if item.image_key else "",
        masked=item.masked,
        hidden=item.hidden,
        hidden_note=tr("messages.hidden", reason=item.hidden_reason) if item.hidden else "",
    )


def _row_view(row: messaging.ConversationRow, lang: str, tr) -> ConversationView:
    if row.preview_hidden:
        preview = tr("messages.preview_hidden")
    elif row.preview_is_image:
        preview = tr("messages.preview_image")
    else:
        preview = row.preview
    return ConversationView(
        id=row.id,
        href=f"/messages/{row.id}",
        other_name=row.other_name,
        subject=_subject(row.listing_title, row.order_number, lang, tr),
        cover_src=_cover(row.cover_key),
        preview=preview,
        when=date_time(row.last_message_at, lang),
        unread=row.unread,
    )


def response_text(minutes: int | None, lang: str) -> str:
    """A seller's usual reply time in chat, for the seller card."""
    if minutes is None:
        return translate(lang, "messages.response_none")
    if minutes < 120:
        return translate(lang, "messages.response_minutes", minutes=max(1, minutes))
    return translate(lang, "messages.response_hours", hours=round(minutes / 60))


async def _refresh_nav_count(state: rx.State, user_id: int) -> None:
    nav = await state.get_state(SessionState)
    nav.messages_unread = await run_read(messaging.unread_total, user_id)


def refreshed_rows(
    fresh: list[ConversationView], shown: list[ConversationView], asked: int
) -> list[ConversationView]:
    """The list after a live refresh of its top ``asked`` rows.

    Rows shown before but not among the fresh ones were pushed down (or sat
    on a later page): they follow, in their order, unless the fresh rows are
    the whole list.
    """
    if len(fresh) < asked:
        return fresh
    ids = {row.id for row in fresh}
    return [*fresh, *(row for row in shown if row.id not in ids)]


class MessagesState(rx.State):
    """The conversation list, kept up to date while it is open."""

    rows: list[ConversationView] = []
    loaded: bool = False
    more: bool = False
    loading_more: bool = False
    _watch_gen: int = 0

    async def _page(self, offset: int) -> list[ConversationView]:
        loc = await self.get_state(LocaleState)
        rows = await run_read(
            messaging.conversations, current_user().id, limit=LIST_PAGE + 1, offset=offset
        )
        self.more = len(rows) > LIST_PAGE
        return [_row_view(r, loc.lang, loc._tr) for r in rows[:LIST_PAGE]]

    @rx.event
    @login_required
    async def load(self):
        """Load the first page of the caller's conversations and start the live updates."""
        self.loaded = False
        self._watch_gen += 1
        self.rows = await self._page(0)
        await _refresh_nav_count(self, current_user().id)
        self.loaded = True
        return MessagesState.watch

    def _still_here(self, gen: int, tab: Tab) -> bool:
        """Whether the list this task serves is still open (call inside ``async with self``)."""
        here = (self.router.url.path or "").rstrip("/") == "/messages"
        return self._watch_gen == gen and here and tab.connected()

    async def _refresh(self, user: AuthUser) -> None:
        """Read the top of the list again (call inside ``async with self``)."""
        loc = await self.get_state(LocaleState)
        asked = min(max(len(self.rows), LIST_PAGE), messaging.PAGE_MAX)
        found = await run_read(messaging.conversations, user.id, limit=asked)
        rows = refreshed_rows([_row_view(r, loc.lang, loc._tr) for r in found], self.rows, asked)
        if rows != self.rows:
            self.rows = rows
            if len(found) < asked:
                self.more = False
            await _refresh_nav_count(self, user.id)

    @rx.event(background=True)
    @login_required
    async def watch(self):
        """Keep the list current while it is open (a background task, one per tab)."""
        user = current_user()
        async with self:
            gen, tab = self._watch_gen, Tab.of(self)
        with Watch("conversations", user, tab) as watch:
            async for _ in watch.cycles():
                async with self:
                    if not self._still_here(gen, tab):
                        return
                    await self._refresh(user)

    @rx.event
    @login_required
    async def load_more(self):
        """Append the next page."""
        self.loading_more = True
        yield
        self.rows = [*self.rows, *await self._page(len(self.rows))]
        self.loading_more = False


class ThreadState(rx.State):
    """One conversation's page."""

    conversation_id: int = 0
    found: bool = True
    loaded: bool = False
    other_name: str = ""
    subject: str = ""
    subject_href: str = ""
    cover_src: str = ""
    masking: bool = False
    blocked_by_me: bool = False
    blocked_me: bool = False
    items: list[MessageView] = []
    errors: dict[str, str] = {}
    sending: bool = False
    uploading: bool = False
    # The report dialog: the message it is about, and whether it was sent.
    report_id: int = 0
    report_sent: bool = False
    report_errors: dict[str, str] = {}
    _last_id: int = 0
    _watch_gen: int = 0

    # -- opening a conversation from elsewhere

    @rx.event
    @login_required
    async def open_listing(self, listing_id: int):
        """Go to the caller's conversation about a listing (started when new)."""
        loc = await self.get_state(LocaleState)
        listing_id = parse_id(listing_id)
        try:
            if listing_id is None:
                raise NotFound()
            conv = await run_write(messaging.start_for_listing, current_user().id, listing_id)
        except ServiceError as error:
            return rx.toast.error(next(iter(loc._errors(error).values())))
        return rx.redirect(f"/messages/{conv.id}")

    @rx.event
    @login_required
    async def open_order(self, number: str):
        """Go to the conversation about an order of the caller's."""
        loc = await self.get_state(LocaleState)
        try:
            conv = await run_write(messaging.start_for_order, current_user().id, number)
        except ServiceError as error:
            return rx.toast.error(next(iter(loc._errors(error).values())))
        return rx.redirect(f"/messages/{conv.id}")

    # -- the page

    def _requested_id(self) -> int:
        raw = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]
        return parse_id(raw) or 0

    def _show(self, t: messaging.Thread, loc: LocaleState) -> None:
        self.conversation_id = t.id
        self.other_name = t.other_name
        self.subject = _subject(t.listing_title, t.order_number, loc.lang, loc._tr)
        self.subject_href = (
            orders.link(t.order_number)
            if t.order_number
            else (f"/listing/{t.listing_id}" if t.listing_id else "")
        )
        self.cover_src = _cover(t.cover_key)
        self.masking = t.masking
        self.blocked_by_me = t.blocked_by_me
        self.blocked_me = t.blocked_me
        self.items = [message_view(m, loc.lang, loc._tr) for m in t.messages]
        self._last_id = t.messages[-1].id if t.messages else 0

    @rx.event
    @login_required
    async def load(self):
        """Load the thread in the URL, mark it read and start the live updates."""
        loc = await self.get_state(LocaleState)
        user_id = current_user().id
        wanted = self._requested_id()
        if wanted != self.conversation_id:
            self.items = []
            self.loaded = False
        self.errors = {}
        self.report_id = 0
        self._watch_gen += 1
        try:
            t = await run_read(messaging.thread, user_id, wanted)
        except NotFound:
            self.found = False
            self.loaded = True
            self.conversation_id = 0
            return
        self.found = True
        self._show(t, loc)
        await run_write(messaging.mark_read, user_id, t.id)
        await _refresh_nav_count(self, user_id)
        self.loaded = True
        return [ThreadState.watch, rx.scroll_to("thread-end")]

    def _still_here(self, gen: int, conv_id: int, tab: Tab) -> bool:
        """Whether the page this task serves is still open (call inside ``async with self``)."""
        if self._watch_gen != gen or self.conversation_id != conv_id:
            return False
        return self._requested_id() == conv_id and tab.connected()

    async def _take_new(self, user: AuthUser, conv_id: int) -> bool:
        """Append what is new (call inside ``async with self``); False when access is gone."""
        loc = await self.get_state(LocaleState)
        try:
            fresh = await run_read(messaging.messages_after, user.id, conv_id, self._last_id)
        except NotFound:
            return False
        if fresh:
            known = {m.id for m in self.items}
            self.items = [
                *self.items,
                *[message_view(m, loc.lang, loc._tr) for m in fresh if m.id not in known],
            ]
            self._last_id = max(self._last_id, fresh[-1].id)
            if any(not m.mine for m in fresh):
                await run_write(messaging.mark_read, user.id, conv_id)
                await _refresh_nav_count(self, user.id)
        return True

    @rx.event(background=True)
    @login_required
    async def watch(self):
        """Show new messages as they come, until the page is left (a background task)."""
        user = current_user()
        async with self:
            gen, conv_id, last_id = self._watch_gen, self.conversation_id, self._last_id
            tab = Tab.of(self)
        if not conv_id:
            return

        async def probe() -> bool:
            return await run_read(_has_newer, conv_id, last_id)

        with Watch("thread", user, tab) as watch:
            async for newer in watch.cycles(probe):
                async with self:
                    if not self._still_here(gen, conv_id, tab):
                        return
                    if newer and not await self._take_new(user, conv_id):
                        self.found = False
                        return
                    scroll, last_id = self._last_id != last_id, self._last_id
                if scroll:
                    yield rx.scroll_to("thread-end")

    # -- sending

    async def _sent(self) -> None:
        """After a send committed: wake everyone's pages on it, show it here."""
        await realtime.publish(await run_read(_participants, self.conversation_id))
        await self._take_new(current_user(), self.conversation_id)

    @rx.event
    @login_required
    async def send(self, form: dict):
        """Send the text in the box; on failure keep it there and say why."""
        loc = await self.get_state(LocaleState)
        body = form.get("body", "") if isinstance(form, dict) else ""
        body = body if isinstance(body, str) else ""
        if len(body) > messaging.BODY_MAX * 2:
            body = body[: messaging.BODY_MAX + 1]
        self.sending = True
        self.errors = {}
        yield
        try:
            await run_write(messaging.send, current_user().id, self.conversation_id, body)
        except ServiceError as error:
            self.errors = loc._errors(error)
            self.sending = False
            return
        await self._sent()
        self.sending = False
        yield [rx.set_value("message-input", ""), rx.scroll_to("thread-end")]

    @rx.event
    @login_required(upload=True)
    async def attach(self, files: list[rx.UploadFile]):
        """Send one photo: re-encoded and stripped of its metadata first."""
        loc = await self.get_state(LocaleState)
        received = received_files(files, 1)
        if not received or not self.conversation_id:
            return
        self.uploading = True
        self.errors = {}
        yield
        try:
            blob = await received[0].read(media.MAX_UPLOAD_BYTES + 1)
            stored = await asyncio.to_thread(media.ingest_upload, blob)
            try:
                await run_write(
                    messaging.send,
                    current_user().id,
                    self.conversation_id,
                    "",
                    image_key=stored.key,
                )
            except ServiceError:
                media.delete_image(stored.key)
                raise
        except ServiceError as error:
            errors = loc._errors(error)
            self.errors = {"body": errors.get("photos") or next(iter(errors.values()))}
            self.uploading = False
            return
        await self._sent()
        self.uploading = False
        yield rx.scroll_to("thread-end")

    @rx.event
    @login_required
    async def image_refused(self, files: list):
        """A photo the browser refused before sending (type or size): say why."""
        loc = await self.get_state(LocaleState)
        self.errors = {"body": loc._tr(refusal_key(files))}

    # -- reporting and blocking

    @rx.event
    @login_required
    async def start_report(self, message_id: int):
        """Open the report dialog for a message."""
        self.report_id = parse_id(message_id) or 0
        self.report_sent = False
        self.report_errors = {}

    @rx.event
    @login_required
    async def report_open_change(self, is_open: bool):
        """Follow the dialog when Escape or a click outside closes it."""
        if is_open is False:
            self.report_id = 0

    @rx.event
    @login_required
    async def close_report(self):
        """Close the report dialog."""
        self.report_id = 0

    @rx.event
    @login_required
    async def submit_report(self, form: dict):
        """File the report of the message the dialog is about."""
        loc = await self.get_state(LocaleState)
        try:
            await run_write(
                messaging.report,
                current_user().id,
                self.report_id,
                reason=forms.text(form, "reason", 20),
                text=forms.text(form, "text", reports.TEXT_MAX + 1),
            )
        except ServiceError as error:
            self.report_errors = loc._errors(error)
            return
        self.report_errors = {}
        self.report_sent = True

    @rx.event
    @login_required
    async def toggle_block(self):
        """Block the other person, or lift the caller's block."""
        loc = await self.get_state(LocaleState)
        fn = messaging.unblock_other if self.blocked_by_me else messaging.block_other
        try:
            await run_write(fn, current_user().id, self.conversation_id)
            t = await run_read(messaging.thread, current_user().id, self.conversation_id)
        except ServiceError as error:
            self.errors = loc._errors(error)
            return
        self.errors = {}
        self._show(t, loc)


def _participants(session, conversation_id: int) -> set[int]:
    conv = session.get(messaging.Conversation, conversation_id)
    return messaging.participants(session, conv) if conv else set()


def _has_newer(session, conversation_id: int, after_id: int) -> bool:
    """Whether a conversation has a message past ``after_id`` (one indexed probe)."""
    return messaging.newest_id(session, conversation_id) > after_id
