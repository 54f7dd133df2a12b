"""The cart page: lines grouped by seller, quantities, flagged lines, totals, checkout."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.cards import price
from marketplace_app.components.feedback import empty, failed, loading
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.cart import CartGroupRow, CartLineRow, CartState

DESKTOP = "sm"


def _quantity(line: CartLineRow) -> rx.Component:
    """A one-off shows a fixed 1; a shop line a stepper around a number input."""
    one_off = rx.input(
        value="1",
        read_only=True,
        aria_label=line.qty_label,
        title=tr("cart.one_off"),
        data_testid="cart-line-qty",
        width="56px",
        size="2",
    )
    field = rx.form(
        rx.el.input(type="hidden", name="line", value=line.id.to_string()),
        rx.input(
            name="quantity",
            type="number",
            min=1,
            max=line.max_quantity,
            default_value=line.quantity.to_string(),
            key=line.id.to_string() + "-" + line.quantity.to_string(),
            input_mode="numeric",
            aria_label=line.qty_label,
            aria_invalid=rx.cond(line.error != "", "true", "false"),
            on_blur=lambda value: CartState.set_quantity(line.id, value),
            data_testid="cart-line-qty",
            width="64px",
            size="2",
        ),
        on_submit=CartState.submit_quantity,
        reset_on_submit=False,
        no_validate=True,  # above the stock: the server's message, next to the line
    )
    stepper = rx.hstack(
        rx.icon_button(
            rx.icon("minus", size=14, aria_hidden="true"),
            on_click=CartState.set_quantity(line.id, line.quantity - 1),
            disabled=~line.can_decrease | CartState.busy,
            aria_label=tr("cart.decrease"),
            variant="soft",
            size="2",
            data_testid="cart-line-decrease",
        ),
        field,
        rx.icon_button(
            rx.icon("plus", size=14, aria_hidden="true"),
            on_click=CartState.set_quantity(line.id, line.quantity + 1),
            disabled=~line.can_increase | CartState.busy,
            aria_label=tr("cart.increase"),
            variant="soft",
            size="2",
            data_testid="cart-line-increase",
        ),
        spacing="1",
        align="center",
    )
    return rx.cond(line.one_off, one_off, stepper)


def _problem(line: CartLineRow) -> rx.Component:
    return rx.cond(
        line.problem != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(line.problem, " ", tr("cart.not_counted")),
            rx.cond(
                line.price_up,
                rx.button(
                    tr("cart.accept_price"),
                    on_click=CartState.accept_price(line.id),
                    disabled=CartState.busy,
                    size="1",
                    variant="soft",
                    data_testid="cart-line-accept-price",
                ),
            ),
            color_scheme="orange",
            size="1",
            role="status",
            data_testid="cart-line-problem",
        ),
    )


def _line(line: CartLineRow) -> rx.Component:
    return rx.box(
        rx.hstack(
            rx.link(
                rx.image(
                    src=line.image,
                    alt=line.alt,
                    width="72px",
                    height="72px",
                    object_fit="cover",
                    border_radius="8px",
                    background=rx.color("gray", 4),
                    loading="lazy",
                ),
                href=line.href,
                flex_shrink="0",
                tab_index=-1,
                aria_hidden="true",
            ),
            rx.vstack(
                rx.link(
                    line.title,
                    href=line.href,
                    weight="medium",
                    size="2",
                    color=rx.color("gray", 12),
                    data_testid="cart-line-title",
                ),
                rx.cond(
                    line.variant_label != "",
                    rx.text(
                        line.variant_label,
                        size="1",
                        color_scheme="gray",
                        data_testid="cart-line-variant",
                    ),
                ),
                rx.hstack(
                    price(line.price, line.was_price, "cart-line-price", size="2"),
                    rx.cond(
                        line.one_off,
                        rx.badge(tr("cart.one_off"), variant="soft", size="1"),
                        rx.text(tr("cart.each"), size="1", color_scheme="gray"),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.text(line.total, weight="bold", size="3", data_testid="cart-line-total"),
            align="start",
            spacing="3",
            width="100%",
        ),
        rx.hstack(
            _quantity(line),
            rx.spacer(),
            rx.button(
                rx.icon("trash-2", size=14, aria_hidden="true"),
                tr("cart.remove"),
                on_click=CartState.remove_line(line.id),
                disabled=CartState.busy,
                aria_label=line.remove_label,
                variant="ghost",
                color_scheme="red",
                size="2",
                data_testid="cart-line-remove",
            ),
            align="center",
            width="100%",
            padding_top="8px",
        ),
        rx.cond(
            line.error != "",
            rx.text(
                line.error, color_scheme="red", size="2", role="alert", data_testid="form-error"
            ),
        ),
        _problem(line),
        data_testid="cart-line",
        data_problem=rx.cond(line.problem != "", "true", "false"),
        display="flex",
        flex_direction="column",
        gap="6px",
        padding="12px 0",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
    )


def _group(group: CartGroupRow) -> rx.Component:
    return rx.el.section(
        rx.hstack(
            rx.icon("store", size=18, aria_hidden="true"),
            rx.cond(
                group.href != "",
                rx.link(group.name, href=group.href, weight="bold"),
                rx.text(group.name, weight="bold"),
            ),
            rx.badge(group.kind, variant="soft"),
            rx.spacer(),
            rx.text(tr("cart.subtotal"), size="2", color_scheme="gray"),
            rx.text(group.subtotal, weight="bold", data_testid="cart-group-subtotal"),
            align="center",
            spacing="2",
            wrap="wrap",
            width="100%",
            data_testid="cart-group-seller",
        ),
        rx.foreach(group.lines, _line),
        rx.cond(
            group.delivery != "",
            rx.text(
                group.delivery, size="1", color_scheme="gray", data_testid="cart-group-delivery"
            ),
        ),
        aria_label=group.label,
        data_testid="cart-group",
        background="white",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="12px",
        padding="12px 14px",
        display="flex",
        flex_direction="column",
        gap="4px",
        width="100%",
    )


def _checkout_button() -> rx.Component:
    label = rx.cond(CartState.is_guest, tr("cart.checkout_login"), tr("cart.checkout"))
    return rx.cond(
        CartState.ready_count > 0,
        rx.button(
            rx.link(
                label, href=CartState.checkout_href, underline="none", data_testid="checkout-button"
            ),
            as_child=True,
            size="3",
            width="100%",
        ),
        rx.vstack(
            rx.button(
                label,
                disabled=True,
                size="3",
                width="100%",
                aria_describedby="checkout-blocked",
                data_testid="checkout-button",
            ),
            rx.text(
                tr("cart.checkout_blocked"), id="checkout-blocked", size="2", color_scheme="orange"
            ),
            width="100%",
        ),
    )


def _summary() -> rx.Component:
    return rx.el.aside(
        rx.heading(tr("cart.summary"), size="4", as_="h2"),
        rx.hstack(
            rx.text(tr("cart.items"), size="2"),
            rx.spacer(),
            rx.text(CartState.units, size="2", data_testid="cart-units"),
            width="100%",
        ),
        rx.hstack(
            rx.text(tr("cart.total"), weight="bold"),
            rx.spacer(),
            rx.cond(CartState.busy, rx.spinner(size="2")),
            rx.text(CartState.total, weight="bold", size="5", data_testid="cart-total"),
            align="center",
            width="100%",
            aria_live="polite",
        ),
        rx.text(tr("cart.fees_later"), size="1", color_scheme="gray"),
        rx.cond(
            CartState.problem_note != "",
            rx.text(
                CartState.problem_note, size="2", color_scheme="orange", data_testid="cart-problems"
            ),
        ),
        _checkout_button(),
        rx.link(tr("cart.continue"), href="/search", size="2"),
        aria_label=tr("cart.summary"),
        background="white",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="12px",
        padding="14px",
        display="flex",
        flex_direction="column",
        gap="10px",
        position=rx.breakpoints(initial="static", **{DESKTOP: "sticky"}),
        top="80px",
        width="100%",
    )


def _cart() -> rx.Component:
    return rx.box(
        rx.vstack(rx.foreach(CartState.groups, _group), spacing="3", width="100%"),
        _summary(),
        display="grid",
        grid_template_columns=rx.breakpoints(
            initial="minmax(0, 1fr)", **{DESKTOP: "minmax(0, 1fr) 300px"}
        ),
        gap="16px",
        align_items="start",
        width="100%",
    )


def cart_page() -> rx.Component:
    """The page at ``/cart``."""
    return shell(
        rx.vstack(
            rx.heading(tr("cart.title"), size="6", as_="h1"),
            rx.cond(
                CartState.loading & (CartState.groups.length() == 0),
                loading(),
                rx.cond(
                    CartState.failed,
                    failed("common.load_failed", CartState.load),
                    rx.cond(
                        CartState.groups.length() == 0,
                        empty("cart.empty", "cart.browse", "/search"),
                        _cart(),
                    ),
                ),
            ),
            data_testid="cart-page",
            spacing="4",
            width="100%",
        )
    )
