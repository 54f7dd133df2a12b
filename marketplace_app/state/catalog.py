"""Browsing: the home page, a listing's page and the category/keyword list."""

from __future__ import annotations

import json
import logging

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import money
from marketplace_app.ids import parse_id
from marketplace_app.services import carts, catalog, geo, media, recent, search
from marketplace_app.services.errors import NotFound, ServiceError
from marketplace_app.settings import settings
from marketplace_app.state.cart import whole_number
from marketplace_app.state.guard import public, resolve_user, run_read, run_write
from marketplace_app.state.messages import response_text
from marketplace_app.state.origin import origin_for
from marketplace_app.state.session import LocaleState, SessionState, cart_owner
from marketplace_app.state.views import (
    BuyView,
    CardView,
    CategoryView,
    DeliveryView,
    ImageView,
    VariantView,
    buy_view,
    card_view,
    category_view,
    delivery_views,
    member_since,
    price_text,
    variant_view,
)

HOME_SECTION = 8
BROWSE_PAGE = 24


def _home_data(session, origin: tuple[float, float], user_id: int | None):
    categories = catalog.list_categories(session)
    nearby = search.search(
        session, search.SearchQuery(origin=origin, sort="distance", per_page=HOME_SECTION)
    ).cards
    _, newest = catalog.feed(session, limit=HOME_SECTION)
    _, shops = catalog.feed(session, kind="shop", limit=HOME_SECTION)
    _, neighbours = catalog.feed(session, kind="secondhand", limit=HOME_SECTION)
    viewed = recent.recently_viewed(session, user_id, limit=HOME_SECTION) if user_id else []
    return categories, nearby, newest, shops, neighbours, viewed


class HomeState(rx.State):
    """Categories and listing sections of the home page."""

    categories: list[CategoryView] = []
    near_you: list[CardView] = []
    recently_viewed: list[CardView] = []
    newest: list[CardView] = []
    from_shops: list[CardView] = []
    from_neighbours: list[CardView] = []
    loading: bool = True
    failed: bool = False

    @rx.event
    @public
    async def load(self):
        """Load the home page's sections."""
        lang = (await self.get_state(LocaleState)).lang
        self.loading = True
        self.failed = False
        yield
        user = await resolve_user(self)
        try:
            categories, nearby, newest, shops, neighbours, viewed = await run_read(
                _home_data, origin_for(user), user.id if user else None
            )
        except Exception:
            logging.getLogger(__name__).exception("home page load failed")
            self.failed = True
            self.loading = False
            return
        self.categories = [category_view(c.slug, c.icon, lang) for c in categories]
        self.near_you = [card_view(c, lang) for c in nearby]
        self.recently_viewed = [card_view(c, lang) for c in viewed]
        self.newest = [card_view(c, lang) for c in newest]
        self.from_shops = [card_view(c, lang) for c in shops]
        self.from_neighbours = [card_view(c, lang) for c in neighbours]
        self.loading = False


