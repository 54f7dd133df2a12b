"""Offers on negotiable listings: a state machine with a transition log.

Who: offers are made on *resident (second-hand) listings* only, which are
the only ones a seller can mark negotiable (shop products never are). So
the seller of an offer is always ``listing.seller_id`` (copied into
``offers.seller_id``); nobody else acts for them.

Steps: the state machine, its transition log and notices live in
:mod:`marketplace_app.services.offer_steps` (every move goes through
:func:`offer_steps.move`); this module makes and answers offers and runs the
timers' steps.

Timing: an offer expires ``offer_hours`` after its *latest step*: the buyer's
offer starts the clock, a counter restarts it (the buyer then has the full
time to answer). Accepting holds the item for the buyer at ``agreed_cents``
until ``reserved_until`` (``offer_reserve_hours`` later); only one offer per
listing holds it at a time. Checkout prices the held item at the agreed
price for its buyer and refuses it to others (:mod:`offer_holds`), marks the
offer ``ordered`` with the order's id, and declines every other live offer
on the item once it is sold (:func:`close_for_sold`). The offer timers
(:mod:`marketplace_app.jobs.offer_timers`) expire, lapse, and close offers on
items that were sold, removed or marked sold another way.

Members under a suspension or ban cannot make, counter or accept offers;
declining and withdrawing stay possible (they only let go). A block either way
between buyer and seller stops new offers, counters and acceptances.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace_app.models import Listing, Offer, OfferTransition, User
from marketplace_app.models.offers import OFFER_LIVE
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    carts,
    listings,
    offer_holds,
    purchasable,
)
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.services.offer_steps import (
    BUYER,
    E_ILLEGAL,
    REASON_SOLD,
    REASON_TIME,
    SELLER,
    SYSTEM,
    allowed,
    move,
    tell,
)
from marketplace_app.services.offer_steps import amount_text as _money
from marketplace_app.services.sanctions import require_good_standing
from marketplace_app.settings import settings

# Offers that still claim the item: waiting for an answer, or holding it.
CLAIMING = (*OFFER_LIVE, "accepted")

AMOUNT = "amount"
FORM = "_form"

E_NOT_NEGOTIABLE = "error.offer.not_negotiable"
E_UNAVAILABLE = "error.offer.unavailable"
E_OWN = "error.offer.own"
E_BLOCKED = "error.offer.blocked"
E_BELOW_FLOOR = "error.offer.below_floor"
E_AT_PRICE = "error.offer.at_price"
E_TOO_MANY = "error.offer.too_many"
E_AGREED = "error.offer.already_agreed"
E_COUNTER_RANGE = "error.offer.counter_range"
E_HELD = "error.offer.held_for_other"


def floor_cents(price_cents: int) -> int:
    """The lowest offer for a price: ``offer_floor_pct`` percent of it, rounded up."""
    return -(-int(price_cents) * settings.offer_floor_pct // 100)


def price_now(listing: Listing, now: datetime) -> int:
    """The item's price at ``now`` (its sale price while a sale runs)."""
    return purchasable.listing_price(listing, now)[0]


def _buyable(session: Session, listing: Listing, buyer_id: int, now: datetime) -> None:
    """Refuse an offer move on an item the buyer could not buy (a hold is the offers' own matter).

    Raises:
        ValidationFailed: ``_form``: the buyer's own item, a block between
            them, or an item that is not on sale (sold, paused, out of stock).
    """
    quote = purchasable.quote(session, listing.id, buyer_id=buyer_id, now=now)
    if quote.problem == purchasable.OWN:
        raise ValidationFailed({FORM: E_OWN})
    if quote.problem == purchasable.BLOCKED:
        raise ValidationFailed({FORM: E_BLOCKED})
    if quote.problem not in (None, purchasable.RESERVED):
        raise ValidationFailed({FORM: E_UNAVAILABLE})


def _parse(text: object, field: str) -> int:
    try:
        return listings.parse_amount(text if isinstance(text, str) else "")
    except ValueError as error:
        raise ValidationFailed({field: str(error)}) from None


# --- moving an offer -----------------------------------------------------------------


# --- making an offer -----------------------------------------------------------------


def _claims(session: Session, buyer_id: int, listing_id: int, statuses: tuple[str, ...]) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Offer)
            .where(
                Offer.buyer_id == buyer_id,
                Offer.listing_id == listing_id,
                col(Offer.status).in_(statuses),
            )
        ).one()
    )


