"""Offers: the panel on an item's page and the ``/offers`` page (made / received).

Which side the caller acts on is fixed by where the handler is (the panel and
the "made" tab act as the buyer, the "received" tab as the seller); every
service call checks again that the offer is the caller's on that side, so an
offer id sent by hand only ever gets "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date_time, money
from marketplace_app.ids import parse_id
from marketplace_app.models.types import utcnow
from marketplace_app.services import inbox, offer_lists, offer_steps, offers
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.state import forms
from marketplace_app.state.guard import (
    current_user,
    login_required,
    public,
    resolve_user,
    run_read,
    run_write,
)
from marketplace_app.state.session import LocaleState, SessionState

AMOUNT_CHARS = 20
TABS = ("made", "received")

# (side, action) -> the service function; the offer id is checked against the caller there.
ACTIONS: dict[tuple[str, str], Callable] = {
    (offers.BUYER, "accept"): offers.accept_counter,
    (offers.BUYER, "decline"): offers.decline_counter,
    (offers.BUYER, "withdraw"): offers.withdraw,
    (offers.SELLER, "accept"): offers.accept,
    (offers.SELLER, "decline"): offers.decline,
}


@dataclass
class OfferRowView:
    """One offer as a row shows it."""

    id: int
    key: str
    href: str
    title: str
    status: str
    status_label: str
    party: str
    amount: str
    counter: str
    agreed: str
    price: str
    when: str
    note: str
    can_accept: bool
    can_decline: bool
    can_counter: bool
    can_withdraw: bool
    can_buy: bool


@dataclass
class TabView:
    """One tab of the offers page."""

    key: str
    label: str
    href: str


def _when(info: offer_lists.OfferInfo, lang: str, now: datetime) -> str:
    if info.status in ("open", "countered"):
        return translate(lang, "offers.answer_by", when=date_time(info.expires_at, lang))
    if info.status == "accepted" and info.reserved_until and info.reserved_until > now:
        return translate(lang, "offers.held_until", when=date_time(info.reserved_until, lang))
    return ""


def _note(info: offer_lists.OfferInfo, lang: str) -> str:
    """Why the offer is where it is, when its order was cancelled."""
    if info.last_reason != offer_steps.REASON_ORDER_CANCELLED:
        return ""
    held = info.status == "accepted"
    return translate(lang, f"offers.note.order_cancelled_{'held' if held else 'ended'}")


def row_view(info: offer_lists.OfferInfo, lang: str, now: datetime | None = None) -> OfferRowView:
    """Format one offer for a list, from its viewer's side."""
    now = now or utcnow()
    party_key = "offers.seller_is" if info.viewer == offers.BUYER else "offers.buyer_is"

    def amount(key: str, cents: int | None) -> str:
        return translate(lang, key, amount=money(cents, lang)) if cents else ""

    return OfferRowView(
        id=info.id,
        key=str(info.id),
        href=f"/listing/{info.listing_id}",
        title=info.title,
        status=info.status,
        status_label=translate(lang, f"offers.status.{info.status}"),
        party=translate(lang, party_key, name=info.other_name),
        amount=amount("offers.amount", info.amount_cents),
        counter=amount("offers.counter", info.counter_cents),
        agreed=amount("offers.agreed", info.agreed_cents),
        price=amount("offers.price", info.price_cents),
        when=_when(info, lang, now),
        note=_note(info, lang),
        can_accept="accept" in info.actions,
        can_decline="decline" in info.actions,
        can_counter="counter" in info.actions,
        can_withdraw="withdraw" in info.actions,
        can_buy="buy" in info.actions,
    )


def _known(side: str, action: object) -> bool:
    return isinstance(action, str) and (side, action) in ACTIONS


def _message(loc: LocaleState, error: ServiceError) -> str:
    messages = loc._errors(error)
    return messages.get("_form") or next(iter(messages.values()), "")


async def _refresh_unread(state: rx.State, user_id: int) -> None:
    (await state.get_state(SessionState)).unread_count = await run_read(inbox.unread_count, user_id)


async def _act(state, side: str, offer_id: object, action: str) -> str | None:
    """Run one answer as the caller on ``side``; the error message for the row, or None.

    The caller checks first that ``(side, action)`` is in :data:`ACTIONS`.
    """
    fn = ACTIONS[(side, action)]
    wanted = parse_id(offer_id)
    if wanted is None:
        return _message(await state.get_state(LocaleState), NotFound())
    loc = await state.get_state(LocaleState)
    try:
        await run_write(fn, current_user().id, wanted)
    except ServiceError as error:
        return _message(loc, error)
    return None


async def _buy(state, offer_id: object) -> str | rx.event.EventSpec:
    """Put the held item in the caller's cart and go to checkout (or say why not)."""
    wanted = parse_id(offer_id)
    if wanted is None:
        return ""
    loc = await state.get_state(LocaleState)
    try:
        units = await run_write(offers.buy, current_user().id, wanted)
    except ServiceError as error:
        return _message(loc, error)
    (await state.get_state(SessionState)).cart_count = units
    return rx.redirect("/checkout")


