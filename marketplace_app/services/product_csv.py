"""Bulk shop products from a CSV file: preview with per-row errors, then import.

The file (UTF-8 with or without a BOM, or GB18030 as Chinese Excel saves it;
comma, semicolon or tab separated; Excel-style quoting) starts with a header.
Columns, in any order (Chinese aliases in :data:`ALIASES`):

=====================  ========  ===============================================
column                 required  meaning
=====================  ========  ===============================================
title                  yes       product title; rows with the same title are the
                                 variants of one product
category               yes       category code (``bakery``) or name (en / zh-CN)
price                  yes       variant price, e.g. ``12.50``
stock                  yes       variant stock, a whole number
variant                          variant label (``500 g``); may be empty when the
                                 product has a single row
description                      product description
sale_price                       variant sale price, lower than ``price``
sale_start, sale_end             sale window, ``YYYY-MM-DD HH:MM`` in town time
low_stock                        low-stock threshold (whole number)
pickup                           ``yes``/``no`` (default yes)
local_delivery_fee               fee for local delivery; empty = not offered
courier_fee                      fee for courier delivery; empty = not offered
=====================  ========  ===============================================

Product-level columns (everything but variant, price, sale_price and stock)
are read from a product's first row; a later row of the same product may
leave them empty, but a different value is an error.

A title that matches one of the shop's products updates that product:
columns present in the file replace its values, variants are matched by
label (new labels are added, variants missing from the file are kept). Other
titles create new products as drafts (they need a photo before publishing).

Import is all-or-nothing: :func:`commit` re-checks the file and imports it
in the caller's one transaction only when no row has an error. At most
:data:`MAX_ROWS` rows and :data:`MAX_BYTES` bytes.
"""

from __future__ import annotations

import contextlib
import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session, select

from marketplace_app.i18n import LOCALES, translate
from marketplace_app.models import Category, Listing
from marketplace_app.services import listings, products
from marketplace_app.services.errors import ValidationFailed

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
COLUMNS = (
    "title",
    "description",
    "category",
    "variant",
    "price",
    "sale_price",
    "stock",
    "low_stock",
    "sale_start",
    "sale_end",
    "pickup",
    "local_delivery_fee",
    "courier_fee",
)
REQUIRED = ("title", "category", "price", "stock")
PRODUCT_COLUMNS = (
    "description",
    "category",
    "low_stock",
    "sale_start",
    "sale_end",
    "pickup",
    "local_delivery_fee",
    "courier_fee",
)
ALIASES = {
    "标题": "title",
    "商品名称": "title",
    "描述": "description",
    "分类": "category",
    "规格": "variant",
    "价格": "price",
    "促销价": "sale_price",
    "库存": "stock",
    "低库存": "low_stock",
    "促销开始": "sale_start",
    "促销结束": "sale_end",
    "自提": "pickup",
    "同城配送费": "local_delivery_fee",
    "快递费": "courier_fee",
}
_YES = {"", "yes", "y", "true", "1", "是", "可以"}
_NO = {"no", "n", "false", "0", "否", "不"}

# products._parse field -> CSV column
_FIELD_COLUMN = {
    "title": "title",
    "description": "description",
    "category": "category",
    "variants": "variant",
    "label": "variant",
    "price": "price",
    "sale_price": "sale_price",
    "stock": "stock",
    "sale_starts": "sale_start",
    "sale_ends": "sale_end",
    "low_stock": "low_stock",
    "local_delivery_fee": "local_delivery_fee",
    "courier_fee": "courier_fee",
    "delivery": "pickup",
}

SAMPLE = (
    "title,variant,price,sale_price,stock,category,description,low_stock,"
    "sale_start,sale_end,pickup,local_delivery_fee,courier_fee\n"
    'Sourdough loaf,500 g,18.00,,20,bakery,"Naturally leavened, baked daily.",5,,,yes,5.00,\n'
    "Sourdough loaf,1 kg,32.00,28.00,12,,,,2027-06-01 08:00,2027-06-08 20:00,,,\n"
    "全麦吐司,,16.50,,30,bakery,每天早上出炉,,,,yes,,\n"
)


@dataclass(frozen=True)
class RowError:
    """One problem: the file line, the CSV column, and an i18n message key."""

    line: int
    column: str
    key: str


