"""The shop dashboard: products table, product editor with variants and photos, CSV import.

Which shop and product a page works on are backend variables (``_shop_id``,
``_product_id``), set only from the services' answers for the logged-in
caller; every service call checks staff rights again. Ids a button sends
(product, variant) are only hints: the services answer "not found" for
anything that is not the caller's shop's.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import money
from marketplace_app.ids import parse_id
from marketplace_app.services import catalog, listing_images, media, product_csv, products, roles
from marketplace_app.services.errors import NotFound, ServiceError, ValidationFailed
from marketplace_app.state import forms, uploads
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.session import LocaleState
from marketplace_app.state.uploads import PHOTO_FIELD, PhotoEditor

UPLOAD_ID = "product-photos"
CSV_UPLOAD_ID = "csv-file"
AMOUNT_CHARS = 16
PREVIEW_ROWS_SHOWN = 200
PRODUCT_FIELDS = (
    "title",
    "description",
    "category",
    "sale_starts",
    "sale_ends",
    "low_stock",
    "local_delivery_fee",
    "courier_fee",
)


# --- display records ---------------------------------------------------------------


@dataclass
class VariantChipView:
    """One variant in the products table, with its stock."""

    id: int
    label: str
    price: str
    stock: str
    low: bool


@dataclass
class ProductRowView:
    """One product in the shop's table."""

    id: int
    title: str
    href: str
    public_href: str
    status: str
    status_label: str
    price: str
    stock: int
    low: bool
    image: str
    variants: list[VariantChipView]
    is_active: bool


@dataclass
class VariantFormRow:
    """One variant row of the editor (``key`` names its inputs)."""

    key: str
    id: int
    label: str
    price: str
    sale_price: str
    stock: str


@dataclass
class OptionView:
    """One choice of a select."""

    value: str
    label: str


@dataclass
class ProductPhotoView:
    """One stored photo in the editor."""

    id: int
    src: str
    alt: str
    is_cover: bool
    remove_label: str
    cover_label: str


@dataclass
class CsvRowView:
    """One row of a CSV preview."""

    line: int
    title: str
    variant: str
    category: str
    price: str
    sale_price: str
    stock: str
    action: str
    problems: str
    has_error: bool


