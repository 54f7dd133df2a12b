"""Loading, empty, error and notice states shared by pages."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.i18n import tr


def loading(testid: str = "loading") -> rx.Component:
    """A spinner with a label for screen readers."""
    return rx.center(
        rx.spinner(size="3"),
        rx.text(tr("common.loading"), size="2", color_scheme="gray"),
        role="status",
        aria_live="polite",
        data_testid=testid,
        direction="column",
        spacing="2",
        padding="2em",
    )


def loaded_list(
    loaded: rx.Var, rows: rx.Var, content: rx.Component, when_empty: rx.Component
) -> rx.Component:
    """A spinner until loaded; then ``content``, or ``when_empty`` when ``rows`` is empty.

    Args:
        loaded: a state's bool var, true once the rows are in.
        rows: the state's list var.
        content: what shows the rows.
        when_empty: what shows instead when there are none (usually :func:`empty`).

    Returns:
        The conditional component.
    """
    return rx.cond(loaded, rx.cond(rows.length() > 0, content, when_empty), loading())


def empty(message_key: str, action_key: str | None = None, href: str = "/") -> rx.Component:
    """An empty list: what it means and a way on."""
    return rx.center(
        rx.icon("inbox", size=36, color=rx.color("gray", 8), aria_hidden="true"),
        rx.text(tr(message_key), color_scheme="gray"),
        *([rx.link(tr(action_key), href=href)] if action_key else []),
        direction="column",
        spacing="2",
        padding="2em",
        data_testid="empty-state",
    )


def failed(message_key: str, retry) -> rx.Component:
    """A failed load with a retry button."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.callout.text(tr(message_key)),
        rx.button(tr("common.retry"), on_click=retry, variant="soft", size="1"),
        color_scheme="red",
        role="alert",
        data_testid="error-state",
    )


def notice(text: rx.Var | str, color: str = "green") -> rx.Component:
    """A flash message (``toast``)."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("info")),
        rx.callout.text(text),
        color_scheme=color,
        role="status",
        data_testid="toast",
    )
