"""Whether a listing (or one variant of it) can be bought now, by whom, and at what price.

This is the one place that answers the question. The listing page, the cart,
checkout, offers and the share page all ask it, so an item a buyer can put in
the cart is an item checkout will sell at the price the page showed.

The product model it relies on: a resident's second-hand item has no
variants and sells itself (one unit, ``Listing.price_cents``). A shop product
always has at least one :class:`ListingVariant` (a product without options
has a single variant with an empty label; every path that creates products
makes one) and sells its variants; the listing's own price and stock are
derived from them (see :func:`marketplace_app.services.products.derive`).

The verdict is a :class:`Quote`: the price this buyer would pay now (the sale
price while the product's sale window is open; the agreed price when an
accepted offer holds the item for this buyer), the stock, and the first
problem that stops the purchase, most serious first:

``own``            the buyer's own listing
``unavailable``    not on sale: a draft, paused, pending or removed listing,
                   a shop that is not approved, or a variant that is gone
``sold``           a one-off item that has been sold
``blocked``        the buyer and the seller have blocked each other
``choose_variant`` a product with several variants, none chosen
``sold_out``       no stock left
``reserved``       an accepted offer holds it for another buyer (``until``)
``above_stock``    fewer left than the quantity asked for (``left``)

Callers word the problem for their page; they never re-derive it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from marketplace_app.models import Listing, ListingVariant, Offer, Shop
from marketplace_app.models.types import utcnow
from marketplace_app.services import blocks, offer_holds

OWN = "own"
UNAVAILABLE = "unavailable"
SOLD = "sold"
BLOCKED = "blocked"
CHOOSE_VARIANT = "choose_variant"
SOLD_OUT = "sold_out"
RESERVED = "reserved"
ABOVE_STOCK = "above_stock"

MAX_QUANTITY = 99  # per cart line, whatever the stock

# Problems after which no quantity at all can be bought.
_NOTHING = frozenset({OWN, UNAVAILABLE, SOLD, BLOCKED, CHOOSE_VARIANT, SOLD_OUT, RESERVED})


@dataclass(frozen=True)
class Quote:
    """One listing (or variant) as a given buyer could buy it right now.

    Attributes:
        variant_id: the variant that would be sold (the only one of a
            single-variant product, even when none was named); None for a
            resident's item, or when a choice is still needed.
        price_cents: what one costs this buyer now.
        was_price_cents: struck through next to it: the regular price during
            a sale, or the asking price when an accepted offer set the price.
        list_price_cents: the price anyone pays now (before an agreed offer).
        stock: units left of the listing or variant.
        one_off: a resident's item (quantity is always exactly 1).
        problem: None when it can be bought, else one of the module's codes.
        params: values for the problem's message (``left``, ``until``).
        offer_id: the accepted offer that prices it for this buyer.
    """

    listing_id: int
    variant_id: int | None
    label: str
    price_cents: int
    was_price_cents: int | None
    list_price_cents: int
    stock: int
    one_off: bool
    problem: str | None = None
    params: dict = field(default_factory=dict)
    offer_id: int | None = None

    @property
    def ok(self) -> bool:
        """Whether it can be bought as asked."""
        return self.problem is None

    @property
    def max_quantity(self) -> int:
        """The most one cart line may hold now (0 when none can be bought)."""
        if self.problem in _NOTHING:
            return 0
        return 1 if self.one_off else max(0, min(self.stock, MAX_QUANTITY))


# --- prices ---------------------------------------------------------------------------


def sale_is_on(listing: Listing, now: datetime | None = None) -> bool:
    """Whether the listing's sale window is open at ``now`` (open ends count as open)."""
    now = now or utcnow()
    return (listing.sale_starts_at is None or listing.sale_starts_at <= now) and (
        listing.sale_ends_at is None or now < listing.sale_ends_at
    )


def _sale(regular: int, sale: int | None, on: bool) -> tuple[int, int | None]:
    if on and sale is not None and sale < regular:
        return sale, regular
    return regular, None


def listing_price(listing: Listing, now: datetime | None = None) -> tuple[int, int | None]:
    """The price a card shows: for a product, its lowest variant price ("from").

    Args:
        listing: the listing.
        now: the moment to price at (defaults to now).

    Returns:
        (price_cents, the regular price struck through during a sale, or None).
    """
    return _sale(listing.price_cents, listing.sale_price_cents, sale_is_on(listing, now))


def variant_price(
    listing: Listing, variant: ListingVariant, now: datetime | None = None
) -> tuple[int, int | None]:
    """What one unit of a variant costs now, and its regular price during a sale."""
    return _sale(variant.price_cents, variant.sale_price_cents, sale_is_on(listing, now))


# --- the verdict ------------------------------------------------------------------------


