"""The Reflex app: pages, their load events, API routes and background jobs."""

import reflex as rx

import marketplace_app.models  # noqa: F401  (registers the tables)
from marketplace_app import realtime
from marketplace_app.api.routes import make_api
from marketplace_app.jobs.runner import run_jobs
from marketplace_app.pages.account import account_page, addresses_page
from marketplace_app.pages.auth import forgot_page, login_page, register_page, reset_page
from marketplace_app.pages.balance import balance_page
from marketplace_app.pages.cart import cart_page
from marketplace_app.pages.checkout import checkout_page
from marketplace_app.pages.favorites import favorites_page
from marketplace_app.pages.home import home_page
from marketplace_app.pages.inbox import inbox_page
from marketplace_app.pages.listing import listing_page
from marketplace_app.pages.my_listings import my_listings_page
from marketplace_app.pages.offers import offers_page
from marketplace_app.pages.operator import queue_page
from marketplace_app.pages.orders import (
    disputes_page,
    order_group_page,
    order_page,
    orders_page,
    seller_orders_page,
)
from marketplace_app.pages.search import search_page
from marketplace_app.pages.sell import sell_page
from marketplace_app.pages.shop_products import (
    csv_import_page,
    manage_page,
    product_editor_page,
)
from marketplace_app.pages.shops import apply_page, public_shop_page
from marketplace_app.settings import settings
from marketplace_app.state.account import AddressState, ProfileState
from marketplace_app.state.auth import AuthState
from marketplace_app.state.balance import BalanceState
from marketplace_app.state.cart import CartState
from marketplace_app.state.catalog import HomeState, ListingState
from marketplace_app.state.checkout import CheckoutState
from marketplace_app.state.favorites_page import FavoritesPageState
from marketplace_app.state.handover_days import HandoverDaysState
from marketplace_app.state.inbox import InboxState
from marketplace_app.state.my_listings import MyListingsState
from marketplace_app.state.offers import OffersState
from marketplace_app.state.operator import OperatorState
from marketplace_app.state.orders import (
    DisputesState,
    OrderGroupState,
    OrdersState,
    OrderState,
    SellerOrdersState,
)
from marketplace_app.state.products import CsvImportState, ProductEditorState, ShopManageState
from marketplace_app.state.reviews import OrderReviewState, ReviewListState
from marketplace_app.state.search import SearchState
from marketplace_app.state.sell import SellState
from marketplace_app.state.session import SessionState
from marketplace_app.state.shops import PublicShopState, ShopApplyState

settings.refuse_unsafe_start()  # rxconfig.py checks first; this covers other loaders
app = rx.App(
    api_transformer=make_api(),
    stylesheets=["/styles.css"],
    head_components=[rx.el.link(rel="icon", href="/logo.svg", type="image/svg+xml")],
)
app.register_lifespan_task(run_jobs)
app.register_lifespan_task(realtime.relay)

_shell = SessionState.load
_title = settings.market_name


def _add(component, route: str, *load, title: str = _title) -> None:
    app.add_page(component, route=route, title=title, on_load=[_shell, *load])


_add(home_page, "/", HomeState.load)
_add(
    listing_page,
    "/listing/[listing_id]",
    ListingState.load,
    ReviewListState.load_listing,
    title=ListingState.page_title,
)
_add(login_page, "/login", AuthState.clear)
_add(register_page, "/register", AuthState.clear)
_add(forgot_page, "/forgot-password", AuthState.clear)
_add(reset_page, "/reset-password", AuthState.clear)
_add(account_page, "/account", ProfileState.load, HandoverDaysState.load_mine)
_add(addresses_page, "/account/addresses", AddressState.load)

# --- selling: sell form, my listings (pages/sell.py) ---
_add(sell_page, "/sell", SellState.load)
_add(sell_page, "/sell/[listing_id]", SellState.load)
_add(my_listings_page, "/my/listings", MyListingsState.load)

# --- shops and the operator queue (pages/shops.py, pages/operator.py) ---
_add(apply_page, "/shop/apply", ShopApplyState.load)
_add(manage_page, "/shop/manage", ShopManageState.load, HandoverDaysState.load_shop)
_add(product_editor_page, "/shop/manage/product/[product_id]", ProductEditorState.load)
_add(csv_import_page, "/shop/manage/import", CsvImportState.load)
_add(public_shop_page, "/shop/[slug]", PublicShopState.load, ReviewListState.load_shop)
_add(queue_page, "/admin/queue", OperatorState.load)

# --- finding: search, favorites, recently viewed (pages/search.py, pages/favorites.py) ---
_add(search_page, "/search", SearchState.load)
_add(favorites_page, "/favorites", FavoritesPageState.load)

# --- buying: cart (pages/cart.py) ---
_add(cart_page, "/cart", CartState.load)

# --- buying: checkout (pages/checkout.py) ---
_add(checkout_page, "/checkout", CheckoutState.load)

# --- buying: orders, inbox, disputes (pages/orders.py, pages/inbox.py) ---
_add(inbox_page, "/inbox", InboxState.load)
_add(orders_page, "/orders", OrdersState.load)
_add(order_group_page, "/orders/group/[group_id]", OrderGroupState.load)
_add(order_page, "/orders/[number]", OrderState.load, OrderReviewState.load)
_add(seller_orders_page, "/seller/orders", SellerOrdersState.load)
_add(disputes_page, "/admin/disputes", DisputesState.load)

# --- buying: payments, balance and statements (pages/balance.py) ---
_add(balance_page, "/seller/balance", BalanceState.load)

# --- trust: offers (pages/offers.py) ---
_add(offers_page, "/offers", OffersState.load)

# --- trust: messaging (pages/messages.py) ---
from marketplace_app.pages.messages import messages_page, thread_page  # noqa: E402
from marketplace_app.state.messages import MessagesState, ThreadState  # noqa: E402

_add(messages_page, "/messages", MessagesState.load)
_add(thread_page, "/messages/[conversation_id]", ThreadState.load)

# --- trust: moderation (pages/operator.py, pages/moderation.py) ---
from marketplace_app.pages.moderation import audit_page, blocklist_page  # noqa: E402
from marketplace_app.state.moderation import AuditState, BlocklistState  # noqa: E402

_add(audit_page, "/admin/audit", AuditState.load)
_add(blocklist_page, "/admin/blocklist", BlocklistState.load)
