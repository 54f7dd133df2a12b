"""Payments: signatures, the httpx gateway adapter, escrow checkout, webhooks, statements.

The gateway is always a real HTTP server on 127.0.0.1: either a small
scripted server (to make it fail, stall or answer garbage on purpose) or the
app's own API with the sandbox gateway, served by granian in a thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from granian.constants import Interfaces
from granian.server.embed import Server
from sqlmodel import Session, func, select

from marketplace_app.api.routes import make_api
from marketplace_app.db import read_session, write_session
from marketplace_app.models import (
    LedgerEntry,
    Order,
    OrderGroup,
    OrderTransition,
    Payment,
    PaymentEvent,
)
from marketplace_app.services import auth_sessions, ledger, orders
from marketplace_app.services.errors import LoginRequired, NotFound, ValidationFailed
from marketplace_app.services.payments import (
    GatewayClient,
    GatewayUnavailable,
    NothingToPay,
    begin_escrow_checkout,
    provider,
    sandbox,
    signature_header,
    statements,
    verify_signature,
    webhooks,
)
from marketplace_app.settings import settings
from tests.unit.invariants import check_invariants
from tests.unit.services.conftest import free_port, make_user

SECRET = "whsec-test"
PATCHED_MODULES = (
    "marketplace_app.services.payments.checkout",
    "marketplace_app.services.payments.sandbox",
    "marketplace_app.api.payments",
)


# --- shared helpers (the API and state tests import these) ----------------------------


def make_group(
    session: Session,
    buyer_id: int,
    seller_id: int,
    amounts: tuple[int, ...] = (1250,),
    *,
    method: str = "escrow",
    status: str | None = None,
    commission_bp: int = 500,
    created_at: datetime | None = None,
) -> OrderGroup:
    """An order group with one order per amount, as checkout would have placed it."""
    group = OrderGroup(
        public_id=uuid.uuid4().hex[:16],
        buyer_id=buyer_id,
        idempotency_key=uuid.uuid4().hex,
        total_cents=sum(amounts),
    )
    session.add(group)
    session.flush()
    first = status or ("pending_payment" if method == "escrow" else "paid")
    for amount in amounts:
        order = Order(
            number=f"T{uuid.uuid4().hex[:9].upper()}",
            group_id=group.id,
            buyer_id=buyer_id,
            seller_id=seller_id,
            status=first,
            delivery_method="pickup",
            payment_method=method,
            subtotal_cents=amount,
            total_cents=amount,
            commission_cents=amount * commission_bp // 10_000,
            expires_at=datetime.now(UTC) + timedelta(minutes=15),
            **({"created_at": created_at} if created_at else {}),
        )
        session.add(order)
        session.flush()
        session.add(OrderTransition(order_id=order.id, from_status=None, to_status=first))
    session.flush()
    return group


def group_orders(group_id: int) -> list[Order]:
    with read_session() as s:
        return list(s.exec(select(Order).where(Order.group_id == group_id).order_by(Order.id)))


def payments_of(group_id: int) -> list[Payment]:
    with read_session() as s:
        return list(
            s.exec(select(Payment).where(Payment.group_id == group_id).order_by(Payment.id))
        )


def count(model) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def account_balance(account: str) -> int:
    with read_session() as s:
        return ledger.balance(s, account)


def books_balance() -> None:
    """Ledger, escrow and transition logs agree (tests/unit/invariants.py)."""
    with read_session() as s:
        check_invariants(s)


def signed(payload: dict, secret: str = SECRET, at: int | None = None) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, signature_header(body, secret, at)


@dataclasses.dataclass
class Parties:
    buyer: int
    seller: int
    other: int
    buyer_session: str = ""
    other_session: str = ""


def log_in(user_id: int) -> str:
    """A login session token (the HttpOnly cookie's value) for a user."""
    with write_session() as s:
        ticket = auth_sessions.issue_login_ticket(s, user_id)
    with write_session() as s:
        return auth_sessions.redeem_login_ticket(s, ticket, user_agent="test", ip="127.0.0.1")


@pytest.fixture
def parties(db) -> Parties:
    with write_session() as s:
        ids = [make_user(s, name).id for name in ("Buyer", "Seller", "Other")]
    return Parties(*ids, buyer_session=log_in(ids[0]), other_session=log_in(ids[2]))


class LiveApp:
    """The app's API (webhook, sandbox gateway) served over real HTTP by granian."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.server = Server(
            make_api(),
            address="127.0.0.1",
            port=port,
            interface=Interfaces.ASGI,
            log_enabled=False,
            websockets=False,
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/robots.txt", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("the live API did not start")

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.stop)
        self.thread.join(10)


@pytest.fixture
def live(db, monkeypatch, tmp_path) -> Iterator[LiveApp]:
    """The API on a free port, configured as this market with its sandbox gateway."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    patched = dataclasses.replace(
        settings,
        public_url=url,
        payment_gateway_url=f"{url}/sandbox-gateway",
        payment_webhook_secret=SECRET,
        sandbox_gateway=True,
        data_dir=tmp_path,
    )
    for module in PATCHED_MODULES:
        monkeypatch.setattr(f"{module}.settings", patched)
    app = LiveApp(port)
    app.start()
    yield app
    app.stop()


