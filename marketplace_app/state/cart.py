"""The cart page: lines grouped by seller, quantities, flagged lines, totals.

Every handler finds the cart from the caller's cookies on the server (the
user's session, else the guest cart cookie) and passes line ids and
quantities, validated, to :mod:`marketplace_app.services.carts`, which only
ever touches that owner's cart. A change and the fresh view of the cart run
in one transaction; the navigation count is set from the same result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import money
from marketplace_app.ids import parse_id
from marketplace_app.services import carts, media, purchasable
from marketplace_app.services.errors import NotFound, ServiceError
from marketplace_app.state.guard import public, run_read, run_write
from marketplace_app.state.session import LocaleState, SessionState, cart_owner

LOGIN_TO_CHECKOUT = "/login?next=/checkout"
CHECKOUT = "/checkout"


@dataclass
class CartLineRow:
    """One cart line, formatted for the page."""

    id: int
    href: str
    title: str
    variant_label: str
    image: str
    alt: str
    price: str
    was_price: str
    quantity: int
    max_quantity: int
    one_off: bool
    total: str
    problem: str
    price_up: bool
    error: str
    qty_label: str
    remove_label: str
    can_decrease: bool
    can_increase: bool


@dataclass
class CartGroupRow:
    """The lines of one seller with their subtotal."""

    key: str
    name: str
    kind: str
    href: str
    lines: list[CartLineRow]
    subtotal: str
    delivery: str
    label: str


def whole_number(value: object, low: int, high: int) -> int | None:
    """An int from a browser value (an int, or digits as text) within [low, high], else None.

    Args:
        value: anything a browser sent.
        low: smallest accepted value.
        high: largest accepted value.

    Returns:
        The number, or None when it is not a whole number in range.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            return None
        value = int(text)
    if not isinstance(value, int) or not low <= value <= high:
        return None
    return value


def _problem_text(line: carts.LineView, lang: str) -> str:
    if line.problem is None:
        return ""
    if line.problem == purchasable.ABOVE_STOCK:
        return translate(lang, "cart.problem.above_stock", count=line.max_quantity)
    if line.problem == carts.PROBLEM_PRICE_UP:
        return translate(
            lang,
            "cart.problem.price_up",
            old=money(line.seen_price_cents, lang),
            new=money(line.unit_price_cents, lang),
        )
    return translate(lang, f"cart.problem.{line.problem}", **line.problem_params)


def _line_row(line: carts.LineView, lang: str, error: str) -> CartLineRow:
    return CartLineRow(
        id=line.id,
        href=f"/listing/{line.listing_id}",
        title=line.title,
        variant_label=line.variant_label,
        image=media.url(line.cover_key, 320) if line.cover_key else "/placeholder.svg",
        alt=line.title,
        price=money(line.unit_price_cents, lang),
        was_price=money(line.was_price_cents, lang) if line.was_price_cents else "",
        quantity=line.quantity,
        max_quantity=max(line.max_quantity, 1),
        one_off=line.one_off,
        total=money(line.line_total_cents, lang),
        problem=_problem_text(line, lang),
        price_up=line.problem == carts.PROBLEM_PRICE_UP,
        error=error,
        qty_label=translate(lang, "cart.qty_label", title=line.title),
        remove_label=translate(lang, "cart.remove_label", title=line.title),
        can_decrease=not line.one_off and line.quantity > 1,
        can_increase=not line.one_off and line.quantity < line.max_quantity,
    )


def _delivery_text(group: carts.SellerGroup, lang: str) -> str:
    if not group.delivery:
        return ""
    methods = ", ".join(
        translate(lang, f"delivery.{choice.method}")
        + (f" {money(choice.fee_cents, lang)}" if choice.fee_cents else "")
        for choice in group.delivery
    )
    return translate(lang, "cart.delivery", methods=methods)


def _group_row(group: carts.SellerGroup, lang: str, errors: dict[int, str]) -> CartGroupRow:
    return CartGroupRow(
        key=f"{group.seller_id}-{group.shop_id or 0}",
        name=group.seller_name,
        kind=translate(lang, "seller.shop" if group.shop_id else "seller.neighbour"),
        href=f"/shop/{group.shop_slug}" if group.shop_slug else "",
        lines=[_line_row(line, lang, errors.get(line.id, "")) for line in group.lines],
        subtotal=money(group.subtotal_cents, lang),
        delivery=_delivery_text(group, lang),
        label=translate(lang, "cart.group_label", name=group.seller_name),
    )