@dataclass(frozen=True)
class PreviewRow:
    """One data row as it will be imported."""

    line: int
    title: str
    variant: str
    category: str
    price_cents: int | None
    sale_price_cents: int | None
    stock: int | None
    action: str  # "new" or "update"
    errors: tuple[RowError, ...] = ()


@dataclass(frozen=True)
class Preview:
    """The whole file checked: rows, problems and what an import would do."""

    rows: list[PreviewRow] = field(default_factory=list)
    file_errors: list[RowError] = field(default_factory=list)
    new_products: int = 0
    updated_products: int = 0
    variants: int = 0

    @property
    def ok(self) -> bool:
        """Whether the file can be imported (at least one row, no errors)."""
        return bool(self.rows) and not self.file_errors and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        """Problems in the file, counting each row's."""
        return len(self.file_errors) + sum(len(r.errors) for r in self.rows)


@dataclass(frozen=True)
class ImportResult:
    """What an import did."""

    created: int
    updated: int
    variants: int


@dataclass
class _Group:
    title: str
    lines: list[int] = field(default_factory=list)
    cells: list[dict[str, str]] = field(default_factory=list)
    product: dict[str, str] = field(default_factory=dict)
    product_line: dict[str, int] = field(default_factory=dict)
    errors: dict[int, list[RowError]] = field(default_factory=dict)

    def add_error(self, line: int, column: str, key: str) -> None:
        errors = self.errors.setdefault(line, [])
        if not any(e.column == column for e in errors):
            errors.append(RowError(line, column, key))


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ValueError("binary")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _dialect(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda sep: counts[sep]) if any(counts.values()) else ","


def _header_name(raw: str) -> str:
    name = raw.strip().lower().replace(" ", "_").replace("-", "_")
    return ALIASES.get(raw.strip(), name)


def category_lookup(session: Session) -> dict[str, str]:
    """Every accepted spelling of a category (code, English and Chinese name) -> code."""
    lookup: dict[str, str] = {}
    for slug in session.exec(select(Category.slug)).all():
        lookup[slug.casefold()] = slug
        for locale in LOCALES:
            with contextlib.suppress(KeyError):
                lookup[translate(locale, f"category.{slug}").casefold()] = slug
    return lookup


def _existing(session: Session, shop_id: int, titles: list[str]) -> dict[str, list[int]]:
    """Casefolded title -> ids of the shop's products with that title.

    Matched in Python, so that case folding is the same for every script and database.
    """
    wanted = {t.casefold() for t in titles}
    if not wanted:
        return {}
    rows = session.exec(
        select(Listing.id, Listing.title).where(
            Listing.shop_id == shop_id, Listing.status != "removed"
        )
    ).all()
    found: dict[str, list[int]] = {}
    for listing_id, title in rows:
        if title.casefold() in wanted:
            found.setdefault(title.casefold(), []).append(listing_id)
    return found


def _read_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]], list[RowError]]:
    """The header, the data rows with their starting line, and file-level problems."""
    if len(data) > MAX_BYTES:
        return [], [], [RowError(0, "", "error.csv_too_large")]
    try:
        text = _decode(data)
    except (ValueError, UnicodeDecodeError):
        return [], [], [RowError(0, "", "error.csv_not_text")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    try:
        line = 1
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if not header:
                header = [_header_name(c) for c in record]
                continue
            rows.append((start, record))
            if len(rows) > MAX_ROWS:
                return header, [], [RowError(0, "", "error.csv_too_many_rows")]
    except csv.Error:
        return header, [], [RowError(line, "", "error.csv_malformed")]
    if not header:
        return [], [], [RowError(0, "", "error.csv_empty")]
    problems = [RowError(1, c, "error.csv_missing_column") for c in REQUIRED if c not in header]
    problems += [
        RowError(1, c, "error.csv_unknown_column") for c in header if c and c not in COLUMNS
    ]
    if len(set(header)) != len(header):
        problems.append(RowError(1, "", "error.csv_duplicate_column"))
    if not rows and not problems:
        problems.append(RowError(0, "", "error.csv_empty"))
    return header, rows, problems


def _group(
    header: list[str], rows: list[tuple[int, list[str]]], categories: dict[str, str]
) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for line, record in rows:
        cells = {
            name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)
        }
        title = cells.get("title", "")
        group = groups.setdefault(title.casefold(), _Group(title=title))
        group.lines.append(line)
        group.cells.append(cells)
        if len(record) > len(header):
            group.add_error(line, "", "error.csv_extra_cells")
        if not title:
            group.add_error(line, "title", "error.required")
        for column in PRODUCT_COLUMNS:
            if column not in header:
                continue
            value = cells.get(column, "")
            if column == "category" and value:
                slug = categories.get(value.casefold())
                if slug is None:
                    group.add_error(line, column, "error.csv_category")
                    continue
                value = slug
            if column == "pickup":
                if value.lower() not in _YES | _NO:
                    group.add_error(line, column, "error.csv_yes_no")
                    continue
                value = "no" if value.lower() in _NO else ("yes" if value else "")
            if not value:
                continue
            if column in group.product and group.product[column] != value:
                group.add_error(line, column, "error.csv_conflict")
            else:
                group.product.setdefault(column, value)
                group.product_line.setdefault(column, line)
    return list(groups.values())


