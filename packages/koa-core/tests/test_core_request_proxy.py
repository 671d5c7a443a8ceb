"""``protocol``, ``secure``, ``ip`` and ``ips`` with and without ``app.proxy``.

Expected values are what Koa 3.3 answered for the same headers on 127.0.0.1.
"""

from __future__ import annotations

from typing import Any

from koa.core import Context, Koa, Next
from koa.core.testing import TestClient


async def accessors(headers: dict[str, str], **options: Any) -> dict[str, Any]:
    app = Koa(**options)

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {
            "protocol": ctx.protocol,
            "secure": ctx.secure,
            "ip": ctx.ip,
            "ips": ctx.ips,
            "href": ctx.href,
        }

    app.use(report)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Host": "example.com", **headers})
        assert res.status == 200
        result: dict[str, Any] = await res.json()
        return result


FORWARDED = {
    "X-Forwarded-Host": "fwd.example.org",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "1.1.1.1",
}


async def test_forwarded_headers_are_ignored_without_proxy() -> None:
    seen = await accessors(FORWARDED)
    assert seen == {
        "protocol": "http",
        "secure": False,
        "ip": "127.0.0.1",
        "ips": [],
        "href": "http://example.com/",
    }


async def test_forwarded_proto_first_value_lower_cased() -> None:
    seen = await accessors({"X-Forwarded-Proto": "HTTPS, http"}, proxy=True)
    assert (seen["protocol"], seen["secure"], seen["href"]) == (
        "https",
        True,
        "https://example.com/",
    )


async def test_empty_forwarded_proto_is_http() -> None:
    assert (await accessors({"X-Forwarded-Proto": ""}, proxy=True))["protocol"] == "http"


async def test_blank_first_forwarded_proto_is_http() -> None:
    # Koa answers "" here (and an href of "://host/"); the honest answer is the socket's.
    seen = await accessors({"X-Forwarded-Proto": " , https"}, proxy=True)
    assert (seen["protocol"], seen["href"]) == ("http", "http://example.com/")


async def test_forwarded_for_gives_ips_and_ip() -> None:
    seen = await accessors({"X-Forwarded-For": "1.1.1.1, 2.2.2.2"}, proxy=True)
    assert (seen["ips"], seen["ip"]) == (["1.1.1.1", "2.2.2.2"], "1.1.1.1")


async def test_max_ips_count_keeps_the_nearest_hops() -> None:
    seen = await accessors(
        {"X-Forwarded-For": "1.1.1.1, 2.2.2.2, 3.3.3.3"}, proxy=True, max_ips_count=2
    )
    assert (seen["ips"], seen["ip"]) == (["2.2.2.2", "3.3.3.3"], "2.2.2.2")


async def test_blank_entries_are_kept_and_a_blank_first_falls_back_to_the_peer() -> None:
    seen = await accessors({"X-Forwarded-For": ", 1.1.1.1,,2.2.2.2"}, proxy=True)
    assert (seen["ips"], seen["ip"]) == (["", "1.1.1.1", "", "2.2.2.2"], "127.0.0.1")


async def test_repeated_forwarded_for_lines_are_joined() -> None:
    app = Koa(proxy=True)

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = ctx.ips

    app.use(report)
    async with TestClient(app) as client:
        raw = await client.raw(
            b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\n"
            b"X-Forwarded-For: 2.2.2.2\r\nConnection: close\r\n\r\n"
        )
    assert raw.endswith(b'["1.1.1.1","2.2.2.2"]')


async def test_proxy_ip_header() -> None:
    seen = await accessors(
        {"X-Real-IP": "9.9.9.9", "X-Forwarded-For": "1.1.1.1"},
        proxy=True,
        proxy_ip_header="X-Real-IP",
    )
    assert (seen["ips"], seen["ip"]) == (["9.9.9.9"], "9.9.9.9")


async def test_ip_is_the_peer_without_proxy_and_can_be_set() -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        before = ctx.ip
        ctx.request.ip = "10.0.0.1"
        ctx.body = {"before": before, "after": ctx.ip}

    app.use(report)
    async with TestClient(app) as client:
        res = await client.get("/", headers={"X-Forwarded-For": "1.1.1.1"})
        assert await res.json() == {"before": "127.0.0.1", "after": "10.0.0.1"}


async def test_proxy_setting_changed_after_start_is_seen() -> None:
    app = Koa()

    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {"ip": ctx.ip, "protocol": ctx.protocol}

    app.use(report)
    async with TestClient(app) as client:
        app.proxy = True
        res = await client.get(
            "/", headers={"X-Forwarded-For": "1.1.1.1", "X-Forwarded-Proto": "https"}
        )
        assert await res.json() == {"ip": "1.1.1.1", "protocol": "https"}
