"""Directories: a trailing slash never names a file, an index-less directory goes
downstream, the slash redirect stays local (as koa-static 5 and koa-send 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from koa.core.testing import TestClient
from static_helpers import raw_get, static_app


@pytest.mark.parametrize(
    "target", ["/a.txt/", "/page/", "/page.html/", "/noext/", "/dir/inner.txt/"]
)
async def test_trailing_slash_never_names_a_file(public: Path, target: str) -> None:
    # koa-send stats "a.txt/" (ENOTDIR) and "page/.html": nothing is served, downstream runs.
    app = static_app(public, index=False, extensions=["html"])
    async with TestClient(app) as client:
        res = await client.get(target)
        assert res.status == 200
        assert await res.text() == f"downstream {target}"
        assert "Last-Modified" not in res.headers


async def test_trailing_slash_on_a_directory_without_index_goes_downstream(public: Path) -> None:
    async with TestClient(static_app(public, index=False)) as client:
        res = await client.get("/dir/")
        assert await res.text() == "downstream /dir/"
        # Without the slash and with index=False, koa-send does not serve the directory either.
        res = await client.get("/dir")
        assert await res.text() == "downstream /dir"
        res = await client.get("/dir/inner.txt")
        assert await res.read() == b"inner"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        (b"/dir", b"/dir/"),
        (b"/dir?x=1", b"/dir/?x=1"),
        # An absolute-form target names a host; the redirect must not send the client there.
        (b"http://evil.example/dir", b"/dir/"),
        (b"http://evil.example:80/dir?q=1", b"/dir/?q=1"),
        # A fragment is not part of a target; it never ends up before the slash.
        (b"/dir#x", b"/dir/"),
        (b"/dir?a#x", b"/dir/?a"),
    ],
)
async def test_directory_slash_redirect_is_always_a_local_path(
    public: Path, target: bytes, location: bytes
) -> None:
    async with TestClient(static_app(public, directory_slash=True)) as client:
        status, head, _ = await raw_get(client, target)
        assert status == 301
        assert b"\r\nLocation: " + location + b"\r\n" in head
