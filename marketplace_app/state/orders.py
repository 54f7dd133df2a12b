"""Order pages: buyer's list, one checkout, one order, seller's orders, disputes queue.

Which order a page acts on is a backend variable (``_number``) set after the
services confirmed the caller may see it; every service call checks again, so
a handler called by hand with another order's number only ever gets "not found".
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date_time, money
from marketplace_app.models import Order, OrderLine, OrderTransition, RefundRequest
from marketplace_app.services import fulfilment, inbox, media, orders
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.state import forms
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.reviews import OrderReviewState
from marketplace_app.state.session import LocaleState, SessionState
from marketplace_app.state.uploads import add_form_photos, without_photo

GROUP_POLLS = 8
GROUP_POLL_MS = 2000
CODE_CHARS = 12


@dataclass
class OrderRowView:
    """One order in a list."""

    number: str
    href: str
    status: str
    status_label: str
    title: str
    party: str
    total: str
    created: str
    method: str


@dataclass
class LineView:
    """One line of an order."""

    title: str
    variant: str
    quantity: str
    unit_price: str
    total: str
    href: str


@dataclass
class TimelineView:
    """One entry of an order's timeline."""

    status_label: str
    when: str
    actor: str
    reason: str


@dataclass
class StepView:
    """One step of the order's progress picture."""

    label: str
    state: str
    number: str


@dataclass
class PhotoView:
    """A refund photo."""

    src: str
    full: str
    alt: str


@dataclass
class DisputeView:
    """One dispute in the operators' queue."""

    number: str
    buyer: str
    seller: str
    total: str
    method: str
    goods: str
    reason: str
    buyer_statement: str
    seller_statement: str
    opened: str
    photos: list[PhotoView]
    timeline: list[TimelineView]


def status_label(status: str, payment_method: str, lang: str) -> str:
    """An order status in words (a paid cash order is "confirmed, pay at handover")."""
    if status == "paid" and payment_method == "cash":
        return translate(lang, "orders.status.paid_cash")
    return translate(lang, f"orders.status.{status}")


def method_label(delivery_method: str, payment_method: str, lang: str) -> str:
    """Delivery and payment in words, e.g. "Pickup · Escrow"."""
    return " · ".join(
        (
            translate(lang, f"delivery.{delivery_method}"),
            translate(lang, f"orders.payment.{payment_method}"),
        )
    )


def row_view(row: orders.OrderSummary, lang: str, *, seller_view: bool) -> OrderRowView:
    """Format an order summary for a list (the other party is named)."""
    title = row.first_title
    if row.item_count > 1:
        title = translate(lang, "orders.items_title", title=title, count=row.item_count)
    seller = f"{row.shop_name} ({row.seller_name})" if row.shop_name else row.seller_name
    return OrderRowView(
        number=row.number,
        href=orders.link(row.number),
        status=row.status,
        status_label=status_label(row.status, row.payment_method, lang),
        title=title,
        party=row.buyer_name if seller_view else seller,
        total=money(row.total_cents, lang),
        created=date_time(row.created_at, lang),
        method=method_label(row.delivery_method, row.payment_method, lang),
    )


def _actor(order: Order, entry: OrderTransition, viewer_id: int, lang: str) -> str:
    kind = orders.actor_kind(order, entry)
    if entry.actor_id is not None and entry.actor_id == viewer_id:
        return translate(lang, "orders.actor.you")
    return translate(lang, f"orders.actor.{kind}")


def _reason(entry: OrderTransition, lang: str) -> str:
    if entry.reason in orders.SYSTEM_REASONS:
        return translate(lang, f"orders.reason.{entry.reason}")
    if entry.to_status == "refund_requested" and entry.reason in orders.REFUND_REASONS:
        return translate(lang, f"orders.refund_reason.{entry.reason}")
    return entry.reason


