"""Payment routes: the gateway webhook, the pay link, the statement CSV and the sandbox gateway.

- ``POST /api/payments/webhook``: the gateway's signed event. Refused (400)
  without a valid, fresh signature; a repeated event is answered 200 and
  changes nothing.
- ``GET /api/payments/pay/{group}``: sends the logged-in buyer to the gateway
  checkout for the group's unpaid escrow orders (a plain link for "Pay now").
- ``GET /api/payments/statements.csv``: the logged-in seller's statement.
- ``/sandbox-gateway/...`` (only when the sandbox is on and is the configured
  gateway, never in production): a stand-in hosted checkout with a Pay /
  Decline page that sends the signed webhook with httpx, so the whole flow
  runs end to end here. Its session API serves only the logged-in buyer of
  the order (the market forwards the buyer's session cookie).

Reflex serves the frontend and this API on one port, so the sandbox posting
the webhook to its own app must not block the event loop: the pay route is
async and uses ``httpx.AsyncClient``; database work goes to worker threads.
"""

from __future__ import annotations

import asyncio
import html
import logging
from urllib.parse import quote, urlencode

import httpx
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from marketplace_app.db import read_session, write_session
from marketplace_app.i18n import normalize_locale, translate
from marketplace_app.i18n.formatting import money
from marketplace_app.services import auth_sessions
from marketplace_app.services.errors import LoginRequired, NotFound, ValidationFailed
from marketplace_app.services.payments import checkout, gateway, sandbox, statements, webhooks
from marketplace_app.settings import SANDBOX_GATEWAY_PATH, settings
from marketplace_app.web import LOCALE_COOKIE, SESSION_COOKIE

log = logging.getLogger(__name__)

SANDBOX_PREFIX = SANDBOX_GATEWAY_PATH
WEBHOOK_ATTEMPTS = 3
WEBHOOK_TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def _locale(request: Request, user_locale: str | None = None) -> str:
    chosen = request.cookies.get(LOCALE_COOKIE) or user_locale
    return normalize_locale(chosen, settings.default_locale)


def _user(token: str | None):
    with read_session() as session:
        return auth_sessions.user_for_session(session, token)


# --- webhook -----------------------------------------------------------------


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _apply(event: webhooks.WebhookEvent) -> webhooks.WebhookResult:
    with write_session() as session:
        return webhooks.handle_event(session, event)


async def webhook(request: Request) -> Response:
    """Verify, record and apply one gateway event."""
    body = await _read_limited(request, webhooks.MAX_BODY_BYTES)
    if body is None:
        return JSONResponse({"ok": False, "error": "size"}, status_code=413)
    if not gateway.verify_signature(
        request.headers.get(gateway.SIGNATURE_HEADER), body, settings.payment_webhook_secret
    ):
        return JSONResponse({"ok": False, "error": "signature"}, status_code=400)
    try:
        event = webhooks.parse_event(body)
        result = await asyncio.to_thread(_apply, event)
    except ValidationFailed:
        return JSONResponse({"ok": False, "error": "invalid"}, status_code=400)
    except NotFound:
        return JSONResponse({"ok": False, "error": "unknown_reference"}, status_code=404)
    except webhooks.AmountMismatch:
        log.warning("webhook %s: amount does not match payment %s", event.id, event.reference)
        return JSONResponse({"ok": False, "error": "amount_mismatch"}, status_code=409)
    return JSONResponse(
        {
            "ok": True,
            "duplicate": result.duplicate,
            "payment_status": result.payment_status,
            "orders": list(result.order_numbers),
        }
    )


# --- pay link and statement CSV (for the logged-in user) ----------------------------


def _message_page(locale: str, title_key: str, text_key: str, href: str, status: int) -> Response:
    esc = html.escape
    body = (
        f"<h1>{esc(translate(locale, title_key))}</h1>"
        f"<p>{esc(translate(locale, text_key))}</p>"
        f'<p><a class="button" href="{esc(href)}">{esc(translate(locale, "payments.back"))}</a></p>'
    )
    return _html(_document(locale, translate(locale, title_key), body), status)


