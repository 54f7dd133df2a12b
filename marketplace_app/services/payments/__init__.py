"""Payments: providers (cash, escrow), the gateway adapter, webhooks and seller statements.

Modules:

- :mod:`.checkout`: the provider interface and :func:`begin_escrow_checkout`;
- :mod:`.gateway`: the httpx adapter of the hosted-checkout gateway and the
  webhook signature;
- :mod:`.webhooks`: recording and applying verified gateway events (imported
  by the webhook route, not here: it calls into the orders service);
- :mod:`.statements`: a seller's balance, statements, CSV and weekly figures;
- :mod:`.sandbox`: the sessions of the sandbox gateway served by this app.

The ledger itself is :mod:`marketplace_app.services.ledger`.
"""

from marketplace_app.services.payments.checkout import (
    CASH,
    ESCROW,
    PROVIDERS,
    CashProvider,
    EscrowProvider,
    NothingToPay,
    PaymentProvider,
    begin_escrow_checkout,
    provider,
)
from marketplace_app.services.payments.gateway import (
    GatewayClient,
    GatewaySession,
    GatewayUnavailable,
    signature_header,
    verify_signature,
)

__all__ = [
    "CASH",
    "ESCROW",
    "PROVIDERS",
    "CashProvider",
    "EscrowProvider",
    "GatewayClient",
    "GatewaySession",
    "GatewayUnavailable",
    "NothingToPay",
    "PaymentProvider",
    "begin_escrow_checkout",
    "provider",
    "signature_header",
    "verify_signature",
]
