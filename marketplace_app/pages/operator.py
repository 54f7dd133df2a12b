"""``/admin/queue``: shop applications and reported listings, for moderators."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loading, notice
from marketplace_app.components.fields import error_text
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.operator import (
    ApplicationView,
    OperatorState,
    ReportView,
    ReviewReportView,
)

Q = OperatorState


def _reason_input(key: rx.Var, label_key: str) -> rx.Component:
    input_id = "reason-" + key
    return rx.box(
        rx.el.label(tr(label_key), html_for=input_id, font_size="0.85em", font_weight="500"),
        rx.input(
            id=input_id,
            name="reason",
            max_length=500,
            width="100%",
            data_testid="admin-reason",
        ),
        width="100%",
    )


def _decision_form(
    key: rx.Var, id_name: str, item_id: rx.Var, reason_key: str, on_submit, *buttons
) -> rx.Component:
    """A queue row's form: the item's id, a reason, the decision buttons and the row's error."""
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name=id_name, default_value=item_id.to_string()),
            _reason_input(key, reason_key),
            rx.flex(*buttons, gap="8px", wrap="wrap"),
            error_text(Q.row_errors, key),
            spacing="2",
            width="100%",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
    )


def _fact(label_key: str, value: rx.Var) -> rx.Component:
    return rx.cond(
        value != "",
        rx.text(
            rx.text.strong(tr(label_key), ": "),
            value,
            size="2",
            white_space="pre-wrap",
        ),
    )


def _application(app: ApplicationView) -> rx.Component:
    key = "shop-" + app.id.to_string()
    busy = Q.busy_key == key
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.cond(
                    app.logo != "",
                    rx.image(
                        src=app.logo,
                        alt=tr("shop.logo_alt"),
                        width="56px",
                        height="56px",
                        object_fit="cover",
                        border_radius="8px",
                    ),
                ),
                rx.vstack(
                    rx.heading(app.name, size="4", as_="h3", data_testid="admin-shop-name"),
                    rx.text(
                        tr("queue.applicant"), ": ", app.applicant, " · ", app.applied, size="1"
                    ),
                    spacing="1",
                ),
                spacing="3",
                align="center",
            ),
            rx.text(app.description, size="2", white_space="pre-wrap"),
            _fact("shop.district", app.district),
            _fact("shop.address", app.address),
            _fact("shop.pickup_point", app.pickup_point),
            _fact("shop.contact", app.contact),
            _fact("shop.hours", app.hours),
            _decision_form(
                key,
                "shop_id",
                app.id,
                "queue.reject_reason",
                Q.reject,
                rx.button(
                    rx.icon("check", size=16, aria_hidden="true"),
                    tr("queue.approve"),
                    type="button",
                    color_scheme="green",
                    disabled=busy,
                    on_click=Q.approve(app.id),
                    data_testid="admin-approve",
                ),
                rx.button(
                    rx.icon("x", size=16, aria_hidden="true"),
                    tr("queue.reject"),
                    type="submit",
                    variant="soft",
                    color_scheme="red",
                    disabled=busy,
                    data_testid="admin-reject",
                ),
            ),
            spacing="2",
            width="100%",
        ),
        data_testid="admin-queue-row",
        width="100%",
    )


def _report_reasons(report: ReportView | ReviewReportView) -> rx.Component:
    return rx.hstack(
        rx.badge(report.reason, color_scheme="red", data_testid="admin-report-reason"),
        rx.cond(report.others != "", rx.badge(report.others, variant="soft")),
        spacing="2",
        wrap="wrap",
    )


def _report_decision(
    report: ReportView | ReviewReportView, key: rx.Var, on_submit
) -> tuple[rx.Component, rx.Component]:
    """Who reported when, then the form hiding the reported item or dismissing the report."""
    busy = Q.busy_key == key
    return (
        rx.text(tr("queue.reported_by"), ": ", report.reporter, " · ", report.reported, size="1"),
        _decision_form(
            key,
            "report_id",
            report.id,
            "queue.hide_reason",
            on_submit,
            rx.button(
                rx.icon("eye-off", size=16, aria_hidden="true"),
                tr("queue.hide"),
                type="submit",
                color_scheme="red",
                disabled=busy,
                on_click=Q.choose("hide"),
                data_testid="admin-hide",
            ),
            rx.button(
                tr("queue.dismiss"),
                type="submit",
                variant="soft",
                disabled=busy,
                on_click=Q.choose("dismiss"),
                data_testid="admin-dismiss",
            ),
        ),
    )


