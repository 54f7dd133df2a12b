"""The operator queue at ``/admin/queue``: shop applications, reported listings and reviews.

Every handler requires the moderator role (admins included); the services
check the role again and write the audit entries.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date_time
from marketplace_app.services import media, moderation, reviews, shops
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.session import LocaleState
from marketplace_app.state.shops import hours_rows

TABS = ("shops", "reports")
QUEUE_LIMIT = 50


@dataclass
class ApplicationView:
    """One shop application in the queue."""

    id: int
    name: str
    applicant: str
    description: str
    district: str
    address: str
    pickup_point: str
    contact: str
    hours: str
    logo: str
    applied: str


@dataclass
class ReportView:
    """One open report with the reported listing in context."""

    id: int
    listing_href: str
    listing_title: str
    seller: str
    reason: str
    text: str
    reporter: str
    reported: str
    image: str
    others: str


@dataclass
class ReviewReportView:
    """One open report of a review, with the review's words."""

    id: int
    stars: str
    review_text: str
    author: str
    subject: str
    reason: str
    text: str
    reporter: str
    reported: str
    others: str


def _review_report_view(row: reviews.ReviewReportRow, lang: str) -> ReviewReportView:
    subject = f"{row.shop_name} ({row.subject_name})" if row.shop_name else row.subject_name
    return ReviewReportView(
        id=row.id,
        stars="★" * row.stars + "☆" * (5 - row.stars),
        review_text=row.review_text,
        author=row.author_name,
        subject=subject,
        reason=translate(lang, f"report.reason.{row.reason}"),
        text=row.text,
        reporter=row.reporter_name,
        reported=date_time(row.created_at, lang),
        others=translate(lang, "queue.open_reports", count=row.open_reports)
        if row.open_reports > 1
        else "",
    )


def _hide_reported_review(session, *, actor_id: int, report_id: int, reason: str):
    return reviews.hide(session, actor_id, None, reason, report_id=report_id)


def _row_id(form: dict, name: str) -> int | None:
    """The row id a queue form carries in a hidden field (a hint: services check it)."""
    raw = forms.text(form, name, 12)
    return int(raw) if raw.isdigit() else None


def _queue(session, actor_id: int):
    pending = shops.pending_applications(session, limit=QUEUE_LIMIT, actor_id=actor_id)
    names = shops.applicant_names(session, pending)
    reports = moderation.open_reports(session, limit=QUEUE_LIMIT, actor_id=actor_id)
    review_reports = reviews.open_review_reports(session, actor_id, limit=QUEUE_LIMIT)
    return pending, names, reports, review_reports


def _application_view(shop, names: dict[int, str], lang: str) -> ApplicationView:
    hours = "; ".join(
        f"{row.label} {row.text}" for row in hours_rows(shops.parse_hours(shop.opening_hours), lang)
    )
    return ApplicationView(
        id=shop.id,
        name=shop.name,
        applicant=names.get(shop.owner_id, ""),
        description=shop.description,
        district=shop.district,
        address=shop.address,
        pickup_point=shop.pickup_point,
        contact=" · ".join(v for v in (shop.phone, shop.email) if v),
        hours=hours,
        logo=media.url(shop.logo_key, 320) if shop.logo_key else "",
        applied=date_time(shop.created_at, lang),
    )


def _report_view(row: moderation.ReportRow, lang: str) -> ReportView:
    seller = f"{row.shop_name} ({row.seller_name})" if row.shop_name else row.seller_name
    return ReportView(
        id=row.id,
        listing_href=f"/listing/{row.listing_id}",
        listing_title=row.listing_title,
        seller=seller,
        reason=translate(lang, f"report.reason.{row.reason}"),
        text=row.text,
        reporter=row.reporter_name,
        reported=date_time(row.created_at, lang),
        image=media.url(row.cover_key, 320) if row.cover_key else "/placeholder.svg",
        others=translate(lang, "queue.open_reports", count=row.open_reports)
        if row.open_reports > 1
        else "",
    )


