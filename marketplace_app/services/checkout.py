"""Checkout: one order group per checkout, one order per seller, stock that never oversells.

A buyer's cart is split into *parts*, one per seller (a shop, or a resident
selling their own items); each part becomes an :class:`Order`, and together
they form one :class:`OrderGroup`. Part keys name the seller: ``"shop-<shop
id>"`` for a shop, ``"user-<user id>"`` for a resident.

:func:`preview` tells the checkout page what is in the cart right now (prices
re-read from the listings, delivery options, pickup slots, lines that cannot be
had); :func:`place` places it.

Placing is one write transaction (the caller's session):

1. The idempotency key is looked up: a key already used returns the group it
   created (``created=False``); ``order_groups.idempotency_key`` is UNIQUE, and
   on PostgreSQL a concurrent placement with the same key waits on that index,
   fails with IntegrityError, and then returns the winner's group.
2. Every line is priced again from its listing or variant (the sale price while
   the sale window is open); the cart's own prices are never trusted. When the
   page passes what it showed (``seen``), a line whose price or quantity differs
   is refused with "price changed" so the buyer sees the new figure first.
3. Stock is taken with conditional UPDATEs, in listing id order (so two
   PostgreSQL transactions never wait on each other in a cycle):
   ``listings.stock`` (and, for a variant, ``listing_variants.stock``) only
   ``WHERE stock >= quantity``; a resident's item that reaches 0 becomes
   ``sold``. Any line that cannot be had refuses the whole checkout with one
   message per line (:class:`CheckoutRefused`), and nothing is written.
4. Orders get a readable random number (``MP-2611-7K3QXA``), the first
   :class:`OrderTransition`, the commission (:mod:`commission`, on the goods
   subtotal), the handover code's hash (:mod:`fulfilment`); escrow orders wait
   for payment (``pending_payment``, ``expires_at`` after
   ``UNPAID_EXPIRY_MINUTES``), cash orders are confirmed at once (``paid``:
   "confirmed, pay at handover"; ``paid_at`` stays empty until the seller takes
   the money).
5. The placed cart lines are deleted; the buyer gets a notice for the group,
   and for cash orders each seller gets one for their order (escrow orders are
   announced to sellers when they are paid).

The page calls :func:`place_checkout`, which runs :func:`place` in its own
write transaction (on SQLite, ``db.write_session`` queues concurrent buyers on
an in-process lock so they take the database's write lock in turn).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace_app.models import (
    Address,
    Cart,
    CartLine,
    Listing,
    ListingImage,
    ListingVariant,
    Order,
    OrderGroup,
    OrderLine,
    OrderTransition,
    Shop,
    User,
)
from marketplace_app.models.orders import PAYMENT_METHODS
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    commission,
    fulfilment,
    handover_window,
    inbox,
    offer_holds,
    offers,
    purchasable,
    sanctions,
)
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.settings import settings

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
NUMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
NUMBER_RANDOM_CHARS = 6
ADDRESS_TEXT_MAX = 400
FORM = "_form"
PAYMENT = "payment"

E_EMPTY = "error.checkout_empty"
E_CART_CHANGED = "error.checkout_cart_changed"
E_KEY = "error.checkout_key"
E_SOLD_OUT = "error.checkout_sold_out"
E_ONLY_LEFT = "error.checkout_only_left"
E_PRICE_CHANGED = "error.checkout_price_changed"
E_QUANTITY_CHANGED = "error.checkout_quantity_changed"
E_UNAVAILABLE = "error.checkout_unavailable"
E_OWN_ITEM = "error.checkout_own_item"
E_NO_METHOD = "error.checkout_no_common_method"
E_CHOOSE_DELIVERY = "error.checkout_choose_delivery"
E_CHOOSE_SLOT = "error.checkout_choose_slot"
E_SLOT_GONE = "error.checkout_slot_gone"
E_CHOOSE_ADDRESS = "error.checkout_choose_address"
E_CHOOSE_PAYMENT = "error.checkout_choose_payment"
E_NOTHING_TO_PAY = "error.checkout_nothing_to_pay"
E_BLOCKED = "error.checkout_blocked"
E_CHOOSE_VARIANT = "error.checkout_choose_variant"

# How checkout words each of purchasable's problems for a line.
_LINE_ERRORS = {
    purchasable.OWN: E_OWN_ITEM,
    purchasable.UNAVAILABLE: E_UNAVAILABLE,
    purchasable.SOLD: E_SOLD_OUT,
    purchasable.BLOCKED: E_BLOCKED,
    purchasable.CHOOSE_VARIANT: E_CHOOSE_VARIANT,
    purchasable.SOLD_OUT: E_SOLD_OUT,
    purchasable.RESERVED: offer_holds.E_RESERVED,
    purchasable.ABOVE_STOCK: E_ONLY_LEFT,
}


_LISTINGS, _VARIANTS = Listing.__table__, ListingVariant.__table__
_GROUPS, _ORDERS = OrderGroup.__table__, Order.__table__
_ORDER_LINES, _TRANSITIONS = OrderLine.__table__, OrderTransition.__table__
_CART_LINES = CartLine.__table__
# Built once: placing runs these statements for every line and order.
_TAKE_FROM_LISTING = (
    update(_LISTINGS)
    .where(
        _LISTINGS.c.id == bindparam("b_listing"),
        _LISTINGS.c.status == "active",
        _LISTINGS.c.stock >= bindparam("b_qty"),
    )
    .values(
        stock=_LISTINGS.c.stock - bindparam("b_qty"),
        status=case(
            (
                (_LISTINGS.c.kind == "secondhand") & (_LISTINGS.c.stock == bindparam("b_qty")),
                "sold",
            ),
            else_=_LISTINGS.c.status,
        ),
        updated_at=bindparam("b_now"),
    )
)
_TAKE_FROM_VARIANT = (
    update(_VARIANTS)
    .where(
        _VARIANTS.c.id == bindparam("b_variant"),
        _VARIANTS.c.listing_id == bindparam("b_listing"),
        _VARIANTS.c.stock >= bindparam("b_qty"),
    )
    .values(stock=_VARIANTS.c.stock - bindparam("b_qty"))
)
_GROUP_BY_KEY = select(_GROUPS.c.id).where(_GROUPS.c.idempotency_key == bindparam("key"))
_NUMBER_TAKEN = select(_ORDERS.c.id).where(_ORDERS.c.number == bindparam("number"))
_INSERT_GROUP = _GROUPS.insert().returning(_GROUPS.c.id)
_INSERT_ORDER = _ORDERS.insert().returning(_ORDERS.c.id)
_SET_CODE = (
    _ORDERS.update()
    .where(_ORDERS.c.id == bindparam("b_order"))
    .values(handover_code_hash=bindparam("b_code_hash"))
)
_INSERT_LINE = _ORDER_LINES.insert()
_INSERT_TRANSITION = _TRANSITIONS.insert()


# --- input and results -------------------------------------------------------------


@dataclass(frozen=True)
class SellerChoice:
    """How one seller's part reaches the buyer.

    Attributes:
        method: "pickup", "local" or "courier".
        slot: for pickup, the chosen slot's key (:func:`fulfilment.slot_key`).
        address_id: for local delivery and courier, one of the buyer's addresses.
    """

    method: str
    slot: str = ""
    address_id: int | None = None


@dataclass(frozen=True)
class Seen:
    """What the checkout page showed for a cart line (to refuse silent changes)."""

    unit_price_cents: int
    quantity: int


@dataclass(frozen=True)
class LineInfo:
    """A cart line as it would be ordered now.

    Attributes:
        problem: an i18n key when the line cannot be ordered as it is (sold
            out, only N left, no longer available, ...), else None.
        problem_params: values for the problem's message (``left``,
            ``price_cents``).
    """

    line_id: int
    listing_id: int
    variant_id: int | None
    title: str
    variant_label: str
    kind: str
    image_key: str | None
    quantity: int
    unit_price_cents: int
    was_price_cents: int | None
    line_total_cents: int
    stock: int
    problem: str | None = None
    problem_params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PartInfo:
    """One seller's part of the checkout (it becomes one order).

    Attributes:
        key: ``"shop-<id>"`` or ``"user-<id>"``.
        options: delivery method -> fee in cents, for the methods every line allows.
        pickup_place: the shop's pickup point or the resident's district.
        slots: pickup slots offered (empty when pickup is not offered).
    """

    key: str
    seller_id: int
    shop_id: int | None
    seller_name: str
    shop_slug: str
    lines: tuple[LineInfo, ...]
    subtotal_cents: int
    options: dict[str, int]
    pickup_place: str
    slots: tuple[fulfilment.Slot, ...]

    def fee(self, method: str) -> int | None:
        """The delivery fee for a method (None when the part does not offer it)."""
        return self.options.get(method)


@dataclass(frozen=True)
class CheckoutPreview:
    """The buyer's cart split per seller, priced now."""

    parts: tuple[PartInfo, ...]
    subtotal_cents: int

    def fees_cents(self, methods: Mapping[str, str]) -> int:
        """The delivery fees for the chosen methods (part key -> method; unknown ones cost 0)."""
        return sum(part.fee(methods.get(part.key, "")) or 0 for part in self.parts)


