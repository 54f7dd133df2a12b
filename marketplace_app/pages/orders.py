"""Order pages for buyers, sellers and operators.

``/orders``, ``/orders/group/<id>``, ``/orders/<number>``, ``/seller/orders``
and ``/admin/disputes``.
"""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loaded_list, loading, notice
from marketplace_app.components.fields import SELECT_STYLE, described, field_error, labelled
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.components.photos import form_photos
from marketplace_app.components.tabs import status_tab, status_tabs
from marketplace_app.pages.reviews import review_box
from marketplace_app.services import orders
from marketplace_app.state.messages import ThreadState
from marketplace_app.state.orders import (
    DisputesState,
    DisputeView,
    FilterView,
    LineView,
    OrderGroupState,
    OrderRowView,
    OrdersState,
    OrderState,
    PhotoView,
    SellerOrdersState,
    StepView,
    TimelineView,
)

S = OrderState
E = OrderState.errors
REFUND_UPLOAD_ID = "refund-photos"
DESKTOP = "sm"
CODE_INPUT_MAX = 12


def _responsive(phone, desktop):
    return rx.breakpoints(initial=phone, **{DESKTOP: desktop})


def _status_badge(status: rx.Var, label: rx.Var, testid: str) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(
            status,
            ("pending_payment", "orange"),
            ("completed", "green"),
            ("cancelled", "gray"),
            ("refunded", "gray"),
            ("refund_requested", "red"),
            ("refund_declined", "red"),
            ("disputed", "red"),
            "blue",
        ),
        data_testid=testid,
        data_status=status,
        size="2",
    )


def _page(*children: rx.Component, max_width: str = "760px") -> rx.Component:
    return shell(
        rx.vstack(*children, spacing="4", width="100%", max_width=max_width, margin="0 auto")
    )


def _not_found(back_key: str, href: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(tr("orders.not_found"), size="5", as_="h1"),
            rx.link(tr(back_key), href=href),
            spacing="2",
        ),
        data_testid="not-found",
        width="100%",
    )


# -- lists


def _order_row(row: OrderRowView, testid: str) -> rx.Component:
    return rx.card(
        rx.link(
            rx.flex(
                rx.vstack(
                    rx.hstack(
                        rx.text(row.number, weight="bold", data_testid="order-row-number"),
                        _status_badge(row.status, row.status_label, "order-status"),
                        align="center",
                        spacing="2",
                        wrap="wrap",
                    ),
                    rx.text(row.title, size="2"),
                    rx.text(row.party, " · ", row.method, size="1", color_scheme="gray"),
                    spacing="1",
                    align="start",
                    min_width="0",
                ),
                rx.spacer(),
                rx.vstack(
                    rx.text(row.total, weight="bold", color=rx.color("accent", 11)),
                    rx.text(row.created, size="1", color_scheme="gray"),
                    align="end",
                    spacing="1",
                    flex_shrink="0",
                ),
                gap="12px",
                width="100%",
                direction=_responsive("column", "row"),
            ),
            href=row.href,
            color="inherit",
            underline="none",
            display="block",
        ),
        data_testid=testid,
        data_number=row.number,
        data_status=row.status,
        width="100%",
    )


def orders_page() -> rx.Component:
    """``/orders``: the buyer's orders (login required)."""
    return _page(
        rx.hstack(
            rx.heading(tr("orders.title"), size="6", as_="h1"),
            rx.spacer(),
            rx.link(tr("orders.inbox_link"), href="/inbox", size="2"),
            width="100%",
            align="center",
        ),
        loaded_list(
            OrdersState.loaded,
            OrdersState.rows,
            rx.vstack(
                rx.foreach(OrdersState.rows, lambda r: _order_row(r, "order-row")),
                spacing="3",
                width="100%",
            ),
            empty("orders.empty", "orders.browse", "/search"),
        ),
    )


def _filter(f: FilterView) -> rx.Component:
    return status_tab(
        f.label,
        href=f.href,
        current=SellerOrdersState.current == f.key,
        data_testid="seller-orders-filter",
        data_filter=f.key,
    )


def seller_orders_page() -> rx.Component:
    """``/seller/orders``: orders the caller (or their shop) received, by status."""
    return _page(
        rx.heading(tr("orders.seller_title"), size="6", as_="h1"),
        status_tabs(SellerOrdersState.filters, _filter, tr("orders.filter_label")),
        loaded_list(
            SellerOrdersState.loaded,
            SellerOrdersState.rows,
            rx.vstack(
                rx.foreach(SellerOrdersState.rows, lambda r: _order_row(r, "seller-order-row")),
                spacing="3",
                width="100%",
            ),
            empty("orders.seller_empty", "orders.seller_empty_action", "/sell"),
        ),
    )


