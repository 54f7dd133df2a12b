"""The sell form: a draft in the database from the first upload or save.

Which listing the form edits is a backend variable (``_listing_id``), set only
after the services confirmed the caller may edit it; every service call checks
again. The form's inputs are uncontrolled (``default_value``), so what the
user typed stays in the page when a save is refused.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.ids import parse_id
from marketplace_app.models import User
from marketplace_app.models.catalog import CONDITIONS
from marketplace_app.services import catalog, geo, listing_images, listings, media
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.state import forms, uploads
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.session import LocaleState
from marketplace_app.state.uploads import PHOTO_FIELD, PhotoEditor

TEXT_FIELDS = ("title", "description", "category", "condition", "price", "district")
TEXT_FIELDS += ("local_fee", "courier_fee")
FLAG_FIELDS = ("free", "negotiable", "pickup", "local_delivery", "courier")
AMOUNT_CHARS = 16


@dataclass
class PhotoView:
    """One stored photo in the form's preview row."""

    id: int
    src: str
    alt: str
    is_cover: bool
    is_first: bool
    is_last: bool
    left_label: str
    right_label: str
    remove_label: str
    cover_label: str


@dataclass
class OptionView:
    """One choice of a select."""

    value: str
    label: str


def listing_input(form: dict) -> listings.ListingInput:
    """The sell form's payload as a :class:`listings.ListingInput` (all values untrusted)."""
    return listings.ListingInput(
        title=forms.text(form, "title", listings.TITLE_MAX),
        description=forms.text(form, "description", listings.DESCRIPTION_MAX),
        category=forms.text(form, "category", 40),
        condition=forms.text(form, "condition", 12),
        price=forms.text(form, "price", AMOUNT_CHARS),
        free=forms.flag(form, "free"),
        negotiable=forms.flag(form, "negotiable"),
        district=forms.text(form, "district", 60),
        pickup=forms.flag(form, "pickup"),
        local_delivery=forms.flag(form, "local_delivery"),
        local_fee=forms.text(form, "local_fee", AMOUNT_CHARS),
        courier=forms.flag(form, "courier"),
        courier_fee=forms.text(form, "courier_fee", AMOUNT_CHARS),
    )


def photo_views(images, title: str, lang: str) -> list[PhotoView]:
    """Preview records for stored photos, with labels naming each one."""
    last = len(images) - 1
    views = []
    for i, image in enumerate(images):
        n = i + 1
        views.append(
            PhotoView(
                id=image.id,
                src=media.url(image.storage_key, 320),
                alt=translate(lang, "sell.photo_alt", n=n, title=title)
                if title
                else translate(lang, "sell.photo_alt_untitled", n=n),
                is_cover=i == 0,
                is_first=i == 0,
                is_last=i == last,
                left_label=translate(lang, "sell.photo_left", n=n),
                right_label=translate(lang, "sell.photo_right", n=n),
                remove_label=translate(lang, "sell.photo_remove", n=n),
                cover_label=translate(lang, "sell.photo_cover", n=n),
            )
        )
    return views


def _requested_id(path: str, params: dict) -> int | None:
    """The listing id the URL names: ``/sell/ID``, ``?draft=ID`` or ``?edit=ID``."""
    tail = (path or "").rstrip("/").rsplit("/", 1)[-1]
    raw = tail if tail != "sell" else str(params.get("draft") or params.get("edit") or "")
    if not raw:
        return None
    return parse_id(raw) or -1


def _user_district(session, user_id: int) -> str:
    user = session.get(User, user_id)
    return user.district if user and user.district in geo.DISTRICTS else ""


def _load_listing(session, user_id: int, listing_id: int):
    listing, images = listings.for_edit(session, user_id, listing_id)
    return listing, images, listings.form_values(session, listing)


def storable(data: listings.ListingInput) -> listings.ListingInput:
    """The form cut down to what a draft can always store.

    Text is trimmed to its limit; amounts that are not valid numbers are left out.
    """

    def amount(text: str) -> str:
        try:
            listings.parse_amount(text)
        except ValueError:
            return ""
        return text

    return dataclasses.replace(
        data,
        title=data.title[: listings.TITLE_MAX],
        description=data.description[: listings.DESCRIPTION_MAX],
        price=amount(data.price),
        local_fee=amount(data.local_fee),
        courier_fee=amount(data.courier_fee),
    )


