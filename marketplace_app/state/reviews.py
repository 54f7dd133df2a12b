"""Reviews: the review box on an order's page, and review lists on listing and shop pages.

Handlers find the caller from the session cookie; ids a browser sends (a
review to reply to or report) are only hints: the services check them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date, date_time
from marketplace_app.ids import parse_id
from marketplace_app.models.moderation import REPORT_REASONS
from marketplace_app.services import media, orders, reports, reviews
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.state import forms
from marketplace_app.state.guard import (
    current_user,
    login_required,
    public,
    resolve_user,
    run_read,
    run_write,
)
from marketplace_app.state.session import LocaleState
from marketplace_app.state.uploads import add_form_photos, without_photo

STARS = (1, 2, 3, 4, 5)


@dataclass
class ReviewPhotoView:
    """One photo of a review."""

    src: str
    full: str
    alt: str


@dataclass
class ReviewView:
    """One published review in a list."""

    id: int
    author: str
    role: str
    stars: int
    stars_label: str
    product: str
    text: str
    photos: list[ReviewPhotoView]
    reply: str
    when: str
    item: str
    can_reply: bool
    can_report: bool


def stars_text(stars: int) -> str:
    """Stars drawn as text: filled and empty."""
    return "★" * stars + "☆" * (5 - stars)


def rating_text(avg_x10: int | None, count: int, lang: str) -> str:
    """The average and count, as "★ 4.5 · 12 reviews", or "No reviews yet"."""
    if not count or avg_x10 is None:
        return translate(lang, "reviews.none_yet")
    return translate(lang, "reviews.rating", avg=f"{avg_x10 / 10:.1f}", count=count)


def photo_views(keys: list[str], lang: str) -> list[ReviewPhotoView]:
    """A review's photos for display."""
    return [
        ReviewPhotoView(
            src=media.url(key, 320),
            full=media.url(key, 1600),
            alt=translate(lang, "reviews.photo_alt", n=i + 1),
        )
        for i, key in enumerate(keys)
    ]


def review_view(r: reviews.PublicReview, lang: str) -> ReviewView:
    """Format a published review."""
    return ReviewView(
        id=r.id,
        author=r.author_name,
        role=translate(lang, f"reviews.by_{r.author_role}"),
        stars=r.stars,
        stars_label=translate(lang, "reviews.stars_label", n=r.stars),
        product=translate(lang, "reviews.product_stars_shown", n=r.product_stars)
        if r.product_stars
        else "",
        text=r.text,
        photos=photo_views(r.photo_keys, lang),
        reply=r.reply_text,
        when=date(r.published_at, lang),
        item=r.listing_title,
        can_reply=r.can_reply,
        can_report=r.can_report,
    )


