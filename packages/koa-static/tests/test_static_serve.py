"""serve(): koa-static's options and fall-through rules, over a real socket."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.static import serve
from multidict import CIMultiDict


def static_app(root: Path, *, downstream: bool = True, **options: Any) -> Koa[Any]:
    app: Koa[Any] = Koa()
    app.use(serve(root, **options))
    if downstream:

        async def after(ctx: Context[Any], next: Next) -> None:
            ctx.set("X-Downstream", "yes")
            await next()

        app.use(after)
    return app


async def test_root_serves_index_with_koa_headers(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/")
        assert res.status == 200
        assert res.headers["Content-Type"] == "text/html; charset=utf-8"
        assert res.headers["Content-Length"] == "11"
        assert res.headers["Cache-Control"] == "max-age=0"
        assert res.headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
        assert "X-Downstream" not in res.headers
        assert await res.read() == b"<p>home</p>"


async def test_file_and_head(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        identity = {"Accept-Encoding": "identity"}
        got = await client.get("/a.txt", headers=identity)
        head = await client.head("/a.txt", headers=identity)
        assert got.status == head.status == 200
        assert got.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await got.read() == b"hello world\n"
        assert await head.read() == b""
        for field in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control"):
            assert head.headers[field] == got.headers[field], field


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
async def test_other_methods_go_downstream(public: Path, method: str) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.request(method, "/a.txt")
        assert res.status == 404
        assert res.headers["X-Downstream"] == "yes"


async def test_missing_file_goes_downstream(public: Path) -> None:
    app = static_app(public)

    async def fallback(ctx: Context[Any], next: Next) -> None:
        ctx.body = "from downstream"

    app.use(fallback)
    async with TestClient(app) as client:
        res = await client.get("/nope.txt")
        assert res.status == 200
        assert await res.text() == "from downstream"
        res = await client.get("/dir/nope/deeper")
        assert await res.text() == "from downstream"


async def test_index_false_sends_directories_downstream(public: Path) -> None:
    async with TestClient(static_app(public, index=False)) as client:
        res = await client.get("/")
        assert res.status == 404
        assert res.headers["X-Downstream"] == "yes"
        assert (await client.get("/dir/")).status == 404


async def test_custom_index_name(public: Path) -> None:
    async with TestClient(static_app(public, index="inner.txt")) as client:
        res = await client.get("/dir/")
        assert await res.read() == b"inner"


async def test_max_age_in_seconds_and_immutable(public: Path) -> None:
    async with TestClient(static_app(public, max_age=3600.5)) as client:
        assert (await client.get("/a.txt")).headers["Cache-Control"] == "max-age=3600"
    async with TestClient(static_app(public, max_age=60, immutable=True)) as client:
        assert (await client.get("/a.txt")).headers["Cache-Control"] == "max-age=60,immutable"


async def test_directory_serves_its_index_without_redirect(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/dir")
        assert res.status == 200
        assert await res.read() == b"<p>dir</p>"
    async with TestClient(static_app(public, format=False)) as client:
        res = await client.get("/dir")
        assert res.status == 404
        assert res.headers["X-Downstream"] == "yes"
        assert await (await client.get("/dir/")).read() == b"<p>dir</p>"


async def test_directory_without_index_goes_downstream(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        for path in ("/empty", "/empty/"):
            res = await client.get(path)
            assert res.status == 404
            assert res.headers["X-Downstream"] == "yes"


async def test_directory_slash_redirects(public: Path) -> None:
    async with TestClient(static_app(public, directory_slash=True)) as client:
        res = await client.get("/dir?x=1")
        assert res.status == 301
        assert res.headers["Location"] == "/dir/?x=1"
        assert (await client.get("/dir/")).status == 200
        assert (await client.get("/a.txt")).status == 200


async def test_extensions(public: Path) -> None:
    async with TestClient(static_app(public, extensions=["json", ".html"])) as client:
        res = await client.get("/page")
        assert await res.read() == b"<p>page</p>"
        assert res.headers["Content-Type"] == "text/html; charset=utf-8"
        assert await (await client.get("/data")).read() == b'{"a":1}'
        # Only tried when the last segment has no dot.
        assert (await client.get("/page.x")).status == 404
        assert await (await client.get("/noext")).read() == b"no extension"
    async with TestClient(static_app(public)) as client:
        assert (await client.get("/page")).status == 404


def test_bad_options_fail_at_registration(public: Path) -> None:
    with pytest.raises(TypeError, match="extensions"):
        serve(public, extensions=["html", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="set_headers"):
        serve(public, set_headers="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="root directory is required"):
        serve("")
    with pytest.raises(TypeError, match="max_age"):
        serve(public, max_age=-1)
    with pytest.raises(ValueError, match="inside root"):
        serve(public, fallback="../secret.txt")


async def test_gzip_sibling(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/a.txt", headers={"Accept-Encoding": "gzip"})
        assert res.headers["Content-Encoding"] == "gzip"
        assert res.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert res.headers["Content-Length"] == "9"
        assert res.headers["Vary"] == "Accept-Encoding"
        assert await res.read() == b"gzipped-a"

        plain = await client.get("/a.txt", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in plain.headers
        assert plain.headers["Vary"] == "Accept-Encoding"
        assert await plain.read() == b"hello world\n"
        assert plain.headers["ETag"] != res.headers["ETag"]

        refused = await client.get("/a.txt", headers={"Accept-Encoding": "gzip;q=0"})
        assert "Content-Encoding" not in refused.headers
        assert await refused.read() == b"hello world\n"

        no_sibling = await client.get("/page.html", headers={"Accept-Encoding": "gzip, br"})
        assert "Vary" not in no_sibling.headers
        assert "Content-Encoding" not in no_sibling.headers


async def test_brotli_preferred_then_client_preference(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/b.js", headers={"Accept-Encoding": "gzip, br"})
        assert res.headers["Content-Encoding"] == "br"
        assert res.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert await res.read() == b"brotli-b"
        res = await client.get("/b.js", headers={"Accept-Encoding": "br;q=0.5, gzip"})
        assert res.headers["Content-Encoding"] == "gzip"


async def test_gzip_and_brotli_can_be_disabled(public: Path) -> None:
    async with TestClient(static_app(public, brotli=False)) as client:
        res = await client.get("/b.js", headers={"Accept-Encoding": "br, gzip"})
        assert res.headers["Content-Encoding"] == "gzip"
    async with TestClient(static_app(public, gzip=False, brotli=False)) as client:
        res = await client.get("/a.txt", headers={"Accept-Encoding": "br, gzip"})
        assert "Content-Encoding" not in res.headers
        assert "Vary" not in res.headers
        assert await res.read() == b"hello world\n"


async def test_precompressed_unknown_type_is_octet_stream(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/unknown.zzzq", headers={"Accept-Encoding": "gzip"})
        assert res.headers["Content-Encoding"] == "gzip"
        assert res.headers["Content-Type"] == "application/octet-stream"


async def test_set_headers(public: Path) -> None:
    seen: list[tuple[Path, int]] = []

    def set_headers(headers: CIMultiDict[str], path: Path, st: os.stat_result) -> None:
        seen.append((path, st.st_size))
        headers["X-File"] = path.name
        headers["Cache-Control"] = "no-store"

    async with TestClient(static_app(public, max_age=10, set_headers=set_headers)) as client:
        res = await client.get("/a.txt", headers={"Accept-Encoding": "identity"})
        assert res.headers["X-File"] == "a.txt"
        assert res.headers["Cache-Control"] == "no-store"
        res = await client.get("/a.txt", headers={"Accept-Encoding": "gzip"})
        assert res.headers["X-File"] == "a.txt.gz"
    assert seen == [(public / "a.txt", 12), (public / "a.txt.gz", 9)]
    assert stat.S_ISREG(os.stat(seen[0][0]).st_mode)


async def test_space_in_name(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        res = await client.get("/sp%20ace.txt")
        assert await res.read() == b"space"


async def test_hidden_files_go_downstream_unless_allowed(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        for path in ("/.hidden", "/.git/config", "/public.dir/.env", "/.git/"):
            res = await client.get(path)
            assert res.status == 404, path
            assert res.headers["X-Downstream"] == "yes"
    async with TestClient(static_app(public, hidden=True)) as client:
        assert await (await client.get("/.hidden")).read() == b"hidden file"
        assert await (await client.get("/.git/config")).read() == b"[core]"


async def test_defer_lets_downstream_answer_first(public: Path) -> None:
    app: Koa[Any] = Koa()
    app.use(serve(public, defer=True))

    async def downstream(ctx: Context[Any], next: Next) -> None:
        if ctx.path == "/a.txt":
            ctx.body = "dynamic"
        elif ctx.path == "/page.html":
            ctx.status = 204
        elif ctx.path == "/b.js":
            ctx.body = ""

    app.use(downstream)
    async with TestClient(app) as client:
        assert await (await client.get("/a.txt")).text() == "dynamic"
        assert (await client.get("/page.html")).status == 204
        res = await client.get("/b.js")
        assert res.status == 200
        assert await res.read() == b""
        assert await (await client.get("/data.json")).read() == b'{"a":1}'
        assert (await client.post("/data.json")).status == 404


async def test_fallback_for_navigations(public: Path) -> None:
    app = static_app(public, fallback="index.html")
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with TestClient(app) as client:
        res = await client.get("/app/settings/profile", headers=html)
        assert res.status == 200
        assert await res.read() == b"<p>home</p>"
        # Assets and API calls that are missing still get 404.
        assert (await client.get("/missing.js", headers=html)).status == 404
        assert (await client.get("/api/users", headers={"Accept": "*/*"})).status == 404
        # Real files are served as usual.
        assert await (await client.get("/page.html", headers=html)).read() == b"<p>page</p>"
        # Malicious paths are still refused.
        raw = await client.raw(
            b"GET /%2e%2e/x HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 403 ")


async def test_serving_under_a_mount_like_path_rewrite(public: Path) -> None:
    app: Koa[Any] = Koa()

    async def strip_prefix(ctx: Context[Any], next: Next) -> None:
        if ctx.path.startswith("/static/"):
            ctx.path = ctx.path[len("/static") :]
        await next()

    app.use(strip_prefix)
    app.use(serve(public))
    async with TestClient(app) as client:
        assert await (await client.get("/static/dir/inner.txt")).read() == b"inner"


async def test_client_leaving_mid_transfer_is_cleaned_up(public: Path) -> None:
    big = bytes(range(256)) * 163840  # 40 MiB, more than loopback socket buffers can hold
    (public / "big.bin").write_bytes(big)
    app = static_app(public)
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))
    finished: list[bool] = []

    async def track(ctx: Context[Any], next: Next) -> None:
        ctx.on_finished(lambda: finished.append(ctx.response.aborted))
        await next()

    app.middleware.insert(0, track)
    async with TestClient(app) as client:
        reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
        writer.write(b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
        await writer.drain()
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200 OK")
        await reader.readexactly(1024)
        writer.transport.abort()  # reset the connection in the middle of the body
        for _ in range(200):
            if finished:
                break
            await asyncio.sleep(0.01)
        # The server goes on serving.
        res = await client.get("/page.html")
        assert await res.read() == b"<p>page</p>"
    assert finished[0] is True
    assert errors == []
