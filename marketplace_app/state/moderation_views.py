"""Display rows of the operator queue's moderation tabs, built from service rows."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date, date_time
from marketplace_app.services import blocklist, media, moderation_queue


@dataclass
class ContextView:
    """One message around a reported one (``reported`` marks that one)."""

    id: int
    sender: str
    body: str
    at: str
    hidden: bool
    reported: bool


@dataclass
class MessageReportView:
    """A reported message in its conversation."""

    id: int
    sender: str
    listing_title: str
    reason: str
    text: str
    reporter: str
    reported: str
    others: str
    context: list[ContextView]
    mine: bool = False


@dataclass
class SanctionView:
    """A sanction as the queue lists it."""

    id: int
    member: str
    kind: str
    label: str
    reason: str
    when: str
    in_force: bool
    mine: bool = False


@dataclass
class UserReportView:
    """A reported member with their record."""

    id: int
    member: str
    since: str
    listings: str
    reason: str
    text: str
    reporter: str
    reported: str
    others: str
    sanctions: list[SanctionView]
    mine: bool = False


@dataclass
class PendingView:
    """A listing held by the blocklist."""

    id: int
    title: str
    description: str
    seller: str
    terms: str
    image: str
    updated: str
    mine: bool = False


def _others(lang: str, count: int) -> str:
    return translate(lang, "queue.open_reports", count=count) if count > 1 else ""


def sanction_view(row: moderation_queue.SanctionRow, lang: str) -> SanctionView:
    """A sanction: its kind, reason, dates and whether it is still in force."""
    if row.lifted_at is not None:
        when = translate(lang, "moderation.sanction_lifted", date=date_time(row.lifted_at, lang))
    elif row.ends_at is not None:
        when = translate(lang, "moderation.sanction_until", date=date_time(row.ends_at, lang))
    else:
        when = date_time(row.created_at, lang)
    return SanctionView(
        id=row.id,
        member=row.user_name,
        kind=row.kind,
        label=translate(lang, f"moderation.kind.{row.kind}"),
        reason=row.reason,
        when=when,
        in_force=row.in_force,
        mine=row.mine,
    )


def message_report_view(row: moderation_queue.MessageReportRow, lang: str) -> MessageReportView:
    """A reported message with the few messages around it."""
    return MessageReportView(
        id=row.id,
        sender=row.sender_name,
        listing_title=row.listing_title,
        reason=translate(lang, f"report.reason.{row.reason}"),
        text=row.text,
        reporter=row.reporter_name,
        reported=date_time(row.created_at, lang),
        others=_others(lang, row.open_reports),
        context=[
            ContextView(
                id=m.id,
                sender=m.sender_name,
                body=m.body,
                at=date_time(m.created_at, lang),
                hidden=m.hidden,
                reported=m.reported,
            )
            for m in row.context
        ],
        mine=row.mine,
    )


def user_report_view(row: moderation_queue.UserReportRow, lang: str) -> UserReportView:
    """A reported member: name, member since, listing count, prior sanctions."""
    member = row.member
    return UserReportView(
        id=row.id,
        member=member.name,
        since=translate(lang, "moderation.member_since", date=date(member.member_since, lang)),
        listings=translate(lang, "moderation.listing_count", count=member.listing_count),
        reason=translate(lang, f"report.reason.{row.reason}"),
        text=row.text,
        reporter=row.reporter_name,
        reported=date_time(row.created_at, lang),
        others=_others(lang, row.open_reports),
        sanctions=[sanction_view(s, lang) for s in member.sanctions],
        mine=row.mine,
    )


def pending_view(row: blocklist.PendingRow, lang: str) -> PendingView:
    """A held listing with the terms that held it."""
    seller = f"{row.shop_name} ({row.seller_name})" if row.shop_name else row.seller_name
    return PendingView(
        id=row.listing_id,
        title=row.title,
        description=row.description[:600],
        seller=seller,
        terms=", ".join(row.terms),
        image=media.url(row.cover_key, 320) if row.cover_key else "/placeholder.svg",
        updated=date_time(row.updated_at, lang),
        mine=row.mine,
    )
