"""``tr(key)``: a translated UI string that follows the language switch."""

from __future__ import annotations

import reflex as rx

from marketplace_app.i18n import LOCALES, catalog
from marketplace_app.state.session import LocaleState


def tr(key: str) -> rx.Var:
    """The message ``key`` in the current UI language.

    A key missing from any catalog fails here, at compile time, so a page
    can never show a raw key.

    Args:
        key: a catalog key.

    Returns:
        A string Var for components.
    """
    for locale in LOCALES:
        if key not in catalog(locale):
            raise KeyError(f"i18n key {key!r} missing from the {locale} catalog")
    return LocaleState.t[key].to(str)
