"""Reports of listings and the operator queue: reporting, dismissing, hiding."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.models import (
    AuditEntry,
    Category,
    Listing,
    ListingImage,
    Report,
    Shop,
    ShopMember,
)
from marketplace_app.services import moderation
from marketplace_app.services.errors import NotFound, PermissionDenied, ValidationFailed
from tests.unit.services.conftest import make_user


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


@pytest.fixture
def world(session):
    cat = Category(slug="home")
    session.add(cat)
    seller, reporter = make_user(session, "Seller"), make_user(session, "Reporter")
    mod = make_user(session, "Mod", role="moderator")
    session.flush()
    listing = Listing(
        seller_id=seller.id, kind="secondhand", category_id=cat.id, title="Lamp", price_cents=900
    )
    session.add(listing)
    session.flush()
    session.add(ListingImage(listing_id=listing.id, storage_key="b" * 24, width=1, height=1))
    session.flush()
    return seller, reporter, mod, listing


def report(session, reporter, listing, reason="scam", text="Asks for a deposit"):
    return moderation.report_listing(
        session, reporter_id=reporter.id, listing_id=listing.id, reason=reason, text=text
    )


def test_report_and_see_it_in_the_queue_with_context(session, world):
    seller, reporter, mod, listing = world
    filed = report(session, reporter, listing)
    assert (filed.status, filed.reason, filed.target_type) == ("open", "scam", "listing")
    (row,) = moderation.open_reports(session, actor_id=mod.id)
    assert (row.id, row.listing_title, row.seller_name, row.reporter_name) == (
        filed.id,
        "Lamp",
        "Seller",
        "Reporter",
    )
    assert (row.reason, row.text, row.cover_key, row.open_reports) == (
        "scam",
        "Asks for a deposit",
        "b" * 24,
        1,
    )


def test_one_open_report_per_reporter_and_listing(session, world):
    _, reporter, _, listing = world
    first = report(session, reporter, listing)
    second = report(session, reporter, listing, reason="prohibited", text="Weapons")
    assert first.id == second.id
    rows = session.exec(select(Report)).all()
    assert [(r.reason, r.text) for r in rows] == [("prohibited", "Weapons")]


@pytest.mark.parametrize(
    ("reason", "text", "expected"),
    [
        ("bogus", "", {"reason": "error.report_reason"}),
        ("", "", {"reason": "error.report_reason"}),
        ("other", " ", {"text": "error.report_text_required"}),
        ("scam", "x" * 1001, {"text": "error.too_long"}),
    ],
)
def test_reason_and_text_are_checked(session, world, reason, text, expected):
    _, reporter, _, listing = world
    assert fields_of(lambda: report(session, reporter, listing, reason, text)) == expected


def test_own_listing_and_own_shop_listing_refused(session, world):
    seller, _, _, listing = world
    assert fields_of(lambda: report(session, seller, listing)) == {
        "_form": "error.report_own_listing"
    }
    staff = make_user(session, "Staff")
    shop = Shop(owner_id=seller.id, name="S", slug="s", status="approved")
    session.add(shop)
    session.flush()
    session.add(ShopMember(shop_id=shop.id, user_id=staff.id))
    product = Listing(
        seller_id=seller.id,
        shop_id=shop.id,
        kind="shop",
        category_id=listing.category_id,
        title="Jam",
        price_cents=100,
    )
    session.add(product)
    session.flush()
    assert fields_of(lambda: report(session, staff, product)) == {
        "_form": "error.report_own_listing"
    }


@pytest.mark.parametrize("status", ["draft", "paused", "removed"])
def test_only_public_listings_can_be_reported(session, world, status):
    _, reporter, _, listing = world
    listing.status = status
    session.add(listing)
    session.flush()
    with pytest.raises(NotFound):
        report(session, reporter, listing)
    with pytest.raises(NotFound):
        moderation.report_listing(
            session, reporter_id=reporter.id, listing_id=987_654, reason="scam", text=""
        )


def test_sold_listings_can_be_reported(session, world):
    _, reporter, _, listing = world
    listing.status = "sold"
    session.add(listing)
    session.flush()
    assert report(session, reporter, listing).status == "open"


def test_hide_removes_the_listing_and_closes_all_its_reports(session, world):
    seller, reporter, mod, listing = world
    other = make_user(session, "Other")
    first = report(session, reporter, listing)
    report(session, other, listing, reason="prohibited", text="")
    assert moderation.open_reports(session)[0].open_reports == 2
    moderation.hide_listing(session, actor_id=mod.id, report_id=first.id, reason="Scam listing")
    assert session.get(Listing, listing.id).status == "removed"
    assert session.get(Listing, listing.id).deleted_at is None
    reports = session.exec(select(Report)).all()
    assert {(r.status, r.handled_by, r.resolution) for r in reports} == {
        ("actioned", mod.id, "Scam listing")
    }
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "listing.hide")).one()
    assert (audit.actor_id, audit.target_id, audit.reason) == (mod.id, listing.id, "Scam listing")
    assert moderation.removal_reason(session, listing.id) == "Scam listing"
    assert moderation.open_reports(session) == []
    with pytest.raises(NotFound):  # already removed
        moderation.hide_listing(session, actor_id=mod.id, listing_id=listing.id, reason="again")


def test_hide_needs_a_reason_and_works_without_a_report(session, world):
    _, _, mod, listing = world
    assert fields_of(
        lambda: moderation.hide_listing(session, actor_id=mod.id, listing_id=listing.id, reason="")
    ) == {"reason": "error.queue_reason_required"}
    assert session.get(Listing, listing.id).status == "active"
    moderation.hide_listing(session, actor_id=mod.id, listing_id=listing.id, reason="Counterfeit")
    assert session.get(Listing, listing.id).status == "removed"
    assert moderation.removal_reason(session, 424_242) is None


def test_dismiss_closes_one_report_and_keeps_the_listing(session, world):
    _, reporter, mod, listing = world
    filed = report(session, reporter, listing)
    moderation.dismiss_report(session, actor_id=mod.id, report_id=filed.id, reason="Looks fine")
    closed = session.get(Report, filed.id)
    assert (closed.status, closed.handled_by, closed.resolution) == (
        "dismissed",
        mod.id,
        "Looks fine",
    )
    assert session.get(Listing, listing.id).status == "active"
    assert moderation.removal_reason(session, listing.id) is None
    assert fields_of(
        lambda: moderation.dismiss_report(session, actor_id=mod.id, report_id=filed.id)
    ) == {"_form": "error.report_handled"}
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "report.dismiss")).one()
    with pytest.raises(NotFound):
        moderation.dismiss_report(session, actor_id=mod.id, report_id=555_555)


def test_non_moderators_are_refused_and_change_nothing(session, world):
    seller, reporter, _, listing = world
    filed = report(session, reporter, listing)
    for actor in (reporter.id, seller.id, 31_337):
        with pytest.raises(PermissionDenied):
            moderation.dismiss_report(session, actor_id=actor, report_id=filed.id)
        with pytest.raises(PermissionDenied):
            moderation.hide_listing(session, actor_id=actor, report_id=filed.id, reason="x")
        with pytest.raises(PermissionDenied):
            moderation.open_reports(session, actor_id=actor)
    assert session.get(Report, filed.id).status == "open"
    assert session.get(Listing, listing.id).status == "active"
    admin = make_user(session, "Admin", role="admin")
    moderation.dismiss_report(session, actor_id=admin.id, report_id=filed.id)
