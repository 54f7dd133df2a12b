import pytest
from sqlmodel import select

from marketplace_app.models import Category, Listing, User
from marketplace_app.services import favorites
from marketplace_app.services.errors import NotFound


def _user(session, email):
    user = User(name=email, email=email, password_hash="!")
    session.add(user)
    session.flush()
    return user


def _listing(session, seller, status="active", title="Lamp"):
    cat = session.exec(select(Category)).first() or Category(slug="home")
    session.add(cat)
    session.flush()
    listing = Listing(
        seller_id=seller.id,
        kind="secondhand",
        category_id=cat.id,
        title=title,
        price_cents=500,
        condition="good",
        status=status,
    )
    session.add(listing)
    session.flush()
    return listing


def test_toggle_adds_then_removes(session):
    me, seller = _user(session, "me@x.com"), _user(session, "s@x.com")
    lamp = _listing(session, seller)
    assert favorites.toggle(session, me.id, lamp.id) is True
    assert favorites.favorite_ids(session, me.id) == [lamp.id]
    assert favorites.count_for(session, lamp.id) == 1
    assert favorites.toggle(session, me.id, lamp.id) is False
    assert favorites.favorite_ids(session, me.id) == []


@pytest.mark.parametrize("status", ["draft", "paused", "removed"])
def test_hidden_listings_cannot_be_hearted(session, status):
    me, seller = _user(session, "me@x.com"), _user(session, "s@x.com")
    with pytest.raises(NotFound):
        favorites.toggle(session, me.id, _listing(session, seller, status=status).id)
    with pytest.raises(NotFound):
        favorites.toggle(session, me.id, 99999)


def test_favorites_page_lists_newest_first_and_skips_removed(session):
    me, seller = _user(session, "me@x.com"), _user(session, "s@x.com")
    first, second = (
        _listing(session, seller, title="First"),
        _listing(session, seller, title="Second"),
    )
    favorites.toggle(session, me.id, first.id)
    favorites.toggle(session, me.id, second.id)
    total, cards = favorites.favorites(session, me.id)
    assert total == 2 and {c.title for c in cards} == {"First", "Second"}
    second.status = "removed"
    session.flush()
    total, cards = favorites.favorites(session, me.id)
    assert total == 1 and [c.title for c in cards] == ["First"]


def test_others_favorites_are_not_mine(session):
    me, other, seller = (
        _user(session, "me@x.com"),
        _user(session, "o@x.com"),
        _user(session, "s@x.com"),
    )
    favorites.toggle(session, other.id, _listing(session, seller).id)
    assert favorites.favorites(session, me.id) == (0, [])
