"""JSON and form bodies as koa-bodyparser 4 parses them (qs decoding, strict JSON, BOMs,
content types)."""

from __future__ import annotations

from typing import Any

import pytest
from bodyparser_helpers import echoed, presence_echo_app, request, send

JSON = "application/json"


FORM = "application/x-www-form-urlencoded"


ALL = ("json", "form", "text", "xml")


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        # qs drops fields without a name.
        (b"=x", {}),
        (b"=", {}),
        (b"&", {}),
        (b"=&a=1&=2", {"a": "1"}),
        # A name or value whose escapes do not decode is kept as sent (+ still a space).
        (b"a=%E9", {"a": "%E9"}),
        (b"a=%zz%41", {"a": "%zz%41"}),
        (b"a=%ED%A0%80", {"a": "%ED%A0%80"}),
        (b"a=%C3", {"a": "%C3"}),
        (b"a=%E9%41+b", {"a": "%E9%41 b"}),
        (b"%E9=1", {"%E9": "1"}),
        (b"a=%+", {"a": "% "}),
        # What does decode, decodes.
        (b"a+b+=c+d", {"a b ": "c d"}),
        (b"a=%2B%2b", {"a": "++"}),
        (b"a=\xff", {"a": "\ufffd"}),
    ],
)
async def test_form_fields_decode_as_qs_decodes_them(form: bytes, fields: Any) -> None:
    echo = await echoed(presence_echo_app(), request(form, FORM))
    assert echo["body"] == fields
    assert echo["raw"] == form.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json;",
        "application/json; charset",
        "application/json; foo=bar",
        "APPLICATION/JSON",
        "application/json ; charset=utf-8",
        'application/json; charset="utf-8"',
        "application/json;;",
        "application/json; charset=utf-8; charset=latin1",
        "application/csp-report",
        "application/reports+json",
        "application/scim+json",
        "application/json-patch+json",
    ],
)
async def test_content_types_parsed_as_json(content_type: str) -> None:
    echo = await echoed(presence_echo_app(), request(b'{"a":1}', content_type))
    assert echo == {"has": True, "body": {"a": 1}, "raw": '{"a":1}'}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.foo+json",
        "application/ld+json",
        "text/json",
        "json",
        "application/json, text/plain",
        "",
        "*/*",
        "application/*",
        "multipart/form-data; boundary=x",
        "application/atom+xml",
    ],
)
async def test_other_content_types_give_an_empty_object(content_type: str) -> None:
    echo = await echoed(presence_echo_app(enable_types=ALL), request(b'{"a":1}', content_type))
    assert echo == {"has": True, "body": {}, "raw": None}


@pytest.mark.parametrize(
    "body",
    [b'"str"', b"1", b"true", b"null", b"  ", b"\r\n", b'\x0c{"a":1}', b'{"a":1}\x00', b"\x00"],
)
async def test_strict_json_refuses_what_is_not_an_object_or_array(body: bytes) -> None:
    assert await send(presence_echo_app(), request(body, JSON)) == (400, b"Bad Request")


@pytest.mark.parametrize(
    ("body", "value"),
    [(b'"str"', "str"), (b"1", 1), (b"true", True), (b"", ""), (b" [ ] ", [])],
)
async def test_non_strict_json_takes_any_value(body: bytes, value: Any) -> None:
    echo = await echoed(presence_echo_app(strict=False), request(body, JSON))
    assert echo == {"has": True, "body": value, "raw": body.decode()}


@pytest.mark.parametrize("body", [b" \n", b"01", b'{"a":01}'])
async def test_non_strict_json_still_refuses_invalid_json(body: bytes) -> None:
    assert await send(presence_echo_app(strict=False), request(body, JSON)) == (400, b"Bad Request")


async def test_a_body_that_is_only_a_bom_is_empty() -> None:
    echo = await echoed(presence_echo_app(), request(b"\xef\xbb\xbf", JSON))
    assert echo == {"has": True, "body": {}, "raw": ""}
