"""Offers: the panel on a negotiable item's page and the ``/offers`` page (made / received)."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loaded_list, notice
from marketplace_app.components.fields import error_text, field_error
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.tabs import status_tab, status_tabs
from marketplace_app.state.offers import OfferPanelState, OfferRowView, OffersState, TabView


def _status(row: OfferRowView) -> rx.Component:
    return rx.badge(
        row.status_label,
        color_scheme=rx.match(
            row.status,
            ("open", "blue"),
            ("countered", "orange"),
            ("accepted", "green"),
            ("ordered", "green"),
            "gray",
        ),
        data_testid="offer-status",
        data_status=row.status,
    )


def _button(label: str, on_click, testid: str, busy: rx.Var, **props) -> rx.Component:
    return rx.button(
        tr(label), on_click=on_click, disabled=busy, size="2", data_testid=testid, **props
    )


def _counter_form(row: OfferRowView) -> rx.Component:
    """The seller's counter: an amount between the offer and the price."""
    input_id = "counter-" + row.key
    return rx.form(
        rx.el.input(type="hidden", name="offer_id", value=row.key),
        rx.el.label(tr("offers.counter_label"), html_for=input_id, font_size="0.85em"),
        rx.hstack(
            rx.input(
                id=input_id,
                name="counter",
                input_mode="decimal",
                auto_complete="off",
                key=OffersState.form_key.to_string(),
                aria_describedby="error-" + row.key,
                data_testid="offer-counter-amount",
                width="140px",
                size="2",
            ),
            rx.button(
                tr("offers.counter_submit"),
                type="submit",
                disabled=OffersState.busy,
                variant="soft",
                size="2",
                data_testid="offer-counter",
            ),
            spacing="2",
            align="center",
        ),
        on_submit=OffersState.counter,
        reset_on_submit=False,
        display="flex",
        flex_direction="column",
        gap="4px",
    )


