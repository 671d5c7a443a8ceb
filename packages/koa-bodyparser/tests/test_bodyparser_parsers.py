"""Bad and unusual bodies: invalid JSON, charsets, BOMs, nesting. Each over a real socket."""

from __future__ import annotations

from typing import Any

import pytest
from bodyparser_helpers import echo_app
from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

JSON = {"Content-Type": "application/json"}


def _listening_app(errors: list[BaseException]) -> Koa[Any]:
    app: Koa[Any] = Koa()
    app.on("error", lambda err, ctx: errors.append(err))
    app.use(bodyparser())

    async def echo(ctx: Context[Any], next: Next) -> None:
        ctx.body = ctx.request.body

    app.use(echo)
    return app


@pytest.mark.parametrize(
    "sent",
    [
        b'{"a":',  # truncated
        b"{'a': 1}",  # not JSON
        b'"str"',  # strict mode: not an object or an array
        b"42",
        b'{"a": NaN}',  # Python's json would accept these
        b"[Infinity]",
        b"[-Infinity]",
        b"[1] [2]",  # trailing data
        b"[" + b"9" * 5000 + b"]",  # an integer too long for int()
    ],
)
async def test_invalid_json_is_400_unexposed(sent: bytes) -> None:
    # As Koa (probed: @koa/bodyparser 6.1 and koa-bodyparser 4.4): 400, the body is the status
    # phrase, the parse error reaches app.on("error") unexposed.
    errors: list[BaseException] = []
    async with TestClient(_listening_app(errors)) as client:
        res = await client.post("/", data=sent, headers=JSON)
        assert res.status == 400
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await res.text() == "Bad Request"
    assert len(errors) == 1
    assert getattr(errors[0], "status", None) == 400
    assert getattr(errors[0], "expose", None) is False


@pytest.mark.parametrize("depth", [5_000, 200_000])
async def test_deeply_nested_json_is_400_not_a_crash(depth: int) -> None:
    errors: list[BaseException] = []
    async with TestClient(_listening_app(errors)) as client:
        for opening in (b"[", b'{"a":'):
            res = await client.post("/", data=opening * depth, headers=JSON)
            assert res.status == 400
            assert await res.text() == "Bad Request"
            assert "Traceback" not in res.body.decode()
        # The server is still fine afterwards.
        res = await client.post("/", data=b"[[[1]]]", headers=JSON)
        assert await res.json() == [[[1]]]
    assert [getattr(err, "status", None) for err in errors] == [400, 400]


async def test_unexposed_json_errors_are_logged_like_koa(caplog: pytest.LogCaptureFixture) -> None:
    app: Koa[Any] = Koa()  # no error listener: the default one logs
    app.use(bodyparser())
    async with TestClient(app) as client:
        res = await client.post("/", data=b"[1,", headers=JSON)
        assert res.status == 400
        assert await res.text() == "Bad Request"
    assert any(r.name == "koa" and r.levelname == "ERROR" for r in caplog.records)


async def test_charset_from_content_type_is_used() -> None:
    app = echo_app(enable_types=["json", "form", "text"])
    async with TestClient(app) as client:
        res = await client.post(
            "/",
            data='{"name":"José"}'.encode("latin-1"),
            headers={"Content-Type": "application/json; charset=ISO-8859-1"},
        )
        assert await res.json() == {"body": {"name": "José"}, "raw": '{"name":"José"}'}
        res = await client.post(
            "/",
            data="héllo".encode("utf-16"),
            headers={"Content-Type": 'text/plain; charset="utf-16"'},
        )
        assert await res.json() == {"body": "héllo", "raw": "héllo"}
        res = await client.post(
            "/",
            data=b"q=caf%E9",
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=latin1"},
        )
        assert (await res.json())["body"] == {"q": "café"}


async def test_encoding_option_is_the_default_charset() -> None:
    app = echo_app(enable_types=["text"], encoding="latin-1")
    async with TestClient(app) as client:
        res = await client.post(
            "/", data="é".encode("latin-1"), headers={"Content-Type": "text/plain"}
        )
        assert (await res.json())["body"] == "é"


@pytest.mark.parametrize("charset", ["klingon", "base64", "rot13", "unicode_escape", "undefined"])
async def test_unsupported_charset_is_415(charset: str) -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post(
            "/", data=b'{"a":1}', headers={"Content-Type": f"application/json; charset={charset}"}
        )
        assert res.status == 415
        assert await res.text() == f'unsupported charset "{charset.upper()}"'


async def test_invalid_utf8_becomes_replacement_characters() -> None:
    # As Node: undecodable bytes do not fail the request.
    async with TestClient(echo_app()) as client:
        res = await client.post("/", data=b'{"a":"\xff"}', headers=JSON)
        assert (await res.json())["body"] == {"a": "\ufffd"}


async def test_a_utf8_bom_is_dropped() -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post("/", data=b'\xef\xbb\xbf{"a":1}', headers=JSON)
        assert await res.json() == {"body": {"a": 1}, "raw": '{"a":1}'}


async def test_json_with_leading_whitespace_is_accepted_in_strict_mode() -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post("/", data=b' \r\n\t{"a":[true,null]}', headers=JSON)
        assert (await res.json())["body"] == {"a": [True, None]}


async def test_form_percent_decoding_and_unicode() -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post(
            "/",
            data="name=%E2%9C%93&city=München&a%26b=c%3Dd&x=%zz".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert (await res.json())["body"] == {
            "name": "✓",
            "city": "München",
            "a&b": "c=d",
            "x": "%zz",
        }
