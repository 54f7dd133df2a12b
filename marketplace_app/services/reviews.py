"""Reviews after an order, replies, reports, hiding, and the reputation figures.

Who reviews whom: once an order is ``completed``, its buyer rates the seller
(and, for shop goods, the product: ``product_stars`` on the order's first
listing). For a resident (second-hand) sale the seller also rates the buyer.
One review per side per order; UNIQUE(order_id, author_id) backs the check.

Blind publishing: the review window is :data:`BLIND_DAYS` days from the
order's completion. A review stays unpublished until the other side has
reviewed too (then both are published at once) or the window ends (then the
timer job publishes it, :func:`due_to_publish` / :func:`publish`). No review
can be written after the window, so neither side ever answers the other's
score. A shop order has only one side that reviews, so there is nothing to
wait for: the buyer's review is published at once.

The subject of a published review (for a shop order: also the shop's staff)
may reply once, publicly. Anyone logged in, except its author, may report a
published review into the operator queue; a moderator hides a review with a
reason, never editing its words. Hidden reviews leave every list and figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace_app.models import (
    AuditEntry,
    Listing,
    Order,
    OrderLine,
    OrderTransition,
    Report,
    Review,
    Shop,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import inbox, listing_access, messaging, orders, reports, roles
from marketplace_app.services.errors import NotFound, OwnCase, ServiceError, ValidationFailed

BLIND_DAYS = 7
BLIND_WINDOW = timedelta(days=BLIND_DAYS)
MAX_PHOTOS = 5
TEXT_MAX = 2000
REPLY_MAX = 1000
REASON_MAX = 500
PAGE_MAX = 50
HIDE_ACTION = "review.hide"

E_NOT_OPEN = "error.review.not_open"
E_WINDOW = "error.review.window_closed"
E_ALREADY = "error.review.already"
E_NOT_YOURS = "error.review.not_reviewer"
E_STARS = "error.review.stars"
E_TOO_LONG = "error.review.too_long"
E_REPLIED = "error.review.replied"
E_REPLY_REQUIRED = "error.review.reply_required"
E_REASON_REQUIRED = "error.review.reason_required"
E_OWN = "error.review.own"


# -- reading


@dataclass(frozen=True)
class Reputation:
    """A member's figures, as seller cards and profiles show them.

    ``avg_x10`` is the average of the published, visible reviews about the
    member, times ten (None without reviews); ``count`` how many there are.
    ``completion_rate`` (0.0-1.0, None before any sale ended) is
    completed sales / (completed + sales cancelled by the seller + refunded
    sales); cancellations by the buyer, unpaid orders that expired and pickups
    the buyer never came for do not count against the seller.
    ``no_shows`` counts the member's own missed pickups as a buyer: orders the
    seller cancelled while they waited, ready, for the buyer.
    ``median_response_minutes`` is the median time from a buyer's first
    message in a conversation to the seller's first reply, in minutes
    (see :func:`messaging.median_first_response_minutes`); None before any
    reply.
    """

    avg_x10: int | None
    count: int
    completion_rate: float | None
    no_shows: int
    member_since: datetime
    median_response_minutes: int | None = None


@dataclass(frozen=True)
class PublicReview:
    """A published, visible review as a public list shows it."""

    id: int
    author_name: str
    author_role: str
    stars: int
    product_stars: int | None
    text: str
    photo_keys: list[str]
    reply_text: str
    replied_at: datetime | None
    published_at: datetime
    listing_title: str
    can_reply: bool
    can_report: bool


@dataclass(frozen=True)
class OrderReviews:
    """The review box on an order's page, for one of its parties."""

    role: str  # the caller's side: "buyer" or "seller"
    may_review: bool  # may write their review now
    rates_product: bool  # the buyer of shop goods rates the product too
    window_ends: datetime | None
    mine: Review | None
    theirs: Review | None  # the other side's review, once published and visible


