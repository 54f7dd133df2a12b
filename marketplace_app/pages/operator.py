"""``/admin/queue``: shop applications, reports, held listings and sanctions, for moderators."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loading, notice
from marketplace_app.components.fields import error_text
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.moderation_views import (
    ContextView,
    MessageReportView,
    PendingView,
    SanctionView,
    UserReportView,
)
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


def _unless_mine(mine: rx.Var, decision: rx.Component) -> rx.Component:
    """A row's decision, or, on the operator's own thing, who must decide it instead."""
    return rx.cond(
        mine,
        rx.callout.root(
            rx.callout.icon(rx.icon("user-x", aria_hidden="true")),
            rx.callout.text(tr("error.own_case")),
            color_scheme="gray",
            size="1",
            data_testid="admin-own-case",
        ),
        decision,
    )


def _approve_or_reject(
    key: rx.Var, id_name: str, item_id: rx.Var, reason_key: str, approve, reject
) -> rx.Component:
    """A queue row's approve button and its reject form (the reason is for rejecting)."""
    busy = Q.busy_key == key
    return _decision_form(
        key,
        id_name,
        item_id,
        reason_key,
        reject,
        rx.button(
            rx.icon("check", size=16, aria_hidden="true"),
            tr("queue.approve"),
            type="button",
            color_scheme="green",
            disabled=busy,
            on_click=approve(item_id),
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
            _unless_mine(
                app.mine,
                _approve_or_reject(
                    key, "shop_id", app.id, "queue.reject_reason", Q.approve, Q.reject
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


def _days_input(key: rx.Var) -> rx.Component:
    input_id = "days-" + key
    return rx.hstack(
        rx.el.label(tr("moderation.days"), html_for=input_id, font_size="0.85em"),
        rx.input(
            id=input_id,
            name="days",
            type="number",
            min=1,
            max=365,
            default_value="7",
            width="5em",
            data_testid="admin-suspend-days",
        ),
        align="center",
        spacing="2",
    )


def _action_button(icon: str, label_key: str, action: str, testid: str, busy, **props):
    return rx.button(
        rx.icon(icon, size=16, aria_hidden="true"),
        tr(label_key),
        type="submit",
        disabled=busy,
        on_click=Q.choose(action),
        data_testid=testid,
        **props,
    )


def _report_decision(
    report, key: rx.Var, on_submit, hide_key: str | None = "queue.hide"
) -> tuple[rx.Component, rx.Component]:
    """Who reported when, then the row's form with the reason and the decisions.

    The decisions: hide (when ``hide_key``), dismiss, warn, suspend for N days
    or ban the member responsible.
    """
    busy = Q.busy_key == key
    hide = (
        [_action_button("eye-off", hide_key, "hide", "admin-hide", busy, color_scheme="red")]
        if hide_key
        else []
    )
    return (
        rx.text(tr("queue.reported_by"), ": ", report.reporter, " · ", report.reported, size="1"),
        _unless_mine(
            report.mine,
            _decision_form(
                key,
                "report_id",
                report.id,
                "moderation.action_reason",
                on_submit,
                *hide,
                _action_button(
                    "x", "queue.dismiss", "dismiss", "admin-dismiss", busy, variant="soft"
                ),
                _action_button(
                    "triangle-alert", "moderation.warn", "warn", "admin-warn", busy, variant="soft"
                ),
                rx.hstack(
                    _days_input(key),
                    _action_button(
                        "clock",
                        "moderation.suspend",
                        "suspend",
                        "admin-suspend",
                        busy,
                        variant="soft",
                        color_scheme="orange",
                    ),
                    spacing="2",
                    align="center",
                ),
                _action_button(
                    "ban",
                    "moderation.ban",
                    "ban",
                    "admin-ban",
                    busy,
                    variant="soft",
                    color_scheme="red",
                ),
            ),
        ),
    )


def _listing_row(image: rx.Var, alt: rx.Var, *body: rx.Component, **props) -> rx.Component:
    """A queue row about a listing: its photo beside the row's facts and decision."""
    return rx.card(
        rx.flex(
            rx.image(
                src=image,
                alt=alt,
                width="88px",
                height="88px",
                object_fit="cover",
                border_radius="8px",
                flex_shrink="0",
            ),
            rx.vstack(*body, spacing="2", flex="1", min_width="0"),
            gap="12px",
            width="100%",
            wrap=rx.breakpoints(initial="wrap", sm="nowrap"),
        ),
        data_testid="admin-queue-row",
        width="100%",
        **props,
    )


def _report(report: ReportView) -> rx.Component:
    key = "report-" + report.id.to_string()
    return _listing_row(
        report.image,
        report.listing_title,
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
            *_report_decision(report, key, Q.decide_review_report, "moderation.hide_review"),
            spacing="2",
            width="100%",
        ),
        data_testid="admin-queue-row",
        data_kind="review",
        width="100%",
    )


def _context_message(m: ContextView) -> rx.Component:
    return rx.box(
        rx.text(m.sender, " · ", m.at, size="1", color_scheme="gray"),
        rx.text(
            m.body,
            size="2",
            white_space="pre-wrap",
            text_decoration=rx.cond(m.hidden, "line-through", "none"),
        ),
        padding="6px 10px",
        border_radius="6px",
        background=rx.cond(m.reported, rx.color("red", 3), rx.color("gray", 2)),
        border_left=rx.cond(m.reported, f"3px solid {rx.color('red', 9)}", "3px solid transparent"),
        data_testid="admin-context-message",
        data_reported=rx.cond(m.reported, "true", "false"),
        width="100%",
    )


def _message_report(report: MessageReportView) -> rx.Component:
    key = "message-report-" + report.id.to_string()
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(tr("moderation.kind_message"), variant="soft"),
                rx.text(tr("moderation.sender"), ": ", report.sender, size="2", weight="bold"),
                rx.cond(report.listing_title != "", rx.text(report.listing_title, size="1")),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.vstack(
                rx.foreach(report.context, _context_message),
                spacing="1",
                width="100%",
                role="log",
                aria_label=tr("moderation.conversation"),
            ),
            _report_reasons(report),
            rx.cond(report.text != "", rx.text(report.text, size="2", white_space="pre-wrap")),
            *_report_decision(report, key, Q.decide_message_report, "moderation.hide_message"),
            spacing="2",
            width="100%",
        ),
        data_testid="admin-queue-row",
        data_kind="message",
        width="100%",
    )


def _sanction_line(s: SanctionView) -> rx.Component:
    return rx.text(
        rx.badge(s.label, color_scheme=rx.cond(s.in_force, "red", "gray"), variant="soft"),
        " ",
        s.reason,
        " · ",
        s.when,
        size="1",
        data_testid="admin-member-sanction",
    )


def _user_report(report: UserReportView) -> rx.Component:
    key = "user-report-" + report.id.to_string()
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(tr("moderation.kind_member"), variant="soft"),
                rx.text(report.member, size="3", weight="bold", data_testid="admin-member-name"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.text(report.since, " · ", report.listings, size="2"),
            rx.cond(
                report.sanctions.length() > 0,
                rx.vstack(
                    rx.text(tr("moderation.prior_sanctions"), size="1", weight="medium"),
                    rx.foreach(report.sanctions, _sanction_line),
                    spacing="1",
                ),
                rx.text(tr("moderation.no_sanctions"), size="1", color_scheme="gray"),
            ),
            _report_reasons(report),
            rx.cond(report.text != "", rx.text(report.text, size="2", white_space="pre-wrap")),
            *_report_decision(report, key, Q.decide_user_report, None),
            spacing="2",
            width="100%",
        ),
        data_testid="admin-queue-row",
        data_kind="user",
        width="100%",
    )