def _row(row: OfferRowView, state: type[rx.State], *, seller_tools: bool) -> rx.Component:
    """One offer with what its viewer may do; ``state`` is the page's or the panel's."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(row.title, href=row.href, weight="medium"),
                rx.spacer(),
                _status(row),
                width="100%",
                align="center",
            ),
            rx.text(row.party, size="2", color_scheme="gray"),
            rx.flex(
                rx.text(row.amount, size="2", data_testid="offer-amount-shown"),
                rx.cond(
                    row.counter != "",
                    rx.text(row.counter, size="2", data_testid="offer-counter-shown"),
                ),
                rx.cond(
                    row.agreed != "",
                    rx.text(row.agreed, size="2", weight="bold", data_testid="offer-agreed"),
                ),
                rx.text(row.price, size="2", color_scheme="gray"),
                wrap="wrap",
                gap="2",
                column_gap="16px",
            ),
            rx.cond(
                row.when != "",
                rx.text(row.when, size="1", color_scheme="gray", data_testid="offer-when"),
            ),
            rx.cond(
                row.note != "",
                rx.text(row.note, size="2", data_testid="offer-note"),
            ),
            rx.flex(
                rx.cond(
                    row.can_buy,
                    _button(
                        "offers.buy",
                        state.buy(row.id),
                        "offer-buy",
                        state.busy,
                        color_scheme="green",
                    ),
                ),
                rx.cond(
                    row.can_accept,
                    _button(
                        "offers.accept", state.act(row.id, "accept"), "offer-accept", state.busy
                    ),
                ),
                rx.cond(
                    row.can_decline,
                    _button(
                        "offers.decline",
                        state.act(row.id, "decline"),
                        "offer-decline",
                        state.busy,
                        variant="soft",
                        color_scheme="red",
                    ),
                ),
                rx.cond(
                    row.can_withdraw,
                    _button(
                        "offers.withdraw",
                        state.act(row.id, "withdraw"),
                        "offer-withdraw",
                        state.busy,
                        variant="soft",
                        color_scheme="gray",
                    ),
                ),
                wrap="wrap",
                gap="2",
            ),
            *([rx.cond(row.can_counter, _counter_form(row))] if seller_tools else []),
            error_text(state.errors, row.key, id="error-" + row.key),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_testid="offer-row",
        data_status=row.status,
        data_offer_id=row.key,
    )


# --- the panel on an item's page ------------------------------------------------------


def _offer_form() -> rx.Component:
    s = OfferPanelState
    return rx.form(
        rx.el.label(tr("offers.amount_label"), html_for="offer-amount", font_weight="500"),
        rx.hstack(
            rx.input(
                id="offer-amount",
                name="amount",
                input_mode="decimal",
                auto_complete="off",
                placeholder=tr("offers.amount_placeholder"),
                key=s.form_key.to_string(),
                aria_invalid=rx.cond(s.errors.contains("amount"), "true", "false"),
                aria_describedby="offer-floor amount-error",
                data_testid="offer-amount",
                width="160px",
                size="3",
            ),
            rx.button(
                rx.cond(
                    s.busy, rx.spinner(size="2"), rx.icon("handshake", size=16, aria_hidden="true")
                ),
                tr("offers.submit"),
                type="submit",
                disabled=s.busy,
                size="3",
                variant="outline",
                data_testid="offer-submit",
            ),
            spacing="2",
            align="center",
        ),
        rx.text(
            s.floor, id="offer-floor", size="1", color_scheme="gray", data_testid="offer-floor"
        ),
        field_error(s.errors, "amount"),
        field_error(s.errors, "_form"),
        on_submit=s.submit,
        reset_on_submit=False,
        display="flex",
        flex_direction="column",
        gap="6px",
        width="100%",
    )


def _panel_body() -> rx.Component:
    s = OfferPanelState
    return rx.vstack(
        rx.heading(tr("offers.panel_title"), size="3", as_="h2"),
        rx.cond(
            s.is_own,
            rx.link(tr("offers.see_received"), href="/offers?tab=received", size="2"),
            rx.cond(
                s.can_offer,
                rx.cond(
                    s.logged_in,
                    _offer_form(),
                    rx.link(tr("offers.log_in"), href=s.login_href, data_testid="offer-log-in"),
                ),
            ),
        ),
        rx.cond(
            s.held_note != "",
            rx.text(s.held_note, size="2", color_scheme="orange", data_testid="offer-held"),
        ),
        rx.cond(s.flash != "", notice(s.flash)),
        rx.foreach(s.rows, lambda row: _row(row, OfferPanelState, seller_tools=False)),
        spacing="3",
        width="100%",
    )


def offer_panel() -> rx.Component:
    """Make an offer on this item, and the caller's own offers on it (negotiable items only)."""
    return rx.el.section(
        rx.cond(OfferPanelState.shown, _panel_body()),
        on_mount=OfferPanelState.load,
        aria_label=tr("offers.panel_title"),
        data_testid="make-offer",
        width="100%",
    )


# --- the offers page ------------------------------------------------------------------


def _tab(tab: TabView) -> rx.Component:
    return status_tab(
        tab.label,
        href=tab.href,
        current=OffersState.tab == tab.key,
        data_testid="offers-tab",
        data_tab=tab.key,
    )


def offers_page() -> rx.Component:
    """The page at ``/offers``: offers made, and offers received on the caller's items."""
    rows = rx.vstack(
        rx.foreach(OffersState.rows, lambda row: _row(row, OffersState, seller_tools=True)),
        spacing="3",
        width="100%",
    )
    return shell(
        rx.vstack(
            rx.heading(tr("offers.title"), size="6", as_="h1"),
            status_tabs(OffersState.tabs, _tab, tr("offers.tabs_label")),
            rx.cond(OffersState.flash != "", notice(OffersState.flash)),
            loaded_list(
                OffersState.loaded,
                OffersState.rows,
                rows,
                rx.cond(
                    OffersState.tab == "made",
                    empty("offers.empty_made", "offers.browse", "/search"),
                    empty("offers.empty_received", "offers.sell", "/sell"),
                ),
            ),
            spacing="4",
            width="100%",
        )
    )