def photo_keys(review: Review) -> list[str]:
    """The storage keys of a review's photos."""
    return [key for key in (review.photo_keys or "").split() if key]


def _order_by_number(session: Session, number: object) -> Order | None:
    if not isinstance(number, str) or not number or len(number) > 24:
        return None
    return session.exec(select(Order).where(Order.number == number)).first()


def completed_at(session: Session, order: Order) -> datetime | None:
    """When an order completed (None when it has not)."""
    if order.status != "completed":
        return None
    at = session.exec(
        select(func.max(OrderTransition.at)).where(
            OrderTransition.order_id == order.id, OrderTransition.to_status == "completed"
        )
    ).one()
    return at or order.updated_at


def _reviewing_side(order: Order, who: frozenset[str], user_id: int) -> str | None:
    """The side a party reviews from: the buyer always; the seller only of a resident sale."""
    if orders.BUYER in who:
        return orders.BUYER
    if order.shop_id is None and order.seller_id == user_id:
        return orders.SELLER
    return None


def _two_sided(order: Order) -> bool:
    return order.shop_id is None


def _review_of(session: Session, order_id: int, author_id: int) -> Review | None:
    return session.exec(
        select(Review).where(Review.order_id == order_id, Review.author_id == author_id)
    ).first()


def _other_review(session: Session, order: Order, author_id: int) -> Review | None:
    return session.exec(
        select(Review).where(Review.order_id == order.id, Review.author_id != author_id)
    ).first()


def order_reviews(
    session: Session, user_id: int, number: object, now: datetime | None = None
) -> OrderReviews:
    """What the review box of an order's page shows to one of its parties.

    Args:
        session: any session.
        user_id: the caller.
        number: the order number.
        now: the time to judge the window by.

    Returns:
        The caller's side, whether they may review now, their review and,
        once published, the other side's.

    Raises:
        NotFound: absent, or not the caller's order.
    """
    now = now or utcnow()
    order = _order_by_number(session, number)
    who = orders.viewer_roles(session, order, user_id) if order else frozenset()
    if order is None or not who:
        raise NotFound()
    side = _reviewing_side(order, who, user_id)
    done = completed_at(session, order)
    ends = done + BLIND_WINDOW if done else None
    mine = _review_of(session, order.id, user_id) if side else None
    theirs = None
    if side == orders.BUYER:
        theirs = _review_of(session, order.id, order.seller_id) if _two_sided(order) else None
    elif side == orders.SELLER:
        theirs = _review_of(session, order.id, order.buyer_id)
    if theirs is not None and (theirs.published_at is None or theirs.hidden_at is not None):
        theirs = None
    return OrderReviews(
        role=side or orders.SELLER,
        may_review=side is not None and mine is None and ends is not None and now < ends,
        rates_product=side == orders.BUYER and order.shop_id is not None,
        window_ends=ends,
        mine=mine,
        theirs=theirs,
    )


def _visible():
    return (col(Review.published_at).is_not(None), col(Review.hidden_at).is_(None))


def _may_reply(session: Session, review: Review, user_id: int | None) -> bool:
    """Whether a user speaks for the subject of a review (the subject, or its shop's staff)."""
    if user_id is None:
        return False
    if review.subject_id == user_id:
        return True
    if review.author_role != orders.BUYER:
        return False
    shop_id = session.exec(select(Order.shop_id).where(Order.id == review.order_id)).first()
    return shop_id is not None and shop_id in roles.shop_ids_for(session, user_id)


