"""Which session cookie the uploads in flight for a tab carry."""

import asyncio

import pytest

from marketplace_app.upload_sessions import UploadSessions, upload_session


def _scope(tab: str, cookie: str | None, method: str = "POST", path: str = "/_upload") -> dict:
    headers = [(b"reflex-client-token", tab.encode())]
    if cookie is not None:
        headers.append((b"cookie", f"other=1; mp_session={cookie}".encode()))
    return {"type": "http", "method": method, "path": path, "headers": headers}


def _two_uploads_at_once(first: str | None, second: str | None) -> list[str | None]:
    """While an upload with cookie ``first`` runs, one with ``second`` looks up the tab."""
    seen = []

    async def main():
        running = asyncio.Event()
        done = asyncio.Event()

        async def slow_upload(scope, receive, send):
            running.set()
            await done.wait()

        async def quick_upload(scope, receive, send):
            seen.append(upload_session("tab"))

        task = asyncio.create_task(UploadSessions(slow_upload)(_scope("tab", first), None, None))
        await running.wait()
        await UploadSessions(quick_upload)(_scope("tab", second), None, None)
        done.set()
        await task
        seen.append(upload_session("tab"))

    asyncio.run(main())
    return seen


def test_uploads_that_agree_name_their_session():
    assert _two_uploads_at_once("s1", "s1") == ["s1", None]


def test_uploads_that_disagree_name_none():
    assert _two_uploads_at_once("s1", "s2") == [None, None]
    assert _two_uploads_at_once("s1", None) == [None, None]


def test_other_requests_are_not_noted():
    seen = []

    async def app(scope, receive, send):
        seen.append(upload_session("tab"))

    for scope in (
        _scope("tab", "s1", method="GET", path="/_upload/file.png"),
        _scope("tab", "s1", path="/api/session"),
    ):
        asyncio.run(UploadSessions(app)(scope, None, None))
    asyncio.run(UploadSessions(app)({"type": "lifespan"}, None, None))
    assert seen == [None, None, None]


def test_a_failing_upload_is_forgotten_too():
    async def app(scope, receive, send):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        asyncio.run(UploadSessions(app)(_scope("tab", "s1"), None, None))
    assert upload_session("tab") is None
