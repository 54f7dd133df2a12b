"""Shop, product, CSV and operator handlers, called as a browser would call them.

The point: a normal user calling operator handlers, or another shop's product
handlers with made-up ids, changes nothing.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import (
    Category,
    Listing,
    ListingImage,
    ListingVariant,
    Report,
    Shop,
    ShopMember,
    User,
)
from marketplace_app.services import media, product_csv, products
from marketplace_app.state.operator import OperatorState
from marketplace_app.state.products import CsvImportState, ProductEditorState, ShopManageState
from marketplace_app.state.shops import PublicShopState, ShopApplyState
from tests.unit.media_helpers import image, temp_media, upload
from tests.unit.shop_samples import SHOP_PROFILE
from tests.unit.state.conftest import call, redirect_target

APPLICATION = {
    **SHOP_PROFILE,
    "mon_open": "08:00",
    "mon_close": "18:00",
    "tue_closed": "on",
}


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch):
    return temp_media(tmp_path, monkeypatch)


def make_shop(owner_id: int, name: str, status: str = "approved") -> int:
    with write_session() as s:
        if s.exec(select(Category).where(Category.slug == "produce")).first() is None:
            s.add(Category(slug="produce"))
        shop = Shop(
            owner_id=owner_id, name=name, slug=name.lower(), status=status, district="Old Town"
        )
        s.add(shop)
        s.flush()
        s.add(ShopMember(shop_id=shop.id, user_id=owner_id, role="owner"))
        return shop.id


def make_product(owner_id: int, shop_id: int) -> tuple[int, int]:
    """A published product with two variants and a photo: (listing id, first variant id)."""
    with write_session() as s:
        listing = products.save_product(
            s,
            owner_id,
            shop_id,
            None,
            products.ProductInput(
                title="Honey",
                category="produce",
                variants=[
                    products.VariantInput(label="250 g", price="18", stock="5"),
                    products.VariantInput(label="500 g", price="30", stock="2"),
                ],
            ),
        )
        s.add(ListingImage(listing_id=listing.id, storage_key="c" * 24, width=1, height=1))
        s.flush()
        products.set_published(s, owner_id, listing.id, True)
        variant = s.exec(
            select(ListingVariant.id).where(ListingVariant.listing_id == listing.id)
        ).first()
        return listing.id, variant


def snapshot(listing_id: int):
    with read_session() as s:
        listing = s.get(Listing, listing_id)
        variants = s.exec(
            select(ListingVariant.label, ListingVariant.price_cents, ListingVariant.stock)
            .where(ListingVariant.listing_id == listing_id)
            .order_by(ListingVariant.position)
        ).all()
        images = s.exec(select(ListingImage.id).where(ListingImage.listing_id == listing_id)).all()
        return (listing.title, listing.status, listing.stock, listing.price_cents), variants, images


def promote(user_id: int, role: str) -> None:
    with write_session() as s:
        s.get(User, user_id).role = role


def report_listing(reporter_id: int, listing_id: int) -> int:
    """An open "scam" report of a listing: its id."""
    with write_session() as s:
        report = Report(
            reporter_id=reporter_id, target_type="listing", target_id=listing_id, reason="scam"
        )
        s.add(report)
        s.flush()
        return report.id


@pytest.fixture
def two_shops(login_as):
    """Shop A (owner a) with a product; shop B (owner b); a plain user c."""
    a_id, a_token = login_as("a@example.com", "Ann")
    b_id, b_token = login_as("b@example.com", "Bob")
    c_id, c_token = login_as("c@example.com", "Cy")
    shop_a = make_shop(a_id, "Apiary")
    shop_b = make_shop(b_id, "Bakery")
    product, variant = make_product(a_id, shop_a)
    return {
        "a": (a_id, a_token),
        "b": (b_id, b_token),
        "c": (c_id, c_token),
        "shop_a": shop_a,
        "shop_b": shop_b,
        "product": product,
        "variant": variant,
    }


# --- the application form ----------------------------------------------------------------


def test_apply_with_a_logo_then_see_the_status(make_state, login_as):
    user_id, token = login_as("owner@example.com")
    state = make_state(ShopApplyState, token=token, path="/shop/apply")
    call(state, "load")
    assert state.loaded and state.show_form and state.status == ""
    call(state, "upload_image", "logo", [upload(image("PNG"))])
    assert state.logo_url.startswith("/media/") and state.errors == {}
    call(state, "upload_image", "avatar", [upload(image("PNG"))])  # unknown field: ignored
    call(state, "submit", {**APPLICATION, "name": "X"})
    assert state.errors["name"]  # refused, shown next to the field
    call(state, "submit", APPLICATION)
    assert state.errors == {} and state.status == "pending"
    with read_session() as s:
        shop = s.exec(select(Shop).where(Shop.owner_id == user_id)).one()
        assert shop.logo_key and state.logo_url == media.url(shop.logo_key, 320)
        assert '"tue": []' in shop.opening_hours and '"mon": [["08:00", "18:00"]]' in (
            shop.opening_hours
        )


def test_a_bad_image_is_refused_next_to_its_field(make_state, login_as):
    _, token = login_as("owner@example.com")
    state = make_state(ShopApplyState, token=token, path="/shop/apply")
    call(state, "load")
    call(state, "upload_image", "banner", [upload(b"GIF89a not really")])
    assert "banner" in state.errors and state.banner_url == ""


def test_guests_are_sent_to_log_in(make_state, db):
    state = make_state(ShopApplyState, path="/shop/apply")
    assert redirect_target(call(state, "load")).startswith("/login")
    state = make_state(ShopManageState, path="/shop/manage")
    assert redirect_target(call(state, "load")).startswith("/login")


# --- the operator queue --------------------------------------------------------------------


def test_a_normal_user_cannot_use_the_operator_queue(make_state, login_as, two_shops):
    c_id, c_token = two_shops["c"]
    pending = make_shop(c_id, "Pending", status="pending")
    report_id = report_listing(c_id, two_shops["product"])
    state = make_state(OperatorState, token=c_token, path="/admin/queue")
    assert redirect_target(call(state, "load")) == "/"
    assert state.applications == [] and state.reports == []
    for name, args in (
        ("approve", (pending,)),
        ("reject", ({"shop_id": str(pending), "reason": "no"},)),
        ("choose", ("hide",)),
        ("decide_report", ({"report_id": str(report_id), "reason": "gone"},)),
    ):
        assert redirect_target(call(state, name, *args)) == "/"
    with read_session() as s:
        assert s.get(Shop, pending).status == "pending"
        assert s.get(Report, report_id).status == "open"
        assert s.get(Listing, two_shops["product"]).status == "active"


def test_a_moderator_approves_rejects_and_hides(make_state, login_as, two_shops):
    c_id, _ = two_shops["c"]
    mod_id, mod_token = login_as("mod@example.com", "Mod")
    promote(mod_id, "moderator")
    first = make_shop(c_id, "First", status="pending")
    d_id, _ = login_as("d@example.com", "Dee")
    second = make_shop(d_id, "Second", status="pending")
    report_id = report_listing(c_id, two_shops["product"])
    state = make_state(OperatorState, token=mod_token, path="/admin/queue", query="tab=reports")
    call(state, "load")
    assert state.tab == "reports"
    assert {a.id for a in state.applications} == {first, second}
    assert [r.id for r in state.reports] == [report_id]
    call(state, "approve", first)
    call(state, "reject", {"shop_id": str(second), "reason": ""})
    assert state.row_errors == {f"shop-{second}": state.row_errors[f"shop-{second}"]}
    call(state, "reject", {"shop_id": str(second), "reason": "Add a real address"})
    call(state, "reject", {"shop_id": "not a number", "reason": "x"})  # ignored
    call(state, "choose", "hide")
    call(state, "decide_report", {"report_id": str(report_id), "reason": "Scam"})
    assert state.applications == [] and state.reports == []
    with read_session() as s:
        assert s.get(Shop, first).status == "approved"
        assert (s.get(Shop, second).status, s.get(Shop, second).review_reason) == (
            "rejected",
            "Add a real address",
        )
        assert s.get(Listing, two_shops["product"]).status == "removed"
        assert s.get(Report, report_id).status == "actioned"


# --- another shop's products -----------------------------------------------------------------


def test_another_shop_cannot_touch_a_product_through_any_handler(make_state, two_shops):
    product, variant = two_shops["product"], two_shops["variant"]
    before = snapshot(product)
    for who in ("b", "c"):
        _, token = two_shops[who]
        manage = make_state(ShopManageState, token=token, path="/shop/manage")
        call(manage, "load")
        assert product not in [r.id for r in manage.rows]
        call(manage, "unpublish", product)
        call(manage, "set_stock", product, variant, "99")
        call(manage, "publish", product)

        editor = make_state(ProductEditorState, token=token, path=f"/shop/manage/product/{product}")
        call(editor, "load")
        assert editor.not_found
        call(editor, "unpublish")
        call(editor, "remove_photo", before[2][0])
        call(editor, "make_cover", before[2][0])
        call(editor, "upload_photos", [upload(image("PNG"), "x.png")])
        call(
            editor,
            "submit",
            {"title": "Stolen", "category": "produce", "k1_price": "1", "k1_stock": "1"},
        )
    assert snapshot(product) == before


def test_a_pending_shops_owner_cannot_create_products(make_state, login_as):
    owner_id, token = login_as("pending@example.com")
    make_shop(owner_id, "Later", status="pending")
    editor = make_state(ProductEditorState, token=token, path="/shop/manage/product/new")
    call(editor, "load")
    assert editor.not_found
    call(editor, "submit", {"title": "Jam", "category": "produce", "k1_price": "3"})
    manage = make_state(ShopManageState, token=token, path="/shop/manage")
    call(manage, "load")
    assert manage.loaded and not manage.has_shop
    with read_session() as s:
        assert s.exec(select(Listing)).all() == []


def editor_form(editor, rows: list[tuple[str, str, str]]) -> dict:
    """The editor's form as a browser sends it, for the variant rows it shows now."""
    form = {"title": "Rye bread", "category": "produce", "pickup": "on"}
    for row, (label, price, stock) in zip(editor.variants, rows, strict=True):
        form |= {f"{row.key}_label": label, f"{row.key}_price": price, f"{row.key}_stock": stock}
    return form


