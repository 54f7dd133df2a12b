"""Payment routes over HTTP: the signed webhook, the pay link, the CSV, the sandbox pages."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import time
import uuid

import httpx
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from marketplace_app.api import payments as payments_api
from marketplace_app.api.routes import make_api
from marketplace_app.db import read_session, write_session
from marketplace_app.models import LedgerEntry, Order, Payment, PaymentEvent
from marketplace_app.services import auth_sessions, ledger
from marketplace_app.settings import settings
from tests.unit.services.conftest import make_user
from tests.unit.services.test_payments import (
    SECRET,
    account_balance,
    books_balance,
    count,
    group_orders,
    live,  # noqa: F401  (fixture)
    make_group,
    open_payment,
    payments_of,
    signed,
)

MARKET = "http://market.test"


@pytest.fixture
def conf(db, monkeypatch, tmp_path):
    patched = dataclasses.replace(
        settings,
        public_url=MARKET,
        payment_gateway_url=f"{MARKET}/sandbox-gateway",
        payment_webhook_secret=SECRET,
        sandbox_gateway=True,
        data_dir=tmp_path,
    )
    for module in (
        "marketplace_app.api.payments",
        "marketplace_app.services.payments.checkout",
        "marketplace_app.services.payments.sandbox",
    ):
        monkeypatch.setattr(f"{module}.settings", patched)
    return patched


@pytest.fixture
def client(conf):
    return TestClient(make_api(), base_url=MARKET, follow_redirects=False)


def register(name: str) -> tuple[int, str]:
    """A user (no password hashing: fast) and a logged-in session token for them."""
    with write_session() as s:
        user = make_user(s, name, f"{name.lower()}-{uuid.uuid4().hex[:6]}@example.com", locale="en")
        ticket = auth_sessions.issue_login_ticket(s, user.id)
        return user.id, auth_sessions.redeem_login_ticket(s, ticket, user_agent="t", ip="")


@pytest.fixture
def people(conf) -> dict:
    return {name: register(name.title()) for name in ("buyer", "seller", "other")}


def event_for(payment: Payment, **kw) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex[:8]}",
        "type": "payment.succeeded",
        "session_id": "cs_test",
        "reference": payment.gateway_ref,
        "amount_cents": payment.amount_cents,
        **kw,
    }


def post_event(client, payload: dict, *, header: str | None = "sign", at: int | None = None):
    body, signature = signed(payload, at=at)
    headers = {"Content-Type": "application/json"}
    if header == "sign":
        headers["X-Signature"] = signature
    elif header is not None:
        headers["X-Signature"] = header
    return client.post("/api/payments/webhook", content=body, headers=headers)


# --- the webhook ---------------------------------------------------------------------


def test_a_signed_success_marks_the_group_paid(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0], (600, 400))
    response = post_event(client, event_for(payment))
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and not body["duplicate"] and len(body["orders"]) == 2
    assert {o.status for o in group_orders(payment.group_id)} == {"paid"}
    assert payments_of(payment.group_id)[0].status == "paid"
    assert account_balance(ledger.ESCROW) == 1000
    books_balance()


def test_a_repeated_delivery_is_answered_200_and_changes_nothing(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    event = event_for(payment)
    assert post_event(client, event).status_code == 200
    entries = count(LedgerEntry)
    again = post_event(client, event)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert count(LedgerEntry) == entries and count(PaymentEvent) == 1
    books_balance()


@pytest.mark.parametrize(
    "header",
    [None, "", "t=1,v1=00", "garbage", "t={now},v1=" + "0" * 64],
)
def test_missing_or_bad_signatures_are_refused(client, people, header):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    if header:
        header = header.format(now=int(time.time()))
    response = post_event(client, event_for(payment), header=header)
    assert response.status_code == 400
    assert count(PaymentEvent) == 0
    assert {o.status for o in group_orders(payment.group_id)} == {"pending_payment"}


def test_a_signature_for_another_body_is_refused(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    _, signature = signed(event_for(payment))
    body = json.dumps(event_for(payment)).encode()
    response = client.post(
        "/api/payments/webhook", content=body, headers={"X-Signature": signature}
    )
    assert response.status_code == 400


def test_a_stale_signature_is_refused(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    response = post_event(client, event_for(payment), at=int(time.time()) - 6 * 60)
    assert response.status_code == 400
    assert count(PaymentEvent) == 0


def test_a_wrong_amount_is_refused(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    response = post_event(client, event_for(payment, amount_cents=payment.amount_cents - 1))
    assert response.status_code == 409
    assert count(PaymentEvent) == 0
    assert payments_of(payment.group_id)[0].status == "created"


def test_an_unknown_reference_or_a_bad_body_is_refused(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    assert post_event(client, event_for(payment, reference="pay_none")).status_code == 404
    assert post_event(client, event_for(payment, type="payment.other")).status_code == 400


def test_a_failed_payment_leaves_the_orders_pending(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    response = post_event(client, event_for(payment, type="payment.failed"))
    assert response.status_code == 200 and response.json()["payment_status"] == "failed"
    assert {o.status for o in group_orders(payment.group_id)} == {"pending_payment"}
    books_balance()


# --- the pay link ----------------------------------------------------------------------


def test_the_pay_link_sends_the_buyer_through_the_sandbox_and_back(live):  # noqa: F811
    """Over real HTTP: the link, the gateway page, Pay, the webhook, the way back."""
    (buyer, token), (seller, _) = register("Buyer"), register("Seller")
    with write_session() as s:
        group = make_group(s, buyer, seller, (900,))
    with httpx.Client(base_url=live.url, cookies={"mp_session": token}, timeout=30) as browser:
        response = browser.get(f"/api/payments/pay/{group.public_id}")
        assert response.status_code == 303
        target = response.headers["location"]
        assert target.startswith(f"{live.url}/sandbox-gateway/pay/cs_")
        assert payments_of(group.id)[0].checkout_url == target
        page = browser.get(target)
        assert page.status_code == 200 and "9.00" in page.text
        paid = browser.post(target, data={"action": "pay"})
        assert paid.status_code == 303
        assert paid.headers["location"] == f"{live.url}/orders/group/{group.public_id}"
    assert [o.status for o in group_orders(group.id)] == ["paid"]


def test_the_pay_link_needs_the_owner(client, people):
    with write_session() as s:
        group = make_group(s, people["buyer"][0], people["seller"][0])
    anonymous = client.get(f"/api/payments/pay/{group.public_id}")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=%2Forders%2Fgroup%2F")
    client.cookies.set("mp_session", people["other"][1])
    assert client.get(f"/api/payments/pay/{group.public_id}").status_code == 404
    assert payments_of(group.id) == []


def test_the_pay_link_refuses_other_sites_and_paid_groups(client, people):
    buyer, token = people["buyer"]
    with write_session() as s:
        group = make_group(s, buyer, people["seller"][0], method="cash")
    client.cookies.set("mp_session", token)
    cross = client.get(
        f"/api/payments/pay/{group.public_id}", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    nothing = client.get(f"/api/payments/pay/{group.public_id}")
    assert nothing.status_code == 303
    assert nothing.headers["location"] == f"/orders/group/{group.public_id}"


def test_an_unreachable_gateway_is_explained(client, people, conf, monkeypatch):
    monkeypatch.setattr(
        "marketplace_app.services.payments.checkout.settings",
        dataclasses.replace(conf, payment_gateway_url="http://127.0.0.1:9"),
    )
    buyer, token = people["buyer"]
    with write_session() as s:
        group = make_group(s, buyer, people["seller"][0])
    client.cookies.set("mp_session", token)
    response = client.get(f"/api/payments/pay/{group.public_id}")
    assert response.status_code == 503
    assert "Nothing was charged" in response.text
    assert f'href="/orders/group/{group.public_id}"' in response.text


# --- the statement CSV -------------------------------------------------------------------


def test_the_csv_is_the_callers_statement(client, people):
    seller, token = people["seller"]
    with write_session() as s:
        group = make_group(s, people["buyer"][0], seller, (2_000,), status="completed")
        order = s.exec(select(Order).where(Order.group_id == group.id)).one()
        make_group(s, people["buyer"][0], people["other"][0], (3_000,), status="paid")
        ledger.post(
            s,
            "release",
            [(ledger.ESCROW, -2_000), (ledger.seller_account(seller), 1_900), ("commission", 100)],
            order_id=order.id,
        )
    assert client.get("/api/payments/statements.csv").status_code == 401
    client.cookies.set("mp_session", token)
    response = client.get("/api/payments/statements.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Date",
        "Order",
        "Payment",
        "Status",
        "Gross",
        "Commission",
        "Net",
        "To balance",
        "Currency",
    ]
    assert len(rows) == 2
    assert rows[1][1:] == [
        order.number,
        "escrow",
        "Completed",
        "20.00",
        "1.00",
        "19.00",
        "19.00",
        "CNY",
    ]


def test_the_csv_follows_the_language_cookie(client, people):
    client.cookies.set("mp_session", people["seller"][1])
    client.cookies.set("mp_locale", "zh-CN")
    response = client.get("/api/payments/statements.csv")
    assert response.content.decode("utf-8-sig").startswith("日期,订单号")


# --- the sandbox gateway's pages ------------------------------------------------------------


def _session(client, people, payment: Payment | None = None, *, who: str | None = "buyer", **kw):
    """Ask the sandbox for a session, as the market does with its buyer's cookie."""
    if payment is None:
        payment = open_payment(people["buyer"][0], people["seller"][0], (4321,))
    payload = {
        "reference": payment.gateway_ref,
        "amount_cents": payment.amount_cents,
        "currency": "CNY",
        "return_url": f"{MARKET}/orders/group/g1",
        "webhook_url": f"{MARKET}/api/payments/webhook",
        **kw,
    }
    client.cookies.clear()
    if who:
        client.cookies.set("mp_session", people[who][1])
    response = client.post(
        "/sandbox-gateway/api/sessions", json=payload, headers={"Idempotency-Key": "k1"}
    )
    client.cookies.clear()
    return response


