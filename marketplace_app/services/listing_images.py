"""Photos of a listing (resident items and shop products alike).

Photos are ordered by ``position`` (0, 1, 2, ... without gaps); position 0 is
the cover. Every public function checks
:func:`listing_access.editable_listing` first: another seller's listing
answers "not found" like an absent one.

Files and rows stay consistent with the transaction: renditions written for a
call that is refused, or whose transaction rolls back, are deleted again; the
files of a removed photo are deleted only once the removal is committed.

Heavy image work need not hold the write transaction: a caller may
:func:`check_room` in a read session, :func:`ingest_all` outside any session,
then :func:`attach` in a short write transaction. :func:`add_images` does all
three in one call.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, func
from sqlmodel import Session, col, select

from marketplace_app.models import Listing, ListingImage
from marketplace_app.models.types import utcnow
from marketplace_app.services import media, search
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.listing_access import editable_listing

MAX_IMAGES = 10
E_TOO_MANY = "sell.error.photos_too_many"

_DELETE_ON_COMMIT = "mp_media_delete_on_commit"
_DELETE_ON_ROLLBACK = "mp_media_delete_on_rollback"
_HOOKED = "mp_media_hooks"


# -- keeping files in step with the transaction


def _after_commit(session: Session) -> None:
    keys = session.info.pop(_DELETE_ON_COMMIT, [])
    session.info.pop(_DELETE_ON_ROLLBACK, None)
    for key in keys:
        media.delete_image(key)


def _after_rollback(session: Session) -> None:
    keys = session.info.pop(_DELETE_ON_ROLLBACK, [])
    session.info.pop(_DELETE_ON_COMMIT, None)
    for key in keys:
        media.delete_image(key)


def _hook(session: Session) -> None:
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
        session.info[_HOOKED] = True


def _delete_after_commit(session: Session, keys: Iterable[str]) -> None:
    _hook(session)
    session.info.setdefault(_DELETE_ON_COMMIT, []).extend(keys)


def _delete_on_rollback(session: Session, keys: Iterable[str]) -> None:
    _hook(session)
    session.info.setdefault(_DELETE_ON_ROLLBACK, []).extend(keys)


# -- reading


def images_of(session: Session, listing_id: int) -> list[ListingImage]:
    """A listing's photos in order, without any permission check (internal use)."""
    return list(
        session.exec(
            select(ListingImage)
            .where(ListingImage.listing_id == listing_id)
            .order_by(col(ListingImage.position))
        ).all()
    )


def list_images(session: Session, actor_id: int, listing_id: int) -> list[ListingImage]:
    """The photos of a listing the actor may edit, cover first.

    Raises:
        NotFound: absent, removed or not the actor's.
    """
    editable_listing(session, actor_id, listing_id)
    return images_of(session, listing_id)


# -- adding


def _count(session: Session, listing_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(ListingImage).where(ListingImage.listing_id == listing_id)
    ).one()


def check_room(session: Session, actor_id: int, listing_id: int, adding: int) -> int:
    """Check that the actor may add ``adding`` photos to the listing.

    Args:
        session: database session (read or write).
        actor_id: the caller's user id.
        listing_id: the listing.
        adding: how many photos are about to be added.

    Returns:
        How many photos the listing has now.

    Raises:
        NotFound: absent, removed or not the actor's.
        ValidationFailed: ``{"photos": "sell.error.photos_too_many"}`` beyond MAX_IMAGES.
    """
    editable_listing(session, actor_id, listing_id)
    have = _count(session, listing_id)
    if have + max(0, adding) > MAX_IMAGES:
        raise ValidationFailed({"photos": E_TOO_MANY}, max=MAX_IMAGES)
    return have


def ingest_all(blobs: list[bytes]) -> list[media.StoredImage]:
    """Validate and store uploads (no database); all or nothing.

    Args:
        blobs: the uploaded files' bytes.

    Returns:
        The stored images, in order.

    Raises:
        ValidationFailed: ``{"photos": key}`` from :func:`media.ingest_upload`
            for the first refused file; files stored for earlier ones are deleted.
    """
    stored: list[media.StoredImage] = []
    try:
        for blob in blobs:
            stored.append(media.ingest_upload(bytes(blob)))
    except BaseException:
        for image in stored:
            media.delete_image(image.key)
        raise
    return stored


