"""Categories, listings (resident items and shop products) and their images."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, in_check, money_field, time_field

LISTING_KINDS = ("shop", "secondhand")
CONDITIONS = ("new", "like_new", "good", "fair", "poor")
# "pending": held for an operator because its text matched the blocklist.
LISTING_STATUSES = ("draft", "pending", "active", "paused", "sold", "removed")
# Where a held listing goes once approved, when not "active" (see services/blocklist).
HELD_FROM = ("paused", "sold")


class Category(SQLModel, table=True):
    """A browsing category. Its display name comes from the i18n catalogs."""

    __tablename__ = "categories"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="categories.id")
    position: int = Field(default=0)
    icon: str = Field(default="tag", max_length=40)


class Listing(SQLModel, table=True):
    """Something for sale: a resident's second-hand item or a shop product.

    ``lat``/``lon`` are the exact pickup spot and never leave the server;
    ``public_lat``/``public_lon`` are rounded (~200 m) for display and distance.
    Listings are soft-deleted (``status='removed'``, ``deleted_at``).
    ``text_cleared_at`` is when its title and description were last found fit
    to go live (none: never, since they last changed); ``held_from`` the
    status a held ("pending") listing returns to once approved, when not
    "active" (:mod:`marketplace_app.services.blocklist`).
    """

    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(in_check("kind", LISTING_KINDS), name="kind"),
        CheckConstraint(in_check("status", LISTING_STATUSES), name="status"),
        CheckConstraint(
            f"condition IS NULL OR {in_check('condition', CONDITIONS)}", name="condition"
        ),
        CheckConstraint("price_cents >= 0", name="price_nonneg"),
        CheckConstraint("sale_price_cents IS NULL OR sale_price_cents >= 0", name="sale_nonneg"),
        CheckConstraint("stock >= 0", name="stock_nonneg"),
        CheckConstraint(
            f"held_from IS NULL OR {in_check('held_from', HELD_FROM)}", name="held_from"
        ),
        CheckConstraint(
            "local_delivery_fee_cents IS NULL OR local_delivery_fee_cents >= 0",
            name="local_fee_nonneg",
        ),
        CheckConstraint(
            "courier_fee_cents IS NULL OR courier_fee_cents >= 0", name="courier_fee_nonneg"
        ),
        Index("ix_listings_status_created_at", "status", "created_at"),
        Index("ix_listings_category_id_status_created_at", "category_id", "status", "created_at"),
        Index("ix_listings_seller_id_status", "seller_id", "status"),
        Index("ix_listings_shop_id_status", "shop_id", "status"),
        Index("ix_listings_public_lat_public_lon", "public_lat", "public_lon"),
    )

    id: int | None = Field(default=None, primary_key=True)
    seller_id: int = Field(foreign_key="users.id")
    shop_id: int | None = Field(default=None, foreign_key="shops.id")
    kind: str = Field(max_length=12)
    category_id: int | None = Field(default=None, foreign_key="categories.id")
    title: str = Field(max_length=80)
    description: str = Field(default="", max_length=4000)
    condition: str | None = Field(default=None, max_length=12)
    price_cents: int = money_field(ge=0)
    sale_price_cents: int | None = money_field(default=None)
    sale_starts_at: datetime | None = time_field()
    sale_ends_at: datetime | None = time_field()
    negotiable: bool = Field(default=False)
    stock: int = Field(default=1)
    status: str = Field(default="active", max_length=12)
    district: str = Field(default="", max_length=60)
    lat: float | None = Field(default=None)
    lon: float | None = Field(default=None)
    public_lat: float | None = Field(default=None)
    public_lon: float | None = Field(default=None)
    pickup: bool = Field(default=True)
    local_delivery_fee_cents: int | None = money_field(default=None)
    courier_fee_cents: int | None = money_field(default=None)
    low_stock_threshold: int | None = Field(default=None)
    view_count: int = Field(default=0)
    import_key: str | None = Field(default=None, max_length=40, unique=True)
    created_at: datetime = created_field()
    updated_at: datetime = created_field()
    published_at: datetime | None = time_field()
    deleted_at: datetime | None = time_field()
    text_cleared_at: datetime | None = time_field()
    held_from: str | None = Field(default=None, max_length=12)


class ListingImage(SQLModel, table=True):
    """One photo of a listing. ``storage_key`` names its WebP renditions."""

    __tablename__ = "listing_images"
    __table_args__ = (UniqueConstraint("listing_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True)
    position: int = Field(default=0)
    storage_key: str = Field(max_length=80)
    width: int
    height: int
    alt: str = Field(default="", max_length=120)
    created_at: datetime = created_field()


class ListingVariant(SQLModel, table=True):
    """A buyable option of a shop product (e.g. 500 g / 1 kg) with its own price and stock.

    Every shop product has at least one (one with an empty label when it has
    no options) and sells through its variants; ``Listing.price_cents`` holds
    the lowest variant price (for cards and sorting) and ``Listing.stock`` the
    sum of variant stock.
    """

    __tablename__ = "listing_variants"
    __table_args__ = (
        UniqueConstraint("listing_id", "label"),
        CheckConstraint("price_cents >= 0", name="price_nonneg"),
        CheckConstraint("sale_price_cents IS NULL OR sale_price_cents >= 0", name="sale_nonneg"),
        CheckConstraint("stock >= 0", name="stock_nonneg"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True)
    label: str = Field(max_length=40)
    price_cents: int = money_field()
    sale_price_cents: int | None = money_field(default=None)
    stock: int = Field(default=0)
    position: int = Field(default=0)
    created_at: datetime = created_field()


class Favorite(SQLModel, table=True):
    """A heart: a user keeps a listing to come back to."""

    __tablename__ = "favorites"
    __table_args__ = (UniqueConstraint("user_id", "listing_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    listing_id: int = Field(foreign_key="listings.id", index=True)
    created_at: datetime = created_field()


class RecentView(SQLModel, table=True):
    """The last time a user looked at a listing (one row per pair, updated)."""

    __tablename__ = "recent_views"
    __table_args__ = (
        UniqueConstraint("user_id", "listing_id"),
        Index("ix_recent_views_user_id_viewed_at", "user_id", "viewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    listing_id: int = Field(foreign_key="listings.id")
    viewed_at: datetime = created_field()
