"""Random tokens and their keyed hashes (session ids, login tickets, reset links).

Only the HMAC of a token is stored, so a leaked database does not hand out
working sessions or reset links; the key is ``settings.secret_key``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from marketplace_app.settings import settings


def new_token(nbytes: int = 32) -> str:
    """A fresh random token for a URL or a cookie.

    Args:
        nbytes: bytes of randomness (the text is about 1.3 times longer).

    Returns:
        A URL-safe base64 string.
    """
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """The HMAC-SHA256 of a token keyed with the app's secret key.

    Args:
        token: the plaintext token.

    Returns:
        64 lowercase hex characters, the form stored in the database.
    """
    key = settings.secret_key.encode("utf-8")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()
