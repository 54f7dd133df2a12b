"""What the upload forms share: progress, refused files and a listing's photos.

Everything a browser sends here is untrusted: progress events and the list of
refused files are read defensively, uploads are re-encoded by the services.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import reflex as rx

from marketplace_app.services import listing_images, media, orders
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.state.guard import current_user, run_read, run_write
from marketplace_app.state.session import LocaleState

PHOTO_FIELD = "photos"


def progress_percent(progress: object) -> int:
    """How far a browser's upload progress event says the files got.

    Args:
        progress: the event's payload, ``{"progress": 0.0..1.0, ...}``.

    Returns:
        The percentage (0-100); 0 for anything unreadable.
    """
    value = progress.get("progress", 0) if isinstance(progress, dict) else 0
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError, OverflowError):
        return 0


def refusal_key(files: object, too_many_key: str | None = None) -> str:
    """The message key for files the browser refused before sending them.

    Args:
        files: the drop zone's rejections, ``[{"errors": [{"code": ...}]}]``.
        too_many_key: the key for "too-many-files"; None counts it as a bad type.

    Returns:
        ``media.ERROR_TOO_LARGE``, ``too_many_key`` or ``media.ERROR_TYPE``.
    """
    codes = set()
    for item in files if isinstance(files, list) else []:
        errors = item.get("errors") if isinstance(item, dict) else None
        for err in errors if isinstance(errors, list) else []:
            codes.add(err.get("code") if isinstance(err, dict) else None)
    if "file-too-large" in codes:
        return media.ERROR_TOO_LARGE
    if too_many_key and "too-many-files" in codes:
        return too_many_key
    return media.ERROR_TYPE


def received_files(files: object, limit: int) -> list[rx.UploadFile]:
    """The uploads a handler really received, at most ``limit`` of them.

    Over the websocket a browser could send anything in their place.

    Args:
        files: the handler's ``files`` argument.
        limit: how many to keep.

    Returns:
        The :class:`rx.UploadFile` items, in order.
    """
    kept = [f for f in files if isinstance(f, rx.UploadFile)] if isinstance(files, list) else []
    return kept[:limit]


async def add_form_photos(
    state: rx.State,
    files: object,
    keys: list[str],
    limit: int,
    store: Callable[[list[bytes]], list[str]],
    keep: Callable[[list[str], str], None],
) -> AsyncIterator[None]:
    """Store the photos uploaded to a form that holds photo keys (a refund request, a review).

    An async generator for the handler to pass on: it yields once, with the
    spinner on, before the photos are read and re-encoded. Too many photos, or
    a refused one, leave the kept photos as they were and explain under them.

    Args:
        state: the form's state, with ``errors`` and ``uploading`` vars.
        files: the handler's ``files`` argument.
        keys: the storage keys the form holds already.
        limit: how many photos the form takes in all.
        store: validates and stores the new photos' bytes, returning their keys
            (``orders.store_photos`` and the like).
        keep: ``keep(keys, lang)`` keeps the form's new list of keys and its previews.

    Yields:
        None, once the spinner is on.
    """
    loc = await state.get_state(LocaleState)
    files = received_files(files, limit + 1)
    if not files:
        return
    errors = {k: v for k, v in state.errors.items() if k != PHOTO_FIELD}
    if len(files) > limit - len(keys):
        state.errors = {**errors, PHOTO_FIELD: loc._tr(orders.E_PHOTOS, max=limit)}
        return
    state.uploading = True
    state.errors = errors
    yield
    try:
        blobs = [await f.read(media.MAX_UPLOAD_BYTES + 1) for f in files]
        stored = await asyncio.to_thread(store, blobs)
    except ValidationFailed as error:
        state.errors = {**errors, PHOTO_FIELD: loc._errors(error).get(PHOTO_FIELD, "")}
    else:
        keep([*keys, *stored], loc.lang)
    finally:
        state.uploading = False


def without_photo(keys: list[str], index: object) -> list[str] | None:
    """Take one photo out of a form's photo keys and delete its stored file.

    Args:
        keys: the form's storage keys.
        index: the position a browser sent (untrusted).

    Returns:
        The remaining keys; None, and nothing deleted, when ``index`` names no photo.
    """
    if not isinstance(index, int) or not 0 <= index < len(keys):
        return None
    remaining = list(keys)
    media.delete_image(remaining.pop(index))
    return remaining


async def store_photo(user_id: int, listing_id: int, upload: rx.UploadFile) -> None:
    """Check there is room, re-encode one uploaded photo and add it to a listing.

    Args:
        user_id: the caller.
        listing_id: a listing the caller may edit.
        upload: the uploaded file.

    Raises:
        ServiceError: from :mod:`listing_images` (no room, a bad image, not found).
    """
    blob = await upload.read(media.MAX_UPLOAD_BYTES + 1)
    await run_read(listing_images.check_room, user_id, listing_id, 1)
    stored = await asyncio.to_thread(listing_images.ingest_all, [blob])
    await run_write(listing_images.attach, user_id, listing_id, stored)


class PhotoEditor:
    """Photo handling for a state that edits one listing's photos (a plain base class).

    The state has ``errors``, ``photos`` and ``photo_busy`` vars and defines
    :meth:`_photo_listing_id` and :meth:`_reload_photos`.
    """

    def _photo_listing_id(self) -> int:
        """The listing whose photos the form shows (0 before there is one)."""
        raise NotImplementedError

    async def _reload_photos(self, lang: str) -> None:
        raise NotImplementedError

    def _photo_failed(self, loc: LocaleState, error: ServiceError) -> None:
        """Show why a photo was refused next to the photos."""
        messages = loc._errors(error)
        message = messages.get(PHOTO_FIELD) or next(iter(messages.values()))
        self.errors = {**self.errors, PHOTO_FIELD: message}

    async def _refresh_photos(self, lang: str) -> None:
        """Reload the previews; none when the listing is gone."""
        try:
            await self._reload_photos(lang)
        except NotFound:
            self.photos = []

    async def _photo_action(self, fn: Callable, *args) -> None:
        """Run a photo service call on the form's listing, then refresh the previews."""
        loc = await self.get_state(LocaleState)
        listing_id = self._photo_listing_id()
        if not listing_id:
            return
        self.photo_busy = True
        try:
            await run_write(fn, current_user().id, listing_id, *args)
        except ServiceError as error:
            self._photo_failed(loc, error)
        await self._refresh_photos(loc.lang)
        self.photo_busy = False