def test_owner_creates_edits_and_publishes_through_the_editor(make_state, two_shops):
    b_id, b_token = two_shops["b"]
    editor = make_state(ProductEditorState, token=b_token, path="/shop/manage/product/new")
    call(editor, "load")
    assert not editor.not_found and len(editor.variants) == 1
    call(editor, "add_variant")
    second = editor.variants[1].key
    call(editor, "submit", editor_form(editor, [("Half", "9", "4"), ("half", "abc", "1")]))
    assert set(editor.errors) == {f"{second}_label", f"{second}_price"}
    good = [("Half", "9", "4"), ("Whole", "16.5", "2")]
    call(editor, "submit", editor_form(editor, good))
    assert editor.errors == {} and editor.product_id_shown > 0 and editor.status == "draft"
    assert [v.id > 0 for v in editor.variants] == [True, True]
    listing_id = editor.product_id_shown
    call(editor, "choose", "publish")
    call(editor, "submit", editor_form(editor, good))
    assert "photos" in editor.errors and editor.status == "draft"
    call(editor, "upload_photos", [upload(image("PNG"), "p.png")])
    assert len(editor.photos) == 1
    call(editor, "choose", "publish")
    call(editor, "submit", editor_form(editor, good))
    assert editor.status == "active" and editor.errors == {}
    with read_session() as s:
        listing = s.get(Listing, listing_id)
        assert (listing.shop_id, listing.price_cents, listing.stock) == (
            two_shops["shop_b"],
            900,
            6,
        )
    manage = make_state(ShopManageState, token=b_token, path="/shop/manage")
    call(manage, "load")
    (row,) = manage.rows
    call(manage, "set_stock", row.id, row.variants[0].id, "0")
    call(manage, "set_stock", row.id, row.variants[1].id, "lots")
    assert manage.row_errors == {str(row.id): manage.row_errors[str(row.id)]}
    assert snapshot(listing_id)[0][2] == 2
    call(manage, "unpublish", row.id)
    assert manage.rows[0].status == "paused"


