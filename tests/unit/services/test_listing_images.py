"""Photos of a listing: adding with limits, order, cover, removal, and files kept in step."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image
from sqlmodel import select

from marketplace_app.db import write_session
from marketplace_app.models import Listing, ListingImage, Shop, ShopMember
from marketplace_app.services import listing_images, listings, media
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.settings import settings
from tests.unit.services.conftest import make_user
from tests.unit.services.test_listings import category, jpeg


@pytest.fixture
def media_dir(tmp_path, monkeypatch):
    """Photos go to a private folder."""
    monkeypatch.setattr(media, "settings", dataclasses.replace(settings, upload_dir=tmp_path))
    return media.media_dir()


def png(width: int = 40, height: int = 40) -> bytes:
    buf = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 255, 200)).save(buf, "PNG")
    return buf.getvalue()


def webp() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 10)).save(buf, "WEBP")
    return buf.getvalue()


def gif() -> bytes:
    buf = io.BytesIO()
    Image.new("P", (20, 20)).save(buf, "GIF")
    return buf.getvalue()


def files(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def keys(session, listing_id: int) -> list[str]:
    return [img.storage_key for img in listing_images.images_of(session, listing_id)]


@pytest.fixture
def seller(session):
    return make_user(session, "Sam")


@pytest.fixture
def draft(session, seller):
    return listings.start_draft(session, seller.id)


def test_photos_are_appended_in_order_with_renditions(session, media_dir, seller, draft):
    first = listing_images.add_images(session, seller.id, draft.id, [jpeg(), png()])
    more = listing_images.add_images(session, seller.id, draft.id, [webp()])
    rows = listing_images.list_images(session, seller.id, draft.id)
    assert [r.id for r in rows] == [r.id for r in first + more]
    assert [r.position for r in rows] == [0, 1, 2]
    assert (rows[0].width, rows[0].height) == (64, 48)
    for row in rows:
        for width in media.RENDITION_WIDTHS:
            assert media.rendition_path(row.storage_key, width).exists()
    assert len(files(media_dir)) == 9


def test_the_eleventh_photo_is_refused_and_leaves_nothing(session, media_dir, seller, draft):
    listing_images.add_images(session, seller.id, draft.id, [jpeg()] * 9)
    before = files(media_dir)
    with pytest.raises(ValidationFailed) as caught:
        listing_images.add_images(session, seller.id, draft.id, [jpeg(), jpeg()])
    assert caught.value.fields == {"photos": listing_images.E_TOO_MANY}
    assert caught.value.params == {"max": listing_images.MAX_IMAGES}
    assert files(media_dir) == before
    assert len(keys(session, draft.id)) == 9
    listing_images.add_images(session, seller.id, draft.id, [jpeg()])
    with pytest.raises(ValidationFailed):
        listing_images.add_images(session, seller.id, draft.id, [jpeg()])
    assert len(keys(session, draft.id)) == listing_images.MAX_IMAGES


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        (lambda: gif(), media.ERROR_TYPE),
        (lambda: b"\xff\xd8\xff" + b"\0" * (16 * 1024 * 1024), media.ERROR_TOO_LARGE),
        (lambda: jpeg()[:200], media.ERROR_CORRUPT),
        (lambda: b"<svg xmlns='http://www.w3.org/2000/svg'/>", media.ERROR_TYPE),
    ],
)
def test_a_refused_file_leaves_nothing_of_its_call(session, media_dir, seller, draft, bad, key):
    listing_images.add_images(session, seller.id, draft.id, [png()])
    before = files(media_dir)
    with pytest.raises(ValidationFailed) as caught:
        # The good photo before the bad one is not kept either.
        listing_images.add_images(session, seller.id, draft.id, [jpeg(), bad()])
    assert caught.value.fields == {"photos": key}
    assert files(media_dir) == before
    assert len(keys(session, draft.id)) == 1


def test_files_of_a_rolled_back_upload_are_deleted(db, media_dir):
    with write_session() as s:
        owner = make_user(s, "Sam")
        draft = listings.start_draft(s, owner.id)
        owner_id, draft_id = owner.id, draft.id
    with pytest.raises(RuntimeError), write_session() as s:
        listing_images.add_images(s, owner_id, draft_id, [jpeg()])
        assert len(files(media_dir)) == 3
        raise RuntimeError("the transaction fails later")
    assert files(media_dir) == []
    with write_session() as s:
        assert keys(s, draft_id) == []


def test_move_cover_and_remove_keep_positions_compact(session, media_dir, seller, draft):
    a, b, c, d = listing_images.add_images(session, seller.id, draft.id, [jpeg()] * 4)
    order = [a.storage_key, b.storage_key, c.storage_key, d.storage_key]
    listing_images.move_image(session, seller.id, draft.id, a.id, 2)
    assert keys(session, draft.id) == [order[1], order[2], order[0], order[3]]
    listing_images.set_cover(session, seller.id, draft.id, d.id)
    assert keys(session, draft.id) == [order[3], order[1], order[2], order[0]]
    listing_images.move_image(session, seller.id, draft.id, b.id, 99)  # clamped to the end
    assert keys(session, draft.id) == [order[3], order[2], order[0], order[1]]
    listing_images.move_image(session, seller.id, draft.id, b.id, -5)  # clamped to the start
    assert keys(session, draft.id) == [order[1], order[3], order[2], order[0]]

    listing_images.remove_image(session, seller.id, draft.id, d.id)
    rows = listing_images.images_of(session, draft.id)
    assert [r.position for r in rows] == [0, 1, 2]
    assert [r.storage_key for r in rows] == [order[1], order[2], order[0]]
    # The removed photo's files go once the removal is committed.
    assert media.rendition_path(order[3], 320).exists()
    session.commit()
    assert not media.rendition_path(order[3], 320).exists()
    assert len(files(media_dir)) == 9


def test_a_rolled_back_removal_keeps_the_files(db, media_dir):
    with write_session() as s:
        owner = make_user(s, "Sam")
        draft = listings.start_draft(s, owner.id)
        (image,) = listing_images.add_images(s, owner.id, draft.id, [jpeg()])
        ids = owner.id, draft.id, image.id
    with pytest.raises(RuntimeError), write_session() as s:
        listing_images.remove_image(s, *ids)
        raise RuntimeError("the transaction fails later")
    assert len(files(media_dir)) == 3
    with write_session() as s:
        assert len(keys(s, ids[1])) == 1


def test_a_photo_of_another_listing_is_not_found(session, media_dir, seller, draft):
    other = listings.start_draft(session, seller.id)
    (foreign,) = listing_images.add_images(session, seller.id, other.id, [jpeg()])
    for call in (
        lambda: listing_images.remove_image(session, seller.id, draft.id, foreign.id),
        lambda: listing_images.move_image(session, seller.id, draft.id, foreign.id, 0),
        lambda: listing_images.set_cover(session, seller.id, draft.id, foreign.id),
        lambda: listing_images.remove_image(session, seller.id, draft.id, 123456),
        lambda: listing_images.remove_image(session, seller.id, draft.id, "1"),
    ):
        with pytest.raises(NotFound):
            call()
    assert keys(session, other.id) == [foreign.storage_key]


def test_nobody_else_touches_my_photos(session, media_dir, seller, draft):
    intruder = make_user(session, "Ivan")
    (mine,) = listing_images.add_images(session, seller.id, draft.id, [jpeg()])
    before = files(media_dir)
    calls = (
        lambda: listing_images.add_images(session, intruder.id, draft.id, [jpeg()]),
        lambda: listing_images.check_room(session, intruder.id, draft.id, 1),
        lambda: listing_images.list_images(session, intruder.id, draft.id),
        lambda: listing_images.remove_image(session, intruder.id, draft.id, mine.id),
        lambda: listing_images.move_image(session, intruder.id, draft.id, mine.id, 1),
        lambda: listing_images.set_cover(session, intruder.id, draft.id, mine.id),
    )
    for call in calls:
        with pytest.raises(NotFound):
            call()
    stored = listing_images.ingest_all([jpeg()])
    with pytest.raises(NotFound):
        listing_images.attach(session, intruder.id, draft.id, stored)
    assert files(media_dir) == before
    assert keys(session, draft.id) == [mine.storage_key]


def test_shop_staff_manage_photos_of_their_approved_shop(session, media_dir):
    owner, staff = make_user(session, "Owner"), make_user(session, "Staff")
    shop = Shop(owner_id=owner.id, name="Bakery", slug="bakery", status="approved")
    session.add(shop)
    session.flush()
    session.add(ShopMember(shop_id=shop.id, user_id=staff.id, role="staff"))
    product = Listing(
        seller_id=owner.id,
        shop_id=shop.id,
        kind="shop",
        title="Bread",
        price_cents=300,
        status="draft",
    )
    session.add(product)
    session.flush()
    (photo,) = listing_images.add_images(session, staff.id, product.id, [jpeg()])
    assert photo.listing_id == product.id
    shop.status = "suspended"
    session.add(shop)
    session.flush()
    with pytest.raises(NotFound):
        listing_images.add_images(session, staff.id, product.id, [jpeg()])


def test_removed_listings_take_no_photos(session, media_dir, seller):
    listing = Listing(
        seller_id=seller.id,
        kind="secondhand",
        category_id=category(session).id,
        title="Gone",
        price_cents=100,
        status="removed",
    )
    session.add(listing)
    session.flush()
    with pytest.raises(NotFound):
        listing_images.add_images(session, seller.id, listing.id, [jpeg()])
    assert session.exec(select(ListingImage)).all() == []
    assert files(media_dir) == []