class OrderReviewState(rx.State):
    """The review box of ``/orders/<number>``: write one's review, see the other side's."""

    _number: str = ""
    _keys: list[str] = []
    loaded: bool = False
    may_review: bool = False
    rates_product: bool = False
    window_ends: str = ""
    stars: int = 0
    product_stars: int = 0
    photos: list[ReviewPhotoView] = []
    uploading: bool = False
    busy: bool = False
    errors: dict[str, str] = {}
    has_mine: bool = False
    mine_published: bool = False
    mine_stars: str = ""
    mine_text: str = ""
    has_theirs: bool = False
    theirs_stars: str = ""
    theirs_text: str = ""
    theirs_reply: str = ""

    def _discard_photos(self) -> None:
        for key in self._keys:
            media.delete_image(key)
        self._keys = []
        self.photos = []

    async def _reload(self, lang: str) -> None:
        try:
            box = await run_read(reviews.order_reviews, current_user().id, self._number)
        except NotFound:
            self.may_review = self.has_mine = self.has_theirs = False
            return
        self.may_review = box.may_review
        self.rates_product = box.rates_product
        self.window_ends = date_time(box.window_ends, lang) if box.window_ends else ""
        mine, theirs = box.mine, box.theirs
        self.has_mine = mine is not None
        self.mine_published = bool(mine and mine.published_at)
        self.mine_stars = stars_text(mine.stars) if mine else ""
        self.mine_text = mine.text if mine else ""
        self.has_theirs = theirs is not None
        self.theirs_stars = stars_text(theirs.stars) if theirs else ""
        self.theirs_text = theirs.text if theirs else ""
        self.theirs_reply = theirs.reply_text if theirs else ""

    @rx.event
    @login_required
    async def load(self):
        """Load the review box for the order the URL names."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        self.errors = {}
        self.stars = 0
        self.product_stars = 0
        self._discard_photos()
        self._number = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1][:24]
        await self._reload(lang)
        self.loaded = True

    @rx.event
    @login_required
    async def set_stars(self, value: int):
        """Choose 1-5 stars for the other side."""
        if isinstance(value, int) and value in STARS:
            self.stars = value

    @rx.event
    @login_required
    async def set_product_stars(self, value: int):
        """Choose 1-5 stars for the product (shop goods)."""
        if isinstance(value, int) and value in STARS:
            self.product_stars = value

    def _keep_photos(self, keys: list[str], lang: str) -> None:
        self._keys = keys
        self.photos = photo_views(keys, lang)

    @rx.event
    @login_required(upload=True)
    async def upload_photos(self, files: list[rx.UploadFile]):
        """Store photos for the review (at most 5 in all)."""
        if not self.may_review:
            return
        async for update in add_form_photos(
            self,
            files,
            self._keys,
            reviews.MAX_PHOTOS,
            functools.partial(orders.store_photos, limit=reviews.MAX_PHOTOS),
            self._keep_photos,
        ):
            yield update

    @rx.event
    @login_required
    async def remove_photo(self, index: int):
        """Take one photo out of the review."""
        keys = without_photo(self._keys, index)
        if keys is not None:
            self._keep_photos(keys, (await self.get_state(LocaleState)).lang)

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """Send the review: the chosen stars, the text and the photos."""
        loc = await self.get_state(LocaleState)
        if not self._number or self.busy:
            return
        self.busy = True
        self.errors = {}
        yield
        try:
            await run_write(
                reviews.submit,
                current_user().id,
                self._number,
                stars=self.stars or None,
                text=forms.text(form, "text", reviews.TEXT_MAX),
                product_stars=self.product_stars or None,
                photos=list(self._keys),
            )
        except ValidationFailed as error:
            self.errors = loc._errors(error)
        except ServiceError as error:
            self.errors = {"_form": loc._tr(error.key, **error.params)}
        else:
            self._keys = []
            self.photos = []
            self.stars = 0
            self.product_stars = 0
        finally:
            self.busy = False
        await self._reload(loc.lang)


class ReviewListState(rx.State):
    """Published reviews on a listing's page (about its seller) or a shop's page."""

    _source: str = ""
    _key: str = ""
    reviews: list[ReviewView] = []
    summary: str = ""
    product_rating: str = ""
    loaded: bool = False
    replying_id: int = 0
    reply_error: str = ""
    reporting_id: int = 0
    report_sent: bool = False
    report_errors: dict[str, str] = {}
    notice: str = ""

    async def _fill(self, lang: str) -> None:
        user = await resolve_user(self)
        viewer = user.id if user else None
        self.product_rating = ""
        try:
            if self._source == "listing":
                listing_id = parse_id(self._key)
                if listing_id is None:
                    raise NotFound()
                found = await run_read(reviews.for_listing, listing_id, viewer)
                items = found.reviews
                if found.is_shop:
                    self.product_rating = translate(
                        lang,
                        "reviews.product_rating",
                        rating=rating_text(found.product_avg_x10, found.product_count, lang),
                    )
                self.summary = ""
            else:
                (avg, count), items = await run_read(reviews.for_shop, self._key, viewer)
                self.summary = rating_text(avg, count, lang)
        except NotFound:
            items = []
        self.reviews = [review_view(r, lang) for r in items]

    async def _open(self, source: str):
        lang = (await self.get_state(LocaleState)).lang
        self._source = source
        self._key = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1][:80]
        self.loaded = False
        self.reviews = []
        self.replying_id = 0
        self.reporting_id = 0
        self.notice = ""
        await self._fill(lang)
        self.loaded = True

    @rx.event
    @public
    async def load_listing(self):
        """Reviews about the seller of the listing in the URL (public)."""
        await self._open("listing")

    @rx.event
    @public
    async def load_shop(self):
        """Reviews of the shop in the URL (public)."""
        await self._open("shop")

    @rx.event
    @login_required
    async def start_reply(self, review_id: int):
        """Open the reply field under one review (the service decides who may reply)."""
        review_id = parse_id(review_id)
        if review_id is not None:
            self.replying_id = review_id
            self.reply_error = ""

    @rx.event
    @login_required
    async def cancel_reply(self):
        """Close the reply field."""
        self.replying_id = 0
        self.reply_error = ""

    @rx.event
    @login_required
    async def send_reply(self, form: dict):
        """Post the reply to the review whose field is open."""
        loc = await self.get_state(LocaleState)
        if not self.replying_id:
            return
        try:
            await run_write(
                reviews.reply,
                current_user().id,
                self.replying_id,
                forms.text(form, "reply", reviews.REPLY_MAX),
            )
        except ServiceError as error:
            self.reply_error = next(iter(loc._errors(error).values()), "")
            return
        self.replying_id = 0
        self.reply_error = ""
        self.notice = loc._tr("reviews.reply_posted")
        await self._fill(loc.lang)

    @rx.event
    @login_required
    async def start_report(self, review_id: int):
        """Open the report dialog for one review."""
        review_id = parse_id(review_id)
        if review_id is not None:
            self.reporting_id = review_id
            self.report_sent = False
            self.report_errors = {}

    @rx.event
    @login_required
    async def close_report(self):
        """Close the report dialog."""
        self.reporting_id = 0

    @rx.event
    @login_required
    async def report_opened(self, is_open: bool):
        """Follow the dialog when Escape or a click outside closes it."""
        if is_open is False:
            self.reporting_id = 0

    @rx.event
    @login_required
    async def send_report(self, form: dict):
        """File the report of the review whose dialog is open."""
        loc = await self.get_state(LocaleState)
        if not self.reporting_id:
            return
        reason = forms.text(form, "reason", 20)
        try:
            await run_write(
                reviews.report,
                current_user().id,
                self.reporting_id,
                reason=reason if reason in REPORT_REASONS else "",
                text=forms.text(form, "text", reports.TEXT_MAX),
            )
        except ServiceError as error:
            self.report_errors = loc._errors(error)
            return
        self.report_errors = {}
        self.report_sent = True
