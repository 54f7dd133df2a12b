"""Sanction standing, and its enforcement where members post and buy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace_app.models import ListingImage, Sanction, Shop, ShopMember
from marketplace_app.models.types import utcnow
from marketplace_app.services import carts, checkout, listing_images, listings, products, sanctions
from marketplace_app.services.carts import CartOwner
from marketplace_app.services.errors import ValidationFailed
from marketplace_app.services.sanctions import Restricted
from tests.unit.services.conftest import make_user
from tests.unit.services.test_listings import (  # noqa: F401  (media_dir is a fixture)
    category,
    good_input,
    jpeg,
    media_dir,
    published,
)


def give(session, user, kind: str, *, days: float | None = None, lifted: bool = False, **kw):
    now = utcnow()
    mod = make_user(session, f"Mod{kind}{days}{lifted}", role="moderator")
    row = Sanction(
        user_id=user.id,
        kind=kind,
        reason=f"{kind} reason",
        actor_id=mod.id,
        created_at=kw.pop("created_at", now),
        ends_at=now + timedelta(days=days) if days is not None else None,
        lifted_at=now if lifted else None,
        **kw,
    )
    session.add(row)
    session.flush()
    return row


# -- standing


def test_no_sanction_and_a_warning_leave_a_member_in_good_standing(session):
    ann = make_user(session, "Ann")
    assert sanctions.restriction(session, ann.id) is None
    give(session, ann, "warn")
    assert sanctions.restriction(session, ann.id) is None
    sanctions.require_good_standing(session, ann.id)


def test_a_suspension_restricts_until_it_ends(session):
    ann = make_user(session, "Ann")
    row = give(session, ann, "suspend", days=3)
    standing = sanctions.restriction(session, ann.id)
    assert (standing.kind, standing.until, standing.reason) == (
        "suspend",
        row.ends_at,
        "suspend reason",
    )
    later = row.ends_at + timedelta(seconds=1)
    assert sanctions.restriction(session, ann.id, now=later) is None  # expiry
    assert sanctions.restriction(session, ann.id, now=row.ends_at - timedelta(seconds=1))


def test_an_expired_suspension_no_longer_counts(session):
    ann = make_user(session, "Ann")
    give(session, ann, "suspend", days=-1)
    assert sanctions.restriction(session, ann.id) is None
    sanctions.require_good_standing(session, ann.id)


def test_the_longest_suspension_in_force_and_a_ban_wins(session):
    ann = make_user(session, "Ann")
    give(session, ann, "suspend", days=2)
    longest = give(session, ann, "suspend", days=9, created_at=utcnow() - timedelta(hours=1))
    assert sanctions.restriction(session, ann.id).until == longest.ends_at
    give(session, ann, "ban")
    assert sanctions.restriction(session, ann.id).kind == "ban"
    assert sanctions.restriction(session, ann.id).until is None


def test_lifted_sanctions_do_not_count(session):
    ann = make_user(session, "Ann")
    give(session, ann, "ban", lifted=True)
    give(session, ann, "suspend", days=5, lifted=True)
    assert sanctions.restriction(session, ann.id) is None


def test_restricted_carries_the_message_key_and_its_values(session):
    ann, bob = make_user(session, "Ann"), make_user(session, "Bob")
    give(session, ann, "suspend", days=3)
    give(session, bob, "ban")
    with pytest.raises(Restricted) as caught:
        sanctions.require_good_standing(session, ann.id)
    assert caught.value.key == "error.account_suspended"
    assert caught.value.params["reason"] == "suspend reason"
    assert len(caught.value.params["until"]) == len("2026-01-31 09:00")
    with pytest.raises(Restricted) as caught:
        sanctions.require_good_standing(session, bob.id)
    assert (caught.value.key, caught.value.params) == (
        "error.account_banned",
        {"reason": "ban reason"},
    )


# -- enforcement: posting


@pytest.mark.usefixtures("media_dir")
def test_a_suspended_resident_cannot_publish_but_may_keep_a_draft(session):
    ann = make_user(session, "Ann")
    category(session)
    draft = listings.start_draft(session, ann.id)
    listing_images.add_images(session, ann.id, draft.id, [jpeg()])
    give(session, ann, "suspend", days=2)
    listings.save(session, ann.id, draft.id, good_input(), publish=False)
    with pytest.raises(Restricted):
        listings.save(session, ann.id, draft.id, good_input(), publish=True)
    assert draft.status == "draft"


@pytest.mark.usefixtures("media_dir")
def test_a_banned_resident_cannot_edit_a_live_listing_or_unpause(session):
    ann = make_user(session, "Ann")
    listing = published(session, ann)
    listings.set_status(session, ann.id, listing.id, "pause")
    give(session, ann, "ban")
    with pytest.raises(Restricted):
        listings.save(session, ann.id, listing.id, good_input(title="New words"), publish=False)
    with pytest.raises(Restricted):
        listings.set_status(session, ann.id, listing.id, "unpause")
    listings.set_status(session, ann.id, listing.id, "delete")  # leaving is allowed


@pytest.mark.usefixtures("media_dir")
def test_publishing_works_again_once_the_suspension_is_lifted(session):
    ann = make_user(session, "Ann")
    row = give(session, ann, "suspend", days=2)
    with pytest.raises(Restricted):
        published(session, ann)
    row.lifted_at = utcnow()
    session.add(row)
    assert published(session, ann, title="Second try").status == "active"


def _shop_product(session, owner):
    shop = Shop(
        owner_id=owner.id, name="Jam Shop", slug="jam", status="approved", district="Old Town"
    )
    session.add(shop)
    session.flush()
    session.add(ShopMember(shop_id=shop.id, user_id=owner.id, role="owner"))
    category(session, "produce")
    product = products.save_product(
        session,
        owner.id,
        shop.id,
        None,
        products.ProductInput(
            title="Plum jam",
            category="produce",
            variants=[products.VariantInput(label="", price="18", stock="5")],
        ),
    )
    session.add(ListingImage(listing_id=product.id, storage_key="c" * 24, width=1, height=1))
    session.flush()
    return product


def test_suspended_shop_staff_cannot_publish_a_product(session):
    owner = make_user(session, "Owner")
    product = _shop_product(session, owner)
    row = give(session, owner, "suspend", days=1)
    with pytest.raises(Restricted):
        products.set_published(session, owner.id, product.id, True)
    assert product.status == "draft"
    row.ends_at = utcnow() - timedelta(minutes=1)  # the suspension ran out
    session.add(row)
    assert products.set_published(session, owner.id, product.id, True).status == "active"


# -- enforcement: buying


@pytest.mark.usefixtures("media_dir")
def test_a_suspended_member_cannot_add_to_the_cart_but_a_guest_can(session):
    seller, buyer = make_user(session, "Seller"), make_user(session, "Buyer")
    listing = published(session, seller)
    give(session, buyer, "suspend", days=1)
    with pytest.raises(Restricted):
        carts.add(session, CartOwner.user(buyer.id), listing.id)
    assert carts.add(session, CartOwner.guest("g" * 43), listing.id).quantity == 1


def test_a_banned_member_cannot_place_an_order(session):
    buyer, other = make_user(session, "Buyer"), make_user(session, "Other")
    give(session, buyer, "ban")
    kw = {"choices": {}, "payment_method": "cash"}
    with pytest.raises(Restricted):
        checkout.place(session, buyer.id, key=checkout.new_key(), **kw)
    with pytest.raises(ValidationFailed):  # in good standing: refused only for the empty cart
        checkout.place(session, other.id, key=checkout.new_key(), **kw)
    assert session.exec(select(Sanction).where(Sanction.user_id == other.id)).first() is None