def offerable(session: Session, listing_id: object) -> Listing:
    """The listing an offer could concern: absent, draft and removed ones are NotFound."""
    listing = (
        session.get(Listing, listing_id)
        if isinstance(listing_id, int) and not isinstance(listing_id, bool)
        else None
    )
    if listing is None or listing.status in ("draft", "removed") or listing.deleted_at:
        raise NotFound()
    return listing


def make_offer(
    session: Session,
    buyer_id: int,
    listing_id: int,
    amount_text: str,
    *,
    now: datetime | None = None,
) -> Offer:
    """A buyer offers an amount for a negotiable item.

    Args:
        session: a write session.
        buyer_id: the logged-in buyer.
        listing_id: an active, negotiable resident listing of someone else.
        amount_text: the amount as typed (``listings.parse_amount``: "80", "¥80.50").
        now: the moment (defaults to now).

    Returns:
        The new open offer (expires ``offer_hours`` from now).

    Raises:
        NotFound: no such listing (or a draft or removed one).
        Restricted: the buyer is suspended or banned.
        ValidationFailed: ``_form``: not negotiable, not on sale, the buyer's
            own item, a block between them, ``offer_open_max`` offers already
            waiting, or an accepted offer already holding it for the buyer;
            ``amount``: malformed, below the floor (``min``) or not below the
            price (``price``).
    """
    now = now or utcnow()
    require_good_standing(session, buyer_id)
    listing = offerable(session, listing_id)
    if listing.kind != "secondhand" or not listing.negotiable:
        raise ValidationFailed({FORM: E_NOT_NEGOTIABLE})
    _buyable(session, listing, buyer_id, now)
    amount = _parse(amount_text, AMOUNT)
    price = price_now(listing, now)
    floor = floor_cents(price)
    if amount < floor or amount <= 0:
        raise ValidationFailed({AMOUNT: E_BELOW_FLOOR}, min=_money(floor))
    if amount >= price:
        raise ValidationFailed({AMOUNT: E_AT_PRICE}, price=_money(price))
    if _claims(session, buyer_id, listing.id, ("accepted",)):
        raise ValidationFailed({FORM: E_AGREED})
    if _claims(session, buyer_id, listing.id, OFFER_LIVE) >= settings.offer_open_max:
        raise ValidationFailed({FORM: E_TOO_MANY}, max=settings.offer_open_max)
    offer = Offer(
        listing_id=listing.id,
        buyer_id=buyer_id,
        seller_id=listing.seller_id,
        amount_cents=amount,
        status="open",
        expires_at=now + timedelta(hours=settings.offer_hours),
        created_at=now,
        updated_at=now,
    )
    session.add(offer)
    session.flush()
    session.add(
        OfferTransition(
            offer_id=offer.id,
            from_status=None,
            to_status="open",
            actor_id=buyer_id,
            amount_cents=amount,
            at=now,
        )
    )
    buyer = session.get(User, buyer_id)
    tell(
        session,
        offer,
        offer.seller_id,
        "made",
        buyer=buyer.name if buyer else "",
        amount=_money(amount),
    )
    return offer


# --- answering ------------------------------------------------------------------------


def _mine(session: Session, user_id: int, offer_id: object, side: str) -> Offer:
    """The offer, when ``user_id`` is its buyer (or seller); else NotFound, as for absent."""
    offer = (
        session.get(Offer, offer_id)
        if isinstance(offer_id, int) and not isinstance(offer_id, bool)
        else None
    )
    if offer is None:
        raise NotFound()
    owner = offer.buyer_id if side == BUYER else offer.seller_id
    if owner != user_id:
        raise NotFound()
    return offer


def _live_listing(session: Session, offer: Offer, now: datetime) -> Listing:
    """The offer's listing, when it can still be agreed on."""
    listing = session.get(Listing, offer.listing_id)
    if listing is None:
        raise ValidationFailed({FORM: E_UNAVAILABLE})
    _buyable(session, listing, offer.buyer_id, now)
    return listing


def _lock(session: Session, listing_id: int) -> None:
    """Serialize acceptances on one listing (PostgreSQL row lock; SQLite holds the write lock)."""
    session.exec(select(Listing.id).where(Listing.id == listing_id).with_for_update()).first()


