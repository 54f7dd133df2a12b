"""The Reflex config takes its values from settings and never opens CORS to everyone."""

import rxconfig
from marketplace_app.settings import settings


def test_cors_allows_only_the_public_origin():
    origins = list(rxconfig.config.cors_allowed_origins)
    assert origins == [settings.public_origin]
    assert "*" not in origins


def test_database_and_telemetry():
    assert rxconfig.config.db_url == settings.database_url
    assert rxconfig.config.telemetry_enabled is False
