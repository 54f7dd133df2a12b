"""The audit log reader, the blocklist, and "report this member" on a seller card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import reflex as rx

from marketplace_app.i18n import translate
from marketplace_app.i18n.formatting import date_time
from marketplace_app.ids import parse_id
from marketplace_app.services import audit, blocklist
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import current_user, login_required, run_read, run_write
from marketplace_app.state.session import LocaleState

AUDIT_PAGE = 25


@dataclass
class AuditRowView:
    """One audit entry as the reader shows it."""

    id: int
    at: str
    actor: str
    action: str
    target: str
    reason: str


@dataclass
class TermView:
    """One blocked term."""

    id: int
    term: str


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _audit_view(row: audit.AuditRow, lang: str) -> AuditRowView:
    target = row.target_type + (f" #{row.target_id}" if row.target_id is not None else "")
    return AuditRowView(
        id=row.id,
        at=date_time(row.at, lang),
        actor=row.actor_name or translate(lang, "audit.system"),
        action=row.action,
        target=target,
        reason=row.reason,
    )


class AuditState(rx.State):
    """``/admin/audit``: the audit log, newest first, filtered and paged (staff only)."""

    rows: list[AuditRowView] = []
    actor: str = ""
    action: str = ""
    target_type: str = ""
    since: str = ""
    until: str = ""
    page: int = 0
    has_more: bool = False
    errors: dict[str, str] = {}
    loaded: bool = False
    # The action filter of the rows on show (tests wait on it after applying).
    shown_action: str = ""

    def _filter(self) -> audit.AuditFilter:
        return audit.AuditFilter(
            actor=self.actor,
            action=self.action,
            target_type=self.target_type,
            since=_day(self.since),
            until=_day(self.until),
        )

    async def _reload(self) -> None:
        loc = await self.get_state(LocaleState)
        errors = {
            name: loc._tr("error.date_invalid")
            for name, raw in (("since", self.since), ("until", self.until))
            if raw and _day(raw) is None
        }
        if not errors:
            try:
                rows, more = await run_read(
                    audit.entries,
                    current_user().id,
                    self._filter(),
                    limit=AUDIT_PAGE,
                    offset=self.page * AUDIT_PAGE,
                )
            except ServiceError as error:
                errors = loc._errors(error)
            else:
                self.rows = [_audit_view(r, loc.lang) for r in rows]
                self.has_more = more
                self.shown_action = self.action
        if errors:
            self.rows, self.has_more = [], False
        self.errors = errors
        self.loaded = True

    @rx.event
    @login_required(role="moderator")
    async def load(self):
        """Open the newest page; ``?action=`` and ``?target=`` preset those filters."""
        query = self.router.url.query_parameters
        self.actor, self.since, self.until = "", "", ""
        self.action = str(query.get("action", ""))[: audit.FILTER_MAX]
        self.target_type = str(query.get("target", ""))[:40]
        self.page = 0
        self.loaded = False
        yield
        await self._reload()

    @rx.event
    @login_required(role="moderator")
    async def apply(self, form: dict):
        """Filter by the submitted actor, action, target type and dates (first page)."""
        self.actor = forms.text(form, "actor", audit.FILTER_MAX)
        self.action = forms.text(form, "action", audit.FILTER_MAX)
        self.target_type = forms.text(form, "target_type", 40)
        self.since = forms.text(form, "since", 10)
        self.until = forms.text(form, "until", 10)
        self.page = 0
        self.loaded = False
        yield
        await self._reload()

    @rx.event
    @login_required(role="moderator")
    async def turn(self, step: int):
        """Go to the next (1) or previous (-1) page."""
        if step not in (1, -1) or (step == 1 and not self.has_more):
            return
        self.page = max(0, self.page + step)
        self.loaded = False
        yield
        await self._reload()


class BlocklistState(rx.State):
    """``/admin/blocklist``: terms that hold new listings for review (admins only)."""

    terms: list[TermView] = []
    errors: dict[str, str] = {}
    notice: str = ""
    loaded: bool = False
    busy: bool = False

    async def _reload(self) -> None:
        rows = await run_read(blocklist.terms, current_user().id)
        self.terms = [TermView(id=r.id, term=r.term) for r in rows]
        self.loaded = True

    @rx.event
    @login_required(role="admin")
    async def load(self):
        """Show the list."""
        self.errors, self.notice, self.loaded = {}, "", False
        yield
        await self._reload()

    async def _write(self, fn, notice_key: str, **kwargs):
        loc = await self.get_state(LocaleState)
        self.busy, self.notice = True, ""
        yield
        try:
            await run_write(fn, actor_id=current_user().id, **kwargs)
        except ServiceError as error:
            self.errors = loc._errors(error)
        else:
            self.errors, self.notice = {}, loc._tr(notice_key)
        self.busy = False
        await self._reload()

    @rx.event
    @login_required(role="admin")
    async def add(self, form: dict):
        """Add the submitted term."""
        term = forms.text(form, "term", blocklist.TERM_MAX)
        async for update in self._write(blocklist.add_term, "blocklist.added", term=term):
            yield update

    @rx.event
    @login_required(role="admin")
    async def remove(self, term_id: int):
        """Remove a term."""
        term_id = parse_id(term_id)
        if term_id is None:
            return
        async for update in self._write(
            blocklist.remove_term, "blocklist.removed", term_id=term_id
        ):
            yield update