def _hold(
    session: Session, offer: Offer, agreed: int, *, actor: str, actor_id: int, now: datetime
) -> None:
    """Accept: hold the item for the offer's buyer, unless another offer holds it."""
    _lock(session, offer.listing_id)
    held = offer_holds.holds(session, [offer.listing_id], now).get(offer.listing_id)
    if held is not None and held.id != offer.id:
        raise ValidationFailed({FORM: E_HELD}, **offer_holds.reserved_params(held, now))
    for stale in session.exec(
        select(Offer).where(
            Offer.listing_id == offer.listing_id,
            Offer.status == "accepted",
            col(Offer.reserved_until) <= now,
        )
    ).all():
        _lapse(session, stale, now)
    until = now + timedelta(hours=settings.offer_reserve_hours)
    move(
        session,
        offer,
        "accepted",
        actor=actor,
        actor_id=actor_id,
        now=now,
        amount=agreed,
        agreed_cents=agreed,
        reserved_until=until,
    )


def _agree(
    session: Session, actor_id: int, offer_id: int, side: str, now: datetime | None
) -> Offer:
    """Accept what the other side put on the table and hold the item at it.

    The seller accepts the offer, the buyer the counter; the item is held at
    that amount, or at the price if the price fell below it meanwhile.
    """
    now = now or utcnow()
    require_good_standing(session, actor_id)
    offer = _mine(session, actor_id, offer_id, side)
    if not allowed(offer.status, "accepted", side):
        raise ServiceError(E_ILLEGAL)
    listing = _live_listing(session, offer, now)
    on_table = offer.amount_cents if side == SELLER else offer.counter_cents
    agreed = min(on_table, price_now(listing, now))
    _hold(session, offer, agreed, actor=side, actor_id=actor_id, now=now)
    other, key = (
        (offer.buyer_id, "accepted") if side == SELLER else (offer.seller_id, "counter_accepted")
    )
    tell(
        session,
        offer,
        other,
        key,
        amount=_money(agreed),
        until=offer_holds.clock(offer.reserved_until, now),
    )
    return offer


def accept(
    session: Session, seller_id: int, offer_id: int, *, now: datetime | None = None
) -> Offer:
    """The seller accepts an open offer: the item is held for the buyer at that price.

    The agreed price is the offer, or the current price if that has since
    dropped below it.

    Args:
        session: a write session.
        seller_id: the logged-in seller.
        offer_id: one of the seller's open offers.
        now: the moment (defaults to now).

    Returns:
        The accepted offer.

    Raises:
        NotFound: absent, or not the caller's as seller.
        Restricted: the seller is suspended or banned.
        ServiceError: ``error.offer.illegal`` when it is not open.
        ValidationFailed: ``_form``: the item is no longer on sale, a block,
            or another accepted offer holds it (``until``).
    """
    return _agree(session, seller_id, offer_id, SELLER, now)


def decline(
    session: Session, seller_id: int, offer_id: int, *, now: datetime | None = None
) -> Offer:
    """The seller declines an open offer.

    Raises:
        NotFound: absent, or not the caller's as seller.
        ServiceError: ``error.offer.illegal`` when it is not open.
    """
    now = now or utcnow()
    offer = _mine(session, seller_id, offer_id, SELLER)
    move(session, offer, "declined", actor=SELLER, actor_id=seller_id, now=now)
    tell(session, offer, offer.buyer_id, "declined", amount=_money(offer.amount_cents))
    return offer


def counter(
    session: Session,
    seller_id: int,
    offer_id: int,
    amount_text: str,
    *,
    now: datetime | None = None,
) -> Offer:
    """The seller answers an open offer with their own price; the buyer's clock restarts.

    Args:
        session: a write session.
        seller_id: the logged-in seller.
        offer_id: one of the seller's open offers.
        amount_text: the counter as typed: above the offer, below the price.
        now: the moment (defaults to now).

    Returns:
        The countered offer (expires ``offer_hours`` from now).

    Raises:
        NotFound: absent, or not the caller's as seller.
        Restricted: the seller is suspended or banned.
        ServiceError: ``error.offer.illegal`` when it is not open.
        ValidationFailed: ``counter``: malformed or out of range (``low``,
            ``high``); ``_form``: no longer on sale, or a block.
    """
    now = now or utcnow()
    require_good_standing(session, seller_id)
    offer = _mine(session, seller_id, offer_id, SELLER)
    if not allowed(offer.status, "countered", SELLER):
        raise ServiceError(E_ILLEGAL)
    listing = _live_listing(session, offer, now)
    amount = _parse(amount_text, "counter")
    price = price_now(listing, now)
    if not offer.amount_cents < amount < price:
        raise ValidationFailed(
            {"counter": E_COUNTER_RANGE},
            low=_money(offer.amount_cents),
            high=_money(price),
        )
    move(
        session,
        offer,
        "countered",
        actor=SELLER,
        actor_id=seller_id,
        now=now,
        amount=amount,
        counter_cents=amount,
        expires_at=now + timedelta(hours=settings.offer_hours),
    )
    tell(
        session,
        offer,
        offer.buyer_id,
        "countered",
        amount=_money(offer.amount_cents),
        counter=_money(amount),
    )
    return offer


