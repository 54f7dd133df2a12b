"""The shop dashboard: products table, product editor and CSV import.

``/shop/manage``, ``/shop/manage/product/new``, ``/shop/manage/product/[id]``
and ``/shop/manage/import``; for staff of an approved shop.
"""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loading, notice
from marketplace_app.components.fields import (
    NATIVE_INPUT_STYLE,
    FormFields,
    checkbox,
    error_text,
    fieldset,
)
from marketplace_app.components.handover_days import handover_days_card
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.not_found import not_found_box
from marketplace_app.components.photos import photo_tile, picker, upload_progress
from marketplace_app.services import listing_images, product_csv
from marketplace_app.state.products import (
    CSV_UPLOAD_ID,
    UPLOAD_ID,
    CsvImportState,
    CsvRowView,
    OptionView,
    ProductEditorState,
    ProductPhotoView,
    ProductRowView,
    ShopManageState,
    VariantChipView,
    VariantFormRow,
)

SAMPLE_CSV = "/shop-products-sample.csv"


def _no_shop() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("store", size=36, aria_hidden="true", color=rx.color("gray", 8)),
            rx.text(tr("shop.no_shop"), color_scheme="gray"),
            rx.link(tr("shop.apply_link"), href="/shop/apply", data_testid="shop-apply-link"),
            align="center",
            spacing="2",
        ),
        padding="2em",
        data_testid="empty-state",
    )


# --- dashboard -------------------------------------------------------------------------


