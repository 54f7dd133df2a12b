"""The sandbox gateway's sessions (sandbox only): one JSON file per checkout session.

The sandbox stands in for an outside payment service so the whole flow runs
here; it is served only when ``SANDBOX_GATEWAY`` is on and it is the configured
gateway. It keeps no table in the market's database: each session is a small
file under ``DATA_DIR/sandbox-gateway/``, written atomically and locked while
a decision is recorded, so several workers share it safely.

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

from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.settings import settings

OPEN, PAID, DECLINED = "open", "paid", "declined"
EVENT_TYPES = {PAID: "payment.succeeded", DECLINED: "payment.failed"}
MAX_AMOUNT_CENTS = 100_000_000
_ID = re.compile(r"cs_[0-9a-f]{32}")
_CURRENCY = re.compile(r"[A-Z]{3}")


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


def _own_url(value: object) -> str:
    """A URL of this market (the sandbox only ever calls back and redirects to it)."""
    if not isinstance(value, str) or len(value) > 500:
        return ""
    return value if value.startswith(settings.public_url + "/") else ""


def _validated(payload: object) -> dict:
    if not isinstance(payload, dict):
        raise ValidationFailed({"_form": "error.validation"})
    errors: dict[str, str] = {}
    reference = payload.get("reference")
    amount = payload.get("amount_cents")
    currency = payload.get("currency")
    if not isinstance(reference, str) or not 0 < len(reference) <= 80:
        errors["reference"] = "error.validation"
    if (
        not isinstance(amount, int)
        or isinstance(amount, bool)
        or not 0 < amount <= MAX_AMOUNT_CENTS
    ):
        errors["amount_cents"] = "error.validation"
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        errors["currency"] = "error.validation"
    return_url, webhook_url = (
        _own_url(payload.get("return_url")),
        _own_url(payload.get("webhook_url")),
    )
    if not return_url:
        errors["return_url"] = "error.validation"
    if not webhook_url:
        errors["webhook_url"] = "error.validation"
    if errors:
        raise ValidationFailed(errors)
    return {
        "reference": reference,
        "amount_cents": amount,
        "currency": currency,
        "return_url": return_url,
        "webhook_url": webhook_url,
    }


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


def create_session(payload: object, idempotency_key: str = "") -> tuple[SandboxSession, bool]:
    """Create a checkout session, or find the one an earlier try with this key made.

    Args:
        payload: the request's JSON: reference, amount_cents, currency,
            return_url and webhook_url (both URLs of this market).
        idempotency_key: the ``Idempotency-Key`` header ("" for none).

    Returns:
        The session, and whether it was created now.

    Raises:
        ValidationFailed: a field is missing or wrong, or the key was used
            before for a different payment.
    """
    fields = _validated(payload)
    session = SandboxSession(
        id=_new_id(idempotency_key[:200]), created_at=int(time.time()), **fields
    )
    path = _path(session.id)
    tmp = path.with_name(f"{session.id}.{secrets.token_hex(4)}.tmp")
    tmp.write_text(json.dumps(asdict(session)), encoding="utf-8")
    try:
        # link() publishes the complete file at once and fails if it exists.
        os.link(tmp, path)
        return session, True
    except FileExistsError:
        existing = _read(path)
    finally:
        tmp.unlink()
    if (existing.reference, existing.amount_cents) != (session.reference, session.amount_cents):
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
