"""Cookie names and redirect rules shared by the API routes and the states."""

from __future__ import annotations

SESSION_COOKIE = "mp_session"
LOCALE_COOKIE = "mp_locale"
GUEST_CART_COOKIE = "mp_cart"  # a guest's cart token (HttpOnly; see api/guest_cart.py)


def safe_next(value: str | None) -> str:
    """A same-site path to continue to ("/" when absent or pointing elsewhere).

    Args:
        value: a ``next`` parameter from the URL.

    Returns:
        A path starting with a single "/".
    """
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value[:300]