class OffersState(rx.State):
    """``/offers?tab=made|received``: the caller's offers as buyer, or on their items."""

    tab: str = "made"
    tabs: list[TabView] = []
    rows: list[OfferRowView] = []
    errors: dict[str, str] = {}
    flash: str = ""
    busy: bool = False
    loaded: bool = False
    form_key: int = 0

    async def _reload(self, lang: str) -> None:
        user_id = current_user().id
        fn = offer_lists.made if self.tab == "made" else offer_lists.received
        found = await run_read(fn, user_id)
        now = utcnow()
        self.rows = [row_view(info, lang, now) for info in found]
        self.loaded = True

    def _side(self) -> str:
        return offers.BUYER if self.tab == "made" else offers.SELLER

    @rx.event
    @login_required
    async def load(self):
        """Load the tab named in the URL."""
        lang = (await self.get_state(LocaleState)).lang
        wanted = str(self.router.url.query_parameters.get("tab", "made"))
        self.tab = wanted if wanted in TABS else "made"
        self.tabs = [
            TabView(key, translate(lang, f"offers.tab.{key}"), offer_steps.link(key))
            for key in TABS
        ]
        self.errors = {}
        self.flash = ""
        self.busy = False
        self.loaded = False
        yield
        await self._reload(lang)

    async def _after(self, key: str, error: str | None, done_key: str) -> None:
        loc = await self.get_state(LocaleState)
        if error:
            self.errors = {key: error}
        else:
            self.flash = loc._tr(done_key)
            self.form_key += 1
        await self._reload(loc.lang)
        await _refresh_unread(self, current_user().id)

    @rx.event
    @login_required
    async def act(self, offer_id: int, action: str):
        """Answer one offer: accept, decline, or (as buyer) withdraw."""
        if self.busy or not _known(self._side(), action):
            return
        self.errors = {}
        self.flash = ""
        self.busy = True
        yield
        try:
            error = await _act(self, self._side(), offer_id, action)
            await self._after(str(offer_id), error, f"offers.done.{action}")
        finally:
            self.busy = False

    @rx.event
    @login_required
    async def counter(self, form: dict):
        """The seller counters an open offer with the amount typed in its row."""
        wanted = parse_id(form.get("offer_id") if isinstance(form, dict) else None)
        if self.busy or wanted is None or self.tab != "received":
            return
        self.errors = {}
        self.flash = ""
        self.busy = True
        yield
        loc = await self.get_state(LocaleState)
        amount = forms.text(form, "counter", AMOUNT_CHARS)
        error = None
        try:
            await run_write(offers.counter, current_user().id, wanted, amount)
        except ServiceError as err:
            error = _message(loc, err)
        try:
            await self._after(str(wanted), error, "offers.done.counter")
        finally:
            self.busy = False

    @rx.event
    @login_required
    async def buy(self, offer_id: int):
        """Put an item held for the caller into the cart and go to checkout."""
        result = await _buy(self, offer_id)
        if isinstance(result, str):
            if result:
                self.errors = {str(offer_id): result}
            return None
        return result


class OfferPanelState(rx.State):
    """The offer panel of an item's page: the form, the floor, the caller's own offers."""

    listing_id: int = 0
    shown: bool = False
    can_offer: bool = False
    is_own: bool = False
    logged_in: bool = False
    floor: str = ""
    held_note: str = ""
    login_href: str = "/login"
    rows: list[OfferRowView] = []
    errors: dict[str, str] = {}
    flash: str = ""
    busy: bool = False
    form_key: int = 0

    async def _reload(self, user_id: int | None, lang: str) -> None:
        try:
            found = await run_read(offer_lists.panel, user_id, self.listing_id)
        except NotFound:
            self.shown = False
            return
        now = utcnow()
        self.is_own = found.is_own
        self.logged_in = user_id is not None
        self.rows = [row_view(info, lang, now) for info in found.mine]
        self.shown = found.open or bool(self.rows)
        self.can_offer = found.open and not found.is_own
        self.floor = translate(lang, "offers.floor", amount=money(found.floor_cents, lang))
        self.held_note = (
            translate(lang, "offers.held_by_other", when=date_time(found.held_until, lang))
            if found.held_until
            else ""
        )

    @rx.event
    @public
    async def load(self):
        """Load the panel for the item in the URL (the caller's own offers only)."""
        lang = (await self.get_state(LocaleState)).lang
        path = (self.router.url.path or "").rstrip("/")
        self.errors = {}
        self.flash = ""
        self.busy = False
        self.listing_id = parse_id(path.rsplit("/", 1)[-1]) or 0
        if not self.listing_id:
            self.shown = False
            return
        self.login_href = "/login?" + urlencode({"next": path})
        user = await resolve_user(self)
        await self._reload(user.id if user else None, lang)

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """Make an offer of the typed amount on this item."""
        if self.busy or not self.listing_id:
            return
        loc = await self.get_state(LocaleState)
        self.errors = {}
        self.flash = ""
        self.busy = True
        yield
        user_id = current_user().id
        try:
            await run_write(
                offers.make_offer,
                user_id,
                self.listing_id,
                forms.text(form, "amount", AMOUNT_CHARS),
            )
        except ValidationFailed as error:
            self.errors = loc._errors(error)
        except ServiceError as error:
            self.errors = {"_form": _message(loc, error)}
        else:
            self.flash = loc._tr("offers.done.made")
            self.form_key += 1
        finally:
            self.busy = False
        await self._reload(user_id, loc.lang)

    @rx.event
    @login_required
    async def act(self, offer_id: int, action: str):
        """Answer the seller's counter, or withdraw an offer (the caller's own only)."""
        if self.busy or not _known(offers.BUYER, action):
            return
        loc = await self.get_state(LocaleState)
        self.errors = {}
        self.flash = ""
        self.busy = True
        yield
        try:
            error = await _act(self, offers.BUYER, offer_id, action)
            if error:
                self.errors = {str(offer_id): error}
            else:
                self.flash = loc._tr(f"offers.done.{action}")
        finally:
            self.busy = False
        await self._reload(current_user().id, loc.lang)

    @rx.event
    @login_required
    async def buy(self, offer_id: int):
        """Put the item held for the caller into the cart and go to checkout."""
        result = await _buy(self, offer_id)
        if isinstance(result, str):
            if result:
                self.errors = {str(offer_id): result}
            return None
        return result
