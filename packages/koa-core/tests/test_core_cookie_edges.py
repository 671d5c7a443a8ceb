"""Cookie edge cases as the cookies 0.9.2 package behaves in Koa 3.3."""

from __future__ import annotations

from core_request_report import app_with, fetch
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


async def test_a_cookie_with_an_empty_name_is_found() -> None:
    def change(ctx: Context) -> object:
        return [ctx.cookies.get(""), ctx.cookies.get("a")]

    body = await fetch(app_with(change), b"/", b"Cookie: =1; a=2")
    assert body["result"] == ["1", "2"]


async def test_max_age_beyond_any_date_is_a_value_error() -> None:
    # Koa writes "expires=Invalid Date"; here it is a clear programmer error (a plain 500).
    app = Koa(silent=True)
    errors: list[str] = []

    async def handler(ctx: Context, next: Next) -> None:
        try:
            ctx.cookies.set("a", "b", max_age=1e17)
        except ValueError as err:
            errors.append(str(err))
            raise

    app.use(handler)
    async with TestClient(app) as client:
        res = await client.get("/")
    assert res.status == 500
    assert "Set-Cookie" not in res.headers
    assert errors == ["option max_age is out of range: 1e+17"]
