"""The sandbox gateway's sessions (sandbox only): one JSON file per checkout session.

The sandbox stands in for an outside payment service so the whole flow runs
here; it is served only when ``SANDBOX_GATEWAY`` is on and it is the configured
gateway (never in production). Each session is a small file under
``DATA_DIR/sandbox-gateway/``, written atomically and locked while a decision
is recorded, so several workers share it safely.

Unlike a real gateway it lives inside the market, so it trusts nothing in the
request but the payment reference: a session is made only for the logged-in
buyer of that order group (the market forwards the buyer's session cookie),
for the amount the group owes now, with the market's own return and webhook
URLs. Files older than :data:`SESSION_MAX_AGE_S` are pruned whenever a new
session is made: that bounds the folder by a day of sessions, runs only where
the sandbox is used, and needs no job of its own (an unpaid order expires in
minutes, so a day-old session is never needed).

A session's id is derived from the request's idempotency key, so a retried
create finds the session it already made instead of making a second one.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sqlmodel import Session, select

from marketplace_app.models import OrderGroup, Payment
from marketplace_app.services import auth_sessions
from marketplace_app.services.errors import LoginRequired, NotFound, ValidationFailed
from marketplace_app.services.payments.checkout import ESCROW, WEBHOOK_PATH, amount_due, group_url
from marketplace_app.settings import settings

OPEN, PAID, DECLINED = "open", "paid", "declined"
EVENT_TYPES = {PAID: "payment.succeeded", DECLINED: "payment.failed"}
SESSION_MAX_AGE_S = 24 * 3600
_ID = re.compile(r"cs_[0-9a-f]{32}")


@dataclass(frozen=True)
class SandboxSession:
    """One checkout session of the sandbox gateway."""

    id: str
    reference: str
    amount_cents: int
    currency: str
    return_url: str
    webhook_url: str
    status: str = OPEN
    event_id: str = ""
    created_at: int = 0


def _dir() -> Path:
    path = settings.data_dir / "sandbox-gateway"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _path(session_id: str) -> Path:
    if not _ID.fullmatch(session_id):
        raise NotFound()
    return _dir() / f"{session_id}.json"


def _reference(payload: object) -> str:
    reference = payload.get("reference") if isinstance(payload, dict) else None
    if not isinstance(reference, str) or not 0 < len(reference) <= 80:
        raise ValidationFailed({"reference": "error.validation"})
    return reference


def _what_is_owed(session: Session, buyer_token: str | None, reference: str) -> dict:
    """The session's fields, all from the market's own records.

    Raises:
        LoginRequired: nobody is logged in.
        NotFound: no open escrow payment with this reference for this buyer,
            or the group no longer owes that amount.
    """
    found = auth_sessions.session_user(session, buyer_token)
    if found is None:
        raise LoginRequired()
    buyer = found[0]
    row = session.exec(
        select(Payment, OrderGroup)
        .join(OrderGroup, OrderGroup.id == Payment.group_id)
        .where(
            Payment.gateway_ref == reference,
            Payment.provider == ESCROW,
            Payment.status == "created",
            OrderGroup.buyer_id == buyer.id,
        )
    ).first()
    if row is None:
        raise NotFound()
    payment, group = row
    due = amount_due(session, group.id)
    if due <= 0 or due != payment.amount_cents:
        raise NotFound()
    return {
        "reference": reference,
        "amount_cents": due,
        "currency": settings.currency,
        "return_url": settings.public_url + group_url(group.public_id),
        "webhook_url": settings.public_url + WEBHOOK_PATH,
    }


def prune(max_age_s: int = SESSION_MAX_AGE_S, *, now: float | None = None) -> int:
    """Delete session files (and stray temporary files) not touched for ``max_age_s``.

    Args:
        max_age_s: the age, by modification time, after which a file goes.
        now: unix seconds to measure from; the clock when omitted.

    Returns:
        How many files were deleted.
    """
    cutoff = (time.time() if now is None else now) - max_age_s
    deleted = 0
    with os.scandir(_dir()) as entries:
        for entry in entries:
            try:
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    deleted += 1
            except FileNotFoundError:  # another worker pruned it first
                continue
    return deleted


def _new_id(idempotency_key: str) -> str:
    if not idempotency_key:
        return "cs_" + secrets.token_hex(16)
    key = settings.payment_webhook_secret.encode("utf-8")
    digest = hmac.new(key, b"sandbox-session:" + idempotency_key.encode("utf-8"), hashlib.sha256)
    return "cs_" + digest.hexdigest()[:32]


def _read(path: Path) -> SandboxSession:
    with path.open(encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_SH)
        return SandboxSession(**json.loads(fh.read()))


def create_session(
    session: Session, buyer_token: str | None, payload: object, idempotency_key: str = ""
) -> tuple[SandboxSession, bool]:
    """Create a checkout session for the caller's own open payment, or find it again.

    Only the payment reference is read from ``payload``; the amount, currency
    and URLs come from the order group and the settings. Nothing is written
    unless every check passes.

    Args:
        session: a database session (only read).
        buyer_token: the caller's login session cookie (the market forwards
            its buyer's).
        payload: the request's JSON; its ``reference`` names the payment.
        idempotency_key: the ``Idempotency-Key`` header ("" for none).

    Returns:
        The session, and whether it was created now.

    Raises:
        LoginRequired: nobody is logged in.
        NotFound: no open escrow payment of the caller's with that reference.
        ValidationFailed: no reference, or the key was used before for a
            different payment.
    """
    fields = _what_is_owed(session, buyer_token, _reference(payload))
    created = SandboxSession(
        id=_new_id(idempotency_key[:200]), created_at=int(time.time()), **fields
    )
    path = _path(created.id)
    prune()
    tmp = path.with_name(f"{created.id}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(asdict(created)), encoding="utf-8")
    try:
        # link() publishes the complete file at once and fails if it exists.
        os.link(tmp, path)
        return created, True
    except FileExistsError:
        existing = _read(path)
    finally:
        tmp.unlink()
    if (existing.reference, existing.amount_cents) != (created.reference, created.amount_cents):
        raise ValidationFailed({"_form": "error.validation"})
    return existing, False


def get_session(session_id: str) -> SandboxSession:
    """A session by id.

    Raises:
        NotFound: no such session (or not an id at all).
    """
    path = _path(session_id)
    try:
        return _read(path)
    except (FileNotFoundError, ValueError, TypeError) as exc:
        raise NotFound() from exc


def decide(session_id: str, outcome: str) -> SandboxSession:
    """Record the buyer's choice; the first one sticks and later ones return it.

    Args:
        session_id: the session.
        outcome: PAID or DECLINED.

    Returns:
        The session with its status and the id of the event that tells the market.

    Raises:
        NotFound: no such session.
        ValueError: an unknown outcome.
    """
    if outcome not in EVENT_TYPES:
        raise ValueError(f"unknown outcome {outcome!r}")
    path = _path(session_id)
    try:
        fh = path.open("r+", encoding="utf-8")
    except FileNotFoundError as exc:
        raise NotFound() from exc
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        current = SandboxSession(**json.loads(fh.read()))
        if current.status != OPEN:
            return current
        decided = replace(current, status=outcome, event_id="evt_" + secrets.token_hex(12))
        # Rewritten in place under the lock: a waiting writer then reads the decision.
        fh.seek(0)
        fh.write(json.dumps(asdict(decided)))
        fh.truncate()
        fh.flush()
        os.fsync(fh.fileno())
        return decided


def event_body(session: SandboxSession) -> bytes:
    """The webhook body announcing a decided session's outcome.

    Args:
        session: a paid or declined session.

    Returns:
        Compact JSON bytes (the exact bytes that are signed and sent).
    """
    return json.dumps(
        {
            "id": session.event_id,
            "type": EVENT_TYPES[session.status],
            "session_id": session.id,
            "reference": session.reference,
            "amount_cents": session.amount_cents,
        },
        separators=(",", ":"),
    ).encode("utf-8")