def judge(
    listing: Listing,
    variant_id: int | None,
    *,
    variants: Sequence[ListingVariant],
    shop: Shop | None,
    buyer_id: int | None,
    hold: Offer | None = None,
    blocked: bool = False,
    quantity: int = 1,
    now: datetime | None = None,
) -> Quote:
    """Whether ``buyer_id`` can buy ``quantity`` of a listing (or one of its variants) now.

    Pure: everything it needs is passed in (:func:`quotes` loads it in a few
    queries for many lines at once).

    Args:
        listing: the listing.
        variant_id: the chosen variant, or None (a resident's item, or a
            product whose only variant is then taken).
        variants: all variants of the listing (empty for a resident's item).
        shop: the listing's shop (None for a resident's item).
        buyer_id: the buyer, or None for a visitor.
        hold: the accepted offer holding the listing now, if any.
        blocked: whether the buyer and the seller have blocked each other.
        quantity: units wanted.
        now: the moment to price at (defaults to now).

    Returns:
        The quote (see the module docstring for the problems, in order).
    """
    now = now or utcnow()
    one_off = listing.kind != "shop"
    variant = None
    gone = False
    if one_off:
        gone = variant_id is not None
    elif variant_id is not None:
        variant = next((v for v in variants if v.id == variant_id), None)
        gone = variant is None
    elif len(variants) == 1:
        variant = variants[0]
    if variant is not None:
        price, was = variant_price(listing, variant, now)
        stock, label = variant.stock, variant.label
    else:
        price, was = listing_price(listing, now)
        stock, label = listing.stock, ""
    quote = Quote(
        listing_id=listing.id,
        variant_id=variant.id if variant is not None else None,
        label=label,
        price_cents=price,
        was_price_cents=was,
        list_price_cents=price,
        stock=stock,
        one_off=one_off,
    )
    held_for_buyer = (
        hold is not None and one_off and buyer_id is not None and hold.buyer_id == buyer_id
    )
    if held_for_buyer:
        quote = _with(quote, price_cents=hold.agreed_cents, was_price_cents=price, offer_id=hold.id)
    problem, params = _problem(
        listing, variant, variants, shop, buyer_id, hold, blocked, gone, quantity, stock, now
    )
    return _with(quote, problem=problem, params=params) if problem else quote


def _with(quote: Quote, **changes) -> Quote:
    return Quote(**{**quote.__dict__, **changes})


def _problem(
    listing: Listing,
    variant: ListingVariant | None,
    variants: Sequence[ListingVariant],
    shop: Shop | None,
    buyer_id: int | None,
    hold: Offer | None,
    blocked: bool,
    gone: bool,
    quantity: int,
    stock: int,
    now: datetime,
) -> tuple[str | None, dict]:
    if buyer_id is not None and listing.seller_id == buyer_id:
        return OWN, {}
    if listing.status == "sold" and listing.kind != "shop":
        return SOLD, {}
    if (
        listing.status != "active"
        or listing.deleted_at is not None
        or (listing.shop_id is not None and (shop is None or shop.status != "approved"))
        or gone
        or (listing.kind == "shop" and not variants)
    ):
        return UNAVAILABLE, {}
    if blocked:
        return BLOCKED, {}
    if listing.kind == "shop" and variant is None:
        return CHOOSE_VARIANT, {}
    if stock <= 0:
        return SOLD_OUT, {}
    reserved = held_for_another(listing, hold, buyer_id, now)
    if reserved is not None:
        return reserved
    if quantity > stock or (listing.kind != "shop" and quantity != 1):
        return ABOVE_STOCK, {"left": stock}
    return None, {}


def on_sale(listing: Listing) -> bool:
    """Whether a listing is on the market at all now (for anyone, whoever asks).

    Offers use this to tell an item that has gone (sold, paused, removed,
    out of stock) from one that is only held or not for a given buyer.
    """
    return listing.status == "active" and listing.deleted_at is None and listing.stock > 0


def held_for_another(
    listing: Listing, hold: Offer | None, buyer_id: int | None, now: datetime
) -> tuple[str, dict] | None:
    """The ``reserved`` problem when an accepted offer holds a one-off for someone else.

    Checkout asks this again once it holds the listings' row locks, so an
    offer accepted meanwhile is never overtaken.

    Returns:
        (``reserved``, ``{"until": ...}``), or None when the buyer may have it.
    """
    if hold is None or listing.kind == "shop" or hold.buyer_id == buyer_id:
        return None
    return RESERVED, offer_holds.reserved_params(hold, now)


# --- loading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Want:
    """One thing a buyer wants: a listing, maybe a variant, and how many."""

    listing_id: int
    variant_id: int | None = None
    quantity: int = 1


