"""Blocks between members: a blocked member can't message or make offers to the blocker."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from marketplace_app.models import User, UserBlock
from marketplace_app.services.errors import NotFound, ValidationFailed


def is_blocked(session: Session, one: int, other: int) -> bool:
    """Whether either member has blocked the other.

    Args:
        session: any session.
        one: a member.
        other: another member.

    Returns:
        True when a block exists in either direction.
    """
    return (
        session.exec(
            select(UserBlock.id)
            .where(
                or_(
                    and_(UserBlock.blocker_id == one, UserBlock.blocked_id == other),
                    and_(UserBlock.blocker_id == other, UserBlock.blocked_id == one),
                )
            )
            .limit(1)
        ).first()
        is not None
    )


def blocked_among(session: Session, member: int, others: Iterable[int]) -> set[int]:
    """Which of ``others`` have blocked ``member`` or been blocked by them.

    Args:
        session: any session.
        member: a member (e.g. a buyer).
        others: other members (e.g. the sellers in a cart).

    Returns:
        The ids of ``others`` with a block in either direction.
    """
    others = set(others)
    if not others:
        return set()
    rows = session.exec(
        select(UserBlock.blocker_id, UserBlock.blocked_id).where(
            or_(
                and_(UserBlock.blocker_id == member, col(UserBlock.blocked_id).in_(others)),
                and_(UserBlock.blocked_id == member, col(UserBlock.blocker_id).in_(others)),
            )
        )
    ).all()
    return {blocked if blocker == member else blocker for blocker, blocked in rows}


def has_blocked(session: Session, blocker_id: int, blocked_id: int) -> bool:
    """Whether ``blocker_id`` has blocked ``blocked_id`` (one direction only).

    Args:
        session: any session.
        blocker_id: the member who may have blocked.
        blocked_id: the member who may be blocked.

    Returns:
        True when that block exists.
    """
    return (
        session.exec(
            select(UserBlock.id).where(
                UserBlock.blocker_id == blocker_id, UserBlock.blocked_id == blocked_id
            )
        ).first()
        is not None
    )


def block(session: Session, blocker_id: int, blocked_id: int) -> None:
    """Block a member (blocking twice is a no-op).

    Args:
        session: a write session.
        blocker_id: the caller.
        blocked_id: the member to block.

    Raises:
        NotFound: no such member (or a deleted one).
        ValidationFailed: ``_form`` ``error.block_self`` when blocking oneself.
    """
    other = session.get(User, blocked_id) if isinstance(blocked_id, int) else None
    if other is None or other.deleted_at is not None:
        raise NotFound()
    if blocked_id == blocker_id:
        raise ValidationFailed({"_form": "error.block_self"})
    if not has_blocked(session, blocker_id, blocked_id):
        session.add(UserBlock(blocker_id=blocker_id, blocked_id=blocked_id))
        session.flush()


def unblock(session: Session, blocker_id: int, blocked_id: int) -> None:
    """Lift the caller's block of a member (absent blocks are ignored).

    Args:
        session: a write session.
        blocker_id: the caller.
        blocked_id: the blocked member.
    """
    row = session.exec(
        select(UserBlock).where(
            UserBlock.blocker_id == blocker_id, UserBlock.blocked_id == blocked_id
        )
    ).first()
    if row is not None:
        session.delete(row)
        session.flush()


def blocked_ids(session: Session, blocker_id: int, limit: int = 200) -> list[int]:
    """The members the caller has blocked, newest first.

    Args:
        session: any session.
        blocker_id: the caller.
        limit: at most this many.

    Returns:
        User ids.
    """
    return list(
        session.exec(
            select(UserBlock.blocked_id)
            .where(UserBlock.blocker_id == blocker_id)
            .order_by(col(UserBlock.created_at).desc())
            .limit(limit)
        ).all()
    )
