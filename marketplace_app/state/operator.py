"""The operator queue at ``/admin/queue``.

Tabs: shop applications; reports of listings, reviews, messages and members
(each with its context); listings held by the blocklist; sanctions in force.
Every handler requires the moderator role (admins included); the services
check the role again, close the reports, write the audit entries and tell
the members concerned. Rows about the operator's own shop, listings,
reviews, messages or account (``mine``) show no decision buttons: another
operator must decide them, and the services refuse them anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date_time
from marketplace_app.ids import parse_id
from marketplace_app.services import (
    audit,
    blocklist,
    media,
    moderation,
    moderation_queue,
    reviews,
    shops,
)
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.moderation_views import (
    MessageReportView,
    PendingView,
    SanctionView,
    UserReportView,
    message_report_view,
    pending_view,
    sanction_view,
    user_report_view,
)
from marketplace_app.state.session import LocaleState
from marketplace_app.state.shops import hours_rows

TABS = ("shops", "reports", "pending", "sanctions")
REPORT_ACTIONS = ("hide", "dismiss", "warn", "suspend", "ban")
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
    mine: bool = False


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
    mine: bool = False


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
    mine: bool = False


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
        mine=row.mine,
    )


def _row_id(form: dict, name: str) -> int | None:
    """The row id a queue form carries in a hidden field (a hint: services check it)."""
    return parse_id(forms.text(form, name, 12))


@dataclass(frozen=True)
class _Queue:
    applications: list
    names: dict[int, str]
    own_shops: set[int]
    reports: list
    review_reports: list
    message_reports: list
    user_reports: list
    pending: list
    sanctions: list


def _queue(session, actor_id: int) -> _Queue:
    applications = shops.pending_applications(session, limit=QUEUE_LIMIT, actor_id=actor_id)
    return _Queue(
        applications=applications,
        names=shops.applicant_names(session, applications),
        own_shops={s.id for s in applications if shops.concerns(session, actor_id, s)},
        reports=moderation.open_reports(session, limit=QUEUE_LIMIT, actor_id=actor_id),
        review_reports=reviews.open_review_reports(session, actor_id, limit=QUEUE_LIMIT),
        message_reports=moderation_queue.message_reports(session, actor_id, limit=QUEUE_LIMIT),
        user_reports=moderation_queue.user_reports(session, actor_id, limit=QUEUE_LIMIT),
        pending=blocklist.pending_listings(session, actor_id, limit=QUEUE_LIMIT),
        sanctions=moderation_queue.sanctions_in_force(session, actor_id, limit=QUEUE_LIMIT),
    )


def _days(form: dict) -> int | None:
    """The suspension length typed in a row (None when not a whole number: the service says so)."""
    raw = forms.text(form, "days", 4)
    return int(raw) if raw.isdigit() else None


def _application_view(shop, names: dict[int, str], own: set[int], lang: str) -> ApplicationView:
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
        mine=shop.id in own,
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
        mine=row.mine,
    )


class OperatorState(rx.State):
    """Tabs of the operator queue and the decisions taken from it."""

    _action: str = "hide"
    tab: str = "shops"
    applications: list[ApplicationView] = []
    reports: list[ReportView] = []
    review_reports: list[ReviewReportView] = []
    message_reports: list[MessageReportView] = []
    user_reports: list[UserReportView] = []
    pending: list[PendingView] = []
    sanctions: list[SanctionView] = []
    is_admin: bool = False
    row_errors: dict[str, str] = {}
    notice: str = ""
    loaded: bool = False
    busy_key: str = ""

    async def _reload(self, lang: str) -> None:
        q = await run_read(_queue, current_user().id)
        self.applications = [
            _application_view(s, q.names, q.own_shops, lang) for s in q.applications
        ]
        self.reports = [_report_view(r, lang) for r in q.reports]
        self.review_reports = [_review_report_view(r, lang) for r in q.review_reports]
        self.message_reports = [message_report_view(r, lang) for r in q.message_reports]
        self.user_reports = [user_report_view(r, lang) for r in q.user_reports]
        self.pending = [pending_view(r, lang) for r in q.pending]
        self.sanctions = [sanction_view(r, lang) for r in q.sanctions]
        self.is_admin = current_user().has_role("admin")
        self.loaded = True

    @rx.event
    @login_required(role="moderator")
    async def load(self):
        """Load every tab; ``?tab=reports`` (or pending, sanctions) opens that tab."""
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

    async def _decide_row(self, form: dict, id_name: str, prefix: str, notice_key: str, fn):
        """Decide on the row whose id and reason the form submitted (``fn(<id_name>, reason)``)."""
        row_id = _row_id(form, id_name)
        if row_id is None:
            return
        reason = forms.text(form, "reason", audit.REASON_MAX)
        async for update in self._decide(
            f"{prefix}-{row_id}", notice_key, fn, **{id_name: row_id, "reason": reason}
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def approve(self, shop_id: int):
        """Approve a shop application."""
        shop_id = parse_id(shop_id)
        if shop_id is None:
            return
        async for update in self._decide(
            f"shop-{shop_id}", "queue.approved", shops.approve, shop_id=shop_id
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def reject(self, form: dict):
        """Reject the shop application of the submitted row, with the reason typed there."""
        async for update in self._decide_row(
            form, "shop_id", "shop", "queue.rejected", shops.reject
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def choose(self, action: str):
        """Remember which button of a report row submitted its form (hide, dismiss, warn, ...)."""
        self._action = action if action in REPORT_ACTIONS else "hide"

    async def _decide_report(self, form: dict, key_prefix: str, hidden_key: str):
        """Act on the report a row names as chosen: hide, dismiss, or sanction the member."""
        action, self._action = self._action, "hide"
        report_id = _row_id(form, "report_id")
        if report_id is None:
            return
        reason = forms.text(form, "reason", audit.REASON_MAX)
        kwargs = {"report_id": report_id, "reason": reason}
        if action == "dismiss":
            fn, notice = moderation.dismiss_report, "queue.dismissed"
        elif action == "hide":
            fn, notice = moderation.hide_reported, hidden_key
        else:
            fn, notice = moderation.sanction, f"moderation.done_{action}"
            kwargs.update(kind=action, days=_days(form) if action == "suspend" else None)
        async for update in self._decide(f"{key_prefix}-{report_id}", notice, fn, **kwargs):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def decide_report(self, form: dict):
        """Act on a listing report: hide the listing, dismiss, or sanction its seller."""
        async for update in self._decide_report(form, "report", "queue.hidden"):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def decide_review_report(self, form: dict):
        """Act on a review report: hide the review (its words stay), dismiss, or sanction."""
        async for update in self._decide_report(form, "review-report", "reviews.queue_hidden"):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def decide_message_report(self, form: dict):
        """Act on a message report: hide the message, dismiss, or sanction its sender."""
        async for update in self._decide_report(
            form, "message-report", "moderation.message_hidden"
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def decide_user_report(self, form: dict):
        """Act on a member report: warn, suspend or ban the member, or dismiss."""
        if self._action == "hide":  # Enter in the reason field: members are not hidden
            return
        async for update in self._decide_report(form, "user-report", "queue.dismissed"):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def approve_listing(self, listing_id: int):
        """Let a listing held by the blocklist go live."""
        listing_id = parse_id(listing_id)
        if listing_id is None:
            return
        async for update in self._decide(
            f"pending-{listing_id}",
            "moderation.approved",
            blocklist.approve,
            listing_id=listing_id,
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def reject_listing(self, form: dict):
        """Refuse a held listing with the reason typed in its row (its owner reads it)."""
        async for update in self._decide_row(
            form, "listing_id", "pending", "moderation.rejected", blocklist.reject
        ):
            yield update

    @rx.event
    @login_required(role="moderator")
    async def lift(self, form: dict):
        """Lift the suspension or ban of the submitted row, with an optional note."""
        async for update in self._decide_row(
            form, "sanction_id", "sanction", "moderation.lifted", moderation.lift_sanction
        ):
            yield update
