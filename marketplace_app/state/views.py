"""Small display records (DTOs) built from service results, formatted for a locale."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date, money
from marketplace_app.services import catalog, geo, media, purchasable

# At or below this many, buyers are told only a few are left.
LOW_STOCK = 3


@dataclass
class CardView:
    """A listing card."""

    id: int
    href: str
    title: str
    price: str
    was_price: str
    badge: str
    place: str
    image: str
    srcset: str
    alt: str


@dataclass
class CategoryView:
    """A category link."""

    slug: str
    name: str
    icon: str
    href: str


@dataclass
class ImageView:
    """One gallery image."""

    src: str
    srcset: str
    alt: str


@dataclass
class VariantView:
    """One choosable variant of a shop product (500 g, 1 kg ...)."""

    id: int
    label: str
    price: str
    was_price: str
    stock: str
    sold_out: bool


@dataclass
class DeliveryView:
    """One way to get the item, with its fee."""

    key: str
    label: str
    fee: str


def stock_text(stock: int, lang: str) -> str:
    """How many are left, in words: plenty, only a few, or sold out."""
    if stock <= 0:
        return translate(lang, "listing.sold_out")
    if stock <= LOW_STOCK:
        return translate(lang, "listing.few_left", count=stock)
    return translate(lang, "listing.in_stock", count=stock)


def variant_view(quote: purchasable.Quote, lang: str) -> VariantView:
    """A variant priced and stocked for display."""
    return VariantView(
        id=quote.variant_id or 0,
        label=quote.label,
        price=price_text(quote.price_cents, lang),
        was_price=money(quote.was_price_cents, lang) if quote.was_price_cents else "",
        stock=stock_text(quote.stock, lang),
        sold_out=quote.stock <= 0,
    )


@dataclass
class BuyView:
    """What the listing page offers the viewer for one variant (or a resident's item).

    Attributes:
        block: purchasable's problem code ("" when it can be added to the cart).
        block_text: that problem in words.
        quantity_max: the most the quantity box allows.
    """

    price: str
    was_price: str
    stock_label: str
    block: str
    block_text: str
    quantity_max: int


def buy_view(quote: purchasable.Quote, lang: str) -> BuyView:
    """The listing page's price, stock and add-to-cart verdict from a quote."""
    return BuyView(
        price=price_text(quote.price_cents, lang),
        was_price=money(quote.was_price_cents, lang) if quote.was_price_cents else "",
        stock_label="" if quote.one_off else stock_text(quote.stock, lang),
        block=quote.problem or "",
        block_text=translate(lang, f"cart.block.{quote.problem}", **quote.params)
        if quote.problem
        else "",
        quantity_max=max(1, quote.max_quantity),
    )


def price_text(cents: int, lang: str) -> str:
    """The price, or "Free" for give-aways."""
    return translate(lang, "listing.free") if cents == 0 else money(cents, lang)


def card_view(card: catalog.Card, lang: str) -> CardView:
    """Format a catalog card."""
    if card.kind == "shop":
        badge = card.shop_name or translate(lang, "kind.shop")
    else:
        badge = translate(lang, f"condition.{card.condition or 'good'}")
    return CardView(
        id=card.id,
        href=f"/listing/{card.id}",
        title=card.title,
        price=price_text(card.price_cents, lang),
        was_price=money(card.was_price_cents, lang) if card.was_price_cents else "",
        badge=badge,
        place=(
            f"{geo.rounded_distance_label_km(card.distance_km)} · {card.district}"
            if card.distance_km is not None
            else card.district
        ),
        image=media.url(card.cover_key, 320) if card.cover_key else "/placeholder.svg",
        srcset=f"{media.url(card.cover_key, 320)} 320w, {media.url(card.cover_key, 800)} 800w"
        if card.cover_key
        else "",
        alt=card.title,
    )


def category_view(slug: str, icon: str, lang: str) -> CategoryView:
    """Format a category link."""
    return CategoryView(
        slug=slug,
        name=translate(lang, f"category.{slug}"),
        icon=icon,
        href=f"/search?category={slug}",
    )


def delivery_views(detail: catalog.ListingDetail, lang: str) -> list[DeliveryView]:
    """The delivery options a listing allows, with their fees."""
    options = (
        ("pickup", 0 if detail.pickup else None),
        ("local", detail.local_delivery_fee_cents),
        ("courier", detail.courier_fee_cents),
    )
    return [
        DeliveryView(
            key,
            translate(lang, f"delivery.{key}"),
            translate(lang, "delivery.no_fee") if fee == 0 else money(fee, lang),
        )
        for key, fee in options
        if fee is not None
    ]


def member_since(detail: catalog.ListingDetail, lang: str) -> str:
    """The seller's "member since" date."""
    return date(detail.seller.member_since, lang)
