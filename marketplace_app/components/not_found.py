"""The "not found" panel of pages that load something named in their URL."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.i18n import tr


def not_found_box(heading_key: str, link_key: str, href: str) -> rx.Component:
    """A "not found" panel with a way on.

    Args:
        heading_key: i18n key of what is missing.
        link_key: i18n key of the way on.
        href: where the way on leads.

    Returns:
        The centred panel (test id ``not-found``).
    """
    return rx.center(
        rx.vstack(
            rx.heading(tr(heading_key), size="5"),
            rx.link(tr(link_key), href=href),
            align="center",
        ),
        padding="3em",
        data_testid="not-found",
    )
