"""``ctx.host``, ``hostname`` and ``subdomains``, and the Host hardening (400 before middleware).

Expected values are what Koa 3.3 answered for the same Host headers on 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


def host_app(**options: Any) -> tuple[Koa, list[str]]:
    """An app that reports its host accessors, and the list of paths its middleware saw."""
    app = Koa(**options)
    seen: list[str] = []

    async def report(ctx: Context, next: Next) -> None:
        seen.append(ctx.path)
        ctx.body = {
            "host": ctx.host,
            "hostname": ctx.hostname,
            "subdomains": ctx.subdomains,
            "href": ctx.href,
        }

    app.use(report)
    return app, seen


def request(*headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET / HTTP/{version}", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def accessors(*headers: str, version: str = "1.1", **options: Any) -> dict[str, Any]:
    app, _ = host_app(**options)
    async with TestClient(app) as client:
        status, body = parse(await client.raw(request(*headers, version=version)))
    assert status == 200, body
    result: dict[str, Any] = json.loads(body)
    return result


async def test_host_with_port_and_subdomains() -> None:
    seen = await accessors("Host: a.b.example.com:8080")
    assert seen == {
        "host": "a.b.example.com:8080",
        "hostname": "a.b.example.com",
        "subdomains": ["b", "a"],
        "href": "http://a.b.example.com:8080/",
    }


async def test_subdomain_offset() -> None:
    seen = await accessors("Host: fwd.b.c.example.org", subdomain_offset=3)
    assert seen["subdomains"] == ["b", "fwd"]


@pytest.mark.parametrize(
    ("host", "hostname"),
    [
        ("[::1]:3000", "[::1]"),
        ("[::1]", "[::1]"),
        ("[0:0:0:0:0:0:0:1]:3000", "[::1]"),  # written the way WHATWG URL writes it
        ("[::zz]:3000", ""),  # not an address
        ("[::1]:abc", ""),
    ],
)
async def test_ipv6_hostname(host: str, hostname: str) -> None:
    seen = await accessors(f"Host: {host}")
    assert (seen["host"], seen["hostname"], seen["subdomains"]) == (host, hostname, [])


async def test_ip_address_has_no_subdomains() -> None:
    seen = await accessors("Host: 192.168.0.1:80")
    assert (seen["hostname"], seen["subdomains"]) == ("192.168.0.1", [])


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        # CVE-2026-27959: userinfo is dropped, as a browser's URL parser would.
        ("evil.com:fake@good.com", "good.com"),
        ("u@Good.COM:80", "good.com"),  # lower-cased, default port dropped
        ("u@good.com:8080", "good.com:8080"),
        ("u@good.com:99999", ""),  # no such port: no host at all
        ("evil.com#@good.com", "evil.com"),
    ],
)
async def test_host_with_userinfo(host: str, expected: str) -> None:
    seen = await accessors(f"Host: {host}")
    assert seen["host"] == expected
    assert seen["hostname"] == expected.split(":")[0]


async def test_no_host_on_http_10() -> None:
    seen = await accessors(version="1.0")
    assert seen == {"host": "", "hostname": "", "subdomains": [], "href": "http:///"}


async def test_x_forwarded_host_is_ignored_without_proxy() -> None:
    seen = await accessors("Host: example.com", "X-Forwarded-Host: fwd.example.org")
    assert seen["host"] == "example.com"


async def test_x_forwarded_host_is_used_with_proxy() -> None:
    seen = await accessors(
        "Host: example.com", "X-Forwarded-Host: fwd.b.example.org:81", proxy=True
    )
    assert seen["host"] == "fwd.b.example.org:81"
    assert seen["hostname"] == "fwd.b.example.org"
    assert seen["subdomains"] == ["b", "fwd"]
    assert seen["href"] == "http://fwd.b.example.org:81/"


async def test_empty_x_forwarded_host_falls_back_to_host() -> None:
    seen = await accessors("Host: example.com", "X-Forwarded-Host: ", proxy=True)
    assert seen["host"] == "example.com"


@pytest.mark.parametrize(
    "header",
    [
        b"Host: a b",
        b"Host: a\tb",
        b"Host: a/b",
        b"Host: a\\b",
        b"Host: a, b",
        b"Host: a\x00b",
        b"Host: a\r\nHost: b",
    ],
    ids=["space", "tab", "slash", "backslash", "comma", "nul", "twice"],
)
async def test_bad_host_is_400_before_any_middleware(header: bytes) -> None:
    app, seen = host_app()
    async with TestClient(app) as client:
        raw = await client.raw(b"GET / HTTP/1.1\r\n" + header + b"\r\nConnection: close\r\n\r\n")
    status, body = parse(raw)
    assert status == 400
    assert seen == []
    assert b"Traceback" not in body


@pytest.mark.parametrize(
    "header",
    [
        b"X-Forwarded-Host: a b",
        b"X-Forwarded-Host: a/b",
        b"X-Forwarded-Host: a, b",
        b"X-Forwarded-Host: a\r\nX-Forwarded-Host: b",
    ],
    ids=["space", "slash", "comma", "twice"],
)
async def test_bad_forwarded_host_is_400_with_proxy(header: bytes) -> None:
    raw_request = b"GET / HTTP/1.1\r\nHost: ok\r\n" + header + b"\r\nConnection: close\r\n\r\n"
    app, seen = host_app(proxy=True)
    async with TestClient(app) as client:
        status, body = parse(await client.raw(raw_request))
    assert (status, body, seen) == (400, b"Bad Request", [])

    # Without proxy the header means nothing, so it cannot hurt.
    app, seen = host_app()
    async with TestClient(app) as client:
        status, body = parse(await client.raw(raw_request))
    assert (status, json.loads(body)["host"], seen) == (200, "ok", ["/"])
