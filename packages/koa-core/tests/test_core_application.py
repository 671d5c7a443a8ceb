"""The application: use, callback, context extension, current_context, serve/listen, shutdown."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import socket
import sys
import textwrap
import weakref
from collections.abc import Sequence
from typing import Any, TypedDict

import aiohttp
import pytest
from koa.core import ComposedMiddleware, Context, Koa, Middleware, Next, compose, current_context
from koa.core.testing import TestClient
from typing_extensions import assert_type


async def test_use_is_chainable_and_fills_middleware() -> None:
    app = Koa()

    async def a(ctx: Context, next: Next) -> None:
        await next()

    async def b(ctx: Context, next: Next) -> None:
        ctx.body = "b"

    assert app.use(a).use(b) is app
    assert app.middleware == [a, b]


@pytest.mark.parametrize("value", ["x", None, 42, [lambda ctx, next: None]])
def test_use_refuses_non_callables(value: Any) -> None:
    with pytest.raises(TypeError, match=r"^middleware must be a function!$"):
        Koa().use(value)


async def test_callback_composes_once() -> None:
    app = Koa()

    async def first(ctx: Context, next: Next) -> None:
        ctx.body = "first"
        await next()

    app.use(first)
    async with TestClient(app) as client:

        async def late(ctx: Context, next: Next) -> None:
            ctx.body = "late"

        app.use(late)  # after callback() ran: not part of the running server
        res = await client.get("/")
        assert await res.text() == "first"
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.text() == "late"


async def test_app_context_extensions_reach_every_context_of_that_app_only() -> None:
    app = Koa()
    other = Koa()
    app.context.db = "DB"  # type: ignore[attr-defined]

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"db": getattr(ctx, "db", None)}

    app.use(handler)
    other.use(handler)
    async with TestClient(app) as client, TestClient(other) as other_client:
        assert await (await client.get("/")).json() == {"db": "DB"}
        assert await (await other_client.get("/")).json() == {"db": None}


async def test_per_request_attributes_do_not_leak_between_requests() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        seen = getattr(ctx, "user", None)
        ctx.user = ctx.get("X-User")  # type: ignore[attr-defined]
        ctx.state["n"] = ctx.state.get("n", 0) + 1
        ctx.body = {"previous": seen, "n": ctx.state["n"]}

    app.use(handler)
    async with TestClient(app) as client:
        for user in ("a", "b"):
            res = await client.get("/", headers={"X-User": user})
            assert await res.json() == {"previous": None, "n": 1}


async def test_current_context_follows_each_request_across_awaits() -> None:
    app = Koa()

    finished: list[bool] = []

    async def handler(ctx: Context, next: Next) -> None:
        ctx.on_finished(lambda: finished.append(current_context() is ctx))
        delay = int(ctx.query["delay"])
        await asyncio.sleep(delay / 1000)
        same = app.current_context() is ctx and current_context() is ctx
        ctx.body = {"id": ctx.query["id"], "same": same}

    app.use(handler)
    assert app.current_context() is None
    async with TestClient(app) as client:
        results = await asyncio.gather(
            *(client.get(f"/?id={i}&delay={(5 - i) * 5}") for i in range(5))
        )
        bodies = [await res.json() for res in results]
    assert bodies == [{"id": str(i), "same": True} for i in range(5)]
    assert finished == [True] * 5
    assert app.current_context() is None


async def test_to_json_and_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOA_ENV", raising=False)
    app = Koa()
    assert app.to_json() == {"subdomain_offset": 2, "proxy": False, "env": "development"}
    assert repr(app) == "<Koa {'subdomain_offset': 2, 'proxy': False, 'env': 'development'}>"
    monkeypatch.setenv("KOA_ENV", "production")
    assert Koa(proxy=True, subdomain_offset=3).to_json() == {
        "subdomain_offset": 3,
        "proxy": True,
        "env": "production",
    }
    assert Koa(env="test").env == "test"


def test_options_are_attributes() -> None:
    app = Koa(keys=["k1", "k2"], proxy=True, proxy_ip_header="X-Real-IP", max_ips_count=2)
    assert (app.proxy, app.proxy_ip_header, app.max_ips_count, app.silent) == (
        True,
        "X-Real-IP",
        2,
        False,
    )
    assert app.keys is not None
    with pytest.raises(TypeError):
        app.keys = "one string"


async def test_app_to_json_inside_a_context() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = ctx.to_json()["app"]

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.json() == app.to_json()


# -- typed contexts -----------------------------------------------------------------------


class State(TypedDict, total=False):
    user: str
    visits: int


class AppContext(Context[State]):
    db: str = "sqlite://memory"

    @property
    def user(self) -> str:
        return self.state.get("user", "anonymous")


async def test_a_typed_context_subclass() -> None:
    app = Koa(context_class=AppContext)
    assert_type(app, Koa[AppContext])

    async def auth(ctx: AppContext, next: Next) -> None:
        assert_type(ctx.state, State)
        if ctx.get("X-User"):
            ctx.state["user"] = ctx.get("X-User")
        await next()

    async def handler(ctx: AppContext, next: Next) -> None:
        ctx.state["visits"] = 1
        ctx.body = {"user": ctx.user, "db": ctx.db, "class": type(ctx).__mro__[1].__name__}

    app.use(auth).use(handler)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"X-User": "tobi"})
        assert await res.json() == {"user": "tobi", "db": "sqlite://memory", "class": "AppContext"}
        res = await client.get("/")
        assert (await res.json())["user"] == "anonymous"


def test_the_default_context_state_is_a_dict() -> None:
    app = Koa()
    assert_type(app, Koa[Context[dict[str, Any]]])


# -- serving ------------------------------------------------------------------------------


async def test_serve_returns_a_handle() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "served"

    app.use(handler)
    server = await app.serve()
    try:
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        async with aiohttp.ClientSession() as session, session.get(server.url + "/") as res:
            assert await res.text() == "served"
    finally:
        await server.close()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session, session.get(server.url + "/"):
            pass


async def test_close_lets_in_flight_requests_finish() -> None:
    app = Koa()
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow(ctx: Context, next: Next) -> None:
        started.set()
        await release.wait()
        ctx.body = "finished"

    app.use(slow)
    server = await app.serve(shutdown_timeout=10)
    async with aiohttp.ClientSession() as session:
        pending = asyncio.ensure_future(session.get(server.url + "/"))
        await asyncio.wait_for(started.wait(), 5)
        closing = asyncio.ensure_future(server.close())
        # The listener goes away first: new connections are refused while the request runs.
        for _ in range(500):
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            except OSError:
                break
            writer.close()
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the server kept accepting connections while closing")
        assert not closing.done()
        release.set()
        res = await asyncio.wait_for(pending, 5)
        assert res.status == 200
        assert await res.text() == "finished"
        await asyncio.wait_for(closing, 10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


LISTEN_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from koa.core import Koa

    app = Koa()

    async def handler(ctx, next):
        if ctx.path == "/slow":
            print("started", flush=True)
            await asyncio.sleep(0.3)
        ctx.body = "bye" if ctx.path == "/slow" else "hello"

    app.use(handler)
    app.listen(int(sys.argv[1]))
    print("stopped", flush=True)
    """
)


