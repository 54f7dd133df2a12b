"""Browser tests: the real app (``reflex run --env prod``), a real SMTP server, Debian chromium.

One app per test session, started the way ``make run`` starts it, on a free
loopback port with its own data directory, seeded with the demo town.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
START_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mailbox:
    """Messages received by the test SMTP server."""

    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook name)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def wait_for(self, to: str, timeout: float = 20.0) -> EmailMessage:
        """The newest message to ``to``, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in reversed(self.messages):
                if to.lower() in str(msg["To"]).lower():
                    return msg
            time.sleep(0.2)
        raise AssertionError(f"no email to {to} within {timeout}s")


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(port=_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@dataclass
class App:
    """The running app under test."""

    url: str
    data_dir: Path
    env: dict[str, str]


def _app_env(port: int, data_dir: Path, smtp_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir}/e2e.db",
        PORT=str(port),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY="e2e-secret-key",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        # As behind nginx: each browser context sends its own address (see `browser`).
        TRUSTED_PROXY_HOPS="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_USE_SYSTEM_BUN="1",
        # A private build dir: several e2e runs (or a `make run`) never share one.
        REFLEX_WEB_WORKDIR=str(data_dir / "web"),
        REFLEX_STATES_WORKDIR=str(data_dir / "states"),
        PATH=os.pathsep.join(
            [
                str(ROOT / "tools" / "node_modules" / ".bin"),
                str(Path(sys.executable).parent),
                os.environ["PATH"],
            ]
        ),
    )
    return env


@pytest.fixture(scope="session")
def app(mailbox) -> Iterator[App]:
    port = _free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="mp-e2e-"))
    env = _app_env(port, data_dir, mailbox.port)
    py = sys.executable
    for cmd in (["migrate"], ["seed-demo", "--if-empty"]):
        subprocess.run([py, "-m", "marketplace_app.cli", *cmd], cwd=ROOT, env=env, check=True)
    log = open(data_dir / "app.log", "wb")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen(
        [
            py,
            "-m",
            "reflex",
            "run",
            "--env",
            "prod",
            "--frontend-port",
            str(port),
            "--backend-port",
            str(port),
            "--backend-host",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, proc, data_dir / "app.log")
        yield App(url=url, data_dir=data_dir, env=env)
    finally:
        _stop(proc)
        log.close()


def _wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited early:\n{log.read_text()[-4000:]}")
        try:
            if (
                httpx.get(f"{url}/ping", timeout=2).status_code == 200
                and httpx.get(url, timeout=5).status_code == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"app did not start in {START_TIMEOUT_S}s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


class _Residents:
    """The browser, each of whose contexts is a resident with an address of its own.

    The app trusts one proxy hop; every context sends ``X-Forwarded-For`` with
    an address from 198.18.0.0/15 (kept for tests), so the per-address limits
    (sign-ups above all) see many residents, not one machine registering dozens.
    """

    def __init__(self, browser) -> None:
        self._browser = browser
        self._addresses = itertools.count(1)

    def new_context(self, **kwargs):
        n = next(self._addresses)
        headers = {"X-Forwarded-For": f"198.18.{n // 250}.{n % 250 + 1}"}
        headers.update(kwargs.pop("extra_http_headers", None) or {})
        return self._browser.new_context(extra_http_headers=headers, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(browser):
    return _Residents(browser)


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def size(request) -> str:
    return request.param


def watch_csp(context) -> list[str]:
    """Collect the Content-Security-Policy violations chromium reports in ``context``."""
    seen: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            seen.append(f"{message.location.get('url', '')}: {message.text}")

    context.on("console", on_console)
    return seen


@pytest.fixture
def ui(browser, app, size):
    """A fresh browser context (no cookies) at the parametrized viewport.

    The test fails afterwards if a page broke the Content-Security-Policy.
    """
    context = browser.new_context(viewport=VIEWPORTS[size], base_url=app.url, locale="en-US")
    context.set_default_timeout(15_000)
    violations = watch_csp(context)
    page = context.new_page()
    yield page
    context.close()
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