def checkout_as_buyer(group_public_id: str, parties: Parties) -> str:
    """Begin the escrow checkout as the logged-in buyer (whose cookie the sandbox needs)."""
    return begin_escrow_checkout(
        group_public_id, parties.buyer, buyer_session=parties.buyer_session
    )


def submit(checkout_url: str, action: str) -> httpx.Response:
    """Press Pay or Decline on the sandbox page, as the buyer's browser would."""
    return httpx.post(checkout_url, data={"action": action}, timeout=30)


# --- a scripted gateway: failures on purpose ----------------------------------------


class ScriptedGateway:
    """A real HTTP server answering session requests by a script.

    Each step is a status code to answer with, ``"slow"`` (stall past the
    client's read timeout, then answer 201), ``"garbage"`` (201 with a body
    that is not a session) or a callable run before answering 201.
    """

    def __init__(self, *steps) -> None:
        self.steps = list(steps)
        self.seen: list[dict] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.seen.append(
                        {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                    )
                    step = outer.steps.pop(0) if outer.steps else 201
                if step == "slow":
                    time.sleep(1.0)
                    step = 201
                if callable(step):
                    step()
                    step = 201
                if step == "garbage":
                    payload, step = {"id": "s1", "checkout_url": "javascript:alert(1)"}, 201
                else:
                    ref = outer.seen[-1]["json"]["reference"]
                    payload = {"id": f"s-{ref}", "checkout_url": f"https://pay.example/{ref}"}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(step)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted() -> Iterator[type[ScriptedGateway]]:
    made: list[ScriptedGateway] = []

    def build(*steps) -> ScriptedGateway:
        made.append(ScriptedGateway(*steps))
        return made[-1]

    yield build
    for gateway in made:
        gateway.close()


def client_for(url: str, **kw) -> GatewayClient:
    return GatewayClient(
        url, **{"connect_timeout_s": 0.5, "read_timeout_s": 0.4, "backoff_s": 0.01, **kw}
    )


SESSION_ARGS = {
    "reference": "pay_abc",
    "amount_cents": 1250,
    "currency": "CNY",
    "return_url": "http://127.0.0.1:3000/orders/group/x",
    "webhook_url": "http://127.0.0.1:3000/api/payments/webhook",
}


# --- webhook signatures -------------------------------------------------------------


def test_a_good_signature_verifies():
    body, header = signed({"id": "evt_1"})
    assert verify_signature(header, body, SECRET)


def test_a_changed_body_or_another_secret_fails():
    body, header = signed({"id": "evt_1", "amount_cents": 100})
    assert not verify_signature(header, body.replace(b"100", b"1"), SECRET)
    assert not verify_signature(header, body, "another-secret")


def test_a_stale_or_future_signature_fails():
    now = time.time()
    body, old = signed({"id": "evt_1"}, at=int(now) - 301)
    assert not verify_signature(old, body, SECRET, now=now)
    _, recent = signed({"id": "evt_1"}, at=int(now) - 290)
    assert verify_signature(recent, body, SECRET, now=now)
    _, ahead = signed({"id": "evt_1"}, at=int(now) + 400)
    assert not verify_signature(ahead, body, SECRET, now=now)


@pytest.mark.parametrize(
    "header",
    [None, "", "v1=abc", "t=123", "t=abc,v1=00", "garbage", "t=1,t=2,v1=00", "x" * 2000],
)
def test_missing_or_malformed_signatures_fail(header):
    assert not verify_signature(header, b"{}", SECRET)


def test_any_matching_v1_passes_during_a_secret_rotation():
    body, header = signed({"id": "evt_1"})
    assert verify_signature(header.replace(",v1=", ",v1=deadbeef,v1="), body, SECRET)


# --- the gateway adapter against a real HTTP server ----------------------------------


def test_5xx_answers_are_retried_with_the_same_idempotency_key(scripted):
    gateway = scripted(503, 502)
    created = client_for(gateway.url).create_session(**SESSION_ARGS)
    assert created.checkout_url == "https://pay.example/pay_abc"
    assert len(gateway.seen) == 3
    assert {r["headers"]["Idempotency-Key"] for r in gateway.seen} == {"pay_abc"}
    assert all(r["path"] == "/api/sessions" for r in gateway.seen)
    assert gateway.seen[0]["json"] == SESSION_ARGS


def test_a_read_timeout_is_retried(scripted):
    gateway = scripted("slow")
    started = time.monotonic()
    created = client_for(gateway.url).create_session(**SESSION_ARGS)
    assert created.id == "s-pay_abc"
    assert len(gateway.seen) == 2
    assert time.monotonic() - started < 5


def test_giving_up_after_the_last_attempt(scripted):
    gateway = scripted(500, 500, 500, 500)
    with pytest.raises(GatewayUnavailable):
        client_for(gateway.url, attempts=3).create_session(**SESSION_ARGS)
    assert len(gateway.seen) == 3


def test_a_closed_port_is_a_connect_error_retried_then_refused():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(GatewayUnavailable):
        client_for(url).create_session(**SESSION_ARGS)
    assert time.monotonic() - started < 5


def test_a_4xx_answer_is_not_retried(scripted):
    gateway = scripted(400)
    with pytest.raises(GatewayUnavailable):
        client_for(gateway.url).create_session(**SESSION_ARGS)
    assert len(gateway.seen) == 1


def test_an_answer_that_is_not_a_session_is_refused(scripted):
    gateway = scripted("garbage")
    with pytest.raises(GatewayUnavailable):
        client_for(gateway.url).create_session(**SESSION_ARGS)


# --- providers and begin_escrow_checkout ----------------------------------------------


def test_cash_has_nothing_to_do_at_checkout():
    assert provider("cash").start("abc", 1) == "/orders/group/abc"
    assert provider("escrow").name == "escrow"


def test_escrow_checkout_charges_the_pending_escrow_orders_once(live, parties):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller, (1250, 800))
        cash = make_group(s, parties.buyer, parties.seller, (999,), method="cash")
    url = checkout_as_buyer(group.public_id, parties)
    assert url.startswith(f"{live.url}/sandbox-gateway/pay/cs_")
    (payment,) = payments_of(group.id)
    assert (payment.status, payment.amount_cents, payment.checkout_url) == ("created", 2050, url)
    assert payment.provider == "escrow" and payment.gateway_ref.startswith("pay_")

    assert checkout_as_buyer(group.public_id, parties) == url
    assert len(payments_of(group.id)) == 1
    with pytest.raises(NothingToPay):
        checkout_as_buyer(cash.public_id, parties)

    page = httpx.get(url, timeout=10)
    assert page.status_code == 200
    assert "20.50" in page.text and 'data-testid="sandbox-pay"' in page.text


