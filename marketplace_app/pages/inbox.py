"""``/inbox``: notices about the caller's orders, newest first, unread ones marked."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loaded_list
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.inbox import InboxItemView, InboxState
from marketplace_app.state.session import SessionState


def _item(item: InboxItemView) -> rx.Component:
    return rx.el.li(
        rx.el.button(
            rx.flex(
                rx.box(
                    width="8px",
                    height="8px",
                    border_radius="999px",
                    flex_shrink="0",
                    margin_top="7px",
                    background=rx.cond(item.unread, rx.color("accent", 9), "transparent"),
                    aria_hidden="true",
                ),
                rx.vstack(
                    rx.text(
                        item.text,
                        size="2",
                        weight=rx.cond(item.unread, "bold", "regular"),
                        data_testid="inbox-item-text",
                    ),
                    rx.hstack(
                        rx.text(item.when, size="1", color_scheme="gray"),
                        rx.cond(
                            item.unread,
                            rx.badge(tr("inbox.unread"), size="1", data_testid="inbox-unread"),
                        ),
                        spacing="2",
                        align="center",
                    ),
                    spacing="1",
                    align="start",
                    min_width="0",
                ),
                gap="10px",
                width="100%",
                text_align="left",
            ),
            type="button",
            on_click=InboxState.open_item(item.id),
            width="100%",
            padding="12px",
            border="none",
            border_radius="8px",
            cursor="pointer",
            background=rx.cond(item.unread, rx.color("accent", 2), "white"),
            _hover={"background": rx.color("accent", 3)},
            _focus_visible={"outline": f"2px solid {rx.color('accent', 8)}"},
        ),
        data_testid="inbox-item",
        data_unread=rx.cond(item.unread, "true", "false"),
        list_style="none",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
    )


def inbox_page() -> rx.Component:
    """``/inbox`` (login required)."""
    return shell(
        rx.vstack(
            rx.hstack(
                rx.heading(tr("inbox.title"), size="6", as_="h1"),
                rx.spacer(),
                rx.cond(
                    SessionState.unread_count > 0,
                    rx.button(
                        rx.icon("check-check", size=16, aria_hidden="true"),
                        tr("inbox.mark_all_read"),
                        variant="soft",
                        size="2",
                        on_click=InboxState.mark_all_read,
                        data_testid="inbox-mark-all-read",
                    ),
                ),
                width="100%",
                align="center",
            ),
            loaded_list(
                InboxState.loaded,
                InboxState.items,
                rx.card(
                    rx.el.ul(
                        rx.foreach(InboxState.items, _item),
                        aria_label=tr("inbox.title"),
                        padding="0",
                        margin="0",
                    ),
                    width="100%",
                    padding="0",
                ),
                empty("inbox.empty", "common.back_home", "/"),
            ),
            data_testid="inbox-page",
            spacing="4",
            width="100%",
            max_width="760px",
            margin="0 auto",
        )
    )