def sandbox_files(conf) -> list:
    folder = conf.data_dir / "sandbox-gateway"
    return list(folder.glob("*.json")) if folder.exists() else []


def test_sandbox_sessions_are_idempotent(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    first, again = _session(client, people, payment), _session(client, people, payment)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert first.json()["checkout_url"] == f"{MARKET}/sandbox-gateway/pay/{first.json()['id']}"


def test_only_the_logged_in_buyer_of_the_order_gets_a_sandbox_session(client, people, conf):
    payment = open_payment(people["buyer"][0], people["seller"][0], (4321,))
    assert _session(client, people, payment, who=None).status_code == 403
    assert _session(client, people, payment, who="other").status_code == 404
    assert _session(client, people, payment, reference="pay_nobody").status_code == 404
    assert sandbox_files(conf) == []
    created = _session(client, people, payment, amount_cents=1)
    assert created.status_code == 201
    page = client.get(f"/sandbox-gateway/pay/{created.json()['id']}")
    assert "43.21" in page.text  # the group's amount, not the request's


def test_sandbox_refuses_bad_requests(client, people):
    assert _session(client, people, reference=5).status_code == 422
    client.cookies.set("mp_session", people["buyer"][1])
    assert client.post("/sandbox-gateway/api/sessions", content=b"nope").status_code == 400


def test_the_sandbox_page_is_escaped_and_plain(client, conf, people, monkeypatch):
    monkeypatch.setattr(
        "marketplace_app.api.payments.settings",
        dataclasses.replace(conf, market_name="<b>Riverside</b>"),
    )
    payment = open_payment(people["buyer"][0], people["seller"][0])
    with write_session() as s:
        row = s.get(Payment, payment.id)
        row.gateway_ref = "<script>x</script>"
        s.add(row)
    created = _session(client, people, row).json()
    page = client.get(f"/sandbox-gateway/pay/{created['id']}")
    assert page.status_code == 200
    assert "<script>x" not in page.text and "&lt;script&gt;x" in page.text
    assert "&lt;b&gt;Riverside&lt;/b&gt;" in page.text
    assert 'name="viewport"' in page.text
    assert 'data-testid="sandbox-pay"' in page.text and 'data-testid="sandbox-decline"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert client.get("/sandbox-gateway/pay/cs_unknown").status_code == 404


def test_the_sandbox_page_follows_the_language_cookie(client, people):
    created = _session(client, people).json()
    client.cookies.set("mp_locale", "zh-CN")
    page = client.get(f"/sandbox-gateway/pay/{created['id']}")
    assert "付款" in page.text and "¥43.21" in page.text


def test_a_sandbox_decision_needs_a_known_action(client, people):
    created = _session(client, people).json()
    response = client.post(f"/sandbox-gateway/pay/{created['id']}", data={"action": "steal"})
    assert response.status_code == 400


def test_the_sandbox_is_off_unless_it_is_the_configured_gateway(conf, monkeypatch):
    for changes in ({"sandbox_gateway": False}, {"payment_gateway_url": "https://pay.example"}):
        changed = dataclasses.replace(conf, **changes)
        monkeypatch.setattr("marketplace_app.api.payments.settings", changed)
        assert not changed.serves_sandbox_gateway
        paths = {route.path for route in payments_api.routes()}
        assert "/api/payments/webhook" in paths
        assert not any(path.startswith("/sandbox-gateway") for path in paths)


def test_nothing_is_recorded_for_refused_webhooks(client, people):
    payment = open_payment(people["buyer"][0], people["seller"][0])
    post_event(client, event_for(payment), header="t=1,v1=00")
    with read_session() as s:
        assert s.exec(select(PaymentEvent)).all() == []


def test_an_oversized_webhook_is_refused_before_it_is_read(client):
    body = b"{" + b" " * (64 * 1024) + b"}"
    response = client.post("/api/payments/webhook", content=body)
    assert response.status_code == 413
