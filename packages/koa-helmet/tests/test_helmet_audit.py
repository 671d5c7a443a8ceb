"""Headers koa-helmet 9.0.0 (helmet 8.3.0) on Koa 3.3.0 sent, pinned byte for byte.

Found by running both side by side: the same options, the same requests over raw sockets.
Every option of ``helmet()`` and every individual middleware is here. The one deliberate
difference, headers kept on error responses, is in test_helmet_errors.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.helmet import (
    HelmetMiddleware,
    content_security_policy,
    cross_origin_embedder_policy,
    cross_origin_opener_policy,
    cross_origin_resource_policy,
    dns_prefetch_control,
    frameguard,
    helmet,
    hide_powered_by,
    hsts,
    ie_no_open,
    no_sniff,
    origin_agent_cluster,
    permitted_cross_domain_policies,
    referrer_policy,
    strict_transport_security,
    x_content_type_options,
    x_xss_protection,
    xss_filter,
)

DEFAULT_CSP = (
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
    "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
    "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests"
)
# helmet 8's headers, in the order it sets them, with their default values (None: not sent).
DEFAULTS: dict[str, str | None] = {
    "Content-Security-Policy": DEFAULT_CSP,
    "Content-Security-Policy-Report-Only": None,
    "Cross-Origin-Embedder-Policy": None,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Origin-Agent-Cluster": "?1",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-DNS-Prefetch-Control": "off",
    "X-Download-Options": "noopen",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Permitted-Cross-Domain-Policies": "none",
    "X-XSS-Protection": "0",
}
NONE: dict[str, str | None] = dict.fromkeys(DEFAULTS)


def expected(base: dict[str, str | None], changes: dict[str, str | None]) -> list[str]:
    merged = {**base, **changes}
    return [f"{name}: {value}" for name, value in merged.items() if value is not None]


async def nonce(ctx: Context, next: Next) -> None:
    ctx.state["nonce"] = "abc123"
    await next()


async def hello(ctx: Context, next: Next) -> None:
    ctx.body = "ok"


async def security_headers(middleware: HelmetMiddleware, request: bytes = b"GET /") -> list[str]:
    """The header lines of the response, as sent, but Date, Content-*, Connection."""
    app = Koa().use(nonce).use(middleware).use(hello)
    async with TestClient(app) as client:
        data = await client.raw(request + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    lines = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    skip = ("date:", "content-type:", "content-length:", "connection:")
    return [line for line in lines if not line.lower().startswith(skip)]


HELMET_CASES: list[tuple[dict[str, Any], dict[str, str | None]]] = [
    ({}, {}),
    ({"content_security_policy": False}, {"Content-Security-Policy": None}),
    (
        {
            "content_security_policy": {
                "use_defaults": False,
                "directives": {
                    "defaultSrc": ["'self'"],
                    "script_src": ["'self'", "https://cdn.example"],
                    "upgrade-insecure-requests": [],
                },
            }
        },
        {
            "Content-Security-Policy": (
                "default-src 'self';script-src 'self' https://cdn.example;upgrade-insecure-requests"
            )
        },
    ),
    (
        {
            "content_security_policy": {
                "directives": {
                    "script-src": ["'self'", "'unsafe-eval'"],
                    "objectSrc": None,
                    "report-uri": "/csp",
                }
            }
        },
        {
            "Content-Security-Policy": (
                "default-src 'self';base-uri 'self';font-src 'self' https: data:;"
                "form-action 'self';frame-ancestors 'self';img-src 'self' data:;"
                "script-src 'self' 'unsafe-eval';script-src-attr 'none';"
                "style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests;"
                "report-uri /csp"
            )
        },
    ),
    (
        {"content_security_policy": {"report_only": True}},
        {"Content-Security-Policy": None, "Content-Security-Policy-Report-Only": DEFAULT_CSP},
    ),
    (
        {
            "content_security_policy": {
                "directives": {"scriptSrc": ["'self'", lambda ctx: f"'nonce-{ctx.state['nonce']}'"]}
            }
        },
        {
            "Content-Security-Policy": DEFAULT_CSP.replace(
                "script-src 'self'", "script-src 'self' 'nonce-abc123'"
            )
        },
    ),
    (
        {"content_security_policy": {"directives": {"sandbox": [""]}}},
        {"Content-Security-Policy": DEFAULT_CSP + ";sandbox"},
    ),
    ({"cross_origin_embedder_policy": True}, {"Cross-Origin-Embedder-Policy": "require-corp"}),
    (
        {"cross_origin_embedder_policy": {"policy": "credentialless"}},
        {"Cross-Origin-Embedder-Policy": "credentialless"},
    ),
    (
        {"cross_origin_opener_policy": {"policy": "same-origin-allow-popups"}},
        {"Cross-Origin-Opener-Policy": "same-origin-allow-popups"},
    ),
    ({"cross_origin_opener_policy": False}, {"Cross-Origin-Opener-Policy": None}),
    (
        {"cross_origin_resource_policy": {"policy": "cross-origin"}},
        {"Cross-Origin-Resource-Policy": "cross-origin"},
    ),
    ({"cross_origin_resource_policy": False}, {"Cross-Origin-Resource-Policy": None}),
    ({"origin_agent_cluster": False}, {"Origin-Agent-Cluster": None}),
    (
        {"referrer_policy": {"policy": ["origin", "unsafe-url"]}},
        {"Referrer-Policy": "origin,unsafe-url"},
    ),
    ({"referrer_policy": {"policy": "same-origin"}}, {"Referrer-Policy": "same-origin"}),
    ({"referrer_policy": False}, {"Referrer-Policy": None}),
    (
        {
            "strict_transport_security": {
                "max_age": 86400.7,
                "include_sub_domains": False,
                "preload": True,
            }
        },
        {"Strict-Transport-Security": "max-age=86400; preload"},
    ),
    ({"hsts": {"max_age": 0}}, {"Strict-Transport-Security": "max-age=0; includeSubDomains"}),
    ({"hsts": False}, {"Strict-Transport-Security": None}),
    ({"no_sniff": False}, {"X-Content-Type-Options": None}),
    ({"dns_prefetch_control": {"allow": True}}, {"X-DNS-Prefetch-Control": "on"}),
    ({"x_dns_prefetch_control": False}, {"X-DNS-Prefetch-Control": None}),
    ({"ie_no_open": False}, {"X-Download-Options": None}),
    ({"frameguard": {"action": "deny"}}, {"X-Frame-Options": "DENY"}),
    ({"x_frame_options": {"action": "same-origin"}}, {}),
    ({"x_frame_options": False}, {"X-Frame-Options": None}),
    (
        {"permitted_cross_domain_policies": {"permitted_policies": "by-content-type"}},
        {"X-Permitted-Cross-Domain-Policies": "by-content-type"},
    ),
    ({"x_permitted_cross_domain_policies": False}, {"X-Permitted-Cross-Domain-Policies": None}),
    ({"xss_filter": False}, {"X-XSS-Protection": None}),
    ({"x_powered_by": False}, {}),
    (
        {
            "content_security_policy": False,
            "cross_origin_opener_policy": False,
            "cross_origin_resource_policy": False,
            "origin_agent_cluster": False,
            "referrer_policy": False,
            "hsts": False,
            "no_sniff": False,
            "dns_prefetch_control": False,
            "ie_no_open": False,
            "frameguard": False,
            "permitted_cross_domain_policies": False,
            "hide_powered_by": False,
            "xss_filter": False,
        },
        NONE,
    ),
]


@pytest.mark.parametrize(("options", "changes"), HELMET_CASES)
async def test_helmet_sends_what_koa_helmet_sends(
    options: dict[str, Any], changes: dict[str, str | None]
) -> None:
    assert await security_headers(helmet(**options)) == expected(DEFAULTS, changes)


@pytest.mark.parametrize("request_line", [b"GET /", b"HEAD /", b"POST /"])
async def test_the_default_headers_byte_for_byte(request_line: bytes) -> None:
    assert await security_headers(helmet(), request_line) == [
        "Content-Security-Policy: default-src 'self';base-uri 'self';font-src 'self' https:"
        " data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src"
        " 'none';script-src 'self';script-src-attr 'none';style-src 'self' https:"
        " 'unsafe-inline';upgrade-insecure-requests",
        "Cross-Origin-Opener-Policy: same-origin",
        "Cross-Origin-Resource-Policy: same-origin",
        "Origin-Agent-Cluster: ?1",
        "Referrer-Policy: no-referrer",
        "Strict-Transport-Security: max-age=31536000; includeSubDomains",
        "X-Content-Type-Options: nosniff",
        "X-DNS-Prefetch-Control: off",
        "X-Download-Options: noopen",
        "X-Frame-Options: SAMEORIGIN",
        "X-Permitted-Cross-Domain-Policies: none",
        "X-XSS-Protection: 0",
    ]


SINGLE_CASES: list[tuple[Callable[[], HelmetMiddleware], dict[str, str | None]]] = [
    (content_security_policy, {"Content-Security-Policy": DEFAULT_CSP}),
    (
        lambda: content_security_policy(
            use_defaults=False, directives={"defaultSrc": ["'none'"], "imgSrc": ["data:"]}
        ),
        {"Content-Security-Policy": "default-src 'none';img-src data:"},
    ),
    (cross_origin_embedder_policy, {"Cross-Origin-Embedder-Policy": "require-corp"}),
    (cross_origin_opener_policy, {"Cross-Origin-Opener-Policy": "same-origin"}),
    (
        lambda: cross_origin_resource_policy(policy="same-site"),
        {"Cross-Origin-Resource-Policy": "same-site"},
    ),
    (origin_agent_cluster, {"Origin-Agent-Cluster": "?1"}),
    (
        lambda: referrer_policy(policy="strict-origin-when-cross-origin"),
        {"Referrer-Policy": "strict-origin-when-cross-origin"},
    ),
    (
        lambda: hsts(max_age=123, preload=True),
        {"Strict-Transport-Security": "max-age=123; includeSubDomains; preload"},
    ),
    (
        strict_transport_security,
        {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"},
    ),
    (no_sniff, {"X-Content-Type-Options": "nosniff"}),
    (x_content_type_options, {"X-Content-Type-Options": "nosniff"}),
    (lambda: dns_prefetch_control(allow=True), {"X-DNS-Prefetch-Control": "on"}),
    (ie_no_open, {"X-Download-Options": "noopen"}),
    (lambda: frameguard(action="deny"), {"X-Frame-Options": "DENY"}),
    (
        lambda: permitted_cross_domain_policies(permitted_policies="all"),
        {"X-Permitted-Cross-Domain-Policies": "all"},
    ),
    (hide_powered_by, {}),
    (xss_filter, {"X-XSS-Protection": "0"}),
    (x_xss_protection, {"X-XSS-Protection": "0"}),
]


@pytest.mark.parametrize(("make", "changes"), SINGLE_CASES)
async def test_each_middleware_alone_sends_what_koa_helmet_sends(
    make: Callable[[], HelmetMiddleware], changes: dict[str, str | None]
) -> None:
    assert await security_headers(make()) == expected(NONE, changes)
