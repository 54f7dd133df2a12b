"""The one throttle behind logging in, signing up and changing a password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace_app.models import LoginAttempt
from marketplace_app.models.types import utcnow
from marketplace_app.services import throttle
from marketplace_app.services.errors import Throttled

FAILURES_ONLY = throttle.Limit("login", 3, 5, "k.account", "k.ip")
EVERY_TRY = throttle.Limit("sign_up", 3, 5, "k.account", "k.ip", successes_count=True)


def refusal(session, limit, account="ann", ip="192.0.2.1") -> tuple[str, int] | None:
    try:
        throttle.check(session, limit, account=account, ip=ip, now=utcnow())
    except Throttled as error:
        return error.key, error.minutes
    return None


def tries(session, limit, n, *, account="ann", ip="192.0.2.1", success=False, ago=1) -> None:
    for _ in range(n):
        throttle.record(
            session,
            limit,
            account=account,
            ip=ip,
            success=success,
            now=utcnow() - timedelta(minutes=ago),
        )


def test_failures_per_account_restart_at_a_success(session):
    tries(session, FAILURES_ONLY, 2, ago=5)
    tries(session, FAILURES_ONLY, 1, success=True, ago=4)
    tries(session, FAILURES_ONLY, 2, ago=3, ip="192.0.2.2")
    assert refusal(session, FAILURES_ONLY) is None
    tries(session, FAILURES_ONLY, 1, ago=2, ip="192.0.2.3")
    # Counted since the success: the oldest counted failure (3 min ago) leaves in 12.
    assert refusal(session, FAILURES_ONLY) == ("k.account", 12)
    assert refusal(session, FAILURES_ONLY, account="bob", ip="192.0.2.9") is None


def test_an_address_count_never_restarts_and_an_unknown_address_is_not_one(session):
    tries(session, FAILURES_ONLY, 4, account="a", ip="198.51.100.7", ago=10)
    tries(session, FAILURES_ONLY, 1, account="b", ip="198.51.100.7", success=True)
    tries(session, FAILURES_ONLY, 1, account="c", ip="198.51.100.7")
    assert refusal(session, FAILURES_ONLY, account="d", ip="198.51.100.7") == ("k.ip", 5)
    tries(session, FAILURES_ONLY, 2, account="e", ip="")
    tries(session, FAILURES_ONLY, 4, account="f", ip="", ago=10)
    assert refusal(session, FAILURES_ONLY, account="g", ip="") is None


def test_when_successes_count_every_try_counts(session):
    tries(session, EVERY_TRY, 2, success=True)
    assert refusal(session, EVERY_TRY) is None
    tries(session, EVERY_TRY, 1, success=False)
    assert refusal(session, EVERY_TRY) == ("k.account", 14)
    tries(session, EVERY_TRY, 2, account="x", ip="203.0.113.1", success=True)
    tries(session, EVERY_TRY, 3, account="y", ip="203.0.113.1", success=True)
    assert refusal(session, EVERY_TRY, account="z", ip="203.0.113.1") == ("k.ip", 14)


def test_tries_age_out_of_the_window(session):
    tries(session, EVERY_TRY, 3, ago=16)
    assert refusal(session, EVERY_TRY) is None


def test_actions_are_counted_apart(session):
    tries(session, FAILURES_ONLY, 3)
    assert refusal(session, FAILURES_ONLY)
    assert refusal(session, EVERY_TRY) is None
    assert refusal(session, throttle.PASSWORD_CHANGE) is None


def test_record_stores_the_action_and_truncates(session):
    throttle.record(
        session, throttle.SIGN_UP, account="a" * 300, ip="1" * 60, success=True, now=utcnow()
    )
    row = session.exec(select(LoginAttempt)).one()
    assert (row.action, len(row.account), len(row.ip), row.success) == ("sign_up", 254, 45, True)


@pytest.mark.parametrize("limit", throttle.LIMITS, ids=lambda limit: limit.action)
def test_every_limit_has_messages_in_both_languages(limit):
    from marketplace_app.i18n import translate

    for key in (limit.account_key, limit.ip_key):
        for locale in ("en", "zh-CN"):
            text = translate(locale, key, minutes=7)
            assert "7" in text and text != key
