"""Cookie names and redirect rules shared by the API routes and the states."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urljoin, urlsplit

from marketplace_app.settings import settings

SESSION_COOKIE = "mp_session"
LOCALE_COOKIE = "mp_locale"
GUEST_CART_COOKIE = "mp_cart"  # a guest's cart token (HttpOnly; see api/guest_cart.py)
MAX_NEXT_LENGTH = 300


def _looks_off_site(text: str) -> bool:
    # Browsers drop tabs and newlines from URLs and read "\" as "/", so
    # "/\t/evil" and "/\evil" both become the other site's "//evil".
    return (
        not text.startswith("/")
        or text.startswith("//")
        or "\\" in text
        or any(unicodedata.category(ch) == "Cc" for ch in text)
    )


def safe_next(value: str | None) -> str:
    """A path on this site to continue to ("/" when absent or possibly pointing elsewhere).

    Refused: anything not starting with a single "/", backslashes, control
    characters, and the same again after percent-decoding (``/%09/evil``,
    ``/%2F%2Fevil``), and anything that, resolved against PUBLIC_URL, lands
    on another scheme or host.

    Args:
        value: a ``next`` parameter from the URL.

    Returns:
        A path starting with a single "/".
    """
    value = (value or "").strip()[:MAX_NEXT_LENGTH]
    if _looks_off_site(value) or _looks_off_site(unquote(value)):
        return "/"
    ours, target = urlsplit(settings.public_url), urlsplit(urljoin(settings.public_url, value))
    if (target.scheme, target.netloc) != (ours.scheme, ours.netloc):
        return "/"
    return value
