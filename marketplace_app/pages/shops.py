"""Opening a shop (``/shop/apply``) and a shop's public page (``/shop/[slug]``)."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import card_grid
from marketplace_app.components.feedback import empty, loading
from marketplace_app.components.fields import (
    NATIVE_INPUT_STYLE,
    FormFields,
    error_text,
    field,
    fieldset,
)
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.not_found import not_found_box
from marketplace_app.components.photos import picker, upload_progress
from marketplace_app.pages.reviews import review_section
from marketplace_app.state.shops import HoursRowView, PublicShopState, ShopApplyState

# --- the application form -------------------------------------------------------------

S = ShopApplyState
E = ShopApplyState.errors
F = FormFields(ShopApplyState, "shop-")


def _district_option(name: rx.Var) -> rx.Component:
    return rx.el.option(name, value=name)


def _hours_row(row: HoursRowView) -> rx.Component:
    return rx.box(
        rx.grid(
            rx.text(row.label, weight="medium", size="2", align_self="center"),
            rx.el.label(
                rx.checkbox(
                    name=row.day + "_closed",
                    default_checked=row.closed,
                    data_testid="shop-hours-" + row.day + "-closed",
                ),
                tr("shop.closed"),
                display="flex",
                gap="6px",
                align_items="center",
                justify_self=rx.breakpoints(initial="end", sm="start"),
                font_size="0.9em",
            ),
            rx.el.input(
                type="time",
                name=row.day + "_open",
                default_value=row.open,
                aria_label=row.label + " " + tr("shop.opens"),
                data_testid="shop-hours-" + row.day + "-open",
                **NATIVE_INPUT_STYLE,
            ),
            rx.el.input(
                type="time",
                name=row.day + "_close",
                default_value=row.close,
                aria_label=row.label + " " + tr("shop.closes"),
                data_testid="shop-hours-" + row.day + "-close",
                **NATIVE_INPUT_STYLE,
            ),
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr) minmax(0, 1fr)",
                sm="7em 6em minmax(0, 1fr) minmax(0, 1fr)",
            ),
            gap="8px",
            align_items="center",
            width="100%",
        ),
        error_text(E, "hours_" + row.day),
        width="100%",
        padding_bottom="6px",
        border_bottom=f"1px solid {rx.color('gray', 3)}",
    )


def _image_field(kind: str) -> rx.Component:
    url = ShopApplyState.logo_url if kind == "logo" else ShopApplyState.banner_url
    upload_id = f"shop-{kind}"
    busy = ShopApplyState.uploading == kind
    return field(
        rx.text(tr(f"shop.{kind}"), weight="medium", size="2"),
        rx.text(tr(f"shop.{kind}_hint"), size="1", color_scheme="gray"),
        rx.cond(
            url != "",
            rx.image(
                src=url,
                alt=tr(f"shop.{kind}_preview_alt"),
                data_testid=f"shop-{kind}-preview",
                width="100%" if kind == "banner" else "96px",
                height="96px",
                object_fit="cover",
                border_radius="8px",
                background=rx.color("gray", 4),
            ),
        ),
        picker(
            upload_id,
            f"shop.{kind}_choose",
            on_drop=ShopApplyState.upload_image(
                kind,
                rx.upload_files(upload_id=upload_id, on_upload_progress=S.upload_progress),
            ),
            on_rejected=ShopApplyState.rejected_file(kind),
            busy=ShopApplyState.uploading != "",
        ),
        upload_progress(busy, ShopApplyState.upload_percent, f"shop-{kind}-progress"),
        F.error(kind),
    )


def _apply_form() -> rx.Component:
    return F.form(
        fieldset(
            "shop.about",
            F.text_input("shop.name", "name", "shop-name", max_length=80),
            F.text_area("shop.description", "description", "shop-description", max_length=2000),
            rx.grid(
                _image_field("logo"),
                _image_field("banner"),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
        ),
        fieldset(
            "shop.where",
            F.select(
                "shop.district",
                "district",
                "shop-district",
                ShopApplyState.districts,
                _district_option,
                placeholder_key="shop.choose",
            ),
            F.text_input("shop.address", "address", "shop-address", max_length=200),
            F.text_input(
                "shop.pickup_point",
                "pickup_point",
                "shop-pickup",
                max_length=200,
                hint_key="shop.pickup_hint",
            ),
        ),
        fieldset(
            "shop.contact",
            rx.text(tr("shop.contact_hint"), size="1", color_scheme="gray"),
            rx.grid(
                F.text_input(
                    "shop.phone",
                    "phone",
                    "shop-phone",
                    max_length=20,
                    type="tel",
                    auto_complete="tel",
                ),
                F.text_input(
                    "shop.email",
                    "email",
                    "shop-email",
                    max_length=254,
                    type="email",
                    auto_complete="email",
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="3",
                width="100%",
            ),
        ),
        fieldset(
            "shop.hours",
            rx.text(tr("shop.hours_hint"), size="1", color_scheme="gray"),
            rx.foreach(ShopApplyState.hours, _hours_row),
            F.error("hours"),
        ),
        F.error("_form"),
        rx.button(
            rx.cond(ShopApplyState.saving, rx.spinner(size="2")),
            tr("shop.apply_submit"),
            type="submit",
            size="3",
            width="100%",
            disabled=ShopApplyState.saving | (ShopApplyState.uploading != ""),
            data_testid="shop-apply-submit",
        ),
    )


def _status_box() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(ShopApplyState.shop_name, size="4", as_="h2"),
            rx.match(
                ShopApplyState.status,
                (
                    "pending",
                    rx.text(tr("shop.status_pending"), data_testid="shop-status"),
                ),
                (
                    "approved",
                    rx.vstack(
                        rx.text(tr("shop.status_approved"), data_testid="shop-status"),
                        rx.hstack(
                            rx.link(
                                tr("shop.manage_link"),
                                href="/shop/manage",
                                data_testid="shop-manage-link",
                            ),
                            rx.link(
                                tr("shop.public_link"),
                                href="/shop/" + ShopApplyState.shop_slug,
                                data_testid="shop-public-link",
                            ),
                            spacing="4",
                            wrap="wrap",
                        ),
                    ),
                ),
                (
                    "rejected",
                    rx.callout.root(
                        rx.callout.icon(rx.icon("circle-alert")),
                        rx.callout.text(
                            rx.text(tr("shop.status_rejected"), data_testid="shop-status"),
                            rx.text(
                                ShopApplyState.reason,
                                weight="bold",
                                white_space="pre-wrap",
                                data_testid="shop-reject-reason",
                            ),
                            rx.text(tr("shop.reapply_hint"), size="2"),
                        ),
                        color_scheme="orange",
                        width="100%",
                    ),
                ),
                rx.text(tr("shop.status_suspended"), data_testid="shop-status"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        data_status=ShopApplyState.status,
    )


def apply_page() -> rx.Component:
    """``/shop/apply``: apply for a shop, then follow the application."""
    return shell(
        rx.vstack(
            rx.link(tr("account.back"), href="/account", size="2"),
            rx.heading(tr("shop.apply_title"), size="6", as_="h1"),
            rx.cond(
                ShopApplyState.loaded,
                rx.vstack(
                    rx.cond(ShopApplyState.status != "", _status_box()),
                    rx.cond(
                        ShopApplyState.show_form,
                        rx.vstack(
                            rx.cond(
                                ShopApplyState.status == "",
                                rx.text(tr("shop.apply_intro"), size="2"),
                            ),
                            _apply_form(),
                            width="100%",
                            spacing="3",
                        ),
                    ),
                    width="100%",
                    spacing="4",
                ),
                loading(),
            ),
            spacing="4",
            width="100%",
            max_width="760px",
            margin="0 auto",
        )
    )


# --- the public page ----------------------------------------------------------------------


def _hours_line(row: HoursRowView) -> rx.Component:
    return rx.hstack(
        rx.text(row.label, size="2", min_width="6.5em", white_space="nowrap"),
        rx.text(row.text, size="2", color=rx.cond(row.closed, rx.color("gray", 10), "inherit")),
        spacing="2",
    )


def _info_line(icon: str, value: rx.Var, label_key: str | None = None) -> rx.Component:
    labelled_value = (tr(label_key), ": ", value) if label_key else (value,)
    return rx.cond(
        value != "",
        rx.hstack(
            rx.icon(icon, size=16, aria_hidden="true", flex_shrink="0"),
            rx.text(*labelled_value, size="2"),
            spacing="2",
            align="start",
        ),
    )


def _shop_header() -> rx.Component:
    P = PublicShopState
    return rx.vstack(
        rx.cond(
            P.banner != "",
            rx.image(
                src=P.banner,
                src_set=P.banner_srcset,
                sizes="(min-width: 1200px) 1200px, 100vw",
                alt=tr("shop.banner_alt"),
                width="100%",
                height=rx.breakpoints(initial="140px", sm="240px"),
                object_fit="cover",
                border_radius="12px",
                data_testid="shop-page-banner",
            ),
        ),
        rx.hstack(
            rx.cond(
                P.logo != "",
                rx.image(
                    src=P.logo,
                    alt=tr("shop.logo_alt"),
                    width="72px",
                    height="72px",
                    object_fit="cover",
                    border_radius="12px",
                    border=f"2px solid {rx.color('gray', 5)}",
                    background="white",
                    data_testid="shop-page-logo",
                ),
                rx.center(
                    rx.icon("store", size=32, aria_hidden="true"),
                    width="72px",
                    height="72px",
                    border_radius="12px",
                    background=rx.color("accent", 3),
                ),
            ),
            rx.vstack(
                rx.heading(P.name, size="6", as_="h1", data_testid="shop-page-name"),
                rx.badge(P.district, variant="soft"),
                spacing="1",
            ),
            spacing="3",
            align="center",
        ),
        rx.text(P.description, white_space="pre-wrap", size="2"),
        width="100%",
        spacing="3",
    )


def _shop_info() -> rx.Component:
    P = PublicShopState
    return rx.grid(
        rx.card(
            rx.vstack(
                rx.heading(tr("shop.visit"), size="3", as_="h2"),
                _info_line("map-pin", P.address),
                _info_line("package", P.pickup_point, "shop.pickup_point"),
                _info_line("phone", P.phone),
                _info_line("mail", P.email),
                spacing="2",
            ),
        ),
        rx.card(
            rx.vstack(
                rx.heading(tr("shop.hours"), size="3", as_="h2"),
                rx.foreach(P.hours, _hours_line),
                spacing="1",
                data_testid="shop-page-hours",
            ),
        ),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="3",
        width="100%",
    )


def public_shop_page() -> rx.Component:
    """``/shop/[slug]``: an approved shop with its products on sale."""
    P = PublicShopState
    return shell(
        rx.cond(
            P.loading & (P.name == ""),
            loading(),
            rx.cond(
                P.found,
                rx.vstack(
                    _shop_header(),
                    _shop_info(),
                    rx.heading(tr("shop.products"), size="4", as_="h2"),
                    rx.cond(
                        P.cards.length() > 0,
                        card_grid(P.cards),
                        empty("shop.no_products", "common.back_home", "/"),
                    ),
                    review_section("reviews.about_shop"),
                    spacing="4",
                    width="100%",
                    data_testid="shop-page",
                ),
                not_found_box("shop.not_found", "common.back_home", "/"),
            ),
        )
    )
