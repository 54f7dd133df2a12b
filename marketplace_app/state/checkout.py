"""The checkout page: the cart per seller, delivery and payment choices, placing the order.

What the page shows comes from :func:`checkout.preview` (prices re-read from
the listings). The choices live in this state (backend vars, checked against
the preview before they are kept), so they survive a trip to the address book
and back. The checkout's idempotency key is made when the page loads and is
kept twice: in this state and in a hidden field of the form, which the place
handler prefers; a double click, a retry after a reconnect or a second submit
all send the same key and get the same order group.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import reflex as rx
from babel.dates import format_datetime, format_time

from marketplace_app.db import write_session
from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import money
from marketplace_app.ids import parse_id
from marketplace_app.services import addresses, carts, checkout, fulfilment, media, payments
from marketplace_app.services.checkout import CheckoutRefused, Seen, SellerChoice
from marketplace_app.services.errors import ServiceError, ValidationFailed
from marketplace_app.settings import settings
from marketplace_app.state.guard import current_user, login_required, run_read, session_token
from marketplace_app.state.session import LocaleState, SessionState

PAYMENT_METHODS = ("cash", "escrow")
KEY_CHARS = 64


@dataclass
class OptionView:
    """One choice of a select."""

    value: str
    label: str


@dataclass
class MethodView:
    """One delivery method a seller's part offers."""

    method: str
    label: str
    fee: str
    chosen: bool
    testid: str
    input_id: str


@dataclass
class LineView:
    """One cart line as it will be ordered."""

    id: int
    href: str
    title: str
    variant: str
    image: str
    quantity: str
    price: str
    was_price: str
    total: str
    error: str


@dataclass
class PartView:
    """One seller's part of the checkout (it becomes one order)."""

    key: str
    seller: str
    seller_href: str
    is_shop: bool
    kind: str
    lines: list[LineView]
    methods: list[MethodView]
    method: str
    is_pickup: bool
    needs_address: bool
    pickup_place: str
    slots: list[OptionView]
    slot: str
    address: str
    subtotal: str
    fee: str
    method_error: str
    slot_error: str
    address_error: str
    group_label: str
    slot_id: str
    address_id: str


@dataclass
class PlacedView:
    """One order the checkout created."""

    number: str
    href: str
    seller: str
    total: str
    status: str


def _slot_label(slot: fulfilment.Slot, lang: str) -> str:
    """A pickup slot in the town's time, e.g. "Mon 2 Nov, 10:00–11:00" (en)."""
    zone = ZoneInfo(settings.timezone)
    zh = lang == "zh-CN"
    locale = "zh_Hans_CN" if zh else "en"
    start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    day = format_datetime(start, "M月d日 EEE HH:mm" if zh else "EEE d MMM, HH:mm", locale=locale)
    return f"{day}–{format_time(end, 'HH:mm', locale=locale)}"


def _address_label(address) -> str:
    name = address.label or address.recipient
    place = ", ".join(p for p in (address.line1, address.district, address.city) if p)
    return f"{name} · {place}"


def _load(session, user_id: int):
    return checkout.preview(session, user_id), addresses.list_addresses(session, user_id)


