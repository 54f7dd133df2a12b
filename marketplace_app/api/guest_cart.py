"""The guest cart cookie: a random token, HttpOnly, given to a browser with its first page.

A Reflex event handler cannot set an HttpOnly cookie, and the websocket sees
only the cookies it connected with. So the cookie is set on the HTTP response
of a page load (before the page's websocket opens), whenever the browser has
none yet. It only names a cart; the cart itself is created in the database
on the first add (see :mod:`marketplace_app.services.carts`), keyed by the
token's sha256. Logging in merges that cart into the user's and clears the
cookie (``api/routes.py``), so the next page load brings a fresh one.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.requests import cookie_parser

from marketplace_app.services.carts import GUEST_CART_DAYS, new_guest_token
from marketplace_app.settings import settings
from marketplace_app.web import GUEST_CART_COOKIE


def guest_cart_set_cookie(token: str) -> bytes:
    """The ``Set-Cookie`` header value for a guest cart token."""
    jar = SimpleCookie()
    jar[GUEST_CART_COOKIE] = token
    morsel = jar[GUEST_CART_COOKIE]
    morsel["max-age"] = GUEST_CART_DAYS * 86400
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if settings.secure_cookies:
        morsel["secure"] = True
    return morsel.OutputString().encode("latin-1")


def _wants_page(scope) -> bool:
    if scope["method"] not in ("GET", "HEAD"):
        return False
    headers = dict(scope.get("headers", []))
    return b"text/html" in headers.get(b"accept", b"")


def _has_cart_cookie(scope) -> bool:
    raw = b"; ".join(v for k, v in scope.get("headers", []) if k == b"cookie")
    return bool(cookie_parser(raw.decode("latin-1")).get(GUEST_CART_COOKIE))


class GuestCartCookie:
    """ASGI middleware: page loads without a guest cart cookie get one."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on, adding ``Set-Cookie`` to a page response when needed."""
        if scope["type"] != "http" or not _wants_page(scope) or _has_cart_cookie(scope):
            await self.app(scope, receive, send)
            return
        cookie = guest_cart_set_cookie(new_guest_token())

        async def send_with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"set-cookie", cookie)],
                }
            await send(message)

        await self.app(scope, receive, send_with_cookie)
