"""A listing's page: gallery, price, condition, seller and delivery options."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import card_grid, price
from marketplace_app.components.favorite import heart
from marketplace_app.components.feedback import loading
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.report_dialog import report_dialog
from marketplace_app.pages.offers import offer_panel
from marketplace_app.pages.reviews import review_section
from marketplace_app.state.catalog import ListingState
from marketplace_app.state.messages import ThreadState
from marketplace_app.state.report import MemberReportState, ReportState
from marketplace_app.state.reviews import ReviewListState
from marketplace_app.state.session import SessionState
from marketplace_app.state.views import DeliveryView, ImageView, VariantView

GALLERY_SIZES = "(min-width: 768px) 600px, 100vw"


def _gallery() -> rx.Component:
    def image(img: ImageView, index) -> rx.Component:
        return rx.image(
            src=img.src,
            src_set=img.srcset,
            sizes=GALLERY_SIZES,
            alt=img.alt,
            loading=rx.cond(index == 0, "eager", "lazy"),
            data_testid="listing-gallery-image",
            width="100%",
            aspect_ratio="4 / 3",
            object_fit="cover",
            border_radius="8px",
            flex="0 0 100%",
            scroll_snap_align="start",
        )

    return rx.box(
        rx.foreach(ListingState.images, image),
        display="flex",
        overflow_x="auto",
        gap="8px",
        scroll_snap_type="x mandatory",
        width="100%",
        tab_index=0,
        aria_label=tr("listing.gallery"),
        role="region",
    )


def _delivery(option: DeliveryView) -> rx.Component:
    return rx.hstack(
        rx.text(option.label, size="2"),
        rx.spacer(),
        rx.text(option.fee, size="2", color_scheme="gray"),
        width="100%",
        data_testid="delivery-option",
        data_method=option.key,
    )


def _seller() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("store", size=18, aria_hidden="true"),
                rx.text(ListingState.seller_name, weight="bold", data_testid="listing-seller-name"),
                rx.badge(ListingState.seller_kind, variant="soft"),
                align="center",
                spacing="2",
            ),
            rx.text(ListingState.seller_rating, size="2", data_testid="seller-rating"),
            rx.text(ListingState.seller_completion, size="2", data_testid="seller-completion"),
            rx.text(ListingState.seller_no_shows, size="2", data_testid="seller-no-shows"),
            rx.text(ListingState.seller_response, size="2", data_testid="seller-response"),
            rx.text(ListingState.seller_since, size="1", color_scheme="gray"),
            rx.cond(
                ~ListingState.is_own,
                rx.button(
                    rx.icon("message-circle", size=16, aria_hidden="true"),
                    tr("messages.message_seller"),
                    on_click=ThreadState.open_listing(ListingState.listing_id),
                    variant="outline",
                    margin_y="6px",
                    data_testid="contact-seller",
                ),
            ),
            rx.el.details(
                rx.el.summary(
                    tr("reviews.how_computed"),
                    font_size="0.85em",
                    cursor="pointer",
                    data_testid="seller-how-computed",
                ),
                rx.text(
                    tr("reviews.how_computed_text"),
                    size="1",
                    white_space="pre-wrap",
                    data_testid="seller-how-computed-text",
                ),
            ),
            rx.cond(
                SessionState.logged_in & ~ListingState.is_own,
                report_dialog(
                    MemberReportState,
                    open_key="moderation.report_member",
                    title_key="moderation.report_member_title",
                    opener_testid="report-user",
                    testid="report-user",
                ),
            ),
            spacing="1",
        ),
        data_testid="listing-seller",
        width="100%",
    )


def _similar() -> rx.Component:
    return rx.cond(
        ListingState.similar.length() > 0,
        rx.el.section(
            rx.heading(tr("listing.similar"), size="4", as_="h2"),
            card_grid(ListingState.similar),
            data_testid="similar-items",
            width="100%",
            display="flex",
            flex_direction="column",
            gap="10px",
        ),
    )


def _variant(v: VariantView) -> rx.Component:
    chosen = ListingState.variant_id == v.id
    return rx.button(
        v.label,
        variant=rx.cond(chosen, "solid", "outline"),
        color_scheme=rx.cond(v.sold_out, "gray", "accent"),
        size="2",
        on_click=ListingState.select_variant(v.id),
        aria_pressed=rx.cond(chosen, "true", "false"),
        data_testid="variant-option",
    )


def _variants() -> rx.Component:
    return rx.cond(
        ListingState.variants.length() > 0,
        rx.box(
            rx.text(tr("listing.variant"), size="2", weight="medium", id="variant-label"),
            rx.flex(
                rx.foreach(ListingState.variants, _variant),
                role="group",
                aria_labelledby="variant-label",
                wrap="wrap",
                gap="2",
                padding_top="4px",
            ),
            width="100%",
        ),
    )


def _cart_block_message() -> rx.Component:
    return rx.cond(
        ListingState.cart_block != "",
        rx.text(
            ListingState.cart_block_text,
            size="2",
            color_scheme=rx.cond(ListingState.cart_block == "own", "gray", "red"),
            data_testid="cart-block",
        ),
    )


def _add_to_cart() -> rx.Component:
    """Quantity (shop products; resident items are always 1) and the add button."""
    blocked = ListingState.cart_block != ""
    return rx.form(
        rx.hstack(
            rx.cond(
                ListingState.is_shop & ~blocked,
                rx.box(
                    rx.el.label(tr("cart.quantity"), html_for="quantity-input", font_size="0.85em"),
                    rx.input(
                        id="quantity-input",
                        name="quantity",
                        type="number",
                        min=1,
                        max=ListingState.quantity_max,
                        default_value="1",
                        key=ListingState.variant_id.to_string(),
                        input_mode="numeric",
                        aria_invalid=rx.cond(ListingState.cart_error != "", "true", "false"),
                        aria_describedby="add-to-cart-error",
                        data_testid="quantity-input",
                        width="80px",
                        size="3",
                    ),
                    display="flex",
                    flex_direction="column",
                    gap="2px",
                ),
            ),
            rx.button(
                rx.cond(
                    ListingState.adding,
                    rx.spinner(size="2"),
                    rx.icon("shopping-cart", size=16, aria_hidden="true"),
                ),
                tr("cart.add"),
                type="submit",
                disabled=blocked | ListingState.adding,
                aria_describedby="add-to-cart-error",
                size="3",
                data_testid="add-to-cart",
            ),
            align="end",
            spacing="3",
        ),
        _cart_block_message(),
        rx.cond(
            ListingState.cart_error != "",
            rx.text(
                ListingState.cart_error,
                id="add-to-cart-error",
                color_scheme="red",
                size="2",
                role="alert",
                data_testid="form-error",
            ),
        ),
        rx.cond(
            ListingState.cart_note != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("circle-check")),
                rx.callout.text(
                    ListingState.cart_note,
                    " ",
                    rx.link(tr("cart.view"), href="/cart", data_testid="view-cart"),
                ),
                color_scheme="green",
                size="1",
                role="status",
                data_testid="toast",
            ),
        ),
        on_submit=ListingState.add_to_cart,
        reset_on_submit=False,
        no_validate=True,  # the server caps at the stock and says so
        width="100%",
        display="flex",
        flex_direction="column",
        gap="8px",
        data_testid="add-to-cart-form",
    )


def _details() -> rx.Component:
    return rx.vstack(
        rx.heading(ListingState.title, size="6", as_="h1", data_testid="listing-title"),
        price(ListingState.price, ListingState.was_price, "listing-price", size="6"),
        rx.cond(
            ReviewListState.product_rating != "",
            rx.text(ReviewListState.product_rating, size="2", data_testid="product-rating"),
        ),
        _variants(),
        rx.cond(
            ListingState.stock_label != "",
            rx.text(
                ListingState.stock_label,
                size="2",
                color_scheme="gray",
                data_testid="listing-stock",
                aria_live="polite",
            ),
        ),
        _add_to_cart(),
        offer_panel(),
        rx.hstack(
            rx.badge(ListingState.kind_label, variant="surface"),
            rx.cond(
                ListingState.condition != "",
                rx.badge(
                    ListingState.condition, color_scheme="blue", data_testid="listing-condition"
                ),
            ),
            rx.cond(
                ListingState.negotiable, rx.badge(tr("listing.negotiable"), color_scheme="orange")
            ),
            rx.cond(
                ListingState.status != "active",
                rx.badge(ListingState.status_label, color_scheme="red"),
            ),
            wrap="wrap",
            spacing="2",
        ),
        rx.hstack(
            heart(ListingState.listing_id, "favorite-toggle"),
            rx.text(ListingState.views, size="1", color_scheme="gray", data_testid="listing-views"),
            rx.spacer(),
            rx.button(
                rx.icon("share-2", size=14, aria_hidden="true"),
                rx.cond(ListingState.link_copied, tr("listing.link_copied"), tr("listing.share")),
                variant="ghost",
                size="1",
                on_click=ListingState.share,
                data_testid="listing-share",
            ),
            report_dialog(
                ReportState,
                open_key="report.open",
                title_key="report.title",
                opener_testid="report-listing",
                testid="report",
            ),
            align="center",
            width="100%",
        ),
        rx.hstack(
            rx.icon("map-pin", size=16, aria_hidden="true"),
            rx.text(ListingState.district, size="2"),
            rx.cond(
                ListingState.distance != "",
                rx.badge(ListingState.distance, variant="soft", data_testid="listing-distance"),
            ),
            rx.link(ListingState.category, href=ListingState.category_href, size="2"),
            spacing="2",
            align="center",
        ),
        _seller(),
        rx.box(
            rx.heading(tr("listing.delivery"), size="3", as_="h2"),
            rx.foreach(ListingState.delivery, _delivery),
            width="100%",
        ),
        rx.box(
            rx.heading(tr("listing.description"), size="3", as_="h2"),
            rx.text(ListingState.description, white_space="pre-wrap", size="2"),
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def listing_page() -> rx.Component:
    """The page at ``/listing/[listing_id]``."""
    return shell(
        rx.cond(
            ListingState.loading & (ListingState.title == ""),
            loading(),
            rx.cond(
                ListingState.found,
                rx.vstack(
                    rx.grid(
                        _gallery(),
                        _details(),
                        columns=rx.breakpoints(initial="1", sm="2"),
                        spacing="5",
                        width="100%",
                    ),
                    review_section("reviews.about_seller"),
                    _similar(),
                    spacing="6",
                    width="100%",
                ),
                rx.center(
                    rx.vstack(
                        rx.heading(tr("listing.not_found"), size="5"),
                        rx.link(tr("common.back_home"), href="/"),
                        align="center",
                    ),
                    padding="3em",
                    data_testid="not-found",
                ),
            ),
        )
    )
