"""The client's address behind trusted proxies (TRUSTED_PROXY_HOPS)."""

import dataclasses

import pytest

from marketplace_app import client_address as module
from marketplace_app.client_address import client_address
from marketplace_app.settings import load_settings, settings


@pytest.mark.parametrize(
    ("forwarded_for", "hops", "expected"),
    [
        # No trusted proxy: whatever the client wrote is ignored.
        ("6.6.6.6", 0, "10.0.0.9"),
        ("6.6.6.6, 203.0.113.7", 0, "10.0.0.9"),
        (None, 0, "10.0.0.9"),
        # One proxy (nginx: $proxy_add_x_forwarded_for) appends the address it saw.
        ("203.0.113.7", 1, "203.0.113.7"),
        ("6.6.6.6, 203.0.113.7", 1, "203.0.113.7"),
        ("6.6.6.6,203.0.113.7 ,", 1, "203.0.113.7"),
        ("2001:db8::1", 1, "2001:db8::1"),
        # Two proxies: the second from the right is what the outer one saw.
        ("6.6.6.6, 203.0.113.7, 10.0.0.2", 2, "203.0.113.7"),
        # A shorter chain than configured, no header, or garbage: the peer.
        ("203.0.113.7", 2, "10.0.0.9"),
        (None, 1, "10.0.0.9"),
        ("", 1, "10.0.0.9"),
        ("not-an-address", 1, "10.0.0.9"),
    ],
)
def test_client_address(forwarded_for, hops, expected):
    assert client_address("10.0.0.9", forwarded_for, hops=hops) == expected


def test_the_setting_is_the_default(monkeypatch):
    monkeypatch.setattr(module, "settings", dataclasses.replace(settings, trusted_proxy_hops=1))
    assert client_address("10.0.0.9", "6.6.6.6, 203.0.113.7") == "203.0.113.7"
    monkeypatch.setattr(module, "settings", dataclasses.replace(settings, trusted_proxy_hops=0))
    assert client_address("10.0.0.9", "6.6.6.6, 203.0.113.7") == "10.0.0.9"


@pytest.mark.parametrize(("value", "hops"), [("", 0), ("2", 2), ("-1", 0)])
def test_trusted_proxy_hops_from_the_environment(monkeypatch, tmp_path, value, hops):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", value)
    assert load_settings().trusted_proxy_hops == hops
