"""Labelled form fields with their error message next to them."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from marketplace_app.components.i18n import tr

SELECT_STYLE = {
    "height": "40px",
    "padding": "0 8px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "border_radius": "6px",
    "background": "white",
    "font_size": "16px",
    "width": "100%",
}

# Native inputs (time, datetime-local, number) styled like the Radix ones.
NATIVE_INPUT_STYLE = {
    "width": "100%",
    "min_width": "0",
    "height": "36px",
    "padding": "0 6px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "border_radius": "6px",
    "background": "white",
    "font_size": "16px",
}


def error_text(errors: rx.Var, key: rx.Var | str, *, size: str = "2", **props) -> rx.Component:
    """The message under ``key`` of an errors dict var, when there is one.

    Args:
        errors: a state's errors dict var (key -> translated message).
        key: the entry to show; a var for per-row messages.
        size: the text size.
        **props: more props for the text (an ``id`` to point ``aria-describedby`` at).

    Returns:
        A red alert line, or nothing.
    """
    return rx.cond(
        errors.contains(key),
        rx.text(
            errors[key].to(str),
            color_scheme="red",
            size=size,
            role="alert",
            data_testid="form-error",
            **props,
        ),
    )


def field_error(errors: rx.Var, name: str) -> rx.Component:
    """The message for ``name`` from an errors dict var, when there is one."""
    return error_text(errors, name, id=f"{name}-error")


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


def labelled(
    label_key: str,
    input_id: str,
    name: str,
    errors: rx.Var,
    control: rx.Component,
    hint_key: str | None = None,
) -> rx.Component:
    """A label, a control, an optional help line and the control's error, in a column.

    Args:
        label_key: i18n key of the label.
        input_id: the control's id (the label points at it).
        name: the form field name (its error's key).
        errors: the state's errors dict var.
        control: the input, select or text area.
        hint_key: optional i18n key of a help line.

    Returns:
        The field component.
    """
    return field(
        label(label_key, input_id),
        control,
        *([rx.text(tr(hint_key), size="1", color_scheme="gray")] if hint_key else []),
        field_error(errors, name),
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
    return labelled(
        label_key,
        input_id,
        name,
        errors,
        rx.input(
            id=input_id,
            name=name,
            type=type_,
            default_value=default_value,
            auto_complete=autocomplete,
            max_length=max_length,
            aria_required="true" if required else None,
            data_testid=testid or None,
            size="3",
            width="100%",
            **described(errors, name),
        ),
        hint_key,
    )


def checkbox(label_key: str, name: str, testid: str, checked: rx.Var, **props) -> rx.Component:
    """An uncontrolled checkbox inside its label.

    Args:
        label_key: i18n key of the label.
        name: the form field name.
        testid: data-testid of the checkbox.
        checked: whether it starts checked.
        **props: more props for the label (``min_height``...).

    Returns:
        The labelled checkbox.
    """
    return rx.el.label(
        rx.checkbox(name=name, default_checked=checked, data_testid=testid),
        tr(label_key),
        display="flex",
        gap="8px",
        align_items="center",
        **props,
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


class FormFields:
    """Labelled fields bound to one form state, and the form that holds them.

    A field named ``name`` starts from the state's ``values[name]`` and shows
    ``errors[name]`` below it. Fields are uncontrolled (``default_value``), so
    what the user typed survives a refused submit; the form is rebuilt when
    the state's ``form_key`` changes, to show values the state loaded.

    Args:
        state: the form state, with ``values`` and ``errors`` dict vars, a
            ``form_key`` var and a ``submit`` handler.
        prefix: id prefix, unique per form on a page.
    """

    def __init__(self, state: type[rx.State], prefix: str) -> None:
        self.state = state
        self.prefix = prefix

    def control(
        self,
        component: Callable[..., rx.Component],
        label_key: str,
        name: str,
        testid: str,
        hint_key: str | None = None,
        **props,
    ) -> rx.Component:
        """Any control, labelled and bound to the field ``name``.

        Args:
            component: makes the control from its props (``rx.input``...).
            label_key: i18n key of the label.
            name: the form field name.
            testid: data-testid of the control.
            hint_key: optional i18n key of a help line.
            **props: more props for the control.

        Returns:
            The field component.
        """
        errors = self.state.errors
        input_id = f"{self.prefix}{name}"
        return labelled(
            label_key,
            input_id,
            name,
            errors,
            component(
                id=input_id,
                name=name,
                default_value=self.state.values[name].to(str),
                data_testid=testid,
                **described(errors, name),
                **props,
            ),
            hint_key,
        )

    def text_input(
        self, label_key: str, name: str, testid: str, *, max_length: int = 200, **props
    ) -> rx.Component:
        """A text input capped at ``max_length`` (the server checks again).

        The other arguments (``hint_key``, input props) are those of :meth:`control`.
        """
        return self.control(
            rx.input,
            label_key,
            name,
            testid,
            max_length=max_length,
            size="3",
            width="100%",
            **props,
        )

    def text_area(
        self, label_key: str, name: str, testid: str, *, max_length: int, rows: str = "4"
    ) -> rx.Component:
        """A text area of ``rows`` lines capped at ``max_length``; see :meth:`control`."""
        return self.control(
            rx.text_area,
            label_key,
            name,
            testid,
            max_length=max_length,
            rows=rows,
            width="100%",
            size="3",
        )

    def select(
        self,
        label_key: str,
        name: str,
        testid: str,
        options: rx.Var,
        option,
        *,
        placeholder_key: str,
    ) -> rx.Component:
        """A native select (keyboard and phone friendly); see :meth:`control`.

        ``option`` renders each of ``options`` (a list var) as an ``<option>``,
        after an empty first choice labelled by ``placeholder_key``.
        """

        def native_select(**props) -> rx.Component:
            return rx.el.select(
                rx.el.option(tr(placeholder_key), value=""),
                rx.foreach(options, option),
                **props,
                **SELECT_STYLE,
            )

        return self.control(native_select, label_key, name, testid)

    def error(self, name: str) -> rx.Component:
        """The state's message for ``name`` (a group of fields, or ``_form``)."""
        return field_error(self.state.errors, name)

    def form(self, *children: rx.Component) -> rx.Component:
        """The form posting to the state's ``submit``, with ``children`` stacked."""
        return rx.form(
            rx.vstack(*children, spacing="4", width="100%"),
            on_submit=self.state.submit,
            reset_on_submit=False,
            key=self.state.form_key.to_string(),
            width="100%",
        )
