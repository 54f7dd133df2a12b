"""Which stored images the database refers to: the one list of columns holding media keys.

A key is attached while any of these refers to it: a listing photo, a chat
image, a review's or a refund request's photos, an avatar, a shop's logo or
banner. Whatever stores a media key in a new column must add it here, or
the pruning job (:mod:`marketplace_app.jobs.media_prune`) would take its files
(``tests/unit/services/test_media_refs.py`` checks every ``*_key`` column).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, select

from marketplace_app.models import ListingImage, Message, RefundRequest, Review, Shop, User

# Columns holding one key each.
SINGLE_KEY_COLUMNS = (
    ListingImage.storage_key,
    Message.image_key,
    User.avatar_key,
    Shop.logo_key,
    Shop.banner_key,
)
# Columns holding several keys in one text (space- or comma-separated).
KEY_LIST_COLUMNS = (Review.photo_keys, RefundRequest.photo_keys)
CHUNK = 200


def attached(session: Session, keys: Iterable[str]) -> set[str]:
    """The keys among ``keys`` that some row refers to.

    Args:
        session: any session.
        keys: media keys (24 hex characters each).

    Returns:
        Those still in use.
    """
    wanted = sorted(set(keys))
    used: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        for column in SINGLE_KEY_COLUMNS:
            used.update(session.exec(select(column).where(col(column).in_(chunk))).all())
        for column in KEY_LIST_COLUMNS:
            # A key is 24 hex characters between separators: a substring match is exact.
            texts = session.exec(
                select(column).where(or_(*(col(column).contains(key) for key in chunk)))
            ).all()
            joined = " ".join(texts)
            used.update(key for key in chunk if key in joined)
    return used & set(wanted)
