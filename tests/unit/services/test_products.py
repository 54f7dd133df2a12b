"""Shop products: staff-only writes, variants and derived fields, sale window, publishing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from marketplace_app.models import Category, Listing, ListingImage, ListingVariant, Shop, ShopMember
from marketplace_app.services import products, purchasable
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.products import ProductInput, VariantInput
from tests.unit.services.conftest import make_user


def fields_of(call) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.fields


def product(**changes) -> ProductInput:
    values = {
        "title": "Wildflower honey",
        "description": "From the valley.",
        "category": "produce",
        "variants": [
            VariantInput(label="250 g", price="18.00", stock="5"),
            VariantInput(label="500 g", price="32.50", sale_price="29.90", stock="7"),
        ],
        "low_stock": "5",
        "pickup": True,
        "local_delivery_fee": "5",
    }
    values.update(changes)
    return ProductInput(**values)


def make_shop(session, owner, status="approved", name="Farm") -> Shop:
    shop = Shop(
        owner_id=owner.id, name=name, slug=name.lower(), status=status, district="Millbrook"
    )
    session.add(shop)
    session.flush()
    session.add(ShopMember(shop_id=shop.id, user_id=owner.id, role="owner"))
    session.flush()
    return shop


@pytest.fixture
def world(session):
    session.add(Category(slug="produce"))
    session.add(Category(slug="bakery"))
    owner, other = make_user(session, "Owner"), make_user(session, "Other")
    shop = make_shop(session, owner)
    return owner, other, shop


def add_photo(session, listing_id: int) -> None:
    session.add(
        ListingImage(listing_id=listing_id, position=0, storage_key="a" * 24, width=10, height=10)
    )
    session.flush()


def variants_of(session, listing_id):
    return session.exec(
        select(ListingVariant)
        .where(ListingVariant.listing_id == listing_id)
        .order_by(ListingVariant.position)
    ).all()


# --- saving ------------------------------------------------------------------------------


def test_new_product_is_a_draft_with_derived_price_and_stock(session, world):
    owner, _, shop = world
    listing = products.save_product(session, owner.id, shop.id, None, product())
    assert (listing.kind, listing.condition, listing.status) == ("shop", None, "draft")
    assert (listing.shop_id, listing.seller_id) == (shop.id, owner.id)
    assert listing.price_cents == 1800  # lowest variant price
    assert listing.stock == 12  # sum of variant stock
    assert listing.sale_price_cents is None  # 29.90 is not below the lowest price 18.00
    assert listing.district == "Millbrook" and listing.public_lat is not None
    assert listing.local_delivery_fee_cents == 500 and listing.courier_fee_cents is None
    rows = variants_of(session, listing.id)
    assert [(v.label, v.price_cents, v.sale_price_cents, v.stock) for v in rows] == [
        ("250 g", 1800, None, 5),
        ("500 g", 3250, 2990, 7),
    ]


def test_listing_sale_price_is_the_lowest_payable_price(session, world):
    owner, _, shop = world
    data = product(
        variants=[
            VariantInput(label="S", price="10", sale_price="8", stock="1"),
            VariantInput(label="L", price="20", sale_price="15", stock="1"),
        ]
    )
    listing = products.save_product(session, owner.id, shop.id, None, data)
    assert (listing.price_cents, listing.sale_price_cents) == (1000, 800)
    assert purchasable.listing_price(listing) == (800, 1000)


def test_editing_updates_adds_and_removes_variants_and_swaps_labels(session, world):
    owner, _, shop = world
    listing = products.save_product(session, owner.id, shop.id, None, product())
    small, large = variants_of(session, listing.id)
    edited = product(
        variants=[
            VariantInput(id=large.id, label="250 g", price="40", stock="1"),  # labels swapped
            VariantInput(id=small.id, label="500 g", price="30", stock="2"),
            VariantInput(label="1 kg", price="55", stock="0"),
        ]
    )
    products.save_product(session, owner.id, shop.id, listing.id, edited)
    rows = variants_of(session, listing.id)
    assert [(v.id, v.label, v.price_cents, v.stock) for v in rows[:2]] == [
        (large.id, "250 g", 4000, 1),
        (small.id, "500 g", 3000, 2),
    ]
    assert rows[2].label == "1 kg"
    refreshed = session.get(Listing, listing.id)
    assert (refreshed.price_cents, refreshed.stock) == (3000, 3)
    # Leaving a variant out deletes it; a foreign variant id just makes a new row.
    products.save_product(
        session,
        owner.id,
        shop.id,
        listing.id,
        product(variants=[VariantInput(id=999_999, label="", price="9", stock="4")]),
    )
    rows = variants_of(session, listing.id)
    assert [(v.label, v.price_cents, v.stock) for v in rows] == [("", 900, 4)]
    assert session.get(Listing, listing.id).stock == 4


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"title": ""}, {"title": "error.required"}),
        ({"title": "x"}, {"title": "error.product_title_length"}),
        ({"title": "x" * 81}, {"title": "error.product_title_length"}),
        ({"description": "x" * 4001}, {"description": "error.too_long"}),
        ({"category": "nope"}, {"category": "error.product_category"}),
        ({"variants": []}, {"variants": "error.product_variants_required"}),
        (
            {"variants": [VariantInput(label=str(i), price="1") for i in range(21)]},
            {"variants": "error.product_variants_too_many"},
        ),
        (
            {"variants": [VariantInput(label="a", price="1"), VariantInput(label="", price="2")]},
            {"variant_1_label": "error.product_label_required"},
        ),
        (
            {
                "variants": [
                    VariantInput(label="Big", price="1"),
                    VariantInput(label="big", price="2"),
                ]
            },
            {"variant_1_label": "error.product_label_duplicate"},
        ),
        (
            {"variants": [VariantInput(price="abc")]},
            {"variant_0_price": "error.product_price_invalid"},
        ),
        ({"variants": [VariantInput(price="0")]}, {"variant_0_price": "error.product_price_range"}),
        (
            {"variants": [VariantInput(price="1000000.01")]},
            {"variant_0_price": "error.product_price_range"},
        ),
        (
            {"variants": [VariantInput(price="5", sale_price="5")]},
            {"variant_0_sale_price": "error.product_sale_not_lower"},
        ),
        (
            {"variants": [VariantInput(price="5", stock="-1")]},
            {"variant_0_stock": "error.product_stock_invalid"},
        ),
        (
            {"variants": [VariantInput(price="5", stock="2.5")]},
            {"variant_0_stock": "error.product_stock_invalid"},
        ),
        ({"low_stock": "few"}, {"low_stock": "error.product_low_stock_invalid"}),
        ({"local_delivery_fee": "-3"}, {"local_delivery_fee": "error.product_fee_invalid"}),
        (
            {"pickup": False, "local_delivery_fee": "", "courier_fee": ""},
            {"delivery": "error.product_delivery_required"},
        ),
        ({"sale_starts": "tomorrow"}, {"sale_starts": "error.product_date_invalid"}),
        (
            {"sale_starts": "2030-01-02 10:00", "sale_ends": "2030-01-02 09:59"},
            {"sale_ends": "error.product_sale_window"},
        ),
        (
            {"sale_starts": "2030-01-02 10:00", "variants": [VariantInput(price="5")]},
            {"sale_starts": "error.product_sale_no_price"},
        ),
    ],
)
def test_each_field_is_checked(session, world, changes, expected):
    owner, _, shop = world
    assert (
        fields_of(
            lambda: products.save_product(session, owner.id, shop.id, None, product(**changes))
        )
        == expected
    )
    assert session.exec(select(Listing)).all() == []


def test_sale_window_is_read_in_town_time_and_stored_as_utc(session, world):
    owner, _, shop = world
    listing = products.save_product(
        session,
        owner.id,
        shop.id,
        None,
        product(sale_starts="2030-05-01T08:00", sale_ends="2030-05-08 20:00"),
    )
    # Asia/Shanghai is UTC+8.
    assert listing.sale_starts_at == datetime(2030, 5, 1, 0, 0, tzinfo=UTC)
    assert listing.sale_ends_at == datetime(2030, 5, 8, 12, 0, tzinfo=UTC)
    assert products.local_time_text(listing.sale_starts_at) == "2030-05-01T08:00"
    with pytest.raises(ValueError):
        products.parse_local_time(datetime(2030, 1, 1))  # naive


# --- who may write --------------------------------------------------------------------------


def test_only_staff_of_an_approved_shop_may_write(session, world):
    owner, other, shop = world
    with pytest.raises(NotFound):
        products.save_product(session, other.id, shop.id, None, product())
    pending_owner = make_user(session, "Pending")
    pending = make_shop(session, pending_owner, status="pending", name="Later")
    with pytest.raises(NotFound):
        products.save_product(session, pending_owner.id, pending.id, None, product())
    with pytest.raises(NotFound):
        products.shop_products(session, pending_owner.id, pending.id)
    listing = products.save_product(session, owner.id, shop.id, None, product())
    variant = variants_of(session, listing.id)[0]
    for call in (
        lambda: products.save_product(
            session, other.id, shop.id, listing.id, product(title="Mine")
        ),
        lambda: products.save_product(session, pending_owner.id, pending.id, listing.id, product()),
        lambda: products.set_stock(session, other.id, listing.id, variant.id, 99),
        lambda: products.set_published(session, other.id, listing.id, True),
        lambda: products.product_detail(session, other.id, listing.id),
        lambda: products.shop_products(session, other.id, shop.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert session.get(Listing, listing.id).title == "Wildflower honey"
    assert session.get(ListingVariant, variant.id).stock == 5


def test_staff_member_may_write_and_suspension_ends_it(session, world):
    owner, other, shop = world
    session.add(ShopMember(shop_id=shop.id, user_id=other.id, role="staff"))
    session.flush()
    listing = products.save_product(session, other.id, shop.id, None, product())
    assert listing.seller_id == owner.id  # the shop owner sells
    shop.status = "suspended"
    session.add(shop)
    session.flush()
    with pytest.raises(NotFound):
        products.save_product(session, owner.id, shop.id, listing.id, product())


def test_a_resident_listing_is_not_a_product(session, world):
    owner, _, shop = world
    item = Listing(seller_id=owner.id, kind="secondhand", title="Old chair", price_cents=100)
    session.add(item)
    session.flush()
    with pytest.raises(NotFound):
        products.save_product(session, owner.id, shop.id, item.id, product())
    with pytest.raises(NotFound):
        products.set_published(session, owner.id, item.id, True)


# --- publishing and stock ---------------------------------------------------------------------


def test_publishing_needs_a_photo(session, world):
    owner, _, shop = world
    listing = products.save_product(session, owner.id, shop.id, None, product())
    assert fields_of(lambda: products.set_published(session, owner.id, listing.id, True)) == {
        "photos": "error.product_photo_required"
    }
    assert session.get(Listing, listing.id).status == "draft"
    add_photo(session, listing.id)
    published = products.set_published(session, owner.id, listing.id, True)
    assert published.status == "active" and published.published_at is not None
    first = published.published_at
    assert products.set_published(session, owner.id, listing.id, False).status == "paused"
    again = products.set_published(session, owner.id, listing.id, True)
    assert again.status == "active" and again.published_at == first


def test_set_stock_keeps_the_total_right(session, world):
    owner, _, shop = world
    listing = products.save_product(session, owner.id, shop.id, None, product())
    small, large = variants_of(session, listing.id)
    products.set_stock(session, owner.id, listing.id, small.id, 0)
    assert session.get(Listing, listing.id).stock == 7
    for bad in (-1, "x", 1_000_001, True):
        errors = fields_of(
            lambda b=bad: products.set_stock(session, owner.id, listing.id, large.id, b)
        )
        assert errors == {"stock": "error.product_stock_invalid"}
    other = products.save_product(session, owner.id, shop.id, None, product(title="Other"))
    with pytest.raises(NotFound):  # a variant of another product
        products.set_stock(session, owner.id, other.id, large.id, 3)
    assert session.get(ListingVariant, large.id).stock == 7


def test_shop_products_flags_low_stock(session, world):
    owner, _, shop = world
    low = products.save_product(session, owner.id, shop.id, None, product(title="Low"))
    products.save_product(session, owner.id, shop.id, None, product(title="Plenty", low_stock="2"))
    products.save_product(
        session, owner.id, shop.id, None, product(title="No threshold", low_stock="")
    )
    add_photo(session, low.id)
    rows = {r.title: r for r in products.shop_products(session, owner.id, shop.id)}
    assert rows["Low"].low_stock and rows["Low"].variants[0].low and not rows["Low"].variants[1].low
    assert rows["Low"].photos == 1 and rows["Low"].cover_key == "a" * 24
    assert not rows["Plenty"].low_stock
    assert not rows["No threshold"].low_stock
    detail = products.product_detail(session, owner.id, low.id)
    assert detail.category == "produce" and [v.label for v in detail.variants] == ["250 g", "500 g"]


def test_a_product_without_variant_rows_acts_as_one_variant(session, world):
    owner, _, shop = world
    cat = session.exec(select(Category).where(Category.slug == "produce")).one()
    legacy = Listing(
        seller_id=owner.id,
        shop_id=shop.id,
        kind="shop",
        category_id=cat.id,
        title="Imported jam",
        price_cents=1200,
        stock=4,
        low_stock_threshold=5,
    )
    session.add(legacy)
    session.flush()
    (row,) = products.shop_products(session, owner.id, shop.id)
    assert [(v.id, v.label, v.price_cents, v.stock, v.low) for v in row.variants] == [
        (0, "", 1200, 4, True)
    ]
    products.set_stock(session, owner.id, legacy.id, 0, 9)
    assert session.get(Listing, legacy.id).stock == 9
    (variant,) = products.product_detail(session, owner.id, legacy.id).variants
    data = product(variants=[VariantInput(id=variant.id, label="", price="12", stock="9")])
    products.save_product(session, owner.id, shop.id, legacy.id, data)
    assert [(v.label, v.price_cents, v.stock) for v in variants_of(session, legacy.id)] == [
        ("", 1200, 9)
    ]