def order_group_page() -> rx.Component:
    """``/orders/group/<id>``: the orders of one checkout; where the payment gateway returns."""
    G = OrderGroupState  # noqa: N806 (a state class)
    return _page(
        rx.heading(tr("orders.group_title"), size="6", as_="h1"),
        rx.cond(
            G.loaded,
            rx.cond(
                G.not_found,
                _not_found("orders.back_to_orders", "/orders"),
                rx.vstack(
                    rx.cond(
                        G.pending > 0,
                        rx.callout.root(
                            rx.callout.icon(rx.spinner(size="1")),
                            rx.callout.text(tr("orders.group_pending")),
                            rx.button(
                                rx.el.a(
                                    tr("orders.pay_now"),
                                    href=G.pay_href,
                                    # An API route, not a page: the browser must load it itself.
                                    reload_document=True,
                                    data_testid="order-pay-now",
                                ),
                                as_child=True,
                                size="2",
                            ),
                            color_scheme="orange",
                            role="status",
                            aria_live="polite",
                            data_testid="order-group-pending",
                        ),
                        rx.callout.root(
                            rx.callout.icon(rx.icon("circle-check")),
                            rx.callout.text(tr("orders.group_confirmed")),
                            color_scheme="green",
                            role="status",
                            data_testid="order-group-paid",
                        ),
                    ),
                    rx.foreach(G.rows, lambda r: _order_row(r, "order-row")),
                    rx.hstack(
                        rx.text(tr("orders.total"), weight="bold"),
                        rx.spacer(),
                        rx.text(G.total, weight="bold", data_testid="order-group-total"),
                        width="100%",
                    ),
                    rx.link(tr("orders.back_to_orders"), href="/orders"),
                    spacing="3",
                    width="100%",
                ),
            ),
            loading(),
        ),
    )


# -- one order


def _step(step: StepView, index) -> rx.Component:
    current = step.state == "current"
    done = step.state == "done"
    return rx.flex(
        rx.center(
            rx.cond(done, rx.icon("check", size=14, aria_hidden="true"), rx.text(step.number)),
            width="28px",
            height="28px",
            border_radius="999px",
            flex_shrink="0",
            font_size="0.85em",
            font_weight="600",
            background=rx.cond(
                current,
                rx.color("accent", 9),
                rx.cond(done, rx.color("accent", 4), rx.color("gray", 3)),
            ),
            color=rx.cond(
                current, "white", rx.cond(done, rx.color("accent", 11), rx.color("gray", 10))
            ),
            border=rx.cond(current, "none", f"1px solid {rx.color('gray', 6)}"),
        ),
        rx.text(
            step.label,
            size="2",
            weight=rx.cond(current, "bold", "regular"),
            color=rx.cond(step.state == "todo", rx.color("gray", 10), rx.color("gray", 12)),
        ),
        aria_current=rx.cond(current, "step", None),
        data_testid="order-step",
        data_state=step.state,
        direction=_responsive("row", "column"),
        align="center",
        gap="6px",
        flex="1",
        min_width="0",
        text_align=_responsive("left", "center"),
    )


def _stepper() -> rx.Component:
    return rx.el.ol(
        rx.foreach(S.steps, lambda step, i: rx.el.li(_step(step, i), display="flex", flex="1")),
        aria_label=tr("orders.progress"),
        display="flex",
        flex_direction=_responsive("column", "row"),
        gap=_responsive("10px", "4px"),
        list_style="none",
        padding="0",
        margin="0",
        width="100%",
        data_testid="order-progress",
    )


def _line(line: LineView) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(line.title, href=line.href, weight="medium"),
            rx.cond(line.variant != "", rx.text(line.variant, size="1", color_scheme="gray")),
            spacing="0",
            align="start",
            min_width="0",
        ),
        rx.spacer(),
        rx.text(line.unit_price, " ", line.quantity, size="2", color_scheme="gray"),
        rx.text(line.total, size="2", weight="medium", min_width="72px", text_align="right"),
        width="100%",
        align="center",
        data_testid="order-line",
    )


