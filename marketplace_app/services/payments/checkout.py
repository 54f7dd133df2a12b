"""How a placed order group gets paid: the provider interface, cash and escrow.

``cash`` has nothing to do at checkout: the orders go straight to fulfilment
and the seller confirms the money at the handover. ``escrow`` sends the buyer
to the hosted-checkout gateway; the money stays in the platform's escrow until
the orders are released or refunded (by the orders service, through the ledger).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import func
from sqlmodel import Session, select

from marketplace_app.db import write_session
from marketplace_app.models import Order, OrderGroup, Payment
from marketplace_app.services.errors import NotFound, ServiceError
from marketplace_app.services.payments.gateway import GatewayClient
from marketplace_app.services.security import new_token
from marketplace_app.settings import settings
from marketplace_app.web import SESSION_COOKIE

ESCROW = "escrow"
CASH = "cash"
WEBHOOK_PATH = "/api/payments/webhook"


class NothingToPay(ServiceError):
    """The group has no escrow order waiting for payment (paid, expired or cancelled)."""

    def __init__(self) -> None:
        super().__init__("error.payment_nothing_due")


def group_url(group_public_id: str) -> str:
    """The buyer's page for an order group (where the gateway sends them back)."""
    return f"/orders/group/{group_public_id}"


class PaymentProvider(Protocol):
    """A way to pay for the orders of one checkout."""

    name: str

    def start(self, group_public_id: str, buyer_id: int, *, buyer_session: str = "") -> str:
        """Begin paying for a placed group; returns where to send the buyer next.

        Args:
            group_public_id: the group's public id.
            buyer_id: the buyer (who must own the group).
            buyer_session: the buyer's login session cookie.

        Returns:
            A URL: the gateway's checkout page, or the group's own page.
        """
        ...


class CashProvider:
    """Pay at the handover: nothing happens at checkout."""

    name = CASH

    def start(self, group_public_id: str, buyer_id: int, *, buyer_session: str = "") -> str:
        """Nothing to pay now; the buyer goes to the group's page.

        Args:
            group_public_id: the group's public id.
            buyer_id: the buyer (unused: the group page checks ownership itself).
            buyer_session: unused.

        Returns:
            The group's page.
        """
        return group_url(group_public_id)


class EscrowProvider:
    """Pay the platform through the hosted-checkout gateway."""

    name = ESCROW

    def start(self, group_public_id: str, buyer_id: int, *, buyer_session: str = "") -> str:
        """Open (or reopen) the gateway checkout for the group's unpaid escrow orders.

        Args:
            group_public_id: the group's public id.
            buyer_id: the buyer, who must own the group.
            buyer_session: the buyer's login session cookie.

        Returns:
            The gateway's checkout URL.
        """
        return begin_escrow_checkout(group_public_id, buyer_id, buyer_session=buyer_session)


PROVIDERS: dict[str, PaymentProvider] = {CASH: CashProvider(), ESCROW: EscrowProvider()}


def provider(name: str) -> PaymentProvider:
    """The provider for an order's ``payment_method``.

    Args:
        name: "cash" or "escrow".

    Returns:
        The provider.

    Raises:
        KeyError: for an unknown method.
    """
    return PROVIDERS[name]


def gateway_client(buyer_session: str = "") -> GatewayClient:
    """A gateway client for the configured ``PAYMENT_GATEWAY_URL``.

    Args:
        buyer_session: the buyer's login session cookie. Sent only to this
            app's own sandbox gateway, which makes sessions for the logged-in
            buyer alone; never to an outside gateway.

    Returns:
        The client.
    """
    if settings.serves_sandbox_gateway and buyer_session:
        cookie = {"Cookie": f"{SESSION_COOKIE}={buyer_session}"}
        return GatewayClient(settings.payment_gateway_url, headers=cookie)
    return GatewayClient(settings.payment_gateway_url)


