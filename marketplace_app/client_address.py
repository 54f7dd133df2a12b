"""The client's address, for per-address limits, behind trusted reverse proxies.

Every per-address limit (log in, sign up, password change) takes its address
from :func:`client_address`, for API routes and event handlers alike.
"""

from __future__ import annotations

import ipaddress

from marketplace_app.settings import settings


def client_address(peer: str, forwarded_for: str | None, *, hops: int | None = None) -> str:
    """The address a request came from.

    With no trusted proxy (``TRUSTED_PROXY_HOPS=0``) it is the connection's
    peer and ``X-Forwarded-For`` is ignored, since any client can send one.
    Behind N trusted proxies, each appending the address it saw to the header,
    it is the N-th entry from the right: entries further left were sent by the
    client and prove nothing. A header with fewer entries, or an entry that is
    not an IP address, leaves the peer.

    Args:
        peer: the connection's peer address ("" when unknown).
        forwarded_for: the ``X-Forwarded-For`` header, if any.
        hops: how many proxies to trust (default: ``settings.trusted_proxy_hops``).

    Returns:
        The client's address ("" when unknown).
    """
    hops = settings.trusted_proxy_hops if hops is None else hops
    if hops <= 0 or not forwarded_for:
        return peer
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if len(entries) < hops:
        return peer
    chosen = entries[-hops]
    try:
        return str(ipaddress.ip_address(chosen))
    except ValueError:
        return peer
