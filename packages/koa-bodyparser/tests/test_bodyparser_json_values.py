"""The Python values JSON bodies become, the same with orjson installed as without it.

orjson (koa-core[fast]) reads JSON faster, but some texts it reads differently or refuses:
each of those must give what Python's json gives. Probed with koa-bodyparser 4 on Node 20:
``[1e400]`` echoes ``[null]`` (Infinity), ``["\\ud800"]`` keeps the lone surrogate, ``[NaN]`` is
a 400; integers past 2^53 are rounded there and stay exact here (see the README). CI runs this
file with and without orjson.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.bodyparser import bodyparser
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

JSON = {"Content-Type": "application/json"}


def repr_app(errors: list[BaseException]) -> Koa[Any]:
    """Answers ``repr(ctx.request.body)``: the exact Python values, types included."""

    async def show(ctx: Context[Any], next: Next) -> None:
        ctx.body = repr(ctx.request.body)

    app: Koa[Any] = Koa()
    app.on("error", lambda err, ctx: errors.append(err))
    app.use(bodyparser()).use(show)
    return app


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        (
            b'{"a":1,"b":[true,false,null],"c":"\\u00e9\\n"}',
            "{'a': 1, 'b': [True, False, None], 'c': 'é\\n'}",
        ),
        # Integers past 64 bits stay exact ints (orjson would make them floats).
        (
            b"[18446744073709551616,-9223372036854775809]",
            "[18446744073709551616, -9223372036854775809]",
        ),
        (
            b"[18446744073709551615,-9223372036854775808]",
            "[18446744073709551615, -9223372036854775808]",
        ),
        (b'{"id":12345678901234567890123}', "{'id': 12345678901234567890123}"),
        # Too large for a double: infinity, as JSON.parse gives (orjson refuses the text).
        (b"[1e400,-1e400]", "[inf, -inf]"),
        # Lone surrogate escapes are kept, as JSON.parse keeps them (orjson refuses them).
        (b'["\\ud800","a\\udc00b"]', "['\\ud800', 'a\\udc00b']"),
        (b'["\\ud83d\\ude00"]', "['😀']"),
        (b"[-0,-0.0,1.0,1E5,0.1e-400]", "[0, -0.0, 1.0, 100000.0, 0.0]"),
        (b'{"a":1,"a":2}', "{'a': 2}"),
        (b'  \r\n\t["x"]  ', "['x']"),
        # A string holding long digits is just a string.
        (b'{"card":"4111111111111111111111"}', "{'card': '4111111111111111111111'}"),
    ],
)
async def test_json_values(sent: bytes, shown: str) -> None:
    errors: list[BaseException] = []
    async with TestClient(repr_app(errors)) as client:
        res = await client.post("/", data=sent, headers=JSON)
        assert res.status == 200
        assert await res.text() == shown
    assert errors == []


def _json_error(text: bytes) -> str:
    """What the standard library's json says of ``text`` on this Python."""
    try:
        json.loads(text)
    except ValueError as err:
        return str(err)
    raise AssertionError(f"{text!r} is valid JSON")


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (b"[NaN]", "NaN is not valid JSON"),
        (b'{"a":Infinity}', "Infinity is not valid JSON"),
        # Python 3.13 words this one differently ("Illegal trailing comma ..."): as json does.
        (b"[1,]", _json_error(b"[1,]")),
        (b'["a\x01"]', "Invalid control character at: line 1 column 4 (char 3)"),
        (b"[01]", "Expecting ',' delimiter: line 1 column 3 (char 2)"),
    ],
)
async def test_invalid_json_errors_are_worded_as_before(sent: bytes, message: str) -> None:
    errors: list[BaseException] = []
    async with TestClient(repr_app(errors)) as client:
        res = await client.post("/", data=sent, headers=JSON)
        assert res.status == 400
        assert await res.text() == "Bad Request"
    assert [(getattr(err, "status", None), str(err)) for err in errors] == [(400, message)]
