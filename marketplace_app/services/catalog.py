"""Catalog reads: categories, the home feed, a listing's page, simple browsing.

Full-text search with filters and distance lives in services/search (next
milestone); this module answers the pages a visitor clicks through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from marketplace_app.models import Category, Listing, ListingImage, Shop, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import listing_access, purchasable
from marketplace_app.services.errors import NotFound

MAX_PAGE = 60


@dataclass(frozen=True)
class Card:
    """What a listing card shows (prices in minor units)."""

    id: int
    title: str
    price_cents: int
    was_price_cents: int | None
    kind: str
    condition: str | None
    district: str
    cover_key: str | None
    seller_name: str
    shop_name: str | None
    status: str
    created_at: datetime
    distance_km: float | None = None


@dataclass(frozen=True)
class SellerCard:
    """The seller box on a listing page."""

    user_id: int
    name: str
    shop_id: int | None
    shop_name: str | None
    shop_slug: str | None
    rating_avg_x10: int | None
    rating_count: int
    member_since: datetime
    completion_rate: float | None = None
    no_shows: int = 0
    median_response_minutes: int | None = None


@dataclass(frozen=True)
class ListingDetail:
    """Everything the listing page shows (never the exact pickup spot).

    ``price_cents`` is the card's price (a product's lowest, "from");
    ``quotes`` says, per variant (or once for a resident's item), whether
    the viewer can buy it now and at what price (:mod:`purchasable`).
    """

    id: int
    title: str
    description: str
    category_slug: str
    kind: str
    condition: str | None
    price_cents: int
    was_price_cents: int | None
    sale_ends_at: datetime | None
    negotiable: bool
    stock: int
    status: str
    district: str
    public_lat: float | None
    public_lon: float | None
    pickup: bool
    local_delivery_fee_cents: int | None
    courier_fee_cents: int | None
    image_keys: list[str]
    image_alts: list[str]
    seller: SellerCard
    published_at: datetime | None
    is_own: bool
    view_count: int = 0
    quotes: list[purchasable.Quote] = field(default_factory=list)


def list_categories(session: Session) -> list[Category]:
    """Top-level categories in display order."""
    stmt = select(Category).where(Category.parent_id.is_(None)).order_by(Category.position)
    return list(session.exec(stmt).all())


def card_query():
    """SELECT of (listing, cover key, seller name, shop name), for building cards."""
    cover = (
        select(ListingImage.listing_id, func.min(ListingImage.position).label("pos"))
        .group_by(ListingImage.listing_id)
        .subquery()
    )
    return (
        select(Listing, ListingImage.storage_key, User.name, Shop.name)
        .join(User, User.id == Listing.seller_id)
        .outerjoin(Shop, Shop.id == Listing.shop_id)
        .outerjoin(cover, cover.c.listing_id == Listing.id)
        .outerjoin(
            ListingImage,
            and_(ListingImage.listing_id == Listing.id, ListingImage.position == cover.c.pos),
        )
    )


def cards(rows) -> list[Card]:
    """Cards from rows of :func:`card_query`, priced at this moment."""
    now = utcnow()
    return [_to_card(row, now) for row in rows]


def _to_card(row, now: datetime) -> Card:
    listing, cover_key, seller_name, shop_name = row
    price, was = purchasable.listing_price(listing, now)
    return Card(
        id=listing.id,
        title=listing.title,
        price_cents=price,
        was_price_cents=was,
        kind=listing.kind,
        condition=listing.condition,
        district=listing.district,
        cover_key=cover_key,
        seller_name=seller_name,
        shop_name=shop_name,
        status=listing.status,
        created_at=listing.created_at,
    )


def feed(
    session: Session,
    *,
    kind: str | None = None,
    category_slug: str | None = None,
    keyword: str = "",
    limit: int = 24,
    offset: int = 0,
) -> tuple[int, list[Card]]:
    """Active listings, newest first, optionally narrowed.

    Args:
        session: database session.
        kind: "shop" or "secondhand" to keep one kind.
        category_slug: keep one category.
        keyword: a plain substring of title or description.
        limit: page size (capped at MAX_PAGE).
        offset: rows to skip.

    Returns:
        (total matching, the page of cards).
    """
    conditions = [Listing.status == "active"]
    if kind in ("shop", "secondhand"):
        conditions.append(Listing.kind == kind)
    if category_slug:
        cat_id = session.exec(select(Category.id).where(Category.slug == category_slug)).first()
        if cat_id is None:
            return 0, []
        conditions.append(Listing.category_id == cat_id)
    keyword = keyword.strip()[:80]
    if keyword:
        pattern = "%" + keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Listing.title.ilike(pattern, escape="\\"),
                Listing.description.ilike(pattern, escape="\\"),
            )
        )
    total = session.exec(select(func.count()).select_from(Listing).where(*conditions)).one()
    stmt = (
        card_query()
        .where(*conditions)
        .order_by(Listing.created_at.desc(), Listing.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    )
    return total, cards(session.exec(stmt).all())


def seller_card(session: Session, seller_id: int, shop_id: int | None) -> SellerCard:
    """Name, shop and reputation of a seller (see :func:`reviews.reputation`)."""
    # Imported here: reviews builds on orders, which builds on search and this module.
    from marketplace_app.services import reviews

    user = session.get(User, seller_id)
    if user is None:
        raise NotFound()
    shop = session.get(Shop, shop_id) if shop_id else None
    rep = reviews.reputation(session, seller_id)
    return SellerCard(
        user_id=user.id,
        name=user.name,
        shop_id=shop.id if shop else None,
        shop_name=shop.name if shop else None,
        shop_slug=shop.slug if shop else None,
        rating_avg_x10=rep.avg_x10,
        rating_count=rep.count,
        member_since=user.created_at,
        completion_rate=rep.completion_rate,
        no_shows=rep.no_shows,
        median_response_minutes=rep.median_response_minutes,
    )


def listing_detail(session: Session, listing_id: int, viewer_id: int | None) -> ListingDetail:
    """A listing as its page shows it.

    Active and sold listings are public; drafts and paused ones only to their
    seller; removed ones to nobody.

    Raises:
        NotFound: absent, removed, or not visible to this viewer.
    """
    listing = session.get(Listing, listing_id)
    is_own = listing is not None and viewer_id is not None and listing.seller_id == viewer_id
    if listing is None or listing.status == "removed":
        raise NotFound()
    if not listing_access.is_public(listing) and not is_own:
        raise NotFound()
    images = session.exec(
        select(ListingImage)
        .where(ListingImage.listing_id == listing.id)
        .order_by(ListingImage.position)
    ).all()
    category = session.get(Category, listing.category_id)
    price, was = purchasable.listing_price(listing)
    return ListingDetail(
        id=listing.id,
        title=listing.title,
        description=listing.description,
        category_slug=category.slug if category else "",
        kind=listing.kind,
        condition=listing.condition,
        price_cents=price,
        was_price_cents=was,
        sale_ends_at=listing.sale_ends_at if was is not None else None,
        negotiable=listing.negotiable,
        stock=listing.stock,
        status=listing.status,
        district=listing.district,
        public_lat=listing.public_lat,
        public_lon=listing.public_lon,
        pickup=listing.pickup,
        local_delivery_fee_cents=listing.local_delivery_fee_cents,
        courier_fee_cents=listing.courier_fee_cents,
        image_keys=[img.storage_key for img in images],
        image_alts=[img.alt or listing.title for img in images],
        seller=seller_card(session, listing.seller_id, listing.shop_id),
        published_at=listing.published_at,
        is_own=is_own,
        view_count=listing.view_count,
        quotes=purchasable.listing_quotes(session, listing.id, buyer_id=viewer_id),
    )