def _variant_chip(product_id: rx.Var, v: VariantChipView) -> rx.Component:
    return rx.hstack(
        rx.text(v.label, size="2", min_width="4em"),
        rx.text(v.price, size="2", color_scheme="gray"),
        rx.text(tr("product.variant_stock"), size="1", color_scheme="gray"),
        rx.el.input(
            type="number",
            min="0",
            step="1",
            default_value=v.stock,
            aria_label=tr("product.stock_of") + " " + v.label,
            on_blur=ShopManageState.set_stock(product_id, v.id),
            data_testid="variant-stock-input",
            **{**NATIVE_INPUT_STYLE, "width": "6em"},
            key=v.id.to_string() + "-" + v.stock,
        ),
        rx.cond(
            v.low,
            rx.badge(tr("product.low_stock"), color_scheme="orange", data_testid="low-stock-badge"),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def _product_row(row: ProductRowView) -> rx.Component:
    busy = ShopManageState.busy_id == row.id
    return rx.card(
        rx.flex(
            rx.image(
                src=row.image,
                alt=row.title,
                width="72px",
                height="72px",
                object_fit="cover",
                border_radius="6px",
                flex_shrink="0",
                background=rx.color("gray", 4),
            ),
            rx.vstack(
                rx.hstack(
                    rx.link(
                        row.title,
                        href=row.href,
                        weight="bold",
                        data_testid="product-edit",
                    ),
                    rx.badge(
                        row.status_label,
                        color_scheme=rx.cond(row.is_active, "green", "gray"),
                        data_testid="product-status",
                    ),
                    rx.cond(
                        row.low,
                        rx.badge(
                            rx.icon("triangle-alert", size=12, aria_hidden="true"),
                            tr("product.low_stock"),
                            color_scheme="orange",
                        ),
                    ),
                    spacing="2",
                    wrap="wrap",
                    align="center",
                ),
                rx.text(tr("product.total_stock"), ": ", row.stock, size="1", color_scheme="gray"),
                rx.vstack(
                    rx.foreach(row.variants, lambda v: _variant_chip(row.id, v)),
                    spacing="1",
                ),
                error_text(ShopManageState.row_errors, row.id.to_string()),
                spacing="2",
                flex="1",
                min_width="0",
            ),
            rx.flex(
                rx.cond(
                    row.is_active,
                    rx.button(
                        tr("product.unpublish"),
                        variant="soft",
                        size="2",
                        disabled=busy,
                        on_click=ShopManageState.unpublish(row.id),
                        data_testid="product-unpublish",
                    ),
                    rx.button(
                        tr("product.publish"),
                        size="2",
                        disabled=busy,
                        on_click=ShopManageState.publish(row.id),
                        data_testid="product-publish",
                    ),
                ),
                rx.cond(
                    row.is_active,
                    rx.link(tr("product.view"), href=row.public_href, size="2"),
                ),
                direction="column",
                gap="8px",
                align="end",
            ),
            gap="12px",
            width="100%",
            wrap=rx.breakpoints(initial="wrap", sm="nowrap"),
        ),
        data_testid="product-row",
        width="100%",
    )


def manage_page() -> rx.Component:
    """``/shop/manage``: the shop's products."""
    M = ShopManageState
    return shell(
        rx.cond(
            M.loaded,
            rx.cond(
                M.has_shop,
                rx.vstack(
                    rx.flex(
                        rx.vstack(
                            rx.heading(M.shop_name, size="6", as_="h1"),
                            rx.link(
                                tr("shop.public_link"),
                                href="/shop/" + M.shop_slug,
                                size="2",
                                data_testid="shop-public-link",
                            ),
                            spacing="1",
                        ),
                        rx.spacer(),
                        rx.hstack(
                            rx.link(
                                rx.button(
                                    rx.icon("file-up", size=16, aria_hidden="true"),
                                    tr("csv.button"),
                                    variant="soft",
                                    tab_index=-1,
                                ),
                                href="/shop/manage/import",
                                data_testid="csv-import-link",
                            ),
                            rx.link(
                                rx.button(
                                    rx.icon("plus", size=16, aria_hidden="true"),
                                    tr("product.new"),
                                    tab_index=-1,
                                ),
                                href="/shop/manage/product/new",
                                data_testid="product-new",
                            ),
                            spacing="2",
                        ),
                        width="100%",
                        gap="12px",
                        wrap="wrap",
                        align="center",
                    ),
                    rx.cond(
                        M.rows.length() > 0,
                        rx.vstack(rx.foreach(M.rows, _product_row), spacing="3", width="100%"),
                        empty("product.empty", "product.new", "/shop/manage/product/new"),
                    ),
                    handover_days_card(),
                    spacing="4",
                    width="100%",
                ),
                _no_shop(),
            ),
            loading(),
        )
    )


# --- product editor ----------------------------------------------------------------------

P = ProductEditorState
PE = ProductEditorState.errors
F = FormFields(ProductEditorState, "p-")


def _option(o: OptionView) -> rx.Component:
    return rx.el.option(o.label, value=o.value)


def _variant_input(row: VariantFormRow, part: str, value: rx.Var, **props) -> rx.Component:
    name = row.key + "_" + part
    return rx.box(
        rx.el.label(
            tr(f"product.variant_{part}"),
            html_for="p-" + name,
            font_size="0.8em",
            color=rx.color("gray", 11),
        ),
        rx.input(
            id="p-" + name,
            name=name,
            default_value=value,
            data_testid=f"variant-{part.replace('_', '-')}",
            width="100%",
            aria_invalid=rx.cond(PE.contains(name), "true", "false"),
            **props,
        ),
        error_text(PE, name, size="1"),
        min_width="0",
    )


def _variant_row(row: VariantFormRow) -> rx.Component:
    return rx.box(
        rx.grid(
            _variant_input(row, "label", row.label, max_length=40, placeholder="500 g"),
            _variant_input(
                row, "price", row.price, max_length=16, input_mode="decimal", placeholder="0.00"
            ),
            _variant_input(
                row,
                "sale_price",
                row.sale_price,
                max_length=16,
                input_mode="decimal",
                placeholder="—",
            ),
            _variant_input(row, "stock", row.stock, max_length=9, input_mode="numeric"),
            rx.icon_button(
                rx.icon("trash-2", size=16, aria_hidden="true"),
                type="button",
                variant="soft",
                color_scheme="red",
                aria_label=tr("product.remove_variant"),
                title=tr("product.remove_variant"),
                disabled=~ProductEditorState.can_remove_variant,
                on_click=ProductEditorState.remove_variant(row.key),
                data_testid="variant-remove",
                align_self="end",
            ),
            columns=rx.breakpoints(initial="1fr 1fr", sm="2fr 1fr 1fr 1fr auto"),
            gap="8px",
            width="100%",
        ),
        key=row.key,
        data_testid="variant-row",
        padding_bottom="8px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def _variants() -> rx.Component:
    return fieldset(
        "product.variants",
        rx.text(tr("product.variants_hint"), size="1", color_scheme="gray"),
        rx.foreach(ProductEditorState.variants, _variant_row),
        F.error("variants"),
        rx.button(
            rx.icon("plus", size=16, aria_hidden="true"),
            tr("product.add_variant"),
            type="button",
            variant="soft",
            on_click=ProductEditorState.add_variant,
            data_testid="variant-add",
            align_self="start",
        ),
    )


def _datetime(label_key: str, name: str, testid: str) -> rx.Component:
    return F.control(
        rx.el.input, label_key, name, testid, type="datetime-local", **NATIVE_INPUT_STYLE
    )


def _sale_and_stock() -> rx.Component:
    return fieldset(
        "product.sale",
        rx.text(tr("product.sale_hint"), size="1", color_scheme="gray"),
        rx.grid(
            _datetime("product.sale_starts", "sale_starts", "product-sale-starts"),
            _datetime("product.sale_ends", "sale_ends", "product-sale-ends"),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        F.text_input(
            "product.low_stock_threshold",
            "low_stock",
            "product-low-stock",
            max_length=9,
            input_mode="numeric",
            hint_key="product.low_stock_hint",
        ),
    )


def _delivery() -> rx.Component:
    return fieldset(
        "product.delivery",
        checkbox("product.pickup", "pickup", "product-pickup", ProductEditorState.pickup),
        rx.grid(
            F.text_input(
                "product.local_fee",
                "local_delivery_fee",
                "product-local-fee",
                max_length=16,
                input_mode="decimal",
                placeholder="—",
            ),
            F.text_input(
                "product.courier_fee",
                "courier_fee",
                "product-courier-fee",
                max_length=16,
                input_mode="decimal",
                placeholder="—",
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.text(tr("product.fee_hint"), size="1", color_scheme="gray"),
        F.error("delivery"),
    )


def _photo(photo: ProductPhotoView) -> rx.Component:
    return photo_tile(
        photo,
        testid_prefix="product-photo",
        cover_key="product.cover",
        busy=ProductEditorState.photo_busy,
        on_cover=ProductEditorState.make_cover,
        on_remove=ProductEditorState.remove_photo,
    )


def _photos() -> rx.Component:
    return fieldset(
        "product.photos",
        rx.cond(
            ProductEditorState.product_id_shown > 0,
            rx.vstack(
                rx.grid(
                    rx.foreach(ProductEditorState.photos, _photo),
                    columns=rx.breakpoints(initial="3", sm="5"),
                    spacing="2",
                    width="100%",
                ),
                picker(
                    UPLOAD_ID,
                    "product.add_photos",
                    on_drop=ProductEditorState.upload_photos(
                        rx.upload_files(
                            upload_id=UPLOAD_ID,
                            on_upload_progress=ProductEditorState.upload_progress,
                        )
                    ),
                    on_rejected=ProductEditorState.rejected_photos,
                    busy=ProductEditorState.uploading,
                    multiple=True,
                    max_files=listing_images.MAX_IMAGES,
                ),
                upload_progress(
                    ProductEditorState.uploading,
                    ProductEditorState.upload_percent,
                    "product-upload-progress",
                ),
                width="100%",
                spacing="2",
            ),
            rx.text(tr("product.photos_after_save"), size="2", color_scheme="gray"),
        ),
        F.error("photos"),
        id="photos",
    )


def _editor_buttons() -> rx.Component:
    busy = ProductEditorState.saving | ProductEditorState.uploading
    return rx.flex(
        rx.button(
            rx.cond(ProductEditorState.saving, rx.spinner(size="2")),
            tr("product.save"),
            type="submit",
            variant="soft",
            size="3",
            disabled=busy,
            on_click=ProductEditorState.choose("save"),
            data_testid="product-save",
            flex="1",
        ),
        rx.cond(
            ProductEditorState.is_live,
            rx.button(
                tr("product.unpublish"),
                type="button",
                variant="outline",
                size="3",
                disabled=busy,
                on_click=ProductEditorState.unpublish,
                data_testid="product-unpublish",
                flex="1",
            ),
            rx.button(
                tr("product.save_publish"),
                type="submit",
                size="3",
                disabled=busy,
                on_click=ProductEditorState.choose("publish"),
                data_testid="product-publish",
                flex="1",
            ),
        ),
        gap="12px",
        width="100%",
        wrap="wrap",
    )


def _editor_form() -> rx.Component:
    return F.form(
        fieldset(
            "product.details",
            F.text_input("product.title", "title", "product-title", max_length=80),
            F.text_area(
                "product.description",
                "description",
                "product-description",
                max_length=4000,
            ),
            F.select(
                "product.category",
                "category",
                "product-category",
                ProductEditorState.categories,
                _option,
                placeholder_key="shop.choose",
            ),
        ),
        _variants(),
        _sale_and_stock(),
        _delivery(),
        F.error("_form"),
        rx.cond(ProductEditorState.notice != "", notice(ProductEditorState.notice)),
        _editor_buttons(),
    )


def product_editor_page() -> rx.Component:
    """``/shop/manage/product/new`` and ``/shop/manage/product/[id]``."""
    return shell(
        rx.cond(
            ProductEditorState.loaded,
            rx.cond(
                ProductEditorState.not_found,
                not_found_box("shop.not_found", "product.back", "/shop/manage"),
                rx.vstack(
                    rx.link(tr("product.back"), href="/shop/manage", size="2"),
                    rx.hstack(
                        rx.heading(
                            rx.cond(
                                ProductEditorState.product_id_shown > 0,
                                tr("product.edit_title"),
                                tr("product.new"),
                            ),
                            size="6",
                            as_="h1",
                        ),
                        rx.cond(
                            ProductEditorState.status_label != "",
                            rx.badge(
                                ProductEditorState.status_label,
                                data_testid="product-status",
                                color_scheme=rx.cond(ProductEditorState.is_live, "green", "gray"),
                            ),
                        ),
                        align="center",
                        spacing="3",
                    ),
                    _photos(),
                    _editor_form(),
                    spacing="4",
                    width="100%",
                    max_width="820px",
                    margin="0 auto",
                ),
            ),
            loading(),
        )
    )


# --- CSV import ------------------------------------------------------------------------------


def _csv_row(row: CsvRowView) -> rx.Component:
    cell = {
        "padding": "6px 8px",
        "font_size": "0.85em",
        "vertical_align": "top",
        "white_space": "nowrap",
    }
    return rx.fragment(
        rx.el.tr(
            rx.el.td(row.line, **cell),
            rx.el.td(row.title, **{**cell, "white_space": "normal", "min_width": "8em"}),
            rx.el.td(row.variant, **cell),
            rx.el.td(row.category, **cell),
            rx.el.td(row.price, **cell),
            rx.el.td(row.sale_price, **cell),
            rx.el.td(row.stock, **cell),
            rx.el.td(
                row.action,
                " ",
                rx.cond(
                    row.has_error,
                    rx.icon("circle-alert", size=14, color=rx.color("red", 10), aria_hidden="true"),
                    rx.icon("check", size=14, color=rx.color("green", 10), aria_label=tr("csv.ok")),
                ),
                **cell,
            ),
            data_testid="csv-preview-row",
            data_error=rx.cond(row.has_error, "true", "false"),
            background=rx.cond(row.has_error, rx.color("red", 2), "white"),
            border_top=f"1px solid {rx.color('gray', 4)}",
        ),
        rx.cond(
            row.has_error,
            rx.el.tr(
                rx.el.td(
                    rx.text(
                        row.problems,
                        color_scheme="red",
                        size="1",
                        max_width="min(760px, calc(100vw - 64px))",
                        data_testid="csv-row-error",
                    ),
                    col_span=8,
                    padding="0 8px 6px 8px",
                    position="sticky",
                    left="0",
                ),
                background=rx.color("red", 2),
            ),
        ),
    )


def _csv_table() -> rx.Component:
    heads = ("line", "title", "variant", "category", "price", "sale_price", "stock", "action")
    th = {"padding": "6px 8px", "text_align": "left", "font_size": "0.8em", "white_space": "nowrap"}
    return rx.box(
        rx.el.table(
            rx.el.thead(
                rx.el.tr(
                    *[rx.el.th(tr(f"csv.col.{h}"), scope="col", **th) for h in heads],
                    background=rx.color("gray", 3),
                )
            ),
            rx.el.tbody(rx.foreach(CsvImportState.rows, _csv_row)),
            width="100%",
            border_collapse="collapse",
        ),
        overflow_x="auto",
        width="100%",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        background="white",
        tab_index=0,
        role="region",
        aria_label=tr("csv.preview"),
    )


def _category_code(o: OptionView) -> rx.Component:
    return rx.el.li(rx.code(o.value), " ", o.label, font_size="0.85em")


def _csv_help() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(tr("csv.intro"), size="2"),
            rx.text(tr("csv.columns"), size="2"),
            rx.code(", ".join(product_csv.COLUMNS), white_space="normal", size="1"),
            rx.text(tr("csv.rules"), size="2"),
            rx.link(
                rx.icon("download", size=14, aria_hidden="true"),
                tr("csv.sample"),
                href=SAMPLE_CSV,
                download="shop-products-sample.csv",
                is_external=False,
                data_testid="csv-sample",
                display="inline-flex",
                align_items="center",
                gap="6px",
            ),
            rx.el.details(
                rx.el.summary(tr("csv.categories"), cursor="pointer", font_size="0.9em"),
                rx.el.ul(
                    rx.foreach(CsvImportState.categories, _category_code), padding_left="1.2em"
                ),
            ),
            spacing="2",
        ),
        width="100%",
    )


def _csv_zone() -> rx.Component:
    zone = rx.upload.root(
        rx.vstack(
            rx.button(
                rx.icon("file-spreadsheet", size=16, aria_hidden="true"),
                tr("csv.choose"),
                type="button",
                variant="soft",
            ),
            rx.foreach(
                rx.selected_files(CSV_UPLOAD_ID),
                lambda name: rx.text(name, size="2", data_testid="csv-selected"),
            ),
            align="center",
            spacing="1",
        ),
        id=CSV_UPLOAD_ID,
        accept={"text/csv": [".csv"], "text/plain": [".txt"]},
        multiple=False,
        max_files=1,
        max_size=product_csv.MAX_BYTES,
        no_keyboard=True,
        border=f"2px dashed {rx.color('accent', 7)}",
        border_radius="8px",
        padding="12px",
        background=rx.color("accent", 2),
        cursor="pointer",
        width="100%",
    )
    file_input = zone.children[0].children[0]
    file_input.custom_attrs.update({"data-testid": CSV_UPLOAD_ID, "aria-label": tr("csv.choose")})
    return zone


def csv_import_page() -> rx.Component:
    """``/shop/manage/import``: upload, check, import."""
    C = CsvImportState
    files = rx.upload_files(upload_id=CSV_UPLOAD_ID)
    return shell(
        rx.cond(
            C.loaded,
            rx.cond(
                C.has_shop,
                rx.vstack(
                    rx.link(tr("product.back"), href="/shop/manage", size="2"),
                    rx.heading(tr("csv.title"), size="6", as_="h1"),
                    _csv_help(),
                    _csv_zone(),
                    rx.flex(
                        rx.button(
                            rx.cond(C.busy, rx.spinner(size="2")),
                            tr("csv.check"),
                            type="button",
                            size="3",
                            variant="soft",
                            disabled=C.busy,
                            on_click=C.preview(files),
                            data_testid="csv-preview",
                        ),
                        rx.button(
                            tr("csv.import"),
                            type="button",
                            size="3",
                            disabled=C.busy | ~C.can_import,
                            on_click=C.commit(files),
                            data_testid="csv-confirm",
                        ),
                        gap="12px",
                        wrap="wrap",
                    ),
                    rx.cond(
                        C.error != "",
                        rx.text(
                            C.error, color_scheme="red", role="alert", data_testid="form-error"
                        ),
                    ),
                    rx.cond(C.result != "", notice(C.result)),
                    rx.cond(
                        C.result != "",
                        rx.link(tr("product.back"), href="/shop/manage", data_testid="csv-result"),
                    ),
                    rx.cond(
                        C.checked,
                        rx.vstack(
                            rx.text(C.summary, weight="medium", data_testid="csv-summary"),
                            rx.cond(
                                C.can_import,
                                rx.text(tr("csv.ready"), size="2", color_scheme="green"),
                                rx.text(tr("csv.fix_first"), size="2", color_scheme="red"),
                            ),
                            rx.foreach(
                                C.file_problems,
                                lambda p: rx.text(
                                    p, color_scheme="red", size="2", data_testid="csv-file-error"
                                ),
                            ),
                            rx.cond(C.rows.length() > 0, _csv_table()),
                            width="100%",
                            spacing="2",
                        ),
                    ),
                    spacing="4",
                    width="100%",
                ),
                _no_shop(),
            ),
            loading(),
        )
    )
