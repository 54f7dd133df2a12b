"""A bar of status tabs: links that filter a list page, the current one marked."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def status_tab(
    *children: rx.Component | rx.Var, href: rx.Var, current: rx.Var, **props
) -> rx.Component:
    """One tab of a :func:`status_tabs` bar: a pill link, highlighted when current.

    Args:
        *children: the tab's label (and e.g. a count badge).
        href: where the tab leads.
        current: a boolean var, true for the tab being shown.
        **props: more props for the link (``data_testid`` and a ``data_*`` key).

    Returns:
        The link component.
    """
    return rx.link(
        *children,
        href=href,
        aria_current=rx.cond(current, "page", None),
        padding="6px 12px",
        border_radius="999px",
        white_space="nowrap",
        underline="none",
        background=rx.cond(current, rx.color("accent", 4), "transparent"),
        color=rx.cond(current, rx.color("accent", 12), rx.color("gray", 11)),
        font_weight=rx.cond(current, "600", "400"),
        **props,
    )


def status_tabs(tabs: rx.Var, render: Callable[[rx.Var], rx.Component], label) -> rx.Component:
    """A wrapping navigation bar of status tabs.

    Args:
        tabs: a state's list var of tab views.
        render: makes one tab (usually with :func:`status_tab`) from a view.
        label: the bar's accessible name (a translated var).

    Returns:
        The nav component.
    """
    return rx.el.nav(
        rx.foreach(tabs, render),
        aria_label=label,
        display="flex",
        flex_wrap="wrap",
        gap="4px",
        width="100%",
    )
