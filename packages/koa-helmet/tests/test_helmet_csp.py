"""Content-Security-Policy: directives, per-request values from ``ctx``, helmet 8's checks."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.helmet import (
    DANGEROUSLY_DISABLE_DEFAULT_SRC,
    content_security_policy,
    get_default_directives,
    helmet,
)


async def page(ctx: Context, next: Next) -> None:
    nonce = ctx.state.get("nonce", "")
    ctx.body = f'<script nonce="{nonce}">go()</script>'


async def with_nonce(ctx: Context, next: Next) -> None:
    ctx.state["nonce"] = secrets.token_urlsafe(16)
    await next()


async def test_a_nonce_from_ctx_state_is_in_the_header_and_the_page() -> None:
    # koa-helmet passes Node's (req, res) to directive functions, so ctx.state is out of
    # reach there (venables/koa-helmet#46); here a function receives ctx.
    csp = content_security_policy(
        directives={"script-src": ["'self'", lambda ctx: f"'nonce-{ctx.state['nonce']}'"]}
    )
    app = Koa().use(with_nonce).use(csp).use(page)
    async with TestClient(app) as client:
        seen = set()
        for _ in range(3):
            res = await client.get("/")
            header = res.headers["Content-Security-Policy"]
            nonce = (await res.text()).split('"')[1]
            assert f";script-src 'self' 'nonce-{nonce}';" in header
            seen.add(nonce)
        assert len(seen) == 3


@pytest.mark.parametrize(
    "value",
    ["self", "'self'; script-src *", "a,b", "x\r\nSet-Cookie: a=b", "nonce-abc", "\x00"],
)
async def test_a_bad_per_request_value_is_a_500_not_a_header(value: str) -> None:
    errors: list[BaseException] = []
    csp = content_security_policy(directives={"script-src": [lambda ctx: value]})
    app = Koa().use(csp).use(page)
    app.on("error", lambda err, ctx: errors.append(err))
    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
        assert "Content-Security-Policy" not in res.headers
        assert "Set-Cookie" not in res.headers
    assert isinstance(errors[0], ValueError)
    assert "'script-src'" in str(errors[0])


async def test_a_per_request_value_that_is_not_a_string_is_a_500() -> None:
    errors: list[BaseException] = []
    csp = content_security_policy(directives={"script-src": [lambda ctx: 42]})  # type: ignore[return-value]
    app = Koa().use(csp).use(page)
    app.on("error", lambda err, ctx: errors.append(err))
    async with TestClient(app) as client:
        assert (await client.get("/")).status == 500
    assert isinstance(errors[0], TypeError)


async def test_directive_names_in_any_of_three_spellings() -> None:
    csp = content_security_policy(
        use_defaults=False,
        directives={"default-src": "'none'", "imgSrc": "data:", "connect_src": ["'self'"]},
    )
    async with TestClient(Koa().use(csp).use(page)) as client:
        res = await client.get("/")
        assert res.headers["Content-Security-Policy"] == (
            "default-src 'none';img-src data:;connect-src 'self'"
        )


async def test_default_src_can_be_disabled_only_with_the_named_constant() -> None:
    csp = content_security_policy(
        directives={"default-src": DANGEROUSLY_DISABLE_DEFAULT_SRC, "script-src": "'self'"}
    )
    async with TestClient(Koa().use(csp).use(page)) as client:
        res = await client.get("/")
        header = res.headers["Content-Security-Policy"]
        assert header.startswith("base-uri 'self';")
        assert "default-src" not in header


def test_get_default_directives_is_helmets_and_a_fresh_copy() -> None:
    directives = get_default_directives()
    assert list(directives) == [
        "default-src",
        "base-uri",
        "font-src",
        "form-action",
        "frame-ancestors",
        "img-src",
        "object-src",
        "script-src",
        "script-src-attr",
        "style-src",
        "upgrade-insecure-requests",
    ]
    directives["default-src"].append("https://x")
    assert get_default_directives()["default-src"] == ["'self'"]


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"directives": {"script-src": ["self"]}}, ValueError, "should be quoted"),
        ({"directives": {"object-src": "none"}}, ValueError, "should be quoted"),
        ({"directives": {"script-src": "nonce-abc"}}, ValueError, "should be quoted"),
        ({"directives": {"script-src": "sha256-abc"}}, ValueError, "should be quoted"),
        ({"directives": {"script-src": "unsafe-inline"}}, ValueError, "should be quoted"),
        ({"directives": {"script-src": "'self';"}}, ValueError, "invalid directive value"),
        ({"directives": {"script-src": "a,b"}}, ValueError, "invalid directive value"),
        ({"directives": {"script-src": "'self'\r\nX-A: b"}}, ValueError, "CR, LF"),
        ({"directives": {"script-src": ["x\n"]}}, ValueError, "CR, LF"),
        ({"directives": {"script-src": "h\u00e9"}}, ValueError, "invalid directive value"),
        ({"directives": {"bad name": "x"}}, ValueError, "invalid directive name"),
        ({"directives": {"-x": "x"}}, ValueError, "invalid directive name"),
        ({"directives": {"": "x"}}, ValueError, "invalid directive name"),
        ({"directives": {"a\r\nb": "x"}}, ValueError, "invalid directive name"),
        ({"directives": {1: "x"}}, TypeError, "directive names are str"),
        (
            {"directives": {"scriptSrc": "'self'", "script-src": "'self'"}},
            ValueError,
            "duplicate directive 'script-src'",
        ),
        ({"directives": {"default-src": None}}, ValueError, "needs a default-src"),
        (
            {"use_defaults": False, "directives": {"script-src": "'self'"}},
            ValueError,
            "needs a default-src but none was provided",
        ),
        ({"use_defaults": False}, ValueError, "has no directives"),
        (
            {"directives": {"script-src": DANGEROUSLY_DISABLE_DEFAULT_SRC}},
            ValueError,
            "as if it were default-src",
        ),
        ({"directives": {"script-src": False}}, TypeError, "value of 'script-src'"),
        ({"directives": {"script-src": 42}}, TypeError, "value of 'script-src'"),
        ({"directives": {"script-src": ["'self'", 42]}}, TypeError, "holds 42"),
        ({"directives": ["script-src"]}, TypeError, "takes a mapping"),
        ({"use_defaults": "yes"}, TypeError, "use_defaults"),
        ({"report_only": 1}, TypeError, "report_only"),
    ],
)
def test_bad_policies_are_refused_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        content_security_policy(**options)
    with pytest.raises(error, match=message):
        helmet(content_security_policy=options)  # type: ignore[arg-type]
