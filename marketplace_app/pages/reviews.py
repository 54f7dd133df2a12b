"""Review UI pieces: the box on an order's page and the list on listing and shop pages."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.fields import field_error
from marketplace_app.components.i18n import tr
from marketplace_app.components.photos import form_photos
from marketplace_app.components.report_dialog import report_content
from marketplace_app.services import reviews
from marketplace_app.state.reviews import (
    STARS,
    OrderReviewState,
    ReviewListState,
    ReviewPhotoView,
    ReviewView,
)

RS = OrderReviewState
L = ReviewListState
UPLOAD_ID = "review-photos"


# -- the review box on an order's page


def _star_buttons(chosen: rx.Var, on_pick, prefix: str, label_key: str) -> rx.Component:
    """Five toggle buttons (aria-pressed), reachable with Tab and pressed with Enter/Space."""
    label_id = f"{prefix}-label"
    return rx.box(
        rx.text(tr(label_key), id=label_id, weight="medium", size="2"),
        rx.hstack(
            *[
                rx.button(
                    rx.cond(chosen >= n, "★", "☆"),
                    type="button",
                    variant="ghost",
                    size="3",
                    font_size="1.6em",
                    color=rx.color("amber", 9),
                    aria_pressed=rx.cond(chosen == n, "true", "false"),
                    aria_label=tr(f"reviews.stars_{n}"),
                    on_click=on_pick(n),
                    data_testid=f"{prefix}-{n}",
                )
                for n in STARS
            ],
            role="group",
            aria_labelledby=label_id,
            spacing="1",
        ),
        width="100%",
    )


def _photos_input() -> rx.Component:
    return form_photos(
        UPLOAD_ID,
        label_key="reviews.photos",
        add_key="reviews.add_photos",
        hint_key="reviews.photos_hint",
        remove_key="reviews.remove_photo",
        preview_testid="review-photo-preview",
        photos=RS.photos,
        uploading=RS.uploading,
        errors=RS.errors,
        max_files=reviews.MAX_PHOTOS,
        on_upload=RS.upload_photos,
        on_remove=RS.remove_photo,
    )


def _review_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.heading(tr("reviews.write"), size="4", as_="h2"),
            rx.text(tr("reviews.blind_hint"), " ", RS.window_ends, size="2", color_scheme="gray"),
            field_error(RS.errors, "_form"),
            _star_buttons(RS.stars, RS.set_stars, "review-stars", "reviews.your_rating"),
            field_error(RS.errors, "stars"),
            rx.cond(
                RS.rates_product,
                rx.box(
                    _star_buttons(
                        RS.product_stars,
                        RS.set_product_stars,
                        "review-product-stars",
                        "reviews.product_rating_input",
                    ),
                    field_error(RS.errors, "product_stars"),
                    width="100%",
                ),
            ),
            rx.el.label(tr("reviews.text"), html_for="review-text", font_weight="500"),
            rx.text_area(
                id="review-text",
                name="text",
                max_length=reviews.TEXT_MAX,
                rows="4",
                width="100%",
                data_testid="review-text",
            ),
            field_error(RS.errors, "text"),
            _photos_input(),
            rx.button(
                rx.cond(
                    RS.busy, rx.spinner(size="2"), rx.icon("send", size=16, aria_hidden="true")
                ),
                tr("reviews.submit"),
                type="submit",
                size="3",
                disabled=RS.busy | RS.uploading,
                data_testid="review-submit",
            ),
            spacing="3",
            width="100%",
            align="start",
        ),
        on_submit=RS.submit,
        reset_on_submit=False,
        width="100%",
    )


def _mine() -> rx.Component:
    return rx.vstack(
        rx.heading(tr("reviews.yours"), size="4", as_="h2"),
        rx.text(RS.mine_stars, color=rx.color("amber", 9), font_size="1.3em"),
        rx.cond(RS.mine_text != "", rx.text(RS.mine_text, size="2", white_space="pre-wrap")),
        rx.cond(
            RS.mine_published,
            rx.badge(tr("reviews.published"), color_scheme="green"),
            rx.text(tr("reviews.waiting"), size="2", color_scheme="gray"),
        ),
        data_testid="review-mine",
        data_state=rx.cond(RS.mine_published, "published", "waiting"),
        spacing="2",
        width="100%",
    )


def _theirs() -> rx.Component:
    return rx.vstack(
        rx.heading(tr("reviews.theirs"), size="4", as_="h2"),
        rx.text(RS.theirs_stars, color=rx.color("amber", 9), font_size="1.3em"),
        rx.cond(RS.theirs_text != "", rx.text(RS.theirs_text, size="2", white_space="pre-wrap")),
        rx.cond(
            RS.theirs_reply != "",
            rx.text(tr("reviews.reply_label"), ": ", RS.theirs_reply, size="2"),
        ),
        data_testid="review-theirs",
        spacing="2",
        width="100%",
    )


def review_box() -> rx.Component:
    """The order page's review card (nothing before completion or for shop staff)."""
    return rx.cond(
        RS.loaded & (RS.may_review | RS.has_mine | RS.has_theirs),
        rx.card(
            rx.vstack(
                rx.cond(RS.may_review, _review_form()),
                rx.cond(RS.has_mine, _mine()),
                rx.cond(RS.has_theirs, _theirs()),
                spacing="4",
                width="100%",
            ),
            width="100%",
            data_testid="order-reviews",
        ),
    )


