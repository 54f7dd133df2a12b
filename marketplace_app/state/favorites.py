"""Hearts on listings: which ones the caller keeps, and toggling them."""

from __future__ import annotations

import reflex as rx

from marketplace_app.ids import parse_id
from marketplace_app.services import favorites
from marketplace_app.services.errors import NotFound
from marketplace_app.state.guard import current_user, login_required, run_read, run_write


class FavoriteState(rx.State):
    """The ids of the caller's favorites, so every card can show a filled heart."""

    ids: list[int] = []

    async def _load(self, user_id: int | None) -> None:
        self.ids = await run_read(favorites.favorite_ids, user_id) if user_id else []

    @rx.event
    @login_required
    async def toggle(self, listing_id: int):
        """Heart or un-heart a listing."""
        listing_id = parse_id(listing_id)
        if listing_id is None:
            return
        try:
            now_favorite = await run_write(favorites.toggle, current_user().id, listing_id)
        except NotFound:
            return
        if now_favorite:
            self.ids = [listing_id, *self.ids]
        else:
            self.ids = [i for i in self.ids if i != listing_id]
