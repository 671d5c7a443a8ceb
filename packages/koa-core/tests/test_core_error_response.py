"""The error response: ``ctx.throw`` arguments, error headers, non-Exception throws and
messages Node can write (expected bytes from Koa 3.3 on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from core_raw_answers import app_of, raw_get
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


class _NotAnException(BaseException):
    """A library's own BaseException: Python's closest thing to Koa's non-Error throw."""


class _StatusError(Exception):
    def __init__(self, message: str, **attrs: object) -> None:
        super().__init__(message)
        for key, value in attrs.items():
            setattr(self, key, value)


async def test_error_headers_differing_in_case_keep_the_last_as_koa_sets_them() -> None:
    def handler(ctx: Context) -> None:
        ctx.throw(400, headers={"X-A": "1", "x-a": "2"})

    status, headers, body = await raw_get(
        app_of(handler), b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 400 Bad Request"
    assert headers["x-a"] == ["2"]
    assert body == b"Bad Request"


async def test_a_base_exception_that_is_not_cancellation_is_a_500() -> None:
    async def handler(ctx: Context, next: Next) -> None:
        raise _NotAnException("boom")

    events: list[BaseException] = []
    app = Koa(silent=True)
    app.on("error", lambda err, ctx: events.append(err))
    app.use(handler)
    status, headers, body = await raw_get(
        app, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == "HTTP/1.1 500 Internal Server Error"
    assert headers["content-type"] == ["text/plain; charset=utf-8"]
    assert body == b"Internal Server Error"
    assert [type(e) for e in events] == [_NotAnException]


@pytest.mark.parametrize(
    ("throw", "status", "body"),
    [
        # A plain error with a 4xx status of its own is exposed.
        (lambda ctx: ctx.throw(_StatusError("gone", status=404)), 404, b"gone"),
        (lambda ctx: ctx.throw(_StatusError("db down", status=503)), 503, b"Service Unavailable"),
        # The error's own status wins over the number, as http-errors reads them.
        (lambda ctx: ctx.throw(400, _StatusError("gone", status=404)), 404, b"gone"),
        (lambda ctx: ctx.throw(400, _StatusError("bad", status_code=422)), 422, b"bad"),
        # The error's message wins over a text.
        (lambda ctx: ctx.throw(_StatusError("orig", status=409), "other"), 409, b"orig"),
        # A status that is not the first argument is a programmer error: 500.
        (lambda ctx: ctx.throw("msg", 400), 500, b"Internal Server Error"),
        (lambda ctx: ctx.throw(_StatusError("x", status=600)), 500, b"Internal Server Error"),
        (lambda ctx: ctx.throw(_StatusError("x", status=404), expose=False), 404, b"Not Found"),
    ],
)
async def test_throw_reads_its_arguments_as_http_errors(
    throw: Callable[[Context], None], status: int, body: bytes
) -> None:
    async with TestClient(app_of(throw)) as client:
        res = await client.get("/")
        assert res.status == status
        assert await res.read() == body


async def test_throw_with_an_http_error_of_another_status_rethrows_it() -> None:
    seen: list[BaseException] = []

    def handler(ctx: Context) -> None:
        try:
            ctx.throw(404, "nf")
        except Exception as err:
            seen.append(err)
            ctx.throw(400, err)

    app = app_of(handler)
    raised: list[BaseException] = []
    app.on("error", lambda err, ctx: raised.append(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 404
        assert await res.read() == b"nf"
    assert raised == seen


async def test_an_error_message_with_a_lone_surrogate_is_sent() -> None:
    def handler(ctx: Context) -> None:
        ctx.throw(400, "bad \udc00")

    async with TestClient(app_of(handler)) as client:
        res = await client.get("/")
        assert res.status == 400
        assert await res.read() == b"bad \xef\xbf\xbd"