def _public(session: Session, stmt, viewer_id: int | None, limit: int) -> list[PublicReview]:
    rows = session.exec(
        stmt.where(*_visible())
        .order_by(col(Review.published_at).desc(), col(Review.id).desc())
        .limit(max(1, min(int(limit), PAGE_MAX)))
    ).all()
    reviews = list(rows)
    if not reviews:
        return []
    author_ids = {r.author_id for r in reviews}
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(author_ids))).all())
    order_ids = {r.order_id for r in reviews}
    titles: dict[int, str] = {}
    for order_id, title in session.exec(
        select(OrderLine.order_id, OrderLine.title)
        .where(col(OrderLine.order_id).in_(order_ids))
        .order_by(OrderLine.id)
    ).all():
        titles.setdefault(order_id, title)
    staff_shops = set(roles.shop_ids_for(session, viewer_id)) if viewer_id else set()
    shop_of = (
        dict(
            session.exec(select(Order.id, Order.shop_id).where(col(Order.id).in_(order_ids))).all()
        )
        if staff_shops
        else {}
    )
    found = []
    for r in reviews:
        speaks = viewer_id is not None and (
            r.subject_id == viewer_id
            or (r.author_role == orders.BUYER and shop_of.get(r.order_id) in staff_shops)
        )
        found.append(
            PublicReview(
                id=r.id,
                author_name=names.get(r.author_id, ""),
                author_role=r.author_role,
                stars=r.stars,
                product_stars=r.product_stars,
                text=r.text,
                photo_keys=photo_keys(r),
                reply_text=r.reply_text,
                replied_at=r.replied_at,
                published_at=r.published_at,
                listing_title=titles.get(r.order_id, ""),
                can_reply=speaks and not r.reply_text,
                can_report=viewer_id is not None and viewer_id != r.author_id,
            )
        )
    return found


def reviews_of_user(
    session: Session, subject_id: int, viewer_id: int | None = None, *, limit: int = 20
) -> list[PublicReview]:
    """Published, visible reviews about a member, newest first.

    Args:
        session: any session.
        subject_id: the member reviewed.
        viewer_id: the logged-in viewer (decides reply and report links), if any.
        limit: at most this many (capped at 50).

    Returns:
        The reviews.
    """
    return _public(session, select(Review).where(Review.subject_id == subject_id), viewer_id, limit)


def reviews_of_shop(
    session: Session, shop_id: int, viewer_id: int | None = None, *, limit: int = 20
) -> list[PublicReview]:
    """Published, visible buyers' reviews of a shop's orders, newest first.

    Args:
        session: any session.
        shop_id: the shop.
        viewer_id: the logged-in viewer, if any.
        limit: at most this many (capped at 50).

    Returns:
        The reviews.
    """
    stmt = (
        select(Review)
        .join(Order, Order.id == Review.order_id)
        .where(Order.shop_id == shop_id, Review.author_role == orders.BUYER)
    )
    return _public(session, stmt, viewer_id, limit)


@dataclass(frozen=True)
class ListingReviews:
    """The reviews part of a listing's page."""

    reviews: list[PublicReview]
    is_shop: bool
    product_avg_x10: int | None
    product_count: int


def for_listing(
    session: Session, listing_id: int, viewer_id: int | None = None, *, limit: int = 10
) -> ListingReviews:
    """Reviews about a public listing's seller, and for a shop product its product rating.

    Args:
        session: any session.
        listing_id: the listing.
        viewer_id: the logged-in viewer, if any.
        limit: at most this many reviews.

    Returns:
        The reviews and product figures.

    Raises:
        NotFound: absent or not public.
    """
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if not listing_access.is_public(listing):
        raise NotFound()
    avg, count = product_rating(session, listing.id) if listing.kind == "shop" else (None, 0)
    return ListingReviews(
        reviews=reviews_of_user(session, listing.seller_id, viewer_id, limit=limit),
        is_shop=listing.kind == "shop",
        product_avg_x10=avg,
        product_count=count,
    )


def for_shop(
    session: Session, slug: object, viewer_id: int | None = None, *, limit: int = 20
) -> tuple[tuple[int | None, int], list[PublicReview]]:
    """An approved shop's rating (average times ten, count) and its buyers' reviews.

    Raises:
        NotFound: no approved shop has this slug.
    """
    shop = None
    if isinstance(slug, str) and 0 < len(slug) <= 80:
        shop = session.exec(select(Shop).where(Shop.slug == slug)).first()
    if shop is None or shop.status != "approved":
        raise NotFound()
    return shop_rating(session, shop.id), reviews_of_shop(session, shop.id, viewer_id, limit=limit)