def _amount(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, frac = divmod(int(cents), 100)
    return f"{whole}.{frac:02d}"


def _my_shop_id(session, user_id: int) -> int | None:
    ids = roles.shop_ids_for(session, user_id)
    return ids[0] if ids else None


def _dashboard(session, user_id: int):
    shop_id = _my_shop_id(session, user_id)
    if shop_id is None:
        return None, []
    shop = products.staff_shop(session, user_id, shop_id)
    return shop, products.shop_products(session, user_id, shop_id)


def _row_views(rows: list[products.ProductRow], lang: str) -> list[ProductRowView]:
    return [
        ProductRowView(
            id=r.id,
            title=r.title,
            href=f"/shop/manage/product/{r.id}",
            public_href=f"/listing/{r.id}",
            status=r.status,
            status_label=translate(lang, f"listing.status.{r.status}"),
            price=money(r.price_cents, lang),
            stock=r.stock,
            low=r.low_stock,
            image=media.url(r.cover_key, 320) if r.cover_key else "/placeholder.svg",
            variants=[
                VariantChipView(
                    id=v.id,
                    label=v.label or translate(lang, "product.standard"),
                    price=money(v.price_cents, lang),
                    stock=str(v.stock),
                    low=v.low,
                )
                for v in r.variants
            ],
            is_active=r.status == "active",
        )
        for r in rows
    ]


class ShopManageState(rx.State):
    """``/shop/manage``: the shop's products, publishing and quick stock changes."""

    _shop_id: int = 0
    loaded: bool = False
    has_shop: bool = False
    shop_name: str = ""
    shop_slug: str = ""
    rows: list[ProductRowView] = []
    row_errors: dict[str, str] = {}
    busy_id: int = 0

    async def _reload(self, lang: str) -> None:
        shop, rows = await run_read(_dashboard, current_user().id)
        self.has_shop = shop is not None
        self._shop_id = shop.id if shop else 0
        self.shop_name = shop.name if shop else ""
        self.shop_slug = shop.slug if shop else ""
        self.rows = _row_views(rows, lang)
        self.loaded = True

    @rx.event
    @login_required
    async def load(self):
        """Load the caller's shop and its products."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        self.row_errors = {}
        yield
        await self._reload(lang)

    async def _publish(self, product_id: int, published: bool):
        loc = await self.get_state(LocaleState)
        product_id = parse_id(product_id)
        if product_id is None:
            return
        self.busy_id = product_id
        yield
        errors = {k: v for k, v in self.row_errors.items() if k != str(product_id)}
        try:
            await run_write(products.set_published, current_user().id, product_id, published)
        except ServiceError as error:
            messages = loc._errors(error)
            errors[str(product_id)] = next(iter(messages.values()))
        self.row_errors = errors
        self.busy_id = 0
        await self._reload(loc.lang)

    @rx.event
    @login_required
    async def publish(self, product_id: int):
        """Put a product on sale (it needs a photo)."""
        async for update in self._publish(product_id, True):
            yield update

    @rx.event
    @login_required
    async def unpublish(self, product_id: int):
        """Take a product off sale (paused)."""
        async for update in self._publish(product_id, False):
            yield update

    @rx.event
    @login_required
    async def set_stock(self, product_id: int, variant_id: int, value: str | float):
        """Change one variant's stock from the table."""
        loc = await self.get_state(LocaleState)
        product_id, variant_id = parse_id(product_id), parse_id(variant_id)
        if product_id is None or variant_id is None:
            return
        errors = {k: v for k, v in self.row_errors.items() if k != str(product_id)}
        try:
            await run_write(
                products.set_stock,
                current_user().id,
                product_id,
                variant_id,
                forms.text({"v": str(value)}, "v", 12),
            )
        except ServiceError as error:
            errors[str(product_id)] = next(iter(loc._errors(error).values()))
        self.row_errors = errors
        await self._reload(loc.lang)


# --- the product editor -------------------------------------------------------------


def _editor_data(session, user_id: int, product_id: int | None):
    shop_id = _my_shop_id(session, user_id)
    if shop_id is None:
        raise NotFound()
    categories = catalog.list_categories(session)
    if product_id is None:
        return shop_id, categories, None, []
    detail = products.product_detail(session, user_id, product_id)
    if detail.shop_id != shop_id:
        raise NotFound()
    images = listing_images.list_images(session, user_id, product_id)
    return shop_id, categories, detail, images


def _photo_views(images, title: str, lang: str) -> list[ProductPhotoView]:
    return [
        ProductPhotoView(
            id=img.id,
            src=media.url(img.storage_key, 320),
            alt=translate(lang, "product.photo_alt", n=i + 1, title=title),
            is_cover=i == 0,
            remove_label=translate(lang, "product.photo_remove", n=i + 1),
            cover_label=translate(lang, "product.photo_cover", n=i + 1),
        )
        for i, img in enumerate(images)
    ]


def _requested_product(path: str) -> int | None:
    tail = (path or "").rstrip("/").rsplit("/", 1)[-1]
    if tail == "new":
        return None
    return parse_id(tail) or -1


class ProductEditorState(PhotoEditor, rx.State):
    """``/shop/manage/product/new`` and ``/shop/manage/product/[id]``."""

    _shop_id: int = 0
    _product_id: int = 0
    _intent: str = "save"
    _next_key: int = 0
    product_id_shown: int = 0
    status: str = ""
    status_label: str = ""
    values: dict[str, str] = dict.fromkeys(PRODUCT_FIELDS, "")
    pickup: bool = True
    variants: list[VariantFormRow] = []
    categories: list[OptionView] = []
    photos: list[ProductPhotoView] = []
    errors: dict[str, str] = {}
    notice: str = ""
    loaded: bool = False
    not_found: bool = False
    saving: bool = False
    uploading: bool = False
    upload_percent: int = 0
    photo_busy: bool = False
    form_key: int = 0

    @rx.var
    def can_remove_variant(self) -> bool:
        """Whether more than one variant row is left."""
        return len(self.variants) > 1

    @rx.var
    def is_live(self) -> bool:
        """Whether the product is on sale now."""
        return self.status == "active"

    def _new_row(self, **values: str | int) -> VariantFormRow:
        self._next_key += 1
        row = {"id": 0, "label": "", "price": "", "sale_price": "", "stock": "0", **values}
        return VariantFormRow(key=f"k{self._next_key}", **row)

    def _fill(self, detail: products.ProductDetail | None) -> None:
        if detail is None:
            self.values = dict.fromkeys(PRODUCT_FIELDS, "")
            self.pickup = True
            self.variants = [self._new_row()]
        else:
            self.values = {
                "title": detail.title,
                "description": detail.description,
                "category": detail.category,
                "sale_starts": products.local_time_text(detail.sale_starts_at),
                "sale_ends": products.local_time_text(detail.sale_ends_at),
                "low_stock": ""
                if detail.low_stock_threshold is None
                else str(detail.low_stock_threshold),
                "local_delivery_fee": _amount(detail.local_delivery_fee_cents),
                "courier_fee": _amount(detail.courier_fee_cents),
            }
            self.pickup = detail.pickup
            self.variants = [
                self._new_row(
                    id=v.id,
                    label=v.label,
                    price=_amount(v.price_cents),
                    sale_price=_amount(v.sale_price_cents),
                    stock=str(v.stock),
                )
                for v in detail.variants
            ] or [self._new_row()]
        self.form_key += 1

    def _show_status(self, status: str, lang: str) -> None:
        self.status = status
        self.status_label = translate(lang, f"listing.status.{status}") if status else ""

    @rx.event
    @login_required
    async def load(self):
        """Open the editor for a new product or one of the shop's products."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        self.not_found = False
        self.errors = {}
        self.notice = ""
        self.saving = self.uploading = self.photo_busy = False
        self._intent = "save"
        yield
        wanted = _requested_product(self.router.url.path)
        try:
            if wanted == -1:
                raise NotFound()
            shop_id, cats, detail, images = await run_read(_editor_data, current_user().id, wanted)
        except NotFound:
            self._product_id = 0
            self.not_found = True
            self.loaded = True
            return
        self._shop_id = shop_id
        self.categories = [OptionView(c.slug, translate(lang, f"category.{c.slug}")) for c in cats]
        self._product_id = detail.id if detail else 0
        self.product_id_shown = self._product_id
        self._show_status(detail.status if detail else "", lang)
        self._fill(detail)
        self.photos = _photo_views(images, detail.title if detail else "", lang)
        self.loaded = True

    @rx.event
    @login_required
    async def add_variant(self):
        """Add an empty variant row."""
        if len(self.variants) < products.VARIANTS_MAX:
            self.variants = [*self.variants, self._new_row()]

    @rx.event
    @login_required
    async def remove_variant(self, key: str):
        """Remove a variant row (one always stays)."""
        if len(self.variants) > 1:
            self.variants = [v for v in self.variants if v.key != key]

    @rx.event
    @login_required
    async def choose(self, intent: str):
        """Remember which button submitted the form ("save" or "publish")."""
        self._intent = "publish" if intent == "publish" else "save"

    def _input(self, form: dict) -> products.ProductInput:
        variants = [
            products.VariantInput(
                label=forms.text(form, f"{row.key}_label", products.LABEL_MAX),
                price=forms.text(form, f"{row.key}_price", AMOUNT_CHARS),
                sale_price=forms.text(form, f"{row.key}_sale_price", AMOUNT_CHARS),
                stock=forms.text(form, f"{row.key}_stock", 12),
                id=row.id or None,
            )
            for row in self.variants
        ]
        return products.ProductInput(
            title=forms.text(form, "title", products.TITLE_MAX),
            description=forms.text(form, "description", products.DESCRIPTION_MAX),
            category=forms.text(form, "category", 40),
            variants=variants,
            sale_starts=forms.text(form, "sale_starts", 20),
            sale_ends=forms.text(form, "sale_ends", 20),
            low_stock=forms.text(form, "low_stock", 12),
            pickup=forms.flag(form, "pickup"),
            local_delivery_fee=forms.text(form, "local_delivery_fee", AMOUNT_CHARS),
            courier_fee=forms.text(form, "courier_fee", AMOUNT_CHARS),
        )

    def _field_errors(self, loc: LocaleState, error: ServiceError) -> dict[str, str]:
        """Translate, and name variant errors by their row key instead of their index."""
        messages = loc._errors(error)
        named: dict[str, str] = {}
        for field, message in messages.items():
            if field.startswith("variant_"):
                index, _, part = field[len("variant_") :].partition("_")
                if index.isdigit() and int(index) < len(self.variants):
                    named[f"{self.variants[int(index)].key}_{part}"] = message
                    continue
            named[field] = message
        return named

    @rx.event
    @login_required
    async def submit(self, form: dict):
        """Save the product (as a draft when new); "publish" also puts it on sale."""
        loc = await self.get_state(LocaleState)
        publish = self._intent == "publish"
        self._intent = "save"
        user_id = current_user().id
        data = self._input(form)
        self.saving = True
        self.notice = ""
        yield
        try:
            listing = await run_write(
                products.save_product,
                user_id,
                self._shop_id,
                self._product_id or None,
                data,
            )
        except NotFound:
            self.saving = False
            self.not_found = True
            return
        except ServiceError as error:
            self.errors = self._field_errors(loc, error)
            self.saving = False
            return
        created = not self._product_id
        self._product_id = listing.id
        self.product_id_shown = listing.id
        self.errors = {}
        status = listing.status
        message = "product.saved"
        if publish:
            try:
                status = (await run_write(products.set_published, user_id, listing.id, True)).status
                message = "product.published"
            except ValidationFailed as error:
                self.errors = loc._errors(error)
        self._show_status(status, loc.lang)
        detail = await run_read(products.product_detail, user_id, listing.id)
        self._fill(detail)
        self.notice = loc._tr(message)
        self.saving = False
        if created:
            url = json.dumps(f"/shop/manage/product/{listing.id}")
            yield rx.call_script(f"window.history.replaceState(window.history.state, '', {url})")

    @rx.event
    @login_required
    async def unpublish(self):
        """Take the product off sale."""
        loc = await self.get_state(LocaleState)
        if not self._product_id:
            return
        try:
            listing = await run_write(
                products.set_published, current_user().id, self._product_id, False
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
            return
        self._show_status(listing.status, loc.lang)
        self.notice = loc._tr("product.unpublished")

    # -- photos (listing_images does the work and the checks)

    def _photo_listing_id(self) -> int:
        return self._product_id

    async def _reload_photos(self, lang: str) -> None:
        images = await run_read(listing_images.list_images, current_user().id, self._product_id)
        self.photos = _photo_views(images, self.values.get("title", ""), lang)

    @rx.event
    @login_required
    async def upload_progress(self, progress: dict):
        """Show how far the browser got sending the photos."""
        if self.uploading:  # else a late report after the upload finished
            self.upload_percent = uploads.progress_percent(progress)

    @rx.event
    @login_required
    async def rejected_photos(self, files: list):
        """Files the browser refused before sending: say why."""
        loc = await self.get_state(LocaleState)
        self.errors = {**self.errors, PHOTO_FIELD: loc._tr(uploads.refusal_key(files))}

    @rx.event
    @login_required(upload=True)
    async def upload_photos(self, files: list[rx.UploadFile]):
        """Add photos to the saved product; the first refusal shows next to the photos."""
        loc = await self.get_state(LocaleState)
        if not self._product_id:
            return
        user_id = current_user().id
        files = uploads.received_files(files, listing_images.MAX_IMAGES + 1)
        self.errors = {k: v for k, v in self.errors.items() if k != PHOTO_FIELD}
        self.uploading = True
        yield
        for upload in files:
            try:
                await uploads.store_photo(user_id, self._product_id, upload)
            except ServiceError as error:
                self._photo_failed(loc, error)
                break
        self.uploading = False
        self.upload_percent = 0
        await self._refresh_photos(loc.lang)

    @rx.event
    @login_required
    async def remove_photo(self, image_id: int):
        """Remove a photo."""
        image_id = parse_id(image_id)
        if image_id is not None:
            await self._photo_action(listing_images.remove_image, image_id)

    @rx.event
    @login_required
    async def make_cover(self, image_id: int):
        """Make a photo the cover."""
        image_id = parse_id(image_id)
        if image_id is not None:
            await self._photo_action(listing_images.set_cover, image_id)


# --- CSV import -----------------------------------------------------------------------


def _csv_rows(preview: product_csv.Preview, lang: str) -> list[CsvRowView]:
    shown = [r for r in preview.rows if r.errors][:PREVIEW_ROWS_SHOWN]
    if len(shown) < PREVIEW_ROWS_SHOWN:
        shown += [r for r in preview.rows if not r.errors][: PREVIEW_ROWS_SHOWN - len(shown)]
    shown.sort(key=lambda r: r.line)
    return [
        CsvRowView(
            line=r.line,
            title=r.title,
            variant=r.variant,
            category=translate(lang, f"category.{r.category}") if r.category else "",
            price=money(r.price_cents, lang) if r.price_cents is not None else "",
            sale_price=money(r.sale_price_cents, lang) if r.sale_price_cents is not None else "",
            stock=str(r.stock) if r.stock is not None else "",
            action=translate(lang, f"csv.action.{r.action}"),
            problems=" · ".join(_problem_text(e, lang) for e in r.errors),
            has_error=bool(r.errors),
        )
        for r in shown
    ]


def _problem_text(error: product_csv.RowError, lang: str) -> str:
    message = translate(lang, error.key)
    return f"{error.column}: {message}" if error.column else message


def _file_problems(preview: product_csv.Preview, lang: str) -> list[str]:
    texts = []
    for e in preview.file_errors:
        where = translate(lang, "csv.line", line=e.line) + " · " if e.line else ""
        texts.append(where + _problem_text(e, lang))
    return texts


class CsvImportState(rx.State):
    """``/shop/manage/import``: upload a CSV, check it, then import it."""

    _shop_id: int = 0
    _digest: str = ""
    loaded: bool = False
    has_shop: bool = False
    checked: bool = False
    can_import: bool = False
    rows: list[CsvRowView] = []
    file_problems: list[str] = []
    summary: str = ""
    result: str = ""
    error: str = ""
    busy: bool = False
    categories: list[OptionView] = []

    @rx.event
    @login_required
    async def load(self):
        """Find the caller's shop; start with an empty preview."""
        lang = (await self.get_state(LocaleState)).lang
        self.loaded = False
        yield
        shop_id = await run_read(_my_shop_id, current_user().id)
        self._shop_id = shop_id or 0
        self.has_shop = shop_id is not None
        cats = await run_read(catalog.list_categories)
        self.categories = [OptionView(c.slug, translate(lang, f"category.{c.slug}")) for c in cats]
        self._reset()
        self.loaded = True

    def _reset(self) -> None:
        self.checked = self.can_import = False
        self.rows = []
        self.file_problems = []
        self.summary = self.result = self.error = ""
        self._digest = ""

    async def _read(self, files: list) -> bytes | None:
        files = list(files or [])
        if not files:
            return None
        return await files[0].read(product_csv.MAX_BYTES + 1)

    @rx.event
    @login_required(upload=True)
    async def preview(self, files: list[rx.UploadFile]):
        """Check the chosen file and show every row with its problems."""
        loc = await self.get_state(LocaleState)
        self._reset()
        self.busy = True
        yield
        data = await self._read(files)
        if data is None:
            self.error = loc._tr("csv.choose_first")
            self.busy = False
            return
        try:
            checked = await run_read(product_csv.preview, current_user().id, self._shop_id, data)
        except NotFound:
            self.error = loc._tr("error.not_found")
            self.busy = False
            return
        self._show(checked, loc.lang)
        self._digest = hashlib.sha256(data).hexdigest() if checked.ok else ""
        self.busy = False

    def _show(self, checked: product_csv.Preview, lang: str) -> None:
        self.checked = True
        self.can_import = checked.ok
        self.rows = _csv_rows(checked, lang)
        self.file_problems = _file_problems(checked, lang)
        self.summary = translate(
            lang,
            "csv.summary",
            rows=len(checked.rows),
            new=checked.new_products,
            updated=checked.updated_products,
            errors=checked.error_count,
        )

    @rx.event
    @login_required(upload=True)
    async def commit(self, files: list[rx.UploadFile]):
        """Import the checked file: every row or none."""
        loc = await self.get_state(LocaleState)
        data = await self._read(files)
        if data is None or not self._digest or hashlib.sha256(data).hexdigest() != self._digest:
            self.error = loc._tr("csv.check_again")
            self.can_import = False
            return
        self.busy = True
        self.error = ""
        yield
        try:
            done = await run_write(product_csv.commit, current_user().id, self._shop_id, data)
        except ServiceError as error:
            self.error = next(iter(loc._errors(error).values()))
            self.busy = False
            self.can_import = False
            return
        self._reset()
        self.result = loc._tr(
            "csv.result", created=done.created, updated=done.updated, variants=done.variants
        )
        self.busy = False
        yield rx.clear_selected_files(CSV_UPLOAD_ID)