@dataclass(frozen=True)
class PlacedOrder:
    """One order a checkout created."""

    id: int
    number: str
    seller_id: int
    shop_id: int | None
    status: str
    delivery_method: str
    total_cents: int


@dataclass(frozen=True)
class PlacedGroup:
    """What :func:`place` created, or had created earlier for the same key.

    Attributes:
        created: False when the key had been used before and the existing
            group is returned.
    """

    id: int
    public_id: str
    payment_method: str
    total_cents: int
    orders: tuple[PlacedOrder, ...]
    created: bool


class CheckoutRefused(ValidationFailed):
    """Some lines or choices stop the checkout; nothing was placed.

    Attributes:
        fields: ``"line:<cart line id>"``, ``"<part key>:method"``,
            ``"<part key>:slot"``, ``"<part key>:address"``, ``"payment"`` or
            ``"_form"`` -> i18n key.
        details: field -> values for that message (``left``, ``price_cents``).
    """

    def __init__(self, fields: dict[str, str], details: dict[str, dict]) -> None:
        super().__init__(fields)
        self.details = details


# --- identifiers -------------------------------------------------------------------


def new_key() -> str:
    """A fresh idempotency key for one checkout attempt (URL-safe, unguessable)."""
    return secrets.token_urlsafe(24)