class CheckoutState(rx.State):
    """``/checkout`` (login required)."""

    loading: bool = True
    failed: bool = False
    key: str = ""
    parts: list[PartView] = []
    addresses: list[OptionView] = []
    payment: str = ""
    payment_error: str = ""
    form_error: str = ""
    cart_changed: bool = False
    subtotal: str = ""
    fees: str = ""
    total: str = ""
    placing: bool = False
    placed: list[PlacedView] = []
    placed_href: str = ""
    placed_total: str = ""

    _preview: checkout.CheckoutPreview | None = None
    _address_ids: list[int] = []
    _choices: dict[str, dict[str, str]] = {}
    _errors: dict[str, str] = {}

    # --- building the view -----------------------------------------------------------

    def _part_view(self, part: checkout.PartInfo, lang: str) -> PartView:
        choice = self._choices.get(part.key, {})
        method = choice.get("method", "")
        err = self._errors
        lines = []
        for line in part.lines:
            problem = (
                translate(lang, line.problem, **self._params(line.problem_params, lang))
                if line.problem
                else ""
            )
            lines.append(
                LineView(
                    id=line.line_id,
                    href=f"/listing/{line.listing_id}",
                    title=line.title,
                    variant=line.variant_label,
                    image=media.url(line.image_key, 320) if line.image_key else "/placeholder.svg",
                    quantity=translate(lang, "checkout.quantity", count=line.quantity),
                    price=money(line.unit_price_cents, lang),
                    was_price=money(line.was_price_cents, lang) if line.was_price_cents else "",
                    total=money(line.line_total_cents, lang),
                    error=err.get(f"line:{line.line_id}", "") or problem,
                )
            )
        methods = [
            MethodView(
                method=m,
                label=translate(lang, f"delivery.{m}"),
                fee=translate(lang, "delivery.no_fee") if fee == 0 else money(fee, lang),
                chosen=m == method,
                testid=f"delivery-option-{m}",
                input_id=f"method-{part.key}-{m}",
            )
            for m, fee in part.options.items()
        ]
        fee = part.fee(method)
        return PartView(
            key=part.key,
            seller=part.seller_name,
            seller_href=f"/shop/{part.shop_slug}" if part.shop_slug else "",
            is_shop=part.shop_id is not None,
            kind=translate(lang, "seller.shop" if part.shop_id else "seller.neighbour"),
            lines=lines,
            methods=methods,
            method=method,
            is_pickup=method == "pickup",
            needs_address=method in ("local", "courier"),
            pickup_place=part.pickup_place,
            slots=[OptionView(s.key, _slot_label(s, lang)) for s in part.slots],
            slot=choice.get("slot", ""),
            address=choice.get("address", ""),
            subtotal=money(part.subtotal_cents, lang),
            fee=money(fee, lang) if fee else translate(lang, "delivery.no_fee"),
            method_error=err.get(f"{part.key}:method", ""),
            slot_error=err.get(f"{part.key}:slot", ""),
            address_error=err.get(f"{part.key}:address", ""),
            group_label=translate(lang, "checkout.part_label", seller=part.seller_name),
            slot_id=f"slot-{part.key}",
            address_id=f"address-{part.key}",
        )

    @staticmethod
    def _params(params: dict, lang: str) -> dict:
        shown = {k: v for k, v in params.items() if k != "price_cents"}
        if "price_cents" in params:
            shown["price"] = money(int(params["price_cents"]), lang)
        return shown

    def _render(self, lang: str) -> None:
        preview = self._preview
        if preview is None:
            self.parts = []
            return
        self.parts = [self._part_view(p, lang) for p in preview.parts]
        methods = {k: c.get("method", "") for k, c in self._choices.items()}
        fees = preview.fees_cents(methods)
        self.subtotal = money(preview.subtotal_cents, lang)
        self.fees = money(fees, lang)
        self.total = money(preview.subtotal_cents + fees, lang)
        self.payment_error = self._errors.get("payment", "")

    def _keep_valid_choices(self) -> None:
        """Drop choices that no longer fit the cart; fill obvious defaults."""
        preview = self._preview
        kept: dict[str, dict[str, str]] = {}
        for part in preview.parts if preview else ():
            choice = dict(self._choices.get(part.key, {}))
            if choice.get("method") not in part.options:
                choice = {}
            if not choice and len(part.options) == 1:
                choice["method"] = next(iter(part.options))
            self._fill_defaults(part, choice)
            kept[part.key] = choice
        self._choices = kept

    def _fill_defaults(self, part: checkout.PartInfo, choice: dict[str, str]) -> None:
        slots = [s.key for s in part.slots]
        if choice.get("method") == "pickup" and choice.get("slot") not in slots:
            choice["slot"] = slots[0] if slots else ""
        ids = [str(i) for i in self._address_ids]
        if choice.get("method") in ("local", "courier") and choice.get("address") not in ids:
            choice["address"] = ids[0] if ids else ""

    async def _refresh(self, user_id: int, lang: str) -> None:
        preview, book = await run_read(_load, user_id)
        self._preview = preview
        self._address_ids = [a.id for a in book]
        self.addresses = [OptionView(str(a.id), _address_label(a)) for a in book]
        self._keep_valid_choices()
        self._render(lang)

    def _part(self, key: object) -> checkout.PartInfo | None:
        if not isinstance(key, str) or self._preview is None:
            return None
        return next((p for p in self._preview.parts if p.key == key), None)

    def _clear(self, *fields: str) -> None:
        self._errors = {k: v for k, v in self._errors.items() if k not in fields}

    # --- handlers --------------------------------------------------------------------

    @rx.event
    @login_required
    async def load(self):
        """Open the checkout: the cart priced now, a fresh key, earlier choices kept."""
        lang = (await self.get_state(LocaleState)).lang
        self.loading = True
        self.failed = False
        self.placing = False
        self.placed = []
        self.form_error = ""
        self.cart_changed = False
        self._errors = {}
        self.key = checkout.new_key()
        yield
        try:
            await self._refresh(current_user().id, lang)
        except Exception:
            logging.getLogger(__name__).exception("checkout load failed")
            self.failed = True
        self.loading = False

    @rx.event
    @login_required
    async def choose_method(self, part_key: str, method: str):
        """Choose how one seller's items come (one the part offers)."""
        part = self._part(part_key)
        if part is None or method not in part.options:
            return
        choice = {**self._choices.get(part.key, {}), "method": method}
        self._fill_defaults(part, choice)
        self._choices = {**self._choices, part.key: choice}
        self._clear(f"{part.key}:method", f"{part.key}:slot", f"{part.key}:address")
        self._render((await self.get_state(LocaleState)).lang)

    @rx.event
    @login_required
    async def choose_slot(self, part_key: str, slot: str):
        """Choose a pickup time (one of the part's offered slots)."""
        part = self._part(part_key)
        if part is None or slot not in {s.key for s in part.slots}:
            return
        self._choices = {
            **self._choices,
            part.key: {**self._choices.get(part.key, {}), "slot": slot},
        }
        self._clear(f"{part.key}:slot")
        self._render((await self.get_state(LocaleState)).lang)

    @rx.event
    @login_required
    async def choose_address(self, part_key: str, address_id: str):
        """Choose the delivery address (one of the caller's address book)."""
        part = self._part(part_key)
        wanted = parse_id(address_id)
        if part is None or wanted not in self._address_ids:
            return
        choice = {**self._choices.get(part.key, {}), "address": str(wanted)}
        self._choices = {**self._choices, part.key: choice}
        self._clear(f"{part.key}:address")
        self._render((await self.get_state(LocaleState)).lang)

    @rx.event
    @login_required
    async def choose_payment(self, method: str):
        """Choose cash (pay at the handover) or escrow (pay online now)."""
        if method not in PAYMENT_METHODS:
            return
        self.payment = method
        self._clear("payment")
        self.payment_error = ""

    def _request(self) -> tuple[dict[str, SellerChoice], dict[int, Seen]]:
        choices = {}
        for key, c in self._choices.items():
            method = c.get("method", "")
            if method:
                choices[key] = SellerChoice(method, c.get("slot", ""), parse_id(c.get("address")))
        seen = {
            line.line_id: Seen(line.unit_price_cents, line.quantity)
            for part in (self._preview.parts if self._preview else ())
            for line in part.lines
        }
        return choices, seen

    def _show_refusal(self, error: ValidationFailed, lang: str) -> None:
        details = error.details if isinstance(error, CheckoutRefused) else {}
        self._errors = {
            field: translate(lang, key, **self._params(details.get(field, {}), lang))
            for field, key in error.fields.items()
        }
        form = self._errors.pop("_form", "")
        self.form_error = form or translate(lang, "checkout.check_highlighted")
        self.cart_changed = error.fields.get("_form") == checkout.E_CART_CHANGED

    @rx.event
    @login_required
    async def place(self, form: dict):
        """Place the order with this checkout's key; errors go next to the lines and fields."""
        lang = (await self.get_state(LocaleState)).lang
        user_id = current_user().id
        if self.placing or self._preview is None:
            return
        sent = form.get("key") if isinstance(form, dict) else None
        key = sent if isinstance(sent, str) and checkout.KEY_RE.match(sent) else self.key
        choices, seen = self._request()
        self.placing = True
        self.form_error = ""
        self.cart_changed = False
        yield
        try:
            group = await asyncio.to_thread(
                checkout.place_checkout,
                write_session,
                user_id,
                key=key,
                choices=choices,
                payment_method=self.payment,
                seen=seen,
            )
        except ValidationFailed as error:
            self._show_refusal(error, lang)
            if error.fields.get("_form") == checkout.E_KEY:
                self.key = checkout.new_key()
            await self._refresh(user_id, lang)
            self.placing = False
            return
        except ServiceError as error:
            self.form_error = translate(lang, error.key, **error.params)
            self.placing = False
            return
        except Exception:
            # E.g. the database was busy: nothing was placed, and trying again
            # with the same key cannot place twice.
            logging.getLogger(__name__).exception("placing a checkout failed")
            self.form_error = translate(lang, "checkout.place_failed")
            self.placing = False
            return
        self._errors = {}
        session = await self.get_state(SessionState)
        session.cart_count = await run_read(carts.units, user_id)
        if group.payment_method == "escrow":
            try:
                url = await asyncio.to_thread(
                    payments.begin_escrow_checkout,
                    group.public_id,
                    user_id,
                    buyer_session=session_token(self) or "",
                )
            except ServiceError:
                logging.getLogger(__name__).exception("escrow checkout did not start")
                self._show_placed(group, lang)
                self.form_error = translate(
                    lang, "error.checkout_payment_start", minutes=settings.unpaid_expiry_minutes
                )
                self.placing = False
                return
            yield rx.call_script(f"window.location.assign({json.dumps(url)})")
            return
        self._show_placed(group, lang)
        self.placing = False

    def _show_placed(self, group: checkout.PlacedGroup, lang: str) -> None:
        names = {p.key: p.seller_name for p in self._preview.parts} if self._preview else {}
        status = "checkout.status_cash" if group.payment_method == "cash" else "checkout.status_due"
        self.placed = [
            PlacedView(
                number=o.number,
                href=f"/orders/{o.number}",
                seller=names.get(f"shop-{o.shop_id}" if o.shop_id else f"user-{o.seller_id}", ""),
                total=money(o.total_cents, lang),
                status=translate(lang, status),
            )
            for o in group.orders
        ]
        self.placed_href = f"/orders/group/{group.public_id}"
        self.placed_total = money(group.total_cents, lang)
        self.parts = []
        self._preview = None
