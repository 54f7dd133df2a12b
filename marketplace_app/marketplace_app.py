"""The Reflex app: pages and API routes."""

import reflex as rx

import marketplace_app.models  # noqa: F401  (registers the tables)


def index() -> rx.Component:
    return rx.text("hello", data_testid="nav-home")


app = rx.App()
app.add_page(index, route="/")