def _report(report: ReportView) -> rx.Component:
    key = "report-" + report.id.to_string()
    return rx.card(
        rx.flex(
            rx.image(
                src=report.image,
                alt=report.listing_title,
                width="88px",
                height="88px",
                object_fit="cover",
                border_radius="8px",
                flex_shrink="0",
            ),
            rx.vstack(
                rx.link(
                    report.listing_title,
                    href=report.listing_href,
                    weight="bold",
                    data_testid="admin-listing-link",
                ),
                _fact("queue.seller", report.seller),
                _report_reasons(report),
                rx.cond(
                    report.text != "",
                    rx.blockquote(report.text, size="2", white_space="pre-wrap"),
                ),
                *_report_decision(report, key, Q.decide_report),
                spacing="2",
                flex="1",
                min_width="0",
            ),
            gap="12px",
            width="100%",
            wrap=rx.breakpoints(initial="wrap", sm="nowrap"),
        ),
        data_testid="admin-queue-row",
        width="100%",
    )


def _review_report(report: ReviewReportView) -> rx.Component:
    key = "review-report-" + report.id.to_string()
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(tr("reviews.queue_kind"), variant="soft"),
                rx.text(report.stars, color=rx.color("amber", 9)),
                rx.text(report.author, " → ", report.subject, size="2", weight="bold"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.blockquote(report.review_text, size="2", white_space="pre-wrap"),
            _report_reasons(report),
            rx.cond(report.text != "", rx.text(report.text, size="2", white_space="pre-wrap")),
            *_report_decision(report, key, Q.decide_review_report),
            spacing="2",
            width="100%",
        ),
        data_testid="admin-queue-row",
        data_kind="review",
        width="100%",
    )


def _tab_trigger(value: str, label_key: str, count: rx.Var) -> rx.Component:
    return rx.tabs.trigger(
        tr(label_key),
        " (",
        count,
        ")",
        value=value,
        data_testid=f"admin-tab-{value}",
    )


def queue_page() -> rx.Component:
    """``/admin/queue`` (moderators and admins; others are sent away)."""
    return shell(
        rx.vstack(
            rx.heading(tr("queue.title"), size="6", as_="h1"),
            rx.cond(Q.notice != "", notice(Q.notice)),
            rx.cond(
                Q.loaded,
                rx.tabs.root(
                    rx.tabs.list(
                        _tab_trigger("shops", "queue.tab_shops", Q.applications.length()),
                        _tab_trigger(
                            "reports",
                            "queue.tab_reports",
                            Q.reports.length() + Q.review_reports.length(),
                        ),
                    ),
                    rx.tabs.content(
                        rx.cond(
                            Q.applications.length() > 0,
                            rx.vstack(
                                rx.foreach(Q.applications, _application),
                                spacing="3",
                                width="100%",
                            ),
                            empty("queue.no_applications"),
                        ),
                        value="shops",
                        padding_top="12px",
                    ),
                    rx.tabs.content(
                        rx.cond(
                            (Q.reports.length() + Q.review_reports.length()) > 0,
                            rx.vstack(
                                rx.foreach(Q.reports, _report),
                                rx.foreach(Q.review_reports, _review_report),
                                spacing="3",
                                width="100%",
                            ),
                            empty("queue.no_reports"),
                        ),
                        value="reports",
                        padding_top="12px",
                    ),
                    value=Q.tab,
                    on_change=Q.set_tab,
                    width="100%",
                ),
                loading(),
            ),
            spacing="4",
            width="100%",
            max_width="900px",
            margin="0 auto",
        )
    )
