"""Report dialogs: a reason, details, and a thank-you once sent."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import notice
from marketplace_app.components.fields import field_error
from marketplace_app.components.i18n import tr
from marketplace_app.models.moderation import REPORT_REASONS
from marketplace_app.services.reports import TEXT_MAX


def report_content(
    *, title_key: str, sent: rx.Var, errors: rx.Var, close, submit, testid: str
) -> rx.Component:
    """The inside of a report dialog: reason and details, then a thank-you once sent.

    Args:
        title_key: the i18n key of the dialog's title.
        sent: whether the report went out.
        errors: field -> message of the last try.
        close: the event that closes the dialog.
        submit: the event that files the report (gets the form).
        testid: the prefix of the fields' data-testids (``<testid>-reason``,
            ``-text``, ``-submit``, ``-sent``) and their element ids.

    Returns:
        The dialog's content.
    """
    reason_id, text_id = f"{testid}-reason", f"{testid}-text"
    return rx.dialog.content(
        rx.dialog.title(tr(title_key)),
        rx.cond(
            sent,
            rx.vstack(
                notice(tr("report.thanks")),
                rx.button(tr("common.close"), on_click=close, variant="soft"),
                data_testid=f"{testid}-sent",
            ),
            rx.form(
                rx.vstack(
                    field_error(errors, "_form"),
                    rx.el.label(tr("report.reason"), html_for=reason_id, font_weight="500"),
                    rx.el.select(
                        *[rx.el.option(tr(f"report.reason.{r}"), value=r) for r in REPORT_REASONS],
                        id=reason_id,
                        name="reason",
                        data_testid=reason_id,
                        style={"padding": "8px", "border_radius": "6px", "width": "100%"},
                    ),
                    field_error(errors, "reason"),
                    rx.el.label(tr("report.details"), html_for=text_id, font_weight="500"),
                    rx.text_area(
                        id=text_id,
                        name="text",
                        max_length=TEXT_MAX,
                        width="100%",
                        data_testid=text_id,
                    ),
                    field_error(errors, "text"),
                    rx.hstack(
                        rx.button(tr("report.send"), type="submit", data_testid=f"{testid}-submit"),
                        rx.button(
                            tr("common.cancel"), type="button", variant="soft", on_click=close
                        ),
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=submit,
                reset_on_submit=False,
            ),
        ),
    )


def report_dialog(
    state, *, open_key: str, title_key: str, opener_testid: str, testid: str
) -> rx.Component:
    """A report dialog driven by a :class:`~marketplace_app.state.report.ReportDialogState`.

    Args:
        state: the dialog's state class.
        open_key: the i18n key of the flag button's label.
        title_key: the i18n key of the dialog's title.
        opener_testid: the flag button's data-testid.
        testid: the prefix of the fields' data-testids (see :func:`report_content`).

    Returns:
        The flag button with its dialog.
    """
    return rx.dialog.root(
        rx.button(
            rx.icon("flag", size=14, aria_hidden="true"),
            tr(open_key),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=state.start,
            data_testid=opener_testid,
        ),
        report_content(
            title_key=title_key,
            sent=state.sent,
            errors=state.errors,
            close=state.close,
            submit=state.submit,
            testid=testid,
        ),
        open=state.dialog_open,
        on_open_change=state.opened,
    )
