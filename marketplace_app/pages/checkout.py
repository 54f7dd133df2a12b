"""The checkout page: per seller, how the items come; then how to pay; then place the order."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, failed, loading
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import DESKTOP, shell
from marketplace_app.state.checkout import (
    CheckoutState,
    LineView,
    MethodView,
    OptionView,
    PartView,
    PlacedView,
)

S = CheckoutState
CARD = {
    "background": "white",
    "border": f"1px solid {rx.color('gray', 5)}",
    "border_radius": "12px",
    "padding": "12px 14px",
    "width": "100%",
}


def _error(text: rx.Var, error_id: rx.Var | str = "", testid: str = "form-error") -> rx.Component:
    return rx.cond(
        text != "",
        rx.text(text, id=error_id, color_scheme="red", size="2", role="alert", data_testid=testid),
    )


def _line(line: LineView) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.image(
                src=line.image,
                alt=line.title,
                width="56px",
                height="56px",
                object_fit="cover",
                border_radius="8px",
                loading="lazy",
                flex_shrink="0",
            ),
            rx.vstack(
                rx.link(
                    line.title, href=line.href, weight="medium", data_testid="checkout-line-title"
                ),
                rx.cond(line.variant != "", rx.text(line.variant, size="1", color_scheme="gray")),
                rx.hstack(
                    rx.text(line.quantity, size="2", data_testid="checkout-line-qty"),
                    rx.text(line.price, size="2"),
                    rx.cond(
                        line.was_price != "",
                        rx.text(
                            line.was_price,
                            size="1",
                            color_scheme="gray",
                            text_decoration="line-through",
                        ),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.text(line.total, weight="bold", data_testid="checkout-line-total"),
            align="start",
            spacing="3",
            width="100%",
        ),
        _error(line.error, testid="line-error"),
        data_testid="checkout-line",
        data_problem=rx.cond(line.error != "", "true", "false"),
        padding="8px 0",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def _method(part: PartView, m: MethodView) -> rx.Component:
    return rx.el.label(
        rx.el.input(
            type="radio",
            id=m.input_id,
            name="method-" + part.key,
            value=m.method,
            checked=m.chosen,
            on_change=CheckoutState.choose_method(part.key, m.method),
            data_testid=m.testid,
            style={"width": "18px", "height": "18px", "margin": "0"},
        ),
        rx.text(m.label, size="2", weight="medium"),
        rx.spacer(),
        rx.text(m.fee, size="2", color_scheme="gray"),
        html_for=m.input_id,
        display="flex",
        align_items="center",
        gap="8px",
        padding="8px 10px",
        min_height="44px",
        border=rx.cond(
            m.chosen, f"2px solid {rx.color('accent', 9)}", f"1px solid {rx.color('gray', 6)}"
        ),
        border_radius="8px",
        cursor="pointer",
        flex="1 1 160px",
    )


def _option(option: OptionView) -> rx.Component:
    return rx.el.option(option.label, value=option.value)


SELECT_STYLE = {
    "padding": "8px",
    "border_radius": "6px",
    "width": "100%",
    "min_height": "40px",
    "border": f"1px solid {rx.color('gray', 7)}",
    "background": "white",
}


def _select(
    label_key: str,
    select_id: rx.Var,
    options: rx.Var,
    value: rx.Var,
    on_change,
    error: rx.Var,
    testid: str,
    none_key: str,
) -> list[rx.Component]:
    """A labelled select of ``options``; ``none_key``'s note when there are none."""
    return [
        rx.el.label(tr(label_key), html_for=select_id, font_weight="500", font_size="0.9em"),
        rx.cond(
            options.length() > 0,
            rx.el.select(
                rx.foreach(options, _option),
                id=select_id,
                value=value,
                on_change=on_change,
                aria_invalid=rx.cond(error != "", "true", "false"),
                data_testid=testid,
                style=SELECT_STYLE,
            ),
            rx.text(tr(none_key), size="2", color_scheme="orange"),
        ),
        _error(error),
    ]


def _slot_picker(part: PartView) -> rx.Component:
    return rx.vstack(
        rx.cond(
            part.pickup_place != "",
            rx.text(tr("checkout.pickup_at"), " ", part.pickup_place, size="2"),
        ),
        *_select(
            "checkout.pickup_time",
            part.slot_id,
            part.slots,
            part.slot,
            lambda v: CheckoutState.choose_slot(part.key, v),
            part.slot_error,
            "slot-select",
            "checkout.no_slots",
        ),
        spacing="1",
        width="100%",
    )


