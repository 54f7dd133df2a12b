"""Reports from users about listings (and later reviews, messages, users)."""

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