def test_another_buyers_group_is_not_found(live, parties):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller)
    for public_id, buyer in ((group.public_id, parties.other), ("no-such-group", parties.buyer)):
        with pytest.raises(NotFound):
            begin_escrow_checkout(public_id, buyer)
    assert payments_of(group.id) == []


def test_the_sandbox_makes_no_session_without_the_buyers_login(live, parties, tmp_path):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller)
    for session_token in ("", parties.other_session):
        with pytest.raises(GatewayUnavailable):
            begin_escrow_checkout(group.public_id, parties.buyer, buyer_session=session_token)
    (payment,) = payments_of(group.id)
    assert payment.checkout_url == ""
    assert not list((tmp_path / "sandbox-gateway").glob("*.json"))
    assert checkout_as_buyer(group.public_id, parties).startswith(f"{live.url}/sandbox-gateway/")


def test_the_buyers_cookie_never_goes_to_an_outside_gateway(parties, scripted, monkeypatch):
    gateway = scripted()
    outside = dataclasses.replace(settings, payment_gateway_url=gateway.url, sandbox_gateway=False)
    monkeypatch.setattr("marketplace_app.services.payments.checkout.settings", outside)
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller)
    checkout_as_buyer(group.public_id, parties)
    assert all("Cookie" not in seen["headers"] for seen in gateway.seen)
    assert gateway.seen and parties.buyer_session not in json.dumps(gateway.seen)


