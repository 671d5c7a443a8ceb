"""bodyparser(): which requests are parsed, into what, and the options that steer it."""

from __future__ import annotations

from typing import Any

import pytest
from bodyparser_helpers import echo_app
from koa.bodyparser import bodyparser, parse_limit
from koa.core import Context, HttpError, Koa, Next
from koa.core.testing import TestClient


async def test_json_body_and_raw_body() -> None:
    # Scenario 206.
    async with TestClient(echo_app()) as client:
        res = await client.post("/", data=b'{"a":1}', headers={"Content-Type": "application/json"})
        assert res.status == 200
        assert await res.json() == {"body": {"a": 1}, "raw": '{"a":1}'}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "application/vnd.api+json",
        "application/json-patch+json",
        "application/csp-report",
        "application/scim+json",
        "APPLICATION/JSON;",
    ],
)
async def test_json_content_types(content_type: str) -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post("/", data=b"[1,2]", headers={"Content-Type": content_type})
        assert (await res.json())["body"] == [1, 2]


async def test_form_keeps_repeated_keys_as_lists_and_stays_flat() -> None:
    # Scenario 208, with flat keys (Settled details): b[c] is a key, not a nested object.
    async with TestClient(echo_app()) as client:
        res = await client.post(
            "/",
            data=b"a=1&b[c]=2&a=3&e=x+y%21&blank=&bare",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert await res.json() == {
            "body": {"a": ["1", "3"], "b[c]": "2", "e": "x y!", "blank": "", "bare": ""},
            "raw": "a=1&b[c]=2&a=3&e=x+y%21&blank=&bare",
        }


async def test_text_and_xml_when_enabled() -> None:
    app = echo_app(enable_types=["json", "form", "text", "xml"])
    async with TestClient(app) as client:
        res = await client.post("/", data=b"hello", headers={"Content-Type": "text/plain"})
        assert await res.json() == {"body": "hello", "raw": "hello"}
        for xml_type in ("application/xml", "text/xml"):
            res = await client.post("/", data=b"<a/>", headers={"Content-Type": xml_type})
            assert await res.json() == {"body": "<a/>", "raw": "<a/>"}


async def test_types_not_enabled_give_an_empty_dict() -> None:
    # Scenario 209: text/plain without enable_types=["text"] -> {} (raw_body stays None).
    async with TestClient(echo_app()) as client:
        for content_type in ("text/plain", "image/png", "multipart/form-data; boundary=x"):
            res = await client.post("/", data=b"hello", headers={"Content-Type": content_type})
            assert await res.json() == {"body": {}, "raw": None}


async def test_content_type_mismatch_gives_an_empty_dict() -> None:
    # JSON bytes sent as a form-less type are not parsed at all.
    app = echo_app(enable_types=["form"])
    async with TestClient(app) as client:
        res = await client.post("/", data=b'{"a":1}', headers={"Content-Type": "application/json"})
        assert await res.json() == {"body": {}, "raw": None}


async def test_no_content_type_gives_an_empty_dict() -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post("/", data=b"x", skip_auto_headers=["Content-Type"])
        assert await res.json() == {"body": {}, "raw": None}


async def test_empty_json_body_is_an_empty_object() -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post("/", headers={"Content-Type": "application/json"})
        assert await res.json() == {"body": {}, "raw": ""}


async def test_methods_outside_parsed_methods_are_not_parsed() -> None:
    # Scenario 211: GET (and DELETE) bodies are left alone; body and raw_body stay None.
    async with TestClient(echo_app()) as client:
        for method in ("GET", "DELETE"):
            res = await client.request(
                method, "/", data=b'{"a":1}', headers={"Content-Type": "application/json"}
            )
            assert await res.json() == {"body": None, "raw": None}
        res = await client.put("/", data=b'{"a":1}', headers={"Content-Type": "application/json"})
        assert (await res.json())["body"] == {"a": 1}


async def test_parsed_methods_option() -> None:
    async with TestClient(echo_app(parsed_methods=["delete"])) as client:
        res = await client.delete("/", data=b"[1]", headers={"Content-Type": "application/json"})
        assert (await res.json())["body"] == [1]
        res = await client.post("/", data=b"[1]", headers={"Content-Type": "application/json"})
        assert (await res.json())["body"] is None


async def test_skip_flag_leaves_the_body_untouched() -> None:
    # Scenario 210: ctx.state["disable_body_parser"] = True; the body stays readable.
    app: Koa[Any] = Koa()

    async def disable(ctx: Context[Any], next: Next) -> None:
        ctx.state["disable_body_parser"] = True
        await next()

    async def read_it_myself(ctx: Context[Any], next: Next) -> None:
        data = b"".join([chunk async for chunk in ctx.request.stream()])
        ctx.body = {"body": ctx.request.body, "mine": data.decode()}

    app.use(disable).use(bodyparser()).use(read_it_myself)
    async with TestClient(app) as client:
        res = await client.post("/", data=b'{"a":1}', headers={"Content-Type": "application/json"})
        assert await res.json() == {"body": None, "mine": '{"a":1}'}


async def test_a_body_set_upstream_is_kept() -> None:
    app: Koa[Any] = Koa()

    async def preset(ctx: Context[Any], next: Next) -> None:
        ctx.request.body = {"from": "upstream"}
        await next()

    async def echo(ctx: Context[Any], next: Next) -> None:
        ctx.body = ctx.request.body

    app.use(preset).use(bodyparser()).use(echo)
    async with TestClient(app) as client:
        res = await client.post("/", data=b'{"a":1}', headers={"Content-Type": "application/json"})
        assert await res.json() == {"from": "upstream"}


async def test_extend_types_adds_to_the_defaults() -> None:
    app = echo_app(
        enable_types=["json", "form", "text"],
        extend_types={"json": ["application/x-javascript", "+ld"], "text": "text/csv"},
    )
    async with TestClient(app) as client:
        for content_type in ("application/x-javascript", "application/json", "application/x+ld"):
            res = await client.post("/", data=b"[1]", headers={"Content-Type": content_type})
            assert (await res.json())["body"] == [1], content_type
        res = await client.post("/", data=b"a,b", headers={"Content-Type": "text/csv"})
        assert (await res.json())["body"] == "a,b"
        res = await client.post("/", data=b"a", headers={"Content-Type": "text/plain"})
        assert (await res.json())["body"] == "a"


async def test_extend_types_for_a_kind_that_is_not_enabled_does_nothing() -> None:
    app = echo_app(extend_types={"text": ["text/csv"]})
    async with TestClient(app) as client:
        res = await client.post("/", data=b"a,b", headers={"Content-Type": "text/csv"})
        assert await res.json() == {"body": {}, "raw": None}


async def test_strict_false_accepts_any_json_value() -> None:
    async with TestClient(echo_app(strict=False)) as client:
        for sent, parsed in ((b'"str"', "str"), (b"42", 42), (b"null", None), (b"", "")):
            res = await client.post("/", data=sent, headers={"Content-Type": "application/json"})
            assert res.status == 200
            assert (await res.json())["body"] == parsed


async def test_on_error_hook_receives_the_error_and_the_request_goes_on() -> None:
    seen: list[tuple[int, str, str]] = []

    def on_error(err: HttpError, ctx: Context[Any]) -> None:
        seen.append((err.status, ctx.path, getattr(err, "body", "")))
        ctx.state["parse_failed"] = True

    async def handler(ctx: Context[Any], next: Next) -> None:
        ctx.body = {"body": ctx.request.body, "failed": ctx.state.get("parse_failed", False)}

    app: Koa[Any] = Koa()
    app.use(bodyparser(on_error=on_error)).use(handler)
    async with TestClient(app) as client:
        res = await client.post("/x", data=b"{oops", headers={"Content-Type": "application/json"})
        assert res.status == 200
        assert await res.json() == {"body": None, "failed": True}
    assert seen == [(400, "/x", "{oops")]


async def test_an_async_on_error_hook_can_answer_itself() -> None:
    async def on_error(err: HttpError, ctx: Context[Any]) -> None:
        ctx.throw(422, f"body rejected: {err.status}")

    app: Koa[Any] = Koa()
    app.use(bodyparser(on_error=on_error))
    async with TestClient(app) as client:
        res = await client.post("/", data=b"[", headers={"Content-Type": "application/json"})
        assert res.status == 422
        assert await res.text() == "body rejected: 400"


async def test_body_parser_works_with_raw_body_already_set() -> None:
    # raw_body is only filled when nothing set it before (as Koa's rawBody).
    app: Koa[Any] = Koa()

    async def preset(ctx: Context[Any], next: Next) -> None:
        ctx.request.raw_body = "kept"
        await next()

    async def echo(ctx: Context[Any], next: Next) -> None:
        ctx.body = {"body": ctx.request.body, "raw": ctx.request.raw_body}

    app.use(preset).use(bodyparser()).use(echo)
    async with TestClient(app) as client:
        res = await client.post("/", data=b"[1]", headers={"Content-Type": "application/json"})
        assert await res.json() == {"body": [1], "raw": "kept"}


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"enable_types": ["json", "yaml"]}, ValueError),
        ({"extend_types": {"yaml": ["application/yaml"]}}, ValueError),
        ({"extend_types": {"json": ["json"]}}, ValueError),
        ({"json_limit": "lots"}, ValueError),
        ({"form_limit": -1}, ValueError),
        ({"text_limit": 1.5}, TypeError),
        ({"encoding": "no-such-charset"}, ValueError),
        ({"encoding": "base64"}, ValueError),
        ({"read_timeout": 0}, ValueError),
        ({"enable_types": "json"}, TypeError),
        ({"parsed_methods": "POST"}, TypeError),
    ],
)
def test_bad_options_fail_when_the_middleware_is_built(
    options: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        bodyparser(**options)


def test_public_names() -> None:
    import koa.bodyparser

    assert sorted(koa.bodyparser.__all__) == ["ErrorHook", "bodyparser", "parse_limit"]


@pytest.mark.parametrize(
    ("value", "size"),
    [(0, 0), (512, 512), ("1mb", 1 << 20), ("56kb", 56 << 10), (" 1.5KB ", 1536), ("10", 10)],
)
def test_parse_limit(value: int | str, size: int) -> None:
    assert parse_limit(value) == size