def _amount(label_key: str, value: rx.Var, testid: str, bold: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(tr(label_key), size="2", weight="bold" if bold else "regular"),
        rx.spacer(),
        rx.text(value, size="2", weight="bold" if bold else "regular", data_testid=testid),
        width="100%",
    )


def _fact(label_key: str, value: rx.Var, testid: str) -> rx.Component:
    return rx.cond(
        value != "",
        rx.text(rx.text.strong(tr(label_key), ": "), value, size="2", data_testid=testid),
    )


def _summary() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.foreach(S.lines, _line),
            rx.separator(size="4"),
            _amount("orders.subtotal", S.subtotal, "order-subtotal"),
            rx.cond(S.fee != "", _amount("orders.delivery_fee", S.fee, "order-fee")),
            rx.cond(S.discount != "", _amount("orders.discount", S.discount, "order-discount")),
            _amount("orders.total", S.total, "order-total", bold=True),
            rx.separator(size="4"),
            rx.cond(
                S.viewer == "buyer",
                _fact("orders.seller", S.party, "order-party"),
                _fact("orders.buyer", S.party, "order-party"),
            ),
            _fact("orders.method", S.method, "order-method"),
            _fact("orders.slot", S.slot, "order-slot"),
            _fact("orders.address", S.address, "order-address"),
            _fact("orders.tracking", S.tracking, "order-tracking"),
            _fact("orders.placed_at", S.created, "order-created"),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def _timeline_entry(entry: TimelineView) -> rx.Component:
    return rx.el.li(
        rx.text(rx.text.strong(entry.status_label), " · ", entry.actor, size="2"),
        rx.text(entry.when, size="1", color_scheme="gray"),
        rx.cond(
            entry.reason != "",
            rx.text(entry.reason, size="2", white_space="pre-wrap", color=rx.color("gray", 11)),
        ),
        data_testid="order-timeline-entry",
        padding="4px 0 8px 12px",
        border_left=f"2px solid {rx.color('accent', 6)}",
        margin_left="6px",
    )


def _timeline(entries: rx.Var) -> rx.Component:
    return rx.el.ol(
        rx.foreach(entries, _timeline_entry),
        list_style="none",
        padding="0",
        margin="0",
        display="flex",
        flex_direction="column",
        gap="2px",
    )


def _photo(photo: PhotoView) -> rx.Component:
    return rx.link(
        rx.image(
            src=photo.src,
            alt=photo.alt,
            width="96px",
            height="96px",
            object_fit="cover",
            border_radius="6px",
            loading="lazy",
        ),
        href=photo.full,
        is_external=True,
        data_testid="refund-photo",
    )


def _refund_facts() -> rx.Component:
    return rx.cond(
        S.has_refund,
        rx.card(
            rx.vstack(
                rx.heading(tr("orders.refund_heading"), size="4", as_="h2"),
                _fact("orders.refund_reason", S.refund_reason, "refund-reason-shown"),
                _fact("orders.buyer_statement", S.buyer_statement, "refund-buyer-statement"),
                rx.cond(
                    S.refund_photos.length() > 0,
                    rx.flex(rx.foreach(S.refund_photos, _photo), gap="8px", wrap="wrap"),
                ),
                _fact("orders.seller_statement", S.seller_statement, "refund-seller-statement"),
                _fact("orders.decision_reason", S.decision_reason, "refund-decision"),
                spacing="2",
                width="100%",
            ),
            width="100%",
            data_testid="order-refund",
        ),
    )