def new_public_id() -> str:
    """A fresh public id for an order group (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def new_order_number(now: datetime | None = None) -> str:
    """A readable, random order number: ``MP-`` + local YYMM + 6 base32 characters.

    Args:
        now: when the order is placed (for the YYMM part).

    Returns:
        E.g. ``"MP-2611-7K3QXA"`` (never sequential; uniqueness is checked on use).
    """
    local = (now or utcnow()).astimezone(ZoneInfo(settings.timezone))
    tail = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_RANDOM_CHARS))
    return f"MP-{local:%y%m}-{tail}"


def part_key(listing: Listing) -> str:
    """The key of the checkout part a listing belongs to."""
    return f"shop-{listing.shop_id}" if listing.shop_id else f"user-{listing.seller_id}"


def format_address(address: Address) -> str:
    """An address book entry as one line for an order (recipient and phone included)."""
    place = ", ".join(
        p for p in (address.line1, address.line2, address.district, address.city) if p
    )
    if address.postcode:
        place = f"{place} {address.postcode}"
    return f"{address.recipient} · {address.phone} · {place}"[:ADDRESS_TEXT_MAX]


# --- reading the cart --------------------------------------------------------------


@dataclass
class _Line:
    cart_line: CartLine
    listing: Listing
    variant: ListingVariant | None
    unit_price_cents: int
    was_price_cents: int | None
    stock: int
    problem: str | None = None
    params: dict = field(default_factory=dict)
    offer_id: int | None = None  # the accepted offer that prices this line

    @property
    def total(self) -> int:
        return self.unit_price_cents * self.cart_line.quantity


@dataclass
class _Part:
    key: str
    seller_id: int
    shop: Shop | None
    lines: list[_Line]
    options: dict[str, int] = field(default_factory=dict)
    slots: list[fulfilment.Slot] = field(default_factory=list)

    @property
    def subtotal(self) -> int:
        return sum(line.total for line in self.lines)


def _rows(session: Session, buyer_id: int) -> list[tuple[CartLine, Listing]]:
    return list(
        session.exec(
            select(CartLine, Listing)
            .join(Cart, col(Cart.id) == CartLine.cart_id)
            .join(Listing, col(Listing.id) == CartLine.listing_id)
            .where(Cart.user_id == buyer_id)
            .order_by(col(CartLine.added_at), col(CartLine.id))
        ).all()
    )


def _line_error(quote: purchasable.Quote) -> tuple[str, dict] | None:
    if quote.problem is None:
        return None
    return _LINE_ERRORS[quote.problem], dict(quote.params)


def _parts(
    session: Session,
    buyer_id: int,
    now: datetime,
    seen: Mapping[int, Seen] | None,
) -> tuple[list[_Part], set[int]]:
    """The buyer's cart lines priced now and split per seller.

    Returns:
        The parts, and the ids of ``seen`` lines no longer in the cart.
    """
    rows = _rows(session, buyer_id)
    if seen is not None:
        rows = [r for r in rows if r[0].id in seen]
    missing = set(seen or ()) - {r[0].id for r in rows}
    listings = [lst for _, lst in rows]
    facts = purchasable.load(session, [lst.id for lst in listings], buyer_id, now, loaded=listings)
    by_key: dict[str, _Part] = {}
    for cart_line, listing in rows:
        want = purchasable.Want(listing.id, cart_line.variant_id, cart_line.quantity)
        quote = purchasable.judge_loaded(facts, want, buyer_id, now)
        line = _Line(
            cart_line,
            listing,
            facts.variant(listing.id, quote.variant_id),
            quote.price_cents,
            quote.was_price_cents,
            quote.stock,
            offer_id=quote.offer_id,
        )
        found = _line_error(quote)
        if found:
            line.problem, line.params = found
        if line.problem is None and seen is not None:
            shown = seen[cart_line.id]
            if shown.unit_price_cents != line.unit_price_cents:
                line.problem, line.params = E_PRICE_CHANGED, {"price_cents": line.unit_price_cents}
            elif shown.quantity != cart_line.quantity:
                line.problem = E_QUANTITY_CHANGED
        key = part_key(listing)
        part = by_key.get(key)
        if part is None:
            shop = facts.shops.get(listing.shop_id) if listing.shop_id else None
            part = by_key[key] = _Part(key, listing.seller_id, shop, [])
        part.lines.append(line)
    for part in by_key.values():
        part.options = fulfilment.delivery_options([line.listing for line in part.lines])
    return list(by_key.values()), missing


def _covers(session: Session, listing_ids: list[int]) -> dict[int, str]:
    covers: dict[int, str] = {}
    if listing_ids:
        for listing_id, key in session.exec(
            select(ListingImage.listing_id, ListingImage.storage_key)
            .where(col(ListingImage.listing_id).in_(listing_ids))
            .order_by(col(ListingImage.listing_id), col(ListingImage.position))
        ).all():
            covers.setdefault(listing_id, key)
    return covers


def _seller_names(session: Session, parts: list[_Part]) -> dict[int, str]:
    ids = [p.seller_id for p in parts if p.shop is None]
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all())


def preview(session: Session, buyer_id: int, now: datetime | None = None) -> CheckoutPreview:
    """The buyer's cart as the checkout page shows it: per seller, priced now.

    Args:
        session: any session.
        buyer_id: the logged-in buyer.
        now: the moment to price at and offer slots from (defaults to now).

    Returns:
        The parts in cart order (empty when the cart is).
    """
    now = now or utcnow()
    parts, _ = _parts(session, buyer_id, now, None)
    for part in parts:
        if "pickup" in part.options:
            part.slots = fulfilment.pickup_slots(part.shop, now)
    covers = _covers(session, [line.listing.id for p in parts for line in p.lines])
    names = _seller_names(session, parts)
    infos = []
    for part in parts:
        lines = tuple(
            LineInfo(
                line_id=line.cart_line.id,
                listing_id=line.listing.id,
                variant_id=line.variant.id if line.variant else None,
                title=line.listing.title,
                variant_label=line.variant.label if line.variant else "",
                kind=line.listing.kind,
                image_key=covers.get(line.listing.id),
                quantity=line.cart_line.quantity,
                unit_price_cents=line.unit_price_cents,
                was_price_cents=line.was_price_cents,
                line_total_cents=line.total,
                stock=line.stock,
                problem=line.problem,
                problem_params=dict(line.params),
            )
            for line in part.lines
        )
        infos.append(
            PartInfo(
                key=part.key,
                seller_id=part.seller_id,
                shop_id=part.shop.id if part.shop else None,
                seller_name=part.shop.name if part.shop else names.get(part.seller_id, ""),
                shop_slug=part.shop.slug if part.shop else "",
                lines=lines,
                subtotal_cents=part.subtotal,
                options=dict(part.options),
                pickup_place=fulfilment.pickup_place(part.shop, [x.listing for x in part.lines]),
                slots=tuple(part.slots),
            )
        )
    return CheckoutPreview(tuple(infos), sum(p.subtotal_cents for p in infos))


# --- placing -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Delivery:
    method: str
    fee: int
    slot: fulfilment.Slot | None
    address_text: str


def _placed(session: Session, group: OrderGroup, *, created: bool) -> PlacedGroup:
    orders = session.exec(
        select(Order).where(Order.group_id == group.id).order_by(col(Order.id))
    ).all()
    return PlacedGroup(
        id=group.id,
        public_id=group.public_id,
        payment_method=orders[0].payment_method if orders else "",
        total_cents=group.total_cents,
        orders=tuple(
            PlacedOrder(
                o.id, o.number, o.seller_id, o.shop_id, o.status, o.delivery_method, o.total_cents
            )
            for o in orders
        ),
        created=created,
    )


def _checked(
    session: Session,
    buyer_id: int,
    choices: Mapping[str, SellerChoice],
    payment_method: str,
    seen: Mapping[int, Seen] | None,
    now: datetime,
) -> tuple[list, dict, int]:
    """The cart's parts, their delivery choices and the total, or the reasons they fail."""
    parts, missing = _parts(session, buyer_id, now, seen)
    if missing:
        raise ValidationFailed({FORM: E_CART_CHANGED})
    if not parts:
        raise ValidationFailed({FORM: E_EMPTY})
    errors: dict[str, str] = {}
    details: dict[str, dict] = {}
    _refuse_lines(parts, errors, details)
    deliveries = _deliveries(session, buyer_id, parts, choices, errors, now)
    if payment_method not in PAYMENT_METHODS:
        errors[PAYMENT] = E_CHOOSE_PAYMENT
    if errors:
        raise CheckoutRefused(errors, details)
    total = sum(part.subtotal + deliveries[part.key].fee for part in parts)
    if payment_method == "escrow" and total <= 0:
        raise ValidationFailed({PAYMENT: E_NOTHING_TO_PAY})
    return parts, deliveries, total


