"""The hosted-checkout gateway seen from the market: sessions over HTTP, signed webhooks.

The gateway speaks a small JSON protocol:

- ``POST {PAYMENT_GATEWAY_URL}/api/sessions`` with ``{reference, amount_cents,
  currency, return_url, webhook_url}`` and an ``Idempotency-Key`` header answers
  ``{id, checkout_url}``. The same key always names the same session, so a
  retried request never creates (or charges) twice.
- It later posts a webhook whose ``X-Signature`` header is
  ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` keyed with
  ``PAYMENT_WEBHOOK_SECRET``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from marketplace_app.services.errors import ServiceError

SIGNATURE_HEADER = "X-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Webhooks signed longer ago (or further ahead) than this are refused as replays.
SIGNATURE_TOLERANCE_S = 300
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class GatewayUnavailable(ServiceError):
    """The gateway could not be reached or refused the session; nothing was charged."""

    def __init__(self) -> None:
        super().__init__("error.payment_gateway")


@dataclass(frozen=True)
class GatewaySession:
    """A checkout session the gateway created."""

    id: str
    checkout_url: str


def signature_header(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``X-Signature`` value for a webhook body.

    Args:
        body: the exact bytes sent.
        secret: the shared webhook secret.
        timestamp: unix seconds; now when omitted.

    Returns:
        ``"t=<unix>,v1=<hex>"``.
    """
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_mac(secret, t, body)}"


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    header: str | None,
    body: bytes,
    secret: str,
    *,
    now: float | None = None,
    tolerance_s: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """Whether a webhook's signature header is valid and fresh.

    Every ``v1`` value in the header is compared in constant time (several
    allow a secret to be rotated). A timestamp further than ``tolerance_s``
    from now, in either direction, is refused.

    Args:
        header: the ``X-Signature`` header (None when missing).
        body: the raw request body.
        secret: the shared webhook secret.
        now: unix seconds to judge freshness by; the clock when omitted.
        tolerance_s: allowed age of the signature.

    Returns:
        True only for a well-formed, matching and fresh signature.
    """
    if not header or not secret or len(header) > 1000:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if not value.isdigit() or timestamp is not None:
                return False
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        return False
    expected = _mac(secret, timestamp, body)
    matched = False
    for candidate in candidates:
        # compare_digest on ASCII bytes: no early exit on the first differing character.
        matched |= hmac.compare_digest(
            expected.encode("ascii"), candidate.encode("ascii", errors="replace")
        )
    return matched


def _is_web_url(value: object) -> bool:
    if not isinstance(value, str) or len(value) > 500:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class GatewayClient:
    """Creates checkout sessions at the gateway over HTTP, with timeouts and retries.

    Connection failures, timeouts, 429 and 5xx answers are retried with
    exponential backoff; every attempt carries the same idempotency key, so the
    gateway answers a retry with the session it already created.

    Args:
        base_url: the gateway's base URL (``settings.payment_gateway_url``).
        connect_timeout_s: time allowed to open a connection.
        read_timeout_s: time allowed for each read of the answer.
        attempts: tries in all (at least 1).
        backoff_s: the wait before the first retry; doubled for each further one.
        transport: an httpx transport (for example to route through a proxy).
        headers: extra headers sent with every request.
    """

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 0.3,
        transport: httpx.BaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.transport = transport
        self.headers = dict(headers or {})

    def create_session(
        self,
        *,
        reference: str,
        amount_cents: int,
        currency: str,
        return_url: str,
        webhook_url: str,
    ) -> GatewaySession:
        """Create (or, for a repeated reference, fetch again) a checkout session.

        Args:
            reference: the market's payment reference; also the idempotency key.
            amount_cents: the amount to charge, in minor units.
            currency: ISO currency code.
            return_url: where the gateway sends the buyer afterwards.
            webhook_url: where the gateway posts the signed outcome.

        Returns:
            The session's id and the URL to send the buyer to.

        Raises:
            GatewayUnavailable: after the last failed attempt, or on an answer
                that is not a valid session.
        """
        payload = {
            "reference": reference,
            "amount_cents": int(amount_cents),
            "currency": currency,
            "return_url": return_url,
            "webhook_url": webhook_url,
        }
        headers = {**self.headers, IDEMPOTENCY_HEADER: reference, "Accept": "application/json"}
        url = f"{self.base_url}/api/sessions"
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            for attempt in range(self.attempts):
                if attempt:
                    time.sleep(self.backoff_s * 2 ** (attempt - 1))
                try:
                    response = client.post(url, json=payload, headers=headers)
                except httpx.TransportError:
                    continue
                if response.status_code in RETRY_STATUSES:
                    continue
                if response.status_code not in (200, 201):
                    raise GatewayUnavailable()
                return _session_from(response)
        raise GatewayUnavailable()


def _session_from(response: httpx.Response) -> GatewaySession:
    try:
        data = response.json()
    except ValueError as exc:
        raise GatewayUnavailable() from exc
    if not isinstance(data, dict):
        raise GatewayUnavailable()
    session_id, url = data.get("id"), data.get("checkout_url")
    if not isinstance(session_id, str) or not session_id or not _is_web_url(url):
        raise GatewayUnavailable()
    return GatewaySession(id=session_id[:80], checkout_url=url)