def _handover_code() -> rx.Component:
    return rx.cond(
        S.handover_code != "",
        rx.card(
            rx.vstack(
                rx.heading(tr("orders.handover_heading"), size="4", as_="h2"),
                rx.text(tr("orders.handover_hint"), size="2"),
                rx.text(
                    S.handover_code,
                    data_testid="handover-code",
                    font_family="monospace",
                    font_size="2em",
                    letter_spacing="0.2em",
                    weight="bold",
                    aria_label=tr("orders.handover_code_label"),
                ),
                rx.image(
                    src=S.qr_src,
                    alt=tr("orders.handover_qr_alt"),
                    width="180px",
                    height="180px",
                    data_testid="handover-qr",
                    style={"image_rendering": "pixelated"},
                ),
                align="center",
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
    )


def _can(action: str) -> rx.Var:
    return S.actions.contains(action)


def _field(make, name: str, label_key: str, testid: str, max_length: int, **props) -> rx.Component:
    """A labelled control made by ``make`` (``rx.input``, ``rx.text_area``) with its error."""
    input_id = f"order-{name}"
    control = make(
        id=input_id,
        name=name,
        max_length=max_length,
        data_testid=testid,
        width="100%",
        **described(E, name),
        **props,
    )
    return labelled(label_key, input_id, name, E, control)


def _textarea(name: str, label_key: str, testid: str, max_length: int) -> rx.Component:
    return _field(rx.text_area, name, label_key, testid, max_length, rows="3")


def _input(name: str, label_key: str, testid: str, max_length: int, **props) -> rx.Component:
    return _field(rx.input, name, label_key, testid, max_length, size="3", **props)


def _button(label: str | rx.Var, testid: str, icon: str, **props) -> rx.Component:
    """An action button (``label`` is a catalog key or a text Var) showing progress."""
    return rx.button(
        rx.cond(S.busy, rx.spinner(size="2"), rx.icon(icon, size=16, aria_hidden="true")),
        tr(label) if isinstance(label, str) else label,
        disabled=S.busy,
        data_testid=testid,
        size="3",
        **props,
    )


def _form(*children: rx.Component, on_submit) -> rx.Component:
    return rx.form(
        rx.vstack(*children, spacing="2", width="100%", align="start"),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
        key=S.form_key.to_string(),
    )


def _refund_photos_input() -> rx.Component:
    return form_photos(
        REFUND_UPLOAD_ID,
        label_key="orders.refund_photos",
        add_key="orders.refund_add_photos",
        hint_key="orders.refund_photos_hint",
        remove_key="orders.refund_remove_photo",
        preview_testid="refund-photo-preview",
        photos=S.new_photos,
        uploading=S.uploading,
        errors=E,
        max_files=orders.MAX_REFUND_PHOTOS,
        on_upload=S.upload_refund_photos,
        on_remove=S.remove_refund_photo,
    )


def _cancel_form(reason_key: str, who: str) -> rx.Component:
    """The cancel form: a reason (``reason_key`` labels it) and the button; ids by ``who``."""
    return _form(
        _input("reason", reason_key, f"{who}-cancel-reason", 500),
        _button(
            "orders.cancel",
            f"{who}-cancel",
            "circle-x",
            type="submit",
            variant="soft",
            color_scheme="red",
        ),
        on_submit=S.cancel,
    )


def _refund_form() -> rx.Component:
    return _form(
        rx.heading(tr("orders.refund_heading"), size="4", as_="h3"),
        labelled(
            "orders.refund_reason",
            "order-reason-select",
            "reason",
            E,
            rx.el.select(
                rx.el.option(tr("orders.refund_reason_pick"), value=""),
                *[
                    rx.el.option(tr(f"orders.refund_reason.{r}"), value=r)
                    for r in orders.REFUND_REASONS
                ],
                id="order-reason-select",
                name="reason",
                data_testid="refund-reason",
                **described(E, "reason"),
                **SELECT_STYLE,
            ),
        ),
        _textarea("statement", "orders.refund_statement", "refund-statement", orders.STATEMENT_MAX),
        _refund_photos_input(),
        rx.hstack(
            _button("orders.refund_submit", "refund-submit", "send", type="submit"),
            rx.button(
                tr("common.cancel"),
                type="button",
                variant="soft",
                size="3",
                on_click=S.toggle_refund_form,
            ),
            spacing="2",
            wrap="wrap",
        ),
        on_submit=S.request_refund,
    )


def _buyer_actions() -> rx.Component:
    return rx.vstack(
        rx.cond(
            _can("confirm_receipt"),
            _button(
                rx.cond(
                    S.status == "refund_declined",
                    tr("orders.accept_answer"),
                    tr("orders.confirm_receipt"),
                ),
                "order-confirm-receipt",
                "package-check",
                on_click=S.confirm_receipt,
                color_scheme="green",
            ),
        ),
        rx.cond(
            _can("request_refund") & ~S.refund_form_open,
            _button(
                "orders.request_refund",
                "order-request-refund",
                "undo-2",
                on_click=S.toggle_refund_form,
                variant="soft",
                color_scheme="red",
            ),
        ),
        rx.cond(_can("request_refund") & S.refund_form_open, _refund_form()),
        rx.cond(
            _can("escalate"),
            _button(
                "orders.escalate",
                "order-escalate",
                "scale",
                on_click=S.escalate,
                variant="soft",
                color_scheme="red",
            ),
        ),
        rx.cond(_can("cancel"), _cancel_form("orders.cancel_reason_optional", "order")),
        spacing="3",
        width="100%",
        align="start",
    )


def _seller_actions() -> rx.Component:
    return rx.vstack(
        rx.cond(
            _can("mark_ready"),
            _button("orders.mark_ready", "mark-ready", "package", on_click=S.mark_ready),
        ),
        rx.cond(
            _can("mark_shipped"),
            _form(
                _input("tracking", "orders.tracking", "tracking-input", orders.TRACKING_MAX),
                _button("orders.mark_shipped", "mark-shipped", "truck", type="submit"),
                on_submit=S.mark_shipped,
            ),
        ),
        rx.cond(
            _can("mark_out_for_delivery"),
            _button(
                "orders.mark_out_for_delivery",
                "mark-out-for-delivery",
                "bike",
                on_click=S.mark_out_for_delivery,
            ),
        ),
        rx.cond(
            _can("mark_delivered"),
            _button("orders.mark_delivered", "mark-delivered", "house", on_click=S.mark_delivered),
        ),
        rx.cond(
            _can("confirm_handover"),
            _form(
                _input(
                    "code",
                    "orders.handover_code_input",
                    "handover-code-input",
                    CODE_INPUT_MAX,
                    input_mode="numeric",
                    auto_complete="one-time-code",
                    pattern="[0-9 ]*",
                ),
                rx.text(
                    tr("orders.handover_attempts"),
                    " ",
                    S.attempts_left,
                    size="1",
                    color_scheme="gray",
                ),
                _button("orders.confirm_handover", "confirm-handover", "key-round", type="submit"),
                on_submit=S.confirm_handover,
            ),
        ),
        rx.cond(
            (S.status == "ready_for_pickup") & S.handover_locked,
            notice(tr("error.order.handover_locked"), color="red"),
        ),
        rx.cond(
            _can("accept_refund"),
            _button(
                "orders.accept_refund",
                "accept-refund",
                "check",
                on_click=S.accept_refund,
                color_scheme="green",
            ),
        ),
        rx.cond(
            _can("decline_refund"),
            _form(
                _textarea(
                    "statement",
                    "orders.seller_statement_input",
                    "seller-statement",
                    orders.STATEMENT_MAX,
                ),
                _button(
                    "orders.decline_refund",
                    "decline-refund",
                    "x",
                    type="submit",
                    variant="soft",
                    color_scheme="red",
                ),
                on_submit=S.decline_refund,
            ),
        ),
        rx.cond(_can("cancel"), _cancel_form("orders.cancel_reason", "seller")),
        spacing="3",
        width="100%",
        align="start",
    )


def _actions() -> rx.Component:
    return rx.cond(
        S.actions.length() > 0,
        rx.card(
            rx.vstack(
                rx.heading(tr("orders.next_steps"), size="4", as_="h2"),
                field_error(E, "_form"),
                rx.cond(S.viewer == "buyer", _buyer_actions(), _seller_actions()),
                spacing="3",
                width="100%",
            ),
            width="100%",
            data_testid="order-actions",
        ),
        rx.cond(E.contains("_form"), field_error(E, "_form")),
    )


def _order_body() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(tr("orders.order"), " ", S.number, size="6", as_="h1"),
            _status_badge(S.status, S.status_label, "order-detail-status"),
            align="center",
            spacing="3",
            wrap="wrap",
            width="100%",
        ),
        rx.cond(S.flash != "", notice(S.flash)),
        rx.cond(
            S.due_note != "",
            rx.text(S.due_note, size="2", color_scheme="gray", data_testid="order-due"),
        ),
        rx.card(_stepper(), width="100%"),
        _handover_code(),
        _actions(),
        review_box(),
        _refund_facts(),
        _summary(),
        rx.card(
            rx.vstack(
                rx.heading(tr("orders.timeline"), size="4", as_="h2"),
                _timeline(S.timeline),
                spacing="2",
                width="100%",
            ),
            width="100%",
        ),
        rx.button(
            rx.icon("message-circle", size=16, aria_hidden="true"),
            tr("messages.message_order"),
            on_click=ThreadState.open_order(S.number),
            variant="outline",
            data_testid="order-message",
        ),
        rx.cond(
            S.viewer == "buyer",
            rx.hstack(
                rx.link(tr("orders.back_to_orders"), href="/orders"),
                rx.cond(
                    S.group_href != "", rx.link(tr("orders.whole_checkout"), href=S.group_href)
                ),
                spacing="4",
            ),
            rx.link(tr("orders.back_to_seller_orders"), href="/seller/orders"),
        ),
        spacing="4",
        width="100%",
    )


