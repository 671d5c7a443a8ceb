"""JSON bodies of everyday Python types, written as Koa's ``JSON.stringify`` writes them.

Every expected text below is pinned from Koa 3.3 on Node 20 where JavaScript has the type
(``Date``, ``toJSON``, property names, NaN); for Python's own types the rules are koa's (see
``koa.core.jsoncodec``). The same bytes are expected with and without orjson: CI runs this file
in both environments (``hatch test`` without it, ``hatch run json-fast:test`` with it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import importlib.util
import os
import sys
import uuid
from collections import namedtuple
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from koa.core import Context, Koa, Next, json_dumps, json_loads, jsoncodec
from koa.core.testing import TestClient

UTC = dt.timezone.utc
PLUS_1 = dt.timezone(dt.timedelta(hours=1))


class Point(NamedTuple):
    x: int
    y: int


Pair = namedtuple("Pair", "left right")


@dataclasses.dataclass
class Owner:
    name: str
    since: dt.date
    where: Point


class Color(enum.Enum):
    RED = "red"
    DEEP = Decimal("0.5")


class Level(enum.IntEnum):
    HIGH = 3


class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def to_json(self) -> Any:
        return {"amount": Decimal(self.cents) / 100, "at": [Point(1, 2)]}


class Inner:
    def to_json(self) -> Any:
        return [1, dt.datetime(1970, 1, 1, tzinfo=UTC)]


class Outer:
    def to_json(self) -> Any:
        return {"b": Inner()}


class Foo:
    pass


def serve(body: Any, *, silent: bool = True) -> Koa:
    app = Koa(silent=silent)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = body

    app.use(handler)
    return app


async def answer(body: Any) -> tuple[int, str, bytes]:
    async with TestClient(serve(body)) as client:
        res = await client.get("/")
        assert res.headers["Content-Length"] == str(len(res.body))
        return res.status, res.headers["Content-Type"], res.body


def test_the_expected_json_library_is_the_one_in_use() -> None:
    # CI sets KOA_TEST_JSON: "json" where orjson must not be importable, "orjson" where it must.
    has_orjson = importlib.util.find_spec("orjson") is not None
    expected = os.environ.get("KOA_TEST_JSON")
    if os.environ.get("CI") == "true":
        assert expected is not None, "CI runs this file in environments that set KOA_TEST_JSON"
    if expected is not None:
        assert expected == ("orjson" if has_orjson else "json")
    assert jsoncodec.backend == ("orjson" if has_orjson else "json")


def test_orjson_is_what_encodes_where_it_is_installed() -> None:
    if jsoncodec.backend == "orjson":
        assert "orjson" in sys.modules
        assert jsoncodec.json_dumps.__module__ == jsoncodec.__name__
        assert "orjson" in jsoncodec.json_dumps.__name__
    else:
        assert "orjson" not in sys.modules


async def test_floats_are_spelled_as_python_repr_by_both_libraries() -> None:
    # orjson would write 0.00001 and 1e-7; koa falls back to json for those. Koa writes
    # 10000000000000000, 0.00001 and 1e-7 (the README lists this deviation).
    values = [1e16, 1e-4, 9.9e-5, 1e-5, 1e-7, -1.5e-9, 1e-10, 1.5e300, 5e-324, 0.1]
    _, _, body = await answer(values)
    assert body == b"[1e+16,0.0001,9.9e-05,1e-05,1e-07,-1.5e-09,1e-10,1.5e+300,5e-324,0.1]"
    assert json_loads(body.decode()) == values
    # A string that merely looks like such a float is kept as it is.
    _, _, body = await answer({"note": "e-1 0.00001", "n": 1e-6})
    assert body == b'{"note":"e-1 0.00001","n":1e-06}'


@pytest.mark.parametrize(
    ("body", "text"),
    [
        # Date.prototype.toJSON: UTC, milliseconds, "Z" (Koa: {"when":"2026-12-02T15:06:02.123Z"})
        (
            {"when": dt.datetime(2026, 12, 2, 15, 6, 2, 123000, tzinfo=UTC)},
            '{"when":"2026-12-02T15:06:02.123Z"}',
        ),
        # Aware datetimes are converted to UTC first.
        ([dt.datetime(2026, 12, 2, 16, 6, 2, tzinfo=PLUS_1)], '["2026-12-02T15:06:02.000Z"]'),
        # Below a millisecond is truncated, as a JavaScript Date holds whole milliseconds.
        (
            [dt.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)],
            '["2026-12-31T23:59:59.999Z"]',
        ),
        # Naive datetimes: the same form without "Z" (their zone is unknown).
        ([dt.datetime(2026, 12, 2, 15, 6, 2, 123456)], '["2026-12-02T15:06:02.123"]'),
        # Four-digit years as toJSON pads them; past 9999 in UTC: "+010000" as toJSON.
        ([dt.datetime(1, 1, 1, tzinfo=UTC)], '["0001-01-01T00:00:00.000Z"]'),
        ([dt.datetime(1, 1, 1, 0, 30, tzinfo=PLUS_1)], '["0000-12-31T23:30:00.000Z"]'),
        (
            [dt.datetime(9999, 12, 31, 23, 30, tzinfo=dt.timezone(-dt.timedelta(hours=1)))],
            '["+010000-01-01T00:30:00.000Z"]',
        ),
        ([dt.date(2026, 12, 2), dt.date(5, 1, 9)], '["2026-12-02","0005-01-09"]'),
        (
            [dt.time(15, 6, 2, 123999), dt.time(1, 2, tzinfo=PLUS_1)],
            '["15:06:02.123","01:02:00.000+01:00"]',
        ),
        (
            {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
            '{"id":"12345678-1234-5678-1234-567812345678"}',
        ),
        # Decimal: a JSON number with every digit it has; NaN and infinities null like floats.
        (
            [
                Decimal("1.10"),
                Decimal("-0"),
                Decimal("1E+2"),
                Decimal("3.14159265358979323846264338327950288"),
            ],
            "[1.10,-0,1E+2,3.14159265358979323846264338327950288]",
        ),
        ([Decimal("NaN"), Decimal("-Infinity"), Decimal("sNaN")], "[null,null,null]"),
        (Decimal("2.50"), "2.50"),
        # A string that looks like koa's internal Decimal mark stays a string.
        (
            ["\x00abc:1", {"d": Decimal("7")}, 'x"\x00:2'],
            '["\\u0000abc:1",{"d":7},"x\\"\\u0000:2"]',
        ),
        ([Color.RED, Color.DEEP, Level.HIGH], '["red",0.5,3]'),
        (
            {"p": Point(1, 2), "q": [Pair(Point(3, 4), None)]},
            '{"p":{"x":1,"y":2},"q":[{"left":{"x":3,"y":4},"right":null}]}',
        ),
        (Point(5, 6), '{"x":5,"y":6}'),
        (
            Owner("tobi", dt.date(2020, 2, 29), Point(0, 1)),
            '{"name":"tobi","since":"2020-02-29","where":{"x":0,"y":1}}',
        ),
        ({"s": {3}, "f": frozenset({"a"}), "t": (1, (2, 3))}, '{"s":[3],"f":["a"],"t":[1,[2,3]]}'),
        # to_json() is Koa's toJSON: what it returns is written, rules and all.
        ({"price": Money(1999)}, '{"price":{"amount":19.99,"at":[{"x":1,"y":2}]}}'),
        # Nested toJSON (Koa: {"a":{"b":[1,"1970-01-01T00:00:00.000Z"]}}).
        ({"a": Outer()}, '{"a":{"b":[1,"1970-01-01T00:00:00.000Z"]}}'),
        # NaN and infinities are null (Koa: [null,null,null,{"a":null}]).
        (
            [float("nan"), float("inf"), float("-inf"), {"a": float("nan")}],
            '[null,null,null,{"a":null}]',
        ),
        # Property names as JavaScript writes them (Koa: {"2":"a","1.5":"b","true":"c",
        # "null":"d","NaN":"g","Infinity":"h"}); the dict's order is kept (JavaScript moves
        # integer-like names first).
        (
            {2: "a", 1.5: "b", True: "c", None: "d", float("nan"): "g", float("inf"): "h"},
            '{"2":"a","1.5":"b","true":"c","null":"d","NaN":"g","Infinity":"h"}',
        ),
        (
            {dt.date(2026, 1, 2): 1, uuid.UUID(int=0): 2, Color.RED: 3, Decimal("2.50"): 4},
            '{"2026-01-02":1,"00000000-0000-0000-0000-000000000000":2,"red":3,"2.50":4}',
        ),
        # Integers of any size, exactly (orjson stops at 64 bits: json writes them).
        ([2**64, -(2**63) - 1, 2**200], f"[{2**64},{-(2**63) - 1},{2**200}]"),
        # Lone surrogates (from JSON input) escaped as JSON.stringify does; U+2028 kept raw.
        (
            ["\ud800", "a\udc00b", "\u2028", "\x7f", "\x1f"],
            '["\\ud800","a\\udc00b","\u2028","\x7f","\\u001f"]',
        ),
        # Floats as Python's repr (Koa writes -0 as 0: see the README's deviations).
        (
            {"name": "中文 é", "n": -0.0, "x": 0.1, "big": 1e15, "small": 0.0001},
            '{"name":"中文 é","n":-0.0,"x":0.1,"big":1000000000000000.0,"small":0.0001}',
        ),
    ],
)
async def test_python_types_in_bodies(body: Any, text: str) -> None:
    status, content_type, sent = await answer(body)
    assert status == 200
    assert content_type == "application/json; charset=utf-8"
    assert sent.decode("utf-8", "surrogatepass") == text
    assert json_dumps(body) == text


async def test_nesting_deeper_than_orjson_goes_is_written_all_the_same() -> None:
    deep: Any = [1]
    for _ in range(400):  # orjson stops at 254 levels
        deep = {"a": [deep]}
    _, _, sent = await answer(deep)
    assert sent == b'{"a":[' * 400 + b"[1]" + b"]}" * 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"items": [1, 2, 3, {"owner": Foo()}]},
            'body["items"][3]["owner"]: object of type Foo is not JSON serializable; give it'
            " a to_json() method or set app.json_dumps",
        ),
        (
            [Owner("tobi", dt.date(2020, 1, 1), Foo())],  # type: ignore[arg-type]
            'body[0]["where"]: object of type Foo is not JSON serializable; give it a to_json()'
            " method or set app.json_dumps",
        ),
        (
            {"file": b"\x89PNG"},
            'body["file"]: bytes is not JSON serializable (JSON has no bytes); decode it to str'
            " (or base64) first, or send the bytes as the whole body",
        ),
        (
            {"k": {(1, 2): "tuple key"}},
            'body["k"]: a key of type tuple ((1, 2)) is not JSON serializable; keys must be str,'
            " int, float, bool, None, a date or time, a UUID, a Decimal or an Enum",
        ),
        (
            Foo(),
            "body: object of type Foo is not JSON serializable; give it a to_json() method"
            " or set app.json_dumps",
        ),
    ],
)
async def test_what_cannot_be_written_is_a_500_naming_the_type_and_where(
    body: Any, message: str
) -> None:
    app = serve(body, silent=False)
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.status == 500
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await res.text() == "Internal Server Error"  # nothing leaks to the client
    assert [(type(err), str(err)) for err in errors] == [(TypeError, message)]
    with pytest.raises(TypeError) as raised:
        json_dumps(body)
    assert str(raised.value) == message


async def test_head_and_ctx_length_count_the_same_bytes() -> None:
    body = {"when": dt.datetime(2026, 1, 1, tzinfo=UTC), "price": Decimal("9.90"), "p": Point(1, 2)}
    text = b'{"when":"2026-01-01T00:00:00.000Z","price":9.90,"p":{"x":1,"y":2}}'
    app = Koa()
    lengths: list[int | None] = []

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = body
        lengths.append(ctx.length)

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.body == text
        res = await client.head("/")
        assert res.headers["Content-Length"] == str(len(text))
        assert res.body == b""
    assert lengths == [len(text), len(text)]


async def test_a_body_written_after_flush_headers_follows_the_same_rules() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 200
        ctx.type = "json"
        await ctx.flush_headers()
        ctx.body = [Point(1, 2), Decimal("0.10"), dt.date(2026, 1, 1)]

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.body == b'[{"x":1,"y":2},0.10,"2026-01-01"]'


async def test_app_json_dumps_stays_the_override() -> None:
    def dumps(value: Any) -> str:
        return json_dumps({"wrapped": value})

    app = Koa(json_dumps=dumps)

    async def handler(ctx: Context, next: Next) -> None:
        ctx.body = {"at": dt.date(2026, 1, 1), "s": "\ud800"}

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
        assert res.body == b'{"wrapped":{"at":"2026-01-01","s":"\\ud800"}}'