def _avg_x10(avg: object, count: int) -> int | None:
    return round(float(avg) * 10) if count else None


def shop_rating(session: Session, shop_id: int) -> tuple[int | None, int]:
    """A shop's average (times ten) and count of published, visible buyers' reviews."""
    avg, count = session.exec(
        select(func.avg(Review.stars), func.count(Review.id))
        .join(Order, Order.id == Review.order_id)
        .where(Order.shop_id == shop_id, Review.author_role == orders.BUYER, *_visible())
    ).one()
    return _avg_x10(avg, count), count


def product_rating(session: Session, listing_id: int) -> tuple[int | None, int]:
    """A product's average of ``product_stars`` (times ten) and how many rated it."""
    avg, count = session.exec(
        select(func.avg(Review.product_stars), func.count(Review.id)).where(
            Review.listing_id == listing_id, col(Review.product_stars).is_not(None), *_visible()
        )
    ).one()
    return _avg_x10(avg, count), count


def reputation(session: Session, user_id: int) -> Reputation:
    """A member's reputation figures (see :class:`Reputation` for how each is computed).

    Args:
        session: any session.
        user_id: the member.

    Returns:
        The figures.

    Raises:
        NotFound: no such member.
    """
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None:
        raise NotFound()
    avg, count = session.exec(
        select(func.avg(Review.stars), func.count(Review.id)).where(
            Review.subject_id == user_id, *_visible()
        )
    ).one()
    ended = dict(
        session.exec(
            select(Order.status, func.count(Order.id))
            .where(Order.seller_id == user_id, col(Order.status).in_(("completed", "refunded")))
            .group_by(Order.status)
        ).all()
    )
    # Who cancelled: the transition's actor; from ready_for_pickup it is a buyer no-show.
    cancelled = select(func.count(Order.id)).join(
        OrderTransition,
        (OrderTransition.order_id == Order.id) & (OrderTransition.to_status == "cancelled"),
    )
    by_seller = session.exec(
        cancelled.where(
            Order.seller_id == user_id,
            Order.status == "cancelled",
            col(OrderTransition.actor_id).is_not(None),
            OrderTransition.actor_id != Order.buyer_id,
            OrderTransition.from_status != "ready_for_pickup",
        )
    ).one()
    no_shows = session.exec(
        cancelled.where(
            Order.buyer_id == user_id,
            Order.status == "cancelled",
            col(OrderTransition.actor_id).is_not(None),
            OrderTransition.actor_id != Order.buyer_id,
            OrderTransition.from_status == "ready_for_pickup",
        )
    ).one()
    completed = ended.get("completed", 0)
    counted = completed + ended.get("refunded", 0) + by_seller
    return Reputation(
        avg_x10=_avg_x10(avg, count),
        count=count,
        completion_rate=completed / counted if counted else None,
        no_shows=no_shows,
        member_since=user.created_at,
        median_response_minutes=messaging.median_first_response_minutes(session, user_id),
    )


# -- writing


def _stars(value: object, field: str, errors: dict[str, str]) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
        return value
    errors[field] = E_STARS
    return None


def _notify_published(session: Session, order: Order, reviews: list[Review]) -> None:
    for review in reviews:
        inbox.notify(
            session,
            review.subject_id,
            "inbox.review.published",
            {"number": order.number, "stars": review.stars},
            orders.link(order.number),
        )


def _publish_now(session: Session, order: Order, reviews: list[Review], now: datetime) -> None:
    published = []
    for review in reviews:
        done = session.exec(
            update(Review)
            .where(Review.id == review.id, col(Review.published_at).is_(None))
            .values(published_at=now)
            .execution_options(synchronize_session=False)
        )
        session.refresh(review)
        if done.rowcount == 1:
            published.append(review)
    _notify_published(session, order, published)


