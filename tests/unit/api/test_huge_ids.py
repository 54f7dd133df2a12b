"""Every API route with an id in its path answers 4xx, never 500, for ids too big for a column."""

from __future__ import annotations

import re
import uuid

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from marketplace_app.api.routes import make_api
from marketplace_app.db import write_session
from marketplace_app.ids import MAX_ID
from marketplace_app.services import auth_sessions
from marketplace_app.settings import settings
from tests.unit.both_databases import app_db, pg_app_url  # noqa: F401  (fixtures)
from tests.unit.services.conftest import make_user

HUGE = [
    str(MAX_ID + 1),
    str(2**63),
    "99999999999999999999",
    "9" * 5000,
    "-1",
    "0",
    "1e9",
    "%D9%A3",  # an Arabic-Indic digit
]
PARAM = re.compile(r"\{([a-z_]+)(:[a-z]+)?\}")


def _routes_with_ids() -> list[tuple[str, str]]:
    """(path template, method) of every route taking a path parameter."""
    found = []
    for route in make_api().routes:
        if isinstance(route, Route) and not isinstance(route, Mount) and PARAM.search(route.path):
            found += [(route.path, m) for m in sorted(route.methods or ()) if m != "HEAD"]
    return found


@pytest.fixture
def client(app_db):  # noqa: F811
    with write_session() as s:
        user = make_user(s, "Huge", f"huge-{uuid.uuid4().hex[:8]}@example.com")
        ticket = auth_sessions.issue_login_ticket(s, user.id)
        token = auth_sessions.redeem_login_ticket(s, ticket, user_agent="t", ip="")
    web = TestClient(make_api(), base_url=settings.public_url, follow_redirects=False)
    web.cookies.set("mp_session", token)
    return web


def test_the_walk_covers_the_routes_that_take_ids():
    paths = {path for path, _ in _routes_with_ids()}
    assert "/share/listing/{listing_id}" in paths
    assert "/api/payments/pay/{group_id}" in paths


@pytest.mark.parametrize("value", HUGE)
def test_huge_ids_in_any_route_are_not_found_not_errors(client, value):
    for template, method in _routes_with_ids():
        path = PARAM.sub(value, template)
        response = client.request(method, path)
        assert response.status_code < 500, (method, path, response.status_code)


@pytest.mark.parametrize("value", HUGE)
def test_a_share_link_with_a_huge_id_is_not_found(client, value):
    assert client.get(f"/share/listing/{value}").status_code == 404
