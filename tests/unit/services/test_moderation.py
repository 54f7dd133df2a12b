"""Reports and the operator's actions: reporting, dismissing, hiding, sanctions, permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace_app.models import (
    AuditEntry,
    Category,
    Conversation,
    InboxItem,
    Listing,
    ListingImage,
    Message,
    Report,
    Sanction,
    Shop,
    ShopMember,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import moderation, moderation_queue, sanctions
from marketplace_app.services.errors import NotFound, OwnCase, PermissionDenied, ValidationFailed
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


# -- members, messages and the actions beyond hiding --------------------------------


def notices(session, user_id: int, key: str) -> list[InboxItem]:
    return session.exec(
        select(InboxItem).where(InboxItem.user_id == user_id, InboxItem.message_key == key)
    ).all()


def audits(session, action: str) -> list[AuditEntry]:
    return session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()


def thread(session, buyer, seller, listing, *bodies: str) -> list[Message]:
    """A conversation about ``listing``; bodies alternate buyer, seller, buyer, ..."""
    convo = Conversation(
        topic=f"listing:{listing.id}:{buyer.id}",
        listing_id=listing.id,
        buyer_id=buyer.id,
        seller_id=seller.id,
    )
    session.add(convo)
    session.flush()
    messages = []
    for i, body in enumerate(bodies):
        msg = Message(conversation_id=convo.id, sender_id=(buyer, seller)[i % 2].id, body=body)
        session.add(msg)
        session.flush()
        messages.append(msg)
    return messages


def report_message(session, reporter, message, reason="offensive") -> Report:
    row = Report(
        reporter_id=reporter.id, target_type="message", target_id=message.id, reason=reason
    )
    session.add(row)
    session.flush()
    return row


def test_report_a_member_and_the_seller_of_a_listing(session, world):
    seller, reporter, _, listing = world
    direct = moderation.report_user(
        session, reporter_id=reporter.id, user_id=seller.id, reason="scam", text="No-show"
    )
    via_card = moderation.report_seller(
        session, reporter_id=reporter.id, listing_id=listing.id, reason="other", text="Rude"
    )
    assert via_card.id == direct.id  # one open report per reporter and member
    assert (via_card.target_type, via_card.target_id, via_card.reason) == (
        "user",
        seller.id,
        "other",
    )
    assert fields_of(
        lambda: moderation.report_user(
            session, reporter_id=seller.id, user_id=seller.id, reason="scam", text=""
        )
    ) == {"_form": "error.report_self"}
    assert fields_of(
        lambda: moderation.report_user(
            session, reporter_id=reporter.id, user_id=seller.id, reason="other", text=""
        )
    ) == {"text": "error.report_text_required"}
    with pytest.raises(NotFound):
        moderation.report_user(
            session, reporter_id=reporter.id, user_id=999_999, reason="scam", text=""
        )
    listing.status = "draft"
    session.add(listing)
    with pytest.raises(NotFound):
        moderation.report_seller(
            session, reporter_id=reporter.id, listing_id=listing.id, reason="scam", text=""
        )


def test_hiding_a_listing_tells_its_owner_why(session, world):
    seller, reporter, mod, listing = world
    filed = report(session, reporter, listing)
    moderation.hide_reported(session, actor_id=mod.id, report_id=filed.id, reason="Fake brand")
    (notice,) = notices(session, seller.id, "inbox.moderation.listing_removed")
    assert "Fake brand" in notice.params and notice.link == "/my/listings"
    assert moderation.removal_reasons(session, [listing.id, 123]) == {listing.id: "Fake brand"}


def test_hide_a_reported_message_keeps_its_words_and_tells_the_sender(session, world):
    seller, reporter, mod, listing = world
    _, rude = thread(session, reporter, seller, listing, "Is it still there?", "Get lost, idiot")
    filed = report_message(session, reporter, rude)
    other = report_message(session, make_user(session, "Witness"), rude, reason="other")
    moderation.hide_reported(session, actor_id=mod.id, report_id=filed.id, reason="Insults")
    session.refresh(rude)
    assert (rude.body, rude.hidden_reason) == ("Get lost, idiot", "Insults")
    assert rude.hidden_at is not None
    assert {session.get(Report, i).status for i in (filed.id, other.id)} == {"actioned"}
    (entry,) = audits(session, "message.hide")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (mod.id, "message", rude.id)
    assert len(notices(session, seller.id, "inbox.moderation.message_hidden")) == 1


def test_a_member_report_cannot_be_hidden(session, world):
    seller, reporter, mod, _ = world
    filed = moderation.report_user(
        session, reporter_id=reporter.id, user_id=seller.id, reason="scam", text=""
    )
    with pytest.raises(NotFound):
        moderation.hide_reported(session, actor_id=mod.id, report_id=filed.id, reason="x")
    assert session.get(Report, filed.id).status == "open"


@pytest.mark.parametrize(
    ("kind", "days", "key"),
    [
        ("warn", None, "inbox.moderation.warn"),
        ("suspend", 7, "inbox.moderation.suspend"),
        ("ban", None, "inbox.moderation.ban"),
    ],
)
def test_sanction_the_seller_from_a_listing_report(session, world, kind, days, key):
    seller, reporter, mod, listing = world
    filed = report(session, reporter, listing)
    before = utcnow()
    row = moderation.sanction(
        session, actor_id=mod.id, report_id=filed.id, kind=kind, days=days, reason="Scamming"
    )
    assert (row.user_id, row.kind, row.reason, row.actor_id) == (
        seller.id,
        kind,
        "Scamming",
        mod.id,
    )
    if days:
        assert timedelta(days=7) <= row.ends_at - before < timedelta(days=7, minutes=1)
    else:
        assert row.ends_at is None
    assert session.get(Report, filed.id).status == "actioned"
    assert session.get(Listing, listing.id).status == "active"  # the listing itself stays
    (entry,) = audits(session, f"sanction.{kind}")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (mod.id, "user", seller.id)
    assert "Scamming" in entry.reason
    assert len(notices(session, seller.id, key)) == 1
    standing = sanctions.restriction(session, seller.id)
    assert (standing.kind if standing else None) == (None if kind == "warn" else kind)


def test_the_member_responsible_for_each_kind_of_report(session, world):
    seller, reporter, mod, listing = world
    question, _ = thread(session, reporter, seller, listing, "Cheaper?", "No")
    by_message = report_message(session, seller, question)
    by_user = moderation.report_user(
        session, reporter_id=seller.id, user_id=reporter.id, reason="scam", text=""
    )
    assert moderation.responsible_member(session, by_message) == reporter.id
    assert moderation.responsible_member(session, by_user) == reporter.id
    moderation.sanction(
        session, actor_id=mod.id, report_id=by_user.id, kind="suspend", days=1, reason="Spam"
    )
    assert session.get(Report, by_message.id).status == "open"  # another target: still open
    assert sanctions.restriction(session, reporter.id).kind == "suspend"


def test_sanction_checks_days_kind_reason_and_never_hits_staff(session, world):
    seller, reporter, mod, listing = world
    filed = report(session, reporter, listing)

    def fields(**kw):
        args = {
            "actor_id": mod.id,
            "report_id": filed.id,
            "kind": "suspend",
            "days": 3,
            "reason": "x",
        }
        return fields_of(lambda: moderation.sanction(session, **{**args, **kw}))

    for days in (0, 366, None, "7", True):
        assert fields(days=days) == {"days": "error.suspend_days"}
    assert fields(kind="delete") == {"_form": "error.sanction_kind"}
    assert fields(reason=" ") == {"reason": "error.queue_reason_required"}
    admin = make_user(session, "Boss", role="admin")
    for target in (admin.id, mod.id):
        assert fields(report_id=None, user_id=target) == {"_form": "error.sanction_staff"}
    with pytest.raises(NotFound):
        moderation.sanction(session, actor_id=mod.id, user_id=424_242, kind="warn", reason="x")
    assert session.exec(select(Sanction)).all() == []
    assert session.get(Report, filed.id).status == "open"
    moderation.sanction(
        session, actor_id=mod.id, report_id=filed.id, kind="suspend", days=365, reason="ok"
    )


def test_lift_a_suspension_early(session, world):
    seller, _, mod, _ = world
    row = moderation.sanction(
        session, actor_id=mod.id, user_id=seller.id, kind="suspend", days=30, reason="x"
    )
    assert sanctions.restriction(session, seller.id) is not None
    moderation.lift_sanction(session, actor_id=mod.id, sanction_id=row.id, reason="Appeal upheld")
    assert sanctions.restriction(session, seller.id) is None
    assert (row.lifted_by, row.lifted_at is not None) == (mod.id, True)
    (entry,) = audits(session, "sanction.lift")
    assert (entry.target_id, entry.reason) == (seller.id, f"suspend #{row.id}: Appeal upheld")
    assert len(notices(session, seller.id, "inbox.moderation.lifted")) == 1
    with pytest.raises(NotFound):
        moderation.lift_sanction(session, actor_id=mod.id, sanction_id=row.id)


def test_no_operator_action_by_a_normal_user(session, world):
    seller, reporter, mod, listing = world
    filed = report(session, reporter, listing)
    (msg,) = thread(session, reporter, seller, listing, "hello")
    msg_report = report_message(session, seller, msg)
    row = moderation.sanction(session, actor_id=mod.id, user_id=seller.id, kind="ban", reason="x")
    calls = [
        lambda a: moderation.hide_reported(session, actor_id=a, report_id=filed.id, reason="x"),
        lambda a: moderation.hide_message(session, actor_id=a, report_id=msg_report.id, reason="x"),
        lambda a: moderation.sanction(
            session, actor_id=a, report_id=filed.id, kind="warn", reason="x"
        ),
        lambda a: moderation.sanction(
            session, actor_id=a, user_id=reporter.id, kind="ban", reason="x"
        ),
        lambda a: moderation.lift_sanction(session, actor_id=a, sanction_id=row.id),
    ]
    for actor in (reporter.id, seller.id, 31_337):
        for call in calls:
            with pytest.raises(PermissionDenied):
                call(actor)
    assert session.get(Report, filed.id).status == "open"
    assert session.get(Report, msg_report.id).status == "open"
    assert row.lifted_at is None
    assert len(session.exec(select(Sanction)).all()) == 1


# -- operators never decide reports against themselves


def test_an_operator_cannot_decide_a_report_of_their_own_listing(session, world):
    _, reporter, mod, _ = world
    admin = make_user(session, "Admin", role="admin")
    for operator in (mod, admin):  # an admin is no exception
        own = Listing(seller_id=operator.id, kind="secondhand", title="Own lamp", price_cents=900)
        session.add(own)
        session.flush()
        filed = report(session, reporter, own)
        (row,) = [r for r in moderation.open_reports(session, actor_id=operator.id) if r.mine]
        assert row.id == filed.id
        for decide, extra in (
            (moderation.dismiss_report, {}),
            (moderation.hide_reported, {"reason": "x"}),
            (moderation.hide_listing, {"reason": "x"}),
            (moderation.sanction, {"kind": "warn", "reason": "x"}),
        ):
            with pytest.raises(OwnCase) as refused:
                decide(session, actor_id=operator.id, report_id=filed.id, **extra)
            assert refused.value.key == "error.own_case"
        assert (session.get(Report, filed.id).status, own.status) == ("open", "active")
    # Each decides the other's.
    rows = moderation.open_reports(session, actor_id=mod.id)
    assert [r.mine for r in rows] == [True, False]
    moderation.dismiss_report(session, actor_id=mod.id, report_id=rows[1].id)


def test_a_shop_product_report_is_its_staffs_own_case(session, world):
    seller, reporter, mod, _ = world
    shop = Shop(owner_id=seller.id, name="Lamps", slug="lamps", status="approved")
    session.add(shop)
    session.flush()
    session.add(ShopMember(shop_id=shop.id, user_id=mod.id, role="staff"))
    product = Listing(
        seller_id=seller.id, shop_id=shop.id, kind="shop", title="Lamp shade", price_cents=500
    )
    session.add(product)
    session.flush()
    filed = report(session, reporter, product)
    with pytest.raises(OwnCase):
        moderation.dismiss_report(session, actor_id=mod.id, report_id=filed.id)


def test_an_operator_cannot_decide_a_report_of_themselves_or_their_messages(session, world):
    seller, reporter, mod, listing = world
    admin = make_user(session, "Admin", role="admin")
    of_mod = moderation.report_user(
        session, reporter_id=reporter.id, user_id=mod.id, reason="scam", text=""
    )
    sent, received = thread(session, mod, seller, listing, "pay me first", "no thanks")
    of_sent = report_message(session, seller, sent)
    of_received = report_message(session, mod, received)  # a conversation they take part in
    for filed in (of_mod, of_sent, of_received):
        with pytest.raises(OwnCase):
            moderation.dismiss_report(session, actor_id=mod.id, report_id=filed.id)
        assert moderation.involves(session, mod.id, filed)
        assert not moderation.involves(session, admin.id, filed)
    with pytest.raises(OwnCase):
        moderation.hide_message(session, actor_id=mod.id, report_id=of_sent.id, reason="x")
    with pytest.raises(OwnCase):
        moderation.sanction(
            session, actor_id=mod.id, report_id=of_received.id, kind="warn", reason="x"
        )
    assert [r.mine for r in moderation_queue.user_reports(session, mod.id)] == [True]
    assert {r.mine for r in moderation_queue.message_reports(session, mod.id)} == {True}
    assert {r.mine for r in moderation_queue.message_reports(session, admin.id)} == {False}
    moderation.hide_message(session, actor_id=admin.id, report_id=of_sent.id, reason="Rude")
    moderation.dismiss_report(session, actor_id=admin.id, report_id=of_mod.id)


def test_an_operator_cannot_lift_their_own_sanction(session, world):
    seller, _, mod, _ = world
    admin = make_user(session, "Admin", role="admin")
    row = moderation.sanction(
        session, actor_id=mod.id, user_id=seller.id, kind="suspend", days=30, reason="x"
    )
    seller.role = "moderator"  # promoted while suspended
    session.add(seller)
    with pytest.raises(OwnCase):
        moderation.lift_sanction(session, actor_id=seller.id, sanction_id=row.id)
    assert [r.mine for r in moderation_queue.sanctions_in_force(session, seller.id)] == [True]
    assert [r.mine for r in moderation_queue.sanctions_in_force(session, admin.id)] == [False]
    moderation.lift_sanction(session, actor_id=admin.id, sanction_id=row.id)