# --- CSV import and the public page ------------------------------------------------------------


def test_csv_import_needs_a_checked_file(make_state, two_shops):
    _, b_token = two_shops["b"]
    state = make_state(CsvImportState, token=b_token, path="/shop/manage/import")
    call(state, "load")
    data = product_csv.SAMPLE.encode().replace(b"bakery", b"produce")
    call(state, "commit", [upload(data, "p.csv")])  # not checked yet: nothing happens
    assert state.error and state.result == ""
    call(state, "preview", [upload(b"title,price\nx,1\n", "bad.csv")])
    assert state.checked and not state.can_import and state.file_problems
    call(state, "preview", [upload(data, "p.csv")])
    assert state.can_import and len(state.rows) == 3
    call(state, "commit", [upload(data + b"Extra,,1,,1,produce,,,,,,,\n", "p.csv")])
    assert state.error and not state.can_import  # a different file than the checked one
    call(state, "preview", [upload(data, "p.csv")])
    call(state, "commit", [upload(data, "p.csv")])
    assert state.result and state.error == ""
    with read_session() as s:
        titles = s.exec(select(Listing.title).where(Listing.shop_id == two_shops["shop_b"])).all()
    assert sorted(titles) == ["Sourdough loaf", "全麦吐司"]


def test_csv_import_for_users_without_a_shop_does_nothing(make_state, two_shops):
    _, c_token = two_shops["c"]
    state = make_state(CsvImportState, token=c_token, path="/shop/manage/import")
    call(state, "load")
    assert not state.has_shop
    data = product_csv.SAMPLE.encode().replace(b"bakery", b"produce")
    call(state, "preview", [upload(data, "p.csv")])
    call(state, "commit", [upload(data, "p.csv")])
    with read_session() as s:
        assert len(s.exec(select(Listing)).all()) == 1  # only shop A's product


def test_public_shop_page(make_state, two_shops):
    state = make_state(PublicShopState, path="/shop/apiary")
    call(state, "load")
    assert state.found and state.name == "Apiary"
    assert [c.title for c in state.cards] == ["Honey"]
    assert len(state.hours) == 7
    state = make_state(PublicShopState, path="/shop/nope")
    call(state, "load")
    assert not state.found
