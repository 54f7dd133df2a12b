"""Reports, sanctions on members, and the blocklist that holds new listings."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, in_check, time_field

REPORT_TARGETS = ("listing", "review", "message", "user")
REPORT_REASONS = ("prohibited", "scam", "wrong_category", "offensive", "counterfeit", "other")
REPORT_STATUSES = ("open", "dismissed", "actioned")


class Report(SQLModel, table=True):
    """One user's report of something, waiting in the operator queue until handled."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(in_check("target_type", REPORT_TARGETS), name="target_type"),
        CheckConstraint(in_check("reason", REPORT_REASONS), name="reason"),
        CheckConstraint(in_check("status", REPORT_STATUSES), name="status"),
        Index("ix_reports_status_created_at", "status", "created_at"),
        Index("ix_reports_target", "target_type", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(foreign_key="users.id")
    target_type: str = Field(max_length=12)
    target_id: int
    reason: str = Field(max_length=20)
    text: str = Field(default="", max_length=1000)
    status: str = Field(default="open", max_length=12)
    created_at: datetime = created_field()
    handled_by: int | None = Field(default=None, foreign_key="users.id")
    handled_at: datetime | None = time_field()
    resolution: str = Field(default="", max_length=500)


SANCTION_KINDS = ("warn", "suspend", "ban")


class Sanction(SQLModel, table=True):
    """An operator's measure against a member.

    A warning only informs. A suspension (until ``ends_at``) or a ban (no end)
    stops the member posting, buying, offering and messaging while in force;
    ``lifted_at`` ends one early.
    """

    __tablename__ = "sanctions"
    __table_args__ = (
        CheckConstraint(in_check("kind", SANCTION_KINDS), name="kind"),
        CheckConstraint("kind != 'suspend' OR ends_at IS NOT NULL", name="suspend_ends"),
        Index("ix_sanctions_user_id_created_at", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=8)
    reason: str = Field(max_length=500)
    actor_id: int = Field(foreign_key="users.id")
    created_at: datetime = created_field()
    ends_at: datetime | None = time_field()
    lifted_at: datetime | None = time_field()
    lifted_by: int | None = Field(default=None, foreign_key="users.id")
    seen_at: datetime | None = time_field()


class BlockedTerm(SQLModel, table=True):
    """A word or phrase that holds a new listing for review when its text contains it."""

    __tablename__ = "blocked_terms"

    id: int | None = Field(default=None, primary_key=True)
    term: str = Field(max_length=60, unique=True)
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = created_field()
