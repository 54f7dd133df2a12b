"""Opening a shop (``/shop/apply``) and a shop's public page (``/shop/[slug]``).

Also the small form pieces the shop pages share: labelled inputs bound to a
state's ``values``/``errors`` dicts (uncontrolled, so typed text survives a
refused submit) and an image picker with preview and upload progress.
"""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import card_grid
from marketplace_app.components.feedback import empty, loading
from marketplace_app.components.fields import field_error
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.services import media
from marketplace_app.state.shops import HoursRowView, PublicShopState, ShopApplyState

SELECT_STYLE = {
    "height": "40px",
    "padding": "0 8px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "border_radius": "6px",
    "background": "white",
    "font_size": "16px",
    "width": "100%",
}


# --- shared form pieces ---------------------------------------------------------------


def label(key: str, html_for: str) -> rx.Component:
    """A field label."""
    return rx.el.label(tr(key), html_for=html_for, font_weight="500", font_size="0.9em")


def field(*children: rx.Component, **props) -> rx.Component:
    """A column holding a label, an input and its error."""
    return rx.box(
        *children, width="100%", display="flex", flex_direction="column", gap="4px", **props
    )


def fieldset(legend_key: str, *children: rx.Component, **props) -> rx.Component:
    """A titled group of fields."""
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


def described(errors: rx.Var, name: str) -> dict:
    """The aria attributes tying an input to its error message."""
    return {
        "aria_invalid": rx.cond(errors.contains(name), "true", "false"),
        "aria_describedby": f"{name}-error",
    }


def text_input(
    label_key: str,
    name: str,
    testid: str,
    *,
    values: rx.Var,
    errors: rx.Var,
    prefix: str,
    max_length: int = 200,
    hint_key: str | None = None,
    **props,
) -> rx.Component:
    """A labelled, uncontrolled text input with its error below."""
    return field(
        label(label_key, f"{prefix}{name}"),
        rx.input(
            id=f"{prefix}{name}",
            name=name,
            default_value=values[name].to(str),
            max_length=max_length,
            data_testid=testid,
            size="3",
            width="100%",
            **described(errors, name),
            **props,
        ),
        *([rx.text(tr(hint_key), size="1", color_scheme="gray")] if hint_key else []),
        field_error(errors, name),
    )


def text_area(
    label_key: str,
    name: str,
    testid: str,
    *,
    values: rx.Var,
    errors: rx.Var,
    prefix: str,
    max_length: int,
) -> rx.Component:
    """A labelled, uncontrolled text area with its error below."""
    return field(
        label(label_key, f"{prefix}{name}"),
        rx.text_area(
            id=f"{prefix}{name}",
            name=name,
            default_value=values[name].to(str),
            max_length=max_length,
            rows="4",
            data_testid=testid,
            width="100%",
            size="3",
            **described(errors, name),
        ),
        field_error(errors, name),
    )


def select(
    label_key: str,
    name: str,
    testid: str,
    options: rx.Var,
    option,
    *,
    values: rx.Var,
    errors: rx.Var,
    prefix: str,
) -> rx.Component:
    """A labelled native select (keyboard and phone friendly) with its error below."""
    return field(
        label(label_key, f"{prefix}{name}"),
        rx.el.select(
            rx.el.option(tr("shop.choose"), value=""),
            rx.foreach(options, option),
            id=f"{prefix}{name}",
            name=name,
            default_value=values[name].to(str),
            data_testid=testid,
            **SELECT_STYLE,
            **described(errors, name),
        ),
        field_error(errors, name),
    )