def timeline_views(
    order: Order, log: list[OrderTransition], viewer_id: int, lang: str
) -> list[TimelineView]:
    """The transition log as timeline entries, oldest first."""
    return [
        TimelineView(
            status_label=translate(lang, "orders.step.placed")
            if entry.from_status is None
            else status_label(entry.to_status, order.payment_method, lang),
            when=date_time(entry.at, lang),
            actor=_actor(order, entry, viewer_id, lang),
            reason=_reason(entry, lang),
        )
        for entry in log
    ]


def _step_of(status: str) -> int:
    return {
        "pending_payment": 0,
        "paid": 1,
        "ready_for_pickup": 2,
        "shipped": 2,
        "out_for_delivery": 2,
        "handed_over": 3,
        "delivered": 3,
        "refund_requested": 3,
        "refund_declined": 3,
        "disputed": 3,
        "completed": 4,
    }.get(status, 0)


def step_views(order: Order, log: list[OrderTransition], lang: str) -> list[StepView]:
    """The order's progress as steps: done, the current one, and those to come.

    A cancelled or refunded order shows the steps it reached, then how it
    ended; a refund in progress is shown as an extra current step.
    """
    keys = list(orders.STEPS[order.delivery_method])
    labels = [
        translate(lang, "orders.step.placed")
        if key == "placed"
        else status_label(key, order.payment_method, lang)
        for key in keys
    ]
    status = order.status
    if status in ("cancelled", "refunded"):
        reached = max((_step_of(e.to_status) for e in log if e.to_status != status), default=0)
        names = [*labels[: reached + 1], status_label(status, order.payment_method, lang)]
        return [
            StepView(name, "current" if i == len(names) - 1 else "done", str(i + 1))
            for i, name in enumerate(names)
        ]
    current = _step_of(status)
    if status in ("refund_requested", "refund_declined", "disputed"):
        names = [*labels[: current + 1], status_label(status, order.payment_method, lang)]
        current = len(names) - 1
    else:
        names = labels
    return [
        StepView(
            name,
            "done"
            if i < current or status == "completed"
            else "current"
            if i == current
            else "todo",
            str(i + 1),
        )
        for i, name in enumerate(names)
    ]


def line_views(lines: list[OrderLine], lang: str) -> list[LineView]:
    """An order's lines, priced for display."""
    return [
        LineView(
            title=line.title,
            variant=line.variant_label,
            quantity=f"× {line.quantity}",
            unit_price=money(line.unit_price_cents, lang),
            total=money(line.line_total_cents, lang),
            href=f"/listing/{line.listing_id}",
        )
        for line in lines
    ]


def photo_views(keys: list[str], number: str, lang: str) -> list[PhotoView]:
    """A refund request's photos, with alt text naming the order."""
    return [
        PhotoView(
            src=media.url(key, 320),
            full=media.url(key, 1600),
            alt=translate(lang, "orders.refund_photo_alt", n=i + 1, number=number),
        )
        for i, key in enumerate(keys)
    ]


def _first_error(loc: LocaleState, error: ServiceError) -> str:
    messages = loc._errors(error)
    return messages.get("_form") or next(iter(messages.values()), "")


async def _refresh_unread(state: rx.State, user_id: int) -> None:
    session_state = await state.get_state(SessionState)
    session_state.unread_count = await run_read(inbox.unread_count, user_id)


class OrdersState(rx.State):
    """``/orders``: the buyer's orders, newest first."""

    rows: list[OrderRowView] = []
    loaded: bool = False

    @rx.event
    @login_required
    async def load(self):
        """Load the caller's purchases."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        yield
        found = await run_read(orders.buyer_orders, current_user().id)
        self.rows = [row_view(r, lang, seller_view=False) for r in found]
        self.loaded = True


@dataclass
class FilterView:
    """One status filter of the seller's orders."""

    key: str
    label: str
    href: str


