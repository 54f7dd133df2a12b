"""The current user and language, known to every page's shell."""

from __future__ import annotations

import json

import reflex as rx

from marketplace_app.i18n import catalog, normalize_locale, translate
from marketplace_app.services import auth_sessions, carts, inbox, messaging
from marketplace_app.services.errors import ServiceError, ValidationFailed
from marketplace_app.settings import settings
from marketplace_app.state.favorites import FavoriteState
from marketplace_app.state.guard import (
    AuthUser,
    cookie_value,
    login_required,
    public,
    resolve_user,
    run_read,
    run_write,
    session_token,
)
from marketplace_app.state.nav import NavState
from marketplace_app.web import GUEST_CART_COOKIE, LOCALE_COOKIE


def owner_for(user: AuthUser | None, cookie_header: str) -> carts.CartOwner | None:
    """Whose cart a browser holds: the user's when logged in, else its guest cookie's.

    Args:
        user: the logged-in user, or None.
        cookie_header: the websocket's Cookie header.

    Returns:
        The owner, or None for a guest without a (well-formed) cart cookie.
    """
    if user is not None:
        return carts.CartOwner.user(user.id)
    token = cookie_value(cookie_header, GUEST_CART_COOKIE)
    return carts.CartOwner.guest(token) if carts.valid_guest_token(token) else None


async def cart_owner(state: rx.State) -> carts.CartOwner | None:
    """The cart owner behind a handler's browser, found on the server from its cookies."""
    return owner_for(await resolve_user(state), state.router.headers.cookie)


class LocaleState(rx.State):
    """The UI language and its message catalog (``t``), read by every page."""

    lang: str = settings.default_locale
    t: dict[str, str] = catalog(settings.default_locale)

    def _use(self, lang: str) -> None:
        lang = normalize_locale(lang, settings.default_locale)
        if lang != self.lang:
            self.lang = lang
            self.t = catalog(lang)

    def _tr(self, key: str, **params: object) -> str:
        return translate(self.lang, key, **params)

    def _errors(self, error: ServiceError) -> dict[str, str]:
        """Field -> translated message for a service error."""
        if isinstance(error, ValidationFailed):
            return {field: self._tr(key, **error.params) for field, key in error.fields.items()}
        return {"_form": self._tr(error.key, **error.params)}


class SessionState(rx.State):
    """Who is logged in (display only; handlers look the user up themselves)."""

    ready: bool = False
    logged_in: bool = False
    user_name: str = ""
    is_moderator: bool = False
    is_shop: bool = False
    cart_count: int = 0
    unread_count: int = 0
    messages_unread: int = 0

    @rx.event
    @public
    async def load(self):
        """Refresh the shell from the session cookie; every page runs this on load."""
        user = await resolve_user(self)
        locale_cookie = cookie_value(self.router.headers.cookie, LOCALE_COOKIE)
        loc = await self.get_state(LocaleState)
        if locale_cookie:
            loc._use(locale_cookie)
        elif user is not None:
            loc._use(user.locale)
        else:
            loc._use(settings.default_locale)
        self.logged_in = user is not None
        self.user_name = user.name if user else ""
        self.is_moderator = bool(user and user.has_role("moderator"))
        self.is_shop = bool(user and user.shop_ids)
        owner = owner_for(user, self.router.headers.cookie)
        self.cart_count = await run_read(carts.units, owner) if owner else 0
        self.unread_count = await run_read(inbox.unread_count, user.id) if user else 0
        self.messages_unread = await run_read(messaging.unread_total, user.id) if user else 0
        self.ready = True
        await (await self.get_state(NavState))._load(loc.lang)
        await (await self.get_state(FavoriteState))._load(user.id if user else None)

    @rx.event
    @login_required
    async def logout(self):
        """End this browser's session on the server, then clear the cookie."""
        await run_write(auth_sessions.end_session, session_token(self))
        self.logged_in = False
        self.user_name = ""
        self.cart_count = 0
        return rx.call_script(
            "fetch('/api/session', {method: 'DELETE', credentials: 'same-origin'})"
            ".finally(() => window.location.replace('/'))"
        )


def establish_session(ticket: str, next_path: str) -> rx.event.EventSpec:
    """Browser-side step of a login: trade the ticket for the HttpOnly cookie, then go on.

    The page reloads so that the websocket reconnects carrying the new cookie.
    """
    body = json.dumps({"ticket": ticket})
    return rx.call_script(
        "fetch('/api/session', {method: 'POST', credentials: 'same-origin', "
        f"headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}})"
        f".then(r => window.location.replace(r.ok ? {json.dumps(next_path)} : '/login'))"
    )
