"""Who may change a listing: its resident seller, or staff of its approved shop, nobody else."""

from __future__ import annotations

import pytest

from marketplace_app.models import Category, Listing, Shop, ShopMember
from marketplace_app.services.errors import NotFound
from marketplace_app.services.listing_access import can_edit, editable_listing
from tests.unit.services.conftest import make_user


def _listing(session, seller_id: int, shop_id: int | None = None, status: str = "active"):
    category = Category(slug=f"c{seller_id}-{shop_id}-{status}")
    session.add(category)
    session.flush()
    listing = Listing(
        seller_id=seller_id,
        shop_id=shop_id,
        kind="shop" if shop_id else "secondhand",
        category_id=category.id,
        title="Thing",
        price_cents=100,
        status=status,
    )
    session.add(listing)
    session.flush()
    return listing


def _shop(session, owner_id: int, status: str = "approved", *staff_ids: int) -> Shop:
    shop = Shop(owner_id=owner_id, name=f"Shop {owner_id}", slug=f"shop-{owner_id}", status=status)
    session.add(shop)
    session.flush()
    for user_id, role in [(owner_id, "owner"), *((s, "staff") for s in staff_ids)]:
        session.add(ShopMember(shop_id=shop.id, user_id=user_id, role=role))
    session.flush()
    return shop


def test_a_resident_edits_only_their_own_listing(session):
    seller, stranger = make_user(session, "Sam"), make_user(session, "Stan")
    listing = _listing(session, seller.id)
    assert can_edit(session, seller.id, listing)
    assert not can_edit(session, stranger.id, listing)
    assert editable_listing(session, seller.id, listing.id).id == listing.id
    with pytest.raises(NotFound):
        editable_listing(session, stranger.id, listing.id)


@pytest.mark.parametrize("status", ["draft", "active", "paused", "sold"])
def test_every_live_status_is_editable_by_the_seller(session, status):
    seller = make_user(session, "Sam")
    listing = _listing(session, seller.id, status=status)
    assert editable_listing(session, seller.id, listing.id).status == status


def test_removed_absent_and_malformed_ids_are_not_found_alike(session):
    seller = make_user(session, "Sam")
    removed = _listing(session, seller.id, status="removed")
    for listing_id in (removed.id, 987_654, "1", None, 1.0):
        with pytest.raises(NotFound):
            editable_listing(session, seller.id, listing_id)


def test_staff_of_an_approved_shop_edit_its_products(session):
    owner, staff, stranger = (make_user(session, n) for n in ("Owner", "Staff", "Stan"))
    shop = _shop(session, owner.id, "approved", staff.id)
    product = _listing(session, owner.id, shop.id)
    assert can_edit(session, owner.id, product)
    assert can_edit(session, staff.id, product)
    assert not can_edit(session, stranger.id, product)
    assert editable_listing(session, staff.id, product.id).id == product.id


@pytest.mark.parametrize("status", ["pending", "rejected", "suspended"])
def test_nobody_edits_products_of_a_shop_that_is_not_approved(session, status):
    owner, staff = make_user(session, "Owner"), make_user(session, "Staff")
    shop = _shop(session, owner.id, status, staff.id)
    product = _listing(session, owner.id, shop.id)
    for user in (owner, staff):
        assert not can_edit(session, user.id, product)
        with pytest.raises(NotFound):
            editable_listing(session, user.id, product.id)


def test_staff_of_one_shop_cannot_edit_another_shops_products(session):
    a_owner, b_owner = make_user(session, "Ann"), make_user(session, "Bob")
    _shop(session, a_owner.id)
    b_shop = _shop(session, b_owner.id)
    b_product = _listing(session, b_owner.id, b_shop.id)
    assert not can_edit(session, a_owner.id, b_product)


def test_shop_staff_cannot_edit_their_colleagues_resident_listings(session):
    owner, staff = make_user(session, "Owner"), make_user(session, "Staff")
    _shop(session, owner.id, "approved", staff.id)
    private = _listing(session, owner.id)
    assert not can_edit(session, staff.id, private)
