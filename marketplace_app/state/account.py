"""The account pages: profile, password and address book."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import reflex as rx

from marketplace_app.db import read_session, write_session
from marketplace_app.ids import parse_id
from marketplace_app.models import User
from marketplace_app.services import accounts, addresses, auth_sessions
from marketplace_app.services.errors import ServiceError
from marketplace_app.state import forms
from marketplace_app.state.guard import (
    caller_address,
    current_user,
    login_required,
    run_read,
    run_write,
)
from marketplace_app.state.session import LocaleState, SessionState, establish_session


@dataclass
class AddressView:
    """One address book entry as the page shows it."""

    id: int
    label: str
    recipient: str
    phone: str
    line1: str
    line2: str
    district: str
    city: str
    postcode: str
    is_default: bool


def _address_input(form: dict) -> addresses.AddressInput:
    return addresses.AddressInput(
        label=forms.text(form, "label", 40),
        recipient=forms.text(form, "recipient", 60),
        phone=forms.text(form, "phone", 20),
        line1=forms.text(form, "line1", 120),
        line2=forms.text(form, "line2", 120),
        district=forms.text(form, "district", 60),
        city=forms.text(form, "city", 60),
        postcode=forms.text(form, "postcode", 12),
    )


class ProfileState(rx.State):
    """Profile form and password change."""

    name: str = ""
    bio: str = ""
    district: str = ""
    contact: str = ""
    errors: dict[str, str] = {}
    password_errors: dict[str, str] = {}
    saved: bool = False
    loaded: bool = False
    password_changed: bool = False

    @rx.event
    @login_required
    async def load(self):
        """Fill the form from the database."""
        user = await run_read(lambda s, uid: s.get(User, uid), current_user().id)
        self.name = user.name
        self.bio = user.bio
        self.district = user.district
        self.contact = user.email or user.phone or ""
        self.errors = {}
        self.password_errors = {}
        self.saved = False
        self.password_changed = self.router.url.query_parameters.get("password_changed") == "1"
        self.loaded = True

    @rx.event
    @login_required
    async def save(self, form: dict):
        """Save name, bio and district."""
        loc = await self.get_state(LocaleState)
        self.saved = False
        try:
            user = await run_write(
                accounts.update_profile,
                current_user().id,
                name=forms.text(form, "name", 60),
                bio=forms.text(form, "bio", 500),
                district=forms.text(form, "district", 60),
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
            return
        self.errors = {}
        self.name, self.bio, self.district = user.name, user.bio, user.district
        self.saved = True
        shell = await self.get_state(SessionState)
        shell.user_name = user.name

    @rx.event
    @login_required
    async def change_password(self, form: dict):
        """Change the password: every other session ends, this browser stays in."""
        loc = await self.get_state(LocaleState)
        new = forms.secret(form, "new")
        if new != forms.secret(form, "confirm"):
            self.password_errors = {"confirm": loc._tr("error.password_mismatch")}
            return
        try:
            # The verify and the hash run before the short write (see change_password).
            ticket = await asyncio.to_thread(
                auth_sessions.change_password,
                read_session,
                write_session,
                current_user().id,
                current=forms.secret(form, "current"),
                new=new,
                ip=caller_address(self),
            )
        except ServiceError as error:
            errors = loc._errors(error)
            # "Too many attempts" belongs under the password being guessed.
            self.password_errors = {"current": errors.pop("_form")} if "_form" in errors else errors
            return
        self.password_errors = {}
        return establish_session(ticket, "/account?password_changed=1")


class AddressState(rx.State):
    """The address book: list, add, edit, delete, choose the default."""

    addresses: list[AddressView] = []
    editing_id: int = 0
    form_open: bool = False
    errors: dict[str, str] = {}
    loaded: bool = False
    # Came from checkout's "add an address": open the form, and go back there after saving.
    from_checkout: bool = False

    async def _reload(self) -> None:
        rows = await run_read(addresses.list_addresses, current_user().id)
        self.addresses = [
            AddressView(
                id=a.id,
                label=a.label,
                recipient=a.recipient,
                phone=a.phone,
                line1=a.line1,
                line2=a.line2,
                district=a.district,
                city=a.city,
                postcode=a.postcode,
                is_default=a.is_default,
            )
            for a in rows
        ]
        self.loaded = True

    @rx.var
    def editing(self) -> dict[str, str | bool]:
        """Initial form values: the address being edited, or blanks."""
        for a in self.addresses:
            if a.id == self.editing_id:
                return {
                    "label": a.label,
                    "recipient": a.recipient,
                    "phone": a.phone,
                    "line1": a.line1,
                    "line2": a.line2,
                    "district": a.district,
                    "city": a.city,
                    "postcode": a.postcode,
                    "is_default": a.is_default,
                }
        fields = ("label", "recipient", "phone", "line1", "line2", "district", "city", "postcode")
        return {**dict.fromkeys(fields, ""), "is_default": False}

    @rx.event
    @login_required
    async def load(self):
        """Load the caller's addresses (``?from=checkout`` opens an empty form)."""
        self.from_checkout = self.router.url.query_parameters.get("from") == "checkout"
        self.form_open = self.from_checkout
        self.editing_id = 0
        self.errors = {}
        await self._reload()

    @rx.event
    @login_required
    async def open_form(self, address_id: int):
        """Show the form, empty (0) or for one of the caller's addresses."""
        ids = {a.id for a in self.addresses}
        wanted = parse_id(address_id)
        self.editing_id = wanted if wanted in ids else 0
        self.errors = {}
        self.form_open = True

    @rx.event
    @login_required
    async def close_form(self):
        """Hide the form."""
        self.form_open = False
        self.errors = {}

    @rx.event
    @login_required
    async def save(self, form: dict):
        """Create or update an address (the service checks it is the caller's)."""
        loc = await self.get_state(LocaleState)
        address_id = self.editing_id or None
        try:
            await run_write(
                addresses.save_address,
                current_user().id,
                address_id,
                _address_input(form),
                make_default=forms.flag(form, "is_default"),
            )
        except ServiceError as error:
            self.errors = loc._errors(error)
            return
        self.errors = {}
        self.form_open = False
        self.editing_id = 0
        if self.from_checkout:
            return rx.redirect("/checkout")
        await self._reload()

    @rx.event
    @login_required
    async def delete(self, address_id: int):
        """Delete one of the caller's addresses."""
        address_id = parse_id(address_id)
        if address_id is None:
            return
        with contextlib.suppress(ServiceError):
            await run_write(addresses.delete_address, current_user().id, address_id)
        await self._reload()

    @rx.event
    @login_required
    async def make_default(self, address_id: int):
        """Make one of the caller's addresses the default."""
        address_id = parse_id(address_id)
        if address_id is None:
            return
        with contextlib.suppress(ServiceError):
            await run_write(addresses.set_default_address, current_user().id, address_id)
        await self._reload()