class SellerOrdersState(rx.State):
    """``/seller/orders?status=...``: orders the caller (or their shop) received."""

    rows: list[OrderRowView] = []
    filters: list[FilterView] = []
    current: str = "all"
    loaded: bool = False

    @rx.event
    @login_required
    async def load(self):
        """Load the filter named in the URL."""
        lang = (await self.get_state(LocaleState)).lang
        wanted = str(self.router.url.query_parameters.get("status", "all"))
        self.current = wanted if wanted in orders.SELLER_FILTERS else "all"
        self.filters = [
            FilterView(
                key,
                translate(lang, f"orders.filter.{key}"),
                "/seller/orders" if key == "all" else f"/seller/orders?status={key}",
            )
            for key in orders.SELLER_FILTERS
        ]
        self.loaded = False
        yield
        found = await run_read(orders.seller_orders, current_user().id, status_filter=self.current)
        self.rows = [row_view(r, lang, seller_view=True) for r in found]
        self.loaded = True


def _group_id(path: str) -> str:
    return (path or "").rstrip("/").rsplit("/", 1)[-1][:24]


class OrderGroupState(rx.State):
    """``/orders/group/<public id>``: what one checkout created (the gateway returns here)."""

    _public_id: str = ""
    _polls: int = 0
    rows: list[OrderRowView] = []
    total: str = ""
    pending: int = 0
    pay_href: str = ""
    loaded: bool = False
    not_found: bool = False

    async def _reload(self, lang: str) -> None:
        found = await run_read(orders.group_orders, current_user().id, self._public_id)
        self.pay_href = f"/api/payments/pay/{self._public_id}"
        self.rows = [row_view(r, lang, seller_view=False) for r in found]
        self.total = money(sum(r.total_cents for r in found if r.status != "cancelled"), lang)
        self.pending = sum(1 for r in found if r.status == "pending_payment")

    def _wait(self):
        # Ask the browser to come back in a moment: the gateway's webhook may still be on its way.
        return rx.call_script(
            f"new Promise(resolve => setTimeout(() => resolve(1), {GROUP_POLL_MS}))",
            callback=OrderGroupState.poll,
        )

    @rx.event
    @login_required
    async def load(self):
        """Load the checkout's orders; while payment is pending, look again a few times."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        self.not_found = False
        self._polls = 0
        self._public_id = ""
        yield
        try:
            self._public_id = _group_id(self.router.url.path)
            await self._reload(lang)
        except NotFound:
            self.not_found = True
            self._public_id = ""
            self.rows = []
        self.loaded = True
        if self.pending and self._public_id:
            yield self._wait()

    @rx.event
    @login_required
    async def poll(self, tick=None):
        """Look again whether the payment arrived (a few times, then the page says so)."""
        if not self._public_id or self._polls >= GROUP_POLLS:
            return
        self._polls += 1
        lang = (await self.get_state(LocaleState)).lang
        try:
            await self._reload(lang)
        except NotFound:
            return
        if self.pending and self._polls < GROUP_POLLS:
            return self._wait()


class OrderState(rx.State):
    """``/orders/<number>``: one order, for its buyer or its seller."""

    _number: str = ""
    _refund_keys: list[str] = []
    number: str = ""
    viewer: str = ""
    status: str = ""
    status_label: str = ""
    created: str = ""
    method: str = ""
    party: str = ""
    address: str = ""
    tracking: str = ""
    slot: str = ""
    subtotal: str = ""
    fee: str = ""
    discount: str = ""
    total: str = ""
    group_href: str = ""
    due_note: str = ""
    lines: list[LineView] = []
    timeline: list[TimelineView] = []
    steps: list[StepView] = []
    actions: list[str] = []
    has_refund: bool = False
    refund_reason: str = ""
    buyer_statement: str = ""
    seller_statement: str = ""
    decision_reason: str = ""
    refund_photos: list[PhotoView] = []
    handover_code: str = ""
    qr_src: str = ""
    attempts_left: int = orders.MAX_HANDOVER_FAILURES
    handover_locked: bool = False
    refund_form_open: bool = False
    new_photos: list[PhotoView] = []
    uploading: bool = False
    errors: dict[str, str] = {}
    flash: str = ""
    busy: bool = False
    loaded: bool = False
    not_found: bool = False
    form_key: int = 0

    def _fill(self, detail: orders.OrderDetail, user_id: int, lang: str) -> None:
        order = detail.order
        self.number = order.number
        self.viewer = detail.viewer
        self.status = order.status
        self.status_label = status_label(order.status, order.payment_method, lang)
        self.created = date_time(order.created_at, lang)
        self.method = method_label(order.delivery_method, order.payment_method, lang)
        if detail.viewer == orders.BUYER:
            seller = detail.seller_name
            self.party = f"{detail.shop_name} ({seller})" if detail.shop_name else seller
        else:
            self.party = detail.buyer_name
        self.address = order.address_text
        self.tracking = order.tracking_number
        self.slot = (
            f"{date_time(order.slot_starts_at, lang)} – {date_time(order.slot_ends_at, lang)}"
            if order.slot_starts_at and order.slot_ends_at
            else ""
        )
        self.subtotal = money(order.subtotal_cents, lang)
        self.fee = money(order.delivery_fee_cents, lang) if order.delivery_fee_cents else ""
        self.discount = money(order.discount_cents, lang) if order.discount_cents else ""
        self.total = money(order.total_cents, lang)
        self.group_href = (
            f"/orders/group/{detail.group_public_id}"
            if detail.viewer == orders.BUYER and detail.group_public_id
            else ""
        )
        self.due_note = self._due_note(order, lang)
        self.lines = line_views(detail.lines, lang)
        self.timeline = timeline_views(order, detail.transitions, user_id, lang)
        self.steps = step_views(order, detail.transitions, lang)
        self.actions = sorted(detail.actions)
        self._fill_refund(detail.refund, order.number, lang)
        self._fill_handover(order, detail.viewer)

    @staticmethod
    def _due_note(order: Order, lang: str) -> str:
        if order.payment_method == "cash":
            if order.status in orders.AWAITING_HANDOVER and order.handover_due_at:
                when = date_time(order.handover_due_at, lang)
                return translate(lang, "orders.due.handover", when=when)
            return ""
        if order.release_due_at is None:
            return ""
        when = date_time(order.release_due_at, lang)
        key = {
            "handed_over": "orders.due.release",
            "delivered": "orders.due.release",
            "refund_requested": "orders.due.seller_answer",
            "refund_declined": "orders.due.escalate",
        }.get(order.status)
        return translate(lang, key, when=when) if key else ""

    def _fill_refund(self, refund: RefundRequest | None, number: str, lang: str) -> None:
        self.has_refund = refund is not None
        self.refund_reason = (
            translate(lang, f"orders.refund_reason.{refund.reason}")
            if refund and refund.reason in orders.REFUND_REASONS
            else ""
        )
        self.buyer_statement = refund.buyer_statement if refund else ""
        self.seller_statement = refund.seller_statement if refund else ""
        self.decision_reason = refund.decision_reason if refund else ""
        self.refund_photos = photo_views(orders.photo_keys(refund), number, lang)

    def _fill_handover(self, order: Order, viewer: str) -> None:
        self.attempts_left = max(0, orders.MAX_HANDOVER_FAILURES - order.handover_failures)
        self.handover_locked = order.handover_failures >= orders.MAX_HANDOVER_FAILURES
        if viewer == orders.BUYER and order.status == "ready_for_pickup":
            code = fulfilment.handover_code(order.id, order.number)
            self.handover_code = code
            png = fulfilment.qr_png(code)
            self.qr_src = "data:image/png;base64," + base64.b64encode(png).decode()
        else:
            self.handover_code = ""
            self.qr_src = ""

    async def _reload(self, lang: str) -> None:
        user_id = current_user().id
        try:
            detail = await run_read(orders.order_detail, user_id, self._number)
        except NotFound:
            self.not_found = True
            self._number = ""
            return
        self._fill(detail, user_id, lang)

    @rx.event
    @login_required
    async def load(self):
        """Open the order the URL names, if it is the caller's purchase or sale."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        self.not_found = False
        self.errors = {}
        self.flash = ""
        self.busy = False
        self.refund_form_open = False
        self._discard_new_photos()
        yield
        self._number = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1][:24]
        await self._reload(lang)
        self.loaded = True

    async def _act(self, done_key: str, fn, *args, **kwargs):
        """Run one order action as the caller, then show the order as it is now."""
        loc = await self.get_state(LocaleState)
        if not self._number or self.busy:
            return
        user_id = current_user().id
        self.errors = {}
        self.flash = ""
        self.busy = True
        yield
        try:
            result = await run_write(fn, user_id, self._number, *args, **kwargs)
        except ValidationFailed as error:
            self.errors = loc._errors(error)
        except ServiceError as error:
            self.errors = {"_form": _first_error(loc, error)}
        else:
            if isinstance(result, orders.HandoverResult) and not result.accepted:
                self.errors = {
                    "code": loc._tr("error.order.handover_wrong", left=result.attempts_left)
                }
            else:
                self.flash = loc._tr(done_key)
                self.form_key += 1
        finally:
            self.busy = False
        await self._reload(loc.lang)
        await _refresh_unread(self, user_id)
        if self.status == "completed":
            yield OrderReviewState.load  # reviews open: show the review form without a reload

    @rx.event
    @login_required
    async def cancel(self, form: dict):
        """Cancel the order (buyer before fulfilment; seller with a reason)."""
        reason = forms.text(form, "reason", orders.REASON_MAX)
        async for update in self._act("orders.done.cancelled", orders.cancel, reason):
            yield update

    @rx.event
    @login_required
    async def confirm_receipt(self):
        """The buyer confirms receipt (or accepts the seller's answer to a refund request)."""
        async for update in self._act("orders.done.completed", orders.confirm_receipt):
            yield update

    @rx.event
    @login_required
    async def escalate(self):
        """The buyer takes a declined refund request to an operator."""
        async for update in self._act("orders.done.disputed", orders.escalate):
            yield update

    @rx.event
    @login_required
    async def mark_ready(self):
        """The seller has a pickup order ready."""
        async for update in self._act("orders.done.ready_for_pickup", orders.mark_ready):
            yield update

    @rx.event
    @login_required
    async def mark_shipped(self, form: dict):
        """The seller sent a courier order, with its tracking number."""
        tracking = forms.text(form, "tracking", orders.TRACKING_MAX)
        async for update in self._act("orders.done.shipped", orders.mark_shipped, tracking):
            yield update

    @rx.event
    @login_required
    async def mark_out_for_delivery(self):
        """The seller is bringing a local-delivery order."""
        async for update in self._act("orders.done.out_for_delivery", orders.mark_out_for_delivery):
            yield update

    @rx.event
    @login_required
    async def mark_delivered(self):
        """The seller delivered the order."""
        async for update in self._act("orders.done.delivered", orders.mark_delivered):
            yield update

    @rx.event
    @login_required
    async def confirm_handover(self, form: dict):
        """The seller enters the buyer's handover code."""
        code = forms.text(form, "code", CODE_CHARS)
        async for update in self._act("orders.done.handed_over", orders.confirm_handover, code):
            yield update

    @rx.event
    @login_required
    async def accept_refund(self):
        """The seller accepts the buyer's refund request."""
        async for update in self._act("orders.done.refunded", orders.accept_refund):
            yield update

    @rx.event
    @login_required
    async def decline_refund(self, form: dict):
        """The seller declines the refund request, with their statement."""
        statement = forms.text(form, "statement", orders.STATEMENT_MAX)
        async for update in self._act(
            "orders.done.refund_declined", orders.decline_refund, statement
        ):
            yield update

    # -- the refund request form

    def _discard_new_photos(self) -> None:
        for key in self._refund_keys:
            media.delete_image(key)
        self._refund_keys = []
        self.new_photos = []

    def _keep_new_photos(self, keys: list[str], lang: str) -> None:
        self._refund_keys = keys
        self.new_photos = photo_views(keys, self.number, lang)

    @rx.event
    @login_required
    async def toggle_refund_form(self):
        """Open or close the refund request form."""
        self.refund_form_open = not self.refund_form_open and "request_refund" in self.actions
        self.errors = {}

    @rx.event
    @login_required(upload=True)
    async def upload_refund_photos(self, files: list[rx.UploadFile]):
        """Store photos for the refund request (at most 5 in all)."""
        if not self._number:
            return
        async for update in add_form_photos(
            self,
            files,
            self._refund_keys,
            orders.MAX_REFUND_PHOTOS,
            orders.store_refund_photos,
            self._keep_new_photos,
        ):
            yield update

    @rx.event
    @login_required
    async def remove_refund_photo(self, index: int):
        """Take one photo out of the refund request."""
        keys = without_photo(self._refund_keys, index)
        if keys is not None:
            self._keep_new_photos(keys, (await self.get_state(LocaleState)).lang)

    @rx.event
    @login_required
    async def request_refund(self, form: dict):
        """The buyer asks for a refund: reason, what happened, photos."""
        reason = forms.text(form, "reason", 40)
        statement = forms.text(form, "statement", orders.STATEMENT_MAX)
        keys = list(self._refund_keys)
        async for update in self._act(
            "orders.done.refund_requested",
            orders.request_refund,
            reason=reason,
            statement=statement,
            photos=keys,
        ):
            yield update
        if not self.errors:
            self._refund_keys = []
            self.new_photos = []
            self.refund_form_open = False