def _input_for(
    group: _Group, header: list[str], base: products.ProductDetail | None
) -> products.ProductInput:
    """The product as the file describes it (on top of ``base`` when updating)."""
    p = group.product
    has = set(header)

    def pick(column: str, current: str) -> str:
        return p.get(column, "") if column in has else current

    variants: list[products.VariantInput] = []
    by_label = {v.label.casefold(): v for v in base.variants} if base else {}
    used: set[str] = set()
    for cells in group.cells:
        label = cells.get("variant", "")
        current = by_label.get(label.casefold())
        used.add(label.casefold())
        variants.append(
            products.VariantInput(
                label=label,
                price=cells.get("price", ""),
                sale_price=cells.get("sale_price", "")
                if "sale_price" in has
                else (_cents_text(current.sale_price_cents) if current else ""),
                stock=cells.get("stock", ""),
                id=current.id if current else None,
            )
        )
    if base:
        for v in base.variants:
            if v.label.casefold() not in used:
                variants.append(
                    products.VariantInput(
                        label=v.label,
                        price=_cents_text(v.price_cents),
                        sale_price=_cents_text(v.sale_price_cents),
                        stock=str(v.stock),
                        id=v.id,
                    )
                )
    if base is None:
        return products.ProductInput(
            title=group.title,
            description=p.get("description", ""),
            category=p.get("category", ""),
            variants=variants,
            sale_starts=p.get("sale_start", ""),
            sale_ends=p.get("sale_end", ""),
            low_stock=p.get("low_stock", ""),
            pickup=p.get("pickup", "yes") != "no",
            local_delivery_fee=p.get("local_delivery_fee", ""),
            courier_fee=p.get("courier_fee", ""),
        )
    return products.ProductInput(
        title=group.title,
        description=pick("description", base.description),
        category=p.get("category") or base.category,
        variants=variants,
        sale_starts=pick("sale_start", products.local_time_text(base.sale_starts_at)),
        sale_ends=pick("sale_end", products.local_time_text(base.sale_ends_at)),
        low_stock=pick(
            "low_stock", "" if base.low_stock_threshold is None else str(base.low_stock_threshold)
        ),
        pickup=(p.get("pickup", "yes") != "no") if "pickup" in has else base.pickup,
        local_delivery_fee=pick("local_delivery_fee", _cents_text(base.local_delivery_fee_cents)),
        courier_fee=pick("courier_fee", _cents_text(base.courier_fee_cents)),
    )


def _cents_text(cents: int | None) -> str:
    if cents is None:
        return ""
    return f"{cents // 100}.{cents % 100:02d}"


def _check_group(
    session: Session,
    group: _Group,
    data: products.ProductInput,
    rows_in_file: int,
    categories: dict[str, int],
) -> None:
    """Run the product rules and pin each problem on the row and column it came from."""
    try:
        products.validate(session, data, categories)
    except ValidationFailed as error:
        for name, key in error.fields.items():
            if name.startswith("variant_"):
                index_text, _, part = name[len("variant_") :].partition("_")
                index = int(index_text)
                if index >= rows_in_file:
                    continue  # a kept variant of the existing product: not from this file
                group.add_error(group.lines[index], _FIELD_COLUMN.get(part, part), key)
            else:
                column = _FIELD_COLUMN.get(name, name)
                if column == "category":
                    if any(e.column == "category" for es in group.errors.values() for e in es):
                        continue  # already told: unknown category
                    if not group.product.get("category"):
                        key = "error.required"
                line = group.product_line.get(column, group.lines[0])
                group.add_error(line, column, key)


