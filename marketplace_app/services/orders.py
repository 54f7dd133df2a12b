"""The order lifecycle: a state machine with a transition log, money and stock in step.

Every change of an order's status goes through :func:`_move`, which checks
:data:`TRANSITIONS` (which status may follow which, and who may cause it),
updates the row only if its status is still the one read (a status-conditional
UPDATE, so two workers or two tabs never both move it), writes an
:class:`OrderTransition` and notifies buyer and seller. Illegal moves raise
:class:`ServiceError` with ``error.order.illegal_transition``.

Money moves in the same transaction through :mod:`ledger`: payment in when a
checkout's escrow orders are paid, release to the seller on completion, refund
to the buyer on cancellation or a refund. Cancellation and expiry give the
stock back.

Access: buyers and sellers (the seller user, or staff of the order's shop) see
and act on their own orders only; anything else is :class:`NotFound`.
Operators (moderators and admins) decide disputes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, literal, or_, update
from sqlmodel import Session, col, select

from marketplace_app.models import (
    InboxItem,
    LedgerTransaction,
    Listing,
    ListingVariant,
    Order,
    OrderGroup,
    OrderLine,
    OrderTransition,
    RefundRequest,
    Shop,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    blocklist,
    fulfilment,
    inbox,
    ledger,
    listing_images,
    media,
    offer_steps,
    roles,
    search,
)
from marketplace_app.services.errors import (
    NotFound,
    OwnCase,
    ServiceError,
    ValidationFailed,
)
from marketplace_app.settings import settings

BUYER, SELLER, OPERATOR, SYSTEM = "buyer", "seller", "operator", "system"

# from status -> {to status: who may make that move}
TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    "pending_payment": {
        "paid": frozenset({SYSTEM}),
        "cancelled": frozenset({BUYER, SYSTEM}),
    },
    # The system cancels a cash order not handed over by its deadline.
    "paid": {
        "ready_for_pickup": frozenset({SELLER}),
        "shipped": frozenset({SELLER}),
        "out_for_delivery": frozenset({SELLER}),
        "cancelled": frozenset({BUYER, SELLER, SYSTEM}),
    },
    # The seller may cancel a pickup the buyer never comes for (with a reason).
    "ready_for_pickup": {
        "handed_over": frozenset({SELLER}),
        "cancelled": frozenset({SELLER, SYSTEM}),
    },
    "shipped": {"delivered": frozenset({SELLER})},
    "out_for_delivery": {"delivered": frozenset({SELLER})},
    "handed_over": {
        "completed": frozenset({BUYER, SYSTEM}),
        "refund_requested": frozenset({BUYER}),
    },
    "delivered": {
        "completed": frozenset({BUYER, SYSTEM}),
        "refund_requested": frozenset({BUYER}),
    },
    # A seller who does not answer in time: the request goes to an operator.
    "refund_requested": {
        "refunded": frozenset({SELLER}),
        "refund_declined": frozenset({SELLER}),
        "disputed": frozenset({SYSTEM}),
    },
    # A buyer who does not escalate in time (or accepts the answer): released.
    "refund_declined": {
        "disputed": frozenset({BUYER}),
        "completed": frozenset({BUYER, SYSTEM}),
    },
    "disputed": {
        "refunded": frozenset({OPERATOR}),
        "completed": frozenset({OPERATOR}),
    },
}
# The status checkout gives a new order, per payment method.
INITIAL_STATUS = {"escrow": "pending_payment", "cash": "paid"}
FINAL_STATUSES = ("completed", "cancelled", "refunded")
# Cash orders still waiting for their handover (the timer may cancel them).
AWAITING_HANDOVER = ("paid", "ready_for_pickup")
# Escrow orders whose money the platform holds.
HELD_STATUSES = (
    "paid",
    "ready_for_pickup",
    "shipped",
    "out_for_delivery",
    "handed_over",
    "delivered",
    "refund_requested",
    "refund_declined",
    "disputed",
)
# The order's progress as people see it, per delivery method.
STEPS = {
    "pickup": ("placed", "paid", "ready_for_pickup", "handed_over", "completed"),
    "local": ("placed", "paid", "out_for_delivery", "delivered", "completed"),
    "courier": ("placed", "paid", "shipped", "delivered", "completed"),
}
SELLER_FILTERS: dict[str, tuple[str, ...] | None] = {
    "all": None,
    "to_do": ("paid", "ready_for_pickup"),
    "on_the_way": ("shipped", "out_for_delivery"),
    "refunds": ("refund_requested", "refund_declined", "disputed"),
    "unpaid": ("pending_payment",),
    "done": ("handed_over", "delivered", *FINAL_STATUSES),
}
# The seller's first step for a paid order, per delivery method.
FULFIL_ACTION = {
    "pickup": "mark_ready",
    "local": "mark_out_for_delivery",
    "courier": "mark_shipped",
}
REFUND_REASONS = ("not_received", "not_as_described", "damaged", "wrong_item", "other")
# Reasons the system writes into the transition log (shown translated).
SYSTEM_REASONS = (
    "payment_expired",
    "not_handed_over",
    "cash_paid",
    "inspection_over",
    "auto_confirmed",
    "seller_no_answer",
    "no_escalation",
)

MAX_HANDOVER_FAILURES = 5
MAX_REFUND_PHOTOS = 5
REASON_MAX = 500
STATEMENT_MAX = 2000
TRACKING_MAX = 60
PAGE_MAX = 100
SHIP_REMINDER_AFTER = timedelta(days=1)
SHIP_REMINDER_KEY = "inbox.order.ship_reminder"

E_ILLEGAL = "error.order.illegal_transition"
E_CHANGED = "error.order.changed"
E_WRONG_DELIVERY = "error.order.wrong_delivery"
E_REQUIRED = "error.order.required"
E_TOO_LONG = "error.order.too_long"
E_TRACKING = "error.order.tracking_invalid"
E_CODE_FORMAT = "error.order.handover_code_format"
E_LOCKED = "error.order.handover_locked"
E_WINDOW = "error.order.refund_window_closed"
E_REFUND_REASON = "error.order.refund_reason_invalid"
E_PHOTOS = "error.order.too_many_photos"
E_DECISION = "error.order.decision_invalid"


def allowed(from_status: str | None, to_status: str, actor: str) -> bool:
    """Whether ``actor`` may move an order from one status to another.

    Args:
        from_status: the current status.
        to_status: the wanted status.
        actor: "buyer", "seller", "operator" or "system".

    Returns:
        True when :data:`TRANSITIONS` allows it.
    """
    return actor in TRANSITIONS.get(from_status or "", {}).get(to_status, frozenset())


def actor_kind(order: Order, entry: OrderTransition) -> str:
    """Who made a logged move: "buyer", "seller" (or shop staff), "operator" or "system".

    Args:
        order: the order.
        entry: one of its transition rows.

    Returns:
        The kind of actor.
    """
    if entry.actor_id is None:
        return SYSTEM
    if entry.actor_id == order.buyer_id and (
        entry.from_status is None or allowed(entry.from_status, entry.to_status, BUYER)
    ):
        return BUYER
    if entry.actor_id == order.seller_id or entry.from_status is None:
        return SELLER
    if allowed(entry.from_status, entry.to_status, OPERATOR):
        return OPERATOR
    return SELLER


def link(number: str) -> str:
    """The app path of an order's page."""
    return f"/orders/{number}"


