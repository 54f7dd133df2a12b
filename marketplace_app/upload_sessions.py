"""The session cookie each upload request in flight carries, for its upload handler.

Reflex runs an upload's handler on the state of the tab named by the request's
``Reflex-Client-Token`` header, and that state's router still holds the
headers the tab's websocket sent when it connected: the upload request's own
headers never reach the handler. So a client token alone would let anyone
who learns it upload as that tab's user, and a tab would upload with a
session cached at connect time.

The browser sends our HttpOnly session cookie with its upload (the upload
goes to the page's own origin). :class:`UploadSessions`, ASGI middleware in
front of ``/_upload``, notes that cookie under the request's client token
while the request is being handled; the upload handler's guard
(:func:`marketplace_app.state.guard.login_required` with ``upload=True``)
reads it back with :func:`upload_session`. Reflex runs an upload's handler
on the worker that received the request, inside the request (its response
streams the handler's updates), so a table in this process is enough.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import cookie_parser

from marketplace_app.web import SESSION_COOKIE

UPLOAD_PATH = "/_upload"

# client token -> the session cookie of each of its upload requests in flight ("" for none)
_in_flight: dict[str, list[str]] = {}


def upload_session(client_token: str) -> str | None:
    """The session cookie the uploads in flight for a tab carry.

    Args:
        client_token: the tab's Reflex client token.

    Returns:
        The cookie's session id; None when no upload is in flight for the tab,
        when it carried no session cookie, or when uploads in flight disagree.
    """
    carried = set(_in_flight.get(client_token, ()))
    if len(carried) != 1:
        return None
    return carried.pop() or None


class UploadSessions:
    """Notes the session cookie of every upload request while it is being handled."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on, noting its session cookie while it runs if it is an upload."""
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith(UPLOAD_PATH)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        client_token = headers.get("reflex-client-token", "")
        carried = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE, "")
        entries = _in_flight.setdefault(client_token, [])
        entries.append(carried)
        try:
            await self.app(scope, receive, send)
        finally:
            entries.remove(carried)
            if not entries:
                _in_flight.pop(client_token, None)
