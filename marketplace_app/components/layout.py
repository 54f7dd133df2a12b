"""The page shell: top bar, navigation and content area, at phone and desktop widths.

Each navigation id exists once in the DOM. The same ``<nav>`` is a bottom tab
bar on a phone and sits in the header on a desktop; CSS moves it.
"""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.feedback import notice
from marketplace_app.components.i18n import tr
from marketplace_app.settings import settings
from marketplace_app.state.nav import NavState
from marketplace_app.state.session import LocaleState, SessionState

PHONE_BAR_HEIGHT = "64px"
DESKTOP = "sm"  # Reflex's "sm" breakpoint is 48em (768px).


def _responsive(phone, desktop):
    return rx.breakpoints(initial=phone, **{DESKTOP: desktop})


def _count_badge(value: rx.Var, testid: str) -> rx.Component:
    return rx.badge(
        value.to_string(),
        data_testid=testid,
        variant=rx.cond(value > 0, "solid", "soft"),
        color_scheme=rx.cond(value > 0, "red", "gray"),
        radius="full",
        size="1",
        position="absolute",
        top="-6px",
        right="-12px",
    )


def _nav_item(
    icon: str, label_key: str, href: str, testid: str, badge=None, **props
) -> rx.Component:
    props.setdefault("display", "flex")
    return rx.link(
        rx.box(
            rx.icon(icon, size=22, aria_hidden="true"),
            *([badge] if badge is not None else []),
            position="relative",
            display="inline-flex",
            margin_right=_responsive("0", "6px") if badge is not None else "0",
        ),
        rx.text(tr(label_key), size="1"),
        href=href,
        data_testid=testid,
        flex_direction=_responsive("column", "row"),
        align_items="center",
        gap=_responsive("2px", "6px"),
        color=rx.color("gray", 12),
        underline="none",
        padding="4px 8px",
        border_radius="8px",
        _hover={"background": rx.color("accent", 3)},
        **props,
    )


def _lang_switch() -> rx.Component:
    # A full page load through /api/locale: the cookie is set by the server and
    # every formatted price and date is rendered again in the new language.
    script = (
        "window.location.href = '/api/locale?to=' + {to} + "
        "'&next=' + encodeURIComponent(window.location.pathname + window.location.search)"
    )
    return rx.button(
        rx.icon("languages", size=16, aria_hidden="true"),
        tr("nav.lang_other"),
        on_click=rx.cond(
            LocaleState.lang == "en",
            rx.call_script(script.format(to="'zh-CN'")),
            rx.call_script(script.format(to="'en'")),
        ),
        variant="ghost",
        size="2",
        aria_label=tr("nav.lang_switch_label"),
        data_testid="lang-switch",
        lang=rx.cond(LocaleState.lang == "en", "zh-CN", "en"),
    )


def _search_box() -> rx.Component:
    return rx.form(
        rx.input(
            rx.input.slot(rx.icon("search", size=16, aria_hidden="true")),
            name="q",
            type="search",
            placeholder=tr("nav.search_placeholder"),
            aria_label=tr("nav.search"),
            data_testid="nav-search-input",
            size="2",
            width="100%",
            max_length=80,
        ),
        on_submit=NavState.search,
        reset_on_submit=False,
        flex="1",
        max_width="520px",
        role="search",
    )


def _categories_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("layout-grid", size=16, aria_hidden="true"),
                tr("nav.categories"),
                variant="ghost",
                size="2",
                data_testid="nav-categories",
            )
        ),
        rx.menu.content(
            rx.foreach(
                NavState.categories,
                lambda c: rx.menu.item(
                    rx.link(c.name, href=c.href, data_testid="category-link", underline="none"),
                ),
            )
        ),
    )


def _nav() -> rx.Component:
    return rx.el.nav(
        _nav_item("house", "nav.home", "/", "nav-home"),
        _nav_item(
            "search", "nav.search", "/search", "nav-search", display=_responsive("flex", "none")
        ),
        _nav_item("circle-plus", "nav.sell", "/sell", "nav-sell"),
        _nav_item(
            "shopping-cart",
            "nav.cart",
            "/cart",
            "nav-cart",
            badge=_count_badge(SessionState.cart_count, "cart-count"),
        ),
        rx.cond(
            SessionState.logged_in,
            _nav_item(
                "messages-square",
                "nav.messages",
                "/messages",
                "nav-messages",
                badge=_count_badge(SessionState.messages_unread, "nav-messages-count"),
            ),
        ),
        rx.cond(
            SessionState.logged_in,
            _nav_item("user", "nav.me", "/account", "nav-account"),
            _nav_item("log-in", "nav.login", "/login", "nav-login"),
        ),
        aria_label=tr("nav.main_label"),
        display="flex",
        justify_content=_responsive("space-around", "flex-end"),
        align_items="center",
        gap=_responsive("0", "4px"),
        position=_responsive("fixed", "static"),
        bottom="0",
        left="0",
        right="0",
        height=_responsive(PHONE_BAR_HEIGHT, "auto"),
        background=_responsive("white", "transparent"),
        border_top=_responsive(f"1px solid {rx.color('gray', 5)}", "none"),
        z_index="20",
    )


def _header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            rx.link(
                rx.image(src="/logo.svg", alt="", width="28px", height="28px"),
                rx.text(settings.market_name, weight="bold", display=_responsive("none", "block")),
                href="/",
                aria_label=settings.market_name,
                display="flex",
                align_items="center",
                gap="8px",
                underline="none",
                color=rx.color("accent", 11),
            ),
            rx.box(_categories_menu(), display=_responsive("none", "block")),
            _search_box(),
            _lang_switch(),
            _nav_item(
                "bell",
                "nav.inbox",
                "/inbox",
                "nav-inbox",
                badge=_count_badge(SessionState.unread_count, "unread-count"),
            ),
            _nav(),
            align="center",
            spacing="3",
            max_width="1200px",
            margin="0 auto",
            padding="8px 12px",
            width="100%",
        ),
        position="sticky",
        top="0",
        z_index="10",
        background="white",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
    )


def shell(*children: rx.Component, flash: rx.Var | None = None) -> rx.Component:
    """Wrap a page's content in the header, navigation and main landmark.

    Args:
        *children: the page content.
        flash: optional message var shown as a toast when non-empty.

    Returns:
        The full page.
    """
    return rx.box(
        rx.el.a(
            tr("nav.skip"),
            href="#main",
            class_name="skip-link",
        ),
        _header(),
        rx.el.main(
            *([rx.cond(flash != "", notice(flash))] if flash is not None else []),
            *children,
            id="main",
            max_width="1200px",
            margin="0 auto",
            padding=_responsive(f"12px 12px calc({PHONE_BAR_HEIGHT} + 16px)", "20px 16px 40px"),
            width="100%",
        ),
        lang=LocaleState.lang,
        min_height="100vh",
        background=rx.color("gray", 2),
    )