def _cents(text: str) -> int | None:
    try:
        return listings.parse_amount(text) if text else None
    except ValueError:
        return None


def _int(text: str) -> int | None:
    try:
        return products.parse_int(text)
    except ValueError:
        return None


def _plan(
    session: Session, actor_id: int, shop_id: int, data: bytes
) -> tuple[Preview, list[tuple[_Group, products.ProductInput, int | None]]]:
    shop = products.staff_shop(session, actor_id, shop_id)
    header, rows, file_errors = _read_rows(data if isinstance(data, bytes) else b"")
    if file_errors:
        return Preview(file_errors=file_errors), []
    groups = _group(header, rows, category_lookup(session))
    category_ids = products.category_ids(session)
    existing = _existing(session, shop.id, [g.title for g in groups if g.title])
    plan = []
    preview_rows: list[PreviewRow] = []
    new = updated = 0
    details = products.product_details(
        session, actor_id, shop.id, [ids[0] for ids in existing.values() if len(ids) == 1]
    )
    for group in groups:
        ids = existing.get(group.title.casefold(), [])
        product_id = ids[0] if len(ids) == 1 else None
        if len(ids) > 1:
            group.add_error(group.lines[0], "title", "error.csv_title_ambiguous")
        base = details.get(product_id) if product_id else None
        data_in = _input_for(group, header, base)
        if group.title:
            _check_group(session, group, data_in, len(group.cells), category_ids)
        plan.append((group, data_in, product_id))
        if product_id:
            updated += 1
        else:
            new += 1
        for line, cells in zip(group.lines, group.cells, strict=True):
            preview_rows.append(
                PreviewRow(
                    line=line,
                    title=group.title,
                    variant=cells.get("variant", ""),
                    category=group.product.get("category", base.category if base else ""),
                    price_cents=_cents(cells.get("price", "")),
                    sale_price_cents=_cents(cells.get("sale_price", "")),
                    stock=_int(cells.get("stock", "")),
                    action="update" if product_id else "new",
                    errors=tuple(group.errors.get(line, [])),
                )
            )
    preview_rows.sort(key=lambda r: r.line)
    result = Preview(
        rows=preview_rows,
        new_products=new,
        updated_products=updated,
        variants=len(preview_rows),
    )
    return result, plan


def preview(session: Session, actor_id: int, shop_id: int, data: bytes) -> Preview:
    """Check a CSV file without importing anything.

    Args:
        session: any session.
        actor_id: the caller (staff of the approved shop).
        shop_id: the shop.
        data: the file's bytes.

    Returns:
        The preview: every row with its parsed values and errors, file-level
        errors (line 0 = the whole file, line 1 = the header), and counts.

    Raises:
        NotFound: not staff of this approved shop.
    """
    return _plan(session, actor_id, shop_id, data)[0]


def commit(session: Session, actor_id: int, shop_id: int, data: bytes) -> ImportResult:
    """Import a CSV file in the caller's transaction, all rows or none.

    Args:
        session: a write session.
        actor_id: the caller (staff of the approved shop).
        shop_id: the shop.
        data: the file's bytes (checked again here; never trust a preview).

    Returns:
        How many products were created and updated, and the variant rows read.

    Raises:
        NotFound: not staff of this approved shop.
        ValidationFailed: ``_form`` ``error.csv_has_errors`` when any row
            (or the file) has a problem; nothing is written then.
    """
    checked, plan = _plan(session, actor_id, shop_id, data)
    if not checked.ok:
        raise ValidationFailed({"_form": "error.csv_has_errors"})
    products.save_products(
        session, actor_id, shop_id, [(product_id, data_in) for _, data_in, product_id in plan]
    )
    return ImportResult(
        created=checked.new_products, updated=checked.updated_products, variants=checked.variants
    )
