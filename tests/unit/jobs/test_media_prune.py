"""Pruning uploads nothing took: real files on disk, attached through the real services."""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.jobs import media_prune, runner
from marketplace_app.models import ListingImage, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import (
    listing_images,
    listings,
    media,
    messaging,
    orders,
    reviews,
    shops,
)
from tests.unit.media_helpers import image, temp_media
from tests.unit.orders_factory import act, checked_town
from tests.unit.services.test_orders import reach
from tests.unit.services.test_reviews import completed
from tests.unit.services.test_shops import application, png_bytes


@pytest.fixture
def media_dir(tmp_path, monkeypatch):
    return temp_media(tmp_path, monkeypatch)


@pytest.fixture
def town(db, media_dir):
    yield from checked_town()


def on_disk(key: str) -> bool:
    return all(media.rendition_path(key, w).exists() for w in media.RENDITION_WIDTHS)


def gone(key: str) -> bool:
    return not any(media.rendition_path(key, w).exists() for w in media.RENDITION_WIDTHS)


def age(paths, hours: float) -> None:
    """Make files look written ``hours`` ago."""
    then = time.time() - hours * 3600
    for path in paths:
        os.utime(path, (then, then))


def renditions(keys):
    return [media.rendition_path(k, w) for k in keys for w in media.RENDITION_WIDTHS]


def attach_one_of_each(town) -> list[str]:
    """Photos every form attached through its service: their keys."""
    refund = orders.store_refund_photos([image(), image(colour=(1, 2, 3))])
    act(
        orders.request_refund,
        town.buyer.id,
        reach(town, "handed_over").number,
        reason="damaged",
        statement="Crushed.",
        photos=refund,
    )
    review = orders.store_photos([image(colour=(9, 9, 9))], reviews.MAX_PHOTOS)
    done = completed(town, town.bread)
    act(reviews.submit, town.buyer.id, done.number, stars=4, text="Fresh", photos=review)
    chat = media.ingest_upload(image(colour=(50, 50, 50))).key
    conv = act(messaging.start_for_listing, town.buyer.id, town.lamp.id)
    act(messaging.send, town.buyer.id, conv.id, "", image_key=chat)
    draft = act(listings.start_draft, town.resident.id)
    act(listing_images.add_images, town.resident.id, draft.id, [image(colour=(7, 7, 7))])
    shop = act(shops.apply, town.stranger.id, application(), logo=png_bytes(), banner=png_bytes())
    avatar = media.ingest_upload(image(colour=(4, 4, 4))).key
    with write_session() as s:
        s.get(User, town.other_buyer.id).avatar_key = avatar
    with read_session() as s:
        sell = s.exec(select(ListingImage.storage_key).where(ListingImage.listing_id == draft.id))
        sell_keys = list(sell.all())
    return [*refund, *review, chat, *sell_keys, shop.logo_key, shop.banner_key, avatar]


def test_uploads_no_form_took_go_after_a_day_and_attached_ones_never(town, media_dir):
    attached = attach_one_of_each(town)
    assert len(attached) == 8 and all(on_disk(k) for k in attached)
    # One upload of each form, given up before sending: stored, never attached.
    abandoned = [
        *orders.store_refund_photos([image(colour=(200, 0, 0))]),
        *orders.store_photos([image(colour=(0, 200, 0))], reviews.MAX_PHOTOS),
        media.ingest_upload(image(colour=(0, 0, 200))).key,  # a chat photo never sent
        listing_images.ingest_all([image(colour=(90, 0, 90))])[0].key,  # crash before attaching
    ]
    recent = orders.store_refund_photos([image(colour=(0, 90, 90))])  # the form is still open
    stray = media_dir / f".{'f' * 24}-320.webp.{'0' * 8}.tmp"
    stray.write_bytes(b"half")
    other = media_dir / "notes.txt"
    other.write_text("not ours")
    age([*renditions(attached + abandoned), stray, other], hours=25)
    age(renditions(recent), hours=1)

    report = media_prune.prune_unattached()

    assert sorted(report.deleted) == sorted(abandoned)
    assert all(gone(k) for k in abandoned)
    assert all(on_disk(k) for k in attached + recent)
    assert report.kept == len(attached) and report.temp_files == 1
    assert not stray.exists() and other.exists()

    # Running again changes nothing.
    again = media_prune.prune_unattached()
    assert (again.deleted, again.temp_files) == ([], 0)
    assert all(on_disk(k) for k in attached + recent)

    # A day on, the upload still not sent goes too; the attached ones still stay.
    later = media_prune.prune_unattached(now=utcnow() + timedelta(hours=24))
    assert later.deleted == recent and all(on_disk(k) for k in attached)


def test_a_missing_or_empty_media_folder_is_fine(db, media_dir):
    assert not media_dir.exists()
    assert media_prune.prune_unattached() == media_prune.PruneReport()
    media_dir.mkdir(parents=True)
    assert media_prune.prune_unattached() == media_prune.PruneReport()


def test_the_jobs_loop_runs_the_pruning(db, media_dir):
    (orphan,) = orders.store_refund_photos([image()])
    age(renditions([orphan]), hours=25)

    async def first_round() -> None:
        loop = asyncio.create_task(runner.run_jobs())
        try:
            for _ in range(300):
                if gone(orphan):
                    return
                await asyncio.sleep(0.05)
        finally:
            loop.cancel()

    asyncio.run(first_round())
    assert gone(orphan)
