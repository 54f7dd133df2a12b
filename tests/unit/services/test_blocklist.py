"""The blocklist: terms, holding listings that match, approving and rejecting them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.models import (
    AuditEntry,
    BlockedTerm,
    InboxItem,
    Listing,
    ListingImage,
    ListingVariant,
)
from marketplace_app.services import blocklist, catalog, listings, moderation, products, search
from marketplace_app.services.errors import NotFound, OwnCase, PermissionDenied, ValidationFailed
from tests.unit.services.conftest import make_user
from tests.unit.services.test_listings import (  # noqa: F401
    category,
    good_input,
    media_dir,
    published,
)
from tests.unit.services.test_sanctions import _shop_product


@pytest.fixture
def staff(session):
    admin = make_user(session, "Admin", role="admin")
    mod = make_user(session, "Mod", role="moderator")
    for term in ("Replica", "高仿"):
        blocklist.add_term(session, actor_id=admin.id, term=term)
    return admin, mod


def found(session, words: str) -> list[int]:
    return [c.id for c in search.search(session, search.SearchQuery(text=words)).cards]


def test_admins_manage_terms_stored_normalized_and_audited(session, staff):
    admin, mod = staff
    assert [t.term for t in blocklist.terms(session, admin.id)] == ["replica", "高仿"]
    with pytest.raises(ValidationFailed) as caught:
        blocklist.add_term(session, actor_id=admin.id, term="  REPLICA ")
    assert caught.value.fields == {"term": "error.term_exists"}
    for bad, key in (("", "error.required"), ("x" * 61, "error.too_long")):
        with pytest.raises(ValidationFailed) as caught:
            blocklist.add_term(session, actor_id=admin.id, term=bad)
        assert caught.value.fields == {"term": key}
    row = blocklist.add_term(session, actor_id=admin.id, term="ＦＡＫＥ  Watch")
    assert row.term == "fake watch"
    blocklist.remove_term(session, actor_id=admin.id, term_id=row.id)
    actions = session.exec(select(AuditEntry.action, AuditEntry.reason)).all()
    assert ("blocklist.add", "fake watch") in actions and (
        "blocklist.remove",
        "fake watch",
    ) in actions
    with pytest.raises(NotFound):
        blocklist.remove_term(session, actor_id=admin.id, term_id=row.id)


def test_only_admins_manage_terms(session, staff):
    admin, mod = staff
    user = make_user(session, "User")
    term_id = session.exec(select(BlockedTerm.id)).first()
    for actor in (mod.id, user.id, 999):
        with pytest.raises(PermissionDenied):
            blocklist.terms(session, actor)
        with pytest.raises(PermissionDenied):
            blocklist.add_term(session, actor_id=actor, term="knife")
        with pytest.raises(PermissionDenied):
            blocklist.remove_term(session, actor_id=actor, term_id=term_id)
    assert len(session.exec(select(BlockedTerm)).all()) == 2


def test_matching_ignores_case_width_and_finds_chinese_inside_words(session, staff):
    assert blocklist.matches(session, "A REPLICA watch") == ("replica",)
    assert blocklist.matches(session, "", "ｒｅｐｌｉｃａ bag") == ("replica",)
    assert blocklist.matches(session, "全新高仿名牌包") == ("高仿",)
    assert blocklist.matches(session, "Genuine leather bag", "原装正品") == ()


@pytest.mark.usefixtures("media_dir")
def test_a_matching_listing_waits_for_review_and_stays_out_of_search(session, staff):
    _, mod = staff
    seller, viewer = make_user(session, "Seller"), make_user(session, "Viewer")
    held = published(session, seller, title="Watch replica", description="Looks real")
    clean = published(session, seller, title="Oak stool")
    assert (held.status, clean.status) == ("pending", "active")
    assert found(session, "watch") == []
    with pytest.raises(NotFound):
        catalog.listing_detail(session, held.id, viewer.id)
    assert catalog.listing_detail(session, held.id, seller.id).status == "pending"
    (row,) = blocklist.pending_listings(session, mod.id)
    assert (row.listing_id, row.terms, row.seller_name) == (held.id, ("replica",), "Seller")
    mine = {r.id: r.status for r in listings.my_listings(session, seller.id)}
    assert mine == {held.id: "pending", clean.id: "active"}
    counts = listings.status_counts(session, seller.id)
    assert (counts["all"], counts["active"]) == (2, 1)


@pytest.mark.usefixtures("media_dir")
def test_approve_puts_it_on_sale_and_in_search(session, staff):
    _, mod = staff
    seller = make_user(session, "Seller")
    held = published(session, seller, title="Watch replica", description="Looks real")
    blocklist.approve(session, actor_id=mod.id, listing_id=held.id)
    assert session.get(Listing, held.id).status == "active"
    assert found(session, "watch") == [held.id]
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "listing.approve")).one()
    keys = session.exec(select(InboxItem.message_key).where(InboxItem.user_id == seller.id)).all()
    assert keys == ["inbox.moderation.listing_approved"]
    with pytest.raises(NotFound):
        blocklist.approve(session, actor_id=mod.id, listing_id=held.id)


@pytest.mark.usefixtures("media_dir")
def test_reject_removes_it_with_a_reason_the_owner_reads(session, staff):
    _, mod = staff
    seller = make_user(session, "Seller")
    held = published(session, seller, title="高仿手表", description="")
    with pytest.raises(ValidationFailed):
        blocklist.reject(session, actor_id=mod.id, listing_id=held.id, reason=" ")
    blocklist.reject(session, actor_id=mod.id, listing_id=held.id, reason="Counterfeits are banned")
    assert session.get(Listing, held.id).status == "removed"
    assert moderation.removal_reason(session, held.id) == "Counterfeits are banned"
    (row,) = [r for r in listings.my_listings(session, seller.id) if r.id == held.id]
    assert row.status == "removed"  # still listed for its owner, with the reason
    assert found(session, "手表") == []


@pytest.mark.usefixtures("media_dir")
def test_only_moderators_review_held_listings(session, staff):
    seller = make_user(session, "Seller")
    held = published(session, seller, title="Replica bag")
    for actor in (seller.id, 4242):
        with pytest.raises(PermissionDenied):
            blocklist.pending_listings(session, actor)
        with pytest.raises(PermissionDenied):
            blocklist.approve(session, actor_id=actor, listing_id=held.id)
        with pytest.raises(PermissionDenied):
            blocklist.reject(session, actor_id=actor, listing_id=held.id, reason="x")
    assert session.get(Listing, held.id).status == "pending"


@pytest.mark.usefixtures("media_dir")
def test_editing_a_blocked_term_into_a_live_listing_holds_it_again(session, staff):
    _, mod = staff
    seller = make_user(session, "Seller")
    stool = published(session, seller, title="Oak stool")
    renamed = good_input(title="Oak stool replica")
    listings.save(session, seller.id, stool.id, renamed, publish=False)
    assert session.get(Listing, stool.id).status == "pending"
    assert found(session, "stool") == []
    blocklist.approve(session, actor_id=mod.id, listing_id=stool.id)
    # Once approved, an edit that leaves the words alone keeps it on sale.
    edited = good_input(title="Oak stool replica", price="9")
    assert listings.save(session, seller.id, stool.id, edited, publish=False).status == "active"


def test_editing_a_blocked_term_into_a_live_product_holds_it_again(session, staff):
    owner = make_user(session, "Owner")
    product = _shop_product(session, owner)
    assert products.set_published(session, owner.id, product.id, True).status == "active"
    of_product = ListingVariant.listing_id == product.id
    variant = session.exec(select(ListingVariant).where(of_product)).one()
    data = products.ProductInput(
        title="高仿 plum jam",
        category="produce",
        variants=[products.VariantInput(id=variant.id, label="", price="18", stock="5")],
    )
    saved = products.save_product(session, owner.id, product.shop_id, product.id, data)
    assert saved.status == "pending"


@pytest.mark.usefixtures("media_dir")
def test_the_seller_may_delete_a_held_listing(session, staff):
    seller = make_user(session, "Seller")
    held = published(session, seller, title="Replica bag")
    listings.set_status(session, seller.id, held.id, "delete")
    assert session.get(Listing, held.id).status == "removed"
    assert [r.id for r in listings.my_listings(session, seller.id)] == []


def test_a_shop_product_matching_a_term_waits_for_review(session, staff):
    _, mod = staff
    owner = make_user(session, "Owner")
    product = _shop_product(session, owner)
    product.title = "Replica jam jar"
    session.add(product)
    assert products.set_published(session, owner.id, product.id, True).status == "pending"
    assert products.set_published(session, owner.id, product.id, True).status == "pending"
    assert session.exec(select(ListingImage).where(ListingImage.listing_id == product.id)).first()
    blocklist.approve(session, actor_id=mod.id, listing_id=product.id)
    assert session.get(Listing, product.id).status == "active"


# -- one rule for going live: edits of paused and sold listings, unpausing, republishing


def add_term(session, admin, term: str) -> None:
    blocklist.add_term(session, actor_id=admin.id, term=term)


@pytest.mark.usefixtures("media_dir")
def test_editing_a_blocked_term_into_a_paused_listing_holds_it_until_approved(session, staff):
    _, mod = staff
    seller, viewer = make_user(session, "Seller"), make_user(session, "Viewer")
    stool = published(session, seller, title="Oak stool")
    listings.set_status(session, seller.id, stool.id, "pause")
    listings.save(
        session, seller.id, stool.id, good_input(title="Oak stool replica"), publish=False
    )
    assert session.get(Listing, stool.id).status == "pending"
    # It cannot be put back on sale unreviewed, and its owner sees it waiting.
    with pytest.raises(ValidationFailed):
        listings.set_status(session, seller.id, stool.id, "unpause")
    assert {r.id: r.status for r in listings.my_listings(session, seller.id)} == {
        stool.id: "pending"
    }
    assert [r.listing_id for r in blocklist.pending_listings(session, mod.id)] == [stool.id]
    # Approval returns it to where it was: paused, until its owner puts it on sale.
    blocklist.approve(session, actor_id=mod.id, listing_id=stool.id)
    assert session.get(Listing, stool.id).status == "paused"
    notices = session.exec(select(InboxItem.message_key).where(InboxItem.user_id == seller.id))
    assert "inbox.moderation.listing_approved_paused" in notices.all()
    assert listings.set_status(session, seller.id, stool.id, "unpause").status == "active"
    assert catalog.listing_detail(session, stool.id, viewer.id).title == "Oak stool replica"


@pytest.mark.usefixtures("media_dir")
def test_editing_a_blocked_term_into_a_sold_listing_takes_its_page_down_until_approved(
    session, staff
):
    _, mod = staff
    seller, viewer = make_user(session, "Seller"), make_user(session, "Viewer")
    lamp = published(session, seller, title="Brass lamp")
    listings.set_status(session, seller.id, lamp.id, "mark_sold")
    assert catalog.listing_detail(session, lamp.id, viewer.id).status == "sold"
    listings.save(session, seller.id, lamp.id, good_input(title="高仿 brass lamp"), publish=False)
    assert session.get(Listing, lamp.id).status == "pending"
    with pytest.raises(NotFound):
        catalog.listing_detail(session, lamp.id, viewer.id)
    blocklist.approve(session, actor_id=mod.id, listing_id=lamp.id)
    assert session.get(Listing, lamp.id).status == "sold"  # not back on sale
    assert catalog.listing_detail(session, lamp.id, viewer.id).status == "sold"


@pytest.mark.usefixtures("media_dir")
def test_an_edit_with_clean_words_leaves_paused_and_sold_listings_as_they_are(session, staff):
    seller = make_user(session, "Seller")
    paused = published(session, seller, title="Oak stool")
    sold = published(session, seller, title="Pine shelf")
    listings.set_status(session, seller.id, paused.id, "pause")
    listings.set_status(session, seller.id, sold.id, "mark_sold")
    listings.save(
        session, seller.id, paused.id, good_input(title="Oak stool, sanded"), publish=False
    )
    listings.save(session, seller.id, sold.id, good_input(title="Pine shelf, long"), publish=False)
    assert (paused.status, sold.status) == ("paused", "sold")


@pytest.mark.usefixtures("media_dir")
def test_unpausing_rechecks_terms_added_since_the_listing_went_live(session, staff):
    admin, mod = staff
    seller = make_user(session, "Seller")
    knife = published(session, seller, title="Hunting knife", description="Sharp")
    assert knife.status == "active"
    listings.set_status(session, seller.id, knife.id, "pause")
    add_term(session, admin, "knife")
    assert listings.set_status(session, seller.id, knife.id, "unpause").status == "pending"
    assert found(session, "knife") == []
    blocklist.approve(session, actor_id=mod.id, listing_id=knife.id)
    assert session.get(Listing, knife.id).status == "active"
    # Approved words are not held again for the terms they were approved with...
    listings.set_status(session, seller.id, knife.id, "pause")
    assert listings.set_status(session, seller.id, knife.id, "unpause").status == "active"
    # ...but a term added after the approval holds them again.
    listings.set_status(session, seller.id, knife.id, "pause")
    add_term(session, admin, "hunting")
    assert listings.set_status(session, seller.id, knife.id, "unpause").status == "pending"


@pytest.mark.usefixtures("media_dir")
def test_unpausing_a_listing_with_clean_words_puts_it_on_sale(session, staff):
    seller = make_user(session, "Seller")
    stool = published(session, seller, title="Oak stool")
    listings.set_status(session, seller.id, stool.id, "pause")
    assert listings.set_status(session, seller.id, stool.id, "unpause").status == "active"
    assert found(session, "stool") == [stool.id]


def test_republishing_a_product_rechecks_terms_added_since(session, staff):
    admin, mod = staff
    owner = make_user(session, "Owner")
    product = _shop_product(session, owner)
    assert products.set_published(session, owner.id, product.id, True).status == "active"
    assert products.set_published(session, owner.id, product.id, False).status == "paused"
    add_term(session, admin, "plum")
    assert products.set_published(session, owner.id, product.id, True).status == "pending"


def test_editing_a_blocked_term_into_an_unpublished_product_holds_it(session, staff):
    _, mod = staff
    owner = make_user(session, "Owner")
    product = _shop_product(session, owner)
    products.set_published(session, owner.id, product.id, True)
    products.set_published(session, owner.id, product.id, False)
    of_product = ListingVariant.listing_id == product.id
    variant = session.exec(select(ListingVariant).where(of_product)).one()
    data = products.ProductInput(
        title="Replica plum jam",
        category="produce",
        variants=[products.VariantInput(id=variant.id, label="", price="18", stock="5")],
    )
    assert products.save_product(session, owner.id, product.shop_id, product.id, data).status == (
        "pending"
    )
    assert products.set_published(session, owner.id, product.id, True).status == "pending"
    blocklist.approve(session, actor_id=mod.id, listing_id=product.id)
    assert session.get(Listing, product.id).status == "paused"


# -- operators never decide their own held listings


@pytest.mark.usefixtures("media_dir")
def test_an_operator_cannot_approve_or_reject_their_own_held_listing(session, staff):
    admin, mod = staff
    for operator in (mod, admin):  # an admin is no exception
        held = published(session, operator, title="Replica bag")
        (row,) = [r for r in blocklist.pending_listings(session, operator.id) if r.mine]
        assert row.listing_id == held.id
        with pytest.raises(OwnCase) as refused:
            blocklist.approve(session, actor_id=operator.id, listing_id=held.id)
        assert refused.value.key == "error.own_case"
        with pytest.raises(OwnCase):
            blocklist.reject(session, actor_id=operator.id, listing_id=held.id, reason="fine")
        assert session.get(Listing, held.id).status == "pending"
    # Another operator decides it.
    other = blocklist.pending_listings(session, mod.id)
    assert [r.mine for r in other] == [True, False]
    blocklist.approve(session, actor_id=mod.id, listing_id=other[1].listing_id)


def test_shop_staff_cannot_approve_their_shops_held_product(session, staff):
    admin, mod = staff
    product = _shop_product(session, mod)  # the moderator owns the shop
    product.title = "Replica jam jar"
    session.add(product)
    assert products.set_published(session, mod.id, product.id, True).status == "pending"
    with pytest.raises(OwnCase):
        blocklist.approve(session, actor_id=mod.id, listing_id=product.id)
    assert [r.mine for r in blocklist.pending_listings(session, admin.id)] == [False]
    assert blocklist.approve(session, actor_id=admin.id, listing_id=product.id).status == "active"
