"""Gateway webhooks: parse, then record and apply each event exactly once.

A verified ``payment.succeeded`` marks the Payment paid and moves the group's
escrow orders to paid (``orders.mark_group_paid``, which posts the ledger's
payment transactions), all in the caller's one write transaction together with
the :class:`PaymentEvent` row. ``payment.failed`` marks the Payment failed and
leaves the orders alone: unpaid, they expire. A repeated delivery finds its
event id already recorded and changes nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace_app.models import Payment, PaymentEvent
from marketplace_app.models.types import utcnow
from marketplace_app.services import orders
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed

log = logging.getLogger(__name__)

SUCCEEDED = "payment.succeeded"
FAILED = "payment.failed"
EVENT_TYPES = (SUCCEEDED, FAILED)
MAX_BODY_BYTES = 16 * 1024


class AmountMismatch(ServiceError):
    """The event's amount is not the Payment's: refused, nothing recorded."""

    def __init__(self) -> None:
        super().__init__("error.payment_amount_mismatch")


@dataclass(frozen=True)
class WebhookEvent:
    """A gateway event, as parsed from a verified body."""

    id: str
    type: str
    reference: str
    session_id: str
    amount_cents: int


@dataclass(frozen=True)
class WebhookResult:
    """What handling an event did."""

    duplicate: bool
    payment_status: str
    order_numbers: tuple[str, ...] = ()


def _text(data: dict, key: str, limit: int) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed({key: "error.validation"})
    return value


def parse_event(body: bytes) -> WebhookEvent:
    """Read a webhook body (call only after its signature was verified).

    Args:
        body: the raw JSON body.

    Returns:
        The event.

    Raises:
        ValidationFailed: not JSON, a field missing or of the wrong type, or
            an event type this market does not know.
    """
    if len(body) > MAX_BODY_BYTES:
        raise ValidationFailed({"_form": "error.validation"})
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed({"_form": "error.validation"}) from exc
    if not isinstance(data, dict):
        raise ValidationFailed({"_form": "error.validation"})
    event_id = _text(data, "id", 80)
    event_type = _text(data, "type", 40)
    reference = _text(data, "reference", 80)
    session_id = _text(data, "session_id", 80)
    amount = data.get("amount_cents")
    if not event_id:
        raise ValidationFailed({"id": "error.validation"})
    if event_type not in EVENT_TYPES:
        raise ValidationFailed({"type": "error.validation"})
    if not reference:
        raise ValidationFailed({"reference": "error.validation"})
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ValidationFailed({"amount_cents": "error.validation"})
    return WebhookEvent(event_id, event_type, reference, session_id, amount)


def handle_event(
    session: Session, event: WebhookEvent, *, now: datetime | None = None
) -> WebhookResult:
    """Record and apply one verified event, in the caller's write transaction.

    Args:
        session: a write session (``write_session()``: one transaction).
        event: the parsed event.
        now: when it arrived (defaults to now).

    Returns:
        Whether it was a repeat, the Payment's status after it and the
        numbers of the orders it moved to paid.

    Raises:
        NotFound: no Payment has the event's reference.
        AmountMismatch: the amount differs from the Payment's.
    """
    seen = session.exec(select(PaymentEvent.id).where(PaymentEvent.event_id == event.id)).first()
    payment = session.exec(select(Payment).where(Payment.gateway_ref == event.reference)).first()
    if payment is None:
        raise NotFound()
    if seen is not None:
        return WebhookResult(duplicate=True, payment_status=payment.status)
    if event.amount_cents != payment.amount_cents:
        raise AmountMismatch()
    session.add(PaymentEvent(event_id=event.id, payment_id=payment.id, type=event.type))
    try:
        session.flush()
    except IntegrityError:
        # A concurrent delivery of the same event won the UNIQUE(event_id) race
        # (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialised the two).
        session.rollback()
        return WebhookResult(duplicate=True, payment_status=payment.status)
    if event.type == FAILED:
        if payment.status == "created":
            payment.status = "failed"
            session.add(payment)
        return WebhookResult(duplicate=False, payment_status=payment.status)
    if payment.status == "paid":
        return WebhookResult(duplicate=False, payment_status="paid")
    now = now or utcnow()
    payment.status = "paid"
    payment.paid_at = now
    session.add(payment)
    session.flush()
    numbers = orders.mark_group_paid(session, payment.group_id, payment.id, now=now)
    if not numbers:
        # Every order had closed (expired, cancelled): mark_group_paid sent the
        # money straight back, so the payment reads as refunded, not paid.
        log.warning(
            "payment %s succeeded but no order of group %s was waiting for it; refunded",
            payment.id,
            payment.group_id,
        )
        payment.status = "refunded"
        session.add(payment)
    return WebhookResult(
        duplicate=False, payment_status=payment.status, order_numbers=tuple(numbers)
    )
