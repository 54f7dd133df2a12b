"""Shops: applications, one live shop per user, approval and rejection, the public page."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlmodel import select

from marketplace_app.models import AuditEntry, Category, Listing, OutboxEmail, Shop, ShopMember
from marketplace_app.services import media, roles, shops
from marketplace_app.services.errors import NotFound, OwnCase, PermissionDenied, ValidationFailed
from marketplace_app.services.shops import ShopApplicationInput
from tests.unit.services.conftest import make_user
from tests.unit.shop_samples import SHOP_PROFILE

WEEK = {day: [("08:00", "18:00")] for day in shops.WEEKDAYS[:5]}


def application(**changes) -> ShopApplicationInput:
    return ShopApplicationInput(**{**SHOP_PROFILE, "email": "", "hours": WEEK, **changes})


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def mod(session):
    return make_user(session, "Mod", role="moderator")


# --- validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": ""}, {"name": "error.required"}),
        ({"name": "A"}, {"name": "error.shop_name_length"}),
        ({"name": "x" * 81}, {"name": "error.shop_name_length"}),
        ({"description": " "}, {"description": "error.required"}),
        ({"description": "x" * 2001}, {"description": "error.too_long"}),
        ({"address": ""}, {"address": "error.required"}),
        ({"address": "x" * 201}, {"address": "error.too_long"}),
        ({"pickup_point": ""}, {"pickup_point": "error.required"}),
        ({"district": "Atlantis"}, {"district": "error.shop_district"}),
        ({"phone": "", "email": ""}, {"phone": "error.shop_contact_required"}),
        ({"phone": "call me"}, {"phone": "error.phone_invalid"}),
        ({"email": "not-an-email"}, {"email": "error.email_invalid"}),
        ({"hours": {}}, {"hours": "error.shop_hours_none"}),
        ({"hours": {"mon": [("8:00", "18:00")]}}, {"hours_mon": "error.shop_hours_time"}),
        ({"hours": {"tue": [("18:00", "08:00")]}}, {"hours_tue": "error.shop_hours_order"}),
        ({"hours": {"wed": [("09:00", "09:00")]}}, {"hours_wed": "error.shop_hours_order"}),
        (
            {"hours": {"thu": [("09:00", "13:00"), ("12:00", "18:00")]}},
            {"hours_thu": "error.shop_hours_overlap"},
        ),
        ({"hours": {"fri": [("24:00", "24:00")]}}, {"hours_fri": "error.shop_hours_time"}),
        (
            {
                "hours": {
                    "sat": [
                        ("06:00", "07:00"),
                        ("08:00", "09:00"),
                        ("10:00", "11:00"),
                        ("12:00", "13:00"),
                    ]
                }
            },  # noqa: E501
            {"hours_sat": "error.shop_hours_too_many"},
        ),
    ],
)
def test_each_field_is_checked(session, changes, expected):
    ann = make_user(session, "Ann")
    assert fields_of(lambda: shops.apply(session, ann.id, application(**changes))) == expected
    assert session.exec(select(Shop)).all() == []


def test_valid_hours_edge_cases_pass():
    data = application(
        email="Shop@Example.com",
        phone="",
        hours={"mon": [("00:00", "24:00")], "sun": [("13:00", "17:00"), ("08:00", "12:00")]},
    ).cleaned()
    assert data.errors() == {}
    assert data.email == "shop@example.com"


def test_apply_stores_everything_pending_with_slug_and_audit(session):
    ann = make_user(session, "Ann")
    shop = shops.apply(session, ann.id, application(), logo=png_bytes())
    assert shop.status == "pending"
    assert shop.slug == "corner-bakery"
    assert shop.owner_id == ann.id
    assert json.loads(shop.opening_hours)["mon"] == [["08:00", "18:00"]]
    assert json.loads(shop.opening_hours)["sun"] == []
    assert shop.lat is not None and shop.lon is not None
    assert media.rendition_path(shop.logo_key, 320).exists()
    assert shop.banner_key is None
    assert shops.my_shop(session, ann.id).id == shop.id
    # No shop rights before approval.
    assert roles.shop_ids_for(session, ann.id) == []
    audit = session.exec(select(AuditEntry).where(AuditEntry.target_type == "shop")).one()
    assert (audit.action, audit.actor_id) == ("shop.apply", ann.id)


def test_bad_logo_is_refused_on_its_field_and_nothing_stays(session):
    ann = make_user(session, "Ann")
    before = set(media.media_dir().glob("*")) if media.media_dir().exists() else set()
    errors = fields_of(
        lambda: shops.apply(session, ann.id, application(), logo=png_bytes(), banner=b"GIF89a")
    )
    assert errors == {"banner": "error.image_type"}
    after = set(media.media_dir().glob("*")) if media.media_dir().exists() else set()
    assert after == before
    assert fields_of(lambda: shops.apply(session, ann.id, application(), logo="../../etc")) == {
        "logo": "error.image_corrupt"
    }


def test_chinese_names_get_a_slug_and_duplicates_are_numbered(session):
    ann, bob, cy = make_user(session, "Ann"), make_user(session, "Bob"), make_user(session, "Cy")
    zh = shops.apply(session, ann.id, application(name="麦香面包坊"))
    assert zh.slug == f"shop-{zh.id}"
    one = shops.apply(session, bob.id, application(name="Green Grocer"))
    two = shops.apply(session, cy.id, application(name="Green  Grocer!"))
    assert (one.slug, two.slug) == ("green-grocer", "green-grocer-2")
    dave = make_user(session, "Dave")
    reserved = shops.apply(session, dave.id, application(name="Apply"))
    assert reserved.slug == f"shop-{reserved.id}"


def test_names_are_unique_ignoring_case(session):
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    shops.apply(session, ann.id, application(name="Corner Bakery"))
    errors = fields_of(lambda: shops.apply(session, bob.id, application(name="corner bakery")))
    assert errors == {"name": "error.shop_name_taken"}


def test_one_live_shop_per_user(session, mod):
    ann = make_user(session, "Ann")
    shop = shops.apply(session, ann.id, application())
    assert fields_of(lambda: shops.apply(session, ann.id, application(name="Second"))) == {
        "_form": "error.shop_exists"
    }
    shops.approve(session, actor_id=mod.id, shop_id=shop.id)
    assert fields_of(lambda: shops.apply(session, ann.id, application(name="Second"))) == {
        "_form": "error.shop_exists"
    }


def test_reapply_after_rejection_reuses_the_row(session, mod):
    ann = make_user(session, "Ann")
    shop = shops.apply(session, ann.id, application())
    shops.reject(session, actor_id=mod.id, shop_id=shop.id, reason="Add your opening hours")
    assert shops.my_shop(session, ann.id).review_reason == "Add your opening hours"
    again = shops.apply(session, ann.id, application(name="Corner Bakery & Cafe"))
    assert again.id == shop.id
    assert (again.status, again.review_reason, again.slug) == (
        "pending",
        "",
        "corner-bakery-cafe",
    )
    assert len(session.exec(select(Shop)).all()) == 1


# --- review --------------------------------------------------------------------------


def test_only_moderators_review(session, mod):
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    shop = shops.apply(session, ann.id, application())
    for actor in (ann.id, bob.id, 999_999):
        with pytest.raises(PermissionDenied):
            shops.approve(session, actor_id=actor, shop_id=shop.id)
        with pytest.raises(PermissionDenied):
            shops.reject(session, actor_id=actor, shop_id=shop.id, reason="no")
        with pytest.raises(PermissionDenied):
            shops.pending_applications(session, actor_id=actor)
    assert session.get(Shop, shop.id).status == "pending"
    admin = make_user(session, "Root", role="admin")
    assert [s.id for s in shops.pending_applications(session, actor_id=admin.id)] == [shop.id]


def test_approve_makes_the_owner_staff_audits_and_emails(session, mod):
    ann = make_user(session, "Ann")
    shop = shops.apply(session, ann.id, application())
    shops.approve(session, actor_id=mod.id, shop_id=shop.id)
    shop = session.get(Shop, shop.id)
    assert (shop.status, shop.reviewed_by) == ("approved", mod.id)
    assert shop.reviewed_at is not None
    member = session.exec(select(ShopMember).where(ShopMember.shop_id == shop.id)).one()
    assert (member.user_id, member.role) == (ann.id, "owner")
    assert roles.shop_ids_for(session, ann.id) == [shop.id]
    actions = session.exec(
        select(AuditEntry.action, AuditEntry.actor_id).where(AuditEntry.target_id == shop.id)
    ).all()
    assert ("shop.approve", mod.id) in actions
    mail = session.exec(select(OutboxEmail)).one()
    assert mail.to_addr == ann.email
    assert "Corner Bakery" in mail.subject
    assert shops.pending_applications(session) == []
    assert fields_of(lambda: shops.approve(session, actor_id=mod.id, shop_id=shop.id)) == {
        "_form": "error.shop_not_pending"
    }
    with pytest.raises(NotFound):
        shops.approve(session, actor_id=mod.id, shop_id=123_456)


def test_reject_needs_a_reason_and_is_audited(session, mod):
    ann = make_user(session, "Ann")
    shop = shops.apply(session, ann.id, application())
    assert fields_of(
        lambda: shops.reject(session, actor_id=mod.id, shop_id=shop.id, reason=" ")
    ) == {"reason": "error.queue_reason_required"}
    assert fields_of(
        lambda: shops.reject(session, actor_id=mod.id, shop_id=shop.id, reason="x" * 501)
    ) == {"reason": "error.too_long"}
    shops.reject(session, actor_id=mod.id, shop_id=shop.id, reason="Photos missing")
    shop = session.get(Shop, shop.id)
    assert (shop.status, shop.review_reason) == ("rejected", "Photos missing")
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "shop.reject")).one()
    assert (audit.actor_id, audit.target_id, audit.reason) == (mod.id, shop.id, "Photos missing")
    assert roles.shop_ids_for(session, ann.id) == []
    assert "Photos missing" in session.exec(select(OutboxEmail)).one().body_text


def test_pending_queue_is_oldest_first_with_names(session):
    a, b = make_user(session, "Ann"), make_user(session, "Bob")
    first = shops.apply(session, a.id, application(name="First"))
    second = shops.apply(session, b.id, application(name="Second"))
    pending = shops.pending_applications(session)
    assert [s.id for s in pending] == [first.id, second.id]
    assert shops.applicant_names(session, pending) == {a.id: "Ann", b.id: "Bob"}


# --- profile and public page ---------------------------------------------------------------


def test_public_page_only_for_approved_shops(session, mod):
    ann = make_user(session, "Ann")
    shop = shops.apply(session, ann.id, application())
    with pytest.raises(NotFound):
        shops.public_shop(session, shop.slug)
    shops.approve(session, actor_id=mod.id, shop_id=shop.id)
    cat = Category(slug="bakery")
    session.add(cat)
    session.flush()
    for title, status in (("Rye", "active"), ("Hidden", "draft"), ("Paused", "paused")):
        session.add(
            Listing(
                seller_id=ann.id,
                shop_id=shop.id,
                kind="shop",
                category_id=cat.id,
                title=title,
                price_cents=500,
                status=status,
            )
        )
    session.flush()
    found, cards = shops.public_shop(session, "corner-bakery")
    assert found.id == shop.id
    assert [c.title for c in cards] == ["Rye"]
    for slug in ("", "nope", "x" * 200, None):
        with pytest.raises(NotFound):
            shops.public_shop(session, slug)


def test_parse_hours_tolerates_bad_data():
    assert shops.parse_hours("not json")["mon"] == []
    hours = shops.parse_hours(json.dumps({"mon": [["08:00", "12:00"]], "tue": "x"}))
    assert hours["mon"] == [("08:00", "12:00")] and hours["tue"] == []


def test_update_profile_by_owner_only(session, mod):
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    shop = shops.apply(session, ann.id, application())
    with pytest.raises(NotFound):  # not yet approved
        shops.update_profile(session, ann.id, shop.id, application(description="New"))
    shops.approve(session, actor_id=mod.id, shop_id=shop.id)
    with pytest.raises(NotFound):
        shops.update_profile(session, bob.id, shop.id, application(description="Mine now"))
    updated = shops.update_profile(session, ann.id, shop.id, application(name="Clock Bakery"))
    assert (updated.name, updated.slug, updated.status) == (
        "Clock Bakery",
        "clock-bakery",
        "approved",
    )


def test_an_operator_cannot_decide_their_own_application(session, mod):
    admin = make_user(session, "Root", role="admin")
    for operator, name in ((mod, "Mod's Deli"), (admin, "Root Cellar")):  # admins too
        shop = shops.apply(session, operator.id, application(name=name))
        with pytest.raises(OwnCase) as refused:
            shops.approve(session, actor_id=operator.id, shop_id=shop.id)
        assert refused.value.key == "error.own_case"
        with pytest.raises(OwnCase):
            shops.reject(session, actor_id=operator.id, shop_id=shop.id, reason="no")
        assert session.get(Shop, shop.id).status == "pending"
        assert shops.concerns(session, operator.id, shop)
    mods_shop, admins_shop = shops.pending_applications(session, actor_id=mod.id)
    shops.approve(session, actor_id=admin.id, shop_id=mods_shop.id)
    shops.reject(session, actor_id=mod.id, shop_id=admins_shop.id, reason="Incomplete")
