"""The audit log reader: filters, newest first, paging, staff only; role changes land in it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from marketplace_app.models import AuditEntry
from marketplace_app.services import audit, roles
from marketplace_app.services.audit import AuditFilter
from marketplace_app.services.errors import PermissionDenied, ValidationFailed
from tests.unit.services.conftest import in_session, make_user


@pytest.fixture
def log(session):
    admin = make_user(session, "Admin", role="admin")
    mod = make_user(session, "Mona", email="mona@staff.town", role="moderator")
    rows = [
        (mod, "report.dismiss", "report", 1, datetime(2026, 3, 1, 2, tzinfo=UTC)),
        (mod, "sanction.suspend", "user", 7, datetime(2026, 3, 2, 2, tzinfo=UTC)),
        (admin, "sanction.ban", "user", 8, datetime(2026, 3, 3, 2, tzinfo=UTC)),
        (admin, "listing.hide", "listing", 9, datetime(2026, 3, 4, 2, tzinfo=UTC)),
        (None, "role.admin_created", "user", admin.id, datetime(2026, 3, 5, 2, tzinfo=UTC)),
    ]
    for actor, action, kind, target, at in rows:
        session.add(
            AuditEntry(
                actor_id=actor.id if actor else None,
                action=action,
                target_type=kind,
                target_id=target,
                reason=f"why {target}",
                at=at,
            )
        )
    session.flush()
    return admin, mod


def actions(session, reader, **kw) -> list[str]:
    rows, _ = audit.entries(session, reader.id, AuditFilter(**kw))
    return [r.action for r in rows]


def test_newest_first_with_actor_names(session, log):
    admin, _ = log
    rows, more = audit.entries(session, admin.id)
    assert [r.action for r in rows] == [
        "role.admin_created",
        "listing.hide",
        "sanction.ban",
        "sanction.suspend",
        "report.dismiss",
    ]
    assert (rows[0].actor_name, rows[1].actor_name, rows[1].reason) == ("", "Admin", "why 9")
    assert more is False


def test_filters_by_actor_action_target_and_local_days(session, log):
    admin, _ = log
    assert actions(session, admin, actor="mona@") == ["sanction.suspend", "report.dismiss"]
    assert actions(session, admin, actor="ADM") == ["listing.hide", "sanction.ban"]
    assert actions(session, admin, action="sanction.") == ["sanction.ban", "sanction.suspend"]
    assert actions(session, admin, action="sanction.ban") == ["sanction.ban"]
    assert actions(session, admin, action="sanction") == []  # exact unless it ends with "."
    assert actions(session, admin, target_type="listing") == ["listing.hide"]
    # 2026-03-02 02:00 UTC is 10:00 on 2 March in the market's zone (Asia/Shanghai).
    between = actions(session, admin, since=date(2026, 3, 2), until=date(2026, 3, 3))
    assert between == ["sanction.ban", "sanction.suspend"]
    assert actions(session, admin, actor="nobody") == []
    with pytest.raises(ValidationFailed) as caught:
        actions(session, admin, since=date(2026, 3, 3), until=date(2026, 3, 1))
    assert caught.value.fields == {"until": "error.audit_dates"}


def test_pages_follow_each_other(session, log):
    admin, _ = log
    first, more = audit.entries(session, admin.id, limit=2)
    second, more2 = audit.entries(session, admin.id, limit=2, offset=2)
    third, more3 = audit.entries(session, admin.id, limit=2, offset=4)
    assert (more, more2, more3) == (True, True, False)
    assert len({r.id for r in first + second + third}) == 5


def test_only_staff_read_the_log(session, log):
    user = make_user(session, "User")
    with pytest.raises(PermissionDenied):
        audit.entries(session, user.id)
    with pytest.raises(PermissionDenied):
        audit.entries(session, 12345)


def test_role_changes_are_audited(session, log):
    admin, _ = log
    user = make_user(session, "Newbie")
    roles.set_role(session, actor_id=admin.id, user_id=user.id, role="moderator", reason="Helps")
    rows, _ = audit.entries(session, admin.id, AuditFilter(action="role."))
    latest = rows[0]
    assert (latest.action, latest.target_id, latest.actor_name, latest.reason) == (
        "role.set_moderator",
        user.id,
        "Admin",
        "Helps",
    )
    here = in_session(session)
    made = roles.create_admin(
        here, here, name="Root", email="root@x.town", password="long-password"
    )
    rows, _ = audit.entries(session, admin.id, AuditFilter(action="role.admin_created"))
    assert made.id in [r.target_id for r in rows]


def test_an_operators_reason_is_trimmed_required_when_asked_and_capped():
    assert audit.checked_reason("  spam  ", required=True) == "spam"
    assert audit.checked_reason(None, required=False) == ""
    for reason, required, key in (
        ("  ", True, "error.queue_reason_required"),
        ("x" * 501, False, "error.too_long"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            audit.checked_reason(reason, required=required)
        assert caught.value.fields == {"reason": key}
