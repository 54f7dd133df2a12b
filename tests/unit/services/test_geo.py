"""Public positions, distances and distance labels."""

import math

import pytest

from marketplace_app.services import geo


def test_public_position_rounds_to_the_grid():
    lat, lon = geo.public_position(52.51739, 13.41081)
    assert (lat, lon) == (52.518, 13.41)
    assert geo.public_position(52.5169, 13.4109) == (52.516, 13.41)


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(52.45, 13.3), (52.583456, 13.521111), (52.5001, 13.40099), (-33.86785, 151.20732)],
)
def test_public_position_stays_close_and_on_the_grid(lat, lon):
    plat, plon = geo.public_position(lat, lon)
    assert abs(plat - lat) <= 0.001 + 1e-9
    assert abs(plon - lon) <= 0.001 + 1e-9
    for value in (plat, plon):
        steps = value / geo.PUBLIC_GRID_DEG
        assert abs(steps - round(steps)) < 1e-6
        assert value == round(value, 3)


def test_public_position_hides_nearby_points_in_one_cell():
    assert geo.public_position(52.5181, 13.4101) == geo.public_position(52.5175, 13.4095)


def test_distance_km_known_values():
    assert geo.distance_km(52.5, 13.4, 52.5, 13.4) == 0.0
    # One degree of latitude is about 111.2 km on the mean-radius sphere.
    assert geo.distance_km(52.0, 13.0, 53.0, 13.0) == pytest.approx(111.19, abs=0.05)
    # Berlin (Alexanderplatz) to Potsdam (Hauptbahnhof), ~27 km.
    assert geo.distance_km(52.5219, 13.4132, 52.3915, 13.0671) == pytest.approx(27.3, abs=0.5)
    # Symmetric
    a = geo.distance_km(52.45, 13.3, 52.58, 13.52)
    assert a == pytest.approx(geo.distance_km(52.58, 13.52, 52.45, 13.3))


def test_distance_across_the_town_box_is_its_diagonal():
    lat0, lon0 = geo.km_to_position(0, 0)
    lat1, lon1 = geo.km_to_position(geo.BOX_KM, geo.BOX_KM)
    assert geo.distance_km(lat0, lon0, lat1, lon1) == pytest.approx(15 * math.sqrt(2), rel=0.01)


@pytest.mark.parametrize(
    ("km", "label"),
    [
        (0.0, "<1 km"),
        (0.3, "<1 km"),
        (0.999, "<1 km"),
        (1.0, "~1 km"),
        (1.49, "~1 km"),
        (1.5, "~2 km"),
        (2.4, "~2 km"),
        (2.5, "~3 km"),
        (12.7, "~13 km"),
        (float("nan"), "<1 km"),
    ],
)
def test_rounded_distance_label(km, label):
    assert geo.rounded_distance_label_km(km) == label


def test_districts_lie_in_the_box():
    assert len(geo.DISTRICTS) == 12
    for name in geo.DISTRICTS:
        lat, lon = geo.district_centre(name)
        assert geo.BOX_LAT0 <= lat <= geo.BOX_LAT0 + geo.BOX_DLAT
        assert geo.BOX_LON0 <= lon <= geo.BOX_LON0 + geo.BOX_DLON
    with pytest.raises(KeyError):
        geo.district_centre("Atlantis")


def test_search_origin_prefers_saved_position_then_district_then_fallback():
    from marketplace_app.services.geo import district_centre, search_origin

    town = (52.5, 13.4)
    assert search_origin(52.51, 13.45, "Old Town", town) == (52.51, 13.45)
    assert search_origin(None, None, "Old Town", town) == district_centre("Old Town")
    assert search_origin(None, None, "Atlantis", town) == town
    assert search_origin(None, None, None, town) == town
