"""Leases that let exactly one worker run a timed job at a time."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from marketplace_app.models.base import required_time_field


class JobLease(SQLModel, table=True):
    """A named job's lease: ``holder`` may run it until ``expires_at``."""

    __tablename__ = "job_leases"

    name: str = Field(primary_key=True, max_length=40)
    holder: str = Field(max_length=80)
    expires_at: datetime = required_time_field()
