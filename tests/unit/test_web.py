"""safe_next: where a login or language switch may send the browser on to."""

import dataclasses

import pytest

from marketplace_app import web
from marketplace_app.settings import settings


@pytest.mark.parametrize(
    "value",
    [
        "/",
        "/listing/12",
        "/search?q=%E8%9B%8B%E7%B3%95&page=2",
        "/orders/group/abc#top",
        "/a/b/../c",
    ],
)
def test_own_paths_are_kept(value):
    assert web.safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "//evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "/%0a/evil.example",
        "/\n/evil.example",
        "/%2F%2Fevil.example",
        "/%2f/evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "\\\\evil.example",
        "https:evil.example",
        "https://evil.example/",
        "http://127.0.0.1:3000/",
        "javascript:alert(1)",
        "evil.example",
        "/\x00/evil.example",
        "/\x7f",
        "/%C2%85/evil.example",  # NEL, a C1 control character
    ],
)
def test_anything_that_may_leave_the_site_becomes_home(value):
    assert web.safe_next(value) == "/"


def test_the_host_is_compared_with_public_url(monkeypatch):
    monkeypatch.setattr(
        web, "settings", dataclasses.replace(settings, public_url="https://market.example")
    )
    assert web.safe_next("/account") == "/account"
    assert web.safe_next("/%09/evil.example") == "/"


def test_long_values_are_cut_to_a_bounded_path():
    assert web.safe_next("/" + "a" * 1000) == "/" + "a" * (web.MAX_NEXT_LENGTH - 1)
