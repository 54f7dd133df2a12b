"""In-app notices, each mirrored by an email in the recipient's language.

:func:`notify` writes an :class:`InboxItem` (its words are rendered from the
catalog when shown, so they follow the reader's language) and queues an email
in the recipient's locale in the caller's transaction: a notice and its email
exist exactly when the change they tell about was committed.
"""

from __future__ import annotations

import json

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from marketplace_app.i18n import catalog, normalize_locale, translate
from marketplace_app.models import InboxItem, User
from marketplace_app.models.types import utcnow
from marketplace_app.services import notifications
from marketplace_app.services.errors import NotFound
from marketplace_app.settings import settings

PAGE_MAX = 100
PARAMS_MAX = 2000
LINK_MAX = 200


def render(locale: str, message_key: str, params: dict) -> str:
    """A notice's text in a language.

    Args:
        locale: "zh-CN" or "en".
        message_key: the catalog key.
        params: the placeholder values.

    Returns:
        The text.

    Raises:
        KeyError: the key is in no catalog, or a placeholder has no value.
    """
    text = catalog(normalize_locale(locale))[message_key]
    return text.format(**{str(k): v for k, v in params.items()})


def _encoded(params: dict) -> str:
    text = json.dumps(params, ensure_ascii=False, sort_keys=True)
    if len(text) > PARAMS_MAX:
        raise ValueError("notice parameters too long")
    return text


def notify(session: Session, user_id: int, message_key: str, params: dict, link: str) -> InboxItem:
    """Give a user an in-app notice and queue the same words as an email.

    The email goes out in the user's language (``users.locale``) when the
    user has an email address; both happen only if the caller's transaction
    commits.

    Args:
        session: the caller's write session.
        user_id: the recipient.
        message_key: a catalog key (both languages), e.g. ``"inbox.order.paid"``.
        params: values for the message's placeholders (JSON-serializable).
        link: an app path the notice opens, e.g. ``"/orders/AB12CD34"`` ("" for none).

    Returns:
        The new inbox item.

    Raises:
        KeyError: the message key is unknown or a placeholder is missing (a bug).
        ValueError: params or link too long, or link not an app path.
    """
    if link and (not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX):
        raise ValueError(f"not an app path: {link!r}")
    render("en", message_key, params)  # fails loudly on a missing key or placeholder
    item = InboxItem(user_id=user_id, message_key=message_key, params=_encoded(params), link=link)
    session.add(item)
    user = session.get(User, user_id)
    if user is not None and user.email and user.deleted_at is None:
        locale = normalize_locale(user.locale, settings.default_locale)
        text = render(locale, message_key, params)
        url = f"{settings.public_url}{link}" if link else settings.public_url
        words = {"name": user.name, "text": text, "link": url, "market": settings.market_name}
        notifications.queue_email(
            session,
            to=user.email,
            subject=translate(locale, "email.notice.subject", **words),
            body=translate(locale, "email.notice.body", **words),
        )
    session.flush()
    return item


def items(session: Session, user_id: int, *, limit: int = 50) -> list[InboxItem]:
    """A user's notices, newest first.

    Args:
        session: any session.
        user_id: the reader.
        limit: at most this many (capped at :data:`PAGE_MAX`).

    Returns:
        Inbox items.
    """
    limit = max(1, min(int(limit), PAGE_MAX))
    return list(
        session.exec(
            select(InboxItem)
            .where(InboxItem.user_id == user_id)
            .order_by(col(InboxItem.id).desc())
            .limit(limit)
        ).all()
    )


def params_of(item: InboxItem) -> dict:
    """The placeholder values stored with a notice ({} when unreadable)."""
    try:
        value = json.loads(item.params or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def unread_count(session: Session, user_id: int) -> int:
    """How many of a user's notices are unread (the number in the navigation).

    Args:
        session: any session.
        user_id: the reader.

    Returns:
        The count.
    """
    return int(
        session.exec(
            select(func.count())
            .select_from(InboxItem)
            .where(InboxItem.user_id == user_id, col(InboxItem.read_at).is_(None))
        ).one()
    )


def open_item(session: Session, user_id: int, item_id: int) -> str:
    """Mark one of the user's notices read and return where it leads.

    Args:
        session: a write session.
        user_id: the reader.
        item_id: the notice.

    Returns:
        The notice's link ("" when it has none).

    Raises:
        NotFound: absent, or another user's notice.
    """
    item = session.get(InboxItem, item_id) if isinstance(item_id, int) else None
    if item is None or item.user_id != user_id:
        raise NotFound()
    if item.read_at is None:
        session.exec(
            update(InboxItem)
            .where(InboxItem.id == item_id, col(InboxItem.read_at).is_(None))
            .values(read_at=utcnow())
        )
    return item.link


def mark_all_read(session: Session, user_id: int) -> int:
    """Mark every unread notice of a user read.

    Args:
        session: a write session.
        user_id: the reader.

    Returns:
        How many notices changed.
    """
    result = session.exec(
        update(InboxItem)
        .where(InboxItem.user_id == user_id, col(InboxItem.read_at).is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)
