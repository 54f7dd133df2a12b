"""Metadata conventions and field helpers shared by every table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from marketplace_app.models.types import UTCDateTime, utcnow

# Stable constraint names, so migrations can refer to them on every database.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# A seller's window for cash orders: one not handed over within this many days
# of being placed is cancelled by the system and its stock goes back.
HANDOVER_DAYS_MIN, HANDOVER_DAYS_MAX, HANDOVER_DAYS_DEFAULT = 1, 14, 3
HANDOVER_DAYS_CHECK = f"cash_handover_days BETWEEN {HANDOVER_DAYS_MIN} AND {HANDOVER_DAYS_MAX}"


def created_field(**kw: Any) -> Any:
    """A non-null UTC timestamp defaulting to now."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, **kw)


def time_field(**kw: Any) -> Any:
    """A nullable UTC timestamp."""
    return Field(default=None, sa_type=UTCDateTime, nullable=True, **kw)


def required_time_field(**kw: Any) -> Any:
    """A non-null UTC timestamp the caller must set."""
    return Field(sa_type=UTCDateTime, nullable=False, **kw)


def money_field(**kw: Any) -> Any:
    """An amount of money in minor units: BIGINT, since PostgreSQL's INTEGER stops at 2**31 - 1."""
    return Field(sa_type=BigInteger, **kw)


def in_check(column: str, values: tuple[str, ...]) -> str:
    """SQL for ``column IN (...)``, used by CHECK constraints on status columns."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


__all__ = [
    "HANDOVER_DAYS_CHECK",
    "HANDOVER_DAYS_DEFAULT",
    "HANDOVER_DAYS_MAX",
    "HANDOVER_DAYS_MIN",
    "SQLModel",
    "created_field",
    "in_check",
    "money_field",
    "required_time_field",
    "time_field",
]