def _earlier(session: Session, key: str, buyer_id: int) -> PlacedGroup | None:
    group_id = session.connection().execute(_GROUP_BY_KEY, {"key": key}).scalar()
    if group_id is None:
        return None
    group = session.get(OrderGroup, group_id)
    if group.buyer_id != buyer_id:
        raise NotFound()
    return _placed(session, group, created=False)


def _addresses(session: Session, buyer_id: int, choices: Mapping[str, SellerChoice]) -> dict:
    wanted = {
        c.address_id
        for c in choices.values()
        if isinstance(c, SellerChoice) and isinstance(c.address_id, int)
    }
    if not wanted:
        return {}
    rows = session.exec(
        select(Address).where(
            Address.user_id == buyer_id,
            col(Address.id).in_(wanted),
            col(Address.deleted_at).is_(None),
        )
    ).all()
    return {a.id: a for a in rows}


def _deliveries(
    session: Session,
    buyer_id: int,
    parts: list[_Part],
    choices: Mapping[str, SellerChoice],
    errors: dict[str, str],
    now: datetime,
) -> dict[str, _Delivery]:
    """Check each part's delivery choice; fill ``errors`` for the wrong ones."""
    book = _addresses(session, buyer_id, choices)
    found: dict[str, _Delivery] = {}
    for part in parts:
        choice = choices.get(part.key)
        if not part.options:
            errors[f"{part.key}:method"] = E_NO_METHOD
            continue
        if not isinstance(choice, SellerChoice) or choice.method not in part.options:
            errors[f"{part.key}:method"] = E_CHOOSE_DELIVERY
            continue
        fee = part.options[choice.method]
        if choice.method == "pickup":
            slot = fulfilment.find_slot(part.shop, choice.slot, now)
            if slot is None:
                errors[f"{part.key}:slot"] = E_SLOT_GONE if choice.slot else E_CHOOSE_SLOT
                continue
            place = fulfilment.pickup_place(part.shop, [x.listing for x in part.lines])
            found[part.key] = _Delivery("pickup", fee, slot, place)
        else:
            address = book.get(choice.address_id) if isinstance(choice.address_id, int) else None
            if address is None:
                errors[f"{part.key}:address"] = E_CHOOSE_ADDRESS
                continue
            found[part.key] = _Delivery(choice.method, fee, None, format_address(address))
    return found


