"""Path patterns and ``ctx.captures`` as @koa/router 15 matches them, the index and a plain
regex agreeing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.core import Context, Koa, Next, compose
from koa.core.testing import TestClient
from koa.router import Router

# (pattern, request path, params @koa/router gives; None: no route matched -> 404)
MATCHES: list[tuple[str, str, dict[str, str] | None]] = [
    ("/:a-:b", "/1-2-3", {"a": "1-2", "b": "3"}),
    ("/:a-:b", "/-1", None),
    ("/:a.:b.:c", "/a.b.c", {"a": "a", "b": "b", "c": "c"}),
    ("/:a.:b.:c", "/a..b", None),
    ("/*p/x", "/x/y/x", {"p": "x/y"}),
    ("/*p/x", "/x/y/z", None),
    ("/*p.json", "/x/y.json", {"p": "x/y"}),
    ("/*p.json", "/x.JSON", {"p": "x"}),
    ("/:a/*b", "/a/b/c/d", {"a": "a", "b": "b/c/d"}),
    ("/{/:a}/b", "/a/1", None),
    ("/a{/:b{/:c}}", "/a/1/2", {"b": "1", "c": "2"}),
    ("/a{/:b}{/:c}", "/a/1/2", {"b": "1", "c": "2"}),
    ("/a{/:b}{/:c}", "/a/1", {"b": "1"}),
    ("/\\:x", "/:x", {}),
    ("/a\\*b", "/a*b", {}),
    ("/a\\{b\\}", "/a{b}", {}),
    ('/:"a-b"', "/1-2", {"a-b": "1-2"}),
    ("/*a-*b", "/a-b-c", {"a": "a-b", "b": "c"}),
    ("/*a/*b", "/a/b/c/d", {"a": "a/b/c", "b": "d"}),
    ("/:a..:b", "/a..b", {"a": "a", "b": "b"}),
    ("/x{.:ext}", "/x.JSON", {"ext": "JSON"}),
    ("/x{.:ext}", "/x.", None),
    ("/-:a", "/-1", {"a": "1"}),
    ("/:a_b-:c", "/a-1-2", {"a_b": "a-1", "c": "2"}),
    ("/a/:b-c", "/a/b-c", {"b": "b"}),
    ("/:a{-:b}", "/a-1-2", {"a": "a-1", "b": "2"}),
    ("/a{-:b}-:c", "/a-1-2", {"b": "1", "c": "2"}),
    ("/:id", "/%2e%2e", {"id": ".."}),
    ("/:id", "/1%2F2", {"id": "1/2"}),
    ("/:id/", "/1", None),
    ("/:id/", "/1/", {"id": "1"}),
    ("/", "//", {}),
    ("/{*a}", "/", {}),
    ("/{*a}", "/x/y/z", {"a": "x/y/z"}),
    ("/:a/-", "/1/-", {"a": "1"}),
    # Two wildcards with optional text between them (their regex needs "any character"
    # classes that JavaScript writes as [^]; these routes used to fail to compile).
    ("/*p1{/a}{/*p2}", "/x/y/a/z", {"p1": "x/y", "p2": "z"}),
    ("/*p1{/a}{/*p2}", "/x/a", {"p1": "x"}),
    ("/*p1{/a}{/*p2}", "/x/y", {"p1": "x", "p2": "y"}),
    ("/*p1{/a}{/*p2}", "/x", {"p1": "x"}),
    ("/ab/*p1/b{/*p2}", "/ab/1/2/b/3/4", {"p1": "1/2", "p2": "3/4"}),
    ("/ab/*p1/b{/*p2}", "/ab/1/b", {"p1": "1"}),
    ("/ab/*p1/b{/*p2}", "/ab/1/b/b/2", {"p1": "1/b", "p2": "2"}),
]


# (pattern, request path, ctx.captures as @koa/router lists them, with "" where Koa has
# undefined): one entry per group of the whole pattern, alternatives of the optional groups
# in order (present before absent), whichever alternative matched.
CAPTURES: list[tuple[str, str, list[str]]] = [
    ("/a{/:b}{/:c}", "/a", ["", "", "", ""]),
    ("/a{/:b}{/:c}", "/a/1", ["", "", "1", ""]),
    ("/a{/:b}{/:c}", "/a/1/2", ["1", "2", "", ""]),
    ("/files{/*path}", "/files", [""]),
    ("/files{/*path}", "/files/a/b", ["a/b"]),
    ("/ext/:name{.:ext}", "/ext/f", ["", "", "f"]),
    ("/ext/:name{.:ext}", "/ext/f.json", ["f", "json", ""]),
    ("/u{/:id}/x", "/u/x", [""]),
    ("/u{/:id}/x", "/u/5/x", ["5"]),
    ("/opt{/:id}", "/opt/", [""]),
]


def report(ctx: Context, next: Next) -> None:
    ctx.body = {"params": ctx.params, "captures": ctx.captures}


def build_app(patterns: list[str]) -> Koa:
    dispatch: dict[str, Any] = {}
    for pattern in patterns:
        if pattern not in dispatch:
            router = Router()
            router.get(pattern, report)
            dispatch[pattern] = compose([router.routes(), router.allowed_methods()])

    async def by_case(ctx: Context, next: Next) -> None:
        await dispatch[ctx.get("X-Case")](ctx, next)

    app: Koa = Koa()
    app.use(by_case)
    return app


async def get(client: TestClient, pattern: str, path: str) -> tuple[int, Any]:
    """GET ``path`` exactly as written (the client library would re-encode ``{``)."""
    raw = await client.raw(
        f"GET {path} HTTP/1.1\r\nHost: t\r\nX-Case: {pattern}\r\nConnection: close\r\n\r\n".encode()
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head[9:12])
    return status, json.loads(body) if status == 200 else None


async def test_patterns_match_like_koa_router() -> None:
    async with TestClient(build_app([p for p, _, _ in MATCHES])) as client:
        for pattern, path, params in MATCHES:
            status, body = await get(client, pattern, path)
            if params is None:
                assert status == 404, (pattern, path)
            else:
                assert status == 200, (pattern, path)
                assert body["params"] == params, (pattern, path)


@pytest.mark.parametrize(("pattern", "path", "captures"), CAPTURES)
async def test_captures_have_a_slot_for_every_group(
    pattern: str, path: str, captures: list[str]
) -> None:
    async with TestClient(build_app([pattern])) as client:
        status, body = await get(client, pattern, path)
        assert status == 200
        assert body["captures"] == captures


async def test_captures_are_the_same_whether_the_index_or_a_regex_matched() -> None:
    # "/t{/:id}" goes into the segment tree, "/t{-:id}" (a parameter inside a segment) is
    # tested with its regex: both list the absent optional parameter as "".
    async with TestClient(build_app(["/t{/:id}", "/t{-:id}"])) as client:
        tree = await get(client, "/t{/:id}", "/t")
        regex = await get(client, "/t{-:id}", "/t")
        assert tree == regex == (200, {"params": {}, "captures": [""]})
