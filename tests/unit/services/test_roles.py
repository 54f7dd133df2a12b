"""Roles: platform roles, shop staff, role changes and the admin command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select

from marketplace_app.models import AuditEntry, Shop, ShopMember, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import accounts, auth_sessions, roles
from marketplace_app.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.unit.services.conftest import in_session, log_in_here, make_user

PASSWORD = "s3cret-pass"


def register(session, contact="ann@example.com", name="Ann", password=PASSWORD, locale="en"):
    return accounts.register(session, name=name, contact=contact, password=password, locale=locale)


def login(session, contact="ann@example.com", password=PASSWORD, ip="198.51.100.1"):
    return log_in_here(session, contact=contact, password=password, ip=ip)


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert caught.value.key == "error.validation"
    return caught.value.fields


def new_session(session, user_id: int) -> str:
    ticket = auth_sessions.issue_login_ticket(session, user_id)
    token = auth_sessions.redeem_login_ticket(session, ticket, user_agent="pytest", ip="127.0.0.1")
    assert token
    return token


@pytest.mark.parametrize(
    ("role", "checks"),
    [
        ("user", {"user": True, "moderator": False, "admin": False}),
        ("moderator", {"user": True, "moderator": True, "admin": False}),
        ("admin", {"user": True, "moderator": True, "admin": True}),
    ],
)
def test_has_role(role, checks):
    user = User(name="x", email="x@example.com", password_hash="-", role=role)
    assert {r: roles.has_role(user, r) for r in checks} == checks
    assert not roles.has_role(user, "owner")
    user.deleted_at = utcnow()
    assert not roles.has_role(user, "user")


def test_require_staff_is_the_one_operator_check(session):
    user = make_user(session, "Uma")
    mod = make_user(session, "Mo", role="moderator")
    admin = make_user(session, "Ada", role="admin")
    gone = make_user(session, "Gus", role="admin", deleted_at=utcnow())
    assert roles.require_staff(session, mod.id) is mod
    assert roles.require_staff(session, admin.id) is admin  # admins are moderators too
    assert roles.require_staff(session, admin.id, "admin") is admin
    for who, role in (
        (user.id, "moderator"),
        (mod.id, "admin"),
        (gone.id, "moderator"),
        (999_999, "moderator"),
        (True, "moderator"),
        ("1", "moderator"),
        (None, "moderator"),
    ):
        with pytest.raises(PermissionDenied):
            roles.require_staff(session, who, role)


SERVICES = Path(roles.__file__).parent


def test_no_service_keeps_its_own_copy_of_the_operator_check():
    """Only roles.require_staff refuses a caller for lacking a platform role."""
    raising = sorted(
        str(path.relative_to(SERVICES))
        for path in SERVICES.rglob("*.py")
        if "raise PermissionDenied" in path.read_text(encoding="utf-8")
    )
    assert raising == ["roles.py"]
    checking_the_actor = sorted(
        str(path.relative_to(SERVICES))
        for path in SERVICES.rglob("*.py")
        if re.search(r"has_role\((actor|user|operator)\b", path.read_text(encoding="utf-8"))
    )
    assert checking_the_actor == ["roles.py"]


def test_shop_ids_for(session):
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    shops = [Shop(owner_id=ann.id, name=f"S{i}", slug=f"s{i}", status="approved") for i in range(3)]
    session.add_all(shops)
    session.flush()
    session.add(ShopMember(shop_id=shops[2].id, user_id=ann.id, role="owner"))
    session.add(ShopMember(shop_id=shops[0].id, user_id=ann.id))
    session.add(ShopMember(shop_id=shops[1].id, user_id=bob.id))
    session.flush()
    assert roles.shop_ids_for(session, ann.id) == [shops[0].id, shops[2].id]
    assert roles.shop_ids_for(session, 999) == []


def test_shop_ids_for_counts_only_approved_shops(session):
    ann = make_user(session, "Ann")
    shops = {
        status: Shop(owner_id=ann.id, name=status, slug=status, status=status)
        for status in ("pending", "approved", "rejected", "suspended")
    }
    session.add_all(shops.values())
    session.flush()
    for shop in shops.values():
        session.add(ShopMember(shop_id=shop.id, user_id=ann.id, role="owner"))
    session.flush()
    assert roles.shop_ids_for(session, ann.id) == [shops["approved"].id]
    # Approval is what makes the staff count; suspension takes it away again.
    shops["pending"].status = "approved"
    shops["approved"].status = "suspended"
    session.add_all(shops.values())
    session.flush()
    assert roles.shop_ids_for(session, ann.id) == [shops["pending"].id]


def test_set_role_needs_an_admin_and_is_audited(session):
    admin = make_user(session, "Ada", role="admin")
    mod = make_user(session, "Mo", role="moderator")
    ann = make_user(session, "Ann")
    with pytest.raises(PermissionDenied):
        roles.set_role(session, actor_id=mod.id, user_id=ann.id, role="moderator", reason="")
    with pytest.raises(PermissionDenied):
        roles.set_role(session, actor_id=999, user_id=ann.id, role="moderator", reason="")
    with pytest.raises(NotFound):
        roles.set_role(session, actor_id=admin.id, user_id=999, role="moderator", reason="")
    assert fields_of(
        lambda: roles.set_role(
            session, actor_id=admin.id, user_id=ann.id, role="king", reason="r" * 501
        )
    ) == {"role": "error.role_invalid", "reason": "error.too_long"}

    roles.set_role(
        session, actor_id=admin.id, user_id=ann.id, role="moderator", reason="Helps a lot"
    )
    session.refresh(ann)
    assert ann.role == "moderator"
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id, entry.reason) == (
        admin.id,
        "role.set_moderator",
        "user",
        ann.id,
        "Helps a lot",
    )


def test_the_last_admin_cannot_step_down(session):
    admin = make_user(session, "Ada", role="admin")
    assert fields_of(
        lambda: roles.set_role(session, actor_id=admin.id, user_id=admin.id, role="user", reason="")
    ) == {"_form": "error.last_admin"}
    other = make_user(session, "Bea")
    roles.set_role(session, actor_id=admin.id, user_id=other.id, role="admin", reason="")
    roles.set_role(session, actor_id=admin.id, user_id=admin.id, role="user", reason="")
    session.refresh(admin)
    assert admin.role == "user"


def create_admin(session, name: str, email: str, password: str) -> User:
    here = in_session(session)
    return roles.create_admin(here, here, name=name, email=email, password=password)


def test_create_admin_new_and_existing(session):
    admin = create_admin(session, name="Root", email="Root@Example.com", password="admin-pass")
    assert (admin.email, admin.role) == ("root@example.com", "admin")
    ann = register(session)
    token = new_session(session, ann.id)
    promoted = create_admin(
        session, name="ignored", email="ann@example.com", password="new-admin-pass"
    )
    assert promoted.id == ann.id
    assert (promoted.role, promoted.name) == ("admin", "Ann")
    assert auth_sessions.user_for_session(session, token) is None
    assert login(session, password="new-admin-pass").id == ann.id
    entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.actor_id, e.action, e.target_id) for e in entries] == [
        (None, "role.admin_created", admin.id),
        (None, "role.admin_created", ann.id),
    ]
    assert fields_of(
        lambda: create_admin(session, name="", email="+8613800138000", password="x")
    ) == {
        "name": "error.name_required",
        "email": "error.email_invalid",
        "password": "error.password_too_short",
    }
