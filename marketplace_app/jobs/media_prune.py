"""Pruning uploads nothing took: photos stored for a form that was never sent.

Every upload form stores the photo's renditions as soon as it arrives and
keeps only its key until the form is sent: a refund request's or a review's
photos, a chat photo, a shop application's logo and banner; the sell form
attaches its photos to the draft at once. A form given up (or a crash
between storing and attaching) leaves files no row refers to.

:func:`prune_unattached` deletes the renditions of every key whose files are
all older than :data:`UNATTACHED_GRACE` and that no row refers to
(:func:`media_refs.attached`), and temporary files a crash left mid-write.
The grace is far longer than a form can stay open (Reflex drops an idle
tab's state after an hour), and the references are read right before
deleting. Files something refers to are never touched. Running it again, or
in several workers at once, is safe: a missing file is simply skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from marketplace_app.db import read_session
from marketplace_app.models.types import utcnow
from marketplace_app.services import media, media_refs

UNATTACHED_GRACE = timedelta(hours=24)

log = logging.getLogger(__name__)


@dataclass
class PruneReport:
    """What one run found and deleted."""

    deleted: list[str] = field(default_factory=list)
    kept: int = 0
    temp_files: int = 0


def prune_unattached(
    now: datetime | None = None, grace: timedelta = UNATTACHED_GRACE
) -> PruneReport:
    """Delete stored images no row refers to once they are older than ``grace``.

    Args:
        now: the time to judge ages by (default: now).
        grace: how old an unattached upload must be before it goes.

    Returns:
        The keys deleted, how many old keys were kept (attached), and how
        many temporary files were removed.
    """
    now = now or utcnow()
    keys, strays = media.keys_stored_before(now - grace)
    with read_session() as session:
        used = media_refs.attached(session, keys)
    report = PruneReport(kept=len(used))
    for key in keys:
        if key not in used:
            media.delete_image(key)
            report.deleted.append(key)
    for path in strays:
        path.unlink(missing_ok=True)
    report.temp_files = len(strays)
    if report.deleted or strays:
        log.info(
            "pruned %d unattached uploads and %d temporary files",
            len(report.deleted),
            len(strays),
        )
    return report
