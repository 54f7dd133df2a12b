"""Reflex configuration, built from marketplace_app.settings."""

import os

import reflex as rx

from marketplace_app.settings import settings

# Every reflex command and backend worker loads this file first: a production
# deployment with an unsafe configuration stops here, before anything is served.
settings.refuse_unsafe_start()

# Reflex reads these from the environment, not from rx.Config.
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")
os.environ.setdefault("REFLEX_UPLOADED_FILES_DIR", str(settings.upload_dir))

config = rx.Config(
    app_name="marketplace_app",
    db_url=settings.database_url,
    redis_url=settings.redis_url or None,
    telemetry_enabled=False,
    cors_allowed_origins=[settings.public_origin],
    frontend_port=settings.port,
    backend_port=settings.port,
    backend_host="127.0.0.1" if settings.public_url.startswith("http://127.0.0.1") else "0.0.0.0",
    api_url=settings.public_url,
    deploy_url=settings.public_url,
    show_built_with_reflex=False,
    # Handlers see the socket's peer as router.session.client_ip; the app applies
    # TRUSTED_PROXY_HOPS itself (marketplace_app.client_address), once.
    trusted_proxy_hops=0,
    plugins=[
        rx.plugins.SitemapPlugin(),
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(
                accent_color="grass", gray_color="sage", radius="medium", appearance="light"
            )
        ),
    ],
)
