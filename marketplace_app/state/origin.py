"""Where distances are measured from for the current visitor."""

from __future__ import annotations

from marketplace_app.services import geo
from marketplace_app.settings import settings
from marketplace_app.state.guard import AuthUser


def origin_for(user: AuthUser | None, near: str | None = None) -> tuple[float, float]:
    """The visitor's search origin.

    Args:
        user: the logged-in user, if any.
        near: a district chosen in the URL, overriding the user's own.

    Returns:
        (lat, lon): the chosen district, the user's saved place or district,
        else the town centre.
    """
    town = (settings.town_lat, settings.town_lon)
    if near in geo.DISTRICTS:
        return geo.district_centre(near)
    if user is None:
        return town
    return geo.search_origin(user.lat, user.lon, user.district or None, town)
