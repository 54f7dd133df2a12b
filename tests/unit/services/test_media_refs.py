"""The one list of columns holding media keys, and which keys are attached."""

from __future__ import annotations

from sqlmodel import SQLModel

from marketplace_app.models import ListingImage
from marketplace_app.services import media_refs
from tests.unit.orders_factory import make_listing
from tests.unit.services.conftest import make_user

# Columns named like key columns that hold no media key.
NOT_MEDIA = {"import_key", "idempotency_key", "message_key"}


def test_every_column_holding_media_keys_is_listed():
    listed = {
        (c.class_.__tablename__, c.key)
        for c in (*media_refs.SINGLE_KEY_COLUMNS, *media_refs.KEY_LIST_COLUMNS)
    }
    named_like_keys = {
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith(("_key", "_keys")) and column.name not in NOT_MEDIA
    }
    assert named_like_keys == listed


def test_attached_names_exactly_the_keys_in_use_across_chunks(session):
    seller = make_user(session, "Sue")
    listing = make_listing(session, seller, kind="secondhand")
    photo, unused = "a" * 24, "b" * 24
    session.add(
        ListingImage(listing_id=listing.id, position=0, storage_key=photo, width=1, height=1)
    )
    session.flush()
    assert media_refs.attached(session, [photo, unused]) == {photo}
    assert media_refs.attached(session, []) == set()
    many = [f"{i:024x}" for i in range(450)]  # more than one chunk
    assert media_refs.attached(session, [*many, photo]) == {photo}
