"""Login, registration and password reset pages."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import notice
from marketplace_app.components.fields import field_error, submit_button, text_field
from marketplace_app.components.i18n import tr
from marketplace_app.components.layout import shell
from marketplace_app.state.auth import AuthState


def _panel(title_key: str, *children: rx.Component) -> rx.Component:
    return shell(
        rx.center(
            rx.card(
                rx.vstack(
                    rx.heading(tr(title_key), size="6", as_="h1"),
                    *children,
                    spacing="4",
                    width="100%",
                ),
                width="100%",
                max_width="420px",
                padding="24px",
            ),
            width="100%",
            padding_top="12px",
        )
    )


def login_page() -> rx.Component:
    """``/login``."""
    return _panel(
        "auth.login_title",
        rx.form(
            rx.vstack(
                field_error(AuthState.errors, "_form"),
                text_field(
                    "auth.contact",
                    "contact",
                    AuthState.errors,
                    testid="login-email",
                    autocomplete="username",
                    required=True,
                    max_length=254,
                ),
                text_field(
                    "auth.password",
                    "password",
                    AuthState.errors,
                    testid="login-password",
                    type_="password",
                    autocomplete="current-password",
                    required=True,
                    max_length=128,
                ),
                submit_button("auth.login_submit", AuthState.busy, "login-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthState.login,
            reset_on_submit=False,
            width="100%",
        ),
        rx.hstack(
            rx.link(tr("auth.forgot_link"), href="/forgot-password", size="2"),
            rx.spacer(),
            rx.link(
                tr("auth.register_link"),
                href=f"/register{AuthState.next_query}",
                size="2",
                data_testid="register-link",
            ),
            width="100%",
        ),
    )


def register_page() -> rx.Component:
    """``/register``."""
    return _panel(
        "auth.register_title",
        rx.form(
            rx.vstack(
                field_error(AuthState.errors, "_form"),
                text_field(
                    "auth.name",
                    "name",
                    AuthState.errors,
                    testid="register-name",
                    autocomplete="name",
                    required=True,
                    max_length=60,
                ),
                text_field(
                    "auth.contact",
                    "contact",
                    AuthState.errors,
                    testid="register-email",
                    autocomplete="email",
                    required=True,
                    max_length=254,
                    hint_key="auth.contact_hint",
                ),
                text_field(
                    "auth.password",
                    "password",
                    AuthState.errors,
                    testid="register-password",
                    type_="password",
                    autocomplete="new-password",
                    required=True,
                    max_length=128,
                    hint_key="auth.password_hint",
                ),
                submit_button("auth.register_submit", AuthState.busy, "register-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthState.register,
            reset_on_submit=False,
            width="100%",
        ),
        rx.link(
            tr("auth.login_link"),
            href=f"/login{AuthState.next_query}",
            size="2",
            data_testid="login-link",
        ),
    )


def forgot_page() -> rx.Component:
    """``/forgot-password``: ask for a reset link."""
    return _panel(
        "auth.forgot_title",
        rx.cond(
            AuthState.reset_requested,
            notice(tr("auth.reset_sent")),
            rx.form(
                rx.vstack(
                    rx.text(tr("auth.forgot_intro"), size="2", color_scheme="gray"),
                    text_field(
                        "auth.contact",
                        "contact",
                        AuthState.errors,
                        testid="forgot-email",
                        autocomplete="username",
                        required=True,
                        max_length=254,
                    ),
                    submit_button("auth.forgot_submit", AuthState.busy, "forgot-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AuthState.request_reset,
                reset_on_submit=False,
                width="100%",
            ),
        ),
        rx.link(
            tr("auth.login_link"),
            href=f"/login{AuthState.next_query}",
            size="2",
            data_testid="login-link",
        ),
    )


def reset_page() -> rx.Component:
    """``/reset-password?token=...``: choose a new password."""
    return _panel(
        "auth.reset_title",
        rx.cond(
            AuthState.reset_done,
            rx.vstack(
                notice(tr("auth.reset_done")),
                rx.link(tr("auth.login_link"), href="/login", data_testid="reset-login-link"),
            ),
            rx.form(
                rx.vstack(
                    field_error(AuthState.errors, "_form"),
                    text_field(
                        "auth.new_password",
                        "password",
                        AuthState.errors,
                        testid="reset-password",
                        type_="password",
                        autocomplete="new-password",
                        required=True,
                        max_length=128,
                        hint_key="auth.password_hint",
                    ),
                    text_field(
                        "auth.confirm_password",
                        "confirm",
                        AuthState.errors,
                        testid="reset-confirm",
                        type_="password",
                        autocomplete="new-password",
                        required=True,
                        max_length=128,
                    ),
                    submit_button("auth.reset_submit", AuthState.busy, "reset-submit"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=AuthState.reset_password,
                reset_on_submit=False,
                width="100%",
            ),
        ),
    )