# -- published reviews on listing and shop pages


def _review_photo(photo: ReviewPhotoView) -> rx.Component:
    return rx.link(
        rx.image(
            src=photo.src,
            alt=photo.alt,
            width="72px",
            height="72px",
            object_fit="cover",
            border_radius="6px",
            loading="lazy",
        ),
        href=photo.full,
        is_external=True,
        data_testid="review-photo",
    )


def _reply_form(review: ReviewView) -> rx.Component:
    return rx.cond(
        L.replying_id == review.id,
        rx.form(
            rx.vstack(
                rx.el.label(tr("reviews.reply_label"), html_for="review-reply", font_size="0.9em"),
                rx.text_area(
                    id="review-reply",
                    name="reply",
                    max_length=reviews.REPLY_MAX,
                    rows="3",
                    width="100%",
                    data_testid="review-reply",
                ),
                rx.cond(
                    L.reply_error != "",
                    rx.text(L.reply_error, color_scheme="red", size="2", data_testid="form-error"),
                ),
                rx.hstack(
                    rx.button(
                        tr("reviews.reply_send"), type="submit", data_testid="review-reply-submit"
                    ),
                    rx.button(
                        tr("common.cancel"), type="button", variant="soft", on_click=L.cancel_reply
                    ),
                    spacing="2",
                ),
                spacing="2",
                width="100%",
            ),
            on_submit=L.send_reply,
            reset_on_submit=False,
            width="100%",
        ),
        rx.button(
            rx.icon("reply", size=14, aria_hidden="true"),
            tr("reviews.reply"),
            variant="soft",
            size="1",
            on_click=L.start_reply(review.id),
            data_testid="review-reply-open",
        ),
    )


def _review(review: ReviewView) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(
                    stars_of(review.stars),
                    color=rx.color("amber", 9),
                    aria_label=review.stars_label,
                    data_testid="review-item-stars",
                    data_stars=review.stars.to_string(),
                ),
                rx.text(review.author, weight="bold", size="2"),
                rx.text(review.role, size="1", color_scheme="gray"),
                rx.spacer(),
                rx.text(review.when, size="1", color_scheme="gray"),
                align="center",
                spacing="2",
                width="100%",
                wrap="wrap",
            ),
            rx.cond(review.item != "", rx.text(review.item, size="1", color_scheme="gray")),
            rx.cond(review.product != "", rx.text(review.product, size="1")),
            rx.cond(
                review.text != "",
                rx.text(
                    review.text, size="2", white_space="pre-wrap", data_testid="review-item-text"
                ),
            ),
            rx.cond(
                review.photos.length() > 0,
                rx.flex(rx.foreach(review.photos, _review_photo), gap="6px", wrap="wrap"),
            ),
            rx.cond(
                review.reply != "",
                rx.box(
                    rx.text(tr("reviews.reply_label"), weight="medium", size="1"),
                    rx.text(review.reply, size="2", white_space="pre-wrap"),
                    padding_left="12px",
                    border_left=f"3px solid {rx.color('gray', 6)}",
                    data_testid="review-item-reply",
                ),
            ),
            rx.hstack(
                rx.cond(review.can_reply, _reply_form(review)),
                rx.spacer(),
                rx.cond(
                    review.can_report,
                    rx.button(
                        rx.icon("flag", size=12, aria_hidden="true"),
                        tr("reviews.report"),
                        variant="ghost",
                        color_scheme="gray",
                        size="1",
                        on_click=L.start_report(review.id),
                        data_testid="review-report",
                    ),
                ),
                width="100%",
                align="start",
            ),
            spacing="2",
            width="100%",
        ),
        padding_y="10px",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        data_testid="review-item",
    )


def stars_of(n: rx.Var) -> rx.Var:
    """Five stars, ``n`` of them filled, as text."""
    return rx.match(
        n,
        (1, "★☆☆☆☆"),
        (2, "★★☆☆☆"),
        (3, "★★★☆☆"),
        (4, "★★★★☆"),
        (5, "★★★★★"),
        "",
    )


def _report_dialog() -> rx.Component:
    return rx.dialog.root(
        report_content(
            title_key="reviews.report_title",
            sent=L.report_sent,
            errors=L.report_errors,
            close=L.close_report,
            submit=L.send_report,
            testid="review-report",
        ),
        open=L.reporting_id != 0,
        on_open_change=L.report_opened,
    )


def review_section(heading_key: str) -> rx.Component:
    """Published reviews (newest first) with reply and report; loaded by ``ReviewListState``."""
    return rx.el.section(
        rx.hstack(
            rx.heading(tr(heading_key), size="4", as_="h2"),
            rx.cond(L.summary != "", rx.text(L.summary, size="2", data_testid="reviews-summary")),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            L.notice != "",
            rx.text(L.notice, size="2", color_scheme="green", role="status", data_testid="toast"),
        ),
        rx.cond(
            L.reviews.length() > 0,
            rx.vstack(rx.foreach(L.reviews, _review), spacing="0", width="100%"),
            rx.cond(
                L.loaded,
                rx.text(tr("reviews.none_yet"), size="2", color_scheme="gray"),
            ),
        ),
        _report_dialog(),
        data_testid="reviews-section",
        width="100%",
        display="flex",
        flex_direction="column",
        gap="8px",
    )