def attach(
    session: Session, actor_id: int, listing_id: int, stored: list[media.StoredImage]
) -> list[ListingImage]:
    """Append already stored images to a listing, after its existing photos.

    On any refusal the stored images' files are deleted; they are deleted too
    if the surrounding transaction later rolls back.

    Args:
        session: database session (write).
        actor_id: the caller's user id.
        listing_id: the listing.
        stored: images from :func:`ingest_all`.

    Returns:
        The new photo rows, in order.

    Raises:
        NotFound: absent, removed or not the actor's.
        ValidationFailed: beyond MAX_IMAGES.
    """
    keys = [image.key for image in stored]
    try:
        # Take the listing's row lock first (PostgreSQL) so two uploads count in turn.
        session.exec(select(Listing.id).where(Listing.id == listing_id).with_for_update()).first()
        have = check_room(session, actor_id, listing_id, len(stored))
    except BaseException:
        for key in keys:
            media.delete_image(key)
        raise
    _delete_on_rollback(session, keys)
    now = utcnow()
    rows = [
        ListingImage(
            listing_id=listing_id,
            position=have + i,
            storage_key=image.key,
            width=image.width,
            height=image.height,
            created_at=now,
        )
        for i, image in enumerate(stored)
    ]
    session.add_all(rows)
    _touch(session, listing_id)
    return rows


def add_images(
    session: Session, actor_id: int, listing_id: int, blobs: list[bytes]
) -> list[ListingImage]:
    """Validate, store and append photos to a listing the actor may edit.

    Each file goes through :func:`media.ingest_upload` (JPEG/PNG/WebP, at most
    15 MB and 40 megapixels, re-encoded without metadata). All or nothing: on
    any refusal, nothing new stays on disk or in the database for this call.

    Args:
        session: database session (write).
        actor_id: the caller's user id.
        listing_id: the listing.
        blobs: the uploaded files' bytes, in the order to append them.

    Returns:
        The new photo rows, in order.

    Raises:
        NotFound: absent, removed or not the actor's.
        ValidationFailed: ``{"photos": key}``: too many photos
            (``sell.error.photos_too_many``) or a refused file (media's keys).
    """
    check_room(session, actor_id, listing_id, len(blobs))
    return attach(session, actor_id, listing_id, ingest_all(blobs))


# -- changing order and removing


def _image(session: Session, listing_id: int, image_id: int) -> ListingImage:
    image = session.get(ListingImage, image_id) if isinstance(image_id, int) else None
    if image is None or image.listing_id != listing_id:
        raise NotFound()
    return image


def _renumber(session: Session, ordered: list[ListingImage]) -> None:
    """Give ``ordered`` positions 0..n-1 without tripping UNIQUE(listing_id, position)."""
    changed = [(i, img) for i, img in enumerate(ordered) if img.position != i]
    if not changed:
        return
    for i, img in changed:
        img.position = -1 - i
        session.add(img)
    session.flush()
    for i, img in changed:
        img.position = i
        session.add(img)
    session.flush()


def _touch(session: Session, listing_id: int) -> None:
    listing = session.get(Listing, listing_id)
    if listing is not None:
        listing.updated_at = utcnow()
        session.add(listing)
    session.flush()
    search.reindex_listing(session, listing_id)


def remove_image(session: Session, actor_id: int, listing_id: int, image_id: int) -> None:
    """Remove one photo; the others close the gap. Its files go once committed.

    Raises:
        NotFound: the listing or photo is absent or not the actor's.
    """
    editable_listing(session, actor_id, listing_id)
    image = _image(session, listing_id, image_id)
    key = image.storage_key
    session.delete(image)
    session.flush()
    _renumber(session, images_of(session, listing_id))
    _delete_after_commit(session, [key])
    _touch(session, listing_id)


def move_image(
    session: Session, actor_id: int, listing_id: int, image_id: int, to_position: int
) -> None:
    """Move one photo to ``to_position`` (clamped to the list); others shift.

    Raises:
        NotFound: the listing or photo is absent or not the actor's.
    """
    editable_listing(session, actor_id, listing_id)
    image = _image(session, listing_id, image_id)
    ordered = [img for img in images_of(session, listing_id) if img.id != image.id]
    target = to_position if isinstance(to_position, int) else 0
    target = max(0, min(target, len(ordered)))
    ordered.insert(target, image)
    _renumber(session, ordered)
    _touch(session, listing_id)


def set_cover(session: Session, actor_id: int, listing_id: int, image_id: int) -> None:
    """Make one photo the cover (position 0); the ones before it shift right.

    Raises:
        NotFound: the listing or photo is absent or not the actor's.
    """
    move_image(session, actor_id, listing_id, image_id, 0)


def forget_all(session: Session, listing_id: int) -> None:
    """Delete every photo row of a listing; files go once committed (internal use)."""
    images = images_of(session, listing_id)
    for image in images:
        session.delete(image)
    session.flush()
    _delete_after_commit(session, [image.storage_key for image in images])
