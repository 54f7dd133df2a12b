"""Pages the navigation links to whose features arrive in later milestones.

Each says plainly what is there today and offers a way on.
"""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell


def _page(
    title_key: str, message_key: str, action_key: str, href: str, testid: str
) -> rx.Component:
    return shell(
        rx.vstack(
            rx.heading(tr(title_key), size="6", as_="h1"),
            empty(message_key, action_key, href),
            data_testid=testid,
            width="100%",
        )
    )


def cart_page() -> rx.Component:
    """``/cart``."""
    return _page("cart.title", "cart.empty", "cart.browse", "/search", "cart-page")


def inbox_page() -> rx.Component:
    """``/inbox``."""
    return _page("inbox.title", "inbox.empty", "common.back_home", "/", "inbox-page")