def _change_and_view(
    session, owner: carts.CartOwner, change: Callable, *args: object
) -> carts.CartView:
    """Apply one change to the owner's cart, then read it back, in one transaction."""
    change(session, owner, *args)
    return carts.view(session, owner)


class CartState(rx.State):
    """The cart page."""

    loading: bool = True
    failed: bool = False
    is_guest: bool = True
    groups: list[CartGroupRow] = []
    total: str = ""
    units: int = 0
    ready_count: int = 0
    problem_note: str = ""
    busy: bool = False

    @rx.var
    def checkout_href(self) -> str:
        """Where the checkout button goes: checkout, or login first for guests."""
        return LOGIN_TO_CHECKOUT if self.is_guest else CHECKOUT

    def _show(self, view: carts.CartView, lang: str, errors: dict[int, str] | None = None) -> None:
        errors = errors or {}
        self.groups = [_group_row(group, lang, errors) for group in view.groups]
        self.total = money(view.total_cents, lang)
        self.units = view.units
        self.ready_count = view.ready_count
        self.problem_note = (
            translate(lang, "cart.problems_note", count=view.problem_count)
            if view.problem_count
            else ""
        )

    async def _count(self, units: int) -> None:
        (await self.get_state(SessionState)).cart_count = units

    @rx.event
    @public
    async def load(self):
        """Load the caller's cart (the user's, or the guest cookie's)."""
        lang = (await self.get_state(LocaleState)).lang
        self.loading = True
        self.failed = False
        yield
        owner = await cart_owner(self)
        self.is_guest = owner is None or owner.user_id is None
        try:
            view = await run_read(carts.view, owner) if owner else carts.EMPTY_VIEW
        except Exception:
            logging.getLogger(__name__).exception("cart load failed")
            self.failed = True
            self.loading = False
            return
        self._show(view, lang)
        await self._count(view.units)
        self.loading = False

    async def _change(self, line_id: object, change: Callable, *args: object) -> None:
        lang = (await self.get_state(LocaleState)).lang
        owner = await cart_owner(self)
        line_id = parse_id(line_id)
        if owner is None or line_id is None:
            self.busy = False
            return
        errors: dict[int, str] = {}
        try:
            view = await run_write(_change_and_view, owner, change, line_id, *args)
        except NotFound:
            view = await run_read(carts.view, owner)
        except ServiceError as error:
            messages = (await self.get_state(LocaleState))._errors(error)
            errors[line_id] = next(iter(messages.values()), "")
            view = await run_read(carts.view, owner)
        finally:
            self.busy = False
        self._show(view, lang, errors)
        await self._count(view.units)

    @rx.event
    @public
    async def set_quantity(self, line_id: int, quantity: int | str):
        """Change a line's quantity (typed, or one more / one fewer)."""
        async for update in self._set_quantity(line_id, quantity):
            yield update

    @rx.event
    @public
    async def submit_quantity(self, form: dict):
        """Change a line's quantity from its form (Enter in the box): ``line``, ``quantity``."""
        if not isinstance(form, dict):
            return
        async for update in self._set_quantity(form.get("line"), form.get("quantity")):
            yield update

    async def _set_quantity(self, line_id: object, quantity: object):
        line_id = parse_id(line_id)
        wanted = whole_number(quantity, 1, carts.MAX_QUANTITY)
        if line_id is None:
            return
        if wanted is None:
            lang = (await self.get_state(LocaleState)).lang
            self._flag(line_id, translate(lang, "error.cart_quantity", max=carts.MAX_QUANTITY))
            return
        self.busy = True
        yield
        await self._change(line_id, carts.set_quantity, wanted)

    def _flag(self, line_id: object, message: str) -> None:
        """Show ``message`` next to a line without touching the cart."""
        for group in self.groups:
            for line in group.lines:
                if line.id == line_id:
                    line.error = message
        self.groups = list(self.groups)

    @rx.event
    @public
    async def remove_line(self, line_id: int):
        """Take a line out of the cart."""
        self.busy = True
        yield
        await self._change(line_id, carts.remove)

    @rx.event
    @public
    async def accept_price(self, line_id: int):
        """Accept a line's new, higher price."""
        self.busy = True
        yield
        await self._change(line_id, carts.accept_price)