def submit(
    session: Session,
    user_id: int,
    number: object,
    *,
    stars: object,
    text: object,
    product_stars: object = None,
    photos: object = (),
    now: datetime | None = None,
) -> Review:
    """Write the caller's review of the other side of a completed order.

    Args:
        session: a write session.
        user_id: the caller (the buyer; or the seller of a resident sale).
        number: the order number.
        stars: 1-5.
        text: what they say (up to 2000 characters, may be empty).
        product_stars: 1-5 for the product (the buyer of shop goods only; ignored otherwise).
        photos: up to 5 storage keys from :func:`orders.store_photos`.
        now: the moment (defaults to now).

    Returns:
        The review (published at once when the other side already reviewed,
        or when there is no other side).

    Raises:
        NotFound: absent, or not the caller's order.
        ServiceError: not completed (``error.review.not_open``), the window
            closed, a second review, or a party that does not review (shop staff).
        ValidationFailed: ``stars``, ``product_stars``, ``text`` or ``photos``.
    """
    order = _order_by_number(session, number)
    who = orders.viewer_roles(session, order, user_id) if order else frozenset()
    if order is None or not who:
        raise NotFound()
    if order.status != "completed":
        raise ServiceError(E_NOT_OPEN)
    side = _reviewing_side(order, who, user_id)
    if side is None:
        raise ServiceError(E_NOT_YOURS)
    now = now or utcnow()
    if now >= completed_at(session, order) + BLIND_WINDOW:
        raise ServiceError(E_WINDOW)
    if _review_of(session, order.id, user_id) is not None:
        raise ServiceError(E_ALREADY)
    errors: dict[str, str] = {}
    rating = _stars(stars, "stars", errors)
    rates_product = side == orders.BUYER and order.shop_id is not None
    product = None
    if rates_product and product_stars is not None:
        product = _stars(product_stars, "product_stars", errors)
    words = text.strip() if isinstance(text, str) else ""
    if len(words) > TEXT_MAX:
        errors["text"] = E_TOO_LONG
    if errors:
        raise ValidationFailed(errors, max=TEXT_MAX)
    keys = orders.checked_photo_keys(photos, MAX_PHOTOS)
    first_line = session.exec(
        select(OrderLine.listing_id).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    ).first()
    review = Review(
        order_id=order.id,
        author_id=user_id,
        subject_id=order.seller_id if side == orders.BUYER else order.buyer_id,
        listing_id=first_line,
        author_role=side,
        stars=rating,
        product_stars=product,
        text=words,
        photo_keys=" ".join(keys),
        created_at=now,
    )
    session.add(review)
    session.flush()
    if not _two_sided(order):
        _publish_now(session, order, [review], now)
        return review
    other = _other_review(session, order, user_id)
    if other is not None:
        _publish_now(session, order, [other, review], now)
    else:
        inbox.notify(
            session,
            review.subject_id,
            "inbox.review.your_turn",
            {"number": order.number},
            orders.link(order.number),
        )
    return review


def due_to_publish(session: Session, now: datetime, *, limit: int = 100) -> list[int]:
    """Unpublished reviews whose order completed over :data:`BLIND_DAYS` days ago.

    Args:
        session: any session.
        now: the current time.
        limit: at most this many.

    Returns:
        Review ids, oldest first.
    """
    done = (
        select(OrderTransition.order_id, func.max(OrderTransition.at).label("at"))
        .where(OrderTransition.to_status == "completed")
        .group_by(OrderTransition.order_id)
        .subquery()
    )
    return list(
        session.exec(
            select(Review.id)
            .join(done, done.c.order_id == Review.order_id)
            .where(col(Review.published_at).is_(None), done.c.at <= now - BLIND_WINDOW)
            .order_by(Review.id)
            .limit(limit)
        )
    )


