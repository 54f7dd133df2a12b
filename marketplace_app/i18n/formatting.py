"""Money, number and date formatting for a locale (Babel). Display only."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, get_currency_precision

from marketplace_app.settings import settings


def _babel_locale(locale: str) -> str:
    return "zh_Hans_CN" if locale == "zh-CN" else "en"


def money(cents: int, locale: str, currency: str | None = None) -> str:
    """Format an amount of minor units, e.g. 1250 -> "¥12.50".

    Args:
        cents: integer minor units (never a float).
        locale: one of the app's locales.
        currency: ISO code; defaults to the market's currency.

    Returns:
        The formatted amount.
    """
    code = currency or settings.currency
    amount = Decimal(int(cents)).scaleb(-get_currency_precision(code))
    return format_currency(amount, code, locale=_babel_locale(locale))


def number(value: int, locale: str) -> str:
    """Format a whole number with the locale's grouping."""
    return format_decimal(value, locale=_babel_locale(locale))


def date(value: datetime, locale: str) -> str:
    """A date in the market's time zone, medium length."""
    local = value.astimezone(ZoneInfo(settings.timezone))
    return format_date(local, format="medium", locale=_babel_locale(locale))


def date_time(value: datetime, locale: str) -> str:
    """A date and time in the market's time zone, short time."""
    local = value.astimezone(ZoneInfo(settings.timezone))
    return format_datetime(local, format="medium", locale=_babel_locale(locale))