# -- reading


@dataclass(frozen=True)
class OrderSummary:
    """One order in a list."""

    number: str
    status: str
    payment_method: str
    delivery_method: str
    total_cents: int
    created_at: datetime
    buyer_name: str
    seller_name: str
    shop_name: str
    item_count: int
    first_title: str


@dataclass(frozen=True)
class OrderDetail:
    """Everything an order's page shows, for one viewer."""

    order: Order
    viewer: str
    lines: list[OrderLine]
    transitions: list[OrderTransition]
    refund: RefundRequest | None
    buyer_name: str
    seller_name: str
    shop_name: str
    actions: frozenset[str]
    group_public_id: str


@dataclass(frozen=True)
class DisputeCase:
    """An order in dispute with what an operator needs to decide it."""

    order: Order
    lines: list[OrderLine]
    transitions: list[OrderTransition]
    refund: RefundRequest
    buyer_name: str
    seller_name: str
    shop_name: str


@dataclass(frozen=True)
class HandoverResult:
    """What entering a handover code did."""

    accepted: bool
    attempts_left: int


def _order_by_number(session: Session, number: object) -> Order | None:
    if not isinstance(number, str) or not number or len(number) > 24:
        return None
    return session.exec(select(Order).where(Order.number == number)).first()


def viewer_roles(session: Session, order: Order, user_id: int) -> frozenset[str]:
    """How a user stands to an order: "buyer", "seller" (incl. shop staff), or neither.

    Args:
        session: any session.
        order: the order.
        user_id: the user.

    Returns:
        A set of "buyer" and/or "seller".
    """
    found = set()
    if order.buyer_id == user_id:
        found.add(BUYER)
    if order.seller_id == user_id or (
        order.shop_id is not None and order.shop_id in roles.shop_ids_for(session, user_id)
    ):
        found.add(SELLER)
    return frozenset(found)


def _mine(session: Session, user_id: int, number: object) -> tuple[Order, frozenset[str]]:
    order = _order_by_number(session, number)
    if order is None:
        raise NotFound()
    who = viewer_roles(session, order, user_id)
    if not who:
        raise NotFound()
    return order, who


def _as(session: Session, user_id: int, number: object, actor: str) -> Order:
    order, who = _mine(session, user_id, number)
    if actor not in who:
        raise NotFound()
    return order


def _names(session: Session, orders: Iterable[Order]) -> tuple[dict[int, str], dict[int, str]]:
    orders = list(orders)
    user_ids = {o.buyer_id for o in orders} | {o.seller_id for o in orders}
    shop_ids = {o.shop_id for o in orders if o.shop_id is not None}
    users = (
        dict(session.exec(select(User.id, User.name).where(col(User.id).in_(user_ids))).all())
        if user_ids
        else {}
    )
    shops = (
        dict(session.exec(select(Shop.id, Shop.name).where(col(Shop.id).in_(shop_ids))).all())
        if shop_ids
        else {}
    )
    return users, shops


def _summaries(session: Session, orders: list[Order]) -> list[OrderSummary]:
    if not orders:
        return []
    users, shops = _names(session, orders)
    ids = [o.id for o in orders]
    lines = session.exec(
        select(OrderLine).where(col(OrderLine.order_id).in_(ids)).order_by(OrderLine.id)
    ).all()
    counts: dict[int, int] = {}
    firsts: dict[int, str] = {}
    for line in lines:
        counts[line.order_id] = counts.get(line.order_id, 0) + line.quantity
        firsts.setdefault(line.order_id, line.title)
    return [
        OrderSummary(
            number=o.number,
            status=o.status,
            payment_method=o.payment_method,
            delivery_method=o.delivery_method,
            total_cents=o.total_cents,
            created_at=o.created_at,
            buyer_name=users.get(o.buyer_id, ""),
            seller_name=users.get(o.seller_id, ""),
            shop_name=shops.get(o.shop_id, "") if o.shop_id else "",
            item_count=counts.get(o.id, 0),
            first_title=firsts.get(o.id, ""),
        )
        for o in orders
    ]


def _limit(limit: int) -> int:
    return max(1, min(int(limit), PAGE_MAX))


def buyer_orders(session: Session, buyer_id: int, *, limit: int = 50) -> list[OrderSummary]:
    """A buyer's orders, newest first.

    Args:
        session: any session.
        buyer_id: the buyer.
        limit: at most this many (capped at 100).

    Returns:
        Order summaries.
    """
    orders = session.exec(
        select(Order)
        .where(Order.buyer_id == buyer_id)
        .order_by(col(Order.created_at).desc(), col(Order.id).desc())
        .limit(_limit(limit))
    ).all()
    return _summaries(session, list(orders))