def publish(session: Session, review_id: int, now: datetime) -> bool:
    """Publish one review whose blind window ended (the timer job's step).

    Args:
        session: a write session.
        review_id: the review.
        now: the current time.

    Returns:
        True when it was published now (False: already published or not due).
    """
    review = session.get(Review, review_id)
    if review is None or review.published_at is not None:
        return False
    order = session.get(Order, review.order_id)
    done = completed_at(session, order) if order else None
    if done is None or done + BLIND_WINDOW > now:
        return False
    _publish_now(session, order, [review], now)
    return review.published_at is not None


def _published(session: Session, review_id: object) -> Review:
    review = session.get(Review, review_id) if isinstance(review_id, int) else None
    if review is None or review.published_at is None or review.hidden_at is not None:
        raise NotFound()
    return review


def reply(session: Session, user_id: int, review_id: int, text: object) -> Review:
    """The subject of a published review answers it, once, publicly.

    Args:
        session: a write session.
        user_id: the subject (or staff of the shop the review is about).
        review_id: the review.
        text: the reply (1-1000 characters).

    Returns:
        The review with its reply.

    Raises:
        NotFound: absent, unpublished, hidden, or not about the caller.
        ServiceError: ``error.review.replied`` when it already has a reply.
        ValidationFailed: ``reply`` empty or too long.
    """
    review = _published(session, review_id)
    if not _may_reply(session, review, user_id):
        raise NotFound()
    words = text.strip() if isinstance(text, str) else ""
    if not words:
        raise ValidationFailed({"reply": E_REPLY_REQUIRED})
    if len(words) > REPLY_MAX:
        raise ValidationFailed({"reply": E_TOO_LONG}, max=REPLY_MAX)
    now = utcnow()
    done = session.exec(
        update(Review)
        .where(Review.id == review.id, Review.reply_text == "", col(Review.replied_at).is_(None))
        .values(reply_text=words, replied_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        raise ServiceError(E_REPLIED)
    session.refresh(review)
    order = session.get(Order, review.order_id)
    inbox.notify(
        session,
        review.author_id,
        "inbox.review.reply",
        {"number": order.number},
        orders.link(order.number),
    )
    return review


def report(
    session: Session, reporter_id: int, review_id: int, *, reason: object, text: object = ""
) -> Report:
    """Report a published review to the operators (one open report per reporter and review).

    Args:
        session: a write session.
        reporter_id: the logged-in reporter (not the review's author).
        review_id: the review.
        reason: one of ``REPORT_REASONS``.
        text: details (up to 1000 characters; required for "other").

    Returns:
        The open report.

    Raises:
        NotFound: absent, unpublished or hidden.
        ValidationFailed: ``reason``/``text``; ``_form`` for one's own review.
    """
    review = _published(session, review_id)
    reason, words = reports.checked(reason, text)
    if review.author_id == reporter_id:
        raise ValidationFailed({"_form": E_OWN})
    return reports.file(session, reporter_id, "review", review.id, reason, words)


def concerns(session: Session, user_id: int, review: Review) -> bool:
    """Whether a review is the user's own business: they are a party to its order.

    That is its author, its subject, or staff of the order's shop.
    """
    order = session.get(Order, review.order_id)
    return order is not None and bool(orders.viewer_roles(session, order, user_id))


def hide(
    session: Session,
    operator_id: int,
    review_id: int | None,
    reason: object,
    *,
    report_id: int | None = None,
) -> Review:
    """A moderator hides a review with a reason (its words stay as written).

    Open reports of the review are closed as actioned; an audit entry records it.

    Args:
        session: a write session.
        operator_id: the moderator or admin.
        review_id: the review (or give ``report_id``).
        reason: why (1-500 characters).
        report_id: an open report of the review, when acting from the queue.

    Returns:
        The hidden review.

    Raises:
        PermissionDenied: not a moderator.
        NotFound: no such review (or report), or already hidden.
        ValidationFailed: ``reason`` missing or too long.
        OwnCase: the operator is a party to the review's order (its author or subject).
    """
    roles.require_staff(session, operator_id)
    words = reason.strip() if isinstance(reason, str) else ""
    if not words:
        raise ValidationFailed({"reason": E_REASON_REQUIRED})
    if len(words) > REASON_MAX:
        raise ValidationFailed({"reason": E_TOO_LONG}, max=REASON_MAX)
    if report_id is not None:
        found = session.get(Report, report_id) if isinstance(report_id, int) else None
        if found is None or found.target_type != "review" or found.status != "open":
            raise NotFound()
        review_id = found.target_id
    review = session.get(Review, review_id) if isinstance(review_id, int) else None
    if review is None or review.hidden_at is not None:
        raise NotFound()
    if concerns(session, operator_id, review):
        raise OwnCase()
    now = utcnow()
    review.hidden_at = now
    review.hidden_reason = words
    session.add(review)
    for open_report in session.exec(
        select(Report).where(
            Report.target_type == "review", Report.target_id == review.id, Report.status == "open"
        )
    ).all():
        open_report.status = "actioned"
        open_report.handled_by = operator_id
        open_report.handled_at = now
        open_report.resolution = words
        session.add(open_report)
    session.add(
        AuditEntry(
            actor_id=operator_id,
            action=HIDE_ACTION,
            target_type="review",
            target_id=review.id,
            reason=words,
        )
    )
    session.flush()
    return review


# -- the operator queue


@dataclass(frozen=True)
class ReviewReportRow:
    """One open report of a review, with the review in context."""

    id: int
    reason: str
    text: str
    created_at: datetime
    reporter_name: str
    review_id: int
    stars: int
    review_text: str
    author_name: str
    subject_name: str
    shop_name: str | None
    open_reports: int
    mine: bool = False


def open_review_reports(
    session: Session, actor_id: int, *, limit: int = 50
) -> list[ReviewReportRow]:
    """Open reports of reviews, oldest first, each with the review (moderators only).

    ``mine`` marks the reports of reviews the reader is a party to
    (:func:`concerns`): another operator must decide those.

    Raises:
        PermissionDenied: the caller is not a moderator.
    """
    roles.require_staff(session, actor_id)
    reporter = User.__table__.alias("reporter")
    author = User.__table__.alias("author")
    subject = User.__table__.alias("subject")
    counts = (
        select(Report.target_id, func.count().label("n"))
        .where(Report.target_type == "review", Report.status == "open")
        .group_by(Report.target_id)
        .subquery()
    )
    stmt = (
        select(
            Report, Review, reporter.c.name, author.c.name, subject.c.name, Shop.name, counts.c.n
        )
        .join(Review, Review.id == Report.target_id)
        .join(Order, Order.id == Review.order_id)
        .outerjoin(Shop, Shop.id == Order.shop_id)
        .join(reporter, reporter.c.id == Report.reporter_id)
        .join(author, author.c.id == Review.author_id)
        .join(subject, subject.c.id == Review.subject_id)
        .join(counts, counts.c.target_id == Review.id)
        .where(Report.target_type == "review", Report.status == "open")
        .order_by(col(Report.created_at), col(Report.id))
        .limit(max(1, min(limit, 200)))
    )
    return [
        ReviewReportRow(
            id=rep.id,
            reason=rep.reason,
            text=rep.text,
            created_at=rep.created_at,
            reporter_name=reporter_name,
            review_id=review.id,
            stars=review.stars,
            review_text=review.text,
            author_name=author_name,
            subject_name=subject_name,
            shop_name=shop_name if review.author_role == orders.BUYER else None,
            open_reports=n,
            mine=concerns(session, actor_id, review),
        )
        for rep, review, reporter_name, author_name, subject_name, shop_name, n in session.exec(
            stmt
        ).all()
    ]
