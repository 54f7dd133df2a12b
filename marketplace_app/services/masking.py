"""Masking contact details (phone numbers, emails, links) in chat messages.

Until two members have an order together, messages between them are stored
with contact details replaced, so that deals stay on the platform where
escrow and reviews protect both sides.
"""

from __future__ import annotations

import re

MASK = "***"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(
    r"(?:\bhttps?://|\bwww\.)\S+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|info|io|me|co|app|top|xyz|cc|tv|"
    r"shop|site|online|link|ly|gl|de|uk|us|hk|tw)\b(?:/\S*)?",
    re.IGNORECASE,
)
# A run of digits with spaces, dashes, dots or brackets between them, maybe with a
# leading "+": a phone number when it has 7-15 digits and is not a date or a price.
_PHONE = re.compile(r"(?<![\w.,])(?:\(?\+)?\(?\d(?:[ \-.()\u00a0]{0,3}\d){6,}(?![\w%])")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{4}$")
_DECIMAL = re.compile(r"^\d+\.\d{1,2}$")
_CURRENCY_BEFORE = re.compile(r"(?:[¥￥$€£]|rmb|cny|usd|eur)\s*$", re.IGNORECASE)
_CURRENCY_AFTER = re.compile(r"^\s*(?:元|块|rmb|cny|yuan|usd|eur|euro)", re.IGNORECASE)


def _is_phone(text: str, start: int, end: int) -> bool:
    found = text[start:end].strip(" -.()\u00a0")
    digits = sum(ch.isdigit() for ch in found)
    if not 7 <= digits <= 15:
        return False
    if _DATE.match(found) or _DECIMAL.match(found):
        return False
    return not (_CURRENCY_BEFORE.search(text[:start]) or _CURRENCY_AFTER.match(text[end:]))


def mask_contacts(text: str) -> tuple[str, bool]:
    """Replace phone numbers, emails and links in a message by :data:`MASK`.

    Prices (``¥1200``, ``12.50``, ``1,200``), dates (``2024-05-06``) and times
    stay as they are.

    Args:
        text: the message as typed.

    Returns:
        The text to store and whether anything was masked.
    """
    masked = _EMAIL.sub(MASK, text)
    masked = _URL.sub(MASK, masked)
    parts, last = [], 0
    for match in _PHONE.finditer(masked):
        if _is_phone(masked, match.start(), match.end()):
            parts.append(masked[last : match.start()])
            parts.append(MASK)
            last = match.end()
    parts.append(masked[last:])
    result = "".join(parts)
    return result, result != text
