"""Every setting of the app, read from the environment in one place.

Defaults work on a fresh machine: a SQLite file and uploads under ``data/``,
in-process state, emails written to an outbox folder.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT, PRODUCTION = "development", "production"
# Where this app serves its own stand-in payment gateway (when SANDBOX_GATEWAY is on).
SANDBOX_GATEWAY_PATH = "/sandbox-gateway"
MIN_SECRET_KEY_BYTES = 32


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _is_production(market_env: str, public_url: str) -> bool:
    return market_env == PRODUCTION or public_url.startswith("https://")


def _load_secret_key(data_dir: Path, production: bool) -> str:
    """Return SECRET_KEY from the environment, or one generated once into data/.

    In production only the environment counts ("" when unset): a key file made
    on one machine would silently differ from the next machine's.
    """
    from_env = os.environ.get("SECRET_KEY", "").strip()
    if from_env or production:
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

    market_env: str
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
    def production(self) -> bool:
        """Whether this is a real deployment: MARKET_ENV=production or an https PUBLIC_URL."""
        return _is_production(self.market_env, self.public_url)

    @property
    def public_origin(self) -> str:
        """Scheme and host of PUBLIC_URL, the only origin allowed by CORS."""
        parts = urlsplit(self.public_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def serves_sandbox_gateway(self) -> bool:
        """Whether this app serves the sandbox gateway: switched on, and the configured gateway."""
        return (
            self.sandbox_gateway
            and self.payment_gateway_url == self.public_url + SANDBOX_GATEWAY_PATH
        )

    def production_problems(self) -> list[str]:
        """What makes this configuration unsafe to serve real users with.

        Outside production only an unknown ``MARKET_ENV`` counts (a typo must
        not quietly mean development).

        Returns:
            One sentence per problem, each naming the variable to fix; empty
            when the app may start.
        """
        if self.market_env not in (DEVELOPMENT, PRODUCTION):
            return [f"MARKET_ENV is {self.market_env!r}: set it to development or production."]
        if not self.production:
            return []
        found = []
        if not self.public_url.startswith("https://"):
            found.append("PUBLIC_URL must be the https:// address users reach the market at.")
        key_bytes = len(self.secret_key.encode("utf-8"))
        if key_bytes < MIN_SECRET_KEY_BYTES:
            state = f"only {key_bytes} bytes long" if key_bytes else "missing"
            found.append(
                f"SECRET_KEY is {state}: set it to a random value of at least "
                f"{MIN_SECRET_KEY_BYTES} bytes (for example the output of "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
            )
        if self.sandbox_gateway:
            found.append(
                "SANDBOX_GATEWAY is on: set SANDBOX_GATEWAY=false (the sandbox lets anyone "
                "pay without money)."
            )
        gateway, own = urlsplit(self.payment_gateway_url), urlsplit(self.public_url)
        if gateway.netloc.lower() == own.netloc.lower() or gateway.path.startswith(
            SANDBOX_GATEWAY_PATH
        ):
            found.append(
                "PAYMENT_GATEWAY_URL is unset or points at this app's own "
                f"{SANDBOX_GATEWAY_PATH}: set it to your payment gateway's URL."
            )
        if not self.payment_webhook_secret:
            found.append(
                "PAYMENT_WEBHOOK_SECRET is unset: set it to the webhook signing secret "
                "of your payment gateway."
            )
        return found

    def refuse_unsafe_start(self) -> None:
        """Stop the process with one clear paragraph when :meth:`production_problems` finds any.

        Called wherever the app starts: rxconfig.py (every ``reflex`` command
        and backend worker) and the operator CLI.

        Raises:
            SystemExit: with status 2, after printing the problems to stderr.
        """
        problems = self.production_problems()
        if not problems:
            return
        why = (
            " This is a production deployment (MARKET_ENV=production or an https:// "
            "PUBLIC_URL) and its configuration is unsafe."
            if self.production
            else ""
        )
        print(
            f"Refusing to start.{why} {' '.join(problems)} "
            "Fix these environment variables and start again.",
            file=sys.stderr,
        )
        raise SystemExit(2)


def load_settings() -> Settings:
    """Read the settings from the environment.

    Returns:
        A frozen Settings object.
    """
    market_env = _env("MARKET_ENV", DEVELOPMENT).lower()
    data_dir = Path(_env("DATA_DIR", str(PROJECT_DIR / "data"))).resolve()
    port = int(_env("PORT", "3000"))
    smtp_port = int(_env("SMTP_PORT", "25"))
    public_url = _env("PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/")
    production = _is_production(market_env, public_url)
    secret_key = _load_secret_key(data_dir, production)
    return Settings(
        market_env=market_env,
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
        payment_gateway_url=_env(
            "PAYMENT_GATEWAY_URL", f"{public_url}{SANDBOX_GATEWAY_PATH}"
        ).rstrip("/"),
        # Unset: derived from SECRET_KEY, which suits the in-app sandbox gateway;
        # a real gateway (production) signs with a secret of its own.
        payment_webhook_secret=_env(
            "PAYMENT_WEBHOOK_SECRET",
            "" if production else hashlib.sha256(f"webhook:{secret_key}".encode()).hexdigest(),
        ),
        sandbox_gateway=_env("SANDBOX_GATEWAY", "false" if production else "true").lower()
        in ("1", "true", "yes"),
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