def accept_counter(
    session: Session, buyer_id: int, offer_id: int, *, now: datetime | None = None
) -> Offer:
    """The buyer accepts the seller's counter: the item is held for them at that price.

    Raises:
        NotFound: absent, or not the caller's as buyer.
        Restricted: the buyer is suspended or banned.
        ServiceError: ``error.offer.illegal`` when there is no counter to accept.
        ValidationFailed: ``_form``: the item is no longer on sale, a block,
            or another accepted offer holds it (``until``).
    """
    return _agree(session, buyer_id, offer_id, BUYER, now)


def decline_counter(
    session: Session, buyer_id: int, offer_id: int, *, now: datetime | None = None
) -> Offer:
    """The buyer declines the seller's counter (the offer ends).

    Raises:
        NotFound: absent, or not the caller's as buyer.
        ServiceError: ``error.offer.illegal`` when there is no counter.
    """
    now = now or utcnow()
    offer = _mine(session, buyer_id, offer_id, BUYER)
    move(session, offer, "declined", actor=BUYER, actor_id=buyer_id, now=now)
    tell(session, offer, offer.seller_id, "counter_declined", counter=_money(offer.counter_cents))
    return offer


def withdraw(
    session: Session, buyer_id: int, offer_id: int, *, now: datetime | None = None
) -> Offer:
    """The buyer takes back an open offer, or lets go of an item held for them.

    Raises:
        NotFound: absent, or not the caller's as buyer.
        ServiceError: ``error.offer.illegal`` unless open or accepted.
    """
    now = now or utcnow()
    offer = _mine(session, buyer_id, offer_id, BUYER)
    was = offer.status
    move(session, offer, "withdrawn", actor=BUYER, actor_id=buyer_id, now=now)
    key = "released" if was == "accepted" else "withdrawn"
    tell(session, offer, offer.seller_id, key)
    return offer


def buy(session: Session, buyer_id: int, offer_id: int, *, now: datetime | None = None) -> int:
    """Put an item held for the buyer into their cart (checkout prices it as agreed).

    Args:
        session: a write session.
        buyer_id: the logged-in buyer.
        offer_id: the buyer's accepted offer.
        now: the moment (defaults to now).

    Returns:
        Units in the buyer's cart now.

    Raises:
        NotFound: absent, or not the caller's as buyer.
        ServiceError: ``error.offer.illegal`` when it does not hold the item now.
        ValidationFailed: from :func:`carts.add` (e.g. no longer on sale).
    """
    now = now or utcnow()
    offer = _mine(session, buyer_id, offer_id, BUYER)
    if offer.status != "accepted" or offer.reserved_until is None or offer.reserved_until <= now:
        raise ServiceError(E_ILLEGAL)
    return carts.add(session, carts.CartOwner.user(buyer_id), offer.listing_id, now=now).units


# --- checkout and the timers ----------------------------------------------------------


def mark_ordered(
    session: Session, offer_id: int, order_id: int, *, now: datetime | None = None
) -> None:
    """Checkout used an accepted offer: it becomes ``ordered`` with the order's id.

    Called in the checkout's transaction; the seller hears of the order from checkout.

    Args:
        session: the checkout's write session.
        offer_id: the accepted offer the line was priced by.
        order_id: the order created for it.
        now: the moment (defaults to now).

    Raises:
        ServiceError: the offer is no longer accepted (the checkout must not go on).
    """
    now = now or utcnow()
    offer = session.get(Offer, offer_id)
    move(
        session,
        offer,
        "ordered",
        actor=BUYER,
        actor_id=offer.buyer_id,
        now=now,
        order_id=order_id,
    )


