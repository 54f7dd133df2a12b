"""Every event handler a browser can call is either on the public list or guarded.

Adding a handler means deciding which: mark it ``@public`` and add it to
PUBLIC below (it must only touch the caller's own cookie or public data), or
guard it with ``@login_required``.
"""

import reflex as rx
from reflex_base.event import (
    resolve_upload_chunk_handler_param,
    resolve_upload_handler_param,
)
from reflex_base.utils.exceptions import UploadValueError

import marketplace_app.marketplace_app  # noqa: F401  (registers every page and state)
from marketplace_app.state.guard import GUARD_ATTR

PUBLIC = {
    "SessionState.load",
    "NavState.search",
    "HomeState.load",
    "ListingState.load",
    "AuthState.clear",
    "AuthState.login",
    "AuthState.register",
    "AuthState.request_reset",
    "AuthState.deliver_mail",
    "AuthState.reset_password",
    # --- selling ---
    # --- shops and operator queue ---
    "PublicShopState.load",
    # --- finding ---
    "SearchState.load",
    "SearchState.submit",
    "SearchState.set_filter",
    "SearchState.set_free",
    "SearchState.toggle_filters",
    "ListingState.select_variant",
    "ListingState.share",
    # --- buying: cart ---
    "CartState.load",
    "CartState.set_quantity",
    "CartState.submit_quantity",
    "CartState.remove_line",
    "CartState.accept_price",
    "ListingState.add_to_cart",
    # --- buying: checkout ---
    # --- buying: orders, inbox, disputes ---
    # --- buying: payments, balance ---
    # --- trust: reviews ---
    "ReviewListState.load_listing",
    "ReviewListState.load_shop",
    # --- trust: offers ---
    "OfferPanelState.load",
    # --- trust: messaging ---
    # --- trust: moderation ---
}


def _app_states():
    seen, todo = [], [rx.State]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            # A mixin is no state of its own: its handlers are checked on the states using it.
            if sub.__module__.startswith("marketplace_app.") and not sub._mixin:
                seen.append(sub)
    return seen


def _handlers():
    for state in _app_states():
        for name, handler in state.event_handlers.items():
            yield f"{state.__name__}.{name}", name, handler


def test_the_app_has_states_and_handlers():
    names = [qualified for qualified, _, _ in _handlers()]
    assert len(_app_states()) >= 8
    assert "AddressState.save" in names


def test_every_handler_is_public_by_decision_or_guarded():
    unguarded, public_marked = [], set()
    for qualified, name, handler in _handlers():
        if name == "setvar":
            continue  # routes only to explicit set_* handlers, which are checked here too
        guard = getattr(handler.fn, GUARD_ATTR, None)
        if guard == "public":
            public_marked.add(qualified)
        elif (
            guard is None
            or guard.removeprefix("upload:") != "login"
            and not (guard.removeprefix("upload:").startswith("role:"))
        ):
            unguarded.append(qualified)
    assert unguarded == [], f"handlers with neither @public nor @login_required: {unguarded}"
    added, gone = sorted(public_marked - PUBLIC), sorted(PUBLIC - public_marked)
    assert public_marked == PUBLIC, f"public handlers changed: new {added}, gone {gone}"


def test_upload_handlers_take_the_user_from_the_upload_request():
    # Reflex runs an upload handler with the headers the tab's websocket sent
    # at connect time; only the upload guard looks at the upload's own cookie.
    uploads, wrong = [], []
    for qualified, _, handler in _handlers():
        resolve = (
            resolve_upload_chunk_handler_param
            if handler.is_background
            else resolve_upload_handler_param
        )
        try:
            resolve(handler)
        except UploadValueError:
            continue
        uploads.append(qualified)
        if not str(getattr(handler.fn, GUARD_ATTR, "")).startswith("upload:"):
            wrong.append(qualified)
    assert "SellState.upload_photos" in uploads and len(uploads) >= 8
    assert wrong == [], f"upload handlers without @login_required(upload=True): {wrong}"
