"""``ctx.fresh`` / ``ctx.stale`` and the conditional-GET flow that answers 304 with them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

LAST_MODIFIED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def conditional_app(status: int = 200) -> Koa:
    """Sets ETag "abc" and Last-Modified, then answers 304 when the client's copy is fresh."""
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = status
        ctx.etag = "abc"
        ctx.last_modified = LAST_MODIFIED
        ctx.set("X-Stale", str(ctx.stale))
        if ctx.fresh:
            ctx.status = 304
            return
        ctx.body = "the resource"

    app.use(handler)
    return app


@pytest.mark.parametrize("if_none_match", ['"abc"', 'W/"abc"', "*", '"x", "abc"', '"x","abc"'])
async def test_matching_if_none_match_gives_304(if_none_match: str) -> None:
    async with TestClient(conditional_app()) as client:
        res = await client.get("/", headers={"If-None-Match": if_none_match})
        assert res.status == 304
        assert res.headers["ETag"] == '"abc"'
        assert res.headers["X-Stale"] == "False"
        assert "Content-Type" not in res.headers
        assert await res.read() == b""


async def test_other_etag_is_stale() -> None:
    async with TestClient(conditional_app()) as client:
        res = await client.get("/", headers={"If-None-Match": '"other"'})
        assert res.status == 200
        assert res.headers["X-Stale"] == "True"
        assert await res.text() == "the resource"


async def test_if_none_match_decides_alone_when_both_are_sent() -> None:
    # fresh: If-None-Match takes precedence over If-Modified-Since.
    async with TestClient(conditional_app()) as client:
        res = await client.get(
            "/",
            headers={
                "If-None-Match": '"abc"',
                "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT",
            },
        )
        assert res.status == 304
        res = await client.get(
            "/",
            headers={
                "If-None-Match": '"other"',
                "If-Modified-Since": "Wed, 01 May 2024 12:00:00 GMT",
            },
        )
        assert res.status == 200


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("Wed, 01 May 2024 12:00:00 GMT", 304),  # same second
        ("Thu, 02 May 2024 00:00:00 GMT", 304),  # later
        ("Tue, 30 Apr 2024 00:00:00 GMT", 200),  # modified since then
        ("not a date", 200),
    ],
)
async def test_if_modified_since(since: str, status: int) -> None:
    async with TestClient(conditional_app()) as client:
        res = await client.get("/", headers={"If-Modified-Since": since})
        assert res.status == status


async def test_no_cache_request_is_always_stale() -> None:
    async with TestClient(conditional_app()) as client:
        res = await client.get(
            "/", headers={"If-None-Match": '"abc"', "Cache-Control": "max-age=0, no-cache"}
        )
        assert res.status == 200


async def test_unconditional_request_is_stale() -> None:
    async with TestClient(conditional_app()) as client:
        res = await client.get("/")
        assert (res.status, res.headers["X-Stale"]) == (200, "True")


async def test_post_is_never_fresh() -> None:
    async with TestClient(conditional_app()) as client:
        res = await client.post("/", headers={"If-None-Match": '"abc"'})
        assert (res.status, res.headers["X-Stale"]) == (200, "True")


async def test_head_can_be_fresh() -> None:
    async with TestClient(conditional_app()) as client:
        res = await client.head("/", headers={"If-None-Match": '"abc"'})
        assert res.status == 304


@pytest.mark.parametrize("status", [404, 500, 301])
async def test_non_2xx_status_is_never_fresh(status: int) -> None:
    async with TestClient(conditional_app(status)) as client:
        res = await client.get("/", headers={"If-None-Match": '"abc"'})
        assert res.headers["X-Stale"] == "True"
        assert res.status == status


async def test_weak_etag_on_the_response_matches_a_strong_request_tag() -> None:
    app = Koa()

    async def handler(ctx: Context, next: Next) -> None:
        ctx.status = 200
        ctx.etag = 'W/"abc"'
        ctx.status = 304 if ctx.fresh else 200

    app.use(handler)
    async with TestClient(app) as client:
        assert (await client.get("/", headers={"If-None-Match": '"abc"'})).status == 304
        assert (await client.get("/", headers={"If-None-Match": '"abd"'})).status == 200
