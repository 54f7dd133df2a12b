"""Choosing and arranging photos: a drop zone, upload progress and a preview tile."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from marketplace_app.components.i18n import tr
from marketplace_app.services import media


def picker(
    upload_id: str,
    label_key: str,
    *,
    on_drop,
    on_rejected,
    busy: rx.Var,
    multiple: bool = False,
    max_files: int = 1,
    hint_key: str = "shop.drop_hint",
    input_label_key: str | None = None,
    button_testid: str | None = None,
    large: bool = False,
) -> rx.Component:
    """A drop zone with a button; its hidden file input carries ``upload_id`` as test id.

    Args:
        upload_id: the upload's id (``rx.upload_files(upload_id=...)``).
        label_key: i18n key of the button.
        on_drop: the event for the chosen files.
        on_rejected: the event for files the browser refused (type or size).
        busy: disables the zone while an upload runs.
        multiple: whether several files may be chosen at once.
        max_files: how many files at the most.
        hint_key: i18n key of the line under the button.
        input_label_key: i18n key naming the file input for screen readers
            (the button's label when None).
        button_testid: data-testid of the button.
        large: a roomier zone with a camera icon that lights up while dragging.

    Returns:
        The upload zone.
    """
    zone = rx.upload.root(
        rx.vstack(
            *(
                [rx.icon("camera", size=28, aria_hidden="true", color=rx.color("accent", 10))]
                if large
                else []
            ),
            rx.button(
                rx.icon("image-plus", size=16, aria_hidden="true"),
                tr(label_key),
                type="button",
                variant="soft",
                size="3" if large else "2",
                disabled=busy,
                data_testid=button_testid,
            ),
            rx.text(tr(hint_key), size="1", color_scheme="gray"),
            align="center",
            spacing="2" if large else "1",
        ),
        id=upload_id,
        accept=media.ACCEPT_TYPES,
        multiple=multiple,
        max_files=max_files,
        max_size=media.MAX_UPLOAD_BYTES,
        no_keyboard=True,
        disabled=busy,
        on_drop=on_drop,
        on_drop_rejected=on_rejected,
        border=f"2px dashed {rx.color('accent', 7)}",
        border_radius="8px",
        padding="16px" if large else "12px",
        background=rx.color("accent", 2),
        cursor="pointer",
        width="100%",
        **({"drag_active_style": {"background": rx.color("accent", 4)}} if large else {}),
    )
    # The hidden <input type=file> itself carries the test id and a label.
    file_input = zone.children[0].children[0]
    file_input.custom_attrs.update(
        {"data-testid": upload_id, "aria-label": tr(input_label_key or label_key)}
    )
    return zone


def upload_progress(
    busy: rx.Var,
    percent: rx.Var,
    testid: str,
    *,
    label_key: str = "shop.uploading",
    count: rx.Var | None = None,
) -> rx.Component:
    """An upload progress bar, shown while ``busy``.

    Args:
        busy: whether to show it.
        percent: how far the upload got (0-100).
        testid: data-testid of the bar's box.
        label_key: i18n key of the text before the percentage.
        count: how many files are on their way, shown in brackets when given.

    Returns:
        The progress component.
    """
    counted = [" (", count, ") "] if count is not None else [" "]
    return rx.cond(
        busy,
        rx.vstack(
            rx.hstack(
                rx.spinner(size="2"),
                rx.text(tr(label_key), *counted, percent, "%", size="2"),
                align="center",
                spacing="2",
            ),
            rx.progress(value=percent, max=100, width="100%"),
            role="status",
            aria_live="polite",
            width="100%",
            spacing="1",
            data_testid=testid,
        ),
    )


def _icon_button(icon: str, label, on_click, testid: str, disabled, **props) -> rx.Component:
    return rx.icon_button(
        rx.icon(icon, size=16, aria_hidden="true"),
        type="button",
        variant="soft",
        size="2",
        aria_label=label,
        title=label,
        on_click=on_click,
        disabled=disabled,
        data_testid=testid,
        **props,
    )


def photo_tile(
    photo,
    *,
    testid_prefix: str,
    cover_key: str,
    busy: rx.Var,
    on_cover: Callable,
    on_remove: Callable,
    on_move: Callable | None = None,
) -> rx.Component:
    """A stored photo's preview with its cover badge and buttons.

    Args:
        photo: the photo's view var (``id``, ``src``, ``alt``, ``is_cover``,
            ``cover_label``, ``remove_label``; with ``on_move`` also
            ``is_first``, ``is_last``, ``left_label`` and ``right_label``).
        testid_prefix: test ids are ``<prefix>-preview``, ``-left``,
            ``-right``, ``-cover`` and ``-remove``.
        cover_key: i18n key of the cover badge.
        busy: disables the buttons while a photo action runs.
        on_cover: ``on_cover(photo_id)`` makes a photo the cover.
        on_remove: ``on_remove(photo_id)`` removes a photo.
        on_move: ``on_move(photo_id, -1 | 1)`` moves a photo left or right;
            None offers no moving.

    Returns:
        The tile.
    """
    moves = (
        [
            _icon_button(
                "chevron-left",
                photo.left_label,
                on_move(photo.id, -1),
                f"{testid_prefix}-left",
                photo.is_first | busy,
            ),
            _icon_button(
                "chevron-right",
                photo.right_label,
                on_move(photo.id, 1),
                f"{testid_prefix}-right",
                photo.is_last | busy,
            ),
        ]
        if on_move is not None
        else []
    )
    return rx.box(
        rx.image(
            src=photo.src,
            alt=photo.alt,
            width="100%",
            aspect_ratio="1",
            object_fit="cover",
            border_radius="6px",
            background=rx.color("gray", 4),
        ),
        rx.cond(
            photo.is_cover,
            rx.badge(tr(cover_key), position="absolute", top="6px", left="6px", variant="solid"),
        ),
        rx.hstack(
            *moves,
            _icon_button(
                "star",
                photo.cover_label,
                on_cover(photo.id),
                f"{testid_prefix}-cover",
                photo.is_cover | busy,
            ),
            _icon_button(
                "trash-2",
                photo.remove_label,
                on_remove(photo.id),
                f"{testid_prefix}-remove",
                busy,
                color_scheme="red",
            ),
            spacing="1",
            justify="between",
            width="100%",
            padding_top="6px",
        ),
        data_testid=f"{testid_prefix}-preview",
        position="relative",
        role="group",
        aria_label=photo.alt,
    )