def _seller_clause(session: Session, user_id: int):
    shop_ids = roles.shop_ids_for(session, user_id)
    if shop_ids:
        return or_(Order.seller_id == user_id, col(Order.shop_id).in_(shop_ids))
    return Order.seller_id == user_id


def seller_orders(
    session: Session, user_id: int, *, status_filter: str = "all", limit: int = 50
) -> list[OrderSummary]:
    """Orders a seller (or the staff of their shops) receives, newest first.

    Args:
        session: any session.
        user_id: the seller or shop staff member.
        status_filter: a key of :data:`SELLER_FILTERS` (unknown keys mean "all").
        limit: at most this many (capped at 100).

    Returns:
        Order summaries.
    """
    query = select(Order).where(_seller_clause(session, user_id))
    statuses = SELLER_FILTERS.get(status_filter)
    if statuses:
        query = query.where(col(Order.status).in_(statuses))
    orders = session.exec(
        query.order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(_limit(limit))
    ).all()
    return _summaries(session, list(orders))


def group_orders(session: Session, buyer_id: int, public_id: object) -> list[OrderSummary]:
    """The orders one checkout created, for the buyer who placed it.

    Args:
        session: any session.
        buyer_id: the caller.
        public_id: the order group's public id (from the URL).

    Returns:
        Order summaries, in the order they were created.

    Raises:
        NotFound: absent, or another buyer's checkout.
    """
    if not isinstance(public_id, str) or not public_id or len(public_id) > 24:
        raise NotFound()
    group = session.exec(select(OrderGroup).where(OrderGroup.public_id == public_id)).first()
    if group is None or group.buyer_id != buyer_id:
        raise NotFound()
    orders = session.exec(select(Order).where(Order.group_id == group.id).order_by(Order.id)).all()
    return _summaries(session, list(orders))


def _lines(session: Session, order_id: int) -> list[OrderLine]:
    return list(
        session.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id))
    )


def _log(session: Session, order_id: int) -> list[OrderTransition]:
    return list(
        session.exec(
            select(OrderTransition)
            .where(OrderTransition.order_id == order_id)
            .order_by(OrderTransition.id)
        )
    )


def _refund(session: Session, order_id: int) -> RefundRequest | None:
    return session.exec(select(RefundRequest).where(RefundRequest.order_id == order_id)).first()


def _window_open(order: Order, now: datetime) -> bool:
    return order.release_due_at is not None and now < order.release_due_at


def actions_for(order: Order, viewer: str, now: datetime | None = None) -> frozenset[str]:
    """What a buyer or seller may do with an order now (the buttons a page shows).

    Args:
        order: the order.
        viewer: "buyer" or "seller".
        now: the time to judge windows by (default: now).

    Returns:
        Action names: buyer "cancel", "confirm_receipt", "request_refund",
        "escalate"; seller "mark_ready", "mark_shipped", "mark_out_for_delivery",
        "mark_delivered", "confirm_handover", "cancel", "accept_refund",
        "decline_refund".
    """
    now = now or utcnow()
    s = order.status
    found: set[str] = set()
    if viewer == BUYER:
        if s in ("pending_payment", "paid"):
            found.add("cancel")
        if s in ("handed_over", "delivered", "refund_declined"):
            found.add("confirm_receipt")
        escrow = order.payment_method == "escrow"
        if s in ("handed_over", "delivered") and escrow and _window_open(order, now):
            found.add("request_refund")
        if s == "refund_declined":
            found.add("escalate")
    elif viewer == SELLER:
        if s == "paid":
            found |= {FULFIL_ACTION[order.delivery_method], "cancel"}
        if s == "ready_for_pickup":
            found.add("cancel")
            if order.handover_failures < MAX_HANDOVER_FAILURES:
                found.add("confirm_handover")
        if s in ("shipped", "out_for_delivery"):
            found.add("mark_delivered")
        if s == "refund_requested":
            found |= {"accept_refund", "decline_refund"}
    return frozenset(found)


def order_detail(session: Session, user_id: int, number: object) -> OrderDetail:
    """An order's page for its buyer or seller.

    Args:
        session: any session.
        user_id: the caller.
        number: the order number (from the URL).

    Returns:
        The order, its lines, timeline, refund request and allowed actions.
        A user who is both buyer and seller sees the buyer's view.

    Raises:
        NotFound: absent, or neither the caller's purchase nor sale.
    """
    order, who = _mine(session, user_id, number)
    viewer = BUYER if BUYER in who else SELLER
    users, shops = _names(session, [order])
    group = session.get(OrderGroup, order.group_id)
    return OrderDetail(
        order=order,
        viewer=viewer,
        lines=_lines(session, order.id),
        transitions=_log(session, order.id),
        refund=_refund(session, order.id),
        buyer_name=users.get(order.buyer_id, ""),
        seller_name=users.get(order.seller_id, ""),
        shop_name=shops.get(order.shop_id, "") if order.shop_id else "",
        actions=actions_for(order, viewer),
        group_public_id=group.public_id if group else "",
    )


# -- moving an order


def _notify_both(session: Session, order: Order, key: str, **params: object) -> None:
    words = {"number": order.number, **params}
    for user_id in dict.fromkeys((order.buyer_id, order.seller_id)):
        inbox.notify(session, user_id, key, words, link(order.number))


def _notice(order: Order, to: str, reason: str) -> tuple[str, dict]:
    if to == "shipped":
        return "inbox.order.shipped", {"tracking": order.tracking_number}
    if to == "cancelled" and reason and reason not in SYSTEM_REASONS:
        return "inbox.order.cancelled_reason", {"reason": reason}
    if to == "cancelled" and reason == "payment_expired":
        return "inbox.order.expired", {}
    if to == "cancelled" and reason == "not_handed_over":
        return "inbox.order.not_handed_over", {}
    return f"inbox.order.{to}", {}


