"""Filing reports: checked words, and one open report per reporter and thing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marketplace_app.db import read_session, write_session
from marketplace_app.models import Report
from marketplace_app.services import reports
from marketplace_app.services.errors import ValidationFailed
from tests.unit.services.conftest import make_user


@pytest.mark.parametrize(
    ("reason", "text", "fields"),
    [
        ("bogus", "", {"reason": "error.report_reason"}),
        (None, "x", {"reason": "error.report_reason"}),
        ("other", "  ", {"text": "error.report_text_required"}),
        ("scam", "x" * 1001, {"text": "error.too_long"}),
        ("nope", "x" * 1001, {"reason": "error.report_reason", "text": "error.too_long"}),
    ],
)
def test_bad_reasons_and_words_are_refused_together(reason, text, fields):
    with pytest.raises(ValidationFailed) as caught:
        reports.checked(reason, text)
    assert caught.value.fields == fields


def test_words_are_trimmed():
    assert reports.checked(" scam ", "  sent me a fake link ") == ("scam", "sent me a fake link")


def test_reporting_again_updates_the_open_report(db):
    with write_session() as s:
        ann, bob = make_user(s, "Ann").id, make_user(s, "Bob").id
    with write_session() as s:
        first = reports.file(s, ann, "message", 7, "scam", "")
    with write_session() as s:
        again = reports.file(s, ann, "message", 7, "offensive", "rude")
        other = reports.file(s, bob, "message", 7, "scam", "")
    assert again.id == first.id and other.id != first.id
    with write_session() as s:
        s.get(Report, first.id).status = "dismissed"
    with write_session() as s:
        fresh = reports.file(s, ann, "message", 7, "scam", "still at it")
    assert fresh.id not in (first.id, other.id)
    with read_session() as s:
        rows = s.exec(select(Report.reason, Report.text).where(Report.id == first.id)).one()
    assert tuple(rows) == ("offensive", "rude")