class OperatorState(rx.State):
    """Tabs of the operator queue and the decisions taken from it."""

    _action: str = "hide"
    tab: str = "shops"
    applications: list[ApplicationView] = []
    reports: list[ReportView] = []
    review_reports: list[ReviewReportView] = []
    row_errors: dict[str, str] = {}
    notice: str = ""
    loaded: bool = False
    busy_key: str = ""

    async def _reload(self, lang: str) -> None:
        pending, names, reports, review_reports = await run_read(_queue, current_user().id)
        self.applications = [_application_view(s, names, lang) for s in pending]
        self.reports = [_report_view(r, lang) for r in reports]
        self.review_reports = [_review_report_view(r, lang) for r in review_reports]
        self.loaded = True

    @rx.event
    @login_required(role="moderator")
    async def load(self):
        """Load both queues; ``?tab=reports`` opens the second tab."""
        lang = (await self.get_state(LocaleState)).lang
        tab = self.router.url.query_parameters.get("tab", "shops")
        self.tab = tab if tab in TABS else "shops"
        self.loaded = False
        self.row_errors = {}
        self.notice = ""
        yield
        await self._reload(lang)

    @rx.event
    @login_required(role="moderator")
    async def set_tab(self, tab: str):
        """Switch tabs."""
        if tab in TABS:
            self.tab = tab

    async def _decide(self, key: str, notice_key: str, fn, **kwargs):
        loc = await self.get_state(LocaleState)
        self.busy_key = key
        self.notice = ""
        yield
        errors = {k: v for k, v in self.row_errors.items() if k != key}
        try:
            await run_write(fn, actor_id=current_user().id, **kwargs)
        except ServiceError as error:
            errors[key] = next(iter(loc._errors(error).values()))
        else:
            self.notice = loc._tr(notice_key)
        self.row_errors = errors
        self.busy_key = ""
        await self._reload(loc.lang)

    @rx.event
    @login_required(role="moderator")
    async def approve(self, shop_id: int):
        """Approve a shop application."""
        if not isinstance(shop_id, int):
            return
        async for update in self._decide(
            f"shop-{shop_id}", "queue.approved", shops.approve, shop_id=shop_id
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def reject(self, form: dict):
        """Reject the shop application of the submitted row, with the reason typed there."""
        shop_id = _row_id(form, "shop_id")
        if shop_id is None:
            return
        reason = forms.text(form, "reason", shops.REASON_MAX)
        async for update in self._decide(
            f"shop-{shop_id}", "queue.rejected", shops.reject, shop_id=shop_id, reason=reason
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def choose(self, action: str):
        """Remember which button of a report row submitted its form ("hide" or "dismiss")."""
        self._action = "dismiss" if action == "dismiss" else "hide"

    async def _decide_report(self, form: dict, key_prefix: str, hide, hidden_key: str):
        """Hide what a report row names (``hide``) or dismiss the report, as chosen."""
        action, self._action = self._action, "hide"
        report_id = _row_id(form, "report_id")
        if report_id is None:
            return
        reason = forms.text(form, "reason", moderation.RESOLUTION_MAX)
        if action == "dismiss":
            fn, notice = moderation.dismiss_report, "queue.dismissed"
        else:
            fn, notice = hide, hidden_key
        async for update in self._decide(
            f"{key_prefix}-{report_id}", notice, fn, report_id=report_id, reason=reason
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def decide_report(self, form: dict):
        """Hide the reported listing, or dismiss the report, with the reason typed in its row."""
        async for update in self._decide_report(
            form, "report", moderation.hide_listing, "queue.hidden"
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def decide_review_report(self, form: dict):
        """Hide the reported review (its words stay), or dismiss the report, with the reason."""
        async for update in self._decide_report(
            form, "review-report", _hide_reported_review, "reviews.queue_hidden"
        ):
            yield update
