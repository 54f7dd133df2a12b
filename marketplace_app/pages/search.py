"""The search page: words, filters, sort, results and pages."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import card_grid
from marketplace_app.components.feedback import empty, failed, loading
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.models.catalog import CONDITIONS
from marketplace_app.services.search import RADII_KM, SORTS
from marketplace_app.state.search import SearchState
from marketplace_app.state.views import CategoryView

SELECT_STYLE = {
    "padding": "8px",
    "border_radius": "6px",
    "border": "1px solid var(--gray-7)",
    "background": "white",
    "width": "100%",
    "min_height": "40px",
}


def _label(key: str, html_for: str) -> rx.Component:
    return rx.el.label(tr(key), html_for=html_for, font_weight="500", font_size="0.85em")


def _select(name: str, testid: str, label_key: str, options: list[rx.Component]) -> rx.Component:
    return rx.box(
        _label(label_key, f"f-{name}"),
        rx.el.select(
            *options,
            id=f"f-{name}",
            value=SearchState.f[name].to(str),
            on_change=lambda v: SearchState.set_filter(name, v),
            data_testid=testid,
            style=SELECT_STYLE,
        ),
        width="100%",
    )


def _price(name: str, testid: str, label_key: str) -> rx.Component:
    # Keyed by the applied value: the uncontrolled box is rebuilt when the filter changes.
    return rx.box(
        _label(label_key, f"f-{name}"),
        rx.input(
            id=f"f-{name}",
            name=name,
            default_value=SearchState.f[name].to(str),
            key=SearchState.f[name].to(str),
            input_mode="decimal",
            data_testid=testid,
            max_length=12,
        ),
        flex="1",
    )


def _category_option(cat: CategoryView) -> rx.Component:
    return rx.el.option(cat.name, value=cat.slug)


def _filters() -> rx.Component:
    return rx.vstack(
        _select(
            "category",
            "filter-category",
            "search.category",
            [
                rx.el.option(tr("search.any"), value=""),
                rx.foreach(SearchState.categories, _category_option),
            ],
        ),
        _select(
            "kind",
            "filter-kind",
            "search.kind",
            [
                rx.el.option(tr("search.kind_both"), value=""),
                rx.el.option(tr("search.kind_shop"), value="shop"),
                rx.el.option(tr("search.kind_secondhand"), value="secondhand"),
            ],
        ),
        _select(
            "cond",
            "filter-condition",
            "search.condition",
            [rx.el.option(tr("search.any"), value="")]
            + [rx.el.option(tr(f"condition.{c}"), value=c) for c in CONDITIONS],
        ),
        rx.form(
            rx.hstack(
                _price("min", "filter-min-price", "search.min_price"),
                _price("max", "filter-max-price", "search.max_price"),
                align="end",
                width="100%",
            ),
            rx.el.input(type="hidden", name="q", value=SearchState.f["q"].to(str)),
            rx.button(
                tr("search.apply_price"),
                type="submit",
                variant="soft",
                size="2",
                width="100%",
                margin_top="6px",
                data_testid="filter-apply",
            ),
            on_submit=SearchState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.el.label(
            rx.checkbox(
                checked=SearchState.f["free"] == "1",
                on_change=SearchState.set_free,
                data_testid="filter-free",
            ),
            tr("search.free_only"),
            display="flex",
            gap="8px",
            align_items="center",
            font_size="0.9em",
        ),
        _select(
            "near",
            "filter-near",
            "search.near",
            [
                rx.el.option(tr("search.near_me"), value=""),
                rx.foreach(SearchState.districts, lambda d: rx.el.option(d, value=d)),
            ],
        ),
        _select(
            "radius",
            "filter-radius",
            "search.radius",
            [rx.el.option(tr("search.any_distance"), value="")]
            + [rx.el.option(f"{r} km", value=str(r)) for r in RADII_KM],
        ),
        spacing="3",
        width="100%",
    )


def _toolbar() -> rx.Component:
    return rx.hstack(
        rx.heading(SearchState.heading, size="5", as_="h1"),
        rx.text(
            SearchState.total.to_string(),
            " ",
            tr("search.results"),
            data_testid="results-count",
            data_query=SearchState.shown_query,
            aria_busy=rx.cond(SearchState.loading, "true", "false"),
            color_scheme="gray",
            size="2",
        ),
        rx.spacer(),
        rx.button(
            rx.icon("sliders-horizontal", size=16, aria_hidden="true"),
            tr("search.filters"),
            rx.cond(
                SearchState.active_filters > 0, rx.badge(SearchState.active_filters.to_string())
            ),
            on_click=SearchState.toggle_filters,
            variant="soft",
            size="2",
            display=rx.breakpoints(initial="inline-flex", sm="none"),
            aria_expanded=rx.cond(SearchState.filters_open, "true", "false"),
            aria_controls="search-filters",
            data_testid="filters-toggle",
        ),
        rx.box(
            rx.el.label(tr("search.sort"), html_for="f-sort", class_name="visually-hidden"),
            rx.el.select(
                *[rx.el.option(tr(f"search.sort.{s}"), value=s) for s in SORTS],
                id="f-sort",
                value=rx.cond(SearchState.f["sort"] == "", "relevance", SearchState.f["sort"]),
                on_change=lambda v: SearchState.set_filter("sort", v),
                data_testid="sort-select",
                style={**SELECT_STYLE, "width": "auto"},
            ),
        ),
        align="center",
        wrap="wrap",
        width="100%",
        spacing="3",
    )


def _results() -> rx.Component:
    return rx.cond(
        SearchState.failed,
        failed("common.load_failed", SearchState.load),
        rx.cond(
            SearchState.loading & (SearchState.cards.length() == 0),
            loading(),
            rx.cond(
                SearchState.cards.length() > 0,
                rx.box(
                    card_grid(SearchState.cards),
                    opacity=rx.cond(SearchState.loading, "0.5", "1"),
                    width="100%",
                ),
                empty("search.empty", "search.clear", "/search"),
            ),
        ),
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.cond(
            SearchState.page_number > 1,
            rx.link(tr("search.prev"), href=SearchState.prev_href, data_testid="page-prev"),
        ),
        rx.spacer(),
        rx.cond(
            SearchState.has_next,
            rx.link(tr("search.next"), href=SearchState.next_href, data_testid="page-next"),
        ),
        width="100%",
    )


def search_page() -> rx.Component:
    """The page at ``/search``."""
    return shell(
        rx.vstack(
            rx.form(
                rx.hstack(
                    rx.input(
                        name="q",
                        type="search",
                        default_value=SearchState.f["q"].to(str),
                        key=SearchState.f["q"].to(str),
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
                on_submit=SearchState.submit,
                reset_on_submit=False,
                width="100%",
                role="search",
            ),
            _toolbar(),
            rx.flex(
                rx.box(
                    _filters(),
                    id="search-filters",
                    display=rx.breakpoints(
                        initial=rx.cond(SearchState.filters_open, "block", "none"), sm="block"
                    ),
                    width=rx.breakpoints(initial="100%", sm="230px"),
                    flex_shrink="0",
                    background="white",
                    border=f"1px solid {rx.color('gray', 5)}",
                    border_radius="8px",
                    padding="12px",
                    role="region",
                    aria_label=tr("search.filters"),
                ),
                rx.vstack(_results(), _pager(), width="100%", spacing="4"),
                direction=rx.breakpoints(initial="column", sm="row"),
                gap="16px",
                width="100%",
                align="start",
            ),
            spacing="4",
            width="100%",
        )
    )
