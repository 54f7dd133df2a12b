"""Orders for tests, written as checkout writes them (without depending on checkout).

``place()`` takes the stock with a conditional update, creates the group, the
order, its lines and its first transition, and stores the handover code's hash.
``pay()`` records a gateway payment for a group through ``orders.mark_group_paid``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import (
    Listing,
    ListingVariant,
    Order,
    OrderGroup,
    OrderLine,
    OrderTransition,
    Payment,
    Shop,
    ShopMember,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import fulfilment, handover_window, orders
from tests.unit.invariants import check_invariants, stock_baseline
from tests.unit.services.conftest import make_user


def make_listing(
    session: Session,
    seller: User,
    *,
    title: str = "Sourdough loaf",
    kind: str = "shop",
    price: int = 1000,
    stock: int = 10,
    shop: Shop | None = None,
    variants: list[tuple[str, int, int]] | None = None,
    category_id: int | None = None,
) -> Listing:
    """A live listing; ``variants`` as (label, price, stock) make it a product with variants.

    A shop product without ``variants`` gets its one unlabelled variant, as
    every path that creates products gives it.
    """
    listing = Listing(
        seller_id=seller.id,
        shop_id=shop.id if shop else None,
        kind=kind,
        category_id=category_id,
        title=title,
        price_cents=price,
        stock=1 if kind == "secondhand" else stock,
        condition="good" if kind == "secondhand" else None,
        status="active",
        district="Riverside",
    )
    session.add(listing)
    session.flush()
    if kind == "shop" and not variants:
        variants = [("", price, stock)]
    if variants:
        add_variants(session, listing, [(*v, None) for v in variants])
        listing.stock = sum(v[2] for v in variants)
        listing.price_cents = min(v[1] for v in variants)
        session.add(listing)
        session.flush()
    return listing


def add_variants(
    session: Session, listing: Listing, variants: Iterable[tuple[str, int, int, int | None]]
) -> None:
    """Give ``listing`` its variants, as (label, price, stock, sale price), in order."""
    for position, (label, price, stock, sale) in enumerate(variants):
        session.add(
            ListingVariant(
                listing_id=listing.id,
                label=label,
                price_cents=price,
                sale_price_cents=sale,
                stock=stock,
                position=position,
            )
        )


def make_shop(session: Session, owner: User, name: str = "Bakery") -> Shop:
    """An approved shop owned by ``owner``."""
    shop = Shop(owner_id=owner.id, name=name, slug=f"{name.lower()}-{owner.id}", status="approved")
    session.add(shop)
    session.flush()
    session.add(ShopMember(shop_id=shop.id, user_id=owner.id, role="owner"))
    session.flush()
    return shop


def add_staff(session: Session, shop: Shop, user: User) -> None:
    """Make ``user`` staff of ``shop``."""
    session.add(ShopMember(shop_id=shop.id, user_id=user.id, role="staff"))
    session.flush()


def _take(session: Session, listing: Listing, variant: ListingVariant | None, qty: int) -> None:
    if variant is not None:
        taken = session.exec(
            update(ListingVariant)
            .where(ListingVariant.id == variant.id, ListingVariant.stock >= qty)
            .values(stock=ListingVariant.stock - qty)
            .execution_options(synchronize_session=False)
        )
        assert taken.rowcount == 1, "sold out"
    taken = session.exec(
        update(Listing)
        .where(Listing.id == listing.id, Listing.stock >= qty)
        .values(stock=Listing.stock - qty)
        .execution_options(synchronize_session=False)
    )
    assert taken.rowcount == 1, "sold out"
    session.refresh(listing)
    if listing.kind == "secondhand" and listing.stock == 0:
        listing.status = "sold"
        session.add(listing)


def _only_variant(session: Session, listing: Listing) -> ListingVariant | None:
    """The variant a product without options sells through (as checkout takes it)."""
    if listing.kind != "shop":
        return None
    stmt = select(ListingVariant).where(ListingVariant.listing_id == listing.id)
    found = session.exec(stmt).all()
    return found[0] if len(found) == 1 else None


def place(
    session: Session,
    buyer: User,
    lines: list[tuple[Listing, ListingVariant | None, int]],
    *,
    payment: str = "escrow",
    delivery: str = "pickup",
    fee: int = 0,
    commission_bp: int = 500,
    expires_in: timedelta = timedelta(minutes=15),
    group: OrderGroup | None = None,
) -> Order:
    """One order for the seller of the first line's listing (as checkout would place it)."""
    now = utcnow()
    seller_listing = session.get(Listing, lines[0][0].id)
    subtotal = 0
    priced = []
    for given, given_variant, qty in lines:
        listing = session.get(Listing, given.id)
        variant = (
            session.get(ListingVariant, given_variant.id)
            if given_variant
            else _only_variant(session, listing)
        )
        _take(session, listing, variant, qty)
        unit = variant.price_cents if variant is not None else listing.price_cents
        subtotal += unit * qty
        priced.append((listing, variant, qty, unit))
    total = subtotal + fee
    if group is None:
        group = OrderGroup(
            public_id=secrets.token_urlsafe(12)[:16],
            buyer_id=buyer.id,
            idempotency_key=secrets.token_hex(16),
            total_cents=total,
        )
        session.add(group)
    else:
        group = session.get(OrderGroup, group.id)
        group.total_cents += total
        session.add(group)
    session.flush()
    status = orders.INITIAL_STATUS[payment]
    order = Order(
        number=secrets.token_hex(5).upper(),
        group_id=group.id,
        buyer_id=buyer.id,
        seller_id=seller_listing.seller_id,
        shop_id=seller_listing.shop_id,
        status=status,
        delivery_method=delivery,
        payment_method=payment,
        subtotal_cents=subtotal,
        delivery_fee_cents=fee,
        total_cents=total,
        address_text="" if delivery == "pickup" else "1 River Road, Riverside",
        commission_cents=total * commission_bp // 10_000,
        expires_at=now + expires_in if payment == "escrow" else None,
        handover_due_at=None
        if payment == "escrow"
        else handover_window.due_at(session, seller_listing.seller_id, seller_listing.shop_id, now),
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    if delivery == "pickup":
        order.handover_code_hash = fulfilment.code_hash(
            fulfilment.handover_code(order.id, order.number)
        )
        session.add(order)
    for listing, variant, qty, unit in priced:
        session.add(
            OrderLine(
                order_id=order.id,
                listing_id=listing.id,
                variant_id=variant.id if variant else None,
                title=listing.title,
                variant_label=variant.label if variant else "",
                unit_price_cents=unit,
                quantity=qty,
                line_total_cents=unit * qty,
            )
        )
    session.add(
        OrderTransition(
            order_id=order.id, from_status=None, to_status=status, actor_id=buyer.id, at=now
        )
    )
    session.flush()
    return order


def pay(session: Session, group_id: int, amount: int | None = None) -> tuple[Payment, list[str]]:
    """A paid gateway payment for a group, recorded through ``orders.mark_group_paid``."""
    if amount is None:
        amount = session.get(OrderGroup, group_id).total_cents
    payment = Payment(
        group_id=group_id,
        provider="sandbox",
        status="paid",
        amount_cents=max(1, amount),
        gateway_ref=secrets.token_hex(8),
        paid_at=utcnow(),
    )
    session.add(payment)
    session.flush()
    return payment, orders.mark_group_paid(session, group_id, payment.id)


def code_of(order: Order) -> str:
    """The buyer's handover code for an order."""
    return fulfilment.handover_code(order.id, order.number)


@dataclass
class Town:
    """A buyer, a resident seller, a shop with an owner and staff, a stranger, an operator."""

    buyer: User
    other_buyer: User
    resident: User
    shop_owner: User
    staff: User
    stranger: User
    moderator: User
    shop: Shop
    bread: Listing
    lamp: Listing
    coffee: Listing
    extra: dict = field(default_factory=dict)


def make_town(session: Session, category_id: int | None = None) -> Town:
    """The cast most order tests need, committed to the session.

    ``category_id`` is needed on a migrated database (live listings need a category).
    """
    buyer = make_user(session, "Bea", locale="en")
    other = make_user(session, "Otto", locale="en")
    resident = make_user(session, "Rita", locale="zh-CN")
    owner = make_user(session, "Olga", locale="en")
    staff = make_user(session, "Stan", locale="en")
    stranger = make_user(session, "Sam", locale="en")
    moderator = make_user(session, "Mona", locale="en", role="moderator")
    shop = make_shop(session, owner)
    add_staff(session, shop, staff)
    bread = make_listing(
        session,
        owner,
        shop=shop,
        title="Sourdough loaf",
        price=800,
        stock=500,
        category_id=category_id,
    )
    lamp = make_listing(
        session,
        resident,
        kind="secondhand",
        title="Brass lamp",
        price=2500,
        category_id=category_id,
    )
    coffee = make_listing(
        session,
        owner,
        shop=shop,
        title="Coffee beans",
        variants=[("250 g", 1200, 5), ("1 kg", 4000, 2)],
        category_id=category_id,
    )
    session.commit()
    return Town(
        buyer, other, resident, owner, staff, stranger, moderator, shop, bread, lamp, coffee
    )


def checked_town() -> Iterator[Town]:
    """The cast, and after the test: every invariant against the stock before any order.

    For a fixture: ``yield from checked_town()``.

    Yields:
        The town, once it is written.
    """
    with write_session() as s:
        cast = make_town(s)
    with read_session() as s:
        baseline = stock_baseline(s)
    yield cast
    with read_session() as s:
        check_invariants(s, baseline)


def act(fn, *args, **kwargs):
    """Run a service call in its own write transaction (rolled back when it raises)."""
    with write_session() as s:
        return fn(s, *args, **kwargs)


def read(fn, *args, **kwargs):
    """Run a service call in its own read transaction."""
    with read_session() as s:
        return fn(s, *args, **kwargs)
