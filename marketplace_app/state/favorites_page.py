"""The /favorites page: hearts, and what the user looked at lately."""

from __future__ import annotations

import reflex as rx

from marketplace_app.services import favorites, recent
from marketplace_app.state.guard import current_user, login_required, run_read
from marketplace_app.state.session import LocaleState
from marketplace_app.state.views import CardView, card_view

PAGE = 48


class FavoritesPageState(rx.State):
    """The /favorites page: hearts, and what the user looked at lately."""

    cards: list[CardView] = []
    recent: list[CardView] = []
    total: int = 0
    loaded: bool = False

    @rx.event
    @login_required
    async def load(self):
        """Load the caller's favorites."""
        lang = (await self.get_state(LocaleState)).lang
        total, cards = await run_read(favorites.favorites, current_user().id, limit=PAGE)
        viewed = await run_read(recent.recently_viewed, current_user().id, limit=PAGE)
        self.total = total
        self.cards = [card_view(c, lang) for c in cards]
        self.recent = [card_view(c, lang) for c in viewed]
        self.loaded = True