def order_page() -> rx.Component:
    """``/orders/<number>``: one order for its buyer or seller (login required)."""
    return _page(
        rx.cond(
            S.loaded,
            rx.cond(S.not_found, _not_found("orders.back_to_orders", "/orders"), _order_body()),
            loading(),
        )
    )


# -- operators


def _dispute(case: DisputeView) -> rx.Component:
    busy = DisputesState.busy_number == case.number
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(tr("orders.order"), " ", case.number, size="4", as_="h2"),
                rx.badge(case.total),
                rx.text(case.method, size="1", color_scheme="gray"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.text(rx.text.strong(tr("orders.buyer"), ": "), case.buyer, size="2"),
            rx.text(rx.text.strong(tr("orders.seller"), ": "), case.seller, size="2"),
            rx.text(rx.text.strong(tr("orders.items"), ": "), case.goods, size="2"),
            rx.text(
                rx.text.strong(tr("orders.refund_reason"), ": "),
                case.reason,
                " · ",
                case.opened,
                size="2",
            ),
            rx.grid(
                rx.box(
                    rx.text(tr("orders.buyer_statement"), weight="bold", size="2"),
                    rx.blockquote(
                        case.buyer_statement,
                        size="2",
                        white_space="pre-wrap",
                        data_testid="dispute-buyer-statement",
                    ),
                ),
                rx.box(
                    rx.text(tr("orders.seller_statement"), weight="bold", size="2"),
                    rx.blockquote(
                        case.seller_statement,
                        size="2",
                        white_space="pre-wrap",
                        data_testid="dispute-seller-statement",
                    ),
                ),
                columns=_responsive("1", "2"),
                spacing="3",
                width="100%",
            ),
            rx.flex(rx.foreach(case.photos, _photo), gap="8px", wrap="wrap"),
            rx.el.details(
                rx.el.summary(tr("orders.timeline"), cursor="pointer"),
                _timeline(case.timeline),
                width="100%",
            ),
            rx.form(
                rx.vstack(
                    rx.el.input(type="hidden", name="number", default_value=case.number),
                    rx.el.label(
                        tr("disputes.reason"),
                        html_for="dispute-reason-" + case.number,
                        font_weight="500",
                        font_size="0.9em",
                    ),
                    rx.text_area(
                        id="dispute-reason-" + case.number,
                        name="reason",
                        max_length=1000,
                        data_testid="dispute-reason",
                        width="100%",
                    ),
                    rx.flex(
                        rx.button(
                            rx.icon("undo-2", size=16, aria_hidden="true"),
                            tr("disputes.refund"),
                            type="submit",
                            color_scheme="red",
                            disabled=busy,
                            on_click=DisputesState.choose("refund"),
                            data_testid="dispute-refund",
                        ),
                        rx.button(
                            rx.icon("hand-coins", size=16, aria_hidden="true"),
                            tr("disputes.release"),
                            type="submit",
                            color_scheme="green",
                            disabled=busy,
                            on_click=DisputesState.choose("release"),
                            data_testid="dispute-release",
                        ),
                        gap="8px",
                        wrap="wrap",
                    ),
                    rx.cond(
                        DisputesState.row_errors.contains(case.number),
                        rx.text(
                            DisputesState.row_errors[case.number].to(str),
                            color_scheme="red",
                            size="2",
                            role="alert",
                            data_testid="form-error",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=DisputesState.decide,
                reset_on_submit=False,
                width="100%",
            ),
            spacing="2",
            width="100%",
        ),
        data_testid="dispute-row",
        data_number=case.number,
        width="100%",
    )


def disputes_page() -> rx.Component:
    """``/admin/disputes``: refund disputes for operators to decide."""
    return _page(
        rx.hstack(
            rx.heading(tr("disputes.title"), size="6", as_="h1"),
            rx.spacer(),
            rx.link(tr("disputes.queue_link"), href="/admin/queue", size="2"),
            width="100%",
            align="center",
        ),
        rx.cond(DisputesState.notice != "", notice(DisputesState.notice)),
        loaded_list(
            DisputesState.loaded,
            DisputesState.cases,
            rx.vstack(rx.foreach(DisputesState.cases, _dispute), spacing="3", width="100%"),
            empty("disputes.empty"),
        ),
        max_width="960px",
    )
