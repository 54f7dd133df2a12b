"""``/seller/balance``: balance, escrow held, net sales per week and statements with CSV."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loading
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.balance import BalanceState, StatementView

CSV_URL = "/api/payments/statements.csv"


def _figure(
    label_key: str, hint_key: str, value: rx.Var, testid: str, **text_props
) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tr(label_key), size="2", color_scheme="gray", as_="div"),
            rx.text(value, size="7", weight="bold", data_testid=testid, **text_props),
            rx.text(tr(hint_key), size="1", color_scheme="gray"),
            spacing="1",
        ),
        width="100%",
    )


def _chart() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tr("balance.chart_title"), size="4", as_="h2"),
            rx.box(
                rx.recharts.bar_chart(
                    rx.recharts.bar(
                        rx.recharts.label_list(data_key="amount", position="top", font_size=11),
                        data_key="cents",
                        fill=rx.color("accent", 9),
                        radius=[4, 4, 0, 0],
                        is_animation_active=False,
                    ),
                    rx.recharts.x_axis(
                        data_key="week",
                        font_size=11,
                        # On a phone not every week's date fits: recharts skips some.
                        interval="preserveStartEnd",
                        min_tick_gap=6,
                        tick_line=False,
                    ),
                    rx.recharts.y_axis(hide=True),
                    data=BalanceState.weeks,
                    margin={"top": 24, "right": 8, "bottom": 0, "left": 8},
                    width="100%",
                    height=220,
                ),
                role="img",
                aria_label=BalanceState.chart_label,
                data_testid="balance-chart",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _amount(label_key: str, value: rx.Var, testid: str) -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="1", color_scheme="gray"),
        rx.text(value, size="2", weight="medium", data_testid=testid),
        spacing="0",
        min_width="0",
    )


def _row(row: StatementView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.link(
                    row.number,
                    href=row.href,
                    weight="bold",
                    data_testid="statement-number",
                ),
                rx.text(row.date, size="2", color_scheme="gray"),
                rx.text(row.payment, size="2", color_scheme="gray"),
                rx.spacer(),
                rx.badge(
                    row.status_label,
                    color_scheme=rx.match(
                        row.status,
                        ("completed", "green"),
                        ("refunded", "gray"),
                        ("refund_requested", "red"),
                        ("refund_declined", "red"),
                        ("disputed", "red"),
                        "blue",
                    ),
                    data_testid="statement-status",
                    data_status=row.status,
                ),
                gap="8px",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.grid(
                _amount("balance.gross", row.gross, "statement-gross"),
                _amount("balance.commission", row.commission, "statement-commission"),
                _amount("balance.net", row.net, "statement-net"),
                _amount("balance.to_balance", row.to_balance, "statement-to-balance"),
                columns=rx.breakpoints(initial="2", sm="4"),
                gap="8px",
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        data_testid="statement-row",
        data_number=row.number,
        width="100%",
    )


def _statements() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(tr("balance.statements"), size="4", as_="h2"),
            rx.spacer(),
            rx.button(
                rx.el.a(
                    rx.icon("download", size=16, aria_hidden="true"),
                    tr("balance.csv"),
                    href=CSV_URL,
                    download="statement.csv",
                    # A file from the API, not a page: the browser must fetch it itself.
                    reload_document=True,
                    data_testid="balance-csv",
                ),
                as_child=True,
                variant="soft",
                size="2",
            ),
            width="100%",
            align="center",
        ),
        rx.foreach(BalanceState.rows, _row),
        rx.cond(
            BalanceState.more_note != "",
            rx.text(BalanceState.more_note, size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
    )


def balance_page() -> rx.Component:
    """``/seller/balance`` (login required)."""
    return shell(
        rx.vstack(
            rx.heading(tr("balance.title"), size="6", as_="h1"),
            rx.cond(
                BalanceState.loaded,
                rx.vstack(
                    rx.grid(
                        _figure(
                            "balance.available",
                            "balance.available_hint",
                            BalanceState.available,
                            "balance-available",
                            color=rx.cond(
                                BalanceState.available_negative, rx.color("red", 11), "inherit"
                            ),
                        ),
                        _figure(
                            "balance.held",
                            "balance.held_hint",
                            BalanceState.held,
                            "balance-held",
                        ),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        gap="12px",
                        width="100%",
                    ),
                    rx.cond(
                        BalanceState.rows.length() > 0,
                        rx.vstack(_chart(), _statements(), spacing="4", width="100%"),
                        empty("balance.empty", "balance.empty_action", "/sell"),
                    ),
                    spacing="4",
                    width="100%",
                ),
                loading(),
            ),
            spacing="4",
            width="100%",
            max_width="880px",
            margin="0 auto",
            data_testid="balance-page",
        )
    )
