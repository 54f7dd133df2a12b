"""Test-wide environment: a private data dir, set before the app is imported."""

import os
import tempfile

_DATA = tempfile.mkdtemp(prefix="mp-test-data-")
os.environ.setdefault("DATA_DIR", _DATA)
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_DATA}/test.db")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ["REFLEX_TELEMETRY_ENABLED"] = "false"
os.environ["REFLEX_CHECK_LATEST_VERSION"] = "false"