def test_the_payment_is_committed_before_the_call_and_reused_after_a_failure(
    live, parties, scripted
):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller)
    down = client_for(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(GatewayUnavailable):
        begin_escrow_checkout(group.public_id, parties.buyer, client=down)
    (payment,) = payments_of(group.id)
    assert payment.checkout_url == ""

    gateway = scripted()
    url = begin_escrow_checkout(group.public_id, parties.buyer, client=client_for(gateway.url))
    assert url == f"https://pay.example/{payment.gateway_ref}"
    assert gateway.seen[0]["headers"]["Idempotency-Key"] == payment.gateway_ref
    assert [p.id for p in payments_of(group.id)] == [payment.id]


def test_the_write_lock_is_free_while_the_gateway_is_called(parties, scripted):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller)
    waited: list[float] = []

    def write_meanwhile():
        started = time.monotonic()
        with write_session() as s:
            make_user(s, f"Meanwhile{uuid.uuid4().hex[:6]}")
        waited.append(time.monotonic() - started)

    gateway = scripted(write_meanwhile)
    begin_escrow_checkout(group.public_id, parties.buyer, client=client_for(gateway.url))
    assert waited and waited[0] < 1.0


def test_a_changed_amount_gets_a_new_payment(live, parties):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller, (1000, 500))
    first = checkout_as_buyer(group.public_id, parties)
    with write_session() as s:
        order = s.get(Order, group_orders(group.id)[1].id)
        order.status = "cancelled"
        s.add(order)
    second = checkout_as_buyer(group.public_id, parties)
    assert second != first
    old, new = payments_of(group.id)
    assert (old.status, new.status, new.amount_cents) == ("expired", "created", 1000)


# --- the whole escrow flow through the sandbox -----------------------------------------


def test_paying_in_the_sandbox_marks_the_orders_paid_once(live, parties):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller, (1250, 800))
    url = checkout_as_buyer(group.public_id, parties)
    response = submit(url, "pay")
    assert response.status_code == 303
    assert response.headers["location"] == f"{live.url}/orders/group/{group.public_id}"

    assert {o.status for o in group_orders(group.id)} == {"paid"}
    (payment,) = payments_of(group.id)
    assert payment.status == "paid" and payment.paid_at is not None
    assert account_balance("escrow") == 2050 and account_balance("gateway") == -2050
    assert count(PaymentEvent) == 1

    # The buyer presses Pay again: the same event is delivered again, nothing changes.
    again = submit(url, "pay")
    assert again.status_code == 303
    assert count(PaymentEvent) == 1
    assert account_balance("escrow") == 2050
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(LedgerEntry)).one() == 4
    books_balance()


