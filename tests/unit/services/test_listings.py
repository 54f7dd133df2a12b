"""A resident's listings: the form's checks, drafts, publishing and the lifecycle."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image
from sqlmodel import select

from marketplace_app.models import Category, Listing, ListingImage, RecentView
from marketplace_app.services import catalog, geo, listing_images, listings, media
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.services.listings import ListingInput
from marketplace_app.settings import settings
from tests.unit.services.conftest import make_user


@pytest.fixture
def media_dir(tmp_path, monkeypatch):
    """Photos go to a private folder."""
    monkeypatch.setattr(media, "settings", dataclasses.replace(settings, upload_dir=tmp_path))
    return media.media_dir()


def jpeg(width: int = 64, height: int = 48, colour=(200, 60, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def category(session, slug: str = "home") -> Category:
    found = session.exec(select(Category).where(Category.slug == slug)).first()
    if found is None:
        found = Category(slug=slug)
        session.add(found)
        session.flush()
    return found


def good_input(**changes) -> ListingInput:
    base = ListingInput(
        title="Oak side table",
        description="Solid oak, a few scratches.",
        category="home",
        condition="good",
        price="12.50",
        district="Riverside",
        pickup=True,
    )
    return dataclasses.replace(base, **changes)


def published(session, seller, **changes) -> Listing:
    """A published listing with one photo."""
    category(session)
    draft = listings.start_draft(session, seller.id)
    listing_images.add_images(session, seller.id, draft.id, [jpeg()])
    return listings.save(session, seller.id, draft.id, good_input(**changes), publish=True)


def refusal(session, seller, data: ListingInput, *, photo: bool = True) -> dict[str, str]:
    category(session)
    draft = listings.start_draft(session, seller.id)
    if photo:
        listing_images.add_images(session, seller.id, draft.id, [jpeg()])
    with pytest.raises(ValidationFailed) as caught:
        listings.save(session, seller.id, draft.id, data, publish=True)
    return caught.value.fields


# -- prices


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("0", 0),
        (" 7.05 ", 705),
        ("1000000", 100_000_000),
        ("1,234.56", 123456),
        ("¥8", 800),
        ("￥ 0.01", 1),
    ],
)
def test_prices_parse_exactly_to_cents(typed, cents):
    assert listings.parse_amount(typed) == cents


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("-1", listings.E_PRICE_NEGATIVE),
        ("1e3", listings.E_PRICE_FORMAT),
        ("12.345", listings.E_PRICE_DECIMALS),
        ("abc", listings.E_PRICE_FORMAT),
        ("", listings.E_PRICE_FORMAT),
        ("1,00", listings.E_PRICE_FORMAT),
        ("1.234", listings.E_PRICE_DECIMALS),
        ("NaN", listings.E_PRICE_FORMAT),
        ("Infinity", listings.E_PRICE_FORMAT),
        ("1000000.01", listings.E_PRICE_TOO_HIGH),
    ],
)
def test_bad_prices_name_their_problem(typed, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        listings.parse_amount(typed)


def test_amounts_format_back_as_typed():
    assert listings.format_amount(1250) == "12.50"
    assert listings.format_amount(1200) == "12"
    assert listings.format_amount(5) == "0.05"
    assert listings.format_amount(None) == ""


# -- publishing: every field's message


def test_a_complete_form_publishes(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(session, seller, negotiable=True)
    assert listing.status == "active"
    assert listing.published_at is not None
    assert listing.kind == "secondhand" and listing.stock == 1 and listing.shop_id is None
    assert listing.price_cents == 1250 and listing.negotiable
    assert listing.category_id == category(session).id


def test_an_empty_form_gets_every_error_at_once(session, media_dir):
    seller = make_user(session, "Sam")
    errors = refusal(session, seller, ListingInput(pickup=False), photo=False)
    assert errors == {
        "title": "error.required",
        "category": listings.E_CATEGORY,
        "condition": listings.E_CONDITION,
        "district": listings.E_DISTRICT,
        "price": listings.E_PRICE_REQUIRED,
        "delivery": listings.E_DELIVERY_REQUIRED,
        "photos": listings.E_PHOTOS_REQUIRED,
    }


@pytest.mark.parametrize(
    ("changes", "field", "key"),
    [
        ({"title": "ab"}, "title", listings.E_TITLE_SHORT),
        ({"title": "x" * 81}, "title", listings.E_TITLE_LONG),
        ({"title": "   "}, "title", "error.required"),
        ({"description": "x" * 4001}, "description", listings.E_DESCRIPTION_LONG),
        ({"category": "no-such"}, "category", listings.E_CATEGORY),
        ({"condition": "mint"}, "condition", listings.E_CONDITION),
        ({"district": "Atlantis"}, "district", listings.E_DISTRICT),
        ({"price": ""}, "price", listings.E_PRICE_REQUIRED),
        ({"price": "abc"}, "price", listings.E_PRICE_FORMAT),
        ({"price": "-1"}, "price", listings.E_PRICE_NEGATIVE),
        ({"price": "12.345"}, "price", listings.E_PRICE_DECIMALS),
        ({"price": "2000000"}, "price", listings.E_PRICE_TOO_HIGH),
        ({"pickup": False}, "delivery", listings.E_DELIVERY_REQUIRED),
        ({"local_delivery": True, "local_fee": "x"}, "local_fee", listings.E_PRICE_FORMAT),
        ({"courier": True, "courier_fee": "10001"}, "courier_fee", listings.E_FEE_TOO_HIGH),
    ],
)
def test_each_field_has_its_message(session, media_dir, changes, field, key):
    seller = make_user(session, "Sam")
    assert refusal(session, seller, good_input(**changes)) == {field: key}


def test_publishing_needs_a_photo(session, media_dir):
    seller = make_user(session, "Sam")
    assert refusal(session, seller, good_input(), photo=False) == {
        "photos": listings.E_PHOTOS_REQUIRED
    }


def test_free_items_need_no_price_and_are_not_negotiable(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(session, seller, price="", free=True, negotiable=True)
    assert listing.price_cents == 0 and not listing.negotiable
    ignored = published(session, seller, price="junk", free=True)
    assert ignored.price_cents == 0


def test_a_price_of_zero_is_a_give_away(session, media_dir):
    seller = make_user(session, "Sam")
    assert published(session, seller, price="0").price_cents == 0


def test_delivery_options_and_fees(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(
        session,
        seller,
        pickup=False,
        local_delivery=True,
        local_fee="5",
        courier=True,
        courier_fee="",
    )
    assert not listing.pickup
    assert listing.local_delivery_fee_cents == 500
    assert listing.courier_fee_cents == 0  # enabled with no fee
    unchecked = published(session, seller, local_fee="9", courier_fee="9")
    assert unchecked.local_delivery_fee_cents is None and unchecked.courier_fee_cents is None


def test_the_position_is_the_district_centre_and_public_one_is_rounded(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(session, seller, district="Northgate")
    assert (listing.lat, listing.lon) == geo.district_centre("Northgate")
    assert (listing.public_lat, listing.public_lon) == geo.public_position(listing.lat, listing.lon)
    detail = catalog.listing_detail(session, listing.id, None)
    assert not hasattr(detail, "lat") and not hasattr(detail, "lon")


def test_non_strings_in_the_form_are_treated_as_empty(session, media_dir):
    seller = make_user(session, "Sam")
    data = dataclasses.replace(good_input(), title=123, free="yes", pickup="on")
    errors = refusal(session, seller, data)
    assert errors == {"title": "error.required", "delivery": listings.E_DELIVERY_REQUIRED}


# -- drafts


def test_a_draft_starts_empty_and_private(session):
    seller = make_user(session, "Sam")
    draft = listings.start_draft(session, seller.id)
    assert (draft.status, draft.kind, draft.stock, draft.title) == ("draft", "secondhand", 1, "")
    assert draft.published_at is None
    with pytest.raises(NotFound):
        catalog.listing_detail(session, draft.id, None)


def test_a_draft_saves_partial_input(session):
    seller = make_user(session, "Sam")
    category(session)
    draft = listings.start_draft(session, seller.id)
    data = ListingInput(title="La", category="nope", condition="mint", district="Nowhere")
    saved = listings.save(session, seller.id, draft.id, data, publish=False)
    assert saved.status == "draft" and saved.title == "La"
    assert saved.category_id is None and saved.condition is None and saved.district == ""
    saved = listings.save(session, seller.id, draft.id, good_input(), publish=False)
    assert saved.status == "draft" and saved.price_cents == 1250


def test_a_draft_refuses_only_what_cannot_be_stored(session):
    seller = make_user(session, "Sam")
    draft = listings.start_draft(session, seller.id)
    data = ListingInput(title="x" * 81, description="y" * 4001, price="1e3")
    with pytest.raises(ValidationFailed) as caught:
        listings.save(session, seller.id, draft.id, data, publish=False)
    assert caught.value.fields == {
        "title": listings.E_TITLE_LONG,
        "description": listings.E_DESCRIPTION_LONG,
        "price": listings.E_PRICE_FORMAT,
    }


def test_form_values_round_trip(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(session, seller, local_delivery=True, local_fee="3.5", negotiable=True)
    values = listings.form_values(session, listing)
    assert values.title == "Oak side table" and values.category == "home"
    assert values.price == "12.50" and values.local_delivery and values.local_fee == "3.50"
    assert not values.courier and values.courier_fee == "" and values.negotiable
    again = listings.save(session, seller.id, listing.id, values, publish=True)
    assert again.price_cents == 1250 and again.local_delivery_fee_cents == 350


def test_editing_a_live_listing_checks_fully_and_keeps_its_status(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(session, seller)
    listings.set_status(session, seller.id, listing.id, "pause")
    with pytest.raises(ValidationFailed):
        listings.save(session, seller.id, listing.id, good_input(title=""), publish=False)
    saved = listings.save(session, seller.id, listing.id, good_input(title="New"), publish=True)
    assert saved.status == "paused" and saved.title == "New"


def test_published_at_is_kept_from_the_first_publish(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(session, seller)
    first = listing.published_at
    again = listings.save(session, seller.id, listing.id, good_input(title="Renamed"), publish=True)
    assert again.published_at == first


# -- lifecycle


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["pause"], "paused"),
        (["pause", "unpause"], "active"),
        (["mark_sold"], "sold"),
        (["pause", "mark_sold"], "sold"),
        (["delete"], "removed"),
        (["pause", "delete"], "removed"),
        (["mark_sold", "delete"], "removed"),
    ],
)
def test_legal_transitions(session, media_dir, path, final):
    seller = make_user(session, "Sam")
    listing = published(session, seller)
    for action in path:
        listing = listings.set_status(session, seller.id, listing.id, action)
    assert listing.status == final
    if final == "removed":
        assert listing.deleted_at is not None


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "unpause"),
        (["mark_sold"], "unpause"),
        (["mark_sold"], "pause"),
        (["mark_sold"], "mark_sold"),
        (["pause"], "pause"),
        ([], "publish"),
        ([], "explode"),
        ([], None),
    ],
)
def test_illegal_transitions_are_refused(session, media_dir, path, illegal):
    seller = make_user(session, "Sam")
    listing = published(session, seller)
    for action in path:
        listings.set_status(session, seller.id, listing.id, action)
    before = listing.status
    with pytest.raises(ValidationFailed) as caught:
        listings.set_status(session, seller.id, listing.id, illegal)
    assert caught.value.fields == {"_form": listings.E_ILLEGAL_ACTION}
    assert session.get(Listing, listing.id).status == before


def test_a_removed_listing_is_gone_for_everyone(session, media_dir):
    seller = make_user(session, "Sam")
    listing = published(session, seller)
    listings.set_status(session, seller.id, listing.id, "delete")
    with pytest.raises(NotFound):
        listings.set_status(session, seller.id, listing.id, "delete")
    with pytest.raises(NotFound):
        listings.for_edit(session, seller.id, listing.id)
    with pytest.raises(NotFound):
        catalog.listing_detail(session, listing.id, seller.id)


def test_a_paused_listing_is_hidden_from_others_only(session, media_dir):
    seller, other = make_user(session, "Sam"), make_user(session, "Olga")
    listing = published(session, seller)
    listings.set_status(session, seller.id, listing.id, "pause")
    with pytest.raises(NotFound):
        catalog.listing_detail(session, listing.id, other.id)
    assert catalog.listing_detail(session, listing.id, seller.id).status == "paused"
    listings.set_status(session, seller.id, listing.id, "unpause")
    assert catalog.listing_detail(session, listing.id, other.id).status == "active"


def test_deleting_a_draft_removes_it_and_its_photos(session, media_dir):
    seller = make_user(session, "Sam")
    draft = listings.start_draft(session, seller.id)
    listing_images.add_images(session, seller.id, draft.id, [jpeg(), jpeg()])
    session.add(RecentView(user_id=seller.id, listing_id=draft.id))
    session.commit()
    assert len(list(media_dir.iterdir())) == 6
    listings.set_status(session, seller.id, draft.id, "delete")
    session.commit()
    assert session.get(Listing, draft.id) is None
    assert session.exec(select(ListingImage)).all() == []
    assert list(media_dir.iterdir()) == []


# -- my listings


def test_my_listings_by_status_with_counts(session, media_dir):
    seller, other = make_user(session, "Sam"), make_user(session, "Olga")
    on_sale = published(session, seller, title="On sale")
    paused = published(session, seller, title="Paused one")
    listings.set_status(session, seller.id, paused.id, "pause")
    sold = published(session, seller, title="Sold one")
    listings.set_status(session, seller.id, sold.id, "mark_sold")
    gone = published(session, seller, title="Gone one")
    listings.set_status(session, seller.id, gone.id, "delete")
    draft = listings.start_draft(session, seller.id)
    published(session, other, title="Not mine")

    every = listings.my_listings(session, seller.id)
    assert {r.id for r in every} == {on_sale.id, paused.id, sold.id, draft.id}
    assert [r.id for r in listings.my_listings(session, seller.id, status="paused")] == [paused.id]
    assert [r.id for r in listings.my_listings(session, seller.id, status="draft")] == [draft.id]
    row = listings.my_listings(session, seller.id, status="active")[0]
    assert row.title == "On sale" and row.price_cents == 1250 and row.cover_key
    assert listings.status_counts(session, seller.id) == {
        "active": 1,
        "draft": 1,
        "paused": 1,
        "sold": 1,
        "all": 4,
    }
    assert len(listings.my_listings(session, seller.id, limit=1)) == 1
    assert len(listings.my_listings(session, seller.id, limit=10_000)) == 4


# -- someone else's listing


def test_another_seller_can_do_nothing_to_my_listing(session, media_dir):
    seller, intruder = make_user(session, "Sam"), make_user(session, "Ivan")
    listing = published(session, seller)
    draft = listings.start_draft(session, seller.id)
    for target in (listing.id, draft.id):
        with pytest.raises(NotFound):
            listings.save(session, intruder.id, target, good_input(title="Mine now"), publish=True)
        with pytest.raises(NotFound):
            listings.save(session, intruder.id, target, good_input(), publish=False)
        with pytest.raises(NotFound):
            listings.for_edit(session, intruder.id, target)
        for action in listings.ACTIONS:
            with pytest.raises(NotFound):
                listings.set_status(session, intruder.id, target, action)
    assert session.get(Listing, listing.id).status == "active"
    assert session.get(Listing, listing.id).title == "Oak side table"
    assert session.get(Listing, draft.id).status == "draft"
    assert listings.my_listings(session, intruder.id) == []


def test_absent_and_malformed_ids_are_not_found(session):
    seller = make_user(session, "Sam")
    for bad in (999_999, "1", None, -1):
        with pytest.raises(NotFound):
            listings.set_status(session, seller.id, bad, "pause")
        with pytest.raises(NotFound):
            listings.for_edit(session, seller.id, bad)
