"""Who may see a listing (anyone, while it is public) and who may change it.

Changing: its resident seller, or staff of its approved shop.
"""

from __future__ import annotations

from sqlmodel import Session, select

from marketplace_app.models import Listing, Shop, ShopMember
from marketplace_app.services.errors import NotFound

# Listings anyone may see: on sale, or sold (their page stays up, marked sold).
PUBLIC_STATUSES = ("active", "sold")


def is_public(listing: Listing | None) -> bool:
    """Whether anyone may see the listing (absent, draft, paused, pending, removed: no)."""
    return listing is not None and listing.status in PUBLIC_STATUSES


def can_edit(session: Session, actor_id: int, listing: Listing) -> bool:
    """Whether ``actor_id`` may change ``listing``.

    Args:
        session: database session.
        actor_id: the caller's user id (from their session, never from input).
        listing: the listing.

    Returns:
        True for the seller of a resident listing, or for a member of the
        listing's shop while that shop is approved.
    """
    if listing.shop_id is None:
        return listing.seller_id == actor_id
    member = session.exec(
        select(ShopMember.id)
        .join(Shop, Shop.id == ShopMember.shop_id)
        .where(
            ShopMember.shop_id == listing.shop_id,
            ShopMember.user_id == actor_id,
            Shop.status == "approved",
        )
    ).first()
    return member is not None


def involves(session: Session, user_id: int, listing: Listing) -> bool:
    """Whether a listing is the user's own business: they sell it, or staff its shop.

    Unlike :func:`can_edit`, membership counts whatever the shop's status, so
    an operator on the staff of a suspended shop is still concerned by its products.

    Args:
        session: database session.
        user_id: the user.
        listing: the listing.

    Returns:
        True for its seller or a member of its shop.
    """
    if listing.seller_id == user_id:
        return True
    if listing.shop_id is None:
        return False
    member = session.exec(
        select(ShopMember.id).where(
            ShopMember.shop_id == listing.shop_id, ShopMember.user_id == user_id
        )
    ).first()
    return member is not None


def editable_listing(session: Session, actor_id: int, listing_id: int) -> Listing:
    """The listing, when the actor may change it.

    Raises:
        NotFound: absent, removed, or not the actor's (answered alike).
    """
    listing = session.get(Listing, listing_id) if isinstance(listing_id, int) else None
    if listing is None or listing.status == "removed" or not can_edit(session, actor_id, listing):
        raise NotFound()
    return listing