def dispute_view(case: orders.DisputeCase, operator_id: int, lang: str) -> DisputeView:
    """Format a dispute for the operators' queue."""
    order, refund = case.order, case.refund
    seller = f"{case.shop_name} ({case.seller_name})" if case.shop_name else case.seller_name
    items = ", ".join(
        f"{line.title}{f' ({line.variant_label})' if line.variant_label else ''} × {line.quantity}"
        for line in case.lines
    )
    return DisputeView(
        number=order.number,
        buyer=case.buyer_name,
        seller=seller,
        total=money(order.total_cents, lang),
        method=method_label(order.delivery_method, order.payment_method, lang),
        goods=items,
        reason=translate(lang, f"orders.refund_reason.{refund.reason}")
        if refund.reason in orders.REFUND_REASONS
        else refund.reason,
        buyer_statement=refund.buyer_statement,
        seller_statement=refund.seller_statement,
        opened=date_time(refund.created_at, lang),
        photos=photo_views(orders.photo_keys(refund), order.number, lang),
        timeline=timeline_views(order, case.transitions, operator_id, lang),
    )


class DisputesState(rx.State):
    """``/admin/disputes``: refund disputes waiting for an operator's decision."""

    _outcome: str = "refund"
    cases: list[DisputeView] = []
    row_errors: dict[str, str] = {}
    notice: str = ""
    busy_number: str = ""
    loaded: bool = False

    async def _reload(self, lang: str) -> None:
        operator_id = current_user().id
        found = await run_read(orders.open_disputes, operator_id)
        self.cases = [dispute_view(c, operator_id, lang) for c in found]
        self.loaded = True

    @rx.event
    @login_required(role="moderator")
    async def load(self):
        """Load the open disputes, oldest first."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        self.row_errors = {}
        self.notice = ""
        yield
        await self._reload(lang)

    @rx.event
    @login_required(role="moderator")
    async def choose(self, outcome: str):
        """Remember which decision button submitted the form ("refund" or "release")."""
        self._outcome = "release" if outcome == "release" else "refund"

    @rx.event
    @login_required(role="moderator")
    async def decide(self, form: dict):
        """Decide the dispute of the submitted row, with the reason typed there."""
        loc = await self.get_state(LocaleState)
        outcome, self._outcome = self._outcome, "refund"
        number = forms.text(form, "number", 24)
        if not number:
            return
        reason = forms.text(form, "reason", 1000)
        self.busy_number = number
        self.notice = ""
        yield
        errors = {k: v for k, v in self.row_errors.items() if k != number}
        try:
            await run_write(orders.decide_dispute, current_user().id, number, outcome, reason)
        except ServiceError as error:
            errors[number] = _first_error(loc, error)
        else:
            self.notice = loc._tr(f"disputes.decided_{outcome}", number=number)
        self.row_errors = errors
        self.busy_number = ""
        await self._reload(loc.lang)
