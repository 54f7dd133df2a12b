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


def test_reflex_leaves_forwarded_for_to_the_app():
    # Handlers read the socket's peer from Reflex and apply TRUSTED_PROXY_HOPS
    # themselves (marketplace_app.client_address), so Reflex must not as well.
    assert rxconfig.config.trusted_proxy_hops == 0
