"""Opening a shop (application form and status) and a shop's public page.

The logo and banner are stored as soon as they are chosen (re-encoded by
:func:`media.ingest_upload` on a worker thread), and only their storage keys
are kept, in backend variables the browser cannot set. Submitting the form
hands those keys to :func:`shops.apply`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.models import Shop
from marketplace_app.services import geo, media, shops
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.state import forms, uploads
from marketplace_app.state.guard import current_user, login_required, public, run_read, run_write
from marketplace_app.state.session import LocaleState
from marketplace_app.state.views import CardView, card_view

TEXT_LIMITS = {
    "name": shops.NAME_MAX,
    "description": shops.DESCRIPTION_MAX,
    "address": shops.ADDRESS_MAX,
    "pickup_point": shops.PICKUP_MAX,
    "district": 60,
    "phone": shops.PHONE_MAX,
    "email": shops.EMAIL_MAX,
}
IMAGE_FIELDS = ("logo", "banner")


@dataclass
class HoursRowView:
    """One weekday of the opening-hours form or of the public page."""

    day: str
    label: str
    open: str
    close: str
    closed: bool
    text: str


def hours_rows(hours: dict[str, list[tuple[str, str]]], lang: str) -> list[HoursRowView]:
    """One row per weekday: the first range for the form, every range as text."""
    rows = []
    for day in shops.WEEKDAYS:
        ranges = hours.get(day, [])
        first = ranges[0] if ranges else ("", "")
        text = ", ".join(f"{a}–{b}" for a, b in ranges) or translate(lang, "shop.closed")
        rows.append(
            HoursRowView(
                day=day,
                label=translate(lang, f"shop.day.{day}"),
                open=first[0],
                close=first[1],
                closed=not ranges,
                text=text,
            )
        )
    return rows


def application_input(form: dict) -> shops.ShopApplicationInput:
    """The application form's payload (every value untrusted)."""
    hours: dict[str, list[tuple[str, str]]] = {}
    for day in shops.WEEKDAYS:
        opens = forms.text(form, f"{day}_open", 5)
        closes = forms.text(form, f"{day}_close", 5)
        closed = forms.flag(form, f"{day}_closed") or not (opens or closes)
        hours[day] = [] if closed else [(opens, closes)]
    return shops.ShopApplicationInput(
        **{name: forms.text(form, name, limit) for name, limit in TEXT_LIMITS.items()},
        hours=hours,
    )


def _image_url(key: str | None) -> str:
    return media.url(key, 320) if key else ""


