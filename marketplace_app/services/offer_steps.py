"""The offer state machine: which status may follow which, the one way to move an offer.

Steps (:data:`TRANSITIONS`: which status may follow which, and who may cause
it)::

    (new) --buyer makes it--> open
    open      --seller--> accepted | declined | countered;  --buyer--> withdrawn
    countered --buyer--> accepted (the counter) | declined
    open, countered --system--> expired (``expires_at`` passed) | declined (item sold)
    accepted  --buyer--> ordered (checkout used it) | withdrawn (lets the item go)
    accepted  --system--> lapsed (``reserved_until`` passed) | declined (item sold)
    ordered   --system--> accepted | lapsed (its order was cancelled; see below)

Every change goes through :func:`move`: a status-conditional UPDATE (two tabs
or workers never both move an offer), an :class:`OfferTransition` row (from,
to, actor, amount, reason) and, through :func:`tell`, a notice to the other
side (in-app and email). Illegal moves raise ``error.offer.illegal``.

An order bought with an accepted offer can be cancelled (by the buyer, the
seller, or the system when it is never paid or never handed over).
:func:`after_order_cancelled` then decides the offer's fate: while its hold
(``reserved_until``, ``offer_reserve_hours`` after acceptance) lasts and the
item is on sale again, it is ``accepted`` again and the buyer may buy at the
agreed price as before; otherwise it ends (``lapsed``, reason
``order_cancelled``). The buyer is told either way.

The making and answering of offers lives in
:mod:`marketplace_app.services.offers`; this module imports no other business
module but notices and blocks, so :mod:`orders` can call it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from marketplace_app.i18n.formatting import money
from marketplace_app.models import Listing, Offer, OfferTransition
from marketplace_app.services import inbox, offer_holds, purchasable
from marketplace_app.services.errors import ServiceError
from marketplace_app.settings import settings

BUYER, SELLER, SYSTEM = "buyer", "seller", "system"

# from status (None: a new offer) -> {to status: who may make that move}
TRANSITIONS: dict[str | None, dict[str, frozenset[str]]] = {
    None: {"open": frozenset({BUYER})},
    "open": {
        "accepted": frozenset({SELLER}),
        "countered": frozenset({SELLER}),
        "declined": frozenset({SELLER, SYSTEM}),
        "withdrawn": frozenset({BUYER}),
        "expired": frozenset({SYSTEM}),
    },
    "countered": {
        "accepted": frozenset({BUYER}),
        "declined": frozenset({BUYER, SYSTEM}),
        "expired": frozenset({SYSTEM}),
    },
    "accepted": {
        "ordered": frozenset({BUYER}),
        "withdrawn": frozenset({BUYER}),
        "lapsed": frozenset({SYSTEM}),
        "declined": frozenset({SYSTEM}),
    },
    "ordered": {
        "accepted": frozenset({SYSTEM}),
        "lapsed": frozenset({SYSTEM}),
    },
}
# Reasons the system writes into the log.
REASON_SOLD = "sold"
REASON_TIME = "time"
REASON_ORDER_CANCELLED = "order_cancelled"

E_ILLEGAL = "error.offer.illegal"
E_CHANGED = "error.offer.changed"


def allowed(from_status: str | None, to_status: str, actor: str) -> bool:
    """Whether ``actor`` may move an offer from one status to another.

    Args:
        from_status: the current status (None for a new offer).
        to_status: the wanted status.
        actor: "buyer", "seller" or "system".

    Returns:
        True when :data:`TRANSITIONS` allows it.
    """
    return actor in TRANSITIONS.get(from_status, {}).get(to_status, frozenset())


def link(tab: str = "made") -> str:
    """The app path of the offers page on one tab ("made" or "received")."""
    return f"/offers?tab={tab}"


def amount_text(cents: int | None) -> str:
    """An amount as notices show it (in the market's default language)."""
    return money(cents or 0, settings.default_locale)


def move(
    session: Session,
    offer: Offer,
    to: str,
    *,
    actor: str,
    actor_id: int | None,
    now: datetime,
    amount: int | None = None,
    reason: str = "",
    **values: object,
) -> None:
    """Change an offer's status, if the table allows it and nobody changed it meanwhile.

    Args:
        session: a write session.
        offer: the offer (refreshed afterwards).
        to: the new status.
        actor: "buyer", "seller" or "system".
        actor_id: the member acting (None for the system).
        now: the moment.
        amount: the amount this step names (for the log).
        reason: why (for the log; the system's reasons are the ``REASON_*`` words).
        **values: other columns to set with the status.

    Raises:
        ServiceError: ``error.offer.illegal`` when the table does not allow
            it, ``error.offer.changed`` when it moved meanwhile.
    """
    frm = offer.status
    if not allowed(frm, to, actor):
        raise ServiceError(E_ILLEGAL)
    result = session.exec(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == frm)
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ServiceError(E_CHANGED)
    session.add(
        OfferTransition(
            offer_id=offer.id,
            from_status=frm,
            to_status=to,
            actor_id=actor_id,
            amount_cents=amount,
            reason=reason[:200],
            at=now,
        )
    )
    session.flush()
    session.refresh(offer)


def tell(session: Session, offer: Offer, whom: int, key: str, **params: object) -> None:
    """Send one side of an offer the notice ``inbox.offer.<key>`` (with the item's title).

    Args:
        session: a write session.
        offer: the offer.
        whom: its buyer or its seller.
        key: the notice's last key part.
        **params: the notice's other values.
    """
    listing = session.get(Listing, offer.listing_id)
    tab = "made" if whom == offer.buyer_id else "received"
    words = {"title": listing.title if listing else "", **params}
    inbox.notify(session, whom, f"inbox.offer.{key}", words, link(tab))


def _buyable_again(session: Session, offer: Offer, now: datetime) -> bool:
    """Whether the offer's hold still lasts and its buyer could buy the item again."""
    if offer.reserved_until is None or offer.reserved_until <= now:
        return False
    quote = purchasable.quote(session, offer.listing_id, buyer_id=offer.buyer_id, now=now)
    return quote is not None and quote.ok


def after_order_cancelled(session: Session, order_id: int, *, now: datetime) -> list[int]:
    """Give the offers a cancelled order was bought with back to their buyer, or end them.

    Called in the transaction that cancels the order, after its stock went
    back. An offer whose hold still lasts, on an item on sale again (and no
    block between the two), is ``accepted`` again: it holds the item for its
    buyer at the agreed price until its ``reserved_until``, as before the
    order. Any other ends: ``lapsed`` with reason ``order_cancelled``. The
    buyer is told either way.

    Args:
        session: the cancelling write session.
        order_id: the cancelled order.
        now: the moment of the cancellation.

    Returns:
        The ids of the offers moved.
    """
    moved = []
    for offer in session.exec(
        select(Offer)
        .where(Offer.order_id == order_id, Offer.status == "ordered")
        .order_by(col(Offer.id))
    ).all():
        if _buyable_again(session, offer, now):
            move(
                session,
                offer,
                "accepted",
                actor=SYSTEM,
                actor_id=None,
                now=now,
                amount=offer.agreed_cents,
                reason=REASON_ORDER_CANCELLED,
                order_id=None,
            )
            tell(
                session,
                offer,
                offer.buyer_id,
                "order_cancelled_held",
                amount=amount_text(offer.agreed_cents),
                until=offer_holds.clock(offer.reserved_until, now),
            )
        else:
            move(
                session,
                offer,
                "lapsed",
                actor=SYSTEM,
                actor_id=None,
                now=now,
                reason=REASON_ORDER_CANCELLED,
            )
            tell(session, offer, offer.buyer_id, "order_cancelled_ended")
        moved.append(offer.id)
    return moved
