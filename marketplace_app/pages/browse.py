"""Browsing by keyword and category (``/search``)."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import card_grid
from marketplace_app.components.feedback import empty, loading
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.catalog import BrowseState
from marketplace_app.state.views import CategoryView


def _category_option(cat: CategoryView) -> rx.Component:
    return rx.link(
        rx.badge(
            cat.name,
            variant=rx.cond(BrowseState.category == cat.slug, "solid", "soft"),
            size="2",
        ),
        href=cat.href,
        data_testid="category-link",
        underline="none",
    )


def browse_page() -> rx.Component:
    """The page at ``/search``."""
    return shell(
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(
                        name="q",
                        type="search",
                        default_value=BrowseState.keyword,
                        key=BrowseState.keyword,
                        placeholder=tr("nav.search_placeholder"),
                        aria_label=tr("nav.search"),
                        data_testid="search-input",
                        size="3",
                        flex="1",
                        max_length=80,
                    ),
                    rx.button(
                        tr("nav.search"), type="submit", size="3", data_testid="search-submit"
                    ),
                    width="100%",
                ),
                on_submit=BrowseState.submit,
                reset_on_submit=False,
                width="100%",
                role="search",
            ),
            rx.flex(rx.foreach(BrowseState.categories, _category_option), wrap="wrap", gap="2"),
            rx.hstack(
                rx.heading(
                    rx.cond(
                        BrowseState.category_name != "",
                        BrowseState.category_name,
                        tr("browse.title"),
                    ),
                    size="5",
                    as_="h1",
                ),
                rx.text(
                    BrowseState.total.to_string(),
                    " ",
                    tr("browse.results"),
                    data_testid="results-count",
                    color_scheme="gray",
                ),
                align="baseline",
                spacing="3",
            ),
            rx.cond(
                BrowseState.loading & (BrowseState.cards.length() == 0),
                loading(),
                rx.cond(
                    BrowseState.cards.length() > 0,
                    card_grid(BrowseState.cards),
                    empty("browse.empty", "browse.clear", "/search"),
                ),
            ),
            rx.hstack(
                rx.cond(
                    BrowseState.page > 1,
                    rx.link(tr("browse.prev"), href=BrowseState.prev_href, data_testid="page-prev"),
                ),
                rx.spacer(),
                rx.cond(
                    BrowseState.has_next,
                    rx.link(tr("browse.next"), href=BrowseState.next_href, data_testid="page-next"),
                ),
                width="100%",
            ),
            spacing="4",
            width="100%",
        )
    )
