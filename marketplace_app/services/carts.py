"""Carts stored in the database: a user's cart, or a guest's under a cookie token.

A cart belongs to a :class:`CartOwner`: a logged-in user, or a guest known by
the random token of the ``mp_cart`` cookie (only its sha256 is stored, in
``Cart.guest_token_hash``). At login the guest cart is merged into the user's
(:func:`merge_guest_cart`).

A line is a listing, or one variant of a shop product, with a quantity and
the unit price the buyer saw when adding it (``seen_price_cents``). Resident
(second-hand) items are one-offs: their quantity is always exactly 1. Shop
quantities stay within stock when added or changed; stock can still drop
later, so :func:`view` re-checks every line against the listing as it is now
and flags what changed instead of dropping it. Whether a line can be bought,
and at what price, is :mod:`purchasable`'s verdict (the same one checkout
applies); the cart adds only its own "the price went up since you added it".
Only lines without a problem count towards totals.

Every function finds lines through the owner's cart, so an id of another
cart's line is answered with :class:`NotFound`, as an absent one is.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace_app.models import (
    Cart,
    CartLine,
    Listing,
    ListingImage,
    Shop,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import fulfilment, offer_holds, purchasable, sanctions
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.security import new_token

MAX_QUANTITY = purchasable.MAX_QUANTITY  # per line, whatever the stock
MAX_LINES = 50  # per cart

# A line's problem is purchasable's (own, unavailable, sold, blocked,
# choose_variant, sold_out, reserved, above_stock), or this one of the cart's:
PROBLEM_PRICE_UP = "price_up"  # costs more now than when it was added

# What adding says for each of purchasable's problems.
_ADD_ERRORS = {
    purchasable.OWN: "error.cart_own_listing",
    purchasable.UNAVAILABLE: "error.cart_unavailable",
    purchasable.SOLD: "error.cart_sold_out",
    purchasable.BLOCKED: "error.cart_blocked",
    purchasable.CHOOSE_VARIANT: "error.cart_choose_variant",
    purchasable.SOLD_OUT: "error.cart_sold_out",
    purchasable.RESERVED: offer_holds.E_RESERVED,
}

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


# --- owners --------------------------------------------------------------------------


@dataclass(frozen=True)
class CartOwner:
    """Whose cart: a user (``user_id``) or a guest (``guest_token`` from the cookie).

    Build one with :meth:`user` or :meth:`guest`; exactly one field is set.
    """

    user_id: int | None = None
    guest_token: str | None = None

    @classmethod
    def user(cls, user_id: int) -> CartOwner:
        """The cart of a logged-in user."""
        return cls(user_id=int(user_id))

    @classmethod
    def guest(cls, token: str) -> CartOwner:
        """The cart of a guest, from the plaintext cookie token.

        Raises:
            ValueError: the token is not one :func:`new_guest_token` could make.
        """
        if not valid_guest_token(token):
            raise ValueError("malformed guest cart token")
        return cls(guest_token=token)

    def _where(self):
        if self.user_id is not None:
            return Cart.user_id == self.user_id
        return Cart.guest_token_hash == guest_token_hash(self.guest_token or "")


# A guest cart's cookie lasts this long; the cart is pruned after as long untouched.
GUEST_CART_DAYS = 30


def new_guest_token() -> str:
    """A fresh random token for a guest's cart cookie."""
    return new_token(24)


def valid_guest_token(token: object) -> bool:
    """Whether ``token`` looks like a guest cart token (type, length, alphabet)."""
    return isinstance(token, str) and bool(_TOKEN.match(token))