def _keep_draft(session, user_id: int, listing_id: int, data: listings.ListingInput) -> None:
    listings.save(session, user_id, listing_id, storable(data), publish=False)


def _start_draft(session, user_id: int) -> int:
    return listings.start_draft(session, user_id).id


class SellState(PhotoEditor, rx.State):
    """The sell form at ``/sell``, ``/sell?draft=ID`` and ``/sell/ID``."""

    _listing_id: int = 0
    _intent: str = "publish"
    listing_id_shown: int = 0
    status: str = ""
    values: dict[str, str] = dict.fromkeys(TEXT_FIELDS, "")
    flags: dict[str, bool] = {**dict.fromkeys(FLAG_FIELDS, False), "pickup": True}
    photos: list[PhotoView] = []
    categories: list[OptionView] = []
    conditions: list[OptionView] = []
    districts: list[str] = list(geo.DISTRICTS)
    errors: dict[str, str] = {}
    form_key: int = 0
    loaded: bool = False
    not_found: bool = False
    saving: bool = False
    uploading: bool = False
    upload_percent: int = 0
    upload_count: int = 0
    photo_busy: bool = False
    notice: str = ""

    @rx.var
    def is_draft(self) -> bool:
        """Whether the form publishes (a new listing or a draft) or saves a live one."""
        return self.status in ("", "draft")

    @rx.var
    def photo_count(self) -> int:
        """How many photos are stored."""
        return len(self.photos)

    @rx.var
    def sending(self) -> bool:
        """Whether the browser is still sending photos (from its progress events)."""
        return 0 < self.upload_percent < 100

    @rx.var
    def room_left(self) -> bool:
        """Whether another photo may be added."""
        return len(self.photos) < listing_images.MAX_IMAGES

    def _fill(self, data: listings.ListingInput) -> None:
        self.values = {name: str(getattr(data, name)) for name in TEXT_FIELDS}
        self.flags = {name: bool(getattr(data, name)) for name in FLAG_FIELDS}
        self.form_key += 1

    async def _options(self, lang: str) -> None:
        cats = await run_read(catalog.list_categories)
        self.categories = [OptionView(c.slug, translate(lang, f"category.{c.slug}")) for c in cats]
        self.conditions = [OptionView(c, translate(lang, f"condition.{c}")) for c in CONDITIONS]

    def _photo_listing_id(self) -> int:
        return self._listing_id

    async def _reload_photos(self, lang: str) -> None:
        if not self._listing_id:
            self.photos = []
            return
        images = await run_read(listing_images.list_images, current_user().id, self._listing_id)
        self.photos = photo_views(images, self.values.get("title", ""), lang)

    def _url_script(self) -> rx.event.EventSpec:
        # Keep the draft in the address bar without reloading (a reload loads it back).
        url = json.dumps(f"/sell?draft={self._listing_id}")
        return rx.call_script(f"window.history.replaceState(window.history.state, '', {url})")

    async def _ensure_draft(self) -> bool:
        """Create the draft on first need; True when it was just created."""
        if self._listing_id:
            return False
        self._listing_id = await run_write(_start_draft, current_user().id)
        self.listing_id_shown = self._listing_id
        self.status = "draft"
        return True

    @rx.event
    @login_required
    async def load(self):
        """Open the form: blank, or filled from the draft or listing the URL names."""
        lang = (await self.get_state(LocaleState)).lang
        user_id = current_user().id
        self.loaded = False
        self.not_found = False
        self.errors = {}
        self.notice = ""
        self.saving = self.uploading = self.photo_busy = False
        self._intent = "publish"
        yield
        await self._options(lang)
        wanted = _requested_id(self.router.url.path, self.router.url.query_parameters)
        if wanted is None:
            self._listing_id = 0
            self.listing_id_shown = 0
            self.status = ""
            self.photos = []
            district = await run_read(_user_district, user_id)
            self._fill(listings.ListingInput(district=district))
            self.loaded = True
            return
        try:
            listing, images, data = await run_read(_load_listing, user_id, wanted)
        except (NotFound, ValueError):
            self._listing_id = 0
            self.not_found = True
            self.loaded = True
            return
        self._listing_id = listing.id
        self.listing_id_shown = listing.id
        self.status = listing.status
        self._fill(data)
        self.photos = photo_views(images, listing.title, lang)
        self.loaded = True

    @rx.event
    @login_required
    async def choose(self, intent: str):
        """Remember which button submitted the form ("draft" or "publish")."""
        self._intent = "draft" if intent == "draft" else "publish"

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """Save the draft, or publish it (then go to its page); errors stay on the form."""
        loc = await self.get_state(LocaleState)
        publish = self._intent != "draft" or not self.is_draft
        self._intent = "publish"
        user_id = current_user().id
        data = listing_input(form)
        self.saving = True
        self.notice = ""
        yield
        try:
            created = await self._ensure_draft()
            if created:
                yield self._url_script()
            listing = await run_write(
                listings.save, user_id, self._listing_id, data, publish=publish
            )
        except NotFound:
            self.saving = False
            self.not_found = True
            return
        except ValidationFailed as error:
            self.errors = loc._errors(error)
            if publish and self.status == "draft":
                # Keep what was typed: store the draft as far as it can be stored.
                with contextlib.suppress(ServiceError):
                    await run_write(_keep_draft, user_id, self._listing_id, data)
            self.saving = False
            return
        except ServiceError as error:  # e.g. Restricted: the seller is suspended or banned
            self.errors = loc._errors(error)
            self.saving = False
            return
        self.errors = {}
        self.values = {**self.values, "title": listing.title}
        self.status = listing.status
        self.saving = False
        if listing.status == "draft":
            self.notice = loc._tr("sell.draft_saved")
            await self._reload_photos(loc.lang)
            return
        yield rx.redirect(f"/listing/{listing.id}")

    @rx.event
    @login_required
    async def upload_progress(self, progress: dict):
        """Show how far the browser got sending the photos.

        Only the bar follows these events (the last one may arrive after the
        upload was handled); ``uploading`` belongs to :meth:`upload_photos`.
        """
        self.upload_percent = uploads.progress_percent(progress)

    @rx.event
    @login_required
    async def rejected(self, files: list):
        """Files the browser refused before sending (type, size or too many): say why."""
        loc = await self.get_state(LocaleState)
        key = uploads.refusal_key(files, too_many_key=listing_images.E_TOO_MANY)
        self.errors = {**self.errors, PHOTO_FIELD: loc._tr(key, max=listing_images.MAX_IMAGES)}

    @rx.event
    @login_required(upload=True)
    async def upload_photos(self, files: list[rx.UploadFile]):
        """Store uploaded photos on the caller's draft (created on the first upload).

        Each file is checked and stored on its own: good photos are kept, the
        first refusal is shown next to the photos.
        """
        loc = await self.get_state(LocaleState)
        user_id = current_user().id
        files = uploads.received_files(files, listing_images.MAX_IMAGES + 1)
        if not files:
            return
        self.errors = {k: v for k, v in self.errors.items() if k != PHOTO_FIELD}
        self.uploading = True
        self.upload_count = len(files)
        yield
        problem: ServiceError | None = None
        try:
            if await self._ensure_draft():
                yield self._url_script()
            for upload in files:
                try:
                    await uploads.store_photo(user_id, self._listing_id, upload)
                except ValidationFailed as error:
                    problem = problem or error
                    if error.fields.get(PHOTO_FIELD) == listing_images.E_TOO_MANY:
                        break
        except NotFound as error:
            problem = error
        finally:
            self.uploading = False
            self.upload_percent = 0
            self.upload_count = 0
        if problem is not None:
            self._photo_failed(loc, problem)
        await self._refresh_photos(loc.lang)

    @rx.event
    @login_required
    async def move_photo(self, image_id: int, delta: int):
        """Move a photo one place left (-1) or right (+1)."""
        image_id = parse_id(image_id)
        if image_id is None or delta not in (-1, 1):
            return
        ids = [p.id for p in self.photos]
        if image_id not in ids:
            return
        await self._photo_action(listing_images.move_image, image_id, ids.index(image_id) + delta)

    @rx.event
    @login_required
    async def remove_photo(self, image_id: int):
        """Remove a photo (its files are deleted)."""
        image_id = parse_id(image_id)
        if image_id is not None:
            await self._photo_action(listing_images.remove_image, image_id)

    @rx.event
    @login_required
    async def make_cover(self, image_id: int):
        """Make a photo the cover (first)."""
        image_id = parse_id(image_id)
        if image_id is not None:
            await self._photo_action(listing_images.set_cover, image_id)