def test_declining_leaves_the_orders_waiting(live, parties):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller)
    url = checkout_as_buyer(group.public_id, parties)
    assert submit(url, "decline").status_code == 303
    assert [o.status for o in group_orders(group.id)] == ["pending_payment"]
    (payment,) = payments_of(group.id)
    assert payment.status == "failed"
    assert account_balance("escrow") == 0
    # Paying after a decline starts a fresh payment.
    retry = checkout_as_buyer(group.public_id, parties)
    assert retry != url and len(payments_of(group.id)) == 2
    books_balance()


# --- webhook handling in one transaction -------------------------------------------------


def open_payment(buyer_id: int, seller_id: int, amounts=(1250,)) -> Payment:
    """A pending escrow payment for a new checkout of orders of ``amounts``."""
    with write_session() as s:
        group = make_group(s, buyer_id, seller_id, amounts)
        payment = Payment(
            group_id=group.id,
            provider="escrow",
            amount_cents=sum(amounts),
            gateway_ref=f"pay_{uuid.uuid4().hex[:12]}",
        )
        s.add(payment)
        s.flush()
        return payment


def _event(payment: Payment, **kw) -> webhooks.WebhookEvent:
    values = {
        "id": f"evt_{uuid.uuid4().hex[:8]}",
        "type": "payment.succeeded",
        "reference": payment.gateway_ref,
        "session_id": "cs_x",
        "amount_cents": payment.amount_cents,
        **kw,
    }
    return webhooks.WebhookEvent(**values)


def _handle(event: webhooks.WebhookEvent) -> webhooks.WebhookResult:
    with write_session() as s:
        return webhooks.handle_event(s, event)


def test_an_event_is_applied_once_however_often_it_arrives(parties):
    payment = open_payment(parties.buyer, parties.seller, (700, 300))
    event = _event(payment)
    first = _handle(event)
    assert not first.duplicate and first.payment_status == "paid"
    assert len(first.order_numbers) == 2
    assert _handle(event).duplicate
    # Another event for the already paid payment changes nothing either.
    assert _handle(_event(payment)).order_numbers == ()
    assert account_balance("escrow") == 1000
    assert count(PaymentEvent) == 2
    books_balance()


def test_money_for_orders_that_closed_meanwhile_reads_as_refunded(parties):
    payment = open_payment(parties.buyer, parties.seller, (700, 300))
    later = datetime.now(UTC) + timedelta(hours=1)
    for order in group_orders(payment.group_id):
        with write_session() as s:
            assert orders.expire(s, order.id, later) == order.number
    result = _handle(_event(payment))
    assert (result.payment_status, result.order_numbers) == ("refunded", ())
    assert payments_of(payment.group_id)[0].status == "refunded"
    assert {o.status for o in group_orders(payment.group_id)} == {"cancelled"}
    assert account_balance("escrow") == 0
    # A repeated success for it changes nothing.
    assert _handle(_event(payment)).order_numbers == ()
    assert account_balance("escrow") == 0
    books_balance()


def test_an_amount_mismatch_is_refused_and_nothing_is_recorded(parties):
    payment = open_payment(parties.buyer, parties.seller)
    with pytest.raises(webhooks.AmountMismatch):
        _handle(_event(payment, amount_cents=1))
    assert count(PaymentEvent) == 0
    assert payments_of(payment.group_id)[0].status == "created"
    assert {o.status for o in group_orders(payment.group_id)} == {"pending_payment"}
    books_balance()


def test_an_unknown_reference_is_not_found(parties):
    payment = open_payment(parties.buyer, parties.seller)
    with pytest.raises(NotFound):
        _handle(_event(payment, reference="pay_nobody"))


def test_a_failure_after_success_does_not_undo_it(parties):
    payment = open_payment(parties.buyer, parties.seller)
    _handle(_event(payment))
    assert _handle(_event(payment, type="payment.failed")).payment_status == "paid"
    books_balance()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "e", "type": "payment.refunded", "reference": "r", "amount_cents": 1}',
        b'{"id": "e", "type": "payment.succeeded", "reference": "r", "amount_cents": "1"}',
        b'{"id": "e", "type": "payment.succeeded", "reference": "r", "amount_cents": true}',
        b'{"id": "", "type": "payment.succeeded", "reference": "r", "amount_cents": 1}',
        b'{"id": "e", "type": "payment.succeeded", "amount_cents": 1}',
    ],
)
def test_malformed_events_are_refused(body):
    with pytest.raises(ValidationFailed):
        webhooks.parse_event(body)


