"""WebSockets through ``ctx.accept_websocket()``: the same app on aiohttp and on the ASGI
servers (uvicorn, hypercorn) with the app itself as the ASGI app, driven by a real client
(the ``websockets`` package) over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from koa.core import Context, Koa, Next, WebSocketDisconnect
from koa.core.testing import TestClient, serve_asgi
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

BACKENDS = ["aiohttp", "uvicorn", "hypercorn"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextlib.asynccontextmanager
async def serving(app: Koa[Any], backend: str) -> AsyncIterator[str]:
    """``app`` on ``backend``; yields the ``ws://`` base URL."""
    if backend == "aiohttp":
        server = await app.serve()
        try:
            yield server.url.replace("http://", "ws://")
        finally:
            await server.close()
        return

    # The app itself is the ASGI app (Koa.__call__ routes the websocket scope).
    async with serve_asgi(app, "uvicorn" if backend == "uvicorn" else "hypercorn") as url:
        yield url.replace("http://", "ws://")


async def closed_by_server(ws: Any) -> tuple[int, str]:
    """Read until the server closes; the code and reason of its close frame."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    except ConnectionClosed as exc:
        frame = exc.rcvd
    assert frame is not None, "the connection ended without a close frame"
    return frame.code, frame.reason


async def settled(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 10)


def echo_app(**options: Any) -> tuple[Koa[Any], list[str], asyncio.Event]:
    """An echo at any path; records how the socket ended, and the middleware around it."""
    app = Koa()
    events: list[str] = []
    done = asyncio.Event()

    async def around(ctx: Context, next: Next) -> None:
        events.append(f"in {ctx.path} websocket={ctx.is_websocket}")
        await next()
        events.append(f"out {ctx.status} {ctx.websocket is not None}")
        done.set()

    async def echo(ctx: Context, next: Next) -> None:
        ws = await ctx.accept_websocket(**options)
        try:
            while True:
                message = await ws.receive()
                if message == "close":
                    await ws.close(4001, "bye")
                else:
                    await ws.send(message)
        except WebSocketDisconnect as exc:
            events.append(f"disconnect {exc.code}")
        finally:
            events.append("cleanup")

    app.use(around).use(echo)
    return app, events, done


async def test_messages_are_echoed_as_text_and_binary(backend: str) -> None:
    app, events, done = echo_app()
    async with serving(app, backend) as url, connect(url + "/ws") as ws:
        await ws.send("héllo")
        assert await ws.recv() == "héllo"
        await ws.send(b"\x00\xff")
        assert await ws.recv() == b"\x00\xff"
        await ws.send("")
        assert await ws.recv() == ""
        await ws.close()
        await settled(done)
    assert events[0] == "in /ws websocket=True"
    assert events[-1] == "out 101 True"
    assert "cleanup" in events


async def test_json_uses_the_apps_encoder(backend: str) -> None:
    app = Koa()

    @app.use
    async def handler(ctx: Context, next: Next) -> None:
        ws = await ctx.accept_websocket()
        value = await ws.receive_json()
        await ws.send_json({"got": value})
        await ws.send_json(await ws.receive_json())  # bytes holding JSON are JSON too

    async with serving(app, backend) as url, connect(url) as ws:
        await ws.send('[1, "é"]')
        assert await ws.recv() == '{"got":[1,"é"]}'  # compact, non-ASCII kept
        await ws.send(b'{"a": null}')
        assert await ws.recv() == '{"a":null}'
        assert await closed_by_server(ws) == (1000, "")  # the handler returned


async def test_the_subprotocol_and_the_headers_set_before_accepting_go_out(backend: str) -> None:
    app = Koa()

    @app.use
    async def handler(ctx: Context, next: Next) -> None:
        ctx.set("X-Greeting", "hi")
        ctx.cookies.set("sid", "abc")
        ctx.body = "a body set before accepting is not sent, nor are its headers"
        ws = await ctx.accept_websocket(protocols=["chat.v2", "chat.v1"])
        await ws.send(f"protocol={ws.protocol} cookie={ctx.cookies.get('seen')}")

    async with serving(app, backend) as url:
        offers = [Subprotocol("chat.v1"), Subprotocol("chat.v2")]  # the client's order wins
        async with connect(url, subprotocols=offers, additional_headers={"Cookie": "seen=1"}) as ws:
            assert ws.subprotocol == "chat.v1"
            assert await ws.recv() == "protocol=chat.v1 cookie=1"
            assert ws.response is not None
            headers = ws.response.headers
            assert ws.response.status_code == 101
            assert headers["X-Greeting"] == "hi"
            assert headers["Set-Cookie"].startswith("sid=abc;")
            assert "Content-Length" not in headers
            assert "Content-Type" not in headers
        async with connect(
            url, subprotocols=[Subprotocol("other")]
        ) as ws:  # no overlap: none chosen
            assert ws.subprotocol is None
            assert await ws.recv() == "protocol=None cookie=None"


async def test_a_status_set_before_accepting_refuses_the_upgrade(backend: str) -> None:
    app = Koa()

    @app.use
    async def guard(ctx: Context, next: Next) -> None:
        if ctx.query.get("token") != "s3cret":
            ctx.status = 403
            return
        if ctx.path == "/login":
            ctx.throw(401, "log in first")
        if ctx.path == "/nowhere":
            return  # nothing answers: 404
        ws = await ctx.accept_websocket()
        await ws.send("welcome")

    async with serving(app, backend) as url:
        for path, status, body in [
            ("/", 403, b"Forbidden"),
            ("/login?token=s3cret", 401, b"log in first"),
            ("/nowhere?token=s3cret", 404, b"Not Found"),
        ]:
            with pytest.raises(InvalidStatus) as info:
                async with connect(url + path):
                    pass
            response = info.value.response
            assert (response.status_code, bytes(response.body or b"")) == (status, body), path
        async with connect(url + "/?token=s3cret") as ws:
            assert await ws.recv() == "welcome"


async def test_a_refusal_sends_its_body_whatever_its_kind(backend: str, tmp_path: Any) -> None:
    page = tmp_path / "gone.txt"
    page.write_bytes(b"this socket moved\n")
    app = Koa()

    async def chunks() -> AsyncIterator[bytes]:
        yield b"not "
        yield b"today"

    @app.use
    async def refuse(ctx: Context, next: Next) -> None:
        ctx.status = 409 if ctx.path != "/file" else 410
        ctx.set("X-Why", ctx.path)
        if ctx.path == "/json":
            ctx.body = {"error": "busy"}
        elif ctx.path == "/stream":
            ctx.body = chunks()
        elif ctx.path == "/file":
            ctx.body = page

    async with serving(app, backend) as url:
        for path, status, body in [
            ("/json", 409, b'{"error":"busy"}'),
            ("/stream", 409, b"not today"),
            ("/file", 410, b"this socket moved\n"),
        ]:
            with pytest.raises(InvalidStatus) as info:
                async with connect(url + path):
                    pass
            response = info.value.response
            assert (response.status_code, bytes(response.body or b"")) == (status, body), path
            assert response.headers["X-Why"] == path


async def test_an_oversized_message_closes_with_1009(backend: str) -> None:
    app, events, done = echo_app(max_message_size=64)
    async with serving(app, backend) as url:
        async with connect(url) as ws:
            await ws.send("a" * 64)  # at the limit: fine
            assert await ws.recv() == "a" * 64
            await ws.send("é" * 33)  # 33 characters, 66 bytes of UTF-8
            assert (await closed_by_server(ws))[0] == 1009
        await settled(done)
        assert events[-3:] == ["disconnect 1009", "cleanup", "out 101 True"]
        done.clear()
        async with connect(url) as ws:
            await ws.send(b"x" * 65)
            assert (await closed_by_server(ws))[0] == 1009
        await settled(done)
        assert events[-3:] == ["disconnect 1009", "cleanup", "out 101 True"]


async def test_the_handler_closes_and_later_messages_are_refused(backend: str) -> None:
    app = Koa()
    seen: list[str] = []
    done = asyncio.Event()

    @app.use
    async def handler(ctx: Context, next: Next) -> None:
        ws = await ctx.accept_websocket()
        await ws.receive()
        await ws.close(4001, "bye")
        await ws.close()  # closing again does nothing
        seen.append(f"closed={ws.closed} code={ws.close_code} reason={ws.close_reason}")
        for attempt in (ws.send("late"), ws.receive()):
            try:
                await attempt
            except WebSocketDisconnect as exc:
                seen.append(f"refused {exc.code}")
        assert [message async for message in ws] == []  # iteration just ends
        done.set()

    async with serving(app, backend) as url, connect(url) as ws:
        await ws.send("hi")
        assert await closed_by_server(ws) == (4001, "bye")
        await settled(done)
    assert seen == ["closed=True code=4001 reason=bye", "refused 4001", "refused 4001"]


# hypercorn 0.18 reports every close it did not start as 1006 (its websocket.disconnect
# carries no code from the client's close frame); aiohttp and uvicorn pass the code on.
CLIENT_CLOSE = {"aiohttp": 4000, "uvicorn": 4000, "hypercorn": 1006}


async def test_the_clients_close_reaches_the_handler(backend: str) -> None:
    app, events, done = echo_app()
    async with serving(app, backend) as url:
        async with connect(url) as ws:
            await ws.send("ping")
            assert await ws.recv() == "ping"
            await ws.close(4000, "done")
        await settled(done)
    assert events[-3:] == [f"disconnect {CLIENT_CLOSE[backend]}", "cleanup", "out 101 True"]


async def test_a_client_that_vanishes_ends_the_handler_and_its_cleanup_runs(backend: str) -> None:
    app = Koa()
    ended: list[str] = []
    done = asyncio.Event()
    streaming = asyncio.Event()

    @app.use
    async def around(ctx: Context, next: Next) -> None:
        await next()
        ended.append(f"out {ctx.status}")
        done.set()

    @app.use
    async def ticker(ctx: Context, next: Next) -> None:
        ws = await ctx.accept_websocket()
        try:
            while True:  # only sends: the client's departure must still be noticed
                await ws.send("tick")
                streaming.set()
                await asyncio.sleep(0.01)
        except WebSocketDisconnect:
            ended.append("disconnect")
        finally:
            ended.append("cleanup")

    async with serving(app, backend) as url:
        ws = await connect(url)
        await settled(streaming)
        ws.transport.abort()  # no close frame: the TCP connection just goes
        await settled(done)
        await ws.close()
    assert ended == ["disconnect", "cleanup", "out 101"]


async def test_an_error_after_accepting_closes_with_1011_and_is_reported(backend: str) -> None:
    app = Koa()
    errors: list[str] = []
    app.on("error", lambda err, ctx: errors.append(f"{type(err).__name__}: {err} {ctx.status}"))

    @app.use
    async def handler(ctx: Context, next: Next) -> None:
        ws = await ctx.accept_websocket()
        await ws.receive()
        raise RuntimeError("boom")

    async with serving(app, backend) as url, connect(url) as ws:
        await ws.send("go")
        assert (await closed_by_server(ws))[0] == 1011
    assert errors == ["RuntimeError: boom 101"]


async def test_wrong_message_types_close_with_1003_and_bad_json_with_1007(backend: str) -> None:
    app = Koa()
    codes: list[int] = []

    @app.use
    async def handler(ctx: Context, next: Next) -> None:
        ws = await ctx.accept_websocket()
        reader = {"/text": ws.receive_text, "/bytes": ws.receive_bytes, "/json": ws.receive_json}
        try:
            await reader[ctx.path]()
        except WebSocketDisconnect as exc:
            codes.append(exc.code)

    async with serving(app, backend) as url:
        cases: list[tuple[str, str | bytes, int]] = [
            ("/text", b"\x01", 1003),
            ("/bytes", "text", 1003),
            ("/json", "{not json", 1007),
            ("/json", b"\xff\xfe", 1007),
        ]
        for path, message, code in cases:
            async with connect(url + path) as ws:
                await ws.send(message)
                assert (await closed_by_server(ws))[0] == code, path
    assert codes == [1003, 1003, 1007, 1007]


async def test_one_task_receives_at_a_time(backend: str) -> None:
    app = Koa()

    @app.use
    async def handler(ctx: Context, next: Next) -> None:
        ws = await ctx.accept_websocket()
        first = asyncio.ensure_future(ws.receive())
        await asyncio.sleep(0)  # the first receive is waiting now
        try:
            await ws.receive()
        except RuntimeError:
            await ws.send("refused")
        await ws.send(f"first got {await first!r}")

    async with serving(app, backend) as url, connect(url) as ws:
        assert await ws.recv() == "refused"
        await ws.send("one")
        assert await ws.recv() == "first got 'one'"


# -- the HTTP side of an upgrade on aiohttp (ASGI servers check the handshake themselves) --


async def test_a_plain_get_is_426_with_the_upgrade_to_use() -> None:
    app, events, _ = echo_app()
    async with TestClient(app) as client:
        res = await client.get("/ws")
        assert (res.status, await res.text()) == (426, "WebSocket upgrade required")
        assert res.headers["Upgrade"] == "websocket"
    assert events == ["in /ws websocket=False"]  # the 426 went up through ``around``


async def test_a_malformed_upgrade_is_400_and_a_wrong_version_426() -> None:
    app, _, _ = echo_app()
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}
    async with TestClient(app) as client:
        res = await client.get("/ws", headers=upgrade)  # no Sec-WebSocket-Key
        assert (res.status, await res.text()) == (
            400,
            "Missing or invalid Sec-WebSocket-Key header",
        )
        res = await client.get("/ws", headers={**upgrade, "Sec-WebSocket-Key": "short"})
        assert (res.status, await res.text()) == (
            400,
            "Missing or invalid Sec-WebSocket-Key header",
        )
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        res = await client.get(
            "/ws", headers={**upgrade, "Sec-WebSocket-Key": key, "Sec-WebSocket-Version": "8"}
        )
        assert (res.status, res.headers["Sec-WebSocket-Version"]) == (426, "13")
        res = await client.post("/ws", headers={**upgrade, "Sec-WebSocket-Key": key})
        assert res.status == 426  # only a GET upgrades (RFC 6455 4.1)


async def test_accept_options_are_checked() -> None:
    app = Koa()
    problems: list[str] = []

    @app.use
    async def handler(ctx: Context, next: Next) -> None:
        for options in ({"max_message_size": 0}, {"heartbeat": -1}, {"protocols": "chat"}):
            try:
                await ctx.accept_websocket(**options)
            except (TypeError, ValueError) as exc:
                problems.append(type(exc).__name__)
        ws = await ctx.accept_websocket()
        with pytest.raises(RuntimeError):
            await ctx.accept_websocket()
        await ws.send("ok")

    async with serving(app, "aiohttp") as url, connect(url) as ws:
        assert await ws.recv() == "ok"
    assert problems == ["ValueError", "ValueError", "TypeError"]