def _refuse_lines(parts: list[_Part], errors: dict[str, str], details: dict[str, dict]) -> None:
    for part in parts:
        for line in part.lines:
            if line.problem:
                errors[f"line:{line.cart_line.id}"] = line.problem
                if line.params:
                    details[f"line:{line.cart_line.id}"] = dict(line.params)


def _take_stock(
    session: Session, parts: list[_Part], buyer_id: int, now: datetime
) -> dict[str, tuple]:
    """Take every line's units with conditional UPDATEs; problems per line field.

    Holds are read again once the UPDATEs hold the listings' row locks: an
    offer accepted for someone else after the lines were priced (accepting
    locks the listing row first) refuses the line here instead of being
    overtaken.
    """
    conn = session.connection()
    problems: dict[str, tuple] = {}
    lines = sorted(
        (line for part in parts for line in part.lines),
        key=lambda x: (x.listing.id, x.variant.id if x.variant else 0),
    )
    shops = {line.listing.id: part.shop for part in parts for line in part.lines}
    for line in lines:
        params = {"b_listing": line.listing.id, "b_qty": line.cart_line.quantity, "b_now": now}
        taken = conn.execute(_TAKE_FROM_LISTING, params).rowcount
        if taken == 1 and line.variant is not None:
            taken = conn.execute(
                _TAKE_FROM_VARIANT, {**params, "b_variant": line.variant.id}
            ).rowcount
        if taken != 1:
            problems[f"line:{line.cart_line.id}"] = _why_not(
                session, line, shops[line.listing.id], buyer_id, now
            )
    held = offer_holds.holds(
        session, [line.listing.id for line in lines if line.listing.kind == "secondhand"], now
    )
    for line in lines:
        field_name = f"line:{line.cart_line.id}"
        reserved = purchasable.held_for_another(
            line.listing, held.get(line.listing.id), buyer_id, now
        )
        if reserved is not None and field_name not in problems:
            problems[field_name] = (_LINE_ERRORS[reserved[0]], reserved[1])
    return problems


