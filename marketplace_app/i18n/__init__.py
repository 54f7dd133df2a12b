"""Message catalogs (zh-CN, en) and locale-aware formatting.

Catalogs are JSON files under ``locales/<locale>/<area>.json``, merged per
locale. Keys are dotted (``nav.home``); placeholders use ``{name}``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

LOCALES = ("zh-CN", "en")
_DIR = Path(__file__).parent / "locales"


@functools.cache
def catalog(locale: str) -> dict[str, str]:
    """All messages of a locale, merged from its JSON files.

    Args:
        locale: one of LOCALES.

    Returns:
        key -> message.
    """
    merged: dict[str, str] = {}
    for path in sorted((_DIR / locale).glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise ValueError(f"duplicate i18n key {key!r} in {path}")
            merged[key] = text
    return merged


def normalize_locale(value: str | None, default: str = "zh-CN") -> str:
    """Map a cookie or Accept-Language value to a supported locale.

    Args:
        value: e.g. ``"en"``, ``"en-US"``, ``"zh-CN"``, ``"zh"``.
        default: used when nothing matches.

    Returns:
        One of LOCALES.
    """
    v = (value or "").strip().lower()
    if v.startswith("zh"):
        return "zh-CN"
    if v.startswith("en"):
        return "en"
    return default if default in LOCALES else "zh-CN"


def translate(locale: str, key: str, **params: object) -> str:
    """The message for ``key`` in ``locale``, with placeholders filled.

    Args:
        locale: one of LOCALES.
        key: a catalog key; a missing key raises KeyError (tests catch it).
        **params: values for ``{placeholders}``.

    Returns:
        The translated text.
    """
    text = catalog(normalize_locale(locale))[key]
    return text.format(**params) if params else text
