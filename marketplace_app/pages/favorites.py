"""The favorites page: the listings the user keeps hearts on."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import card_grid
from marketplace_app.components.feedback import empty, loaded_list
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.favorites_page import FavoritesPageState


def favorites_page() -> rx.Component:
    """The page at ``/favorites``."""
    return shell(
        rx.vstack(
            rx.heading(tr("favorites.title"), size="6", as_="h1"),
            loaded_list(
                FavoritesPageState.loaded,
                FavoritesPageState.cards,
                rx.box(
                    card_grid(FavoritesPageState.cards),
                    data_testid="favorites-list",
                    width="100%",
                ),
                empty("favorites.empty", "favorites.browse", "/search"),
            ),
            rx.cond(
                FavoritesPageState.recent.length() > 0,
                rx.el.section(
                    rx.heading(tr("home.recently_viewed"), size="4", as_="h2"),
                    card_grid(FavoritesPageState.recent),
                    data_testid="recently-viewed",
                    width="100%",
                ),
            ),
            spacing="5",
            width="100%",
        )
    )
