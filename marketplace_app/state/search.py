"""The search page: query, filters, sort and page all live in the URL."""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.models.catalog import CONDITIONS
from marketplace_app.services import catalog, geo, search
from marketplace_app.state import forms
from marketplace_app.state.guard import public, resolve_user, run_read
from marketplace_app.state.origin import origin_for
from marketplace_app.state.session import LocaleState
from marketplace_app.state.views import CardView, CategoryView, card_view, category_view

PARAMS = ("q", "category", "kind", "cond", "min", "max", "free", "radius", "near", "sort", "page")
KINDS = ("shop", "secondhand")
MAX_PRICE_TEXT = 12
PER_PAGE = 24


def _price_cents(text: str) -> int | None:
    """A price typed into a filter ("12", "12.5") as cents; junk is ignored."""
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value > 10_000_000:
        return None
    return int((value * 100).to_integral_value())


def clean_params(raw: dict) -> dict[str, str]:
    """The URL's search parameters, each validated; anything else is dropped.

    Args:
        raw: query parameters as the browser sent them.

    Returns:
        Only known, valid, non-empty parameters, as strings.
    """
    out: dict[str, str] = {}
    get = {k: str(raw.get(k, "")).strip() for k in PARAMS}
    if get["q"]:
        out["q"] = get["q"][:80]
    if get["category"].isascii() and get["category"].replace("_", "").isalnum():
        out["category"] = get["category"][:40]
    if get["kind"] in KINDS:
        out["kind"] = get["kind"]
    if get["cond"] in CONDITIONS:
        out["cond"] = get["cond"]
    for key in ("min", "max"):
        if get[key] and _price_cents(get[key][:MAX_PRICE_TEXT]) is not None:
            out[key] = get[key][:MAX_PRICE_TEXT]
    if get["free"] == "1":
        out["free"] = "1"
    if get["radius"] in {str(r) for r in search.RADII_KM}:
        out["radius"] = get["radius"]
    if get["near"] in geo.DISTRICTS:
        out["near"] = get["near"]
    if get["sort"] in search.SORTS and get["sort"] != "relevance":
        out["sort"] = get["sort"]
    page = get["page"]
    if page.isascii() and page.isdigit() and len(page) <= 4 and 1 < int(page) <= 1000:
        out["page"] = page
    return {k: v for k, v in out.items() if v}


def search_url(params: dict[str, str]) -> str:
    """The /search URL for a set of clean parameters."""
    return "/search?" + urlencode(params) if params else "/search"


class SearchState(rx.State):
    """Results for the parameters in the URL."""

    cards: list[CardView] = []
    total: int = 0
    params: dict[str, str] = {}
    categories: list[CategoryView] = []
    districts: list[str] = []
    heading: str = ""
    shown_query: str = ""
    loading: bool = True
    failed: bool = False
    filters_open: bool = False

    @rx.event
    @public
    async def load(self):
        """Run the search the URL describes."""
        lang = (await self.get_state(LocaleState)).lang
        params = clean_params(dict(self.router.url.query_parameters))
        self.params = params
        self.loading = True
        self.failed = False
        yield
        user = await resolve_user(self)
        page = int(params.get("page", "1"))
        query = search.SearchQuery(
            text=params.get("q", ""),
            category=params.get("category"),
            kind=params.get("kind"),
            conditions=(params["cond"],) if "cond" in params else (),
            min_price_cents=_price_cents(params["min"]) if "min" in params else None,
            max_price_cents=_price_cents(params["max"]) if "max" in params else None,
            free_only="free" in params,
            origin=origin_for(user, params.get("near")),
            radius_km=float(params["radius"]) if "radius" in params else None,
            sort=params.get("sort", "relevance"),
            page=page,
            per_page=PER_PAGE,
        )
        try:
            result = await run_read(search.search, query)
            categories = await run_read(catalog.list_categories)
        except Exception:
            logging.getLogger(__name__).exception("search failed")
            self.failed = True
            self.loading = False
            return
        self.categories = [category_view(c.slug, c.icon, lang) for c in categories]
        self.districts = list(geo.DISTRICTS)
        slugs = {c.slug for c in categories}
        category = params.get("category", "")
        self.heading = (
            translate(lang, f"category.{category}")
            if category in slugs
            else translate(lang, "search.title")
        )
        self.total = result.total
        self.cards = [card_view(c, lang) for c in result.cards]
        self.shown_query = urlencode(sorted(params.items()))
        self.loading = False

    @rx.event
    @public
    def submit(self, form: dict):
        """Search for the typed words, keeping the filters (back to page 1)."""
        params = {**self.params, "q": forms.text(form, "q", 80)}
        for key in ("min", "max"):
            if isinstance(form, dict) and key in form:
                params[key] = forms.text(form, key, MAX_PRICE_TEXT)
        params.pop("page", None)
        return rx.redirect(search_url(clean_params(params)))

    def _go(self, name: str, value: str):
        params = {**self.params, name: value}
        params.pop("page", None)
        return rx.redirect(search_url(clean_params(params)))

    @rx.event
    @public
    def set_filter(self, name: str, value: str):
        """Change one filter or the sort order (back to page 1)."""
        if name not in PARAMS or name == "page" or not isinstance(value, str):
            return None
        return self._go(name, value)

    @rx.event
    @public
    def set_free(self, checked: bool):
        """Show only free items, or everything."""
        return self._go("free", "1" if checked is True else "")

    @rx.event
    @public
    def toggle_filters(self):
        """Show or hide the filter panel on a phone."""
        self.filters_open = not self.filters_open

    @rx.var
    def f(self) -> dict[str, str]:
        """Every parameter, "" when unset (the filter controls' values)."""
        return {k: self.params.get(k, "") for k in PARAMS}

    @rx.var
    def active_filters(self) -> int:
        """How many filters are set (shown on the phone's filter button)."""
        return len([k for k in self.params if k not in ("q", "sort", "page")])

    @rx.var
    def has_next(self) -> bool:
        """Whether another page follows."""
        return self._page() * PER_PAGE < self.total

    @rx.var
    def next_href(self) -> str:
        """The next page's URL."""
        return search_url({**self.params, "page": str(self._page() + 1)})

    @rx.var
    def prev_href(self) -> str:
        """The previous page's URL."""
        page = self._page() - 1
        rest = {k: v for k, v in self.params.items() if k != "page"}
        return search_url({**rest, "page": str(page)} if page > 1 else rest)

    @rx.var
    def page_number(self) -> int:
        """The current page (1-based)."""
        return self._page()

    def _page(self) -> int:
        return int(self.params.get("page", "1"))
