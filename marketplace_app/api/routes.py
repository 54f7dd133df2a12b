"""HTTP routes beside the Reflex app: session cookie, language switch, media files, headers.

A Reflex event handler cannot set an HttpOnly cookie, so the login handler
issues a one-time ticket and the browser trades it here for the cookie.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from marketplace_app.api import payments, sharing
from marketplace_app.api.guest_cart import GuestCartCookie
from marketplace_app.client_address import client_address
from marketplace_app.db import write_session
from marketplace_app.i18n import LOCALES
from marketplace_app.services import accounts, auth_sessions, carts
from marketplace_app.settings import Settings, settings
from marketplace_app.upload_sessions import UPLOAD_PATH, UploadSessions
from marketplace_app.web import GUEST_CART_COOKIE, LOCALE_COOKIE, SESSION_COOKIE, safe_next

LOCALE_COOKIE_DAYS = 365


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == settings.public_origin


def _client_ip(request: Request) -> str:
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.get("x-forwarded-for"))


def _in_tx(fn, *args, **kwargs):
    with write_session() as session:
        return fn(session, *args, **kwargs)


async def create_session(request: Request) -> Response:
    """Trade a login ticket for the HttpOnly session cookie."""
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403)
    try:
        body = await request.json()
        ticket = str(body.get("ticket", ""))[:200]
    except (ValueError, AttributeError):
        return JSONResponse({"ok": False}, status_code=400)
    guest_cart = request.cookies.get(GUEST_CART_COOKIE)
    token = await asyncio.to_thread(
        _in_tx,
        _log_in,
        ticket,
        guest_cart,
        user_agent=request.headers.get("user-agent", "")[:255],
        ip=_client_ip(request),
        replaces=request.cookies.get(SESSION_COOKIE),
    )
    if token is None:
        return JSONResponse({"ok": False}, status_code=401)
    response = JSONResponse({"ok": True})
    if guest_cart:
        # The guest cart is now the user's; the next page load brings a fresh token.
        response.delete_cookie(GUEST_CART_COOKIE, path="/", httponly=True, samesite="lax")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


def _log_in(
    session, ticket: str, guest_cart: str | None, *, user_agent: str, ip: str, replaces: str | None
):
    """Redeem the ticket, end the previous session, merge the guest's cart (one transaction)."""
    token = auth_sessions.redeem_login_ticket(
        session, ticket, user_agent=user_agent, ip=ip, replaces=replaces
    )
    if token is not None and guest_cart:
        user, _ = auth_sessions.session_user(session, token)
        carts.merge_guest_cart(session, guest_cart, user.id)
    return token


async def delete_session(request: Request) -> Response:
    """End the session named by the cookie and clear the cookie."""
    if not _same_origin(request):
        return JSONResponse({"ok": False}, status_code=403)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await asyncio.to_thread(_in_tx, auth_sessions.end_session, token)
    response = JSONResponse({"ok": True})
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


async def switch_locale(request: Request) -> Response:
    """Remember the chosen language (cookie, and the account when logged in), then go back."""
    locale = request.query_params.get("to", "")
    target = safe_next(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    if locale not in LOCALES:
        return response
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=LOCALE_COOKIE_DAYS * 86400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await asyncio.to_thread(_in_tx, _remember_locale, token, locale)
    return response


def _remember_locale(session, token: str, locale: str) -> None:
    user = auth_sessions.user_for_session(session, token)
    if user is not None:
        accounts.set_locale(session, user.id, locale)


class _MediaFiles(StaticFiles):
    """Uploaded images: long-lived cache, no sniffing (names never change)."""

    async def get_response(self, path: str, scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["X-Content-Type-Options"] = "nosniff"
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


HSTS_MAX_AGE_S = 365 * 86400


def content_security_policy(s: Settings) -> str:
    """The Content-Security-Policy of the app's pages (and every other response).

    Reflex's build needs inline scripts (the router's hydration data) and
    ``eval`` (``rx.call_script`` runs its code that way); everything else is
    this origin only: images from ``/media`` and ``/_upload`` plus ``blob:``
    (upload previews) and ``data:``, the websocket to this host, no frames,
    no plugins, forms and ``<base>`` pointing home.

    Args:
        s: the settings (PUBLIC_URL gives the websocket's origin).

    Returns:
        The header value.
    """
    host = urlsplit(s.public_url).netloc
    websocket = f"{'wss' if s.public_url.startswith('https://') else 'ws'}://{host}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            f"connect-src 'self' {websocket}",
            "media-src 'self' blob:",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(s: Settings) -> dict[str, str]:
    """The headers every HTTP response carries (a response's own value wins).

    Args:
        s: the settings; an https PUBLIC_URL adds Strict-Transport-Security.

    Returns:
        Header names and values.
    """
    headers = {
        "Content-Security-Policy": content_security_policy(s),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    }
    if s.public_url.startswith("https://"):
        headers["Strict-Transport-Security"] = f"max-age={HSTS_MAX_AGE_S}"
    return headers


class _SecurityHeaders:
    """Adds :func:`security_headers` to every HTTP response (pages, API, media)."""

    def __init__(self, app, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# Ten photos of at most 15 MB each, plus the multipart framing.
MAX_UPLOAD_REQUEST_BYTES = 10 * 15 * 1024 * 1024 + 1024 * 1024


class _UploadSizeLimit:
    """Refuses upload requests that are too big, before Reflex reads them.

    Reflex's upload endpoint has no server-side limit; browsers always send a
    Content-Length with a FormData upload, so a missing one is refused too.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"].startswith(UPLOAD_PATH)
            and scope["method"] == "POST"
        ):
            headers = dict(scope.get("headers", []))
            length = headers.get(b"content-length", b"").decode() or None
            if length is None or not length.isdigit():
                await PlainTextResponse("Length Required", status_code=411)(scope, receive, send)
                return
            if int(length) > MAX_UPLOAD_REQUEST_BYTES:
                await PlainTextResponse("Payload Too Large", status_code=413)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def make_api() -> Starlette:
    """A fresh Starlette app with the routes (Reflex mounts itself beneath it)."""
    media_dir = settings.upload_dir / "media"
    media_dir.mkdir(parents=True, exist_ok=True)
    return Starlette(
        middleware=[
            Middleware(_SecurityHeaders, headers=security_headers(settings)),
            Middleware(_UploadSizeLimit),
            Middleware(UploadSessions),
            Middleware(GuestCartCookie),
        ],
        routes=[
            Route("/api/session", create_session, methods=["POST"]),
            Route("/api/session", delete_session, methods=["DELETE"]),
            Route("/api/locale", switch_locale, methods=["GET"]),
            Route("/share/listing/{listing_id}", sharing.share_listing, methods=["GET"]),
            Route("/sitemap-listings.xml", sharing.listings_sitemap, methods=["GET"]),
            Route("/robots.txt", sharing.robots, methods=["GET"]),
            *payments.routes(),
            Mount("/media", app=_MediaFiles(directory=media_dir), name="media"),
        ],
    )
