"""The account pages: profile, password, address book."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import empty, loaded_list, loading, notice
from marketplace_app.components.fields import field_error, text_field
from marketplace_app.components.handover_days import handover_days_card
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.account import AddressState, AddressView, ProfileState
from marketplace_app.state.session import SessionState


def _save_button(label_key: str, testid: str) -> rx.Component:
    return rx.button(tr(label_key), type="submit", data_testid=testid, size="3")


def _profile_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("account.profile"), size="4", as_="h2"),
                rx.text(
                    tr("account.contact"), ": ", ProfileState.contact, size="2", color_scheme="gray"
                ),
                text_field(
                    "account.name",
                    "name",
                    ProfileState.errors,
                    testid="profile-name",
                    default_value=ProfileState.name,
                    max_length=60,
                    autocomplete="name",
                ),
                text_field(
                    "account.district",
                    "district",
                    ProfileState.errors,
                    testid="profile-district",
                    default_value=ProfileState.district,
                    max_length=60,
                ),
                rx.el.label(
                    tr("account.bio"), html_for="bio", font_weight="500", font_size="0.9em"
                ),
                rx.text_area(
                    id="bio",
                    name="bio",
                    default_value=ProfileState.bio,
                    max_length=500,
                    data_testid="profile-bio",
                    width="100%",
                ),
                field_error(ProfileState.errors, "bio"),
                rx.cond(ProfileState.saved, notice(tr("account.saved"))),
                _save_button("common.save", "profile-save"),
                spacing="3",
                width="100%",
            ),
            on_submit=ProfileState.save,
            reset_on_submit=False,
            key=ProfileState.name,
        ),
        width="100%",
    )


def _password_form() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(tr("account.password"), size="4", as_="h2"),
                text_field(
                    "account.current_password",
                    "current",
                    ProfileState.password_errors,
                    testid="password-current",
                    type_="password",
                    autocomplete="current-password",
                    form_id="pw-",
                ),
                text_field(
                    "auth.new_password",
                    "new",
                    ProfileState.password_errors,
                    testid="password-new",
                    type_="password",
                    autocomplete="new-password",
                    hint_key="auth.password_hint",
                    form_id="pw-",
                ),
                text_field(
                    "auth.confirm_password",
                    "confirm",
                    ProfileState.password_errors,
                    testid="password-confirm",
                    type_="password",
                    autocomplete="new-password",
                    form_id="pw-",
                ),
                _save_button("account.change_password", "password-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=ProfileState.change_password,
            reset_on_submit=False,
        ),
        width="100%",
    )


def _account_link(icon: str, label: str | rx.Var, href: str | rx.Var, testid: str) -> rx.Component:
    """A link of the account page's list (``label`` is a catalog key or a text Var)."""
    return rx.link(
        rx.icon(icon, size=16, aria_hidden="true"),
        tr(label) if isinstance(label, str) else label,
        href=href,
        data_testid=testid,
        display="inline-flex",
        align_items="center",
        gap="6px",
    )


def account_page() -> rx.Component:
    """``/account``."""
    return shell(
        rx.vstack(
            rx.hstack(
                rx.heading(SessionState.user_name, size="6", as_="h1"),
                rx.spacer(),
                rx.button(
                    rx.icon("log-out", size=16, aria_hidden="true"),
                    tr("account.logout"),
                    on_click=SessionState.logout,
                    variant="soft",
                    color_scheme="red",
                    data_testid="logout",
                ),
                width="100%",
                align="center",
            ),
            rx.cond(
                ProfileState.password_changed,
                notice(tr("account.password_changed")),
            ),
            _account_link(
                "map-pin", "account.addresses", "/account/addresses", "account-addresses-link"
            ),
            _account_link(
                "package", "my_listings.account_link", "/my/listings", "account-my-listings-link"
            ),
            # buying: orders, inbox, disputes
            _account_link("receipt", "orders.account_link", "/orders", "account-orders-link"),
            _account_link(
                "package-open",
                "orders.seller_account_link",
                "/seller/orders",
                "account-seller-orders-link",
            ),
            _account_link(
                "wallet", "balance.account_link", "/seller/balance", "account-balance-link"
            ),
            # trust: messaging
            _account_link(
                "messages-square", "messages.account_link", "/messages", "account-messages-link"
            ),
            # trust: offers
            _account_link("handshake", "offers.account_link", "/offers", "account-offers-link"),
            # shops and the operator queue
            _account_link(
                "store",
                rx.cond(SessionState.is_shop, tr("shop.account_manage"), tr("shop.account_apply")),
                rx.cond(SessionState.is_shop, "/shop/manage", "/shop/apply"),
                "account-shop-link",
            ),
            rx.cond(
                SessionState.is_moderator,
                _account_link(
                    "shield-check", "queue.account_link", "/admin/queue", "account-queue-link"
                ),
            ),
            rx.cond(
                SessionState.is_moderator,
                _account_link(
                    "scale", "disputes.account_link", "/admin/disputes", "account-disputes-link"
                ),
            ),
            rx.cond(
                SessionState.is_moderator,
                _account_link("scroll-text", "audit.title", "/admin/audit", "account-audit-link"),
            ),
            rx.cond(
                ProfileState.loaded,
                rx.grid(
                    _profile_form(),
                    _password_form(),
                    handover_days_card(),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="4",
                    width="100%",
                ),
                loading(),
            ),
            spacing="4",
            width="100%",
        )
    )