@dataclass
class Facts:
    """What :func:`judge` needs for a set of listings, loaded in a few queries.

    Attributes:
        listings: listing id -> listing (absent ids are missing).
        variants: listing id -> its variants in the shop's order.
        shops: shop id -> shop.
        holds: listing id -> the accepted offer holding it now.
        blocked_sellers: sellers the buyer has blocked or been blocked by.
    """

    listings: dict[int, Listing]
    variants: dict[int, list[ListingVariant]]
    shops: dict[int, Shop]
    holds: dict[int, Offer]
    blocked_sellers: set[int]

    def variant(self, listing_id: int, variant_id: int | None) -> ListingVariant | None:
        """The variant of a listing by id (None when absent or not of that listing)."""
        return next((v for v in self.variants.get(listing_id, ()) if v.id == variant_id), None)


def load(
    session: Session,
    listing_ids: Iterable[int],
    buyer_id: int | None,
    now: datetime,
    *,
    loaded: Iterable[Listing] = (),
) -> Facts:
    """Load the listings, their variants, shops, holds and blocks for :func:`judge`.

    Args:
        session: any session (inside a write transaction, the rows it locked).
        listing_ids: the listings to judge.
        buyer_id: the buyer, or None for a visitor.
        now: the moment holds are judged at.
        loaded: listings the caller has just read in this session (not read again).

    Returns:
        The facts (listings that do not exist are simply absent).
    """
    ids = sorted({int(i) for i in listing_ids})
    if not ids:
        return Facts({}, {}, {}, {}, set())
    listings = {listing.id: listing for listing in loaded if listing.id in ids}
    missing = [i for i in ids if i not in listings]
    if missing:
        listings.update(
            (listing.id, listing)
            for listing in session.exec(select(Listing).where(col(Listing.id).in_(missing)))
        )
    variants: dict[int, list[ListingVariant]] = defaultdict(list)
    for v in session.exec(
        select(ListingVariant)
        .where(col(ListingVariant.listing_id).in_(ids))
        .order_by(col(ListingVariant.position), col(ListingVariant.id))
    ).all():
        variants[v.listing_id].append(v)
    shop_ids = {lst.shop_id for lst in listings.values() if lst.shop_id is not None}
    shops = (
        {s.id: s for s in session.exec(select(Shop).where(col(Shop.id).in_(shop_ids))).all()}
        if shop_ids
        else {}
    )
    sellers = {lst.seller_id for lst in listings.values()}
    return Facts(
        listings=listings,
        variants=dict(variants),
        shops=shops,
        holds=offer_holds.holds(session, ids, now),
        blocked_sellers=blocks.blocked_among(session, buyer_id, sellers) if buyer_id else set(),
    )


def judge_loaded(
    facts: Facts, want: Want, buyer_id: int | None, now: datetime | None = None
) -> Quote | None:
    """:func:`judge` one want against loaded facts (None when the listing does not exist)."""
    listing = facts.listings.get(want.listing_id)
    if listing is None:
        return None
    return judge(
        listing,
        want.variant_id,
        variants=facts.variants.get(listing.id, []),
        shop=facts.shops.get(listing.shop_id) if listing.shop_id else None,
        buyer_id=buyer_id,
        hold=facts.holds.get(listing.id),
        blocked=listing.seller_id in facts.blocked_sellers,
        quantity=want.quantity,
        now=now,
    )


def quote(
    session: Session,
    listing_id: int,
    variant_id: int | None = None,
    *,
    buyer_id: int | None,
    quantity: int = 1,
    now: datetime | None = None,
) -> Quote | None:
    """Judge one listing (or variant) for a buyer now.

    Args:
        session: any session.
        listing_id: the listing.
        variant_id: the chosen variant, or None.
        buyer_id: the buyer, or None for a visitor.
        quantity: units wanted.
        now: the moment (defaults to now).

    Returns:
        The quote, or None when there is no such listing.
    """
    now = now or utcnow()
    facts = load(session, [listing_id], buyer_id, now)
    return judge_loaded(facts, Want(listing_id, variant_id, quantity), buyer_id, now)


def listing_quotes(
    session: Session, listing_id: int, *, buyer_id: int | None, now: datetime | None = None
) -> list[Quote]:
    """A listing as its page offers it: one quote per variant, or one for a resident's item.

    Args:
        session: any session.
        listing_id: the listing.
        buyer_id: the viewer, or None for a visitor.
        now: the moment (defaults to now).

    Returns:
        The quotes in the shop's variant order ([] when there is no such listing).
    """
    now = now or utcnow()
    facts = load(session, [listing_id], buyer_id, now)
    listing = facts.listings.get(listing_id)
    if listing is None:
        return []
    variants = facts.variants.get(listing_id, [])
    wants = [Want(listing_id, v.id) for v in variants] if variants else [Want(listing_id)]
    return [judge_loaded(facts, want, buyer_id, now) for want in wants]
