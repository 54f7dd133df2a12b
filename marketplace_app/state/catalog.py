"""Browsing: the home page, a listing's page and the category/keyword list."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import money
from marketplace_app.services import catalog, media
from marketplace_app.services.errors import NotFound
from marketplace_app.state import forms
from marketplace_app.state.guard import public, resolve_user, run_read
from marketplace_app.state.session import LocaleState
from marketplace_app.state.views import (
    CardView,
    CategoryView,
    DeliveryView,
    ImageView,
    card_view,
    category_view,
    delivery_views,
    member_since,
    price_text,
)

HOME_SECTION = 8
BROWSE_PAGE = 24


def _home_data(session):
    categories = catalog.list_categories(session)
    _, newest = catalog.feed(session, limit=HOME_SECTION)
    _, shops = catalog.feed(session, kind="shop", limit=HOME_SECTION)
    _, neighbours = catalog.feed(session, kind="secondhand", limit=HOME_SECTION)
    return categories, newest, shops, neighbours


class HomeState(rx.State):
    """Categories and listing sections of the home page."""

    categories: list[CategoryView] = []
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
        try:
            categories, newest, shops, neighbours = await run_read(_home_data)
        except Exception:
            logging.getLogger(__name__).exception("home page load failed")
            self.failed = True
            self.loading = False
            return
        self.categories = [category_view(c.slug, c.icon, lang) for c in categories]
        self.newest = [card_view(c, lang) for c in newest]
        self.from_shops = [card_view(c, lang) for c in shops]
        self.from_neighbours = [card_view(c, lang) for c in neighbours]
        self.loading = False


class ListingState(rx.State):
    """One listing's page."""

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
    negotiable: bool = False
    images: list[ImageView] = []
    delivery: list[DeliveryView] = []
    seller_name: str = ""
    seller_kind: str = ""
    seller_href: str = ""
    seller_rating: str = ""
    seller_since: str = ""
    is_own: bool = False

    @rx.event
    @public
    async def load(self):
        """Load the listing named in the URL."""
        lang = (await self.get_state(LocaleState)).lang
        raw_id = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        self.loading = True
        self.title = ""
        self.images = []
        yield
        user = await resolve_user(self)
        try:
            listing_id = int(raw_id)
            detail = await run_read(catalog.listing_detail, listing_id, user.id if user else None)
        except (ValueError, NotFound):
            self.found = False
            self.loading = False
            return
        self._show(detail, lang)
        self.found = True
        self.loading = False

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
        self.is_own = d.is_own


class BrowseState(rx.State):
    """Listings by keyword and category, newest first (full search comes later)."""

    cards: list[CardView] = []
    total: int = 0
    page: int = 1
    keyword: str = ""
    category: str = ""
    kind: str = ""
    category_name: str = ""
    categories: list[CategoryView] = []
    loading: bool = True

    @rx.event
    @public
    async def load(self):
        """Read ``q``, ``category`` and ``page`` from the URL and load that page."""
        lang = (await self.get_state(LocaleState)).lang
        params = self.router.url.query_parameters
        self.keyword = str(params.get("q", ""))[:80]
        self.category = str(params.get("category", ""))[:40]
        kind = params.get("kind", "")
        self.kind = kind if kind in ("shop", "secondhand") else ""
        try:
            self.page = max(1, min(int(params.get("page", "1")), 1000))
        except ValueError:
            self.page = 1
        self.loading = True
        yield
        total, cards = await run_read(
            catalog.feed,
            keyword=self.keyword,
            kind=self.kind or None,
            category_slug=self.category or None,
            limit=BROWSE_PAGE,
            offset=(self.page - 1) * BROWSE_PAGE,
        )
        categories = await run_read(catalog.list_categories)
        self.categories = [category_view(c.slug, c.icon, lang) for c in categories]
        slugs = {c.slug for c in categories}
        self.category_name = (
            translate(lang, f"category.{self.category}") if self.category in slugs else ""
        )
        self.total = total
        self.cards = [card_view(c, lang) for c in cards]
        self.loading = False

    @rx.event
    @public
    def submit(self, form: dict):
        """Search again from the page's own box, keeping the category."""
        query = {"q": forms.text(form, "q", 80), "category": self.category, "kind": self.kind}
        return rx.redirect("/search?" + urlencode({k: v for k, v in query.items() if v}))

    @rx.var
    def has_next(self) -> bool:
        """Whether another page follows."""
        return self.page * BROWSE_PAGE < self.total

    @rx.var
    def next_href(self) -> str:
        """Link to the next page, keeping the query and category."""
        return self._href(self.page + 1)

    @rx.var
    def prev_href(self) -> str:
        """Link to the previous page."""
        return self._href(max(1, self.page - 1))

    def _href(self, page: int) -> str:
        pairs = (("q", self.keyword), ("category", self.category), ("kind", self.kind))
        query = {k: v for k, v in pairs if v}
        query["page"] = str(page)
        return "/search?" + urlencode(query)
