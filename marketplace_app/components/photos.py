"""Choosing and arranging photos: a drop zone, upload progress and preview tiles."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from marketplace_app.components.fields import field_error
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


def _removable_tile(photo, index, remove_key: str, on_remove: Callable, testid: str):
    return rx.box(
        rx.image(
            src=photo.src,
            alt=photo.alt,
            width="80px",
            height="80px",
            object_fit="cover",
            border_radius="6px",
        ),
        rx.icon_button(
            rx.icon("x", size=12, aria_hidden="true"),
            type="button",
            size="1",
            variant="solid",
            color_scheme="red",
            aria_label=tr(remove_key),
            on_click=on_remove(index),
            position="absolute",
            top="2px",
            right="2px",
        ),
        position="relative",
        data_testid=testid,
    )


def form_photos(
    upload_id: str,
    *,
    label_key: str,
    add_key: str,
    hint_key: str,
    remove_key: str,
    preview_testid: str,
    photos: rx.Var,
    uploading: rx.Var,
    errors: rx.Var,
    max_files: int,
    on_upload: Callable,
    on_remove: Callable,
) -> rx.Component:
    """A form's photos (a refund request's, a review's): a drop zone, a spinner and previews.

    The hidden file input carries ``upload_id`` as test id; each preview has a
    button taking it out of the form again.

    Args:
        upload_id: the upload's id (``rx.upload_files(upload_id=...)``).
        label_key: i18n key of the heading, also naming the file input.
        add_key: i18n key of the button.
        hint_key: i18n key of the line next to the button.
        remove_key: i18n key naming a preview's remove button.
        preview_testid: data-testid of each preview.
        photos: the photos' view var (items with ``src`` and ``alt``).
        uploading: disables the zone and shows a spinner while an upload runs.
        errors: the form's errors; the ``photos`` one shows under the previews.
        max_files: how many files may be chosen at once.
        on_upload: ``on_upload(files)`` stores the chosen files.
        on_remove: ``on_remove(index)`` takes a photo out.

    Returns:
        The photos' part of the form.
    """
    zone = rx.upload.root(
        rx.hstack(
            rx.button(
                rx.icon("image-plus", size=16, aria_hidden="true"),
                tr(add_key),
                type="button",
                variant="soft",
                disabled=uploading,
            ),
            rx.text(tr(hint_key), size="1", color_scheme="gray"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        id=upload_id,
        accept=media.ACCEPT_TYPES,
        multiple=True,
        max_files=max_files,
        max_size=media.MAX_UPLOAD_BYTES,
        no_keyboard=True,
        disabled=uploading,
        on_drop=on_upload(rx.upload_files(upload_id=upload_id)),
        border=f"1px dashed {rx.color('accent', 7)}",
        border_radius="8px",
        padding="10px",
        width="100%",
        cursor="pointer",
    )
    file_input = zone.children[0].children[0]
    file_input.custom_attrs.update({"data-testid": upload_id, "aria-label": tr(label_key)})
    return rx.vstack(
        rx.text(tr(label_key), weight="medium", size="2"),
        zone,
        rx.cond(
            uploading,
            rx.hstack(
                rx.spinner(size="1"), rx.text(tr("orders.uploading"), size="1"), role="status"
            ),
        ),
        rx.flex(
            rx.foreach(
                photos,
                lambda photo, i: _removable_tile(photo, i, remove_key, on_remove, preview_testid),
            ),
            gap="8px",
            wrap="wrap",
        ),
        field_error(errors, "photos"),
        width="100%",
        spacing="2",
    )
