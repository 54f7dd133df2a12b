"""Settings: production mode, its safer defaults, and the refusal to start unsafely."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace_app import cli
from marketplace_app.settings import PROJECT_DIR, load_settings, settings

GOOD_KEY = "k" * 32
SAFE_PRODUCTION = {
    "MARKET_ENV": "production",
    "PUBLIC_URL": "https://market.example",
    "SECRET_KEY": GOOD_KEY,
    "SANDBOX_GATEWAY": "false",
    "PAYMENT_GATEWAY_URL": "https://pay.example/v1",
    "PAYMENT_WEBHOOK_SECRET": "whsec-from-the-gateway",
}
PRODUCTION_VARIABLES = ("MARKET_ENV", *SAFE_PRODUCTION)


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment for load_settings: a private DATA_DIR, no production variables."""
    for name in PRODUCTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))

    def set_env(**values: str):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return load_settings()

    return set_env


def _production(**changes) -> object:
    safe = dataclasses.replace(
        settings,
        market_env="production",
        public_url="https://market.example",
        secret_key=GOOD_KEY,
        sandbox_gateway=False,
        payment_gateway_url="https://pay.example/v1",
        payment_webhook_secret="whsec",
    )
    return dataclasses.replace(safe, **changes)


# --- which mode --------------------------------------------------------------------------


def test_development_is_the_default(env):
    loaded = env()
    assert loaded.market_env == "development" and not loaded.production
    assert loaded.sandbox_gateway and loaded.production_problems() == []


def test_market_env_or_an_https_public_url_mean_production(env):
    assert env(MARKET_ENV="production").production
    assert env(MARKET_ENV="", PUBLIC_URL="https://market.example").production


def test_an_unknown_market_env_is_refused_in_any_mode(env):
    problems = env(MARKET_ENV="prod").production_problems()
    assert len(problems) == 1 and "MARKET_ENV" in problems[0]


# --- safer defaults in production -----------------------------------------------------


def test_production_never_generates_a_key_file(env, tmp_path):
    loaded = env(MARKET_ENV="production")
    assert loaded.secret_key == ""
    assert not (tmp_path / "secret_key").exists()
    assert env(MARKET_ENV="development").secret_key
    assert (tmp_path / "secret_key").exists()


def test_production_turns_the_sandbox_off_and_derives_no_webhook_secret(env):
    loaded = env(MARKET_ENV="production", SECRET_KEY=GOOD_KEY)
    assert loaded.sandbox_gateway is False
    assert loaded.payment_webhook_secret == ""
    assert env(**SAFE_PRODUCTION).production_problems() == []


# --- the problems, each naming its variable -------------------------------------------


def test_a_safe_production_configuration_has_no_problems():
    assert _production().production_problems() == []


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"secret_key": ""}, "SECRET_KEY"),
        ({"secret_key": "k" * 31}, "SECRET_KEY"),
        ({"secret_key": "密" * 10}, "SECRET_KEY"),  # 30 bytes in UTF-8
        ({"sandbox_gateway": True}, "SANDBOX_GATEWAY"),
        ({"payment_gateway_url": "https://market.example/sandbox-gateway"}, "PAYMENT_GATEWAY_URL"),
        ({"payment_gateway_url": "http://127.0.0.1:3000/sandbox-gateway"}, "PAYMENT_GATEWAY_URL"),
        ({"payment_gateway_url": "https://MARKET.example/pay"}, "PAYMENT_GATEWAY_URL"),
        ({"payment_webhook_secret": ""}, "PAYMENT_WEBHOOK_SECRET"),
        ({"public_url": "http://market.example"}, "PUBLIC_URL"),
    ],
)
def test_each_unsafe_setting_is_a_problem_naming_its_variable(changes, variable):
    problems = _production(**changes).production_problems()
    assert len(problems) == 1
    assert problems[0].startswith(variable)


