"""Labelled form fields with their error message next to them."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.i18n import tr


def field_error(errors: rx.Var, name: str) -> rx.Component:
    """The message for ``name`` from an errors dict var, when there is one."""
    return rx.cond(
        errors.contains(name),
        rx.text(
            errors[name].to(str),
            id=f"{name}-error",
            color_scheme="red",
            size="2",
            role="alert",
            data_testid="form-error",
        ),
    )


def text_field(
    label_key: str,
    name: str,
    errors: rx.Var,
    *,
    testid: str | None = None,
    type_: str = "text",
    default_value: rx.Var | str = "",
    autocomplete: str = "off",
    required: bool = False,
    max_length: int = 200,
    hint_key: str | None = None,
    form_id: str = "",
) -> rx.Component:
    """A label, an input and its error, wired for screen readers.

    Args:
        label_key: i18n key of the label.
        name: the form field name.
        errors: the state's errors dict var.
        testid: data-testid of the input.
        type_: input type.
        default_value: initial value (inputs are uncontrolled, so what the
            user typed survives a failed submit).
        autocomplete: the autocomplete hint.
        required: mark as required for assistive tech.
        max_length: client-side cap (the server checks again).
        hint_key: optional i18n key of a help line.
        form_id: prefix making ids unique when a page has two forms.

    Returns:
        The field component.
    """
    input_id = f"{form_id}{name}"
    return rx.box(
        rx.el.label(tr(label_key), html_for=input_id, font_weight="500", font_size="0.9em"),
        rx.input(
            id=input_id,
            name=name,
            type=type_,
            default_value=default_value,
            auto_complete=autocomplete,
            max_length=max_length,
            aria_required="true" if required else None,
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            aria_describedby=f"{name}-error",
            data_testid=testid or None,
            size="3",
            width="100%",
        ),
        *([rx.text(tr(hint_key), size="1", color_scheme="gray")] if hint_key else []),
        field_error(errors, name),
        width="100%",
        display="flex",
        flex_direction="column",
        gap="4px",
    )


def submit_button(label_key: str, busy: rx.Var, testid: str) -> rx.Component:
    """A submit button that shows progress and cannot be pressed twice."""
    return rx.button(
        rx.cond(busy, rx.spinner(size="2"), None),
        tr(label_key),
        type="submit",
        disabled=busy,
        size="3",
        width="100%",
        data_testid=testid,
    )