def _move(
    session: Session,
    order: Order,
    to: str,
    *,
    actor: str,
    actor_id: int | None,
    reason: str = "",
    now: datetime | None = None,
    **values: object,
) -> None:
    """Change an order's status, if the table allows it and nobody changed it meanwhile."""
    frm = order.status
    if not allowed(frm, to, actor):
        raise ServiceError(E_ILLEGAL)
    now = now or utcnow()
    result = session.exec(
        update(Order)
        .where(Order.id == order.id, Order.status == frm)
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError(E_CHANGED)
    session.add(
        OrderTransition(
            order_id=order.id,
            from_status=frm,
            to_status=to,
            actor_id=actor_id,
            reason=reason[:REASON_MAX],
            at=now,
        )
    )
    session.flush()
    session.refresh(order)
    key, params = _notice(order, to, reason)
    _notify_both(session, order, key, **params)


def _restore_stock(session: Session, order: Order) -> None:
    """Give an order's units back to its listings (and variants)."""
    for line in _lines(session, order.id):
        if line.variant_id is not None:
            session.exec(
                update(ListingVariant)
                .where(ListingVariant.id == line.variant_id)
                .values(stock=ListingVariant.stock + line.quantity)
                .execution_options(synchronize_session=False)
            )
        session.exec(
            update(Listing)
            .where(Listing.id == line.listing_id)
            .values(stock=Listing.stock + line.quantity)
            .execution_options(synchronize_session=False)
        )
        listing = session.get(Listing, line.listing_id)
        session.refresh(listing)
        # Back on sale, unless words now blocked make it wait for review.
        if (
            listing.kind == "secondhand"
            and listing.deleted_at is None
            and blocklist.back_on_sale(session, listing)
        ):
            listing.updated_at = utcnow()
            session.add(listing)
            session.flush()
            search.reindex_listing(session, listing.id)


def _held(session: Session, order: Order) -> int:
    return ledger.order_balance(session, order.id, ledger.ESCROW)


def _refund_money(session: Session, order: Order, memo: str) -> None:
    held = _held(session, order)
    if held:
        ledger.post(
            session,
            "refund",
            [(ledger.ESCROW, -held), (ledger.GATEWAY, held)],
            order_id=order.id,
            memo=memo,
        )


def _release_money(session: Session, order: Order) -> None:
    commission = order.commission_cents
    seller = ledger.seller_account(order.seller_id)
    if order.payment_method == "escrow":
        held = _held(session, order)
        entries = [(ledger.ESCROW, -held), (seller, held - commission)]
    else:  # cash went to the seller at the handover; only the commission is owed
        entries = [(seller, -commission)]
    ledger.post(
        session,
        "release",
        [*entries, (ledger.COMMISSION, commission)],
        order_id=order.id,
        memo=order.number,
    )


def _cancel(
    session: Session,
    order: Order,
    *,
    actor: str,
    actor_id: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Cancel an order (every way an order is cancelled comes here).

    The stock goes back to the listings, money held in escrow back to the
    buyer, and offers the order was bought with back to their buyer while
    their hold lasts (:func:`offer_steps.after_order_cancelled`).
    """
    now = now or utcnow()
    _move(session, order, "cancelled", actor=actor, actor_id=actor_id, reason=reason, now=now)
    _restore_stock(session, order)
    _refund_money(session, order, f"{order.number} cancelled")
    offer_steps.after_order_cancelled(session, order.id, now=now)


def _system_cancel(session: Session, order: Order, reason: str, now: datetime) -> str | None:
    """A timer cancels an order it found due; None when another worker moved it meanwhile."""
    try:
        _cancel(session, order, actor=SYSTEM, actor_id=None, reason=reason, now=now)
    except ServiceError as error:
        if error.key != E_CHANGED:
            raise
        return None
    return order.number


def _complete(
    session: Session,
    order: Order,
    *,
    actor: str,
    actor_id: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    _move(session, order, "completed", actor=actor, actor_id=actor_id, reason=reason, now=now)
    _release_money(session, order)


def _text(value: object, limit: int, field: str, *, required: bool) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationFailed({field: E_REQUIRED})
    if len(text) > limit:
        raise ValidationFailed({field: E_TOO_LONG}, max=limit)
    return text


def cancel(session: Session, user_id: int, number: object, reason: object = "") -> Order:
    """Cancel an order: the buyer before fulfilment, the seller with a reason.

    Stock goes back to the listings; money held in escrow goes back to the
    buyer; an offer the order was bought with is the buyer's again while its
    hold lasts (:func:`_cancel`).

    Args:
        session: a write session.
        user_id: the caller (buyer or seller of the order).
        number: the order number.
        reason: why (required from a seller, up to 500 characters).

    Returns:
        The cancelled order.

    Raises:
        NotFound: not the caller's order.
        ValidationFailed: ``reason`` missing (seller) or too long.
        ServiceError: ``error.order.illegal_transition`` in a status that cannot be cancelled.
    """
    order, who = _mine(session, user_id, number)
    actor = BUYER if BUYER in who and allowed(order.status, "cancelled", BUYER) else SELLER
    if actor not in who or not allowed(order.status, "cancelled", actor):
        raise ServiceError(E_ILLEGAL)
    text = _text(reason, REASON_MAX, "reason", required=actor == SELLER)
    _cancel(session, order, actor=actor, actor_id=user_id, reason=text)
    return order


def _sale_by(session: Session, user_id: int, number: object, method: str) -> Order:
    """The caller's sale ``number``, which must go by delivery ``method``."""
    order = _as(session, user_id, number, SELLER)
    if order.delivery_method != method:
        raise ServiceError(E_WRONG_DELIVERY)
    return order


def mark_ready(
    session: Session, user_id: int, number: object, *, now: datetime | None = None
) -> Order:
    """The seller has a pickup order ready: the buyer can come with the handover code.

    Args:
        session: a write session.
        user_id: the seller (or shop staff).
        number: the order number.
        now: the moment (defaults to now).

    Returns:
        The order, now "ready_for_pickup".

    Raises:
        NotFound: not the caller's sale.
        ServiceError: not a pickup order, or not in "paid".
    """
    order = _sale_by(session, user_id, number, "pickup")
    _move(session, order, "ready_for_pickup", actor=SELLER, actor_id=user_id, now=now)
    return order


def mark_shipped(
    session: Session,
    user_id: int,
    number: object,
    tracking_number: object,
    *,
    now: datetime | None = None,
) -> Order:
    """The seller sent a courier order; the tracking number is required.

    Args:
        session: a write session.
        user_id: the seller (or shop staff).
        number: the order number.
        tracking_number: the courier's tracking number (letters, digits, dashes; 4-60).
        now: the moment (defaults to now).

    Returns:
        The order, now "shipped".

    Raises:
        NotFound: not the caller's sale.
        ValidationFailed: ``tracking`` missing or malformed.
        ServiceError: not a courier order, or not in "paid".
    """
    order = _sale_by(session, user_id, number, "courier")
    tracking = _text(tracking_number, TRACKING_MAX, "tracking", required=True)
    if len(tracking) < 4 or not all(c.isascii() and (c.isalnum() or c in "- ") for c in tracking):
        raise ValidationFailed({"tracking": E_TRACKING})
    _move(
        session,
        order,
        "shipped",
        actor=SELLER,
        actor_id=user_id,
        now=now,
        tracking_number=tracking,
    )
    return order


def mark_out_for_delivery(
    session: Session, user_id: int, number: object, *, now: datetime | None = None
) -> Order:
    """The seller is bringing a local-delivery order.

    Args:
        session: a write session.
        user_id: the seller (or shop staff).
        number: the order number.
        now: the moment (defaults to now).

    Returns:
        The order, now "out_for_delivery".

    Raises:
        NotFound: not the caller's sale.
        ServiceError: not a local-delivery order, or not in "paid".
    """
    order = _sale_by(session, user_id, number, "local")
    _move(session, order, "out_for_delivery", actor=SELLER, actor_id=user_id, now=now)
    return order


def mark_delivered(
    session: Session, user_id: int, number: object, *, now: datetime | None = None
) -> Order:
    """The seller delivered a shipped or out-for-delivery order.

    Escrow: the buyer then has ``auto_confirm_days`` to confirm or ask for a
    refund before the money is released. Cash: paid at the door, so the order
    completes at once (and the commission is booked).

    Args:
        session: a write session.
        user_id: the seller (or shop staff).
        number: the order number.
        now: the moment (defaults to now).

    Returns:
        The order, "delivered" (escrow) or "completed" (cash).

    Raises:
        NotFound: not the caller's sale.
        ServiceError: not shipped or out for delivery.
    """
    order = _as(session, user_id, number, SELLER)
    now = now or utcnow()
    due = now + timedelta(days=settings.auto_confirm_days)
    _move(
        session,
        order,
        "delivered",
        actor=SELLER,
        actor_id=user_id,
        now=now,
        handed_over_at=now,
        release_due_at=due if order.payment_method == "escrow" else None,
    )
    if order.payment_method == "cash":
        _complete(session, order, actor=SYSTEM, actor_id=None, reason="cash_paid", now=now)
    return order


def confirm_handover(
    session: Session, user_id: int, number: object, code: object, *, now: datetime | None = None
) -> HandoverResult:
    """The seller enters the buyer's 6-digit code to confirm a pickup handover.

    A wrong code is counted (and committed with the caller's transaction);
    after 5 wrong codes the handover is locked. Escrow: an inspection window
    of ``inspection_minutes`` starts, after which the money is released.
    Cash: paid at the handover, so the order completes at once.

    Args:
        session: a write session.
        user_id: the seller (or shop staff).
        number: the order number.
        code: what the seller typed.
        now: the moment (defaults to now).

    Returns:
        Whether the code was accepted, and how many tries are left.

    Raises:
        NotFound: not the caller's sale.
        ValidationFailed: ``code`` is not 6 digits (not counted as a try).
        ServiceError: not ready for pickup, or locked after too many wrong codes.
    """
    order = _as(session, user_id, number, SELLER)
    if not allowed(order.status, "handed_over", SELLER):
        raise ServiceError(E_ILLEGAL)
    if order.handover_failures >= MAX_HANDOVER_FAILURES:
        raise ServiceError(E_LOCKED)
    typed = "".join(code.split()) if isinstance(code, str) else ""
    if len(typed) != fulfilment.CODE_DIGITS or not typed.isascii() or not typed.isdigit():
        raise ValidationFailed({"code": E_CODE_FORMAT})
    if not fulfilment.code_matches(order.handover_code_hash, typed):
        result = session.exec(
            update(Order)
            .where(
                Order.id == order.id,
                Order.status == "ready_for_pickup",
                Order.handover_failures < MAX_HANDOVER_FAILURES,
            )
            .values(handover_failures=Order.handover_failures + 1)
            .execution_options(synchronize_session=False)
        )
        session.flush()
        session.refresh(order)
        if result.rowcount != 1:
            raise ServiceError(E_LOCKED)
        return HandoverResult(False, MAX_HANDOVER_FAILURES - order.handover_failures)
    now = now or utcnow()
    escrow = order.payment_method == "escrow"
    _move(
        session,
        order,
        "handed_over",
        actor=SELLER,
        actor_id=user_id,
        now=now,
        handed_over_at=now,
        release_due_at=now + timedelta(minutes=settings.inspection_minutes) if escrow else None,
    )
    if not escrow:
        _complete(session, order, actor=SYSTEM, actor_id=None, reason="cash_paid", now=now)
    return HandoverResult(True, MAX_HANDOVER_FAILURES - order.handover_failures)


def confirm_receipt(
    session: Session, user_id: int, number: object, *, now: datetime | None = None
) -> Order:
    """The buyer confirms they got the goods: the order completes, escrow is released.

    Also closes a refund request the seller declined, when the buyer accepts that.

    Args:
        session: a write session.
        user_id: the buyer.
        number: the order number.
        now: the moment (defaults to now).

    Returns:
        The completed order.

    Raises:
        NotFound: not the caller's purchase.
        ServiceError: not handed over, delivered or refund-declined.
    """
    order = _as(session, user_id, number, BUYER)
    _complete(session, order, actor=BUYER, actor_id=user_id, now=now)
    return order


def store_photos(blobs: list[bytes], limit: int = MAX_REFUND_PHOTOS) -> list[str]:
    """Validate and store a form's photos (no database): all or nothing.

    Refund requests and reviews both take their photos this way.

    Args:
        blobs: the uploaded files' bytes.
        limit: how many a form takes at most.

    Returns:
        The storage keys, in order.

    Raises:
        ValidationFailed: ``photos``: more than ``limit``, or a refused file.
    """
    if len(blobs) > limit:
        raise ValidationFailed({"photos": E_PHOTOS}, max=limit)
    return [image.key for image in listing_images.ingest_all(blobs)]


def store_refund_photos(blobs: list[bytes]) -> list[str]:
    """Validate and store a refund request's photos (at most 5): see :func:`store_photos`."""
    return store_photos(blobs, MAX_REFUND_PHOTOS)


def photo_keys(refund: RefundRequest | None) -> list[str]:
    """The storage keys of a refund request's photos."""
    if refund is None or not refund.photo_keys:
        return []
    return [key for key in refund.photo_keys.split(",") if key]


def checked_photo_keys(keys: object, limit: int = MAX_REFUND_PHOTOS) -> list[str]:
    """Storage keys a form sends back: a list of at most ``limit`` well-formed keys.

    Raises:
        ValidationFailed: ``photos``: too many, or a key that is not a media key.
    """
    keys = list(keys) if isinstance(keys, list | tuple) else []
    if len(keys) > limit:
        raise ValidationFailed({"photos": E_PHOTOS}, max=limit)
    for key in keys:
        try:
            media.url(key, media.RENDITION_WIDTHS[0])
        except (ValueError, TypeError):
            raise ValidationFailed({"photos": media.ERROR_CORRUPT}) from None
    return keys


def request_refund(
    session: Session,
    user_id: int,
    number: object,
    *,
    reason: object,
    statement: object,
    photos: object = (),
) -> RefundRequest:
    """The buyer asks for their money back, within the inspection/confirmation window.

    The seller then has ``auto_confirm_days`` to accept or decline, after which
    the request goes to an operator.

    Args:
        session: a write session.
        user_id: the buyer.
        number: the order number.
        reason: one of :data:`REFUND_REASONS`.
        statement: what happened (required, up to 2000 characters).
        photos: up to 5 storage keys from :func:`store_refund_photos`.

    Returns:
        The refund request.

    Raises:
        NotFound: not the caller's purchase.
        ValidationFailed: ``reason``, ``statement`` or ``photos``.
        ServiceError: not handed over/delivered, a cash order, or the window closed.
    """
    order = _as(session, user_id, number, BUYER)
    if not allowed(order.status, "refund_requested", BUYER) or order.payment_method != "escrow":
        raise ServiceError(E_ILLEGAL)
    now = utcnow()
    if not _window_open(order, now):
        raise ServiceError(E_WINDOW)
    errors: dict[str, str] = {}
    if reason not in REFUND_REASONS:
        errors["reason"] = E_REFUND_REASON
    try:
        text = _text(statement, STATEMENT_MAX, "statement", required=True)
    except ValidationFailed as error:
        errors.update(error.fields)
        text = ""
    if errors:
        raise ValidationFailed(errors, max=STATEMENT_MAX)
    keys = checked_photo_keys(photos)
    _move(
        session,
        order,
        "refund_requested",
        actor=BUYER,
        actor_id=user_id,
        now=now,
        reason=str(reason),
        release_due_at=now + timedelta(days=settings.auto_confirm_days),
    )
    refund = RefundRequest(
        order_id=order.id,
        status="requested",
        reason=str(reason),
        buyer_statement=text,
        photo_keys=",".join(keys),
        created_at=now,
        updated_at=now,
    )
    session.add(refund)
    session.flush()
    return refund


def _set_refund(session: Session, order: Order, status: str, **values: object) -> None:
    refund = _refund(session, order.id)
    if refund is None:
        return
    refund.status = status
    refund.updated_at = utcnow()
    for name, value in values.items():
        setattr(refund, name, value)
    session.add(refund)
    session.flush()


def accept_refund(session: Session, user_id: int, number: object, statement: object = "") -> Order:
    """The seller accepts a refund request: the buyer gets the escrowed money back.

    Args:
        session: a write session.
        user_id: the seller (or shop staff).
        number: the order number.
        statement: an optional note (up to 2000 characters).

    Returns:
        The refunded order.

    Raises:
        NotFound: not the caller's sale.
        ValidationFailed: ``statement`` too long.
        ServiceError: no open refund request.
    """
    order = _as(session, user_id, number, SELLER)
    text = _text(statement, STATEMENT_MAX, "statement", required=False)
    _move(session, order, "refunded", actor=SELLER, actor_id=user_id, release_due_at=None)
    _refund_money(session, order, f"{order.number} refund accepted")
    _set_refund(session, order, "accepted", seller_statement=text)
    return order


def decline_refund(session: Session, user_id: int, number: object, statement: object) -> Order:
    """The seller declines a refund request, saying why.

    The buyer then has ``auto_confirm_days`` to take it to an operator, after
    which the money is released to the seller.

    Args:
        session: a write session.
        user_id: the seller (or shop staff).
        number: the order number.
        statement: the seller's side (required, up to 2000 characters).

    Returns:
        The order, now "refund_declined".

    Raises:
        NotFound: not the caller's sale.
        ValidationFailed: ``statement`` missing or too long.
        ServiceError: no open refund request.
    """
    order = _as(session, user_id, number, SELLER)
    if not allowed(order.status, "refund_declined", SELLER):
        raise ServiceError(E_ILLEGAL)
    text = _text(statement, STATEMENT_MAX, "statement", required=True)
    now = utcnow()
    _move(
        session,
        order,
        "refund_declined",
        actor=SELLER,
        actor_id=user_id,
        now=now,
        release_due_at=now + timedelta(days=settings.auto_confirm_days),
    )
    _set_refund(session, order, "declined", seller_statement=text)
    return order


def escalate(session: Session, user_id: int, number: object) -> Order:
    """The buyer takes a declined refund to an operator.

    Args:
        session: a write session.
        user_id: the buyer.
        number: the order number.

    Returns:
        The order, now "disputed".

    Raises:
        NotFound: not the caller's purchase.
        ServiceError: the refund was not declined.
    """
    order = _as(session, user_id, number, BUYER)
    _move(session, order, "disputed", actor=BUYER, actor_id=user_id, release_due_at=None)
    _set_refund(session, order, "disputed")
    return order


def open_disputes(session: Session, user_id: int, *, limit: int = 50) -> list[DisputeCase]:
    """The disputes queue: orders waiting for an operator, oldest first.

    Args:
        session: any session.
        user_id: the operator (moderator or admin).
        limit: at most this many (capped at 100).

    Returns:
        Dispute cases.

    Raises:
        PermissionDenied: the caller is not an operator.
    """
    roles.require_staff(session, user_id)
    orders = list(
        session.exec(
            select(Order)
            .where(Order.status == "disputed")
            .order_by(Order.updated_at, Order.id)
            .limit(_limit(limit))
        )
    )
    users, shops = _names(session, orders)
    cases = []
    for order in orders:
        refund = _refund(session, order.id)
        if refund is None:
            continue
        cases.append(
            DisputeCase(
                order=order,
                lines=_lines(session, order.id),
                transitions=_log(session, order.id),
                refund=refund,
                buyer_name=users.get(order.buyer_id, ""),
                seller_name=users.get(order.seller_id, ""),
                shop_name=shops.get(order.shop_id, "") if order.shop_id else "",
            )
        )
    return cases


def decide_dispute(
    session: Session, user_id: int, number: object, outcome: object, reason: object
) -> Order:
    """An operator decides a dispute: refund the buyer, or release to the seller.

    Args:
        session: a write session.
        user_id: the operator (moderator or admin, not a party to the order).
        number: the order number.
        outcome: "refund" or "release".
        reason: why (required, up to 1000 characters; both sides see it).

    Returns:
        The order, "refunded" or "completed".

    Raises:
        PermissionDenied: not an operator.
        OwnCase: the operator is a party to the order.
        NotFound: no such order.
        ValidationFailed: ``outcome`` unknown, ``reason`` missing or too long.
        ServiceError: the order is not in dispute.
    """
    roles.require_staff(session, user_id)
    order = _order_by_number(session, number)
    if order is None:
        raise NotFound()
    if viewer_roles(session, order, user_id):
        raise OwnCase()
    if outcome not in ("refund", "release"):
        raise ValidationFailed({"outcome": E_DECISION})
    text = _text(reason, 1000, "reason", required=True)
    if outcome == "refund":
        _move(session, order, "refunded", actor=OPERATOR, actor_id=user_id, reason=text)
        _refund_money(session, order, f"{order.number} dispute decided for the buyer")
        _set_refund(session, order, "decided_refund", decided_by=user_id, decision_reason=text)
    else:
        _complete(session, order, actor=OPERATOR, actor_id=user_id, reason=text)
        _set_refund(session, order, "decided_release", decided_by=user_id, decision_reason=text)
    return order


# -- payment (called by services/payments on a verified webhook)


def _payment_posted(session: Session, order_id: int, payment_id: int | None = None) -> bool:
    query = select(LedgerTransaction.id).where(
        LedgerTransaction.order_id == order_id, LedgerTransaction.kind == "payment"
    )
    if payment_id is not None:
        query = query.where(LedgerTransaction.payment_id == payment_id)
    return session.exec(query.limit(1)).first() is not None


def _take_payment(session: Session, order: Order, now: datetime) -> bool:
    """Move a pending, never-paid order to paid; False when it is too late (or paid)."""
    if order.status != "pending_payment" or _payment_posted(session, order.id):
        return False
    try:
        _move(session, order, "paid", actor=SYSTEM, actor_id=None, now=now, paid_at=now)
    except ServiceError:  # expired or cancelled by another transaction meanwhile
        session.refresh(order)
        return False
    return True


def mark_group_paid(
    session: Session, group_id: int, payment_id: int, *, now: datetime | None = None
) -> list[str]:
    """Record a checkout's escrow payment: its pending orders become paid.

    Per escrow order of the group, a ledger "payment" transaction (gateway -X,
    escrow +X). An order that was cancelled or expired before the money
    arrived (or was already paid by another payment) gets the money back at
    once (a "refund" transaction) and keeps its status. Calling this again for
    the same payment changes nothing.

    Args:
        session: the caller's write session (with the recorded webhook event).
        group_id: the order group's id.
        payment_id: the gateway payment's id.
        now: when the payment arrived (defaults to now).

    Returns:
        The numbers of the orders moved to "paid".
    """
    orders = session.exec(
        select(Order)
        .where(Order.group_id == group_id, Order.payment_method == "escrow")
        .order_by(Order.id)
    ).all()
    moved: list[str] = []
    now = now or utcnow()
    for order in orders:
        if _payment_posted(session, order.id, payment_id):
            continue
        amount = order.total_cents
        pay_in = [(ledger.GATEWAY, -amount), (ledger.ESCROW, amount)]
        if _take_payment(session, order, now):
            ledger.post(
                session,
                "payment",
                pay_in,
                order_id=order.id,
                payment_id=payment_id,
                memo=order.number,
            )
            moved.append(order.number)
            continue
        # Too late (cancelled, expired) or paid twice: the money goes straight back.
        ledger.post(
            session,
            "payment",
            pay_in,
            order_id=order.id,
            payment_id=payment_id,
            memo=order.number,
        )
        ledger.post(
            session,
            "refund",
            [(ledger.ESCROW, -amount), (ledger.GATEWAY, amount)],
            order_id=order.id,
            payment_id=payment_id,
            memo=f"{order.number} paid after it closed",
        )
        inbox.notify(
            session,
            order.buyer_id,
            "inbox.order.late_payment_refunded",
            {"number": order.number},
            link(order.number),
        )
    return moved


# -- timers (jobs/order_timers.py runs these, each order in its own transaction)


def _due(
    session: Session,
    due_at,
    now: datetime,
    limit: int,
    statuses: tuple[str, ...],
    payment_method: str | None = None,
) -> list[int]:
    """Ids of orders in ``statuses`` whose ``due_at`` column has passed, oldest first."""
    where = [col(Order.status).in_(statuses), col(due_at).is_not(None), due_at <= now]
    if payment_method is not None:
        where.append(Order.payment_method == payment_method)
    return list(
        session.exec(select(Order.id).where(*where).order_by(due_at, Order.id).limit(limit))
    )


def _still_due(
    order: Order | None,
    due_attr: str,
    now: datetime,
    statuses: tuple[str, ...],
    payment_method: str,
) -> bool:
    """Whether a timer's order is still due (another worker may have moved it meanwhile)."""
    if order is None or order.status not in statuses or order.payment_method != payment_method:
        return False
    due = getattr(order, due_attr)
    return due is not None and due <= now


def due_to_expire(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Unpaid escrow orders past their payment deadline.

    Args:
        session: any session.
        now: the current time.
        limit: at most this many.

    Returns:
        Order ids, oldest deadline first.
    """
    return _due(session, Order.expires_at, now, limit, ("pending_payment",))


def expire(session: Session, order_id: int, now: datetime) -> str | None:
    """Cancel one unpaid order past its deadline and give its stock back.

    Args:
        session: a write session.
        order_id: the order.
        now: the current time.

    Returns:
        The order number, or None when it was no longer due (paid, cancelled,
        or handled by another worker).
    """
    order = session.get(Order, order_id)
    if not _still_due(order, "expires_at", now, ("pending_payment",), "escrow"):
        return None
    return _system_cancel(session, order, "payment_expired", now)


def due_to_release(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Cash orders not handed over by their deadline (:mod:`handover_window`).

    Args:
        session: any session.
        now: the current time.
        limit: at most this many.

    Returns:
        Order ids, oldest deadline first.
    """
    return _due(session, Order.handover_due_at, now, limit, AWAITING_HANDOVER, "cash")


def release_unhanded(session: Session, order_id: int, now: datetime) -> str | None:
    """Cancel one cash order not handed over by its deadline; its stock goes back.

    Through the one cancel path (:func:`_cancel`), so offers and notices
    follow; both sides read the reason. No money moves: a cash order books
    nothing in the ledger before its handover.

    Args:
        session: a write session.
        order_id: the order.
        now: the current time.

    Returns:
        The order number, or None when it was no longer due (handed over,
        cancelled, or handled by another worker).
    """
    order = session.get(Order, order_id)
    if not _still_due(order, "handover_due_at", now, AWAITING_HANDOVER, "cash"):
        return None
    return _system_cancel(session, order, "not_handed_over", now)


AUTO_STATUSES = ("handed_over", "delivered", "refund_requested", "refund_declined")


def due_to_settle(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Escrow orders whose waiting time is over (inspection, confirmation, answers).

    Args:
        session: any session.
        now: the current time.
        limit: at most this many.

    Returns:
        Order ids, oldest due first.
    """
    return _due(session, Order.release_due_at, now, limit, AUTO_STATUSES, "escrow")


def settle(session: Session, order_id: int, now: datetime) -> str | None:
    """Move one order whose waiting time is over.

    Handed over (after the inspection window) and delivered (after
    ``auto_confirm_days``) complete and release the money; a refund declined
    and not escalated completes too; a refund request the seller did not
    answer goes to an operator.

    Args:
        session: a write session.
        order_id: the order.
        now: the current time.

    Returns:
        The order number, or None when the order was no longer due.
    """
    order = session.get(Order, order_id)
    if not _still_due(order, "release_due_at", now, AUTO_STATUSES, "escrow"):
        return None
    try:
        if order.status == "refund_requested":
            _move(
                session,
                order,
                "disputed",
                actor=SYSTEM,
                actor_id=None,
                reason="seller_no_answer",
                release_due_at=None,
            )
            _set_refund(session, order, "disputed")
        else:
            reason = {
                "handed_over": "inspection_over",
                "delivered": "auto_confirmed",
                "refund_declined": "no_escalation",
            }[order.status]
            _complete(session, order, actor=SYSTEM, actor_id=None, reason=reason)
    except ServiceError:
        return None
    return order.number


def _reminded():
    return exists().where(
        InboxItem.user_id == Order.seller_id,
        InboxItem.message_key == SHIP_REMINDER_KEY,
        InboxItem.link == literal("/orders/").concat(Order.number),
    )


def due_for_reminder(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Paid orders untouched for over a day whose seller was not reminded yet.

    Args:
        session: any session.
        now: the current time.
        limit: at most this many.

    Returns:
        Order ids.
    """
    since = func.coalesce(Order.paid_at, Order.created_at)
    return list(
        session.exec(
            select(Order.id)
            .where(and_(Order.status == "paid", since <= now - SHIP_REMINDER_AFTER))
            .where(~_reminded())
            .order_by(Order.id)
            .limit(limit)
        )
    )


def remind_to_ship(session: Session, order_id: int, now: datetime) -> bool:
    """Remind the seller, once, to get a paid order ready or on its way.

    Args:
        session: a write session.
        order_id: the order.
        now: the current time.

    Returns:
        True when a reminder was sent now.
    """
    order = session.exec(select(Order).where(Order.id == order_id).with_for_update()).first()
    if order is None or order.status != "paid":
        return False
    if (order.paid_at or order.created_at) > now - SHIP_REMINDER_AFTER:
        return False
    sent = session.exec(
        select(InboxItem.id).where(
            InboxItem.user_id == order.seller_id,
            InboxItem.message_key == SHIP_REMINDER_KEY,
            InboxItem.link == link(order.number),
        )
    ).first()
    if sent is not None:
        return False
    inbox.notify(
        session, order.seller_id, SHIP_REMINDER_KEY, {"number": order.number}, link(order.number)
    )
    return True
