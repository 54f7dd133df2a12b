"""Database ids from the outside world: URL segments, query strings, handler arguments.

Every id a browser or a link can send goes through :func:`parse_id` before it
reaches a query. Ids are PostgreSQL ``INTEGER`` (32-bit) columns: a bigger
number would fail inside the database (and one past 64 bits inside SQLite's
driver) instead of simply not being found.
"""

from __future__ import annotations

MAX_ID = 2**31 - 1
_MAX_DIGITS = len(str(MAX_ID))


def parse_id(value: object) -> int | None:
    """A database id from an int or a string of ASCII digits, or None for anything else.

    Args:
        value: a URL segment, query value or event handler argument.

    Returns:
        The id, in 1..:data:`MAX_ID`; None when ``value`` is not one (bools,
        floats, signs, spaces, other digits, zero, too big).
    """
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value) > _MAX_DIGITS:
            return None
        value = int(value)
    elif isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 1 <= value <= MAX_ID else None
