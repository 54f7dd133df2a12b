"""Buyer-seller conversations: starting them, sending, reading, reporting, blocking.

A conversation is about a listing (one per listing and buyer) or an order (one
per order). Its participants are the buyer and the seller side: the seller,
and for a shop's listing or order the shop's staff (see
:mod:`marketplace_app.services.listing_access` and
:func:`marketplace_app.services.orders.viewer_roles`). Anyone else is answered
:class:`NotFound`, as if the conversation did not exist.

Contact details are masked at send time until the two people have an order
together that was placed and not cancelled (an unpaid escrow order does not
count): phone numbers, emails and links are masked
(:mod:`marketplace_app.services.masking`) before the message is stored, and
the message is flagged ``masked`` so the page can say why. Sending is
rate-limited per sender (``settings.message_rate_per_minute`` in any 60
seconds). A message an operator hid keeps its words in the database,
but nobody is shown them: only the operator's reason.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, or_
from sqlmodel import Session, col, select

from marketplace_app.models import (
    Conversation,
    Listing,
    ListingImage,
    Message,
    Order,
    OrderLine,
    Report,
    Shop,
    ShopMember,
    User,
)
from marketplace_app.models.types import utcnow
from marketplace_app.services import blocks, listing_access, masking, reports, roles, sanctions
from marketplace_app.services.errors import NotFound, ValidationFailed
from marketplace_app.settings import settings

BUYER, SELLER = "buyer", "seller"
BODY_MAX = 2000
PAGE_MAX = 50
THREAD_MAX = 100
RATE_WINDOW = timedelta(seconds=60)
PREVIEW_CHARS = 80
MEDIAN_SAMPLE = 200
# Statuses of an order that do not (yet, or any more) show the two know each other.
NOT_A_DEAL = ("pending_payment", "cancelled")

E_EMPTY = "error.message.empty"
E_TOO_LONG = "error.message.too_long"
E_SLOW_DOWN = "error.message.slow_down"
E_YOU_BLOCKED = "error.message.you_blocked"
E_BLOCKED = "error.message.blocked"
E_OWN_LISTING = "error.message.own_listing"
E_OWN_MESSAGE = "error.message.report_own"

# -- who is who


def _staff_shop(session: Session, conv: Conversation) -> int | None:
    """The shop whose staff speak for the seller in a conversation, if any."""
    if conv.order_id is not None:
        return session.exec(select(Order.shop_id).where(Order.id == conv.order_id)).first()
    if conv.listing_id is not None:
        return session.exec(select(Listing.shop_id).where(Listing.id == conv.listing_id)).first()
    return None


def side_of(session: Session, conv: Conversation, user_id: int) -> str | None:
    """How a user takes part in a conversation: "buyer", "seller" or not at all (None).

    Args:
        session: any session.
        conv: the conversation.
        user_id: the user.

    Returns:
        The user's side.
    """
    if conv.buyer_id == user_id:
        return BUYER
    if conv.seller_id == user_id:
        return SELLER
    shop_id = _staff_shop(session, conv)
    if shop_id is not None and shop_id in roles.shop_ids_for(session, user_id):
        return SELLER
    return None


def _mine(session: Session, user_id: int, conversation_id: object) -> tuple[Conversation, str]:
    conv = (
        session.get(Conversation, conversation_id)
        if isinstance(conversation_id, int) and not isinstance(conversation_id, bool)
        else None
    )
    side = side_of(session, conv, user_id) if conv is not None else None
    if conv is None or side is None:
        raise NotFound()
    return conv, side


def participants(session: Session, conv: Conversation) -> set[int]:
    """Everyone who may read a conversation (buyer, seller and the shop's staff)."""
    ids = {conv.buyer_id, conv.seller_id}
    shop_id = _staff_shop(session, conv)
    if shop_id is not None:
        ids |= set(
            session.exec(
                select(ShopMember.user_id)
                .join(Shop, Shop.id == ShopMember.shop_id)
                .where(ShopMember.shop_id == shop_id, Shop.status == "approved")
            ).all()
        )
    return ids


def contact_allowed(session: Session, conv: Conversation) -> bool:
    """Whether the two sides have an order together, so contact details pass unmasked.

    An order counts once placed and as long as it is not cancelled; an unpaid
    escrow order does not count yet.
    """
    return (
        session.exec(
            select(Order.id)
            .where(
                Order.buyer_id == conv.buyer_id,
                Order.seller_id == conv.seller_id,
                col(Order.status).not_in(NOT_A_DEAL),
            )
            .limit(1)
        ).first()
        is not None
    )


# -- starting


def _find_or_create(session: Session, topic: str, **fields: object) -> Conversation:
    conv = session.exec(select(Conversation).where(Conversation.topic == topic)).first()
    if conv is None:
        conv = Conversation(topic=topic, **fields)
        session.add(conv)
        session.flush()
    return conv


def start_for_listing(session: Session, user_id: int, listing_id: object) -> Conversation:
    """The caller's conversation with a listing's seller, started when new.

    Args:
        session: a write session.
        user_id: the caller, as buyer.
        listing_id: a public listing.

    Returns:
        The conversation.

    Raises:
        NotFound: no such public listing (an existing conversation is found
            even when the listing has since been paused).
        ValidationFailed: ``_form`` when the caller sells the listing.
    """
    listing = (
        session.get(Listing, listing_id)
        if isinstance(listing_id, int) and not isinstance(listing_id, bool)
        else None
    )
    if listing is None or listing.status == "removed":
        raise NotFound()
    if listing.seller_id == user_id or listing_access.can_edit(session, user_id, listing):
        raise ValidationFailed({"_form": E_OWN_LISTING})
    topic = f"listing:{listing.id}:{user_id}"
    found = session.exec(select(Conversation).where(Conversation.topic == topic)).first()
    if found is not None:
        return found
    if not listing_access.is_public(listing):
        raise NotFound()
    return _find_or_create(
        session, topic, listing_id=listing.id, buyer_id=user_id, seller_id=listing.seller_id
    )


def start_for_order(session: Session, user_id: int, number: object) -> Conversation:
    """The conversation about an order, for its buyer or its seller side.

    Args:
        session: a write session.
        user_id: the caller.
        number: the order number.

    Returns:
        The conversation.

    Raises:
        NotFound: absent, or not the caller's order.
    """
    from marketplace_app.services import orders  # orders builds on search and catalog

    order = None
    if isinstance(number, str) and 0 < len(number) <= 24:
        order = session.exec(select(Order).where(Order.number == number)).first()
    if order is None or not orders.viewer_roles(session, order, user_id):
        raise NotFound()
    listing_id = session.exec(
        select(OrderLine.listing_id).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    ).first()
    return _find_or_create(
        session,
        f"order:{order.id}",
        order_id=order.id,
        listing_id=listing_id,
        buyer_id=order.buyer_id,
        seller_id=order.seller_id,
    )


# -- sending


def _check_rate(session: Session, sender_id: int, now: datetime) -> None:
    limit = max(1, settings.message_rate_per_minute)
    recent = session.exec(
        select(Message.created_at)
        .where(Message.sender_id == sender_id, Message.created_at > now - RATE_WINDOW)
        .order_by(col(Message.created_at).desc())
        .limit(limit)
    ).all()
    if len(recent) >= limit:
        oldest = min(recent)
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now.tzinfo)
        wait = max(1, math.ceil((oldest + RATE_WINDOW - now).total_seconds()))
        raise ValidationFailed({"body": E_SLOW_DOWN}, seconds=wait)


