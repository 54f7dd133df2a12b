"""The header's category menu and search box."""

from __future__ import annotations

from urllib.parse import urlencode

import reflex as rx

from marketplace_app.services import catalog
from marketplace_app.state import forms
from marketplace_app.state.guard import public, run_read
from marketplace_app.state.views import CategoryView, category_view


class NavState(rx.State):
    """The header's category menu and search box."""

    categories: list[CategoryView] = []

    async def _load(self, lang: str) -> None:
        rows = await run_read(catalog.list_categories)
        self.categories = [category_view(c.slug, c.icon, lang) for c in rows]

    @rx.event
    @public
    def search(self, form: dict):
        """Run the search typed into the header box."""
        keyword = forms.text(form, "q", 80)
        return rx.redirect("/search?" + urlencode({"q": keyword}) if keyword else "/search")
