"""Every setting of the app, read from the environment in one place.

Defaults work on a fresh machine: a SQLite file and uploads under ``data/``,
in-process state, emails written to an outbox folder.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _load_secret_key(data_dir: Path) -> str:
    """Return SECRET_KEY from the environment, or one generated once into data/."""
    from_env = os.environ.get("SECRET_KEY", "").strip()
    if from_env:
        return from_env
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    """The app's configuration (see README for each variable)."""

    data_dir: Path
    database_url: str
    redis_url: str
    upload_dir: Path
    public_url: str
    port: int
    secret_key: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_starttls: bool
    mail_from: str
    outbox_dir: Path
    default_locale: str
    currency: str
    timezone: str
    market_name: str
    town_lat: float
    town_lon: float
    session_days: int
    secure_cookies: bool
    payment_gateway_url: str
    payment_webhook_secret: str
    sandbox_gateway: bool
    commission_shop_bp: int
    commission_resident_bp: int
    unpaid_expiry_minutes: int
    inspection_minutes: int
    auto_confirm_days: int
    offer_floor_pct: int
    offer_hours: int
    offer_reserve_hours: int
    offer_open_max: int
    message_rate_per_minute: int
    trusted_proxy_hops: int

    @property
    def public_origin(self) -> str:
        """Scheme and host of PUBLIC_URL, the only origin allowed by CORS."""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Read the settings from the environment.

    Returns:
        A frozen Settings object.
    """
    data_dir = Path(_env("DATA_DIR", str(PROJECT_DIR / "data"))).resolve()
    port = int(_env("PORT", "3000"))
    smtp_port = int(_env("SMTP_PORT", "25"))
    public_url = _env("PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/")
    secret_key = _load_secret_key(data_dir)
    return Settings(
        data_dir=data_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{data_dir / 'marketplace.db'}"),
        redis_url=_env("REDIS_URL", ""),
        upload_dir=Path(_env("UPLOAD_DIR", str(data_dir / "uploads"))).resolve(),
        public_url=public_url,
        port=port,
        secret_key=secret_key,
        smtp_host=_env("SMTP_HOST", ""),
        smtp_port=smtp_port,
        smtp_user=_env("SMTP_USER", ""),
        smtp_password=_env("SMTP_PASSWORD", ""),
        smtp_starttls=_env("SMTP_STARTTLS", "false").lower() in ("1", "true", "yes"),
        mail_from=_env("MAIL_FROM", "marketplace@localhost"),
        outbox_dir=Path(_env("OUTBOX_DIR", str(data_dir / "outbox"))).resolve(),
        default_locale=_env("DEFAULT_LOCALE", "zh-CN"),
        currency=_env("CURRENCY", "CNY"),
        timezone=_env("TIMEZONE", "Asia/Shanghai"),
        market_name=_env("MARKET_NAME", "Riverside Market"),
        town_lat=float(_env("TOWN_LAT", "52.5174")),
        town_lon=float(_env("TOWN_LON", "13.4108")),
        session_days=int(_env("SESSION_DAYS", "30")),
        secure_cookies=public_url.startswith("https://"),
        # Hosted-checkout gateway; by default the sandbox inside this app.
        payment_gateway_url=_env("PAYMENT_GATEWAY_URL", f"{public_url}/sandbox-gateway").rstrip(
            "/"
        ),
        # Unset: derived from SECRET_KEY, which suits the in-app sandbox gateway.
        payment_webhook_secret=_env(
            "PAYMENT_WEBHOOK_SECRET",
            hashlib.sha256(f"webhook:{secret_key}".encode()).hexdigest(),
        ),
        sandbox_gateway=_env("SANDBOX_GATEWAY", "true").lower() in ("1", "true", "yes"),
        commission_shop_bp=int(_env("COMMISSION_SHOP_BP", "500")),
        commission_resident_bp=int(_env("COMMISSION_RESIDENT_BP", "300")),
        unpaid_expiry_minutes=int(_env("UNPAID_EXPIRY_MINUTES", "15")),
        inspection_minutes=int(_env("INSPECTION_MINUTES", "30")),
        auto_confirm_days=int(_env("AUTO_CONFIRM_DAYS", "7")),
        # Offers: the lowest offer as a percentage of the price, how long an
        # offer stays open, how long an accepted one holds the item.
        offer_floor_pct=int(_env("OFFER_FLOOR_PCT", "50")),
        offer_hours=int(_env("OFFER_HOURS", "48")),
        offer_reserve_hours=int(_env("OFFER_RESERVE_HOURS", "24")),
        offer_open_max=int(_env("OFFER_OPEN_MAX", "3")),
        message_rate_per_minute=int(_env("MESSAGE_RATE_PER_MINUTE", "20")),
        # Reverse proxies in front of the app that append to X-Forwarded-For;
        # 0 ignores the header (anyone can send one).
        trusted_proxy_hops=max(0, int(_env("TRUSTED_PROXY_HOPS", "0"))),
    )


settings = load_settings()