def _check_blocks(session: Session, conv: Conversation, side: str, sender_id: int) -> None:
    other = conv.seller_id if side == BUYER else conv.buyer_id
    if not blocks.is_blocked(session, sender_id, other):
        return
    mine = blocks.has_blocked(session, sender_id, other)
    raise ValidationFailed({"_form": E_YOU_BLOCKED if mine else E_BLOCKED})


def send(
    session: Session,
    sender_id: int,
    conversation_id: object,
    body: object,
    *,
    image_key: str | None = None,
    now: datetime | None = None,
) -> Message:
    """Send a message in a conversation the sender takes part in.

    Args:
        session: a write session.
        sender_id: the caller.
        conversation_id: the conversation.
        body: the text (1-2000 characters; may be empty with an image).
        image_key: a stored image's key (from :mod:`media`, never from a browser).
        now: the time to send at (tests).

    Returns:
        The stored message (masked when contact details are not allowed yet).

    Raises:
        NotFound: absent, or not the caller's conversation.
        Restricted: the sender is suspended or banned.
        ValidationFailed: ``body`` empty, too long or sent too fast
            (``seconds`` to wait); ``_form`` when either side blocked the other.
    """
    now = now or utcnow()
    conv, side = _mine(session, sender_id, conversation_id)
    sanctions.require_good_standing(session, sender_id)
    text = body.strip() if isinstance(body, str) else ""
    if not text and not image_key:
        raise ValidationFailed({"body": E_EMPTY})
    if len(text) > BODY_MAX:
        raise ValidationFailed({"body": E_TOO_LONG}, max=BODY_MAX)
    _check_blocks(session, conv, side, sender_id)
    _check_rate(session, sender_id, now)
    masked = False
    if text and not contact_allowed(session, conv):
        text, masked = masking.mask_contacts(text)
    message = Message(
        conversation_id=conv.id,
        sender_id=sender_id,
        body=text[:BODY_MAX],
        image_key=image_key,
        masked=masked,
        created_at=now,
    )
    session.add(message)
    session.flush()
    conv.last_message_at = now
    if side == BUYER:
        conv.buyer_read_id = message.id
    else:
        conv.seller_read_id = message.id
    session.add(conv)
    session.flush()
    return message


