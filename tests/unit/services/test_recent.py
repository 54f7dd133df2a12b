from marketplace_app.models import Listing
from marketplace_app.services import recent
from tests.unit.services.test_favorites import _listing, _user


def test_views_count_for_others_and_are_remembered(session):
    me, seller = _user(session, "me@x.com"), _user(session, "s@x.com")
    lamp, chair = _listing(session, seller, title="Lamp"), _listing(session, seller, title="Chair")
    recent.record_view(session, lamp.id, me.id)
    recent.record_view(session, chair.id, me.id)
    recent.record_view(session, lamp.id, None)
    recent.record_view(session, lamp.id, me.id)
    session.flush()
    session.expire_all()
    assert session.get(Listing, lamp.id).view_count == 3
    assert [c.title for c in recent.recently_viewed(session, me.id)] == ["Lamp", "Chair"]


def test_the_seller_looking_at_their_own_listing_counts_nothing(session):
    seller = _user(session, "s@x.com")
    lamp = _listing(session, seller)
    recent.record_view(session, lamp.id, seller.id)
    session.expire_all()
    assert session.get(Listing, lamp.id).view_count == 0
    assert recent.recently_viewed(session, seller.id) == []


def test_only_the_latest_views_are_kept_and_inactive_ones_hidden(session):
    me, seller = _user(session, "me@x.com"), _user(session, "s@x.com")
    items = [_listing(session, seller, title=f"Item {i}") for i in range(recent.KEEP + 5)]
    for item in items:
        recent.record_view(session, item.id, me.id)
    session.flush()
    shown = recent.recently_viewed(session, me.id, limit=60)
    assert len(shown) == recent.KEEP
    items[-1].status = "sold"
    session.flush()
    assert recent.recently_viewed(session, me.id, limit=1)[0].title == f"Item {recent.KEEP + 3}"