def guest_token_hash(token: str) -> str:
    """The sha256 hex of a guest cart token: the only form stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def prune_guest_carts(session: Session, older_than: datetime) -> int:
    """Delete guest carts untouched since ``older_than`` (their cookie has expired).

    Args:
        session: a write session; the caller commits.
        older_than: carts last changed before this moment go.

    Returns:
        How many carts were deleted.
    """
    stale = select(Cart.id).where(col(Cart.user_id).is_(None), col(Cart.updated_at) < older_than)
    session.exec(delete(CartLine).where(col(CartLine.cart_id).in_(stale)))
    result = session.exec(delete(Cart).where(col(Cart.id).in_(stale)))
    return result.rowcount


def _as_owner(owner: CartOwner | int) -> CartOwner:
    return owner if isinstance(owner, CartOwner) else CartOwner.user(owner)


def _find_cart(session: Session, owner: CartOwner, *, lock: bool = False) -> Cart | None:
    stmt = select(Cart).where(owner._where())
    if lock:
        stmt = stmt.with_for_update()  # PostgreSQL; SQLite holds the write lock already
    return session.exec(stmt).first()


def _cart_for_write(session: Session, owner: CartOwner, now: datetime) -> Cart:
    cart = _find_cart(session, owner, lock=True)
    if cart is not None:
        cart.updated_at = now
        return cart
    cart = Cart(
        user_id=owner.user_id,
        guest_token_hash=guest_token_hash(owner.guest_token) if owner.guest_token else None,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(cart)
    except IntegrityError:  # another request made it a moment ago
        cart = _find_cart(session, owner, lock=True)
        if cart is None:
            raise
    return cart


# --- judging ---------------------------------------------------------------------------


def _judge(
    session: Session,
    owner: CartOwner,
    listing_id: int,
    variant_id: int | None,
    quantity: int,
    now: datetime,
) -> tuple[purchasable.Facts, purchasable.Quote | None]:
    facts = purchasable.load(session, [listing_id], owner.user_id, now)
    want = purchasable.Want(listing_id, variant_id, quantity)
    return facts, purchasable.judge_loaded(facts, want, owner.user_id, now)


# --- counting --------------------------------------------------------------------------


def units(session: Session, owner: CartOwner | int) -> int:
    """Units in a cart (the sum of its quantities): the number the navigation shows.

    Args:
        session: any session.
        owner: a :class:`CartOwner`, or a user id.

    Returns:
        0 when the owner has no cart.
    """
    owner = _as_owner(owner)
    total = session.exec(
        select(func.coalesce(func.sum(CartLine.quantity), 0))
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(owner._where())
    ).one()
    return int(total)


def _cart_units(session: Session, cart_id: int) -> int:
    total = session.exec(
        select(func.coalesce(func.sum(CartLine.quantity), 0)).where(CartLine.cart_id == cart_id)
    ).one()
    return int(total)


# --- changing a cart -------------------------------------------------------------------


def _quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise ValidationFailed({"quantity": "error.cart_quantity"}, max=MAX_QUANTITY)
    return value


@dataclass(frozen=True)
class AddResult:
    """What :func:`add` did.

    Attributes:
        line_id: the cart line holding the listing.
        quantity: the line's quantity now.
        units: units in the whole cart now (for the navigation count).
        capped: fewer were added than asked, because of stock (or, for a
            one-off, because it was already in the cart).
        available: how many can be bought at most (stock, capped).
    """

    line_id: int
    quantity: int
    units: int
    capped: bool
    available: int


def add(
    session: Session,
    owner: CartOwner | int,
    listing_id: int,
    variant_id: int | None = None,
    quantity: int = 1,
    *,
    now: datetime | None = None,
) -> AddResult:
    """Put a listing (one variant of it, for a product with variants) into a cart.

    Adding what is already there raises the line's quantity, up to the stock;
    a one-off resident item stays at 1. The line remembers the price seen now.

    Args:
        session: a write session (one transaction).
        owner: whose cart; it is created on the first add.
        listing_id: an active listing.
        variant_id: the chosen variant of a product with several; None for a
            resident's item or a product with one (that one is taken).
        quantity: 1..MAX_QUANTITY (resident items: counted as 1).
        now: the moment to price at (default: now).

    Returns:
        The line, its quantity and the cart's units.

    Raises:
        NotFound: no such listing (or one waiting for review), or the variant is not one of it.
        Restricted: the logged-in owner is suspended or banned.
        ValidationFailed: ``quantity`` out of range; ``_form``: the caller's own
            listing, not on sale, sold out, a variant must be chosen, or the
            cart is full.
    """
    owner = _as_owner(owner)
    now = now or utcnow()
    quantity = _quantity(quantity)
    if owner.user_id is not None:
        sanctions.require_good_standing(session, owner.user_id)
    if isinstance(listing_id, bool) or not isinstance(listing_id, int):
        raise NotFound()
    if variant_id is not None and (isinstance(variant_id, bool) or not isinstance(variant_id, int)):
        raise NotFound()
    facts, quote = _judge(session, owner, listing_id, variant_id, 1, now)
    listing = facts.listings.get(listing_id)
    if listing is None or listing.status in ("removed", "draft", "pending"):
        raise NotFound()
    if variant_id is not None and facts.variant(listing_id, variant_id) is None:
        raise NotFound()
    if quote.problem is not None:
        raise ValidationFailed({"_form": _ADD_ERRORS[quote.problem]}, **quote.params)
    available = quote.max_quantity

    cart = _cart_for_write(session, owner, now)
    session.flush()
    line = session.exec(
        select(CartLine).where(
            CartLine.cart_id == cart.id,
            CartLine.listing_id == listing.id,
            CartLine.variant_id == quote.variant_id
            if quote.variant_id is not None
            else col(CartLine.variant_id).is_(None),
        )
    ).first()
    wanted = (line.quantity if line else 0) + (quantity if listing.kind == "shop" else 1)
    new_quantity = min(wanted, available)
    if line is None:
        lines = session.exec(select(func.count(CartLine.id)).where(CartLine.cart_id == cart.id))
        if lines.one() >= MAX_LINES:
            raise ValidationFailed({"_form": "error.cart_full"}, max=MAX_LINES)
        line = CartLine(
            cart_id=cart.id,
            listing_id=listing.id,
            variant_id=quote.variant_id,
            quantity=new_quantity,
            seen_price_cents=quote.price_cents,
            added_at=now,
        )
    else:
        line.quantity = new_quantity
        line.seen_price_cents = quote.price_cents  # the buyer is looking at this price now
    session.add(line)
    session.flush()
    return AddResult(
        line_id=line.id,
        quantity=line.quantity,
        units=_cart_units(session, cart.id),
        capped=new_quantity < wanted,
        available=available,
    )


def _own_line(session: Session, owner: CartOwner, line_id: object) -> tuple[Cart, CartLine]:
    if isinstance(line_id, bool) or not isinstance(line_id, int):
        raise NotFound()
    cart = _find_cart(session, owner, lock=True)
    line = session.get(CartLine, line_id) if cart is not None else None
    if line is None or line.cart_id != cart.id:
        raise NotFound()
    return cart, line


def set_quantity(
    session: Session,
    owner: CartOwner | int,
    line_id: int,
    quantity: int,
    *,
    now: datetime | None = None,
) -> int:
    """Change a line's quantity, within the stock left now.

    Args:
        session: a write session.
        owner: whose cart.
        line_id: a line of that cart.
        quantity: 1..MAX_QUANTITY; at most the stock; exactly 1 for a one-off.
        now: the moment to price at (default: now).

    Returns:
        Units in the cart now.

    Raises:
        NotFound: no such line in this owner's cart.
        ValidationFailed: ``quantity``: out of range, above the stock
            (``error.cart_only_left`` with ``count``), or more than one of a
            one-off (``error.cart_one_off``).
    """
    owner = _as_owner(owner)
    now = now or utcnow()
    quantity = _quantity(quantity)
    cart, line = _own_line(session, owner, line_id)
    _, quote = _judge(session, owner, line.listing_id, line.variant_id, quantity, now)
    if quote.one_off and quantity != 1:
        raise ValidationFailed({"quantity": "error.cart_one_off"})
    if not quote.one_off and quantity > line.quantity and quantity > quote.max_quantity:
        raise ValidationFailed({"quantity": "error.cart_only_left"}, count=quote.max_quantity)
    line.quantity = quantity
    cart.updated_at = now
    session.add_all([line, cart])
    session.flush()
    return _cart_units(session, cart.id)


def remove(session: Session, owner: CartOwner | int, line_id: int) -> int:
    """Take a line out of a cart.

    Args:
        session: a write session.
        owner: whose cart.
        line_id: a line of that cart.

    Returns:
        Units in the cart now.

    Raises:
        NotFound: no such line in this owner's cart.
    """
    owner = _as_owner(owner)
    cart, line = _own_line(session, owner, line_id)
    session.delete(line)
    cart.updated_at = utcnow()
    session.add(cart)
    session.flush()
    return _cart_units(session, cart.id)


def accept_price(
    session: Session, owner: CartOwner | int, line_id: int, *, now: datetime | None = None
) -> None:
    """Accept a line's current price (it went up since the line was added).

    Args:
        session: a write session.
        owner: whose cart.
        line_id: a line of that cart.
        now: the moment to price at (default: now).

    Raises:
        NotFound: no such line in this owner's cart.
    """
    owner = _as_owner(owner)
    now = now or utcnow()
    cart, line = _own_line(session, owner, line_id)
    _, quote = _judge(session, owner, line.listing_id, line.variant_id, 1, now)
    line.seen_price_cents = quote.price_cents
    cart.updated_at = now
    session.add_all([line, cart])
    session.flush()


def merge_guest_cart(
    session: Session, guest_token: str | None, user_id: int, *, now: datetime | None = None
) -> int:
    """Move a guest's cart into a user's cart at login; the guest cart is gone after.

    When the user has no cart, the guest cart simply becomes theirs. Otherwise
    each guest line joins the user's: quantities of the same listing/variant
    are added, capped at the stock left (never below what the user already
    had); one-off resident items stay at 1. The lower of the two seen prices
    is kept, so a price rise since either was added is still flagged. Lines
    for the user's own listings are kept and flagged by :func:`view`.

    Args:
        session: a write session (the login's transaction).
        guest_token: the plaintext cookie token (None or malformed: nothing happens).
        user_id: the user who just logged in.
        now: the moment to price at (default: now).

    Returns:
        How many units came from the guest cart.
    """
    if not valid_guest_token(guest_token):
        return 0
    now = now or utcnow()
    guest = _find_cart(session, CartOwner.guest(guest_token), lock=True)
    if guest is None:
        return 0
    moved = _cart_units(session, guest.id)
    mine = _find_cart(session, CartOwner.user(user_id), lock=True)
    if mine is None:
        guest.user_id = user_id
        guest.guest_token_hash = None
        guest.updated_at = now
        session.add(guest)
        session.flush()
        return moved
    existing = {
        (line.listing_id, line.variant_id): line
        for line in session.exec(select(CartLine).where(CartLine.cart_id == mine.id)).all()
    }
    incoming = session.exec(select(CartLine).where(CartLine.cart_id == guest.id)).all()
    facts = purchasable.load(session, [line.listing_id for line in incoming], user_id, now)
    for line in incoming:
        target = existing.get((line.listing_id, line.variant_id))
        if target is None:
            if len(existing) >= MAX_LINES:
                continue  # the user's cart is full; the guest cart goes with the rest
            line.cart_id = mine.id
            session.add(line)
            existing[(line.listing_id, line.variant_id)] = line
            continue
        quote = purchasable.judge_loaded(
            facts, purchasable.Want(line.listing_id, line.variant_id), user_id, now
        )
        if not quote.one_off:
            stock = quote.stock
            total = min(target.quantity + line.quantity, MAX_QUANTITY)
            target.quantity = max(target.quantity, min(total, stock))
        target.seen_price_cents = min(target.seen_price_cents, line.seen_price_cents)
        session.add(target)
        session.delete(line)
    session.flush()
    session.exec(delete(CartLine).where(CartLine.cart_id == guest.id))
    session.exec(delete(Cart).where(Cart.id == guest.id))
    session.exec(update(Cart).where(Cart.id == mine.id).values(updated_at=now))
    return moved


# --- reading a cart --------------------------------------------------------------------


@dataclass(frozen=True)
class LineView:
    """One cart line, priced now (money in minor units).

    Attributes:
        unit_price_cents: what one costs now (the sale price during a sale).
        was_price_cents: the regular price during a sale, else None.
        seen_price_cents: the unit price when the buyer added it (or accepted).
        max_quantity: the most this line may hold now (stock, capped; 1 for
            a one-off; 0 when none can be bought).
        problem: None when the line can be bought as it is, else one of
            :mod:`purchasable`'s problems or :data:`PROBLEM_PRICE_UP`.
        problem_params: values for the problem's message (``left``, ``until``).
    """

    id: int
    listing_id: int
    variant_id: int | None
    title: str
    variant_label: str
    kind: str
    cover_key: str | None
    unit_price_cents: int
    was_price_cents: int | None
    seen_price_cents: int
    quantity: int
    max_quantity: int
    line_total_cents: int
    problem: str | None
    problem_params: dict
    pickup: bool
    local_delivery_fee_cents: int | None
    courier_fee_cents: int | None

    @property
    def ready(self) -> bool:
        """Whether the line can go to checkout as it is."""
        return self.problem is None

    @property
    def one_off(self) -> bool:
        """A resident's second-hand item: quantity exactly 1."""
        return self.kind != "shop"


@dataclass(frozen=True)
class DeliveryChoice:
    """A delivery method every ready line of a seller group allows, with the group's fee.

    Attributes:
        method: "pickup", "local" or "courier".
        fee_cents: 0 for pickup; otherwise the highest fee among the lines
            (one delivery per seller order).
    """

    method: str
    fee_cents: int


@dataclass(frozen=True)
class SellerGroup:
    """The lines of one seller (a shop, or a neighbour selling their own things).

    Attributes:
        seller_id: the selling user (for a shop, its owner).
        shop_id: the shop, or None for a neighbour's items.
        seller_name: the shop's name, or the neighbour's name.
        shop_slug: for a link to the shop's page (None for neighbours).
        subtotal_cents: sum of the ready lines' totals.
        delivery: methods all ready lines allow (empty when none are ready).
    """

    seller_id: int
    shop_id: int | None
    seller_name: str
    shop_slug: str | None
    lines: list[LineView] = field(default_factory=list)
    subtotal_cents: int = 0
    delivery: list[DeliveryChoice] = field(default_factory=list)

    @property
    def ready_lines(self) -> list[LineView]:
        """The lines that can go to checkout as they are."""
        return [line for line in self.lines if line.ready]


@dataclass(frozen=True)
class CartView:
    """A whole cart, grouped by seller in the order lines were first added.

    Attributes:
        units: the sum of all quantities (what the navigation shows).
        total_cents: the sum of the ready lines' totals (no delivery fees).
        ready_count: lines that can go to checkout.
        problem_count: lines flagged with a problem.
    """

    groups: list[SellerGroup]
    units: int
    total_cents: int
    ready_count: int
    problem_count: int

    @property
    def empty(self) -> bool:
        """Whether the cart has no lines at all."""
        return not self.groups


EMPTY_VIEW = CartView(groups=[], units=0, total_cents=0, ready_count=0, problem_count=0)


def _problem(quote: purchasable.Quote, line: CartLine) -> str | None:
    if quote.problem is not None:
        return quote.problem
    if quote.price_cents > line.seen_price_cents:
        return PROBLEM_PRICE_UP
    return None


def _delivery(listings: list[Listing]) -> list[DeliveryChoice]:
    return [
        DeliveryChoice(method, fee) for method, fee in fulfilment.delivery_options(listings).items()
    ]


def view(session: Session, owner: CartOwner | int, *, now: datetime | None = None) -> CartView:
    """A cart as its page (and the checkout page) shows it: grouped by seller, priced now.

    Every line is judged by :mod:`purchasable` as it is now. Lines that can
    no longer be bought as they are stay in the view,
    flagged, and are left out of subtotals and the total. Checkout should
    still re-price and re-check stock itself when placing an order.

    Groups are one per (seller, shop): a shop's products form one group, a
    neighbour's items another. Within a group, lines keep the order they
    were added in.

    Args:
        session: any session.
        owner: a :class:`CartOwner`, or a user id.
        now: the moment to price at (default: now).

    Returns:
        The cart (``EMPTY_VIEW`` when the owner has none).
    """
    owner = _as_owner(owner)
    now = now or utcnow()
    cart = _find_cart(session, owner)
    if cart is None:
        return EMPTY_VIEW
    cover = (
        select(ListingImage.listing_id, func.min(ListingImage.position).label("pos"))
        .group_by(ListingImage.listing_id)
        .subquery()
    )
    rows = session.exec(
        select(CartLine, User.name, Shop, ListingImage.storage_key)
        .join(Listing, Listing.id == CartLine.listing_id)
        .join(User, User.id == Listing.seller_id)
        .outerjoin(Shop, Shop.id == Listing.shop_id)
        .outerjoin(cover, cover.c.listing_id == Listing.id)
        .outerjoin(
            ListingImage,
            and_(ListingImage.listing_id == Listing.id, ListingImage.position == cover.c.pos),
        )
        .where(CartLine.cart_id == cart.id)
        .order_by(CartLine.added_at, CartLine.id)
    ).all()
    facts = purchasable.load(session, [row[0].listing_id for row in rows], owner.user_id, now)
    groups: dict[tuple[int, int | None], SellerGroup] = {}
    ready_listings: dict[tuple[int, int | None], list[Listing]] = {}
    for line, user_name, shop, cover_key in rows:
        listing = facts.listings[line.listing_id]
        want = purchasable.Want(line.listing_id, line.variant_id, line.quantity)
        quote = purchasable.judge_loaded(facts, want, owner.user_id, now)
        problem = _problem(quote, line)
        key = (listing.seller_id, listing.shop_id)
        group = groups.get(key)
        if group is None:
            group = groups[key] = SellerGroup(
                seller_id=listing.seller_id,
                shop_id=listing.shop_id,
                seller_name=shop.name if shop else user_name,
                shop_slug=shop.slug if shop else None,
            )
            ready_listings[key] = []
        if problem is None:
            ready_listings[key].append(listing)
        group.lines.append(
            LineView(
                id=line.id,
                listing_id=listing.id,
                variant_id=line.variant_id,
                title=listing.title,
                variant_label=quote.label,
                kind=listing.kind,
                cover_key=cover_key,
                unit_price_cents=quote.price_cents,
                was_price_cents=quote.was_price_cents,
                seen_price_cents=line.seen_price_cents,
                quantity=line.quantity,
                max_quantity=quote.max_quantity,
                line_total_cents=quote.price_cents * line.quantity,
                problem=problem,
                problem_params=dict(quote.params),
                pickup=listing.pickup,
                local_delivery_fee_cents=listing.local_delivery_fee_cents,
                courier_fee_cents=listing.courier_fee_cents,
            )
        )
    finished = []
    for key, group in groups.items():
        finished.append(
            SellerGroup(
                seller_id=group.seller_id,
                shop_id=group.shop_id,
                seller_name=group.seller_name,
                shop_slug=group.shop_slug,
                lines=group.lines,
                subtotal_cents=sum(line.line_total_cents for line in group.ready_lines),
                delivery=_delivery(ready_listings[key]),
            )
        )
    all_lines = [line for group in finished for line in group.lines]
    ready_count = sum(1 for line in all_lines if line.ready)
    return CartView(
        groups=finished,
        units=sum(line.quantity for line in all_lines),
        total_cents=sum(group.subtotal_cents for group in finished),
        ready_count=ready_count,
        problem_count=len(all_lines) - ready_count,
    )
