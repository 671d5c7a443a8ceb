"""Precompressed ``.br``/``.gz`` variants chosen by Accept-Encoding as Koa weighs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from koa.core.testing import TestClient
from static_helpers import raw_get, static_app


@pytest.mark.parametrize(
    ("accept_encoding", "served"),
    [
        # identity is not named: it weighs as little as the least wanted coding listed.
        ("gzip;q=0.5", b"gzipped-a"),
        ("gzip;q=0.001", b"gzipped-a"),
        ("gzip;q=0.5, br;q=0.4", b"gzipped-a"),
        ("br;q=0.5, gzip;q=0.5", b"gzipped-a"),
        # a q-value above 1 counts as 1 (negotiator takes it as given; either way gzip wins)
        ("gzip;q=1.5", b"gzipped-a"),
        # still refused or outweighed
        ("gzip;q=0", b"hello world\n"),
        ("gzip;q=0.5, identity", b"hello world\n"),
        ("gzip;q=0.5, identity;q=0.6", b"hello world\n"),
        ("gzip;q=0.5, *;q=0.9", b"hello world\n"),
        ("gzip;q=junk", b"hello world\n"),
    ],
)
async def test_q_values_as_koa_weighs_them(
    public: Path, accept_encoding: str, served: bytes
) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/a.txt", headers={"Accept-Encoding": accept_encoding})
        assert await res.read() == served
        assert res.headers["Vary"] == "Accept-Encoding"
        assert ("Content-Encoding" in res.headers) == (served == b"gzipped-a")


async def test_several_accept_encoding_lines_are_one_list(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        # Node joins repeated Accept-Encoding lines: "gzip, br" picks brotli.
        status, head, body = await raw_get(
            client, b"/b.js", b"Accept-Encoding: gzip", b"Accept-Encoding: br"
        )
        assert status == 200
        assert b"\r\nContent-Encoding: br\r\n" in head
        assert body == b"brotli-b"
        # gzip=False: the brotli file found on the second line still counts.
    async with TestClient(static_app(public, gzip=False)) as client:
        status, head, body = await raw_get(
            client, b"/b.js", b"Accept-Encoding: identity;q=0.1", b"Accept-Encoding: br"
        )
        assert body == b"brotli-b"


async def test_a_file_that_exists_only_precompressed(public: Path) -> None:
    (public / "only.js.gz").write_bytes(b"gz-only")
    (public / "only.css.br").write_bytes(b"br-only")
    async with TestClient(static_app(public)) as client:
        res = await client.get("/only.js", headers={"Accept-Encoding": "gzip, br"})
        assert res.status == 200
        assert res.headers["Content-Encoding"] == "gzip"
        assert res.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert res.headers["Content-Length"] == "7"
        assert res.headers["Vary"] == "Accept-Encoding"
        assert await res.read() == b"gz-only"

        res = await client.get("/only.css", headers={"Accept-Encoding": "br"})
        assert res.headers["Content-Encoding"] == "br"
        assert res.headers["Content-Type"] == "text/css; charset=utf-8"
        assert await res.read() == b"br-only"

        res = await client.request("HEAD", "/only.js", headers={"Accept-Encoding": "gzip"})
        assert res.status == 200
        assert res.headers["Content-Length"] == "7"
        assert await res.read() == b""

        # A client that takes no coding finds nothing, as with koa-send.
        for accept in (
            b"Accept-Encoding: identity",
            b"Accept-Encoding: gzip;q=0",
            b"Accept-Encoding: br",
        ):
            status, head, body = await raw_get(client, b"/only.js", accept)
            assert body == b"downstream /only.js", accept
            assert b"Content-Encoding" not in head
            assert b"Vary" not in head
        # No Accept-Encoding at all (a raw request: the test client would add one).
        status, head, body = await raw_get(client, b"/only.js")
        assert (status, body) == (200, b"downstream /only.js")

    async with TestClient(static_app(public, gzip=False)) as client:
        res = await client.get("/only.js", headers={"Accept-Encoding": "gzip"})
        assert await res.text() == "downstream /only.js"


async def test_a_precompressed_only_file_still_stays_inside_root(public: Path) -> None:
    (public.parent / "outside.js.gz").write_bytes(b"outside")
    (public / "leak.js.gz").symlink_to(public.parent / "outside.js.gz")
    async with TestClient(static_app(public)) as client:
        res = await client.get("/leak.js", headers={"Accept-Encoding": "gzip"})
        assert await res.text() == "downstream /leak.js"
        status, _, _ = await raw_get(client, b"/../outside.js", b"Accept-Encoding: gzip")
        assert status == 403