def test_the_same_settings_are_fine_outside_production():
    lax = _production(
        market_env="development",
        public_url="http://127.0.0.1:3000",
        secret_key="short",
        sandbox_gateway=True,
        payment_gateway_url="http://127.0.0.1:3000/sandbox-gateway",
    )
    assert lax.production_problems() == []


def test_refusing_prints_one_paragraph_and_exits_non_zero(capsys):
    with pytest.raises(SystemExit) as stop:
        _production(secret_key="", sandbox_gateway=True).refuse_unsafe_start()
    assert stop.value.code == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message
    assert "SECRET_KEY" in message and "SANDBOX_GATEWAY" in message
    _production().refuse_unsafe_start()  # a safe one passes


# --- the CLI ------------------------------------------------------------------------------


def test_seed_demo_refuses_in_production_even_when_configured_safely(db, monkeypatch, capsys):
    monkeypatch.setattr(cli, "settings", _production())
    assert cli.main(["seed-demo", "--if-empty"]) == 2
    assert "production" in capsys.readouterr().err
    from marketplace_app.db import read_session
    from marketplace_app.services import demo

    with read_session() as session:
        assert demo.is_empty(session)


def test_every_cli_command_refuses_an_unsafe_production(monkeypatch, capsys):
    monkeypatch.setattr(cli, "settings", _production(secret_key=""))
    with pytest.raises(SystemExit):
        cli.main(["migrate"])
    assert "SECRET_KEY" in capsys.readouterr().err


# --- the real start commands, as an operator runs them -----------------------------------


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_VARIABLES}
    clean.update(DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", **env)
    return subprocess.run(
        args, cwd=PROJECT_DIR, env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "marketplace_app.cli", "migrate"],
        [sys.executable, "-m", "marketplace_app.cli", "seed-demo", "--if-empty"],
        [str(Path(sys.executable).parent / "reflex"), "run", "--env", "prod"],
    ],
    ids=["migrate", "seed-demo", "reflex-run"],
)
def test_starting_in_production_without_a_secret_key_is_refused(command, tmp_path):
    done = _run(command, tmp_path, MARKET_ENV="production", PUBLIC_URL="https://market.example")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Refusing to start" in done.stderr
    assert "SECRET_KEY is missing" in done.stderr
    assert "PAYMENT_GATEWAY_URL" in done.stderr
    assert not (tmp_path / "secret_key").exists()
    assert not (tmp_path / "p.db").exists()


def test_run_script_does_not_seed_the_demo_town_in_production(tmp_path):
    """scripts/run.sh as `make run` calls it, with a stand-in for the final `reflex run`."""
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    (root / ".venv" / "bin").mkdir(parents=True)
    for name in ("run.sh", "env.sh"):
        (root / "scripts" / name).write_text((PROJECT_DIR / "scripts" / name).read_text())
    (root / "marketplace_app").symlink_to(PROJECT_DIR / "marketplace_app")
    stubs = {
        "python": f'#!/bin/sh\nexec "{sys.executable}" "$@"\n',
        "reflex": '#!/bin/sh\necho "reflex $*" > "$DATA_DIR/reflex-started"\n',
    }
    for name, text in stubs.items():
        (root / ".venv" / "bin" / name).write_text(text)
        (root / ".venv" / "bin" / name).chmod(0o755)
    done = _run(["bash", str(root / "scripts" / "run.sh")], tmp_path, **SAFE_PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Production: no demo data" in done.stdout
    assert (tmp_path / "reflex-started").read_text().startswith("reflex run --env prod")
    from sqlmodel import Session, func, select

    from marketplace_app.db import get_engines
    from marketplace_app.models import User

    engines = get_engines(f"sqlite:///{tmp_path / 'p.db'}")
    with Session(engines[0]) as session:
        assert session.exec(select(func.count()).select_from(User)).one() == 0
    for engine in engines:
        engine.dispose()