def amount_due(session: Session, group_id: int) -> int:
    """What a group owes now: the total of its escrow orders waiting for payment.

    Args:
        session: a database session.
        group_id: the group's database id.

    Returns:
        The amount in minor units (0 when nothing is due).
    """
    total = session.exec(
        select(func.coalesce(func.sum(Order.total_cents), 0)).where(
            Order.group_id == group_id,
            Order.payment_method == ESCROW,
            Order.status == "pending_payment",
        )
    ).one()
    return int(total)


def open_payment(session: Session, group_public_id: str, buyer_id: int) -> Payment:
    """Find or create the group's open escrow payment (in the caller's write transaction).

    Args:
        session: a write session.
        group_public_id: the order group's public id.
        buyer_id: the buyer, who must own the group.

    Returns:
        The payment waiting at the gateway for the group's unpaid escrow orders.

    Raises:
        NotFound: no such group, or not this buyer's.
        NothingToPay: nothing of the group is waiting for payment.
    """
    group = session.exec(
        select(OrderGroup)
        .where(OrderGroup.public_id == group_public_id, OrderGroup.buyer_id == buyer_id)
        .with_for_update()
    ).first()
    if group is None:
        raise NotFound()
    due = amount_due(session, group.id)
    current = session.exec(
        select(Payment)
        .where(
            Payment.group_id == group.id,
            Payment.provider == ESCROW,
            Payment.status == "created",
        )
        .order_by(Payment.id.desc())
    ).first()
    if current is not None and current.amount_cents == due:
        return current
    if current is not None:
        # An order was cancelled or expired since: this session asks for the wrong sum.
        current.status = "expired"
        session.add(current)
    if due <= 0:
        raise NothingToPay()
    payment = Payment(
        group_id=group.id,
        provider=ESCROW,
        status="created",
        amount_cents=due,
        gateway_ref=f"pay_{new_token(18)}",
    )
    session.add(payment)
    session.flush()
    return payment


def _store_url(session: Session, payment_id: int, checkout_url: str) -> str:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound()
    if not payment.checkout_url:
        payment.checkout_url = checkout_url
        session.add(payment)
    return payment.checkout_url


def begin_escrow_checkout(
    group_public_id: str,
    buyer_id: int,
    *,
    buyer_session: str = "",
    client: GatewayClient | None = None,
) -> str:
    """Start paying a group's escrow orders at the gateway; safe to call again.

    The Payment row is committed before the gateway is called and the checkout
    URL stored after it, each in its own short write transaction, so the write
    lock is never held during HTTP. A second call for a group with an open
    payment answers the same checkout URL; if the first call's HTTP failed, it
    asks the gateway again with the same reference (the idempotency key).

    Args:
        group_public_id: the group's public id.
        buyer_id: the buyer, who must own the group.
        buyer_session: the buyer's login session cookie (for the sandbox
            gateway; see :func:`gateway_client`).
        client: the gateway client; one for ``PAYMENT_GATEWAY_URL`` when omitted.

    Returns:
        The gateway's checkout URL to send the buyer to.

    Raises:
        NotFound: no such group, or not this buyer's.
        NothingToPay: no escrow order of the group is waiting for payment.
        GatewayUnavailable: the gateway could not create the session.
    """
    public_id = str(group_public_id)[:24]
    with write_session() as session:
        payment = open_payment(session, public_id, int(buyer_id))
        if payment.checkout_url:
            return payment.checkout_url
        payment_id, reference, amount = payment.id, payment.gateway_ref, payment.amount_cents
    gateway = client or gateway_client(buyer_session)
    created = gateway.create_session(
        reference=reference,
        amount_cents=amount,
        currency=settings.currency,
        return_url=settings.public_url + group_url(public_id),
        webhook_url=settings.public_url + WEBHOOK_PATH,
    )
    with write_session() as session:
        return _store_url(session, payment_id, created.checkout_url)
