"""CSV import of shop products: parsing, exact per-row errors, all-or-nothing import."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from marketplace_app.models import Category, Listing, ListingVariant, Shop, ShopMember
from marketplace_app.services import product_csv, products
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.product_csv import RowError
from tests.unit.services.conftest import make_user

HEADER = "title,variant,price,sale_price,stock,category,description,low_stock\n"


@pytest.fixture
def world(session):
    for slug in ("bakery", "produce"):
        session.add(Category(slug=slug))
    owner = make_user(session, "Owner")
    shop = Shop(
        owner_id=owner.id, name="Bakery", slug="bakery", status="approved", district="Old Town"
    )
    session.add(shop)
    session.flush()
    session.add(ShopMember(shop_id=shop.id, user_id=owner.id, role="owner"))
    session.flush()
    return owner, shop


def check(session, world, text: str | bytes):
    owner, shop = world
    data = text.encode("utf-8") if isinstance(text, str) else text
    return product_csv.preview(session, owner.id, shop.id, data)


def errors_of(preview) -> list[tuple[int, str, str]]:
    found = [(e.line, e.column, e.key) for e in preview.file_errors]
    for row in preview.rows:
        found += [(e.line, e.column, e.key) for e in row.errors]
    return sorted(found)


def test_the_sample_file_is_valid(session, world):
    preview = check(session, world, product_csv.SAMPLE)
    assert errors_of(preview) == []
    assert preview.ok
    assert (preview.new_products, preview.updated_products, preview.variants) == (2, 0, 3)


def test_bom_quoted_commas_and_chinese(session, world):
    text = (
        "\ufeff" + HEADER + '"Rye, dark",500 g,"1,234.50",,3,bakery,"Crust, crumb and ""soul""",\n'
        "全麦吐司,,16.5,,30,烘焙面包,每天早上出炉,\n"
    )
    preview = check(session, world, text.encode("utf-8"))
    assert errors_of(preview) == []
    rye, toast = preview.rows
    assert (rye.line, rye.title, rye.variant, rye.price_cents, rye.stock) == (
        2,
        "Rye, dark",
        "500 g",
        123450,
        3,
    )
    assert (toast.title, toast.category, toast.price_cents) == ("全麦吐司", "bakery", 1650)


def test_gb18030_and_semicolons_from_excel(session, world):
    text = "标题;价格;库存;分类\n全麦吐司;16.50;30;Bakery\n"
    preview = check(session, world, text.encode("gb18030"))
    assert errors_of(preview) == []
    assert preview.rows[0].title == "全麦吐司"


def test_exact_errors_per_row(session, world):
    text = (
        HEADER
        + "Rye,500 g,abc,,3,bakery,,\n"  # line 2: bad price
        + "Rye,1 kg,20,25,x,bakery,,\n"  # line 3: sale not lower, bad stock
        + "Rye,500 G,21,,1,,,\n"  # line 4: duplicate label (case-insensitive)
        + "Scone,,4,,1,cakes,,\n"  # line 5: unknown category
        + ",,4,,1,bakery,,\n"  # line 6: no title
        + "Bun,,4,,1,bakery,,-2\n"  # line 7: bad low stock
        + "Bun,Big,5,,1,produce,,\n"  # line 8: conflicting category, and Bun needs labels
    )
    preview = check(session, world, text)
    assert errors_of(preview) == [
        (2, "price", "error.product_price_invalid"),
        (3, "sale_price", "error.product_sale_not_lower"),
        (3, "stock", "error.product_stock_invalid"),
        (4, "variant", "error.product_label_duplicate"),
        (5, "category", "error.csv_category"),
        (6, "title", "error.required"),
        (7, "low_stock", "error.product_low_stock_invalid"),
        (7, "variant", "error.product_label_required"),
        (8, "category", "error.csv_conflict"),
    ]
    assert not preview.ok
    assert preview.error_count == 9


def test_multiline_quoted_cell_keeps_line_numbers(session, world):
    text = HEADER + 'Rye,,5,,1,bakery,"line one\nline two",\nBun,,x,,1,bakery,,\n'
    preview = check(session, world, text)
    assert errors_of(preview) == [(4, "price", "error.product_price_invalid")]
    assert [r.line for r in preview.rows] == [2, 4]


def test_blank_lines_are_skipped(session, world):
    preview = check(session, world, HEADER + "\nRye,,5,,1,bakery,,\n\n")
    assert errors_of(preview) == []
    assert [r.line for r in preview.rows] == [3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title,price,stock\nRye,5,1\n", [(1, "category", "error.csv_missing_column")]),
        (
            "title,price,stock,category,colour\nRye,5,1,bakery,red\n",
            [(1, "colour", "error.csv_unknown_column")],
        ),
        (
            "title,price,stock,category,price\nRye,5,1,bakery,6\n",
            [(1, "", "error.csv_duplicate_column")],
        ),
        ("title,price,stock,category\n", [(0, "", "error.csv_empty")]),
        ("", [(0, "", "error.csv_empty")]),
    ],
)
def test_header_problems(session, world, text, expected):
    assert errors_of(check(session, world, text)) == expected


