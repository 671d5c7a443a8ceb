"""``fixed_headers``: a ``before`` hook setting the same headers on every response, which
hands an empty response a copy of its fields, and fills in place a header dict that some
other code holds (what that code writes must still be sent)."""

from __future__ import annotations

from typing import Any

import pytest
from koa.core import Context, Hooks, Koa, Next, fixed_headers
from koa.core.testing import TestClient

# Four fields: from four, an empty response takes a copy of them (below, they are added).
FIELDS = [
    ("X-Frame-Options", "SAMEORIGIN"),
    ("x-content-type-options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-DNS-Prefetch-Control", "off"),
]
REST = FIELDS[1:]


def sent_fields(raw: Any) -> list[tuple[str, str]]:
    """The header lines as sent (name case kept), without the ones every response has."""
    common = {b"content-type", b"content-length", b"date", b"connection"}
    return [(k.decode(), v.decode()) for k, v in raw if k.lower() not in common]


async def hello(ctx: Context[Any], next: Next) -> None:
    if ctx.path == "/frame":
        ctx.set("X-Frame-Options", "DENY")
    ctx.body = "hello"


# Two fields are added to the response, four copied into it.
COUNTS = pytest.mark.parametrize("count", [2, 4])


@COUNTS
async def test_every_response_gets_the_fields_in_order_and_case(count: int) -> None:
    fields = FIELDS[:count]
    app = Koa()
    app.use(Hooks(fixed_headers(fields)))
    app.use(hello)
    async with TestClient(app) as client:
        for path in ("/", "/frame", "/", "/frame", "/"):
            res = await client.get(path)
            assert await res.text() == "hello"
            frame = "DENY" if path == "/frame" else "SAMEORIGIN"
            # A route changing one field does not change the next response's: each response
            # has its own copy.
            assert sent_fields(res.raw_headers) == [("X-Frame-Options", frame), *fields[1:]]


@COUNTS
async def test_a_header_dict_held_upstream_is_filled_in_place(count: int) -> None:
    fields = FIELDS[:count]

    async def holds_headers(ctx: Context[Any], next: Next) -> None:
        headers = ctx.response.headers  # kept across the downstream, then written to
        await next()
        headers["X-Upstream"] = "after"

    async def holds_during(ctx: Context[Any], next: Next) -> None:
        ctx.state["headers"] = ctx.response.headers
        await next()

    async def writes_held(ctx: Context[Any], next: Next) -> None:
        ctx.state["headers"]["X-Held"] = "during"
        await next()

    app = Koa()
    app.use(holds_headers)
    app.use(holds_during)
    app.use(Hooks(fixed_headers(fields)))
    app.use(writes_held)
    app.use(hello)
    async with TestClient(app) as client:
        for _ in range(3):
            res = await client.get("/")
            assert sent_fields(res.raw_headers) == [
                *fields,
                ("X-Held", "during"),
                ("X-Upstream", "after"),
            ]


async def test_headers_set_before_are_replaced_and_the_removed_ones_go() -> None:
    async def upstream(ctx: Context[Any], next: Next) -> None:
        ctx.set("X-Powered-By", "Koa")
        ctx.set("x-frame-options", "DENY")
        ctx.set("Cache-Control", "no-store")
        await next()

    app = Koa()
    app.use(upstream)
    app.use(Hooks(fixed_headers(FIELDS, remove=["X-Powered-By", "X-Missing"])))
    app.use(hello)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert await res.text() == "hello"
        # As Node's setHeader: a replaced field keeps its place and takes the new name's case.
        assert sent_fields(res.raw_headers) == [
            ("X-Frame-Options", "SAMEORIGIN"),
            ("Cache-Control", "no-store"),
            *REST,
        ]


async def test_values_written_as_ctx_set_writes_them() -> None:
    app = Koa()
    app.use(Hooks(fixed_headers({"X-Count": 3, "X-Flag": True})))
    app.use(Hooks(fixed_headers([("X-Twice", "first"), ("x-twice", "second")])))
    app.use(hello)
    async with TestClient(app) as client:
        res = await client.get("/")
        # A name given twice: the last one, as two ctx.set() calls leave it.
        assert sent_fields(res.raw_headers) == [
            ("X-Count", "3"),
            ("X-Flag", "true"),
            ("x-twice", "second"),
        ]


@pytest.mark.parametrize(
    ("fields", "remove", "error", "message"),
    [
        ([("X-A", "one\r\nX-Injected: yes")], (), ValueError, "control character"),
        ([("X-A", "one\nb")], (), ValueError, "control character"),
        ([("Bad Name", "x")], (), ValueError, "invalid header name"),
        ([("X-A:", "x")], (), ValueError, "invalid header name"),
        ([("X-A", ["a", "b"])], (), TypeError, "one value for 'X-A'"),
        ([("X-A", "x")], ["Bad Name"], ValueError, "invalid header name"),
        ([("X-A", "x")], ["x-a"], ValueError, "both set and removed"),
    ],
)
def test_bad_fields_are_refused_at_construction(
    fields: list[tuple[str, Any]], remove: list[str], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        fixed_headers(fields, remove=remove)