# -- reading


@dataclass(frozen=True)
class MessageItem:
    """One message as a thread shows it (a hidden one without its words)."""

    id: int
    sender_id: int
    sender_name: str
    mine: bool
    body: str
    image_key: str | None
    masked: bool
    hidden: bool
    hidden_reason: str
    created_at: datetime


@dataclass(frozen=True)
class Thread:
    """A conversation's page: who, about what, and its latest messages."""

    id: int
    side: str
    other_id: int
    other_name: str
    listing_id: int | None
    listing_title: str
    cover_key: str | None
    order_number: str | None
    masking: bool
    blocked_by_me: bool
    blocked_me: bool
    messages: list[MessageItem]


@dataclass(frozen=True)
class ConversationRow:
    """One line of the conversation list."""

    id: int
    other_name: str
    listing_title: str
    cover_key: str | None
    order_number: str | None
    preview: str
    preview_is_image: bool
    preview_hidden: bool
    last_message_at: datetime
    unread: int


def _items(session: Session, rows: list[Message], viewer_id: int) -> list[MessageItem]:
    names = dict(
        session.exec(
            select(User.id, User.name).where(col(User.id).in_({m.sender_id for m in rows}))
        ).all()
    )
    return [
        MessageItem(
            id=m.id,
            sender_id=m.sender_id,
            sender_name=names.get(m.sender_id, ""),
            mine=m.sender_id == viewer_id,
            body="" if m.hidden_at else m.body,
            image_key=None if m.hidden_at else m.image_key,
            masked=m.masked and not m.hidden_at,
            hidden=m.hidden_at is not None,
            hidden_reason=m.hidden_reason if m.hidden_at else "",
            created_at=m.created_at,
        )
        for m in rows
    ]


def _subject(session: Session, conv: Conversation) -> tuple[str, str | None, str | None]:
    """Listing title, cover key and order number of a conversation."""
    title, cover, number = "", None, None
    if conv.listing_id is not None:
        title = session.exec(select(Listing.title).where(Listing.id == conv.listing_id)).first()
        cover = session.exec(
            select(ListingImage.storage_key)
            .where(ListingImage.listing_id == conv.listing_id)
            .order_by(ListingImage.position, ListingImage.id)
            .limit(1)
        ).first()
    if conv.order_id is not None:
        number = session.exec(select(Order.number).where(Order.id == conv.order_id)).first()
    return title or "", cover, number


def thread(session: Session, user_id: int, conversation_id: object) -> Thread:
    """A conversation with its latest messages, oldest first.

    Args:
        session: any session.
        user_id: the caller.
        conversation_id: the conversation.

    Returns:
        The thread.

    Raises:
        NotFound: absent, or not the caller's conversation.
    """
    conv, side = _mine(session, user_id, conversation_id)
    other_id = conv.seller_id if side == BUYER else conv.buyer_id
    other = session.get(User, other_id)
    rows = list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conv.id)
            .order_by(col(Message.id).desc())
            .limit(THREAD_MAX)
        ).all()
    )
    rows.reverse()
    title, cover, number = _subject(session, conv)
    if conv.order_id is None and conv.listing_id is not None:
        shop_name = session.exec(
            select(Shop.name)
            .join(Listing, Listing.shop_id == Shop.id)
            .where(Listing.id == conv.listing_id)
        ).first()
    else:
        shop_name = None
    mine = blocks.has_blocked(session, user_id, other_id)
    return Thread(
        id=conv.id,
        side=side,
        other_id=other_id,
        other_name=(shop_name if side == BUYER and shop_name else None)
        or (other.name if other else ""),
        listing_id=conv.listing_id,
        listing_title=title,
        cover_key=cover,
        order_number=number,
        masking=not contact_allowed(session, conv),
        blocked_by_me=mine,
        blocked_me=blocks.is_blocked(session, user_id, other_id) and not mine,
        messages=_items(session, rows, user_id),
    )


