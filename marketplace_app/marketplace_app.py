"""The Reflex app: pages, their load events, API routes and background jobs."""

import reflex as rx

import marketplace_app.models  # noqa: F401  (registers the tables)
from marketplace_app.api.routes import make_api
from marketplace_app.jobs.runner import run_jobs
from marketplace_app.pages.account import account_page, addresses_page
from marketplace_app.pages.auth import forgot_page, login_page, register_page, reset_page
from marketplace_app.pages.browse import browse_page
from marketplace_app.pages.home import home_page
from marketplace_app.pages.listing import listing_page
from marketplace_app.pages.upcoming import cart_page, inbox_page, sell_page
from marketplace_app.settings import settings
from marketplace_app.state.account import AddressState, ProfileState
from marketplace_app.state.auth import AuthState
from marketplace_app.state.catalog import BrowseState, HomeState, ListingState
from marketplace_app.state.session import SessionState

app = rx.App(
    api_transformer=make_api(),
    stylesheets=["/styles.css"],
    head_components=[rx.el.link(rel="icon", href="/logo.svg", type="image/svg+xml")],
)
app.register_lifespan_task(run_jobs)

_shell = SessionState.load
_title = settings.market_name


def _add(component, route: str, *load, title: str = _title) -> None:
    app.add_page(component, route=route, title=title, on_load=[_shell, *load])


_add(home_page, "/", HomeState.load)
_add(listing_page, "/listing/[listing_id]", ListingState.load)
_add(browse_page, "/search", BrowseState.load)
_add(login_page, "/login", AuthState.clear)
_add(register_page, "/register", AuthState.clear)
_add(forgot_page, "/forgot-password", AuthState.clear)
_add(reset_page, "/reset-password", AuthState.clear)
_add(account_page, "/account", ProfileState.load)
_add(addresses_page, "/account/addresses", AddressState.load)
_add(cart_page, "/cart")
_add(inbox_page, "/inbox")
_add(sell_page, "/sell")

# --- selling: sell form, my listings (pages/sell.py) ---

# --- shops and the operator queue (pages/shops.py, pages/operator.py) ---

# --- finding: search, favorites, recently viewed (pages/search.py, pages/favorites.py) ---
