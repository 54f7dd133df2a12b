"""Serve the demo town for a browser benchmark, the way the browser tests do.

``reflex run --env prod`` on a free port, in a private data directory that
is removed afterwards; the demo data is seeded first.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import _app_env, _free_port, _stop, _wait_until_up  # noqa: E402


@contextmanager
def demo_app(prefix: str, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the demo town; yields its base URL.

    Args:
        prefix: the name prefix of the private data directory.
        extra_env: settings for this run (e.g. a raised rate limit, REDIS_URL).
    """
    port = _free_port()
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    env = {**_app_env(port, data_dir, smtp_port=_free_port()), **(extra_env or {})}
    py = sys.executable
    for cmd in (["migrate"], ["seed-demo", "--if-empty"]):
        subprocess.run([py, "-m", "marketplace_app.cli", *cmd], cwd=ROOT, env=env, check=True)
    log_path = data_dir / "app.log"
    try:
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [
                    py, "-m", "reflex", "run", "--env", "prod",
                    "--frontend-port", str(port), "--backend-port", str(port),
                    "--backend-host", "127.0.0.1",
                ],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(url, proc, log_path)
                yield url
            finally:
                _stop(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
