"""The seller's own listings: status tabs, pause/unpause, mark sold, delete."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date
from marketplace_app.ids import parse_id
from marketplace_app.services import listings, media, moderation
from marketplace_app.services.errors import ServiceError
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.session import LocaleState
from marketplace_app.state.views import price_text

TABS = ("all", *listings.MY_TABS)


@dataclass
class MyListingView:
    """One row of the seller's listings."""

    id: int
    title: str
    price: str
    status: str
    status_label: str
    image: str
    href: str
    edit_href: str
    updated: str
    views: str
    can_pause: bool
    can_unpause: bool
    can_mark_sold: bool
    delete_label: str
    note: str = ""


@dataclass
class TabView:
    """One status tab with its count."""

    key: str
    label: str
    href: str
    count: int


def _note(row: listings.MyListing, lang: str, reasons: dict[int, str]) -> str:
    """Why a listing is not on sale when the operators hold it or took it down."""
    if row.status == "pending":
        return translate(lang, "moderation.waiting_review")
    if row.id in reasons:
        return translate(lang, "moderation.removed_reason", reason=reasons[row.id])
    return ""


def row_view(
    row: listings.MyListing, lang: str, reasons: dict[int, str] | None = None
) -> MyListingView:
    """Format one of the seller's listings (``reasons``: operator take-downs by id)."""
    title = row.title or translate(lang, "my_listings.untitled")
    public = row.status in ("active", "sold")
    return MyListingView(
        id=row.id,
        title=title,
        # A draft's 0 may just be "no price typed yet": show none rather than "Free".
        price=""
        if row.status == "draft" and not row.price_cents
        else price_text(row.price_cents, lang),
        status=row.status,
        status_label=translate(lang, f"listing.status.{row.status}"),
        image=media.url(row.cover_key, 320) if row.cover_key else "/placeholder.svg",
        href=f"/listing/{row.id}" if public or row.status == "paused" else f"/sell?draft={row.id}",
        edit_href=f"/sell?draft={row.id}" if row.status == "draft" else f"/sell/{row.id}",
        updated=translate(lang, "my_listings.updated", date=date(row.updated_at, lang)),
        views=translate(lang, "my_listings.views", count=row.view_count),
        can_pause=row.status == "active",
        can_unpause=row.status == "paused",
        can_mark_sold=row.status in ("active", "paused"),
        delete_label=translate(lang, "my_listings.delete_named", title=title),
        note=_note(row, lang, reasons or {}),
    )


def _page(session, user_id: int, status: str | None):
    rows = listings.my_listings(session, user_id, status=status, limit=listings.MY_PAGE_MAX)
    removed = [r.id for r in rows if r.status == "removed"]
    return (
        rows,
        listings.status_counts(session, user_id),
        moderation.removal_reasons(session, removed),
    )


class MyListingsState(rx.State):
    """``/my/listings?status=...``."""

    rows: list[MyListingView] = []
    tabs: list[TabView] = []
    tab: str = "all"
    confirm_id: int = 0
    loaded: bool = False
    error: str = ""
    flash: str = ""

    async def _reload(self) -> None:
        lang = (await self.get_state(LocaleState)).lang
        status = self.tab if self.tab in listings.MY_TABS else None
        rows, counts, reasons = await run_read(_page, current_user().id, status)
        self.rows = [row_view(r, lang, reasons) for r in rows]
        self.tabs = [
            TabView(
                key=key,
                label=translate(lang, f"my_listings.tab.{key}"),
                href="/my/listings" if key == "all" else f"/my/listings?status={key}",
                count=counts.get(key, 0),
            )
            for key in TABS
        ]
        self.loaded = True

    @rx.event
    @login_required
    async def load(self):
        """Load the tab named in the URL."""
        wanted = str(self.router.url.query_parameters.get("status", "all"))
        self.tab = wanted if wanted in TABS else "all"
        self.confirm_id = 0
        self.error = ""
        self.flash = ""
        self.loaded = False
        yield
        await self._reload()

    async def _act(self, listing_id: int, action: str, done_key: str) -> None:
        loc = await self.get_state(LocaleState)
        self.error = ""
        self.flash = ""
        self.confirm_id = 0
        try:
            after = await run_write(listings.set_status, current_user().id, listing_id, action)
            # Unpausing may hold it for review instead of putting it on sale.
            self.flash = loc._tr(
                "moderation.waiting_review" if after.status == "pending" else done_key
            )
        except ServiceError as error:
            messages = loc._errors(error)
            self.error = messages.get("_form") or next(iter(messages.values()), "")
        await self._reload()

    @rx.event
    @login_required
    async def toggle_pause(self, listing_id: int):
        """Pause an active listing, or put a paused one back on sale."""
        listing_id = parse_id(listing_id)
        if listing_id is None:
            return
        row = next((r for r in self.rows if r.id == listing_id), None)
        if row is not None and row.status == "paused":
            await self._act(listing_id, "unpause", "my_listings.unpaused")
        else:
            await self._act(listing_id, "pause", "my_listings.paused")

    @rx.event
    @login_required
    async def mark_sold(self, listing_id: int):
        """Mark a listing sold."""
        listing_id = parse_id(listing_id)
        if listing_id is not None:
            await self._act(listing_id, "mark_sold", "my_listings.marked_sold")

    @rx.event
    @login_required
    async def ask_delete(self, listing_id: int):
        """Ask for confirmation before deleting."""
        self.confirm_id = parse_id(listing_id) or 0

    @rx.event
    @login_required
    async def cancel_delete(self):
        """Keep the listing."""
        self.confirm_id = 0

    @rx.event
    @login_required
    async def confirm_delete(self):
        """Delete the listing awaiting confirmation."""
        if self.confirm_id:
            await self._act(self.confirm_id, "delete", "my_listings.deleted")
