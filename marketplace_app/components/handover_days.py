"""The cash handover window form, on the account page (residents) and the shop page (owners)."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import notice
from marketplace_app.components.fields import labelled
from marketplace_app.components.i18n import tr
from marketplace_app.services.handover_window import FIELD
from marketplace_app.state.handover_days import HandoverDaysState as S

INPUT_ID = "cash-handover-days"


def handover_days_card() -> rx.Component:
    """A card with the days a cash order may wait for its handover (shown once loaded)."""
    return rx.cond(
        S.shown,
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(tr("orders.handover_days.title"), size="4", as_="h2"),
                    labelled(
                        "orders.handover_days.label",
                        INPUT_ID,
                        FIELD,
                        S.errors,
                        rx.input(
                            id=INPUT_ID,
                            name=FIELD,
                            default_value=S.days,
                            input_mode="numeric",
                            auto_complete="off",
                            max_length=3,
                            size="3",
                            width="120px",
                            aria_invalid=rx.cond(S.errors.contains(FIELD), "true", "false"),
                            aria_describedby=f"{FIELD}-error {INPUT_ID}-hint",
                            data_testid="handover-days-input",
                        ),
                    ),
                    rx.text(S.hint, id=f"{INPUT_ID}-hint", size="1", color_scheme="gray"),
                    rx.cond(S.saved, notice(tr("orders.handover_days.saved"))),
                    rx.button(
                        tr("common.save"), type="submit", size="3", data_testid="handover-days-save"
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save,
                reset_on_submit=False,
                key=S.form_key.to_string(),
            ),
            width="100%",
            data_testid="handover-days",
        ),
    )
