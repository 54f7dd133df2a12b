"""The cookie and language routes, called over HTTP as a browser would."""

import dataclasses

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from marketplace_app import client_address
from marketplace_app.api import routes
from marketplace_app.api.routes import make_api
from marketplace_app.db import read_session, write_session
from marketplace_app.models import AuthSession, User
from marketplace_app.services import accounts, auth_sessions
from marketplace_app.settings import settings
from marketplace_app.upload_sessions import upload_session

ORIGIN = {"Origin": settings.public_origin}


@pytest.fixture
def client(db):
    return TestClient(make_api(), base_url=settings.public_url)


@pytest.fixture
def user_id(db) -> int:
    with write_session() as s:
        user = accounts.register(
            s, name="Web", contact="web@example.com", password="password-123", locale="zh-CN"
        )
        s.flush()
        return user.id


def _ticket(user_id: int) -> str:
    with write_session() as s:
        return auth_sessions.issue_login_ticket(s, user_id)


def test_a_ticket_becomes_an_httponly_lax_cookie_once(client, user_id):
    ticket = _ticket(user_id)
    response = client.post("/api/session", json={"ticket": ticket}, headers=ORIGIN)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "mp_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    token = response.cookies["mp_session"]
    with read_session() as s:
        assert auth_sessions.session_user(s, token)[0].id == user_id
    again = client.post("/api/session", json={"ticket": ticket}, headers=ORIGIN)
    assert again.status_code == 401


def _other_user() -> int:
    with write_session() as s:
        user = accounts.register(
            s, name="Other", contact="other@example.com", password="password-456", locale="zh-CN"
        )
        s.flush()
        return user.id


def _locale_of(user_id: int) -> str:
    with read_session() as s:
        return s.get(User, user_id).locale


@pytest.mark.parametrize("same_user", [True, False], ids=["same user", "another user"])
def test_logging_in_over_a_session_ends_the_old_one(client, user_id, same_user):
    old = client.post("/api/session", json={"ticket": _ticket(user_id)}, headers=ORIGIN).cookies[
        "mp_session"
    ]
    # A refused ticket leaves the browser's session as it was.
    assert (
        client.post("/api/session", json={"ticket": "made-up"}, headers=ORIGIN).status_code == 401
    )
    with read_session() as s:
        assert auth_sessions.session_user(s, old)[0].id == user_id

    second = user_id if same_user else _other_user()
    response = client.post("/api/session", json={"ticket": _ticket(second)}, headers=ORIGIN)
    assert response.status_code == 200
    new = response.cookies["mp_session"]
    assert new != old
    with read_session() as s:
        assert auth_sessions.session_user(s, old) is None
        assert auth_sessions.session_user(s, new)[0].id == second

    # Replaying the old cookie authenticates nobody: the language is not saved to the account.
    replay = TestClient(make_api(), base_url=settings.public_url)
    replay.cookies.set("mp_session", old)
    assert replay.get("/api/locale", params={"to": "en"}, follow_redirects=False).status_code == 303
    assert _locale_of(user_id) == "zh-CN"
    replay.cookies.set("mp_session", new)
    replay.get("/api/locale", params={"to": "en"}, follow_redirects=False)
    assert _locale_of(second) == "en"


@pytest.mark.parametrize(("hops", "expected"), [(0, "testclient"), (1, "203.0.113.7")])
def test_the_session_keeps_the_client_address_behind_trusted_proxies(
    client, user_id, monkeypatch, hops, expected
):
    monkeypatch.setattr(
        client_address, "settings", dataclasses.replace(settings, trusted_proxy_hops=hops)
    )
    response = client.post(
        "/api/session",
        json={"ticket": _ticket(user_id)},
        headers={**ORIGIN, "X-Forwarded-For": "6.6.6.6, 203.0.113.7"},
    )
    assert response.status_code == 200
    with read_session() as s:
        assert s.exec(select(AuthSession.ip)).one() == expected


def test_a_foreign_origin_is_refused(client, user_id):
    response = client.post(
        "/api/session",
        json={"ticket": _ticket(user_id)},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"ticket": 5}', b"{}"])
def test_garbage_bodies_get_no_cookie(client, body):
    response = client.post(
        "/api/session", content=body, headers={**ORIGIN, "Content-Type": "application/json"}
    )
    assert response.status_code in (400, 401)
    assert "set-cookie" not in response.headers