class ShopApplyState(rx.State):
    """``/shop/apply``: the application form, then its status."""

    _logo_key: str = ""
    _banner_key: str = ""
    loaded: bool = False
    status: str = ""  # "", "pending", "approved", "rejected", "suspended"
    reason: str = ""
    shop_name: str = ""
    shop_slug: str = ""
    values: dict[str, str] = dict.fromkeys(TEXT_LIMITS, "")
    hours: list[HoursRowView] = []
    districts: list[str] = list(geo.DISTRICTS)
    logo_url: str = ""
    banner_url: str = ""
    errors: dict[str, str] = {}
    uploading: str = ""  # the image field being uploaded
    upload_percent: int = 0
    saving: bool = False
    form_key: int = 0

    @rx.var
    def show_form(self) -> bool:
        """Whether the form is shown (no shop yet, or after a rejection)."""
        return self.status in ("", "rejected")

    def _fill(self, shop: Shop | None, lang: str) -> None:
        if shop is None:
            self.values = dict.fromkeys(TEXT_LIMITS, "")
            self.hours = hours_rows(shops.DEFAULT_HOURS, lang)
            self.logo_url = self.banner_url = ""
        else:
            self.values = {name: str(getattr(shop, name) or "") for name in TEXT_LIMITS}
            self.hours = hours_rows(shops.parse_hours(shop.opening_hours), lang)
            self.logo_url = _image_url(self._logo_key or shop.logo_key)
            self.banner_url = _image_url(self._banner_key or shop.banner_key)
        self.form_key += 1

    @rx.event
    @login_required
    async def load(self):
        """Show the caller's application status, or the form."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        self.errors = {}
        self.saving = False
        self.uploading = ""
        yield
        shop = await run_read(shops.my_shop, current_user().id)
        self.status = shop.status if shop else ""
        self.reason = shop.review_reason if shop else ""
        self.shop_name = shop.name if shop else ""
        self.shop_slug = shop.slug if shop else ""
        self._fill(shop, lang)
        self.loaded = True

    @rx.event
    @login_required
    async def upload_progress(self, progress: dict):
        """Show how far the browser got sending an image."""
        if self.uploading:  # else a late report after the upload finished
            self.upload_percent = uploads.progress_percent(progress)

    @rx.event
    @login_required
    async def rejected_file(self, field: str, files: list):
        """A file the browser refused before sending (type or size): say why."""
        if field not in IMAGE_FIELDS:
            return
        loc = await self.get_state(LocaleState)
        self.errors = {**self.errors, field: loc._tr(uploads.refusal_key(files))}

    @rx.event
    @login_required(upload=True)
    async def upload_image(self, field: str, files: list[rx.UploadFile]):
        """Store a chosen logo or banner (re-encoded) and show its preview."""
        if field not in IMAGE_FIELDS or not self.show_form:
            return
        loc = await self.get_state(LocaleState)
        files = uploads.received_files(files, 1)
        if not files:
            return
        self.uploading = field
        self.errors = {k: v for k, v in self.errors.items() if k != field}
        yield
        blob = await files[0].read(media.MAX_UPLOAD_BYTES + 1)
        try:
            stored = await asyncio.to_thread(media.ingest_upload, blob)
        except ValidationFailed as error:
            self.errors = {**self.errors, field: loc._tr(next(iter(error.fields.values())))}
            self.uploading = ""
            return
        previous = getattr(self, f"_{field}_key")
        if previous:  # chosen earlier in this form and never submitted
            await asyncio.to_thread(media.delete_image, previous)
        setattr(self, f"_{field}_key", stored.key)
        setattr(self, f"{field}_url", _image_url(stored.key))
        self.uploading = ""
        self.upload_percent = 0

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """Send the application; errors stay next to their fields."""
        loc = await self.get_state(LocaleState)
        data = application_input(form)
        self.saving = True
        yield
        try:
            shop = await run_write(
                shops.apply,
                current_user().id,
                data,
                logo=self._logo_key or None,
                banner=self._banner_key or None,
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
            self.saving = False
            return
        self._logo_key = self._banner_key = ""
        self.errors = {}
        self.saving = False
        self.status = shop.status
        self.reason = ""
        self.shop_name = shop.name
        self.shop_slug = shop.slug


class PublicShopState(rx.State):
    """``/shop/[slug]``: an approved shop's public page."""

    found: bool = True
    loading: bool = True
    name: str = ""
    description: str = ""
    district: str = ""
    address: str = ""
    pickup_point: str = ""
    phone: str = ""
    email: str = ""
    logo: str = ""
    banner: str = ""
    banner_srcset: str = ""
    hours: list[HoursRowView] = []
    cards: list[CardView] = []

    @rx.event
    @public
    async def load(self):
        """Load the shop named in the URL."""
        lang = (await self.get_state(LocaleState)).lang
        slug = self.router.url.path.rstrip("/").rsplit("/", 1)[-1][:80]
        self.loading = True
        self.name = ""
        yield
        try:
            shop, cards = await run_read(shops.public_shop, slug)
        except NotFound:
            self.found = False
            self.loading = False
            return
        self.name = shop.name
        self.description = shop.description
        self.district = shop.district
        self.address = shop.address
        self.pickup_point = shop.pickup_point
        self.phone = shop.phone
        self.email = shop.email
        self.logo = _image_url(shop.logo_key)
        self.banner = media.url(shop.banner_key, 1600) if shop.banner_key else ""
        self.banner_srcset = media.srcset(shop.banner_key) if shop.banner_key else ""
        self.hours = hours_rows(shops.parse_hours(shop.opening_hours), lang)
        self.cards = [card_view(c, lang) for c in cards]
        self.found = True
        self.loading = False