def _pending(row: PendingView) -> rx.Component:
    key = "pending-" + row.id.to_string()
    return _listing_row(
        row.image,
        row.title,
        rx.text(row.title, weight="bold", data_testid="admin-pending-title"),
        _fact("queue.seller", row.seller),
        rx.hstack(
            rx.text(tr("moderation.matched"), ": ", size="2"),
            rx.badge(row.terms, color_scheme="orange", data_testid="admin-pending-terms"),
            spacing="1",
            align="center",
            wrap="wrap",
        ),
        rx.text(row.description, size="2", white_space="pre-wrap", color_scheme="gray"),
        rx.text(row.updated, size="1"),
        _unless_mine(
            row.mine,
            _approve_or_reject(
                key,
                "listing_id",
                row.id,
                "moderation.reject_reason",
                Q.approve_listing,
                Q.reject_listing,
            ),
        ),
        data_kind="pending",
    )


def _sanction(row: SanctionView) -> rx.Component:
    key = "sanction-" + row.id.to_string()
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(row.label, color_scheme="red"),
                rx.text(row.member, weight="bold", data_testid="admin-sanction-member"),
                rx.text(row.when, size="1"),
                spacing="2",
                wrap="wrap",
                align="center",
            ),
            rx.text(row.reason, size="2", white_space="pre-wrap"),
            _unless_mine(
                row.mine,
                _decision_form(
                    key,
                    "sanction_id",
                    row.id,
                    "moderation.lift_reason",
                    Q.lift,
                    rx.button(
                        rx.icon("undo-2", size=16, aria_hidden="true"),
                        tr("moderation.lift"),
                        type="submit",
                        variant="soft",
                        disabled=Q.busy_key == key,
                        data_testid="admin-lift",
                    ),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        data_testid="admin-queue-row",
        data_kind="sanction",
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


def _report_count() -> rx.Var:
    return (
        Q.reports.length()
        + Q.review_reports.length()
        + Q.message_reports.length()
        + Q.user_reports.length()
    )


def _tab(value: str, rows: rx.Var, content: rx.Component, empty_key: str) -> rx.Component:
    return rx.tabs.content(
        rx.cond(rows, rx.vstack(content, spacing="3", width="100%"), empty(empty_key)),
        value=value,
        padding_top="12px",
    )


def _staff_links() -> rx.Component:
    return rx.flex(
        rx.link(tr("audit.title"), href="/admin/audit", data_testid="admin-audit-link"),
        rx.cond(
            Q.is_admin,
            rx.link(
                tr("blocklist.title"), href="/admin/blocklist", data_testid="admin-blocklist-link"
            ),
        ),
        gap="16px",
        wrap="wrap",
    )


def queue_page() -> rx.Component:
    """``/admin/queue`` (moderators and admins; others are sent away)."""
    return shell(
        rx.vstack(
            rx.heading(tr("queue.title"), size="6", as_="h1"),
            _staff_links(),
            rx.cond(Q.notice != "", notice(Q.notice)),
            rx.cond(
                Q.loaded,
                rx.tabs.root(
                    rx.tabs.list(
                        _tab_trigger("shops", "queue.tab_shops", Q.applications.length()),
                        _tab_trigger("reports", "queue.tab_reports", _report_count()),
                        _tab_trigger("pending", "moderation.tab_pending", Q.pending.length()),
                        _tab_trigger("sanctions", "moderation.tab_sanctions", Q.sanctions.length()),
                        wrap="wrap",
                    ),
                    _tab(
                        "shops",
                        Q.applications.length() > 0,
                        rx.foreach(Q.applications, _application),
                        "queue.no_applications",
                    ),
                    _tab(
                        "reports",
                        _report_count() > 0,
                        rx.fragment(
                            rx.foreach(Q.reports, _report),
                            rx.foreach(Q.review_reports, _review_report),
                            rx.foreach(Q.message_reports, _message_report),
                            rx.foreach(Q.user_reports, _user_report),
                        ),
                        "queue.no_reports",
                    ),
                    _tab(
                        "pending",
                        Q.pending.length() > 0,
                        rx.foreach(Q.pending, _pending),
                        "moderation.no_pending",
                    ),
                    _tab(
                        "sanctions",
                        Q.sanctions.length() > 0,
                        rx.foreach(Q.sanctions, _sanction),
                        "moderation.no_sanctions_in_force",
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
