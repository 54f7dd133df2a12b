"""The heart button: keep a listing among your favorites."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.i18n import tr
from marketplace_app.state.favorites import FavoriteState


def heart(listing_id: rx.Var, testid: str, size: str = "2") -> rx.Component:
    """A toggle button showing whether the caller keeps this listing.

    Guests are sent to log in (the handler's guard does that) and come back.

    Args:
        listing_id: the listing's id var.
        testid: data-testid of the button.
        size: Radix button size.

    Returns:
        The button.
    """
    kept = FavoriteState.ids.contains(listing_id)
    return rx.icon_button(
        rx.icon("heart", fill=rx.cond(kept, "currentColor", "none"), aria_hidden="true"),
        on_click=FavoriteState.toggle(listing_id),
        aria_pressed=rx.cond(kept, "true", "false"),
        aria_label=rx.cond(kept, tr("favorite.remove"), tr("favorite.add")),
        title=rx.cond(kept, tr("favorite.remove"), tr("favorite.add")),
        color_scheme=rx.cond(kept, "red", "gray"),
        variant="soft",
        radius="full",
        size=size,
        data_testid=testid,
        type="button",
    )
