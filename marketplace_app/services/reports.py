"""Filing a report of a listing, review, message or member for the operator queue.

Each kind's service first checks that the reporter may report the thing (they
can see it, it is not their own) and then calls :func:`file`. A reporter has at
most one *open* report per thing: reporting again updates it.
"""

from __future__ import annotations

from sqlmodel import Session, select

from marketplace_app.models import Report
from marketplace_app.models.moderation import REPORT_REASONS
from marketplace_app.services.accounts import raise_if

TEXT_MAX = 1000


def checked(reason: object, text: object) -> tuple[str, str]:
    """The report's reason and words, trimmed, or every field problem at once.

    Args:
        reason: one of ``REPORT_REASONS``.
        text: details: up to 1000 characters, required when the reason is "other".

    Returns:
        (reason, text).

    Raises:
        ValidationFailed: ``reason`` unknown, ``text`` too long or missing.
    """
    reason = reason.strip() if isinstance(reason, str) else ""
    words = text.strip() if isinstance(text, str) else ""
    raise_if(
        {
            "reason": None if reason in REPORT_REASONS else "error.report_reason",
            "text": "error.too_long"
            if len(words) > TEXT_MAX
            else ("error.report_text_required" if reason == "other" and not words else None),
        }
    )
    return reason, words


def file(
    session: Session, reporter_id: int, target_type: str, target_id: int, reason: str, text: str
) -> Report:
    """Store the reporter's open report of a thing (updating one already open).

    Args:
        session: a write session.
        reporter_id: the logged-in reporter, already allowed to report the thing.
        target_type: "listing", "review", "message" or "user".
        target_id: the thing's id.
        reason: a reason that passed :func:`checked`.
        text: words that passed :func:`checked`.

    Returns:
        The open report.
    """
    report = session.exec(
        select(Report).where(
            Report.reporter_id == reporter_id,
            Report.target_type == target_type,
            Report.target_id == target_id,
            Report.status == "open",
        )
    ).first() or Report(
        reporter_id=reporter_id, target_type=target_type, target_id=target_id, reason=reason
    )
    report.reason = reason
    report.text = text
    session.add(report)
    session.flush()
    return report