def _address_row(a: AddressView) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.text(a.label, weight="bold"),
                    rx.cond(a.is_default, rx.badge(tr("address.default"), color_scheme="green")),
                    spacing="2",
                ),
                rx.text(a.recipient, " · ", a.phone, size="2"),
                rx.text(a.line1, " ", a.line2, size="2"),
                rx.text(a.postcode, " ", a.city, " ", a.district, size="2", color_scheme="gray"),
                spacing="1",
                align="start",
            ),
            rx.spacer(),
            rx.flex(
                rx.button(
                    tr("common.edit"),
                    size="1",
                    variant="soft",
                    on_click=AddressState.open_form(a.id),
                    data_testid="address-edit",
                ),
                rx.cond(
                    ~a.is_default,
                    rx.button(
                        tr("address.make_default"),
                        size="1",
                        variant="soft",
                        on_click=AddressState.make_default(a.id),
                        data_testid="address-default",
                    ),
                ),
                rx.button(
                    tr("common.delete"),
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=AddressState.delete(a.id),
                    data_testid="address-delete",
                ),
                direction="column",
                gap="2",
            ),
            width="100%",
        ),
        data_testid="address-row",
        width="100%",
    )


ADDRESS_FIELDS = (
    ("label", {"max_length": 40, "hint_key": "address.label_hint"}),
    ("recipient", {"required": True, "max_length": 60, "autocomplete": "name"}),
    ("phone", {"required": True, "max_length": 20, "autocomplete": "tel", "type_": "tel"}),
    ("line1", {"required": True, "max_length": 120, "autocomplete": "address-line1"}),
    ("line2", {"max_length": 120, "autocomplete": "address-line2"}),
    ("district", {"max_length": 60}),
    ("city", {"required": True, "max_length": 60, "autocomplete": "address-level2"}),
    ("postcode", {"max_length": 12, "autocomplete": "postal-code"}),
)


def _address_form() -> rx.Component:
    e = AddressState.errors
    cur = AddressState.editing
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(
                    rx.cond(AddressState.editing_id > 0, tr("address.edit"), tr("address.add")),
                    size="4",
                    as_="h2",
                ),
                field_error(e, "_form"),
                *[
                    text_field(
                        f"address.{name}",
                        name,
                        e,
                        testid=f"address-{name}",
                        default_value=cur[name].to(str),
                        **options,
                    )
                    for name, options in ADDRESS_FIELDS
                ],
                rx.el.label(
                    rx.checkbox(name="is_default", default_checked=cur["is_default"].to(bool)),
                    tr("address.make_default"),
                    display="flex",
                    gap="8px",
                    align_items="center",
                ),
                rx.hstack(
                    rx.button(tr("common.save"), type="submit", data_testid="address-save"),
                    rx.button(
                        tr("common.cancel"),
                        type="button",
                        variant="soft",
                        on_click=AddressState.close_form,
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=AddressState.save,
            reset_on_submit=False,
            key=AddressState.editing_id.to_string(),
        ),
        width="100%",
    )


def addresses_page() -> rx.Component:
    """``/account/addresses``."""
    return shell(
        rx.vstack(
            rx.cond(
                AddressState.from_checkout,
                rx.link(
                    tr("address.back_to_checkout"),
                    href="/checkout",
                    size="2",
                    data_testid="address-back-to-checkout",
                ),
                rx.link(tr("account.back"), href="/account", size="2"),
            ),
            rx.hstack(
                rx.heading(tr("account.addresses"), size="6", as_="h1"),
                rx.spacer(),
                rx.button(
                    rx.icon("plus", size=16, aria_hidden="true"),
                    tr("address.add"),
                    on_click=AddressState.open_form(0),
                    data_testid="address-add",
                ),
                width="100%",
                align="center",
            ),
            rx.cond(AddressState.form_open, _address_form()),
            loaded_list(
                AddressState.loaded,
                AddressState.addresses,
                rx.vstack(
                    rx.foreach(AddressState.addresses, _address_row), width="100%", spacing="3"
                ),
                empty("address.empty"),
            ),
            spacing="4",
            width="100%",
            max_width="720px",
        )
    )