async def pay_group(request: Request) -> Response:
    """Send the buyer to the gateway checkout of one of their order groups."""
    public_id = request.path_params["group_id"][:24]
    back = checkout.group_url(quote(public_id, safe=""))
    # A link from another site must not start a checkout in the buyer's name.
    if request.headers.get("sec-fetch-site", "same-origin") == "cross-site":
        return Response(status_code=403)
    token = request.cookies.get(SESSION_COOKIE)
    user = await asyncio.to_thread(_user, token)
    if user is None:
        return RedirectResponse("/login?" + urlencode({"next": back}), status_code=303)
    locale = _locale(request, user.locale)
    try:
        url = await asyncio.to_thread(
            checkout.begin_escrow_checkout, public_id, user.id, buyer_session=token or ""
        )
    except NotFound:
        return _message_page(locale, "payments.not_found", "error.not_found", "/", 404)
    except checkout.NothingToPay:
        return RedirectResponse(back, status_code=303)
    except gateway.GatewayUnavailable:
        return _message_page(
            locale, "payments.unavailable_title", "error.payment_gateway", back, 503
        )
    return RedirectResponse(url, status_code=303)


def _statement_csv(user_id: int, locale: str) -> str:
    with read_session() as session:
        lines = statements.statements(session, user_id, limit=statements.CSV_LIMIT)
    headers = {key: translate(locale, f"balance.csv.{key}") for key in statements.CSV_COLUMNS}
    return statements.csv_text(
        lines,
        headers=headers,
        status_label=lambda line: translate(locale, statements.status_key(line)),
    )


async def statement_csv(request: Request) -> Response:
    """The logged-in seller's statement as a CSV download."""
    user = await asyncio.to_thread(_user, request.cookies.get(SESSION_COOKIE))
    if user is None:
        return JSONResponse({"ok": False}, status_code=401)
    text = await asyncio.to_thread(_statement_csv, user.id, _locale(request, user.locale))
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="statement.csv"',
            "Cache-Control": "no-store",
        },
    )


# --- the sandbox gateway -----------------------------------------------------------

_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_STYLE = """
body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f4f4f5;color:#18181b}
main{max-width:420px;margin:0 auto;padding:24px 16px}
.card{background:#fff;border-radius:12px;padding:24px;box-shadow:0 1px 3px #0002}
.amount{font-size:2em;font-weight:700;margin:8px 0}
.note{color:#52525b;font-size:.9em}
.alert{background:#fee2e2;color:#991b1b;padding:8px 12px;border-radius:8px}
form{display:flex;flex-direction:column;gap:12px;margin-top:16px}
button,.button{font:inherit;font-weight:600;padding:14px;border-radius:10px;border:0;
cursor:pointer;text-align:center;text-decoration:none;display:block}
.pay{background:#16a34a;color:#fff}.decline{background:#e4e4e7;color:#18181b}
.button{background:#2563eb;color:#fff}
button:focus-visible,.button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
"""


def _document(locale: str, title: str, body: str) -> str:
    esc = html.escape
    return (
        f'<!doctype html><html lang="{esc(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main><div class="card">{body}</div></main></body></html>'
    )


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": _PAGE_CSP})


def _pay_page(s: sandbox.SandboxSession, locale: str, alert: str = "") -> str:
    esc = html.escape
    title = translate(locale, "sandbox.title", market=settings.market_name)
    alert_html = f'<p class="alert" role="alert">{esc(alert)}</p>' if alert else ""
    if s.status == sandbox.OPEN or alert:
        actions = (
            f'<form method="post" action="{SANDBOX_PREFIX}/pay/{esc(s.id)}">'
            '<button class="pay" type="submit" name="action" value="pay" '
            f'data-testid="sandbox-pay">{esc(translate(locale, "sandbox.pay"))}</button>'
            '<button class="decline" type="submit" name="action" value="decline" '
            f'data-testid="sandbox-decline">{esc(translate(locale, "sandbox.decline"))}</button>'
            "</form>"
        )
    else:
        done = "sandbox.done_paid" if s.status == sandbox.PAID else "sandbox.done_declined"
        actions = (
            f"<p>{esc(translate(locale, done))}</p>"
            f'<a class="button" href="{esc(s.return_url)}">'
            f"{esc(translate(locale, 'sandbox.back'))}</a>"
        )
    body = (
        f'<p class="note">{esc(translate(locale, "sandbox.notice"))}</p>'
        f"<h1>{esc(title)}</h1>"
        f'<p class="amount" data-testid="sandbox-amount">'
        f"{esc(money(s.amount_cents, locale, s.currency))}</p>"
        f'<p class="note">{esc(translate(locale, "sandbox.reference", reference=s.reference))}</p>'
        f"{alert_html}{actions}"
    )
    return _document(locale, title, body)