def _claiming(session: Session, listing_id: int) -> list[Offer]:
    return list(
        session.exec(
            select(Offer)
            .where(Offer.listing_id == listing_id, col(Offer.status).in_(CLAIMING))
            .order_by(col(Offer.id))
        ).all()
    )


def close_for_sold(
    session: Session, listing_ids: list[int], *, now: datetime | None = None
) -> list[int]:
    """Decline every offer still claiming items that are no longer on sale, with a notice.

    Items count as gone when sold, removed, or out of stock. Checkout calls
    this after taking stock (the offer it used is already ``ordered``); the
    offer timers call it for items marked sold or removed another way.

    Args:
        session: a write session.
        listing_ids: the items to look at.
        now: the moment (defaults to now).

    Returns:
        The ids of the offers declined.
    """
    now = now or utcnow()
    done = []
    for listing_id in sorted(set(listing_ids)):
        listing = session.get(Listing, listing_id)
        if listing is None:
            continue
        session.refresh(listing)
        if purchasable.on_sale(listing):
            continue
        for offer in _claiming(session, listing_id):
            move(
                session,
                offer,
                "declined",
                actor=SYSTEM,
                actor_id=None,
                now=now,
                reason=REASON_SOLD,
            )
            tell(session, offer, offer.buyer_id, "sold")
            done.append(offer.id)
    return done


def due_to_expire(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Open and countered offers past ``expires_at``, oldest deadline first."""
    return list(
        session.exec(
            select(Offer.id)
            .where(col(Offer.status).in_(OFFER_LIVE), Offer.expires_at <= now)
            .order_by(col(Offer.expires_at), col(Offer.id))
            .limit(limit)
        ).all()
    )


def expire(session: Session, offer_id: int, now: datetime) -> bool:
    """Expire one offer past its deadline; both sides are told.

    Returns:
        False when it was no longer due (answered meanwhile, or by another worker).
    """
    offer = session.get(Offer, offer_id)
    if offer is None or offer.status not in OFFER_LIVE or offer.expires_at > now:
        return False
    try:
        move(session, offer, "expired", actor=SYSTEM, actor_id=None, now=now, reason=REASON_TIME)
    except ServiceError:
        return False
    for whom in (offer.buyer_id, offer.seller_id):
        tell(session, offer, whom, "expired")
    return True


def due_to_lapse(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Accepted offers whose hold ran out, oldest first."""
    return list(
        session.exec(
            select(Offer.id)
            .where(Offer.status == "accepted", col(Offer.reserved_until) <= now)
            .order_by(col(Offer.reserved_until), col(Offer.id))
            .limit(limit)
        ).all()
    )


def _lapse(session: Session, offer: Offer, now: datetime) -> None:
    move(session, offer, "lapsed", actor=SYSTEM, actor_id=None, now=now, reason=REASON_TIME)
    for whom in (offer.buyer_id, offer.seller_id):
        tell(session, offer, whom, "lapsed")


def lapse(session: Session, offer_id: int, now: datetime) -> bool:
    """End one hold that ran out without an order; both sides are told.

    Returns:
        False when it was no longer due (ordered meanwhile, or by another worker).
    """
    offer = session.get(Offer, offer_id)
    if (
        offer is None
        or offer.status != "accepted"
        or offer.reserved_until is None
        or offer.reserved_until > now
    ):
        return False
    try:
        _lapse(session, offer, now)
    except ServiceError:
        return False
    return True


def due_to_close(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Items no longer on sale that offers still claim (sold, removed, out of stock)."""
    # The SQL side of purchasable.on_sale (a removed listing is never "active").
    gone = (col(Listing.status) != "active") | (Listing.stock <= 0)
    return list(
        session.exec(
            select(Listing.id)
            .join(Offer, Offer.listing_id == Listing.id)
            .where(col(Offer.status).in_(CLAIMING), gone)
            .group_by(Listing.id)
            .order_by(Listing.id)
            .limit(limit)
        ).all()
    )


def close(session: Session, listing_id: int, now: datetime) -> bool:
    """Decline the offers on one item that is no longer on sale (see :func:`close_for_sold`).

    Paused items keep their offers (the seller may put them back on sale).

    Returns:
        Whether any offer was declined.
    """
    listing = session.get(Listing, listing_id)
    if listing is None or listing.status == "paused":
        return False
    return bool(close_for_sold(session, [listing_id], now=now))