# --- the sandbox's own session store -------------------------------------------------------


@pytest.fixture
def sandbox_settings(monkeypatch, tmp_path):
    patched = dataclasses.replace(
        settings, data_dir=tmp_path, payment_webhook_secret=SECRET, public_url="http://m.test"
    )
    monkeypatch.setattr("marketplace_app.services.payments.sandbox.settings", patched)
    return patched


def sandbox_files(conf) -> list[str]:
    folder = conf.data_dir / "sandbox-gateway"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _sandbox_payload(payment: Payment, **kw) -> dict:
    return {
        "reference": payment.gateway_ref,
        "amount_cents": payment.amount_cents,
        "currency": "CNY",
        "return_url": "http://m.test/orders/group/g1",
        "webhook_url": "http://m.test/api/payments/webhook",
        **kw,
    }


def make_sandbox_session(token: str | None, payload: object, key: str = ""):
    with read_session() as s:
        return sandbox.create_session(s, token, payload, key)


def test_the_sandbox_finds_a_session_again_by_its_idempotency_key(sandbox_settings, parties):
    payment = open_payment(parties.buyer, parties.seller, (300, 200))
    token = parties.buyer_session
    first, fresh = make_sandbox_session(token, _sandbox_payload(payment), "key-1")
    again, fresh_again = make_sandbox_session(token, _sandbox_payload(payment), "key-1")
    assert fresh and not fresh_again and again.id == first.id
    other, _ = make_sandbox_session(token, _sandbox_payload(payment), "key-2")
    assert other.id != first.id
    second = open_payment(parties.buyer, parties.seller)
    with pytest.raises(ValidationFailed):
        make_sandbox_session(token, _sandbox_payload(second), "key-1")


def test_the_amount_and_urls_come_from_the_order_group_never_the_request(sandbox_settings, parties):
    payment = open_payment(parties.buyer, parties.seller, (300, 200))
    created, _ = make_sandbox_session(
        parties.buyer_session,
        _sandbox_payload(
            payment,
            amount_cents=1,
            currency="USD",
            return_url="http://m.test/somewhere-else",
            webhook_url="http://m.test/api/other-hook",
        ),
    )
    with read_session() as s:
        public_id = s.get(OrderGroup, payment.group_id).public_id
    assert (created.amount_cents, created.currency) == (500, settings.currency)
    assert created.return_url == f"http://m.test/orders/group/{public_id}"
    assert created.webhook_url == "http://m.test/api/payments/webhook"


def test_only_the_logged_in_buyer_of_the_order_gets_a_session(sandbox_settings, parties):
    payment = open_payment(parties.buyer, parties.seller)
    payload = _sandbox_payload(payment)
    for token in (None, "", "not-a-session"):
        with pytest.raises(LoginRequired):
            make_sandbox_session(token, payload, "k")
    with pytest.raises(NotFound):
        make_sandbox_session(parties.other_session, payload, "k")
    with pytest.raises(NotFound):
        make_sandbox_session(parties.buyer_session, {**payload, "reference": "pay_nobody"}, "k")
    assert sandbox_files(sandbox_settings) == []


def test_no_session_for_a_payment_that_is_no_longer_open_or_owed(sandbox_settings, parties):
    paid = open_payment(parties.buyer, parties.seller)
    _handle(_event(paid))
    stale = open_payment(parties.buyer, parties.seller, (700, 300))
    with write_session() as s:
        order = s.get(Order, group_orders(stale.group_id)[1].id)
        order.status = "cancelled"
        s.add(order)
    for payment in (paid, stale):
        with pytest.raises(NotFound):
            make_sandbox_session(parties.buyer_session, _sandbox_payload(payment))
    assert sandbox_files(sandbox_settings) == []