def _create_sandbox_session(token: str | None, payload: object, key: str):
    with read_session() as session:
        return sandbox.create_session(session, token, payload, key)


async def sandbox_create_session(request: Request) -> Response:
    """Create a checkout session (the gateway's API) for the logged-in buyer's own payment.

    The market forwards its buyer's session cookie; anyone else is answered
    403 (not logged in) or 404 (not their open payment) and nothing is made.
    A repeated idempotency key finds the session again.
    """
    try:
        payload = await request.json()
    except ValueError:
        return JSONResponse({"error": "invalid_json"}, status_code=400)
    key = request.headers.get(gateway.IDEMPOTENCY_HEADER, "")
    token = request.cookies.get(SESSION_COOKIE)
    try:
        created, fresh = await asyncio.to_thread(_create_sandbox_session, token, payload, key)
    except LoginRequired:
        return JSONResponse({"error": "forbidden"}, status_code=403)
    except NotFound:
        return JSONResponse({"error": "not_found"}, status_code=404)
    except ValidationFailed as exc:
        return JSONResponse({"error": "invalid", "fields": sorted(exc.fields)}, status_code=422)
    return JSONResponse(
        {
            "id": created.id,
            "checkout_url": f"{settings.public_url}{SANDBOX_PREFIX}/pay/{created.id}",
        },
        status_code=201 if fresh else 200,
    )


async def sandbox_page(request: Request) -> Response:
    """The hosted checkout page: the amount and Pay / Decline."""
    locale = _locale(request)
    try:
        found = await asyncio.to_thread(sandbox.get_session, request.path_params["session_id"])
    except NotFound:
        return _html(
            _document(locale, "404", f"<p>{html.escape(translate(locale, 'error.not_found'))}</p>"),
            404,
        )
    return _html(_pay_page(found, locale))


async def _deliver(s: sandbox.SandboxSession) -> bool:
    """Post the signed event to the market's webhook; a few tries with backoff."""
    body = sandbox.event_body(s)
    async with httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:
        for attempt in range(WEBHOOK_ATTEMPTS):
            if attempt:
                await asyncio.sleep(0.3 * 2 ** (attempt - 1))
            headers = {
                "Content-Type": "application/json",
                gateway.SIGNATURE_HEADER: gateway.signature_header(
                    body, settings.payment_webhook_secret
                ),
            }
            try:
                response = await client.post(s.webhook_url, content=body, headers=headers)
            except httpx.TransportError:
                continue
            if response.status_code < 500:
                return response.status_code == 200
    return False


async def sandbox_decide(request: Request) -> Response:
    """Record Pay or Decline, tell the market by webhook, send the buyer back."""
    locale = _locale(request)
    form = await request.form()
    action = form.get("action")
    if action not in ("pay", "decline"):
        return _html(_document(locale, "400", ""), 400)
    outcome = sandbox.PAID if action == "pay" else sandbox.DECLINED
    try:
        decided = await asyncio.to_thread(
            sandbox.decide, request.path_params["session_id"], outcome
        )
    except NotFound:
        return _html(
            _document(locale, "404", f"<p>{html.escape(translate(locale, 'error.not_found'))}</p>"),
            404,
        )
    if not await _deliver(decided):
        log.warning("sandbox gateway: webhook for %s was not accepted", decided.id)
        return _html(_pay_page(decided, locale, translate(locale, "sandbox.notify_failed")), 502)
    return RedirectResponse(decided.return_url, status_code=303)


def routes() -> list[Route]:
    """The payment routes to mount in the API app (the sandbox's only when enabled)."""
    found = [
        Route("/api/payments/webhook", webhook, methods=["POST"]),
        Route("/api/payments/pay/{group_id}", pay_group, methods=["GET"]),
        Route("/api/payments/statements.csv", statement_csv, methods=["GET"]),
    ]
    if settings.serves_sandbox_gateway:
        found += [
            Route(f"{SANDBOX_PREFIX}/api/sessions", sandbox_create_session, methods=["POST"]),
            Route(f"{SANDBOX_PREFIX}/pay/{{session_id}}", sandbox_page, methods=["GET"]),
            Route(f"{SANDBOX_PREFIX}/pay/{{session_id}}", sandbox_decide, methods=["POST"]),
        ]
    return found
