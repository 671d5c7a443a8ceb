"""The aiohttp backend: every aiohttp name it relies on that is not public API is listed in
``PRIVATE_NAMES``, exists in the installed aiohttp, and is used nowhere else in koa-core."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from koa.core import Context, Koa, Next
from koa.core.backends import aiohttp as backend
from koa.core.headers import HeadCache
from koa.core.testing import TestClient

#: The aiohttp backend's own internals.
KOA_BACKENDS = ("aiohttp",)

_SOURCE = Path(backend.__file__).read_text()
# The backend's own private attributes and helpers (not aiohttp's); ``_replace`` is the
# public method of named tuples.
_OWN = {
    "_continued",
    "_finish_then_close",
    "_finish_then_linger",
    "_kept",
    "_replace",
    "_result",
    "_send_chunked",
    "_sent",
    "_sink",
    "_ws",
}
_CORE = Path(backend.__file__).resolve().parent.parent


async def _live_objects(tmp_path: Path) -> dict[str, Any]:
    """One live instance of each aiohttp class the names belong to, from a real request."""
    seen: dict[str, Any] = {}

    async def capture(ctx: Context, next: Next) -> None:
        seen["BaseRequest"] = ctx.req
        seen["RequestHandler"] = ctx.req.protocol
        seen["StreamWriter"] = ctx.req.writer
        ctx.body = "ok"

    app = Koa().use(capture)
    async with TestClient(app) as client:
        assert (await client.get("/")).status == 200
    (tmp_path / "f.txt").write_text("x")
    seen["StreamResponse"] = web.StreamResponse()
    seen["FileResponse"] = web.FileResponse(tmp_path / "f.txt")
    seen["Server"] = backend.Server(capture)
    return seen


async def test_every_private_aiohttp_name_exists_in_the_installed_aiohttp(tmp_path: Path) -> None:
    live = await _live_objects(tmp_path)
    missing = [
        f"{owner}.{name} (koa-core uses it: {why})"
        for (owner, name), why in backend.PRIVATE_NAMES.items()
        if not hasattr(live[owner], name)
    ]
    assert not missing, (
        f"aiohttp {aiohttp.__version__} no longer has these names koa-core's aiohttp backend"
        f" relies on: {'; '.join(missing)}"
    )


def test_every_private_name_the_backend_touches_is_listed() -> None:
    used = set(re.findall(r"\.(_[a-z][a-z_]*)\b", _SOURCE))
    used |= set(re.findall(r"""attr\(\w+, ["'](_[a-z][a-z_]*)["']""", _SOURCE))
    used |= set(re.findall(r"    (?:async )?def (_[a-z][a-z_]*)\(", _SOURCE))
    listed = {name for _, name in backend.PRIVATE_NAMES}
    unlisted = sorted(used - listed - _OWN)
    assert not unlisted, f"add these to PRIVATE_NAMES with the reason: {unlisted}"


# The server glue (aiohttp's runner and sites: the server and the gunicorn worker) and the
# test client (aiohttp's client) import aiohttp too, by public names only; everything else
# reaches the server through the seam.
_GLUE = {"server.py", "testing.py", "worker.py"}


@pytest.mark.parametrize(
    "path",
    sorted(p for p in _CORE.rglob("*.py") if p.parent.name != "backends" and p.name not in _GLUE),
    ids=lambda p: p.name,
)
def test_no_other_core_module_imports_aiohttp(path: Path) -> None:
    # Imports under ``if TYPE_CHECKING:`` (indented) only name ``ctx.req``'s and ``ctx.res``'s
    # types; at run time the module must not need aiohttp.
    assert not re.search(r"^(from aiohttp|import aiohttp)", path.read_text(), re.MULTILINE), (
        f"{path.name} imports aiohttp: reach the server through koa.core.connection instead"
    )


# -- the response head, serialised by the backend ---------------------------------------------


def _heads(raw: bytes) -> list[bytes]:
    """The heads of pipelined responses (each body is ``ok``), without their Date line."""
    heads = []
    for answer in raw.split(b"\r\n\r\nok")[:-1]:
        lines = answer.split(b"\r\n")
        heads.append(b"\r\n".join(line for line in lines if not line.startswith(b"Date: ")))
    return heads


def _status_lines(raw: bytes) -> list[bytes]:
    """The status codes and phrases of pipelined responses, in order."""
    return [answer.split(b"\r\n", 1)[0] for answer in raw.split(b"HTTP/1.1 ")[1:]]


def _pipelined(count: int) -> bytes:
    ask = b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n"
    return b"".join(ask % i for i in range(count - 1)) + (
        b"GET /%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % (count - 1)
    )


async def test_the_head_keeps_order_case_and_bytes_when_the_same_headers_repeat() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        n = int(ctx.path[1:])
        headers = ctx.response.headers
        # The same field in two spellings, alternately: each response keeps its own.
        headers.add("x-case" if n % 2 else "X-Case", "one")
        headers.add("X-Latin", "caf\u00e9")
        headers.add("X-Tab", "a\tb")
        headers.add("X-Case", "two")
        # The status line changes too, for heads already kept whole (sent twice before).
        ctx.status = 201 if n < 5 else 202
        ctx.message = "Made" if n < 7 else "Made It"
        ctx.body = "ok"

    async with TestClient(Koa().use(handler)) as client:
        heads = _heads(await client.raw(_pipelined(10)))
    common = (
        b"X-Latin: caf\xc3\xa9\r\nX-Tab: a\tb\r\nX-Case: two\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 2"
    )
    expected = [
        (b"HTTP/1.1 201 " if n < 5 else b"HTTP/1.1 202 ")
        + (b"Made" if n < 7 else b"Made It")
        + (b"\r\nx-case: one\r\n" if n % 2 else b"\r\nX-Case: one\r\n")
        + common
        for n in range(10)
    ]
    expected[-1] += b"\r\nConnection: close"
    assert heads == expected


@pytest.mark.parametrize("bad", ["a\x01b", "a\rb", "a\nb", "a\x00b", "a\x7fb"])
async def test_a_control_character_is_refused_after_clean_values_of_the_same_header(
    bad: str,
) -> None:
    async def handler(ctx: Context, next: Next) -> None:
        value = bad if ctx.path == "/3" else "clean"
        ctx.response.headers["X-C"] = value  # past ctx.set's checks
        ctx.body = "ok"

    app = Koa(silent=True).use(handler)
    async with TestClient(app) as client:
        raw = await client.raw(_pipelined(5))
    assert _status_lines(raw) == [
        b"200 OK",
        b"200 OK",
        b"200 OK",
        b"500 Internal Server Error",
        b"200 OK",
    ]
    assert b"X-C: a" not in raw
    assert raw.count(b"X-C: clean\r\n") == 4


async def test_a_refused_status_phrase_is_refused_again_for_a_head_kept_whole() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = "ok"
        if ctx.path in ("/3", "/4"):
            ctx.response._message = "Bad\x01"  # past ctx.message's checks

    app = Koa(silent=True).use(handler)
    async with TestClient(app) as client:
        raw = await client.raw(_pipelined(6))
    assert _status_lines(raw) == [
        b"200 OK",
        b"200 OK",
        b"200 OK",  # kept whole from here on
        b"500 Internal Server Error",
        b"500 Internal Server Error",
        b"200 OK",
    ]


async def test_headers_that_change_every_response_do_not_grow_the_cache() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        n = int(ctx.path[1:])
        for i in range(40):
            # Each value twice (requests n and n + 1 share it): kept once seen twice.
            ctx.response.headers[f"X-{i}"] = str(n // 2)
        ctx.body = "ok"

    async with TestClient(Koa().use(handler)) as client:
        heads = _heads(await client.raw(_pipelined(40)))
    assert len(heads) == 40
    assert heads[39].split(b"\r\n")[1:3] == [b"X-0: 19", b"X-1: 19"]
    # 800 lines were kept at some point: the cache started again rather than grow.
    assert 0 < len(backend._lines) <= backend._CACHE_SIZE
    assert len(backend._once) <= backend._CACHE_SIZE
    assert len(backend._heads) <= backend._CACHE_SIZE
    assert len(backend._again.shapes) <= HeadCache.SHAPES
    assert all(len(heads) <= HeadCache.EACH for heads in backend._again.shapes.values())


async def test_heads_of_many_fields_are_sent_whole_but_not_kept_for_comparison() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        for i in range(70):
            ctx.response.headers[f"X-{i}"] = "same"
        ctx.body = "ok"

    async with TestClient(Koa().use(handler)) as client:
        heads = _heads(await client.raw(_pipelined(5)))
    assert len(heads) == 5
    assert all(head.count(b": same\r\n") == 70 and b"\r\nX-69: same\r\n" in head for head in heads)
    assert all(fields <= HeadCache.FIELDS for fields, _ in backend._again.shapes)


async def test_cookies_and_credentials_are_never_kept_in_the_caches() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        # The same cookie and challenge on every response: what is sent twice is otherwise kept.
        ctx.response.headers["Set-Cookie"] = "sid=secret-session-id; path=/; httponly"
        ctx.response.headers["WWW-Authenticate"] = 'Basic realm="secret-realm"'
        ctx.set("X-Kept", "yes")
        ctx.body = "ok"

    async with TestClient(Koa().use(handler)) as client:
        heads = _heads(await client.raw(_pipelined(4)))
    assert len(heads) == 4
    assert all(b"Set-Cookie: sid=secret-session-id; path=/; httponly" in h for h in heads)
    again = [entry for entries in backend._again.shapes.values() for entry in entries]
    kept = [*backend._lines.values(), *backend._heads.values(), *(head.whole for *_, head in again)]
    assert any(b"X-Kept: yes" in data for data in kept)
    assert not any(b"secret" in data for data in kept)
    assert not any("secret" in repr(key) for key in [*backend._once, *backend._heads_once])
    assert not any("secret" in repr(seen) for seen, *_ in again)


async def test_aiohttp_own_hook_before_the_head_still_runs_and_aiohttp_writes_it() -> None:
    seen: list[str | None] = []

    async def hook(headers: Any) -> None:  # aiohttp's client sets one for its tracing
        seen.append(headers.get("X-A"))

    async def handler(ctx: Context, next: Next) -> None:
        writer: Any = ctx.req.writer
        writer._on_headers_sent = hook
        ctx.set("X-A", "1")
        ctx.body = "ok"

    async with TestClient(Koa().use(handler)) as client:
        res = await client.get("/")
        assert (res.status, res.headers["X-A"], await res.text()) == (200, "1", "ok")
    assert seen == ["1"]