def _address_picker(part: PartView) -> rx.Component:
    return rx.vstack(
        *_select(
            "checkout.address",
            part.address_id,
            CheckoutState.addresses,
            part.address,
            lambda v: CheckoutState.choose_address(part.key, v),
            part.address_error,
            "address-select",
            "checkout.no_address",
        ),
        rx.link(
            tr("checkout.add_address"),
            href="/account/addresses?from=checkout",
            size="2",
            data_testid="add-address",
        ),
        spacing="1",
        width="100%",
    )


def _part(part: PartView) -> rx.Component:
    return rx.el.section(
        rx.hstack(
            rx.cond(
                part.is_shop,
                rx.icon("store", size=18, aria_hidden="true"),
                rx.icon("user", size=18, aria_hidden="true"),
            ),
            rx.cond(
                part.seller_href != "",
                rx.link(part.seller, href=part.seller_href, weight="bold"),
                rx.text(part.seller, weight="bold"),
            ),
            rx.badge(part.kind, variant="soft"),
            align="center",
            spacing="2",
            wrap="wrap",
        ),
        rx.foreach(part.lines, _line),
        rx.el.fieldset(
            rx.el.legend(
                tr("checkout.delivery"), style={"font_weight": "500", "margin_bottom": "6px"}
            ),
            rx.cond(
                part.methods.length() > 0,
                rx.flex(
                    rx.foreach(part.methods, lambda m: _method(part, m)), gap="8px", wrap="wrap"
                ),
            ),
            _error(part.method_error),
            style={"border": "none", "padding": "0", "margin": "8px 0 0 0", "min_width": "0"},
        ),
        rx.cond(part.is_pickup, _slot_picker(part)),
        rx.cond(part.needs_address, _address_picker(part)),
        rx.hstack(
            rx.text(tr("checkout.part_subtotal"), size="2", color_scheme="gray"),
            rx.text(part.subtotal, size="2"),
            rx.spacer(),
            rx.text(tr("checkout.delivery_fee"), size="2", color_scheme="gray"),
            rx.text(part.fee, size="2", data_testid="checkout-part-fee"),
            width="100%",
            wrap="wrap",
        ),
        aria_label=part.group_label,
        data_testid="checkout-seller",
        display="flex",
        flex_direction="column",
        gap="8px",
        **CARD,
    )


def _payment_option(method: str, hint_key: str) -> rx.Component:
    input_id = f"payment-{method}"
    chosen = CheckoutState.payment == method
    return rx.el.label(
        rx.el.input(
            type="radio",
            id=input_id,
            name="payment",
            value=method,
            checked=chosen,
            on_change=CheckoutState.choose_payment(method),
            data_testid=f"payment-option-{method}",
            style={"width": "18px", "height": "18px", "margin": "0", "flex_shrink": "0"},
        ),
        rx.vstack(
            rx.text(tr(f"checkout.pay_{method}"), size="2", weight="medium"),
            rx.text(tr(hint_key), size="1", color_scheme="gray"),
            spacing="0",
        ),
        html_for=input_id,
        display="flex",
        align_items="center",
        gap="10px",
        padding="10px",
        min_height="44px",
        border=rx.cond(
            chosen, f"2px solid {rx.color('accent', 9)}", f"1px solid {rx.color('gray', 6)}"
        ),
        border_radius="8px",
        cursor="pointer",
        width="100%",
    )


def _summary() -> rx.Component:
    return rx.el.aside(
        rx.el.fieldset(
            rx.el.legend(
                tr("checkout.payment"),
                style={"font_weight": "600", "margin_bottom": "6px"},
            ),
            rx.vstack(
                _payment_option("cash", "checkout.pay_cash_hint"),
                _payment_option("escrow", "checkout.pay_escrow_hint"),
                spacing="2",
                width="100%",
            ),
            _error(CheckoutState.payment_error),
            style={"border": "none", "padding": "0", "margin": "0", "min_width": "0"},
        ),
        rx.vstack(
            rx.hstack(
                rx.text(tr("checkout.subtotal"), size="2"),
                rx.spacer(),
                rx.text(S.subtotal, size="2"),
                width="100%",
            ),
            rx.hstack(
                rx.text(tr("checkout.fees"), size="2"),
                rx.spacer(),
                rx.text(S.fees, size="2", data_testid="checkout-fees"),
                width="100%",
            ),
            rx.hstack(
                rx.text(tr("checkout.total"), weight="bold"),
                rx.spacer(),
                rx.text(S.total, weight="bold", size="5", data_testid="checkout-total"),
                width="100%",
                align="center",
            ),
            spacing="1",
            width="100%",
            aria_live="polite",
        ),
        rx.cond(
            S.form_error != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.callout.text(S.form_error),
                rx.cond(
                    S.cart_changed,
                    rx.link(tr("checkout.see_my_orders"), href="/orders", size="2"),
                ),
                color_scheme="red",
                role="alert",
                data_testid="checkout-error",
            ),
        ),
        rx.el.input(type="hidden", name="key", value=S.key, data_testid="checkout-key"),
        rx.button(
            rx.cond(S.placing, rx.spinner(size="2")),
            rx.cond(S.placing, tr("checkout.placing"), tr("checkout.place")),
            type="submit",
            disabled=S.placing,
            aria_busy=rx.cond(S.placing, "true", "false"),
            size="3",
            width="100%",
            data_testid="place-order",
        ),
        rx.link(tr("checkout.back_to_cart"), href="/cart", size="2"),
        display="flex",
        flex_direction="column",
        gap="12px",
        position=rx.breakpoints(initial="static", **{DESKTOP: "sticky"}),
        top="80px",
        **CARD,
    )


