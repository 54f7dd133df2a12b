"""``/messages`` (the caller's conversations) and ``/messages/<id>`` (one live thread)."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loaded_list, loading, notice
from marketplace_app.components.fields import described, field_error
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.report_dialog import report_content
from marketplace_app.services import media, messaging
from marketplace_app.state.messages import (
    IMAGE_UPLOAD_ID,
    ConversationView,
    MessagesState,
    MessageView,
    ThreadState,
)

T = ThreadState


# -- the list


def _thumb(src: rx.Var, alt: rx.Var | str = "") -> rx.Component:
    return rx.cond(
        src != "",
        rx.image(
            src=src,
            alt=alt,
            width="56px",
            height="56px",
            object_fit="cover",
            border_radius="6px",
            flex_shrink="0",
        ),
        rx.center(
            rx.icon("message-square", size=22, aria_hidden="true"),
            width="56px",
            height="56px",
            border_radius="6px",
            background=rx.color("gray", 4),
            flex_shrink="0",
        ),
    )


def _row(row: ConversationView) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                _thumb(row.cover_src),
                rx.vstack(
                    rx.hstack(
                        rx.text(row.other_name, weight="bold", size="2", trim="both"),
                        rx.spacer(),
                        rx.text(row.when, size="1", color_scheme="gray"),
                        width="100%",
                        align="center",
                    ),
                    rx.text(row.subject, size="1", color_scheme="gray", trim="both"),
                    rx.hstack(
                        rx.text(
                            row.preview,
                            size="2",
                            overflow="hidden",
                            text_overflow="ellipsis",
                            white_space="nowrap",
                            flex="1",
                            min_width="0",
                            weight=rx.cond(row.unread > 0, "bold", "regular"),
                            data_testid="conversation-preview",
                        ),
                        rx.cond(
                            row.unread > 0,
                            rx.badge(
                                row.unread.to_string(),
                                color_scheme="red",
                                variant="solid",
                                radius="full",
                                aria_label=tr("messages.unread_label"),
                                data_testid="conversation-unread",
                            ),
                        ),
                        width="100%",
                        align="center",
                    ),
                    spacing="1",
                    flex="1",
                    min_width="0",
                ),
                spacing="3",
                align="center",
                width="100%",
            ),
            width="100%",
        ),
        href=row.href,
        underline="none",
        color="inherit",
        width="100%",
        data_testid="conversation-row",
    )


def messages_page() -> rx.Component:
    """The page at ``/messages``."""
    return shell(
        rx.vstack(
            rx.heading(tr("messages.title"), size="6", as_="h1"),
            loaded_list(
                MessagesState.loaded,
                MessagesState.rows,
                rx.vstack(
                    rx.foreach(MessagesState.rows, _row),
                    rx.cond(
                        MessagesState.more,
                        rx.button(
                            tr("messages.load_more"),
                            on_click=MessagesState.load_more,
                            loading=MessagesState.loading_more,
                            variant="soft",
                            data_testid="load-more",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                    aria_live="polite",
                    data_testid="conversation-list",
                ),
                empty("messages.empty", "messages.empty_action", "/search"),
            ),
            spacing="4",
            width="100%",
            max_width="720px",
            margin="0 auto",
        )
    )


# -- a thread


def _message(m: MessageView) -> rx.Component:
    bubble = rx.cond(
        m.hidden,
        rx.text(
            rx.icon("shield-alert", size=14, aria_hidden="true"),
            " ",
            m.hidden_note,
            size="2",
            color_scheme="gray",
            font_style="italic",
            data_testid="message-hidden",
        ),
        rx.fragment(
            rx.cond(
                m.image_src != "",
                rx.link(
                    rx.image(
                        src=m.image_src,
                        alt=m.image_alt,
                        max_width="240px",
                        width="100%",
                        border_radius="6px",
                        loading="lazy",
                        data_testid="message-image",
                    ),
                    href=m.image_src,
                    is_external=True,
                ),
            ),
            rx.cond(
                m.body != "",
                rx.text(m.body, size="2", white_space="pre-wrap", word_break="break-word"),
            ),
            rx.cond(
                m.masked,
                rx.text(
                    rx.icon("eye-off", size=12, aria_hidden="true"),
                    " ",
                    tr("messages.masked_notice"),
                    size="1",
                    color_scheme="orange",
                    data_testid="message-masked-notice",
                ),
            ),
        ),
    )
    return rx.box(
        rx.hstack(
            rx.text(m.sender, size="1", weight="bold"),
            rx.text(m.when, size="1", color_scheme="gray"),
            rx.cond(
                ~m.mine & ~m.hidden,
                rx.icon_button(
                    rx.icon("flag", size=12, aria_hidden="true"),
                    variant="ghost",
                    color_scheme="gray",
                    size="1",
                    aria_label=tr("messages.report"),
                    title=tr("messages.report"),
                    on_click=T.start_report(m.id),
                    data_testid="message-report",
                ),
            ),
            spacing="2",
            align="center",
        ),
        bubble,
        align_self=rx.cond(m.mine, "flex-end", "flex-start"),
        background=rx.cond(m.mine, rx.color("accent", 3), "white"),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="10px",
        padding="6px 10px",
        max_width="85%",
        display="flex",
        flex_direction="column",
        gap="4px",
        data_testid="message-item",
        data_mine=rx.cond(m.mine, "true", "false"),
    )


def _report_dialog() -> rx.Component:
    return rx.dialog.root(
        report_content(
            title_key="messages.report_title",
            sent=T.report_sent,
            errors=T.report_errors,
            close=T.close_report,
            submit=T.submit_report,
            testid="message-report",
        ),
        open=T.report_id != 0,
        on_open_change=T.report_open_change,
    )


def _header() -> rx.Component:
    return rx.hstack(
        rx.link(
            rx.icon("arrow-left", size=18, aria_hidden="true"),
            href="/messages",
            aria_label=tr("messages.back"),
            data_testid="messages-back",
        ),
        _thumb(T.cover_src),
        rx.vstack(
            rx.heading(T.other_name, size="4", as_="h1", data_testid="thread-other"),
            rx.cond(
                T.subject_href != "",
                rx.link(T.subject, href=T.subject_href, size="2", data_testid="thread-subject"),
                rx.text(T.subject, size="2"),
            ),
            spacing="0",
            flex="1",
            min_width="0",
        ),
        rx.button(
            rx.icon("ban", size=14, aria_hidden="true"),
            rx.cond(T.blocked_by_me, tr("messages.unblock"), tr("messages.block")),
            on_click=T.toggle_block,
            variant="soft",
            color_scheme=rx.cond(T.blocked_by_me, "gray", "red"),
            size="1",
            data_testid="user-block",
        ),
        align="center",
        spacing="3",
        width="100%",
    )


def _attach() -> rx.Component:
    busy = T.uploading | T.sending | T.blocked_by_me | T.blocked_me
    zone = rx.upload.root(
        rx.icon_button(
            rx.cond(
                T.uploading,
                rx.spinner(size="2"),
                rx.icon("image-plus", size=18, aria_hidden="true"),
            ),
            type="button",
            variant="soft",
            size="3",
            aria_label=tr("messages.attach"),
            title=tr("messages.attach"),
            disabled=busy,
            data_testid="message-attach",
        ),
        id=IMAGE_UPLOAD_ID,
        accept=media.ACCEPT_TYPES,
        multiple=False,
        max_files=1,
        max_size=media.MAX_UPLOAD_BYTES,
        no_keyboard=True,
        disabled=busy,
        on_drop=T.attach(rx.upload_files(upload_id=IMAGE_UPLOAD_ID)),
        on_drop_rejected=T.image_refused,
        border="none",
        padding="0",
    )
    file_input = zone.children[0].children[0]
    file_input.custom_attrs.update(
        {"data-testid": IMAGE_UPLOAD_ID, "aria-label": tr("messages.attach")}
    )
    return zone


def _composer() -> rx.Component:
    blocked = T.blocked_by_me | T.blocked_me
    return rx.vstack(
        rx.cond(
            T.blocked_by_me,
            notice(tr("messages.you_blocked_note"), color="orange"),
            rx.cond(T.blocked_me, notice(tr("messages.blocked_note"), color="orange")),
        ),
        field_error(T.errors, "_form"),
        rx.form(
            rx.hstack(
                _attach(),
                rx.text_area(
                    id="message-input",
                    name="body",
                    placeholder=tr("messages.placeholder"),
                    aria_label=tr("messages.input_label"),
                    max_length=messaging.BODY_MAX,
                    rows="2",
                    resize="vertical",
                    disabled=blocked,
                    flex="1",
                    data_testid="message-input",
                    enter_key_submit=True,
                    **described(T.errors, "body"),
                ),
                rx.button(
                    rx.icon("send", size=16, aria_hidden="true"),
                    rx.text(
                        tr("messages.send"), display=rx.breakpoints(initial="none", sm="inline")
                    ),
                    type="submit",
                    loading=T.sending,
                    disabled=blocked | T.uploading,
                    aria_label=tr("messages.send"),
                    size="3",
                    data_testid="message-send",
                ),
                align="end",
                spacing="2",
                width="100%",
            ),
            field_error(T.errors, "body"),
            on_submit=T.send,
            reset_on_submit=False,
            width="100%",
        ),
        rx.cond(
            T.masking,
            rx.text(
                rx.icon("shield", size=12, aria_hidden="true"),
                " ",
                tr("messages.masking_rule"),
                size="1",
                color_scheme="gray",
                data_testid="message-masking-rule",
            ),
        ),
        spacing="2",
        width="100%",
        position="sticky",
        bottom=rx.breakpoints(initial="64px", sm="0"),
        background=rx.color("gray", 2),
        padding_y="8px",
    )


def _thread() -> rx.Component:
    return rx.vstack(
        _header(),
        rx.separator(size="4"),
        rx.cond(
            T.items.length() > 0,
            rx.vstack(
                rx.foreach(T.items, _message),
                spacing="2",
                width="100%",
                role="log",
                aria_live="polite",
                aria_label=tr("messages.thread_label"),
                data_testid="message-list",
            ),
            rx.center(
                rx.text(tr("messages.thread_empty"), color_scheme="gray", size="2"),
                padding="2em",
                data_testid="empty-state",
            ),
        ),
        rx.box(id="thread-end"),
        _composer(),
        _report_dialog(),
        spacing="3",
        width="100%",
        max_width="720px",
        margin="0 auto",
    )


def thread_page() -> rx.Component:
    """The page at ``/messages/[conversation_id]``."""
    return shell(
        rx.cond(
            ~T.loaded,
            loading(),
            rx.cond(
                T.found,
                _thread(),
                rx.center(
                    rx.vstack(
                        rx.heading(tr("messages.not_found"), size="5"),
                        rx.link(tr("messages.back"), href="/messages"),
                        align="center",
                    ),
                    padding="3em",
                    data_testid="not-found",
                ),
            ),
        )
    )
