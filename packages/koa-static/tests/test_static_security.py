"""Malicious paths: traversal, NUL, absolute paths, bad escapes, symlinks, hidden files.

Every case goes over a real socket, most as raw bytes so no client normalises the path
first. The answer is always a 4xx, never a byte of a file outside root, never a 500.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.static import send, serve


def static_app(root: Path, **options: Any) -> Koa[Any]:
    app: Koa[Any] = Koa()
    errors: list[BaseException] = []
    app.on("error", lambda err, ctx: errors.append(err))
    app.context.errors = errors
    app.use(serve(root, **options))
    return app


async def raw_get(client: TestClient, target: bytes) -> tuple[int, bytes]:
    data = await client.raw(
        b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


TRAVERSALS = [
    b"/../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E/secret.txt",
    b"/.%2e/secret.txt",
    b"/dir/..%2f..%2fsecret.txt",
    b"/dir/..%2F..%2Fsecret.txt",
    b"/dir/%2e%2e%2f%2e%2e%2fsecret.txt",
    b"/..%5csecret.txt",
    b"/dir/..%5c..%5csecret.txt",
    b"/dir/..\\..\\secret.txt",
    b"/..",
    b"/%2e%2e",
    b"/dir/../../secret.txt",
    b"/dir/%2e%2e/%2e%2e/outside/x.txt",
    b"/a/b/../../../secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS)
async def test_traversal_is_forbidden(public: Path, target: bytes) -> None:
    async with TestClient(static_app(public)) as client:
        status, body = await raw_get(client, target)
        assert status == 403, target
        assert body == b"Forbidden"


async def test_dot_dot_that_stays_inside_root_is_served(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        status, body = await raw_get(client, b"/dir/%2e%2e/a.txt")
        assert (status, body) == (200, b"hello world\n")


MALICIOUS = [
    b"/a.txt%00.html",
    b"/%00",
    b"/dir/%00/../a.txt",
    b"//etc/passwd",
    b"/%2Fetc/passwd",
    b"/%5Cetc%5Cpasswd",
    b"/C:%5Cwindows%5Cwin.ini",
    b"/C:/windows/win.ini",
    b"/%5C%5Cserver%5Cshare",
]


@pytest.mark.parametrize("target", MALICIOUS)
async def test_nul_and_absolute_paths_are_malicious(public: Path, target: bytes) -> None:
    async with TestClient(static_app(public)) as client:
        status, body = await raw_get(client, target)
        assert (status, body) == (400, b"Malicious Path"), target


@pytest.mark.parametrize(
    "target", [b"/%E0%A4%A", b"/%", b"/a%zz.txt", b"/%ff.txt", b"/%ed%a0%80", b"/%c0%ae%c0%ae/x"]
)
async def test_undecodable_paths(public: Path, target: bytes) -> None:
    async with TestClient(static_app(public)) as client:
        status, body = await raw_get(client, target)
        assert (status, body) == (400, b"failed to decode"), target


async def test_over_long_paths_are_not_found(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        # One segment longer than any file name the OS allows.
        status, _ = await raw_get(client, b"/" + b"a" * 1000)
        assert status == 404
        # A path longer than PATH_MAX made of short segments.
        status, _ = await raw_get(client, b"/" + b"abcdefg/" * 700 + b"x")
        assert status == 404
        # Longer than the request line aiohttp accepts: refused before any middleware.
        status, _ = await raw_get(client, b"/" + b"a" * 20_000)
        assert 400 <= status < 500


async def test_symlink_leaving_root_is_not_served(public: Path, tmp_path: Path) -> None:
    (public / "out.txt").symlink_to(tmp_path / "secret.txt")
    (public / "outdir").symlink_to(tmp_path / "outside", target_is_directory=True)
    (public / "rel.txt").symlink_to("../secret.txt")
    async with TestClient(static_app(public)) as client:
        for target in (b"/out.txt", b"/outdir/x.txt", b"/rel.txt", b"/outdir/"):
            status, body = await raw_get(client, target)
            assert status == 404, target
            assert b"outside" not in body
    async with TestClient(static_app(public, follow_symlinks=True)) as client:
        assert await (await client.get("/out.txt")).read() == b"outside root"
        assert await (await client.get("/outdir/x.txt")).read() == b"outside dir"


async def test_symlink_inside_root_is_served(public: Path) -> None:
    (public / "alias.txt").symlink_to(public / "a.txt")
    (public / "aliasdir").symlink_to("dir", target_is_directory=True)
    async with TestClient(static_app(public)) as client:
        assert (await raw_get(client, b"/alias.txt"))[1] == b"hello world\n"
        assert await (await client.get("/aliasdir/inner.txt")).read() == b"inner"
        assert await (await client.get("/aliasdir/")).read() == b"<p>dir</p>"


async def test_precompressed_sibling_leaving_root_is_ignored(public: Path, tmp_path: Path) -> None:
    (public / "page.html.gz").symlink_to(tmp_path / "secret.txt")
    async with TestClient(static_app(public)) as client:
        res = await client.get("/page.html", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in res.headers
        assert await res.read() == b"<p>page</p>"


async def test_symlink_loop_and_dangling_link(public: Path) -> None:
    (public / "loop").symlink_to("loop")
    (public / "dangling.txt").symlink_to("nowhere.txt")
    async with TestClient(static_app(public)) as client:
        assert (await raw_get(client, b"/loop"))[0] == 404
        assert (await raw_get(client, b"/dangling.txt"))[0] == 404


async def test_root_itself_may_be_a_symlink(public: Path, tmp_path: Path) -> None:
    link = tmp_path / "www"
    link.symlink_to(public, target_is_directory=True)
    async with TestClient(static_app(link)) as client:
        assert await (await client.get("/page.html")).read() == b"<p>page</p>"
        assert (await raw_get(client, b"/../secret.txt"))[0] == 403


async def test_hidden_segments_anywhere(public: Path) -> None:
    async with TestClient(static_app(public)) as client:
        for target in (b"/.git/config", b"/%2egit/config", b"/public.dir/.env", b"/.hidden"):
            status, body = await raw_get(client, target)
            assert status == 404, target
            assert body == b"Not Found"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
async def test_unreadable_file_is_forbidden(public: Path) -> None:
    (public / "a.txt").chmod(0)
    async with TestClient(static_app(public)) as client:
        assert (await raw_get(client, b"/a.txt"))[0] == 403


async def test_special_files_are_not_sent(public: Path) -> None:
    os.mkfifo(public / "pipe")
    async with TestClient(static_app(public)) as client:
        status, _ = await raw_get(client, b"/pipe")
        assert status == 404


async def test_no_server_errors_were_reported(public: Path) -> None:
    app = static_app(public)
    async with TestClient(app) as client:
        for target in [*TRAVERSALS, *MALICIOUS, b"/%E0%A4%A", b"/" + b"a" * 1000]:
            status, _ = await raw_get(client, target)
            assert 400 <= status < 500
    assert [err for err in app.context.errors if getattr(err, "status", 500) >= 500] == []


async def test_send_outside_serve(public: Path) -> None:
    app: Koa[Any] = Koa()
    results: list[Path | None] = []

    async def download(ctx: Context[Any], next: Next) -> None:
        results.append(await send(ctx, ctx.path, root=public))

    app.use(download)
    async with TestClient(app) as client:
        assert await (await client.get("/dir/inner.txt")).read() == b"inner"
        assert (await raw_get(client, b"/%2e%2e/secret.txt"))[0] == 403
        assert (await client.get("/missing")).status == 404
        assert (await client.get("/.hidden")).status == 404
        res = await client.get("/a.txt", headers={"Accept-Encoding": "gzip"})
        assert res.headers["Content-Encoding"] == "gzip"
    assert results == [public / "dir" / "inner.txt", None, public / "a.txt.gz"]


async def test_send_directory_with_format_off_returns_none(public: Path) -> None:
    app: Koa[Any] = Koa()
    results: list[Path | None] = []

    async def download(ctx: Context[Any], next: Next) -> None:
        results.append(await send(ctx, ctx.path, root=public, index="index.html", format=False))

    app.use(download)
    async with TestClient(app) as client:
        assert (await client.get("/dir")).status == 404
        assert (await client.get("/dir/")).status == 200
    assert results == [None, public / "dir" / "index.html"]