def _why_not(session: Session, line: _Line, shop: Shop | None, buyer_id: int, now) -> tuple:
    """Why a conditional UPDATE took nothing: judge the rows as they are now.

    A variant's own stock is the one that binds (this transaction may already
    have taken from its listing's summed stock for this or another line).
    """
    session.refresh(line.listing)
    variants = []
    if line.variant is not None:
        session.refresh(line.variant)
        variants = [line.variant]
    quote = purchasable.judge(
        line.listing,
        line.variant.id if line.variant is not None else None,
        variants=variants,
        shop=shop,
        buyer_id=buyer_id,
        quantity=line.cart_line.quantity,
        now=now,
    )
    return _line_error(quote) or (E_SOLD_OUT, {})


def _number(conn, now: datetime) -> str:
    while True:
        number = new_order_number(now)
        if conn.execute(_NUMBER_TAKEN, {"number": number}).first() is None:
            return number


def _insert_group(session: Session, buyer_id: int, key: str, total: int, now: datetime):
    public_id = new_public_id()
    group_id = (
        session.connection()
        .execute(
            _INSERT_GROUP,
            {
                "public_id": public_id,
                "buyer_id": buyer_id,
                "idempotency_key": key,
                "total_cents": total,
                "created_at": now,
            },
        )
        .scalar_one()
    )
    return group_id, public_id


