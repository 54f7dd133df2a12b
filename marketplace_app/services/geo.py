"""Small geography helpers: public (rounded) positions, distances and labels.

A listing's exact pickup spot never leaves the server; what visitors see, and
what distance search works on, is the position rounded to a grid of
``PUBLIC_GRID_DEG`` degrees (about 220 m north-south, 135 m east-west here).

The town's districts are the ones of the catalog generator
(``shared/datasets/catalog.py``): a 15 km square whose south-west corner is
``BOX_LAT0``/``BOX_LON0``, each district given by its centre in km from there.
"""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0088
PUBLIC_GRID_DEG = 0.002

KM_PER_DEG_LAT = 111.32
BOX_LAT0, BOX_LON0 = 52.4500, 13.3000
BOX_KM = 15.0
BOX_DLAT = BOX_KM / KM_PER_DEG_LAT
BOX_DLON = BOX_KM / (KM_PER_DEG_LAT * math.cos(math.radians(BOX_LAT0 + BOX_DLAT / 2)))

# District name -> centre as (km east, km north) of the box's south-west corner.
DISTRICTS: dict[str, tuple[float, float]] = {
    "Old Town": (7.5, 7.5),
    "Riverside": (5.0, 6.0),
    "Northgate": (7.0, 13.0),
    "Millbrook": (2.5, 11.5),
    "Eastfield": (12.5, 8.0),
    "Harborside": (10.5, 3.0),
    "Westend": (2.0, 6.5),
    "Oakridge": (12.0, 12.5),
    "Southpark": (6.5, 2.0),
    "University Quarter": (9.5, 10.0),
    "Station Quarter": (8.5, 5.5),
    "Hillcrest": (3.0, 2.5),
}


def _round_to_grid(value: float) -> float:
    # round() on the step count, then again to kill binary noise (52.518000000000001).
    return round(round(value / PUBLIC_GRID_DEG) * PUBLIC_GRID_DEG, 6)


def public_position(lat: float, lon: float) -> tuple[float, float]:
    """The position shown to the public: each coordinate rounded to 0.002 degrees.

    Args:
        lat: Exact latitude in degrees.
        lon: Exact longitude in degrees.

    Returns:
        ``(public_lat, public_lon)``, each within 0.001 degrees of the input.
    """
    return _round_to_grid(lat), _round_to_grid(lon)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (haversine formula).

    Args:
        lat1: Latitude of the first point in degrees.
        lon1: Longitude of the first point in degrees.
        lat2: Latitude of the second point in degrees.
        lon2: Longitude of the second point in degrees.

    Returns:
        The distance in kilometres.
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def rounded_distance_label_km(km: float) -> str:
    """A coarse distance for display, never finer than a kilometre.

    Args:
        km: A distance in kilometres (computed from public positions).

    Returns:
        ``"<1 km"`` below one kilometre, otherwise ``"~N km"`` with N rounded
        half up (``1.4`` -> ``"~1 km"``, ``2.5`` -> ``"~3 km"``).
    """
    if math.isnan(km) or km < 1.0:
        return "<1 km"
    return f"~{int(km + 0.5)} km"


def km_to_position(east_km: float, north_km: float) -> tuple[float, float]:
    """Convert km offsets from the box's south-west corner to ``(lat, lon)``.

    Args:
        east_km: Kilometres east of ``BOX_LON0`` (clamped to the box).
        north_km: Kilometres north of ``BOX_LAT0`` (clamped to the box).

    Returns:
        ``(lat, lon)`` rounded to 6 decimals, like the catalog files.
    """
    x = min(max(east_km, 0.0), BOX_KM)
    y = min(max(north_km, 0.0), BOX_KM)
    return round(BOX_LAT0 + y / BOX_KM * BOX_DLAT, 6), round(BOX_LON0 + x / BOX_KM * BOX_DLON, 6)


def district_centre(name: str) -> tuple[float, float]:
    """The centre of a district as ``(lat, lon)``.

    Args:
        name: One of :data:`DISTRICTS`.

    Returns:
        ``(lat, lon)`` of the district's centre.

    Raises:
        KeyError: For an unknown district.
    """
    east, north = DISTRICTS[name]
    return km_to_position(east, north)


def search_origin(
    lat: float | None, lon: float | None, district: str | None, fallback: tuple[float, float]
) -> tuple[float, float]:
    """Where "near me" is: a saved position, else a district's centre, else ``fallback``.

    Args:
        lat: a saved latitude (or None).
        lon: a saved longitude (or None).
        district: a district name (unknown names are ignored).
        fallback: usually the town centre from settings.

    Returns:
        (lat, lon).
    """
    if lat is not None and lon is not None:
        return lat, lon
    if district in DISTRICTS:
        return district_centre(district)
    return fallback
