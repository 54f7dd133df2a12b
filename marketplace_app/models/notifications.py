"""The email outbox (queued with the event, sent after) and the in-app inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, in_check, time_field

EMAIL_STATUSES = ("pending", "sending", "sent", "failed")


class OutboxEmail(SQLModel, table=True):
    """An email waiting to go out, being sent, sent, or given up on."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        CheckConstraint(in_check("status", EMAIL_STATUSES), name="status"),
        Index("ix_email_outbox_status_created_at", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    to_addr: str = Field(max_length=254)
    subject: str = Field(max_length=200)
    body_text: str
    status: str = Field(default="pending", max_length=12)
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = created_field()
    claimed_at: datetime | None = time_field()
    sent_at: datetime | None = time_field()


class InboxItem(SQLModel, table=True):
    """An in-app notice for one user, rendered in their language when shown.

    ``message_key`` names a message in the ``inbox`` catalog; ``params`` holds
    its placeholders as JSON, so the words follow the reader's language.
    """

    __tablename__ = "inbox_items"
    __table_args__ = (Index("ix_inbox_items_user_id_read_at_id", "user_id", "read_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    message_key: str = Field(max_length=80)
    params: str = Field(default="{}", max_length=2000)
    link: str = Field(default="", max_length=200)
    created_at: datetime = created_field()
    read_at: datetime | None = time_field()