def test_file_limits(session, world):
    too_many = "title,price,stock,category\n" + "".join(
        f"Item {i},1,1,bakery\n" for i in range(product_csv.MAX_ROWS + 1)
    )
    assert errors_of(check(session, world, too_many)) == [(0, "", "error.csv_too_many_rows")]
    exactly = "title,price,stock,category\n" + "".join(
        f"Item {i},1,1,bakery\n" for i in range(product_csv.MAX_ROWS)
    )
    assert check(session, world, exactly).ok
    big = b"title,price,stock,category\n" + b"x" * product_csv.MAX_BYTES
    assert errors_of(check(session, world, big)) == [(0, "", "error.csv_too_large")]
    assert errors_of(check(session, world, b"\x89PNG\r\n\x1a\n\x00\x00")) == [
        (0, "", "error.csv_not_text")
    ]


def test_extra_cells_and_bad_yes_no(session, world):
    text = "title,price,stock,category,pickup\nRye,5,1,bakery,maybe\nBun,5,1,bakery,no,extra\n"
    assert errors_of(check(session, world, text)) == [
        (2, "pickup", "error.csv_yes_no"),
        (3, "", "error.csv_extra_cells"),
        (3, "pickup", "error.product_delivery_required"),
    ]


def test_commit_imports_everything_in_one_go(session, world):
    owner, shop = world
    result = product_csv.commit(session, owner.id, shop.id, product_csv.SAMPLE.encode())
    assert (result.created, result.updated, result.variants) == (2, 0, 3)
    loaf = session.exec(select(Listing).where(Listing.title == "Sourdough loaf")).one()
    assert (loaf.status, loaf.kind, loaf.shop_id) == ("draft", "shop", shop.id)
    assert (loaf.price_cents, loaf.stock, loaf.low_stock_threshold) == (1800, 32, 5)
    assert loaf.local_delivery_fee_cents == 500
    assert loaf.sale_starts_at is not None and loaf.sale_ends_at is not None
    labels = session.exec(
        select(ListingVariant.label, ListingVariant.sale_price_cents)
        .where(ListingVariant.listing_id == loaf.id)
        .order_by(ListingVariant.position)
    ).all()
    assert labels == [("500 g", None), ("1 kg", 2800)]


def test_commit_with_any_error_writes_nothing(session, world):
    owner, shop = world
    text = HEADER + "Rye,,5,,1,bakery,,\nBun,,x,,1,bakery,,\n"
    with pytest.raises(ValidationFailed) as caught:
        product_csv.commit(session, owner.id, shop.id, text.encode())
    assert caught.value.fields == {"_form": "error.csv_has_errors"}
    assert session.exec(select(Listing)).all() == []


def test_same_title_updates_the_existing_product(session, world):
    owner, shop = world
    product_csv.commit(session, owner.id, shop.id, product_csv.SAMPLE.encode())
    loaf = session.exec(select(Listing).where(Listing.title == "Sourdough loaf")).one()
    text = (
        "title,variant,price,stock,category\n"
        "sourdough loaf,500 g,19,40,\n"
        "Sourdough loaf,2 kg,60,2,\n"
    )
    preview = check(session, world, text)
    assert errors_of(preview) == []
    assert (preview.new_products, preview.updated_products) == (0, 1)
    assert {r.action for r in preview.rows} == {"update"}
    product_csv.commit(session, owner.id, shop.id, text.encode())
    rows = session.exec(
        select(ListingVariant.label, ListingVariant.price_cents, ListingVariant.stock)
        .where(ListingVariant.listing_id == loaf.id)
        .order_by(ListingVariant.position)
    ).all()
    # Matched by label, new label added, the variant missing from the file kept.
    assert rows == [("500 g", 1900, 40), ("2 kg", 6000, 2), ("1 kg", 3200, 12)]
    refreshed = session.get(Listing, loaf.id)
    assert refreshed.description == "Naturally leavened, baked daily."  # column absent: kept
    assert refreshed.stock == 54
    assert len(session.exec(select(Listing)).all()) == 2


def test_only_staff_of_an_approved_shop(session, world):
    _, shop = world
    stranger = make_user(session, "Stranger")
    with pytest.raises(NotFound):
        product_csv.preview(session, stranger.id, shop.id, product_csv.SAMPLE.encode())
    with pytest.raises(NotFound):
        product_csv.commit(session, stranger.id, shop.id, product_csv.SAMPLE.encode())
    assert session.exec(select(Listing)).all() == []


def test_row_error_is_a_plain_record():
    assert RowError(2, "price", "k") == RowError(2, "price", "k")
    assert products.parse_int("1,000") == 1000


def test_the_downloadable_sample_is_the_documented_one(session, world):
    path = Path(__file__).resolve().parents[3] / "assets" / "shop-products-sample.csv"
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads the Chinese right
    assert data.decode("utf-8-sig") == product_csv.SAMPLE
    assert check(session, world, data).ok
