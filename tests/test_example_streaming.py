"""examples/streaming.py: async generator bodies and server-sent events."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from types import ModuleType

import aiohttp
import pytest
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]

# The app compresses streams for clients that ask; these tests read the bytes as written.
IDENTITY = {"Accept-Encoding": "identity"}


@pytest.fixture
def streaming(load_example: Loader, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = load_example("streaming.py")
    monkeypatch.setattr(module, "TICK", 0.01)
    return module


async def test_count_streams_lines_chunked(
    streaming: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with TestClient(streaming.app) as client:
        res = await client.get("/count?to=3", headers=IDENTITY)
        assert res.status == 200
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert res.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in res.headers
        assert await res.text() == "1\n2\n3\n"


async def test_count_sends_each_line_as_it_is_made(
    streaming: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a minute between lines, reading the first line proves it was sent on its own.
    monkeypatch.setattr(streaming, "TICK", 60)
    async with (
        TestClient(streaming.app, shutdown_timeout=0.1) as client,
        client.session.get(client.make_url("/count?to=3"), headers=IDENTITY) as res,
    ):
        assert await asyncio.wait_for(res.content.readline(), 10) == b"1\n"
        res.close()


async def test_count_rejects_bad_numbers(streaming: ModuleType) -> None:
    async with TestClient(streaming.app) as client:
        for query in ("to=-1", "to=x", "to=101", "to=99999999999999999999"):
            res = await client.get(f"/count?{query}")
            assert (res.status, await res.text()) == (400, "to: 0 to 100"), query


async def test_events_are_server_sent_events(streaming: ModuleType) -> None:
    async with TestClient(streaming.app) as client:
        res = await client.get("/events?count=2", headers=IDENTITY)
        assert res.status == 200
        assert res.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert res.headers["Cache-Control"] == "no-cache"
        assert await res.text() == (
            "retry: 3000\n\n"
            'id: 1\nevent: tick\ndata: {"n": 1}\n\n'
            'id: 2\nevent: tick\ndata: {"n": 2}\n\n'
        )


async def test_events_resume_after_last_event_id(streaming: ModuleType) -> None:
    async with TestClient(streaming.app) as client:
        res = await client.get("/events?count=1", headers={"Last-Event-ID": "41", **IDENTITY})
        assert await res.text() == 'retry: 3000\n\nid: 42\nevent: tick\ndata: {"n": 42}\n\n'
        res = await client.get("/events?count=1", headers={"Last-Event-ID": "junk", **IDENTITY})
        assert "id: 1\n" in await res.text()


async def test_a_client_that_leaves_closes_the_generator(
    streaming: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "TICK", 0.02)
    async with TestClient(streaming.app) as client:
        async with client.session.get(
            client.make_url("/events?count=100"), headers=IDENTITY
        ) as res:
            first = await res.content.readuntil(b"\n\n")
            assert first == b"retry: 3000\n\n"
            assert streaming.open_streams == 1
            res.close()  # drop the connection mid-stream
        for _ in range(200):
            if streaming.open_streams == 0:
                break
            await asyncio.sleep(0.01)
        assert streaming.open_streams == 0


async def test_the_page_listens_to_events(streaming: ModuleType) -> None:
    async with TestClient(streaming.app) as client:
        res = await client.get("/")
        assert res.headers["Content-Type"] == "text/html; charset=utf-8"
        assert 'new EventSource("/events")' in await res.text()


async def test_compressed_lines_still_arrive_one_by_one(
    streaming: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A minute between lines: decoding the first line proves it was flushed on its own.
    monkeypatch.setattr(streaming, "TICK", 60)
    async with (
        TestClient(streaming.app, shutdown_timeout=0.1) as client,
        client.session.get(
            client.make_url("/count?to=3"), headers={"Accept-Encoding": "gzip"}
        ) as res,
    ):
        assert res.headers["Content-Encoding"] == "gzip"
        assert res.headers["Vary"] == "Accept-Encoding"
        decoder = zlib.decompressobj(31)
        text = b""
        while text != b"1\n":
            text += decoder.decompress(await asyncio.wait_for(res.content.readany(), 10))
        res.close()


async def test_compressed_events_as_a_browser_reads_them(streaming: ModuleType) -> None:
    # aiohttp's client decompresses as bytes arrive, as a browser's EventSource does.
    async with (
        TestClient(streaming.app) as client,
        aiohttp.ClientSession(auto_decompress=True) as session,
    ):
        for encoding in ("gzip", "br", "zstd"):
            async with session.get(
                client.make_url("/events?count=2"), headers={"Accept-Encoding": encoding}
            ) as res:
                assert res.headers["Content-Encoding"] == encoding
                assert res.headers["Content-Type"] == "text/event-stream; charset=utf-8"
                assert await res.content.readuntil(b"\n\n") == b"retry: 3000\n\n"
                assert await res.content.readuntil(b"\n\n") == (
                    b'id: 1\nevent: tick\ndata: {"n": 1}\n\n'
                )
                assert await res.read() == b'id: 2\nevent: tick\ndata: {"n": 2}\n\n'


async def test_a_client_that_leaves_a_compressed_stream_closes_the_generator(
    streaming: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "TICK", 0.02)
    async with TestClient(streaming.app) as client:
        async with client.session.get(
            client.make_url("/events?count=100"), headers={"Accept-Encoding": "br"}
        ) as res:
            assert res.headers["Content-Encoding"] == "br"
            assert await res.content.readany()
            assert streaming.open_streams == 1
            res.close()
        for _ in range(500):
            if streaming.open_streams == 0:
                break
            await asyncio.sleep(0.01)
        assert streaming.open_streams == 0
