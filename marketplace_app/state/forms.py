"""Reading form payloads: every value a browser sends is untrusted."""

from __future__ import annotations

from typing import Any


def text(form: Any, name: str, max_len: int) -> str:
    """A string field of a submitted form, stripped and cut to ``max_len``.

    Args:
        form: the payload (anything; non-dicts count as empty).
        name: the field name.
        max_len: longest accepted length; longer input is cut, and the
            service's own length rules report it.

    Returns:
        The value, or "" when absent or not a string.
    """
    if not isinstance(form, dict):
        return ""
    value = form.get(name, "")
    if not isinstance(value, str):
        return ""
    return value.strip()[: max_len + 1]


def secret(form: Any, name: str, max_len: int = 128) -> str:
    """A password field: not stripped (spaces are part of it), length-capped."""
    if not isinstance(form, dict):
        return ""
    value = form.get(name, "")
    return value[: max_len + 1] if isinstance(value, str) else ""


def flag(form: Any, name: str) -> bool:
    """A checkbox: true when present and "on"/"true"."""
    if not isinstance(form, dict):
        return False
    return str(form.get(name, "")).lower() in ("on", "true", "1")
