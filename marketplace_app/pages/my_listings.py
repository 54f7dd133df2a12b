"""``/my/listings``: the seller's own listings by status, with their actions."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loaded_list, notice
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.tabs import status_tab, status_tabs
from marketplace_app.state.my_listings import MyListingsState, MyListingView, TabView


def _tab(tab: TabView) -> rx.Component:
    return status_tab(
        tab.label,
        " ",
        rx.badge(tab.count.to_string(), variant="soft", radius="full", size="1"),
        href=tab.href,
        current=MyListingsState.tab == tab.key,
        data_testid="my-listings-tab",
        data_tab=tab.key,
    )


def _tabs() -> rx.Component:
    return status_tabs(MyListingsState.tabs, _tab, tr("my_listings.tabs_label"))


def _confirm(row: MyListingView) -> rx.Component:
    return rx.hstack(
        rx.text(tr("my_listings.confirm_delete"), size="2", weight="medium"),
        rx.button(
            tr("common.delete"),
            color_scheme="red",
            size="2",
            on_click=MyListingsState.confirm_delete,
            data_testid="listing-delete-confirm",
        ),
        rx.button(
            tr("common.cancel"),
            variant="soft",
            size="2",
            on_click=MyListingsState.cancel_delete,
            data_testid="listing-delete-cancel",
        ),
        role="alertdialog",
        aria_label=row.delete_label,
        wrap="wrap",
        align="center",
        spacing="2",
        width="100%",
    )


def _actions(row: MyListingView) -> rx.Component:
    return rx.flex(
        rx.button(
            rx.link(
                rx.icon("pencil", size=14, aria_hidden="true"),
                tr("common.edit"),
                href=row.edit_href,
                data_testid="listing-edit",
            ),
            as_child=True,
            variant="soft",
            size="2",
        ),
        rx.cond(
            row.can_pause | row.can_unpause,
            rx.button(
                rx.cond(
                    row.can_pause,
                    rx.icon("pause", size=14, aria_hidden="true"),
                    rx.icon("play", size=14, aria_hidden="true"),
                ),
                rx.cond(row.can_pause, tr("my_listings.pause"), tr("my_listings.unpause")),
                variant="soft",
                size="2",
                on_click=MyListingsState.toggle_pause(row.id),
                data_testid="listing-pause",
            ),
        ),
        rx.cond(
            row.can_mark_sold,
            rx.button(
                rx.icon("badge-check", size=14, aria_hidden="true"),
                tr("my_listings.mark_sold"),
                variant="soft",
                color_scheme="green",
                size="2",
                on_click=MyListingsState.mark_sold(row.id),
                data_testid="listing-mark-sold",
            ),
        ),
        rx.button(
            rx.icon("trash-2", size=14, aria_hidden="true"),
            tr("common.delete"),
            variant="soft",
            color_scheme="red",
            size="2",
            aria_label=row.delete_label,
            on_click=MyListingsState.ask_delete(row.id),
            data_testid="listing-delete",
        ),
        gap="8px",
        wrap="wrap",
    )


def _row(row: MyListingView) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.link(
                rx.image(
                    src=row.image,
                    alt=row.title,
                    width="88px",
                    height="88px",
                    object_fit="cover",
                    border_radius="6px",
                    background=rx.color("gray", 4),
                    loading="lazy",
                ),
                href=row.href,
                flex_shrink="0",
            ),
            rx.vstack(
                rx.link(
                    rx.text(row.title, weight="bold", data_testid="my-listing-title"),
                    href=row.href,
                    color="inherit",
                ),
                rx.hstack(
                    rx.text(row.price, weight="bold", color=rx.color("accent", 11)),
                    rx.badge(
                        row.status_label,
                        color_scheme=rx.match(
                            row.status,
                            ("active", "green"),
                            ("paused", "orange"),
                            ("sold", "blue"),
                            "gray",
                        ),
                        data_testid="my-listing-status",
                    ),
                    align="center",
                    spacing="2",
                    wrap="wrap",
                ),
                rx.text(row.updated, " · ", row.views, size="1", color_scheme="gray"),
                rx.cond(
                    row.note != "",
                    rx.text(
                        row.note, size="2", color_scheme="orange", data_testid="my-listing-note"
                    ),
                ),
                rx.cond(
                    row.status != "removed",
                    rx.cond(MyListingsState.confirm_id == row.id, _confirm(row), _actions(row)),
                ),
                spacing="2",
                align="start",
                width="100%",
                min_width="0",
            ),
            gap="12px",
            width="100%",
        ),
        data_testid="my-listing-row",
        data_status=row.status,
        width="100%",
    )


def my_listings_page() -> rx.Component:
    """``/my/listings`` (login required)."""
    return shell(
        rx.vstack(
            rx.hstack(
                rx.heading(tr("my_listings.title"), size="6", as_="h1"),
                rx.spacer(),
                rx.button(
                    rx.link(
                        rx.icon("circle-plus", size=16, aria_hidden="true"),
                        tr("my_listings.new"),
                        href="/sell",
                        data_testid="my-listings-new",
                    ),
                    as_child=True,
                    size="2",
                ),
                width="100%",
                align="center",
            ),
            _tabs(),
            rx.cond(MyListingsState.flash != "", notice(MyListingsState.flash)),
            rx.cond(MyListingsState.error != "", notice(MyListingsState.error, color="red")),
            loaded_list(
                MyListingsState.loaded,
                MyListingsState.rows,
                rx.vstack(rx.foreach(MyListingsState.rows, _row), spacing="3", width="100%"),
                empty("my_listings.empty", "my_listings.empty_action", "/sell"),
            ),
            spacing="4",
            width="100%",
            max_width="760px",
            margin="0 auto",
        )
    )