def _insert_order(
    session: Session,
    group_id: int,
    buyer_id: int,
    part: _Part,
    delivery: _Delivery,
    payment_method: str,
    rates: dict[str, int],
    now: datetime,
) -> PlacedOrder:
    """Write one seller's order, its lines and its first transition (Core inserts)."""
    conn = session.connection()
    subtotal = part.subtotal
    escrow = payment_method == "escrow"
    status = "pending_payment" if escrow else "paid"
    seller_kind = "shop" if part.shop else "resident"
    if seller_kind not in rates:
        rates[seller_kind] = commission.rate_bp(session, seller_kind)
    number = _number(conn, now)
    total = subtotal + delivery.fee
    shop_id = part.shop.id if part.shop else None
    order_id = conn.execute(
        _INSERT_ORDER,
        {
            "number": number,
            "group_id": group_id,
            "buyer_id": buyer_id,
            "seller_id": part.seller_id,
            "shop_id": shop_id,
            "status": status,
            "delivery_method": delivery.method,
            "payment_method": payment_method,
            "subtotal_cents": subtotal,
            "delivery_fee_cents": delivery.fee,
            "discount_cents": 0,
            "total_cents": total,
            "address_text": delivery.address_text[:ADDRESS_TEXT_MAX],
            "tracking_number": "",
            "handover_code_hash": "",
            "handover_failures": 0,
            "commission_cents": commission.apply_rate(rates[seller_kind], subtotal),
            "slot_starts_at": delivery.slot.starts_at if delivery.slot else None,
            "slot_ends_at": delivery.slot.ends_at if delivery.slot else None,
            "expires_at": now + timedelta(minutes=settings.unpaid_expiry_minutes)
            if escrow
            else None,
            "paid_at": None,
            "handed_over_at": None,
            "release_due_at": None,
            "handover_due_at": None
            if escrow
            else handover_window.due_at(
                session, part.seller_id, shop_id, now, delivery.slot and delivery.slot.ends_at
            ),
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    code = fulfilment.handover_code(order_id, number)
    conn.execute(_SET_CODE, {"b_order": order_id, "b_code_hash": fulfilment.code_hash(code)})
    conn.execute(
        _INSERT_LINE,
        [
            {
                "order_id": order_id,
                "listing_id": line.listing.id,
                "variant_id": line.variant.id if line.variant else None,
                "title": line.listing.title[:80],
                "variant_label": line.variant.label if line.variant else "",
                "unit_price_cents": line.unit_price_cents,
                "quantity": line.cart_line.quantity,
                "line_total_cents": line.total,
            }
            for line in part.lines
        ],
    )
    conn.execute(
        _INSERT_TRANSITION,
        {
            "order_id": order_id,
            "from_status": None,
            "to_status": status,
            "actor_id": buyer_id,
            "reason": "",
            "at": now,
        },
    )
    return PlacedOrder(order_id, number, part.seller_id, shop_id, status, delivery.method, total)


def _notify(
    session: Session,
    buyer_id: int,
    public_id: str,
    orders: list[PlacedOrder],
    payment_method: str,
) -> None:
    numbers = ", ".join(o.number for o in orders)
    link = f"/orders/group/{public_id}"
    escrow = payment_method == "escrow"
    recipients = {buyer_id} if escrow else {buyer_id, *(o.seller_id for o in orders)}
    # One query for every recipient: inbox.notify then finds them in the session.
    people = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(recipients))).all()}
    if escrow:
        minutes = settings.unpaid_expiry_minutes
        params = {"numbers": numbers, "minutes": minutes}
        inbox.notify(session, buyer_id, "checkout.notice.placed_escrow", params, link)
        return
    inbox.notify(session, buyer_id, "checkout.notice.placed_cash", {"numbers": numbers}, link)
    buyer = people.get(buyer_id)
    for order in orders:
        inbox.notify(
            session,
            order.seller_id,
            "checkout.notice.new_order",
            {"number": order.number, "buyer": buyer.name if buyer else ""},
            f"/orders/{order.number}",
        )


def _settle_offers(
    session: Session, parts: list[_Part], orders: list[PlacedOrder], now: datetime
) -> None:
    """Offers that priced lines become ``ordered``; other offers on sold items are declined."""
    for part, order in zip(parts, orders, strict=True):
        for line in part.lines:
            if line.offer_id is not None:
                offers.mark_ordered(session, line.offer_id, order.id, now=now)
    sold = [
        line.listing.id
        for part in parts
        for line in part.lines
        if line.listing.kind == "secondhand"
    ]
    offers.close_for_sold(session, sold, now=now)