def test_delete_ends_the_session_and_clears_the_cookie(client, user_id):
    token = client.post("/api/session", json={"ticket": _ticket(user_id)}, headers=ORIGIN).cookies[
        "mp_session"
    ]
    response = client.delete("/api/session", headers=ORIGIN)
    assert response.status_code == 200
    assert (
        'mp_session=""' in response.headers["set-cookie"]
        or "Max-Age=0" in response.headers["set-cookie"]
    )
    with read_session() as s:
        assert auth_sessions.session_user(s, token) is None


def test_locale_switch_sets_cookie_remembers_it_and_stays_on_site(client, user_id):
    client.post("/api/session", json={"ticket": _ticket(user_id)}, headers=ORIGIN)
    response = client.get(
        "/api/locale", params={"to": "en", "next": "/search?q=x"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/search?q=x"
    assert "mp_locale=en" in response.headers["set-cookie"]
    with read_session() as s:
        assert s.get(User, user_id).locale == "en"
    for hostile in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        response = client.get(
            "/api/locale", params={"to": "en", "next": hostile}, follow_redirects=False
        )
        assert response.headers["location"] == "/"


def test_an_unknown_locale_changes_nothing(client):
    response = client.get("/api/locale", params={"to": "fr", "next": "/"}, follow_redirects=False)
    assert response.status_code == 303
    assert "set-cookie" not in response.headers


def test_every_response_carries_security_headers(client):
    response = client.get("/api/locale", params={"to": "en"}, follow_redirects=False)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "strict-transport-security" not in response.headers  # http://: no HSTS


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in policy.split("; ")}


def test_the_policy_allows_only_this_origin_and_what_reflex_needs():
    plain = _directives(routes.content_security_policy(settings))
    host = settings.public_url.split("://", 1)[1]
    assert plain["default-src"] == ["'self'"]
    assert plain["connect-src"] == ["'self'", f"ws://{host}"]
    assert plain["img-src"] == ["'self'", "data:", "blob:"]
    assert plain["script-src"] == ["'self'", "'unsafe-inline'", "'unsafe-eval'"]
    assert plain["form-action"] == ["'self'"] and plain["base-uri"] == ["'self'"]
    assert not any("*" in value or "http" in value for values in plain.values() for value in values)
    secure = dataclasses.replace(settings, public_url="https://market.example")
    assert _directives(routes.content_security_policy(secure))["connect-src"] == [
        "'self'",
        "wss://market.example",
    ]


def test_https_adds_strict_transport_security():
    secure = dataclasses.replace(settings, public_url="https://market.example")
    headers = routes.security_headers(secure)
    assert headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in routes.security_headers(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(routes, "settings", secure)
        https_client = TestClient(routes.make_api(), base_url="https://market.example")
    response = https_client.get("/robots.txt")
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert "wss://market.example" in response.headers["content-security-policy"]


def test_oversized_or_unsized_uploads_are_refused_before_reading(client):
    from marketplace_app.api.routes import MAX_UPLOAD_REQUEST_BYTES

    too_big = {"Content-Length": str(MAX_UPLOAD_REQUEST_BYTES + 1)}
    assert client.post("/_upload", headers=too_big, content=b"x").status_code == 413

    def chunks():
        yield b"x"

    assert client.post("/_upload", content=chunks()).status_code == 411


def test_an_upload_request_lends_its_session_cookie_to_its_handler(db):
    """The app's middleware notes the upload's own cookie for the tab it names, while it runs."""
    seen = []

    async def reflex_upload_route(request):  # stands in for Reflex's own /_upload route
        seen.append(upload_session(request.headers["reflex-client-token"]))
        return PlainTextResponse("ok")

    api = make_api()
    api.mount("", Starlette(routes=[Route("/_upload", reflex_upload_route, methods=["POST"])]))
    browser = TestClient(api, base_url=settings.public_url)
    browser.cookies.set("mp_session", "the-session-id")
    tab = {"Reflex-Client-Token": "tab-1"}
    assert browser.post("/_upload", headers=tab, content=b"x").status_code == 200
    browser.cookies.clear()
    assert browser.post("/_upload", headers=tab, content=b"x").status_code == 200
    assert seen == ["the-session-id", None]
    assert upload_session("tab-1") is None  # forgotten once the request is over