@pytest.mark.parametrize("payload", [{"reference": ""}, {"reference": 5}, [], "pay_1"])
def test_the_sandbox_refuses_bad_requests(sandbox_settings, parties, payload):
    with pytest.raises(ValidationFailed):
        make_sandbox_session(parties.buyer_session, payload)


def test_the_first_decision_sticks(sandbox_settings, parties):
    payment = open_payment(parties.buyer, parties.seller, (500,))
    created, _ = make_sandbox_session(parties.buyer_session, _sandbox_payload(payment))
    paid = sandbox.decide(created.id, sandbox.PAID)
    assert paid.status == "paid" and paid.event_id
    assert sandbox.decide(created.id, sandbox.DECLINED) == paid
    body = json.loads(sandbox.event_body(paid))
    assert body == {
        "id": paid.event_id,
        "type": "payment.succeeded",
        "session_id": created.id,
        "reference": payment.gateway_ref,
        "amount_cents": 500,
    }


def test_session_files_older_than_a_day_are_pruned_when_a_session_is_made(
    sandbox_settings, parties
):
    folder = sandbox_settings.data_dir / "sandbox-gateway"
    folder.mkdir()
    day_ago = time.time() - sandbox.SESSION_MAX_AGE_S - 60
    for name in ("cs_" + "a" * 32 + ".json", "cs_" + "b" * 32 + ".1234.tmp"):
        (folder / name).write_text("{}")
        os.utime(folder / name, (day_ago, day_ago))
    recent = "cs_" + "c" * 32 + ".json"
    (folder / recent).write_text("{}")
    payment = open_payment(parties.buyer, parties.seller)
    created, _ = make_sandbox_session(parties.buyer_session, _sandbox_payload(payment))
    assert sandbox_files(sandbox_settings) == sorted(
        ["cs_" + "c" * 32 + ".json", f"{created.id}.json"]
    )
    assert sandbox.prune(now=time.time() + sandbox.SESSION_MAX_AGE_S + 1) == 2
    assert sandbox_files(sandbox_settings) == []


@pytest.mark.parametrize("session_id", ["../../etc/passwd", "cs_nope", "cs_" + "0" * 32])
def test_unknown_or_crafted_session_ids_are_not_found(sandbox_settings, session_id):
    with pytest.raises(NotFound):
        sandbox.get_session(session_id)


# --- statements from a known ledger --------------------------------------------------------


WEEK_NOW = datetime(2025, 6, 18, 4, 0, tzinfo=UTC)  # a Wednesday (noon in Shanghai)


@pytest.fixture
def books(parties) -> dict:
    """A seller with a released escrow sale, a held one, a completed cash sale and non-sales."""
    seller, acct = parties.seller, ledger.seller_account(parties.seller)
    with write_session() as s:
        released = make_group(
            s, parties.buyer, seller, (10_000,), status="completed", created_at=WEEK_NOW
        )
        held = make_group(
            s,
            parties.buyer,
            seller,
            (4_000,),
            status="paid",
            created_at=WEEK_NOW - timedelta(days=7),
        )
        cash = make_group(
            s,
            parties.buyer,
            seller,
            (2_000,),
            method="cash",
            status="completed",
            commission_bp=300,
            created_at=WEEK_NOW - timedelta(days=21),
        )
        make_group(s, parties.buyer, seller, (555,))  # pending payment: not a sale
        make_group(s, parties.buyer, seller, (666,), status="cancelled")
        make_group(s, parties.buyer, parties.other, (777,), status="paid")  # another seller
        r, h, c = (group_orders_in(s, g.id)[0] for g in (released, held, cash))
        ledger.post(s, "payment", [("gateway", -10_000), ("escrow", 10_000)], order_id=r.id)
        ledger.post(
            s, "release", [("escrow", -10_000), (acct, 9_500), ("commission", 500)], order_id=r.id
        )
        ledger.post(s, "payment", [("gateway", -4_000), ("escrow", 4_000)], order_id=h.id)
        ledger.post(s, "release", [(acct, -60), ("commission", 60)], order_id=c.id)
        return {"released": r.number, "held": h.number, "cash": c.number}


def group_orders_in(session: Session, group_id: int) -> list[Order]:
    return list(session.exec(select(Order).where(Order.group_id == group_id)))


