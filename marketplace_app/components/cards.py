"""Listing cards, card grids and category chips."""

from __future__ import annotations

import reflex as rx

from marketplace_app.components.favorite import heart
from marketplace_app.state.views import CardView, CategoryView

CARD_SIZES = "(min-width: 768px) 240px, 50vw"


def price(value: rx.Var, was: rx.Var, testid: str, size: str = "3") -> rx.Component:
    """A price, with the regular price struck through during a sale."""
    return rx.hstack(
        rx.text(value, weight="bold", size=size, color=rx.color("accent", 11), data_testid=testid),
        rx.cond(
            was != "",
            rx.text(was, as_="s", size="1", color_scheme="gray"),
        ),
        align="baseline",
        spacing="2",
    )


def listing_card(card: CardView) -> rx.Component:
    """One listing in a grid: photo, title, price, badge and place."""
    return rx.box(
        rx.link(
            rx.image(
                src=card.image,
                src_set=card.srcset,
                sizes=CARD_SIZES,
                alt=card.alt,
                loading="lazy",
                width="100%",
                aspect_ratio="4 / 3",
                object_fit="cover",
                border_radius="8px 8px 0 0",
                background=rx.color("gray", 4),
            ),
            rx.box(
                rx.text(
                    card.title,
                    size="2",
                    weight="medium",
                    data_testid="listing-card-title",
                    style={
                        "display": "-webkit-box",
                        "-webkit-line-clamp": "2",
                        "-webkit-box-orient": "vertical",
                        "overflow": "hidden",
                    },
                ),
                price(card.price, card.was_price, "listing-card-price", size="3"),
                rx.hstack(
                    rx.badge(card.badge, variant="soft", size="1"),
                    rx.text(card.place, size="1", color_scheme="gray"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                padding="8px 10px 10px",
                display="flex",
                flex_direction="column",
                gap="4px",
            ),
            href=card.href,
            data_testid="listing-card-link",
            underline="none",
            color="inherit",
            display="block",
        ),
        rx.box(
            heart(card.id, "listing-card-favorite", size="1"),
            position="absolute",
            top="6px",
            right="6px",
        ),
        data_testid="listing-card",
        position="relative",
        background="white",
        border_radius="8px",
        border=f"1px solid {rx.color('gray', 5)}",
        overflow="hidden",
        _hover={"box_shadow": "0 2px 8px rgba(0,0,0,0.08)"},
    )


def card_grid(cards) -> rx.Component:
    """Cards in a responsive grid: two columns on a phone, more on a desktop."""
    return rx.grid(
        rx.foreach(cards, listing_card),
        columns=rx.breakpoints(initial="2", sm="3", md="4"),
        spacing="3",
        width="100%",
    )


def category_chip(cat: CategoryView) -> rx.Component:
    """A category link with its icon."""
    return rx.link(
        rx.vstack(
            rx.center(
                rx.icon(cat.icon, size=22, aria_hidden="true"),
                width="44px",
                height="44px",
                border_radius="50%",
                background=rx.color("accent", 3),
                color=rx.color("accent", 11),
            ),
            rx.text(cat.name, size="1", align="center"),
            align="center",
            spacing="1",
        ),
        href=cat.href,
        data_testid="category-link",
        underline="none",
        color="inherit",
        padding="6px",
    )
