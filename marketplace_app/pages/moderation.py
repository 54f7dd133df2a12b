"""Staff pages (``/admin/audit``, ``/admin/blocklist``) and the "report this member" dialog."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loading, notice
from marketplace_app.components.fields import field_error
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.services.audit import ACTION_GROUPS, TARGET_TYPES
from marketplace_app.state.moderation import (
    AuditRowView,
    AuditState,
    BlocklistState,
    TermView,
)

A = AuditState
B = BlocklistState
SELECT_STYLE = {"padding": "6px", "border_radius": "6px", "width": "100%"}


def _filter_field(label_key: str, control: rx.Component, name: str) -> rx.Component:
    return rx.box(
        rx.el.label(tr(label_key), html_for=f"audit-{name}", font_size="0.85em", font_weight="500"),
        control,
        field_error(A.errors, name),
        min_width="0",
    )


def _filters() -> rx.Component:
    return rx.form(
        rx.grid(
            _filter_field(
                "audit.actor",
                rx.input(
                    id="audit-actor",
                    name="actor",
                    default_value=A.actor,
                    max_length=60,
                    data_testid="audit-filter-actor",
                ),
                "actor",
            ),
            _filter_field(
                "audit.action",
                rx.el.select(
                    rx.el.option(tr("audit.any_action"), value=""),
                    *[
                        rx.el.option(tr(f"audit.group.{g.rstrip('.')}"), value=g)
                        for g in ACTION_GROUPS
                    ],
                    id="audit-action",
                    name="action",
                    default_value=A.action,
                    style=SELECT_STYLE,
                    data_testid="audit-filter-action",
                ),
                "action",
            ),
            _filter_field(
                "audit.target_type",
                rx.el.select(
                    rx.el.option(tr("audit.any_target"), value=""),
                    *[rx.el.option(tr(f"audit.target.{t}"), value=t) for t in TARGET_TYPES],
                    id="audit-target_type",
                    name="target_type",
                    default_value=A.target_type,
                    style=SELECT_STYLE,
                    data_testid="audit-filter-target",
                ),
                "target_type",
            ),
            _filter_field(
                "audit.since",
                rx.input(
                    id="audit-since",
                    name="since",
                    type="date",
                    default_value=A.since,
                    data_testid="audit-filter-since",
                ),
                "since",
            ),
            _filter_field(
                "audit.until",
                rx.input(
                    id="audit-until",
                    name="until",
                    type="date",
                    default_value=A.until,
                    data_testid="audit-filter-until",
                ),
                "until",
            ),
            rx.box(
                rx.button(
                    rx.icon("filter", size=16, aria_hidden="true"),
                    tr("audit.apply"),
                    type="submit",
                    data_testid="audit-filter-apply",
                ),
                align_self="end",
            ),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="3",
            width="100%",
        ),
        on_submit=A.apply,
        reset_on_submit=False,
        width="100%",
    )


def _audit_row(row: AuditRowView) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.code(row.action, data_testid="audit-action"),
                rx.text(row.target, size="2", data_testid="audit-target"),
                rx.spacer(),
                rx.text(row.at, size="1", color_scheme="gray"),
                gap="8px",
                wrap="wrap",
                align="center",
                width="100%",
            ),
            rx.text(tr("audit.by"), " ", row.actor, size="2", data_testid="audit-actor"),
            rx.cond(
                row.reason != "",
                rx.text(row.reason, size="2", white_space="pre-wrap", data_testid="audit-reason"),
            ),
            spacing="1",
            width="100%",
        ),
        data_testid="audit-row",
        width="100%",
    )


def _pager() -> rx.Component:
    return rx.hstack(
        rx.button(
            tr("audit.newer"),
            variant="soft",
            disabled=A.page == 0,
            on_click=A.turn(-1),
            data_testid="audit-newer",
        ),
        rx.text(tr("audit.page"), " ", A.page + 1, size="2"),
        rx.button(
            tr("audit.older"),
            variant="soft",
            disabled=~A.has_more,
            on_click=A.turn(1),
            data_testid="audit-older",
        ),
        spacing="3",
        align="center",
    )


def audit_page() -> rx.Component:
    """``/admin/audit``: the audit log for staff, newest first, filtered and paged."""
    return shell(
        rx.vstack(
            rx.heading(tr("audit.title"), size="6", as_="h1"),
            rx.text(tr("audit.intro"), size="2", color_scheme="gray"),
            _filters(),
            rx.cond(
                A.loaded,
                rx.cond(
                    A.rows.length() > 0,
                    rx.vstack(
                        rx.foreach(A.rows, _audit_row),
                        _pager(),
                        spacing="2",
                        width="100%",
                        data_testid="audit-list",
                        data_action=A.shown_action,
                    ),
                    empty("audit.empty"),
                ),
                loading(),
            ),
            spacing="4",
            width="100%",
            max_width="900px",
            margin="0 auto",
        )
    )


def _term(row: TermView) -> rx.Component:
    return rx.hstack(
        rx.text(row.term, data_testid="blocklist-term-text"),
        rx.spacer(),
        rx.button(
            rx.icon("trash-2", size=14, aria_hidden="true"),
            tr("common.delete"),
            variant="soft",
            color_scheme="red",
            size="1",
            disabled=B.busy,
            aria_label=tr("blocklist.remove_named") + " " + row.term,
            on_click=B.remove(row.id),
            data_testid="blocklist-remove",
        ),
        width="100%",
        align="center",
        padding="6px 0",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="blocklist-term",
    )


def blocklist_page() -> rx.Component:
    """``/admin/blocklist`` (admins): terms that hold new listings for review."""
    return shell(
        rx.vstack(
            rx.heading(tr("blocklist.title"), size="6", as_="h1"),
            rx.text(tr("blocklist.intro"), size="2", color_scheme="gray"),
            rx.cond(B.notice != "", notice(B.notice)),
            rx.form(
                rx.vstack(
                    rx.el.label(
                        tr("blocklist.term"), html_for="blocklist-input", font_weight="500"
                    ),
                    rx.hstack(
                        rx.input(
                            id="blocklist-input",
                            name="term",
                            max_length=60,
                            width="100%",
                            data_testid="blocklist-input",
                        ),
                        rx.button(
                            rx.icon("plus", size=16, aria_hidden="true"),
                            tr("blocklist.add"),
                            type="submit",
                            disabled=B.busy,
                            data_testid="blocklist-add",
                        ),
                        width="100%",
                    ),
                    field_error(B.errors, "term"),
                    field_error(B.errors, "_form"),
                    spacing="1",
                    width="100%",
                ),
                on_submit=B.add,
                reset_on_submit=True,
                width="100%",
            ),
            rx.cond(
                B.loaded,
                rx.cond(
                    B.terms.length() > 0,
                    rx.vstack(rx.foreach(B.terms, _term), spacing="0", width="100%"),
                    empty("blocklist.empty"),
                ),
                loading(),
            ),
            spacing="4",
            width="100%",
            max_width="700px",
            margin="0 auto",
        )
    )
