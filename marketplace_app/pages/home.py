"""The home page: categories and sections of listings."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import card_grid, category_chip
from marketplace_app.components.feedback import empty, failed, loading
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.settings import settings
from marketplace_app.state.catalog import HomeState


def _section(title_key: str, cards, href: str, testid: str) -> rx.Component:
    return rx.el.section(
        rx.hstack(
            rx.heading(tr(title_key), size="4", as_="h2"),
            rx.spacer(),
            rx.link(tr("home.see_all"), href=href, size="2"),
            align="center",
            width="100%",
        ),
        rx.cond(cards.length() > 0, card_grid(cards), empty("home.empty_section")),
        data_testid=testid,
        width="100%",
        display="flex",
        flex_direction="column",
        gap="10px",
    )


def home_page() -> rx.Component:
    """The page at ``/``."""
    return shell(
        rx.vstack(
            rx.box(
                rx.heading(settings.market_name, size="6", as_="h1"),
                rx.text(tr("home.tagline"), color_scheme="gray"),
                padding_y="4px",
            ),
            rx.cond(
                HomeState.failed,
                failed("common.load_failed", HomeState.load),
                rx.cond(
                    HomeState.loading & (HomeState.newest.length() == 0),
                    loading(),
                    rx.vstack(
                        rx.el.section(
                            rx.heading(tr("home.categories"), size="4", as_="h2"),
                            rx.flex(
                                rx.foreach(HomeState.categories, category_chip),
                                wrap="wrap",
                                gap="2",
                            ),
                            width="100%",
                        ),
                        rx.cond(
                            HomeState.recently_viewed.length() > 0,
                            _section(
                                "home.recently_viewed",
                                HomeState.recently_viewed,
                                "/favorites",
                                "home-recent",
                            ),
                        ),
                        _section(
                            "home.near_you",
                            HomeState.near_you,
                            "/search?sort=distance",
                            "home-near",
                        ),
                        _section(
                            "home.new_arrivals", HomeState.newest, "/search?sort=newest", "home-new"
                        ),
                        _section(
                            "home.from_shops",
                            HomeState.from_shops,
                            "/search?kind=shop",
                            "home-shops",
                        ),
                        _section(
                            "home.from_neighbours",
                            HomeState.from_neighbours,
                            "/search?kind=secondhand",
                            "home-neighbours",
                        ),
                        spacing="6",
                        width="100%",
                    ),
                ),
            ),
            spacing="4",
            width="100%",
        )
    )