async def test_listen_serves_until_sigterm_then_drains() -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        LISTEN_SCRIPT,
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/") as res:
                        assert await res.text() == "hello"
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            else:
                pytest.fail("the server never came up")
            slow = asyncio.ensure_future(session.get(f"http://127.0.0.1:{port}/slow"))
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 10)
            assert line == b"started\n"
            proc.send_signal(signal.SIGTERM)
            res = await asyncio.wait_for(slow, 10)
            assert res.status == 200
            assert await res.text() == "bye"
        out, err = await asyncio.wait_for(proc.communicate(), 15)
        assert proc.returncode == 0, err.decode()
        assert out == b"stopped\n"
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_custom_compose_builds_the_onion() -> None:
    seen: list[int] = []

    def counting_compose(middleware: Sequence[Middleware[Context]]) -> ComposedMiddleware[Context]:
        seen.append(len(middleware))
        return compose(middleware)

    app = Koa(compose=counting_compose)

    async def hello(ctx: Context, next: Next) -> None:
        ctx.body = "composed"

    app.use(hello)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.text() == "composed"
    assert seen == [1]


def test_listen_calls_back_once_the_port_is_bound(tmp_path: Any) -> None:
    script = tmp_path / "serve.py"
    script.write_text(
        textwrap.dedent(
            """
            import urllib.request
            import os, signal
            from koa.core import Koa

            app = Koa()

            async def hello(ctx, next):
                ctx.body = "bound"

            app.use(hello)

            def ready(server):
                # The port is bound now: a request would be accepted.
                print("ready", server.url, flush=True)
                os.kill(os.getpid(), signal.SIGTERM)

            app.listen(0, callback=ready)
            print("stopped", flush=True)
            """
        )
    )
    import subprocess

    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ready http://127.0.0.1:")
    assert not lines[0].endswith(":0")
    assert lines[-1] == "stopped"


_LISTEN_ON_LOOP = """
import asyncio, os, signal, sys, urllib.request
from koa.core import Koa

app = Koa()

async def hello(ctx, next):
    ctx.body = type(asyncio.get_running_loop()).__module__

app.use(hello)

def ready(server):
    async def fetch():
        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(
            None, lambda: urllib.request.urlopen(server.url + "/", timeout=10).read()
        )
        print("served by", body.decode(), flush=True)
        os.kill(os.getpid(), signal.SIGTERM)

    asyncio.get_running_loop().create_task(fetch())

app.listen(0, callback=ready, loop=sys.argv[1])
"""


@pytest.mark.parametrize(("loop", "module"), [("asyncio", "asyncio"), ("uvloop", "uvloop")])
def test_listen_runs_on_the_chosen_event_loop(tmp_path: Any, loop: str, module: str) -> None:
    import subprocess

    script = tmp_path / "serve.py"
    script.write_text(_LISTEN_ON_LOOP)
    done = subprocess.run(
        [sys.executable, str(script), loop], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:2] == ["served", "by"]
    assert done.stdout.split()[2].startswith(module)


def test_listen_refuses_an_unknown_loop() -> None:
    with pytest.raises(ValueError, match="loop must be 'asyncio' or 'uvloop'"):
        Koa().listen(0, loop="trio")  # type: ignore[arg-type]


async def test_a_callback_scheduled_during_a_request_does_not_keep_its_context_alive() -> None:
    # asyncio copies the task's contextvars into every callback scheduled from it (uvicorn's
    # keep-alive timer is scheduled from inside the response's send): the context must not
    # live on in them once the request is over.
    refs: list[weakref.ref[Context]] = []
    handles: list[asyncio.TimerHandle] = []

    async def handler(ctx: Context, next: Next) -> None:
        refs.append(weakref.ref(ctx))
        handles.append(asyncio.get_running_loop().call_later(60, lambda: None))
        assert current_context() is ctx
        ctx.body = "ok"

    gc.disable()  # freed by reference counting, as under load between collections
    try:
        async with TestClient(Koa().use(handler)) as client:
            res = await client.get("/")
            assert await res.text() == "ok"
            for _ in range(100):
                if refs[0]() is None:
                    break
                await asyncio.sleep(0.01)
            assert refs[0]() is None
    finally:
        gc.enable()
        for handle in handles:
            handle.cancel()
