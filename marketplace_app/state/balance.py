"""``/seller/balance``: what a seller is owed, what escrow holds, statements, weekly sales."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import reflex as rx
from babel.numbers import format_compact_currency, get_currency_precision

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date, money
from marketplace_app.services import orders
from marketplace_app.services.payments import statements
from marketplace_app.settings import settings
from marketplace_app.state.guard import current_user, login_required, run_read
from marketplace_app.state.session import LocaleState


@dataclass
class StatementView:
    """One order on the statement, formatted."""

    number: str
    href: str
    date: str
    payment: str
    status: str
    status_label: str
    gross: str
    commission: str
    net: str
    to_balance: str


def _compact(cents: int, lang: str) -> str:
    """A short amount for a chart label ("¥1.2K", "¥12万")."""
    code = settings.currency
    amount = Decimal(int(cents)).scaleb(-get_currency_precision(code))
    locale = "zh_Hans_CN" if lang == "zh-CN" else "en"
    return format_compact_currency(amount, code, locale=locale, fraction_digits=1)


def statement_view(line: statements.StatementLine, lang: str) -> StatementView:
    """Format one statement line for the page."""
    return StatementView(
        number=line.number,
        href=orders.link(line.number),
        date=date(line.created_at, lang),
        payment=translate(lang, f"balance.payment.{line.payment_method}"),
        status=line.status,
        status_label=translate(lang, statements.status_key(line)),
        gross=money(line.gross_cents, lang),
        commission=money(line.commission_cents, lang),
        net=money(line.net_cents, lang),
        to_balance=money(line.to_balance_cents, lang),
    )


def week_points(weeks: list[statements.WeekTotal], lang: str) -> list[dict[str, str | int]]:
    """Chart data: the week's start (month/day), the bar height in cents and its label."""
    return [
        {
            "week": f"{w.week_start.month}/{w.week_start.day}",
            "cents": w.net_cents,
            "amount": _compact(w.net_cents, lang) if w.net_cents else "",
        }
        for w in weeks
    ]


def chart_summary(weeks: list[statements.WeekTotal], lang: str) -> str:
    """The chart in words, for screen readers."""
    figures = "; ".join(
        translate(lang, "balance.week_of", date=w.week_start.isoformat())
        + f": {money(w.net_cents, lang)}"
        for w in weeks
    )
    return translate(lang, "balance.chart_summary", weeks=len(weeks), figures=figures)


def _page(session, seller_id: int):
    return (
        statements.seller_balance(session, seller_id),
        statements.statements(session, seller_id, limit=statements.PAGE_LIMIT + 1),
        statements.weekly_net(session, seller_id),
    )


class BalanceState(rx.State):
    """The logged-in seller's balance and statements."""

    loaded: bool = False
    available: str = ""
    available_negative: bool = False
    held: str = ""
    rows: list[StatementView] = []
    more_note: str = ""
    weeks: list[dict[str, str | int]] = []
    chart_label: str = ""

    @rx.event
    @login_required
    async def load(self):
        """Load the caller's figures (every logged-in user can sell, so every one has a page)."""
        self.loaded = False
        yield
        lang = (await self.get_state(LocaleState)).lang
        figures, lines, weeks = await run_read(_page, current_user().id)
        self.available = money(figures.available_cents, lang)
        self.available_negative = figures.available_cents < 0
        self.held = money(figures.held_cents, lang)
        shown = lines[: statements.PAGE_LIMIT]
        self.rows = [statement_view(line, lang) for line in shown]
        self.more_note = (
            translate(lang, "balance.more", count=statements.PAGE_LIMIT)
            if len(lines) > statements.PAGE_LIMIT
            else ""
        )
        self.weeks = week_points(weeks, lang)
        self.chart_label = chart_summary(weeks, lang)
        self.loaded = True