class ListingState(rx.State):
    """One listing's page."""

    listing_id: int = 0
    found: bool = True
    loading: bool = True
    title: str = ""
    description: str = ""
    price: str = ""
    was_price: str = ""
    condition: str = ""
    kind_label: str = ""
    category: str = ""
    category_href: str = ""
    status: str = ""
    status_label: str = ""
    district: str = ""
    stock: int = 0
    stock_label: str = ""
    variants: list[VariantView] = []
    variant_id: int = 0
    negotiable: bool = False
    images: list[ImageView] = []
    delivery: list[DeliveryView] = []
    seller_name: str = ""
    seller_kind: str = ""
    seller_href: str = ""
    seller_rating: str = ""
    seller_since: str = ""
    seller_completion: str = ""
    seller_no_shows: str = ""
    seller_response: str = ""
    is_own: bool = False
    distance: str = ""
    views: str = ""
    similar: list[CardView] = []

    link_copied: bool = False

    # Add to cart, from purchasable's verdict for the shown variant: why it is
    # not possible (a problem code, "" when it is) in words, the most one line
    # may hold, and the outcome of the last add.
    is_shop: bool = False
    cart_block: str = ""
    cart_block_text: str = ""
    quantity_max: int = 1
    adding: bool = False
    cart_note: str = ""
    cart_error: str = ""
    _buy: dict[int, BuyView] = {}

    @rx.event
    @public
    def share(self):
        """Open the phone's share sheet, or copy the share link elsewhere."""
        if not self.listing_id:
            return None
        self.link_copied = True
        url = json.dumps(f"/share/listing/{int(self.listing_id)}")
        return rx.call_script(
            f"(() => {{ const url = window.location.origin + {url}; "
            "if (navigator.share) { navigator.share({url}).catch(() => {}); } "
            "else if (navigator.clipboard) { navigator.clipboard.writeText(url); } })()"
        )

    @rx.event
    @public
    def select_variant(self, variant_id: int):
        """Show the price and stock of the chosen variant (one already on the page)."""
        if isinstance(variant_id, int) and variant_id in self._buy:
            self._pick(variant_id)
            self.cart_note = ""
            self.cart_error = ""

    def _pick(self, variant_id: int) -> None:
        """Show what the viewer may buy of one variant (0: the listing itself)."""
        buy = self._buy[variant_id]
        self.variant_id = variant_id
        self.price = buy.price
        self.was_price = buy.was_price
        self.stock_label = buy.stock_label
        self.cart_block = buy.block
        self.cart_block_text = buy.block_text
        self.quantity_max = buy.quantity_max

    @rx.event
    @public
    async def add_to_cart(self, form: dict):
        """Put this listing (the chosen variant, in the typed quantity) into the caller's cart.

        The cart is the logged-in user's, else the guest cookie's; the navigation
        count is set from the result of the same transaction.
        """
        lang = (await self.get_state(LocaleState)).lang
        self.cart_note = ""
        self.cart_error = ""
        if not self.listing_id or self.cart_block:
            return
        quantity = 1
        if self.is_shop:
            raw = form.get("quantity", "") if isinstance(form, dict) else ""
            quantity = whole_number(raw, 1, carts.MAX_QUANTITY)
            if quantity is None:
                self.cart_error = translate(lang, "error.cart_quantity", max=self.quantity_max)
                return
        owner = await cart_owner(self)
        if owner is None:
            self.cart_error = translate(lang, "error.cart_no_cookie")
            return
        self.adding = True
        yield
        try:
            added = await run_write(
                carts.add, owner, self.listing_id, self.variant_id or None, quantity
            )
        except ServiceError as error:
            messages = (await self.get_state(LocaleState))._errors(error)
            self.cart_error = next(iter(messages.values()), "")
            self.adding = False
            return
        (await self.get_state(SessionState)).cart_count = added.units
        if not added.capped:
            self.cart_note = translate(lang, "cart.added")
        elif self.is_shop:
            self.cart_note = translate(lang, "cart.capped", count=added.quantity)
        else:
            self.cart_note = translate(lang, "cart.already")
        self.adding = False

    @rx.var
    def page_title(self) -> str:
        """The browser tab's title."""
        return f"{self.title} · {settings.market_name}" if self.title else settings.market_name

    @rx.event
    @public
    async def load(self):
        """Load the listing named in the URL."""
        lang = (await self.get_state(LocaleState)).lang
        raw_id = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        self.loading = True
        self.title = ""
        self.images = []
        self.similar = []
        self.link_copied = False
        self.distance = ""
        self.views = ""
        self.cart_note = ""
        self.cart_error = ""
        yield
        user = await resolve_user(self)
        try:
            listing_id = parse_id(raw_id)
            if listing_id is None:
                raise NotFound()
            detail = await run_read(catalog.listing_detail, listing_id, user.id if user else None)
        except NotFound:
            self.found = False
            self.loading = False
            return
        self._show(detail, lang)
        self._buy = {q.variant_id or 0: buy_view(q, lang) for q in detail.quotes}
        choosable = [q for q in detail.quotes if q.variant_id is not None]
        # A product without options has one unlabelled variant: nothing to choose.
        self.variants = (
            [variant_view(q, lang) for q in choosable]
            if len(choosable) > 1 or any(q.label for q in choosable)
            else []
        )
        first = next(
            (q for q in detail.quotes if q.ok), detail.quotes[0] if detail.quotes else None
        )
        if first is not None:
            self._pick(first.variant_id or 0)
        self.listing_id = listing_id
        self.distance = _distance_label(detail, origin_for(user))
        self.found = True
        self.loading = False
        yield
        await run_write(recent.record_view, listing_id, user.id if user else None)
        self.views = translate(lang, "listing.views", count=detail.view_count + 1)
        self.similar = [card_view(c, lang) for c in await run_read(search.similar, listing_id)]

    def _show(self, d: catalog.ListingDetail, lang: str) -> None:
        self.title = d.title
        self.description = d.description
        self.price = price_text(d.price_cents, lang)
        self.was_price = money(d.was_price_cents, lang) if d.was_price_cents else ""
        self.kind_label = translate(lang, f"kind.{d.kind}")
        self.condition = translate(lang, f"condition.{d.condition}") if d.condition else ""
        self.category = translate(lang, f"category.{d.category_slug}") if d.category_slug else ""
        self.category_href = f"/search?category={d.category_slug}"
        self.status = d.status
        self.status_label = translate(lang, f"listing.status.{d.status}")
        self.district = d.district
        self.stock = d.stock
        self.is_shop = d.kind == "shop"
        self.negotiable = d.negotiable
        self.images = [
            ImageView(src=media.url(key, 800), srcset=media.srcset(key), alt=alt)
            for key, alt in zip(d.image_keys, d.image_alts, strict=True)
        ]
        self.delivery = delivery_views(d, lang)
        s = d.seller
        self.seller_name = s.shop_name or s.name
        self.seller_kind = translate(lang, "seller.shop" if s.shop_id else "seller.neighbour")
        self.seller_href = f"/shop/{s.shop_slug}" if s.shop_slug else ""
        self.seller_rating = (
            translate(
                lang, "seller.rating", avg=f"{s.rating_avg_x10 / 10:.1f}", count=s.rating_count
            )
            if s.rating_count
            else translate(lang, "seller.no_reviews")
        )
        self.seller_since = translate(lang, "seller.member_since", date=member_since(d, lang))
        self.seller_completion = (
            translate(lang, "reviews.completion", percent=round(s.completion_rate * 100))
            if s.completion_rate is not None
            else translate(lang, "reviews.completion_none")
        )
        self.seller_no_shows = translate(lang, "reviews.no_shows", count=s.no_shows)
        self.seller_response = response_text(s.median_response_minutes, lang)
        self.is_own = d.is_own


def _distance_label(detail: catalog.ListingDetail, origin: tuple[float, float]) -> str:
    if detail.public_lat is None or detail.public_lon is None:
        return ""
    km = geo.distance_km(origin[0], origin[1], detail.public_lat, detail.public_lon)
    return geo.rounded_distance_label_km(km)
