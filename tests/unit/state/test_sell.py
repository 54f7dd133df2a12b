"""The sell form and "my listings" handlers, called as a browser would call them."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.i18n import translate
from marketplace_app.models import BlockedTerm, Category, Listing, ListingImage
from marketplace_app.services import auth_sessions, listing_images, listings
from marketplace_app.settings import settings
from marketplace_app.state.my_listings import MyListingsState
from marketplace_app.state.sell import SellState
from tests.unit.media_helpers import image, temp_media, upload
from tests.unit.state.conftest import call, call_upload, redirect_target

FULL_FORM = {
    "title": "Blue bicycle",
    "description": "City bike, new tyres.",
    "category": "sports",
    "condition": "good",
    "price": "45.5",
    "district": "Riverside",
    "pickup": "on",
}


@pytest.fixture(autouse=True)
def media_dir(tmp_path, monkeypatch):
    return temp_media(tmp_path, monkeypatch)


@pytest.fixture
def sports(db):
    with write_session() as s:
        s.add(Category(slug="sports"))


def listing(listing_id: int) -> Listing | None:
    with read_session() as s:
        return s.get(Listing, listing_id)


def image_ids(listing_id: int) -> list[int]:
    with read_session() as s:
        rows = s.exec(
            select(ListingImage.id)
            .where(ListingImage.listing_id == listing_id)
            .order_by(ListingImage.position)
        )
        return list(rows.all())


def published_listing(owner_id: int) -> int:
    with write_session() as s:
        if s.exec(select(Category).where(Category.slug == "sports")).first() is None:
            s.add(Category(slug="sports"))
            s.flush()
        draft = listings.start_draft(s, owner_id)
        listing_images.add_images(s, owner_id, draft.id, [image(), image(colour=(9, 9, 9))])
        data = listings.ListingInput(
            title="Victim's lamp",
            category="sports",
            condition="good",
            price="10",
            district="Riverside",
        )
        return listings.save(s, owner_id, draft.id, data, publish=True).id


def sell_form(make_state, token, query: str = "", path: str = "/sell") -> SellState:
    state = make_state(SellState, token=token, path=path, query=query)
    call(state, "load")
    return state


# -- logged out


def test_logged_out_visitors_are_sent_to_log_in(make_state, db):
    state = make_state(SellState, token=None, path="/sell")
    assert redirect_target(call(state, "load")) == "/login?next=%2Fsell"
    assert call(state, "upload_photos", [upload(image())]) is None  # refused: nothing at all
    assert redirect_target(call(state, "submit", FULL_FORM)) is not None
    with read_session() as s:
        assert s.exec(select(Listing)).all() == []
    mine = make_state(MyListingsState, token=None, path="/my/listings")
    assert redirect_target(call(mine, "load")) == "/login?next=%2Fmy%2Flistings"


# -- who is uploading: the upload request's own session cookie


def _photos_stored(media_dir) -> int:
    with read_session() as s:
        rows = len(s.exec(select(ListingImage)).all())
    return rows + (len(list(media_dir.iterdir())) if media_dir.exists() else 0)


def test_an_upload_without_the_session_cookie_is_refused(make_state, login_as, sports, media_dir):
    # The tab's websocket still carries a live session, but the upload request
    # itself has none (the browser logged out, or someone else holds the tab's token).
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    assert call_upload(state, "upload_photos", [upload(image())], cookie=None) is None
    assert state._listing_id == 0 and state.photos == [] and not state.uploading
    assert _photos_stored(media_dir) == 0


def test_an_upload_with_a_logged_out_session_is_refused(make_state, login_as, sports, media_dir):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    with write_session() as s:
        auth_sessions.end_session(s, token)
    assert call_upload(state, "upload_photos", [upload(image())], cookie=token) is None
    assert state._listing_id == 0 and _photos_stored(media_dir) == 0


def test_another_users_upload_to_this_tab_is_refused(make_state, login_as, sports, media_dir):
    # Mallory knows the victim tab's client token and uploads to it with her own cookie.
    victim_id, victim = login_as("seller@example.com")
    _, mallory = login_as("mallory@example.com")
    state = sell_form(make_state, victim)
    call(state, "upload_photos", [upload(image())])  # the victim's own photo
    draft, before = state._listing_id, image_ids(state._listing_id)
    assert len(before) == 1
    for cookie in (mallory, None):
        # Refused without a word: a redirect would go to the victim's tab.
        photos = [upload(image(colour=(9, 0, 0)))]
        assert call_upload(state, "upload_photos", photos, cookie=cookie) is None
    assert image_ids(draft) == before and len(state.photos) == 1
    assert listing(draft).seller_id == victim_id


def test_an_upload_handler_called_without_an_upload_is_refused(make_state, login_as, sports):
    # Over the websocket, by name, with no upload request in flight for the tab.
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    fn = type(state).event_handlers["upload_photos"].fn

    async def run():
        return [item async for item in fn(state, [upload(image())])]

    assert asyncio.run(run()) == []
    assert state._listing_id == 0 and not state.uploading


# -- the form


def test_a_blank_form_with_options(make_state, login_as, sports):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    assert state.loaded and not state.not_found and state.is_draft
    assert state._listing_id == 0 and state.photos == []
    assert [o.value for o in state.categories] == ["sports"]
    assert [o.value for o in state.conditions] == list(listings.CONDITIONS)
    assert state.values["title"] == "" and state.flags["pickup"] is True


def test_publishing_an_empty_form_keeps_a_draft_with_what_was_typed(make_state, login_as, sports):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    call(state, "choose", "publish")
    call(state, "submit", {"title": "Blue bicycle", "price": "abc"})
    assert {"category", "condition", "district", "price", "photos"} <= set(state.errors)
    assert "title" not in state.errors
    draft = listing(state._listing_id)
    assert draft.status == "draft" and draft.title == "Blue bicycle"
    assert state.status == "draft"


def test_upload_then_publish_goes_to_the_listing(make_state, login_as, sports, media_dir):
    user_id, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    call(state, "upload_photos", [upload(image()), upload(image(colour=(0, 0, 0)), "b.png")])
    assert state._listing_id and len(state.photos) == 2
    assert state.photos[0].is_cover and state.photos[0].src.endswith("-320.webp")
    assert state.photos[0].alt and state.photos[0].left_label
    assert not state.uploading and "photos" not in state.errors

    call(state, "choose", "publish")
    result = call(state, "submit", FULL_FORM)
    assert redirect_target(result) == f"/listing/{state._listing_id}"
    saved = listing(state._listing_id)
    assert saved.status == "active" and saved.price_cents == 4550 and saved.seller_id == user_id


def test_save_as_draft_then_reload_it_from_the_url(make_state, login_as, sports):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    call(state, "choose", "draft")
    call(state, "submit", {**FULL_FORM, "title": "Half done"})
    assert state.errors == {} and state.notice
    draft_id = state._listing_id
    assert listing(draft_id).status == "draft"

    again = sell_form(make_state, token, query=f"draft={draft_id}")
    assert again._listing_id == draft_id and again.values["title"] == "Half done"
    assert again.values["price"] == "45.50" and again.values["district"] == "Riverside"
    edit = sell_form(make_state, token, path=f"/sell/{draft_id}")
    assert edit._listing_id == draft_id and edit.is_draft


def test_a_refused_photo_shows_its_message_and_keeps_the_good_ones(
    make_state, login_as, sports, media_dir
):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    gif = image("GIF", colour=0, mode="P")
    call(state, "upload_photos", [upload(image()), upload(gif, "x.gif")])
    assert len(state.photos) == 1
    assert "JPEG" in state.errors["photos"]
    assert len(image_ids(state._listing_id)) == 1
    assert len(list(media_dir.iterdir())) == 3


def test_the_eleventh_photo_is_refused(make_state, login_as, sports):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    call(state, "upload_photos", [upload(image()) for _ in range(12)])
    assert len(state.photos) == listing_images.MAX_IMAGES
    assert "10" in state.errors["photos"]
    assert not state.room_left


def test_photo_order_cover_and_removal(make_state, login_as, sports):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    call(state, "upload_photos", [upload(image()) for _ in range(3)])
    a, b, c = (p.id for p in state.photos)
    call(state, "move_photo", a, 1)
    assert [p.id for p in state.photos] == [b, a, c]
    call(state, "make_cover", c)
    assert [p.id for p in state.photos] == [c, b, a]
    call(state, "move_photo", c, -1)  # already first: the service clamps
    call(state, "move_photo", b, 7)  # not a one-step move: ignored
    call(state, "move_photo", "b", 1)
    assert [p.id for p in state.photos] == [c, b, a]
    call(state, "remove_photo", b)
    assert [p.id for p in state.photos] == [c, a] == image_ids(state._listing_id)


def test_browser_side_refusals_get_a_message(make_state, login_as, sports):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token)
    call(state, "rejected", [{"errors": [{"code": "file-too-large"}]}])
    assert "15 MB" in state.errors["photos"]
    call(state, "rejected", [{"errors": [{"code": "file-invalid-type"}]}])
    assert "WebP" in state.errors["photos"]
    call(state, "rejected", "garbage")
    assert state.errors["photos"]
    call(state, "upload_progress", {"progress": 0.5})
    assert state.upload_percent == 50
    call(state, "upload_progress", "junk")
    assert state.upload_percent == 0


def test_editing_a_live_listing_saves_and_returns_to_it(make_state, login_as):
    user_id, token = login_as("seller@example.com")
    listing_id = published_listing(user_id)
    state = sell_form(make_state, token, path=f"/sell/{listing_id}")
    assert not state.is_draft and state.values["title"] == "Victim's lamp"
    call(state, "choose", "draft")  # no drafts of a live listing: saved in full
    result = call(state, "submit", {**FULL_FORM, "title": "Renamed lamp"})
    assert redirect_target(result) == f"/listing/{listing_id}"
    assert listing(listing_id).title == "Renamed lamp"
    assert listing(listing_id).status == "active"
    call(state, "submit", {**FULL_FORM, "title": ""})
    assert "title" in state.errors and listing(listing_id).title == "Renamed lamp"


# -- someone else's listing, through every handler


def test_another_seller_cannot_reach_my_listing_through_any_handler(make_state, login_as):
    victim_id, _ = login_as("victim@example.com")
    _, token = login_as("intruder@example.com")
    listing_id = published_listing(victim_id)
    photos = image_ids(listing_id)
    before = listing(listing_id)

    for query, path in ((f"draft={listing_id}", "/sell"), (f"edit={listing_id}", "/sell")):
        state = sell_form(make_state, token, query=query, path=path)
        assert state.not_found and state._listing_id == 0
    state = sell_form(make_state, token, path=f"/sell/{listing_id}")
    assert state.not_found and state._listing_id == 0 and state.values.get("title") != before.title

    for image_id in photos:
        call(state, "move_photo", image_id, 1)
        call(state, "make_cover", image_id)
        call(state, "remove_photo", image_id)
    call(state, "submit", {**FULL_FORM, "title": "Stolen"})
    call(state, "upload_photos", [upload(image())])
    assert state._listing_id != listing_id  # the intruder got a draft of their own

    mine = make_state(MyListingsState, token=token, path="/my/listings")
    call(mine, "load")
    call(mine, "toggle_pause", listing_id)
    call(mine, "mark_sold", listing_id)
    call(mine, "ask_delete", listing_id)
    call(mine, "confirm_delete")
    assert mine.error
    assert all(row.id != listing_id for row in mine.rows)

    after = listing(listing_id)
    assert (after.status, after.title, after.seller_id) == ("active", before.title, victim_id)
    assert image_ids(listing_id) == photos


def test_handlers_ignore_malformed_arguments(make_state, login_as, sports):
    _, token = login_as("seller@example.com")
    state = sell_form(make_state, token, query="draft=abc")
    assert state.not_found
    state = sell_form(make_state, token)
    call(state, "upload_photos", [{"file": "forged"}, "x", None])
    call(state, "upload_photos", "not a list")
    assert state.photos == [] and not state.uploading and state._listing_id == 0
    call(state, "rejected", [{"errors": "text"}, {"errors": [1, None]}, 7])
    assert state.errors["photos"]
    call(state, "remove_photo", None)
    call(state, "make_cover", {"id": 1})
    call(state, "choose", {"x": 1})
    assert state._intent == "publish"
    call(state, "submit", "not a form")
    assert "title" in state.errors
    mine = make_state(MyListingsState, token=token, path="/my/listings", query="status=<script>")
    call(mine, "load")
    assert mine.tab == "all"
    for bad in ("abc", "1.0", str(2**31), 2**63, True):
        call(mine, "toggle_pause", bad)
        call(mine, "ask_delete", bad)
        assert mine.confirm_id == 0


# -- my listings


def test_unpausing_after_a_new_blocked_term_waits_for_review_and_says_why(make_state, login_as):
    user_id, token = login_as("seller@example.com")
    listing_id = published_listing(user_id)
    mine = make_state(MyListingsState, token=token, path="/my/listings")
    call(mine, "load")
    call(mine, "toggle_pause", listing_id)
    with write_session() as s:
        s.add(BlockedTerm(term="lamp"))  # added while it was paused
    call(mine, "toggle_pause", listing_id)
    assert listing(listing_id).status == "pending"
    (row,) = mine.rows
    waiting = translate(settings.default_locale, "moderation.waiting_review")
    assert (row.status, row.note, mine.flash) == ("pending", waiting, waiting)
    assert not (row.can_pause or row.can_unpause)


def test_my_listings_pause_unpause_sell_and_delete(make_state, login_as):
    user_id, token = login_as("seller@example.com")
    listing_id = published_listing(user_id)
    mine = make_state(MyListingsState, token=token, path="/my/listings")
    call(mine, "load")
    (row,) = mine.rows
    assert row.id == listing_id and row.can_pause and row.status == "active"
    assert {t.key: t.count for t in mine.tabs} == {
        "all": 1,
        "active": 1,
        "draft": 0,
        "paused": 0,
        "sold": 0,
    }

    call(mine, "toggle_pause", listing_id)
    assert listing(listing_id).status == "paused" and mine.rows[0].can_unpause and mine.flash
    call(mine, "toggle_pause", listing_id)
    assert listing(listing_id).status == "active"
    call(mine, "mark_sold", listing_id)
    assert listing(listing_id).status == "sold"
    assert not mine.rows[0].can_pause and not mine.rows[0].can_mark_sold

    call(mine, "ask_delete", listing_id)
    assert mine.confirm_id == listing_id
    call(mine, "cancel_delete")
    assert mine.confirm_id == 0 and listing(listing_id).status == "sold"
    call(mine, "ask_delete", listing_id)
    call(mine, "confirm_delete")
    assert listing(listing_id).status == "removed" and mine.rows == []


def test_my_listings_tabs_filter_by_status(make_state, login_as):
    user_id, token = login_as("seller@example.com")
    active_id = published_listing(user_id)
    with write_session() as s:
        draft_id = listings.start_draft(s, user_id).id
    drafts = make_state(MyListingsState, token=token, path="/my/listings", query="status=draft")
    call(drafts, "load")
    assert drafts.tab == "draft" and [r.id for r in drafts.rows] == [draft_id]
    assert drafts.rows[0].edit_href == f"/sell?draft={draft_id}"
    active = make_state(MyListingsState, token=token, path="/my/listings", query="status=active")
    call(active, "load")
    assert [r.id for r in active.rows] == [active_id]
    assert active.rows[0].edit_href == f"/sell/{active_id}"
