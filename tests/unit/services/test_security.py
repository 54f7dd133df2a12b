"""Random tokens and their keyed hashes."""

import dataclasses
import hashlib
import hmac
import re

from marketplace_app.services import security
from marketplace_app.settings import settings


def test_new_tokens_are_random_and_url_safe():
    tokens = {security.new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert len(security.new_token(16)) == 22


def test_token_hash_is_the_hmac_of_the_secret_key():
    digest = security.token_hash("abc")
    expected = hmac.new(settings.secret_key.encode(), b"abc", hashlib.sha256).hexdigest()
    assert digest == expected
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert security.token_hash("abc") == digest
    assert security.token_hash("abd") != digest


def test_token_hash_depends_on_the_key(monkeypatch):
    before = security.token_hash("abc")
    monkeypatch.setattr(
        "marketplace_app.services.security.settings",
        dataclasses.replace(settings, secret_key="another-key"),
    )
    assert security.token_hash("abc") != before
    assert security.token_hash("abc") != hashlib.sha256(b"abc").hexdigest()
