"""The sell form: photos with previews, the item's details, price and delivery."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import loading, notice
from marketplace_app.components.fields import FormFields, checkbox, fieldset
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.not_found import not_found_box
from marketplace_app.components.photos import photo_tile, picker, upload_progress
from marketplace_app.services import listing_images
from marketplace_app.state.sell import OptionView, PhotoView, SellState

UPLOAD_ID = "sell-photos"
F = FormFields(SellState, "sell-")


def _amount(label_key: str, name: str, testid: str) -> rx.Component:
    return F.text_input(
        label_key,
        name,
        testid,
        max_length=16,
        input_mode="decimal",
        auto_complete="off",
        placeholder="0.00",
    )


def _select(label_key: str, name: str, testid: str, options, option) -> rx.Component:
    return F.select(label_key, name, testid, options, option, placeholder_key="sell.choose")


def _flag(label_key: str, name: str, testid: str) -> rx.Component:
    return checkbox(label_key, name, testid, SellState.flags[name].to(bool), min_height="32px")


# -- photos


def _preview(photo: PhotoView) -> rx.Component:
    return photo_tile(
        photo,
        testid_prefix="sell-photo",
        cover_key="sell.cover",
        busy=SellState.photo_busy,
        on_cover=SellState.make_cover,
        on_remove=SellState.remove_photo,
        on_move=SellState.move_photo,
    )


def _photos() -> rx.Component:
    return fieldset(
        "sell.photos",
        rx.text(tr("sell.photos_hint"), size="1", color_scheme="gray"),
        rx.grid(
            rx.foreach(SellState.photos, _preview),
            columns=rx.breakpoints(initial="2", sm="4", md="5"),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            SellState.room_left,
            picker(
                UPLOAD_ID,
                "sell.add_photos",
                on_drop=SellState.upload_photos(
                    rx.upload_files(
                        upload_id=UPLOAD_ID, on_upload_progress=SellState.upload_progress
                    )
                ),
                on_rejected=SellState.rejected,
                busy=SellState.uploading,
                multiple=True,
                max_files=listing_images.MAX_IMAGES,
                hint_key="sell.photos_drop_hint",
                input_label_key="sell.photos",
                button_testid="sell-photos-button",
                large=True,
            ),
        ),
        upload_progress(
            SellState.uploading | SellState.sending,
            SellState.upload_percent,
            "sell-upload-progress",
            label_key="sell.uploading",
            count=SellState.upload_count,
        ),
        F.error("photos"),
        id="photos",
    )


# -- details, price and delivery


def _category_option(o: OptionView) -> rx.Component:
    return rx.el.option(o.label, value=o.value)


def _district_option(name: rx.Var) -> rx.Component:
    return rx.el.option(name, value=name)


def _details() -> rx.Component:
    return fieldset(
        "sell.details",
        F.text_input("sell.title_label", "title", "sell-title", max_length=80, auto_complete="off"),
        F.text_area(
            "sell.description", "description", "sell-description", max_length=4000, rows="5"
        ),
        rx.grid(
            _select(
                "sell.category",
                "category",
                "sell-category",
                SellState.categories,
                _category_option,
            ),
            _select(
                "sell.condition",
                "condition",
                "sell-condition",
                SellState.conditions,
                _category_option,
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
    )


def _price() -> rx.Component:
    return fieldset(
        "sell.price_section",
        _amount("sell.price", "price", "sell-price"),
        rx.flex(
            _flag("sell.free", "free", "sell-free"),
            _flag("sell.negotiable", "negotiable", "sell-negotiable"),
            gap="16px",
            wrap="wrap",
        ),
    )


def _fee(label_key: str, name: str, testid: str) -> rx.Component:
    return rx.box(
        _amount(label_key, name, testid),
        padding_left="28px",
        width="100%",
    )


def _delivery() -> rx.Component:
    return fieldset(
        "sell.delivery",
        _select(
            "sell.district",
            "district",
            "sell-district",
            SellState.districts,
            _district_option,
        ),
        rx.text(tr("sell.district_hint"), size="1", color_scheme="gray"),
        _flag("sell.pickup", "pickup", "sell-pickup"),
        _flag("sell.local_delivery", "local_delivery", "sell-local"),
        _fee("sell.local_fee", "local_fee", "sell-local-fee"),
        _flag("sell.courier", "courier", "sell-courier"),
        _fee("sell.courier_fee", "courier_fee", "sell-courier-fee"),
        F.error("delivery"),
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
    return F.form(
        _photos(),
        _details(),
        _price(),
        _delivery(),
        F.error("_form"),
        rx.cond(SellState.notice != "", notice(SellState.notice)),
        _buttons(),
    )


def sell_page() -> rx.Component:
    """``/sell``, ``/sell?draft=ID`` and ``/sell/ID`` (login required)."""
    return shell(
        rx.cond(
            SellState.loaded,
            rx.cond(
                SellState.not_found,
                not_found_box("listing.not_found", "sell.start_new", "/sell"),
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