def messages_after(
    session: Session, user_id: int, conversation_id: object, after_id: int
) -> list[MessageItem]:
    """Messages newer than ``after_id`` in one of the caller's conversations.

    Args:
        session: any session.
        user_id: the caller.
        conversation_id: the conversation.
        after_id: the newest message id the caller's page has.

    Returns:
        Up to :data:`THREAD_MAX` messages, oldest first.

    Raises:
        NotFound: absent, or not the caller's conversation.
    """
    conv, _ = _mine(session, user_id, conversation_id)
    rows = session.exec(
        select(Message)
        .where(Message.conversation_id == conv.id, Message.id > max(0, int(after_id)))
        .order_by(Message.id)
        .limit(THREAD_MAX)
    ).all()
    return _items(session, list(rows), user_id)


def newest_id(session: Session, conversation_id: int) -> int:
    """The id of a conversation's newest message (0 for none); no access check."""
    newest = session.exec(
        select(func.max(Message.id)).where(Message.conversation_id == conversation_id)
    ).one()
    return newest or 0


def _conversations_of(session: Session, user_id: int):
    """The where-clause for the conversations a user takes part in."""
    clauses = [Conversation.buyer_id == user_id, Conversation.seller_id == user_id]
    shops = roles.shop_ids_for(session, user_id)
    if shops:
        clauses.append(
            col(Conversation.listing_id).in_(
                select(Listing.id).where(col(Listing.shop_id).in_(shops))
            )
        )
        clauses.append(
            col(Conversation.order_id).in_(select(Order.id).where(col(Order.shop_id).in_(shops)))
        )
    return or_(*clauses)


def _read_id_for(user_id: int):
    """The caller's read mark, as a column expression (the buyer's, else the seller's)."""
    return case(
        (Conversation.buyer_id == user_id, Conversation.buyer_read_id),
        else_=Conversation.seller_read_id,
    )


def _unread_where(user_id: int):
    return (
        Message.conversation_id == Conversation.id,
        Message.id > _read_id_for(user_id),
        Message.sender_id != user_id,
        col(Message.hidden_at).is_(None),
    )


def conversations(
    session: Session, user_id: int, *, limit: int = 20, offset: int = 0
) -> list[ConversationRow]:
    """The caller's conversations with messages, latest activity first.

    Args:
        session: any session.
        user_id: the caller.
        limit: page size (at most 50).
        offset: rows to skip.

    Returns:
        The rows, each with the other party, subject, last message and unread count.
    """
    has_message = exists().where(Message.conversation_id == Conversation.id)
    convs = list(
        session.exec(
            select(Conversation)
            .where(_conversations_of(session, user_id), has_message)
            .order_by(col(Conversation.last_message_at).desc(), col(Conversation.id).desc())
            .limit(max(1, min(int(limit), PAGE_MAX)))
            .offset(max(0, int(offset)))
        ).all()
    )
    if not convs:
        return []
    ids = [c.id for c in convs]
    unread = dict(
        session.exec(
            select(Message.conversation_id, func.count(Message.id))
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(col(Conversation.id).in_(ids), *_unread_where(user_id))
            .group_by(Message.conversation_id)
        ).all()
    )
    last_ids = (
        select(func.max(Message.id))
        .where(col(Message.conversation_id).in_(ids))
        .group_by(Message.conversation_id)
    )
    last = {
        m.conversation_id: m
        for m in session.exec(select(Message).where(col(Message.id).in_(last_ids))).all()
    }
    other_ids = {c.seller_id if c.buyer_id == user_id else c.buyer_id for c in convs}
    names = dict(session.exec(select(User.id, User.name).where(col(User.id).in_(other_ids))).all())
    rows = []
    for conv in convs:
        title, cover, number = _subject(session, conv)
        m = last.get(conv.id)
        other = conv.seller_id if conv.buyer_id == user_id else conv.buyer_id
        rows.append(
            ConversationRow(
                id=conv.id,
                other_name=names.get(other, ""),
                listing_title=title,
                cover_key=cover,
                order_number=number,
                preview="" if m is None or m.hidden_at else m.body[:PREVIEW_CHARS],
                preview_is_image=bool(m and not m.hidden_at and m.image_key and not m.body),
                preview_hidden=bool(m and m.hidden_at),
                last_message_at=conv.last_message_at,
                unread=unread.get(conv.id, 0),
            )
        )
    return rows