def place(
    session: Session,
    buyer_id: int,
    *,
    key: str,
    choices: Mapping[str, SellerChoice],
    payment_method: str,
    seen: Mapping[int, Seen] | None = None,
    now: datetime | None = None,
) -> PlacedGroup:
    """Place the buyer's cart: one order group, one order per seller part.

    Repeat-safe: the same ``key`` always gives the same group, however often
    and however concurrently it is sent.

    Args:
        session: a write session (``db.write_session``); the caller commits.
        buyer_id: the logged-in buyer.
        key: the checkout's idempotency key (:func:`new_key`, made when the
            checkout page loaded; 16-64 URL-safe characters).
        choices: part key -> delivery choice, for every part.
        payment_method: "cash" (pay at the handover) or "escrow" (pay online now).
        seen: cart line id -> what the page showed. When given, only these
            lines are placed, and a line whose price or quantity changed since
            is refused. None places the whole cart as it is now.
        now: the moment of placing (defaults to now).

    Returns:
        The group and its orders (``created`` is False for a repeated key).

    Raises:
        ValidationFailed: a malformed key, an empty cart (``_form``), or an
            escrow checkout with nothing to pay (``payment``).
        CheckoutRefused: lines that cannot be had (``line:<id>``: sold out,
            only N left, price changed, ...), missing or wrong delivery choices
            or payment method; nothing was written.
        NotFound: the key belongs to another buyer's group.
        Restricted: the buyer is suspended or banned (a repeated key still answers).
    """
    now = now or utcnow()
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise ValidationFailed({FORM: E_KEY})
    earlier = _earlier(session, key, buyer_id)
    if earlier is not None:
        return earlier
    sanctions.require_good_standing(session, buyer_id)
    try:
        parts, deliveries, total = _checked(session, buyer_id, choices, payment_method, seen, now)
    except ValidationFailed:
        # On PostgreSQL a concurrent submit of this very key may have committed
        # meanwhile (emptying the cart it placed): answer with its group.
        earlier = _earlier(session, key, buyer_id)
        if earlier is not None:
            return earlier
        raise

    savepoint = session.begin_nested()
    try:
        group_id, public_id = _insert_group(session, buyer_id, key, total, now)
    except IntegrityError:
        # Another transaction placed this key first (PostgreSQL waits on the
        # unique index for it to commit): answer with its group.
        savepoint.rollback()
        earlier = _earlier(session, key, buyer_id)
        if earlier is None:
            raise
        return earlier
    problems = _take_stock(session, parts, buyer_id, now)
    if problems:
        savepoint.rollback()
        raise CheckoutRefused(
            {f: p[0] for f, p in problems.items()},
            {f: p[1] for f, p in problems.items() if p[1]},
        )
    rates: dict[str, int] = {}
    orders = [
        _insert_order(
            session, group_id, buyer_id, part, deliveries[part.key], payment_method, rates, now
        )
        for part in parts
    ]
    _settle_offers(session, parts, orders, now)
    placed_ids = [line.cart_line.id for part in parts for line in part.lines]
    session.connection().execute(delete(_CART_LINES).where(_CART_LINES.c.id.in_(placed_ids)))
    for part in parts:
        for line in part.lines:
            session.expunge(line.cart_line)
    _notify(session, buyer_id, public_id, orders, payment_method)
    savepoint.commit()
    return PlacedGroup(group_id, public_id, payment_method, total, tuple(orders), created=True)


def place_checkout(
    write: Callable[[], AbstractContextManager[Session]], buyer_id: int, **kw
) -> PlacedGroup:
    """:func:`place` in its own write transaction, committed before returning.

    This is how the checkout page places an order.

    Args:
        write: a write-transaction factory, e.g. ``db.write_session``.
        buyer_id: the logged-in buyer.
        **kw: the keyword arguments of :func:`place`.

    Returns:
        The :class:`PlacedGroup`.
    """
    with write() as session:
        return place(session, buyer_id, **kw)
