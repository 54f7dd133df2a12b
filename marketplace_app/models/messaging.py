"""Buyer-seller conversations, their messages, and blocks between users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace_app.models.base import created_field, time_field


class Conversation(SQLModel, table=True):
    """A thread between a buyer and a seller about a listing or an order.

    ``topic`` makes it unique: ``"listing:<id>:<buyer id>"`` or
    ``"order:<id>"``. ``*_read_id`` is the last message id each side has seen,
    so unread counts are ``id > read_id`` on an index.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_buyer_id_last_message_at", "buyer_id", "last_message_at"),
        Index("ix_conversations_seller_id_last_message_at", "seller_id", "last_message_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=60, unique=True)
    listing_id: int | None = Field(default=None, foreign_key="listings.id")
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    buyer_id: int = Field(foreign_key="users.id")
    seller_id: int = Field(foreign_key="users.id")
    buyer_read_id: int = Field(default=0)
    seller_read_id: int = Field(default=0)
    created_at: datetime = created_field()
    last_message_at: datetime = created_field()


class Message(SQLModel, table=True):
    """One message. ``masked`` says contact details were replaced before storing.

    The stored ``body`` is what both sides see: masking happens at send time,
    so an unmasked phone number or link never reaches the database.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_sender_id_created_at", "sender_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id")
    sender_id: int = Field(foreign_key="users.id")
    body: str = Field(default="", max_length=2000)
    image_key: str | None = Field(default=None, max_length=80)
    masked: bool = Field(default=False)
    created_at: datetime = created_field()
    hidden_at: datetime | None = time_field()
    hidden_reason: str = Field(default="", max_length=500)


class UserBlock(SQLModel, table=True):
    """``blocker_id`` does not want messages or offers from ``blocked_id``."""

    __tablename__ = "user_blocks"
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id"),)

    id: int | None = Field(default=None, primary_key=True)
    blocker_id: int = Field(foreign_key="users.id")
    blocked_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = created_field()
