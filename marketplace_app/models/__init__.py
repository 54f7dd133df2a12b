"""SQLModel tables. Importing this package registers every table."""

from marketplace_app.models.accounts import (
    Address,
    AuditEntry,
    AuthSession,
    LoginAttempt,
    LoginTicket,
    PasswordResetToken,
    User,
)
from marketplace_app.models.carts import Cart, CartLine
from marketplace_app.models.catalog import (
    Category,
    Favorite,
    Listing,
    ListingImage,
    ListingVariant,
    RecentView,
)
from marketplace_app.models.jobs import JobLease
from marketplace_app.models.messaging import Conversation, Message, UserBlock
from marketplace_app.models.moderation import BlockedTerm, Report, Sanction
from marketplace_app.models.notifications import InboxItem, OutboxEmail
from marketplace_app.models.offers import Offer, OfferTransition
from marketplace_app.models.orders import (
    Order,
    OrderGroup,
    OrderLine,
    OrderTransition,
    RefundRequest,
)
from marketplace_app.models.payments import (
    CommissionRate,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentEvent,
)
from marketplace_app.models.reviews import Review
from marketplace_app.models.shops import Shop, ShopMember

__all__ = [
    "BlockedTerm",
    "Conversation",
    "Message",
    "Offer",
    "OfferTransition",
    "Sanction",
    "UserBlock",
    "RefundRequest",
    "PaymentEvent",
    "Payment",
    "LedgerTransaction",
    "LedgerEntry",
    "JobLease",
    "InboxItem",
    "CommissionRate",
    "Address",
    "AuditEntry",
    "AuthSession",
    "Cart",
    "CartLine",
    "Category",
    "Favorite",
    "Listing",
    "ListingImage",
    "ListingVariant",
    "LoginAttempt",
    "LoginTicket",
    "Order",
    "OrderGroup",
    "OrderLine",
    "OrderTransition",
    "OutboxEmail",
    "PasswordResetToken",
    "RecentView",
    "Report",
    "Review",
    "Shop",
    "ShopMember",
    "User",
]
