"""The sell form: photos with previews, the item's details, price and delivery."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import loading, notice
from marketplace_app.components.fields import field_error
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.services import listing_images, media
from marketplace_app.state.sell import OptionView, PhotoView, SellState

UPLOAD_ID = "sell-photos"
E = SellState.errors


def _label(key: str, html_for: str) -> rx.Component:
    return rx.el.label(tr(key), html_for=html_for, font_weight="500", font_size="0.9em")


def _field(*children: rx.Component) -> rx.Component:
    return rx.box(*children, width="100%", display="flex", flex_direction="column", gap="4px")


def _fieldset(legend_key: str, *children: rx.Component, **props) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(tr(legend_key), font_weight="600", padding="0 6px"),
        *children,
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        padding="12px",
        margin="0",
        min_width="0",
        width="100%",
        background="white",
        display="flex",
        flex_direction="column",
        gap="10px",
        **props,
    )


def _described(name: str) -> dict:
    return {
        "aria_invalid": rx.cond(E.contains(name), "true", "false"),
        "aria_describedby": f"{name}-error",
    }


def _text(label_key: str, name: str, testid: str, max_length: int, **props) -> rx.Component:
    return _field(
        _label(label_key, f"sell-{name}"),
        rx.input(
            id=f"sell-{name}",
            name=name,
            default_value=SellState.values[name].to(str),
            max_length=max_length,
            data_testid=testid,
            size="3",
            width="100%",
            **_described(name),
            **props,
        ),
        field_error(E, name),
    )


def _select(
    label_key: str, name: str, testid: str, options, option, placeholder_key: str
) -> rx.Component:
    return _field(
        _label(label_key, f"sell-{name}"),
        rx.el.select(
            rx.el.option(tr(placeholder_key), value=""),
            rx.foreach(options, option),
            id=f"sell-{name}",
            name=name,
            default_value=SellState.values[name].to(str),
            data_testid=testid,
            height="40px",
            padding="0 8px",
            border=f"1px solid {rx.color('gray', 7)}",
            border_radius="6px",
            background="white",
            font_size="16px",
            width="100%",
            **_described(name),
        ),
        field_error(E, name),
    )


def _flag(label_key: str, name: str, testid: str) -> rx.Component:
    return rx.el.label(
        rx.checkbox(
            name=name,
            default_checked=SellState.flags[name].to(bool),
            data_testid=testid,
        ),
        tr(label_key),
        display="flex",
        gap="8px",
        align_items="center",
        min_height="32px",
    )


# -- photos


def _icon_button(icon: str, label, on_click, testid: str, disabled=False) -> rx.Component:
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
    )


def _preview(photo: PhotoView) -> rx.Component:
    busy = SellState.photo_busy
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
            rx.badge(tr("sell.cover"), position="absolute", top="6px", left="6px", variant="solid"),
        ),
        rx.hstack(
            _icon_button(
                "chevron-left",
                photo.left_label,
                SellState.move_photo(photo.id, -1),
                "sell-photo-left",
                disabled=photo.is_first | busy,
            ),
            _icon_button(
                "chevron-right",
                photo.right_label,
                SellState.move_photo(photo.id, 1),
                "sell-photo-right",
                disabled=photo.is_last | busy,
            ),
            _icon_button(
                "star",
                photo.cover_label,
                SellState.make_cover(photo.id),
                "sell-photo-cover",
                disabled=photo.is_cover | busy,
            ),
            _icon_button(
                "trash-2",
                photo.remove_label,
                SellState.remove_photo(photo.id),
                "sell-photo-remove",
                disabled=busy,
            ),
            spacing="1",
            justify="between",
            width="100%",
            padding_top="6px",
        ),
        data_testid="sell-photo-preview",
        position="relative",
        role="group",
        aria_label=photo.alt,
    )


def _dropzone() -> rx.Component:
    zone = rx.upload.root(
        rx.vstack(
            rx.icon("camera", size=28, aria_hidden="true", color=rx.color("accent", 10)),
            rx.button(
                rx.icon("image-plus", size=16, aria_hidden="true"),
                tr("sell.add_photos"),
                type="button",
                variant="soft",
                size="3",
                disabled=SellState.uploading,
                data_testid="sell-photos-button",
            ),
            rx.text(tr("sell.photos_drop_hint"), size="1", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        id=UPLOAD_ID,
        accept=media.ACCEPT_TYPES,
        multiple=True,
        max_files=listing_images.MAX_IMAGES,
        max_size=media.MAX_UPLOAD_BYTES,
        no_keyboard=True,
        disabled=SellState.uploading,
        on_drop=SellState.upload_photos(
            rx.upload_files(upload_id=UPLOAD_ID, on_upload_progress=SellState.upload_progress)
        ),
        on_drop_rejected=SellState.rejected,
        border=f"2px dashed {rx.color('accent', 7)}",
        border_radius="8px",
        padding="16px",
        background=rx.color("accent", 2),
        cursor="pointer",
        width="100%",
        drag_active_style={"background": rx.color("accent", 4)},
    )
    # The hidden <input type=file> itself carries the contract's test id and a label.
    file_input = zone.children[0].children[0]
    file_input.custom_attrs.update({"data-testid": UPLOAD_ID, "aria-label": tr("sell.photos")})
    return zone


def _upload_progress() -> rx.Component:
    return rx.cond(
        SellState.uploading | SellState.sending,
        rx.vstack(
            rx.hstack(
                rx.spinner(size="2"),
                rx.text(
                    tr("sell.uploading"),
                    " (",
                    SellState.upload_count,
                    ") ",
                    SellState.upload_percent,
                    "%",
                    size="2",
                ),
                align="center",
                spacing="2",
            ),
            rx.progress(value=SellState.upload_percent, max=100, width="100%"),
            role="status",
            aria_live="polite",
            width="100%",
            spacing="1",
            data_testid="sell-upload-progress",
        ),
    )


def _photos() -> rx.Component:
    return _fieldset(
        "sell.photos",
        rx.text(tr("sell.photos_hint"), size="1", color_scheme="gray"),
        rx.grid(
            rx.foreach(SellState.photos, _preview),
            columns=rx.breakpoints(initial="2", sm="4", md="5"),
            spacing="3",
            width="100%",
        ),
        rx.cond(SellState.room_left, _dropzone()),
        _upload_progress(),
        field_error(E, "photos"),
        id="photos",
    )


# -- details, price and delivery


def _category_option(o: OptionView) -> rx.Component:
    return rx.el.option(o.label, value=o.value)


def _district_option(name: rx.Var) -> rx.Component:
    return rx.el.option(name, value=name)


def _details() -> rx.Component:
    return _fieldset(
        "sell.details",
        _text("sell.title_label", "title", "sell-title", 80, auto_complete="off"),
        _field(
            _label("sell.description", "sell-description"),
            rx.text_area(
                id="sell-description",
                name="description",
                default_value=SellState.values["description"].to(str),
                max_length=4000,
                rows="5",
                data_testid="sell-description",
                width="100%",
                size="3",
                **_described("description"),
            ),
            field_error(E, "description"),
        ),
        rx.grid(
            _select(
                "sell.category",
                "category",
                "sell-category",
                SellState.categories,
                _category_option,
                "sell.choose",
            ),
            _select(
                "sell.condition",
                "condition",
                "sell-condition",
                SellState.conditions,
                _category_option,
                "sell.choose",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
    )


def _price() -> rx.Component:
    return _fieldset(
        "sell.price_section",
        _text(
            "sell.price",
            "price",
            "sell-price",
            16,
            input_mode="decimal",
            auto_complete="off",
            placeholder="0.00",
        ),
        rx.flex(
            _flag("sell.free", "free", "sell-free"),
            _flag("sell.negotiable", "negotiable", "sell-negotiable"),
            gap="16px",
            wrap="wrap",
        ),
    )


def _fee(label_key: str, name: str, testid: str) -> rx.Component:
    return rx.box(
        _text(
            label_key,
            name,
            testid,
            16,
            input_mode="decimal",
            auto_complete="off",
            placeholder="0.00",
        ),
        padding_left="28px",
        width="100%",
    )


def _delivery() -> rx.Component:
    return _fieldset(
        "sell.delivery",
        _select(
            "sell.district",
            "district",
            "sell-district",
            SellState.districts,
            _district_option,
            "sell.choose",
        ),
        rx.text(tr("sell.district_hint"), size="1", color_scheme="gray"),
        _flag("sell.pickup", "pickup", "sell-pickup"),
        _flag("sell.local_delivery", "local_delivery", "sell-local"),
        _fee("sell.local_fee", "local_fee", "sell-local-fee"),
        _flag("sell.courier", "courier", "sell-courier"),
        _fee("sell.courier_fee", "courier_fee", "sell-courier-fee"),
        field_error(E, "delivery"),
        id="delivery",
    )


def _buttons() -> rx.Component:
    busy = SellState.saving | SellState.uploading
    # "Save as draft" comes first: pressing Enter in a field saves, never publishes.
    return rx.flex(
        rx.cond(
            SellState.is_draft,
            rx.button(
                tr("sell.save_draft"),
                type="submit",
                variant="soft",
                size="3",
                disabled=busy,
                on_click=SellState.choose("draft"),
                data_testid="sell-draft",
                flex="1",
            ),
        ),
        rx.button(
            rx.cond(SellState.saving, rx.spinner(size="2")),
            rx.cond(SellState.is_draft, tr("sell.publish"), tr("sell.save_changes")),
            type="submit",
            size="3",
            disabled=busy,
            on_click=SellState.choose("publish"),
            data_testid="sell-submit",
            flex="2",
        ),
        gap="12px",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _photos(),
            _details(),
            _price(),
            _delivery(),
            field_error(E, "_form"),
            rx.cond(SellState.notice != "", notice(SellState.notice)),
            _buttons(),
            spacing="4",
            width="100%",
        ),
        on_submit=SellState.submit,
        reset_on_submit=False,
        key=SellState.form_key.to_string(),
        width="100%",
    )


def _not_found() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading(tr("listing.not_found"), size="5"),
            rx.link(tr("sell.start_new"), href="/sell"),
            align="center",
        ),
        padding="3em",
        data_testid="not-found",
    )


def sell_page() -> rx.Component:
    """``/sell``, ``/sell?draft=ID`` and ``/sell/ID`` (login required)."""
    return shell(
        rx.cond(
            SellState.loaded,
            rx.cond(
                SellState.not_found,
                _not_found(),
                rx.vstack(
                    rx.hstack(
                        rx.heading(
                            rx.cond(SellState.is_draft, tr("sell.title"), tr("sell.edit_title")),
                            size="6",
                            as_="h1",
                        ),
                        rx.spacer(),
                        rx.link(tr("my_listings.title"), href="/my/listings", size="2"),
                        width="100%",
                        align="center",
                    ),
                    _form(),
                    spacing="4",
                    width="100%",
                    max_width="760px",
                    margin="0 auto",
                    data_testid="sell-page",
                ),
            ),
            loading(),
        )
    )