def picker(
    upload_id: str,
    label_key: str,
    *,
    on_drop,
    on_rejected,
    busy: rx.Var,
    multiple: bool = False,
    max_files: int = 1,
) -> rx.Component:
    """A drop zone with a button; its hidden file input carries ``upload_id`` as test id."""
    zone = rx.upload.root(
        rx.vstack(
            rx.button(
                rx.icon("image-plus", size=16, aria_hidden="true"),
                tr(label_key),
                type="button",
                variant="soft",
                size="2",
                disabled=busy,
            ),
            rx.text(tr("shop.drop_hint"), size="1", color_scheme="gray"),
            align="center",
            spacing="1",
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
        padding="12px",
        background=rx.color("accent", 2),
        cursor="pointer",
        width="100%",
    )
    file_input = zone.children[0].children[0]
    file_input.custom_attrs.update({"data-testid": upload_id, "aria-label": tr(label_key)})
    return zone


def progress(busy: rx.Var, percent: rx.Var, testid: str) -> rx.Component:
    """An upload progress bar, shown while ``busy``."""
    return rx.cond(
        busy,
        rx.vstack(
            rx.hstack(
                rx.spinner(size="2"),
                rx.text(tr("shop.uploading"), " ", percent, "%", size="2"),
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


def not_found_box(link_key: str, href: str) -> rx.Component:
    """A "not found" panel with a way on."""
    return rx.center(
        rx.vstack(
            rx.heading(tr("shop.not_found"), size="5"),
            rx.link(tr(link_key), href=href),
            align="center",
        ),
        padding="3em",
        data_testid="not-found",
    )


# --- the application form -------------------------------------------------------------

S = ShopApplyState
E = ShopApplyState.errors
_F = {"values": ShopApplyState.values, "errors": ShopApplyState.errors, "prefix": "shop-"}


def _district_option(name: rx.Var) -> rx.Component:
    return rx.el.option(name, value=name)


TIME_STYLE = {
    "width": "100%",
    "min_width": "0",
    "height": "36px",
    "padding": "0 6px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "border_radius": "6px",
    "background": "white",
    "font_size": "16px",
}


def _hours_row(row: HoursRowView) -> rx.Component:
    error_name = "hours_" + row.day
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
                **TIME_STYLE,
            ),
            rx.el.input(
                type="time",
                name=row.day + "_close",
                default_value=row.close,
                aria_label=row.label + " " + tr("shop.closes"),
                data_testid="shop-hours-" + row.day + "-close",
                **TIME_STYLE,
            ),
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr) minmax(0, 1fr)",
                sm="7em 6em minmax(0, 1fr) minmax(0, 1fr)",
            ),
            gap="8px",
            align_items="center",
            width="100%",
        ),
        rx.cond(
            E.contains(error_name),
            rx.text(
                E[error_name].to(str),
                color_scheme="red",
                size="2",
                role="alert",
                data_testid="form-error",
            ),
        ),
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
        progress(busy, ShopApplyState.upload_percent, f"shop-{kind}-progress"),
        field_error(E, kind),
    )


def _apply_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            fieldset(
                "shop.about",
                text_input("shop.name", "name", "shop-name", max_length=80, **_F),
                text_area(
                    "shop.description", "description", "shop-description", max_length=2000, **_F
                ),
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
                select(
                    "shop.district",
                    "district",
                    "shop-district",
                    ShopApplyState.districts,
                    _district_option,
                    **_F,
                ),
                text_input("shop.address", "address", "shop-address", max_length=200, **_F),
                text_input(
                    "shop.pickup_point",
                    "pickup_point",
                    "shop-pickup",
                    max_length=200,
                    hint_key="shop.pickup_hint",
                    **_F,
                ),
            ),
            fieldset(
                "shop.contact",
                rx.text(tr("shop.contact_hint"), size="1", color_scheme="gray"),
                rx.grid(
                    text_input(
                        "shop.phone",
                        "phone",
                        "shop-phone",
                        max_length=20,
                        type="tel",
                        auto_complete="tel",
                        **_F,
                    ),
                    text_input(
                        "shop.email",
                        "email",
                        "shop-email",
                        max_length=254,
                        type="email",
                        auto_complete="email",
                        **_F,
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
                field_error(E, "hours"),
            ),
            field_error(E, "_form"),
            rx.button(
                rx.cond(ShopApplyState.saving, rx.spinner(size="2")),
                tr("shop.apply_submit"),
                type="submit",
                size="3",
                width="100%",
                disabled=ShopApplyState.saving | (ShopApplyState.uploading != ""),
                data_testid="shop-apply-submit",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=ShopApplyState.submit,
        reset_on_submit=False,
        key=ShopApplyState.form_key.to_string(),
        width="100%",
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


def _info_line(icon: str, value: rx.Var) -> rx.Component:
    return rx.cond(
        value != "",
        rx.hstack(
            rx.icon(icon, size=16, aria_hidden="true", flex_shrink="0"),
            rx.text(value, size="2"),
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
                rx.cond(
                    P.pickup_point != "",
                    rx.hstack(
                        rx.icon("package", size=16, aria_hidden="true", flex_shrink="0"),
                        rx.text(tr("shop.pickup_point"), ": ", P.pickup_point, size="2"),
                        spacing="2",
                        align="start",
                    ),
                ),
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
                    spacing="4",
                    width="100%",
                    data_testid="shop-page",
                ),
                not_found_box("common.back_home", "/"),
            ),
        )
    )