def unread_total(session: Session, user_id: int) -> int:
    """How many messages from others the caller has not seen, over all conversations."""
    return session.exec(
        select(func.count(Message.id))
        .select_from(Conversation)
        .join(Message, and_(*_unread_where(user_id)))
        .where(_conversations_of(session, user_id))
    ).one()


def mark_read(session: Session, user_id: int, conversation_id: object) -> int:
    """Mark everything in a conversation as seen by the caller's side.

    Args:
        session: a write session.
        user_id: the caller.
        conversation_id: the conversation.

    Returns:
        The id of the newest message now marked seen (0 for none).

    Raises:
        NotFound: absent, or not the caller's conversation.
    """
    conv, side = _mine(session, user_id, conversation_id)
    newest = newest_id(session, conv.id)
    field = "buyer_read_id" if side == BUYER else "seller_read_id"
    if getattr(conv, field) < newest:
        setattr(conv, field, newest)
        session.add(conv)
        session.flush()
    return newest


# -- reporting and blocking


def report(
    session: Session, reporter_id: int, message_id: object, *, reason: object, text: object = ""
) -> Report:
    """Report a message in one of the caller's conversations to the operators.

    Args:
        session: a write session.
        reporter_id: the caller (a participant, not the message's sender).
        message_id: the message.
        reason: one of ``REPORT_REASONS``.
        text: details (up to 1000 characters; required for "other").

    Returns:
        The open report (the caller's open report of this message is updated).

    Raises:
        NotFound: absent, hidden, or not in the caller's conversation.
        ValidationFailed: ``reason``/``text``; ``_form`` for one's own message.
    """
    message = (
        session.get(Message, message_id)
        if isinstance(message_id, int) and not isinstance(message_id, bool)
        else None
    )
    if message is None or message.hidden_at is not None:
        raise NotFound()
    _mine(session, reporter_id, message.conversation_id)
    reason, words = reports.checked(reason, text)
    if message.sender_id == reporter_id:
        raise ValidationFailed({"_form": E_OWN_MESSAGE})
    return reports.file(session, reporter_id, "message", message.id, reason, words)


def _other(session: Session, user_id: int, conversation_id: object) -> int:
    conv, side = _mine(session, user_id, conversation_id)
    return conv.seller_id if side == BUYER else conv.buyer_id


def block_other(session: Session, user_id: int, conversation_id: object) -> None:
    """Block the other party of one of the caller's conversations.

    Raises:
        NotFound: absent, or not the caller's conversation.
    """
    blocks.block(session, user_id, _other(session, user_id, conversation_id))


def unblock_other(session: Session, user_id: int, conversation_id: object) -> None:
    """Lift the caller's block of the other party of a conversation.

    Raises:
        NotFound: absent, or not the caller's conversation.
    """
    blocks.unblock(session, user_id, _other(session, user_id, conversation_id))


# -- reputation


def median_first_response_minutes(session: Session, user_id: int) -> int | None:
    """How quickly a seller answers: the median time to the first reply, in minutes.

    For each of the seller's latest :data:`MEDIAN_SAMPLE` conversations (as
    the seller), the time from the buyer's first message to the seller side's
    first message after it. Conversations without a reply do not count.

    Args:
        session: any session.
        user_id: the seller.

    Returns:
        The median in whole minutes (rounded), or None before any reply.
    """
    sample = (
        select(Conversation.id)
        .where(Conversation.seller_id == user_id)
        .order_by(col(Conversation.last_message_at).desc())
        .limit(MEDIAN_SAMPLE)
        .subquery()
    )
    first_ask = (
        select(Message.conversation_id, func.min(Message.id).label("ask_id"))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(sample, sample.c.id == Conversation.id)
        .where(Message.sender_id == Conversation.buyer_id)
        .group_by(Message.conversation_id)
        .subquery()
    )
    pairs = session.exec(
        select(first_ask.c.ask_id, func.min(Message.id))
        .join(Conversation, Conversation.id == first_ask.c.conversation_id)
        .join(Message, Message.conversation_id == first_ask.c.conversation_id)
        .where(Message.sender_id != Conversation.buyer_id, Message.id > first_ask.c.ask_id)
        .group_by(first_ask.c.ask_id)
    ).all()
    if not pairs:
        return None
    wanted = {i for pair in pairs for i in pair}
    at = dict(
        session.exec(
            select(Message.id, Message.created_at).where(col(Message.id).in_(wanted))
        ).all()
    )
    minutes = [(at[reply] - at[ask]).total_seconds() / 60 for ask, reply in pairs]
    return round(statistics.median(minutes))