def test_balance_and_escrow_held_come_from_the_ledger(parties, books):
    with read_session() as s:
        figures = statements.seller_balance(s, parties.seller)
        assert figures == statements.SellerBalance(available_cents=9_440, held_cents=4_000)
        assert statements.seller_balance(s, parties.other).held_cents == 0


def test_statement_lines_per_order(parties, books):
    with read_session() as s:
        lines = statements.statements(s, parties.seller)
    assert [line.number for line in lines] == [books["released"], books["held"], books["cash"]]
    released, held, cash = lines
    assert (released.gross_cents, released.commission_cents, released.net_cents) == (
        10_000,
        500,
        9_500,
    )
    assert released.to_balance_cents == 9_500 and released.status == "completed"
    assert (held.net_cents, held.to_balance_cents, held.status) == (3_800, 0, "paid")
    assert (cash.payment_method, cash.commission_cents, cash.to_balance_cents) == ("cash", 60, -60)
    with read_session() as s:
        assert len(statements.statements(s, parties.seller, limit=2)) == 2
        older = statements.statements(s, parties.seller, before_id=lines[0].order_id)
        assert books["released"] not in [line.number for line in older]


def test_weekly_net_sales(parties, books):
    with read_session() as s:
        weeks = statements.weekly_net(s, parties.seller, weeks=8, now=WEEK_NOW)
    assert len(weeks) == 8
    assert weeks[-1].week_start.isoformat() == "2025-06-16"
    assert weeks[0].week_start.isoformat() == "2025-04-28"
    by_week = {w.week_start.isoformat(): w.net_cents for w in weeks}
    assert by_week["2025-06-16"] == 9_500
    assert by_week["2025-06-09"] == 3_800
    assert by_week["2025-05-26"] == 1_940
    assert sum(by_week.values()) == 9_500 + 3_800 + 1_940


def test_csv_figures_and_headers(parties, books):
    with read_session() as s:
        lines = statements.statements(s, parties.seller)
    text = statements.csv_text(
        lines,
        headers={key: key.title() for key in statements.CSV_COLUMNS},
        status_label=lambda line: line.status.title(),
    )
    assert text.startswith("\ufeff")
    rows = [row.split(",") for row in text.lstrip("\ufeff").strip().split("\r\n")]
    assert rows[0] == [key.title() for key in statements.CSV_COLUMNS]
    assert rows[1] == [
        "2025-06-18",
        books["released"],
        "escrow",
        "Completed",
        "100.00",
        "5.00",
        "95.00",
        "95.00",
        "CNY",
    ]
    assert rows[3][4:8] == ["20.00", "0.60", "19.40", "-0.60"]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("-0.60", "-0.60"),
        ("T123", "T123"),
    ],
)
def test_csv_cells_cannot_become_formulas(cell, written):
    assert statements.csv_safe(cell) == written


def test_a_crafted_order_number_is_neutralised_in_the_csv(parties):
    with write_session() as s:
        group = make_group(s, parties.buyer, parties.seller, (100,), status="paid")
        order = group_orders_in(s, group.id)[0]
        order.number = "=1+1"
        s.add(order)
    with read_session() as s:
        text = statements.csv_text(
            statements.statements(s, parties.seller),
            headers={key: key for key in statements.CSV_COLUMNS},
            status_label=lambda line: line.status,
        )
    assert "\r\n2" in text and ",'=1+1," in text


def test_money_in_files_is_a_plain_decimal():
    assert statements.decimal_amount(1250) == "12.50"
    assert statements.decimal_amount(-5) == "-0.05"
    assert statements.decimal_amount(1250, "JPY") == "1250"


def test_a_cash_order_waiting_for_handover_reads_as_pay_at_handover():
    line = statements.StatementLine(1, "T1", WEEK_NOW, "cash", "paid", 100, 5, 95, 0)
    assert statements.status_key(line) == "orders.status.paid_cash"
    escrow = dataclasses.replace(line, payment_method="escrow")
    assert statements.status_key(escrow) == "orders.status.paid"