def _form() -> rx.Component:
    return rx.form(
        rx.box(
            rx.vstack(rx.foreach(S.parts, _part), spacing="3", width="100%"),
            _summary(),
            display="grid",
            grid_template_columns=rx.breakpoints(
                initial="minmax(0, 1fr)", **{DESKTOP: "minmax(0, 1fr) 320px"}
            ),
            gap="16px",
            align_items="start",
            width="100%",
        ),
        on_submit=CheckoutState.place,
        reset_on_submit=False,
        width="100%",
        data_testid="checkout-form",
    )


def _placed_order(order: PlacedView) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(order.number, href=order.href, weight="bold", data_testid="order-number"),
            rx.text(order.seller, size="2", color_scheme="gray"),
            spacing="0",
        ),
        rx.spacer(),
        rx.vstack(
            rx.text(order.total, weight="bold"),
            rx.badge(order.status, variant="soft", color_scheme="green"),
            spacing="1",
            align="end",
        ),
        width="100%",
        padding="10px 0",
        border_top=f"1px solid {rx.color('gray', 4)}",
        data_testid="placed-order",
    )


def _placed() -> rx.Component:
    return rx.vstack(
        rx.callout.root(
            rx.callout.icon(rx.icon("circle-check")),
            rx.callout.text(tr("checkout.placed_intro")),
            color_scheme="green",
            role="status",
        ),
        rx.cond(
            S.form_error != "",
            rx.callout.root(
                rx.callout.icon(rx.icon("triangle-alert")),
                rx.callout.text(S.form_error),
                color_scheme="orange",
                role="alert",
                data_testid="checkout-error",
            ),
        ),
        rx.box(
            rx.foreach(S.placed, _placed_order),
            rx.hstack(
                rx.text(tr("checkout.total"), weight="bold"),
                rx.spacer(),
                rx.text(S.placed_total, weight="bold"),
                width="100%",
                padding_top="10px",
                border_top=f"1px solid {rx.color('gray', 4)}",
            ),
            **CARD,
        ),
        rx.link(tr("checkout.see_orders"), href=S.placed_href, data_testid="placed-group-link"),
        spacing="3",
        width="100%",
        max_width="640px",
        data_testid="checkout-placed",
    )


def checkout_page() -> rx.Component:
    """The page at ``/checkout``."""
    return shell(
        rx.vstack(
            rx.heading(
                rx.cond(S.placed.length() > 0, tr("checkout.placed_title"), tr("checkout.title")),
                size="6",
                as_="h1",
            ),
            rx.cond(
                S.placed.length() > 0,
                _placed(),
                rx.cond(
                    S.loading,
                    loading(),
                    rx.cond(
                        S.failed,
                        failed("common.load_failed", S.load),
                        rx.cond(
                            S.parts.length() == 0,
                            rx.vstack(
                                rx.cond(
                                    S.form_error != "",
                                    rx.callout.root(
                                        rx.callout.text(S.form_error),
                                        rx.link(
                                            tr("checkout.see_my_orders"), href="/orders", size="2"
                                        ),
                                        color_scheme="orange",
                                        role="alert",
                                        data_testid="checkout-error",
                                    ),
                                ),
                                empty("checkout.empty", "checkout.back_to_cart", "/cart"),
                                width="100%",
                            ),
                            _form(),
                        ),
                    ),
                ),
            ),
            spacing="3",
            width="100%",
            data_testid="checkout-page",
        )
    )
