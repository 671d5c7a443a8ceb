"""examples/app.py: the users API under /admin, static files, logger, body parser, timer."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from koa.core import Context, Next
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]

TIMING = re.compile(r"\d+\.\d{3}ms")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
EXAMPLES_DATA = Path(__file__).resolve().parent.parent / "examples" / "data"


@pytest.fixture
def example(load_example: Loader) -> ModuleType:
    return load_example("app.py")


async def test_lists_users(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/admin/users")
        assert res.status == 200
        assert res.headers["Content-Type"] == JSON
        assert await res.text() == (
            '[{"id":0,"name":"testuser0"},{"id":1,"name":"testuser1"},{"id":2,"name":"testuser2"}]'
        )


async def test_pages_with_start_id(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        for n in range(3, 10):
            res = await client.post("/admin/users", json={"name": f"user{n}"})
            assert res.status == 201
        page = await (await client.get("/admin/users")).json()
        assert [u["id"] for u in page] == [0, 1, 2, 3, 4, 5]
        page = await (await client.get("/admin/users?start_id=6")).json()
        assert [u["id"] for u in page] == [6, 7, 8, 9]
        page = await (await client.get("/admin/users?start_id=2")).json()
        assert [u["id"] for u in page] == [2, 3, 4, 5, 6, 7]
        assert await (await client.get("/admin/users?start_id=10")).json() == []
        assert await (await client.get("/admin/users?start_id=999999999")).json() == []


@pytest.mark.parametrize("start", ["abc", "-1", "1.5", "", "9999999999999999999999"])
async def test_a_bad_start_id_is_400(example: ModuleType, start: str) -> None:
    async with TestClient(example.app) as client:
        res = await client.get(f"/admin/users?start_id={start}")
        assert res.status == 400
        assert res.headers["Content-Type"] == TEXT
        assert await res.text() == "start_id must be a whole number"


async def test_shows_a_user_by_id(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/admin/users/1")
        assert res.status == 200
        assert await res.text() == '{"id":1,"name":"testuser1"}'


@pytest.mark.parametrize("user_id", ["3", "99", "abc", "-1", "1" * 40])
async def test_an_unknown_id_is_404(example: ModuleType, user_id: str) -> None:
    async with TestClient(example.app) as client:
        res = await client.get(f"/admin/users/{user_id}")
        assert res.status == 404
        assert res.headers["Content-Type"] == TEXT
        assert await res.text() == "out of range"


async def test_creates_a_user_from_json(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.post("/admin/users", json={"name": "easterbunny"})
        assert res.status == 201
        assert res.headers["Location"] == "/admin/users/3"
        assert await res.text() == '{"id":3,"name":"easterbunny"}'
        res = await client.get("/admin/users/3")
        assert await res.json() == {"id": 3, "name": "easterbunny"}
        assert len(await (await client.get("/admin/users")).json()) == 4


async def test_creates_a_user_from_a_form(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.post("/admin/users", data={"name": "Zoë"})
        assert res.status == 201
        assert await res.json() == {"id": 3, "name": "Zoë"}


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ('{"name":""}', "application/json", "name is required"),
        ('{"name":"   "}', "application/json", "name is required"),
        ("{}", "application/json", "name is required"),
        ('{"name":42}', "application/json", "name is required"),
        ('{"name":null}', "application/json", "name is required"),
        ('["easterbunny"]', "application/json", "expected a JSON object"),
        (json.dumps({"name": "x" * 101}), "application/json", "name is longer than 100 characters"),
        ("name=easterbunny", "text/plain", "name is required"),
    ],
)
async def test_an_invalid_user_is_400(
    example: ModuleType, body: str, content_type: str, message: str
) -> None:
    async with TestClient(example.app) as client:
        res = await client.post(
            "/admin/users", data=body.encode(), headers={"Content-Type": content_type}
        )
        assert res.status == 400
        assert res.headers["Content-Type"] == TEXT
        assert await res.text() == message
        assert len(await (await client.get("/admin/users")).json()) == 3


async def test_malformed_json_is_400_from_the_body_parser(
    example: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    async with TestClient(example.app) as client:
        res = await client.post(
            "/admin/users", data=b'{"name":', headers={"Content-Type": "application/json"}
        )
        assert res.status == 400
        assert res.headers["Content-Type"] == TEXT
        assert "X-Response-Time" not in res.headers  # Koa drops headers set before an error
    # The app's error listener leaves client errors out of the log.
    assert not [r for r in caplog.records if r.name in ("koa", "examples.app")]


async def test_server_errors_are_logged_with_their_traceback(
    example: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    app = example.create_app()

    async def crash(ctx: Context, next: Next) -> None:
        raise RuntimeError("disk full")

    app.middleware.insert(0, crash)
    async with TestClient(app) as client:
        res = await client.get("/admin/version?x=1")
        assert (res.status, await res.text()) == (500, "Internal Server Error")
    [record] = [r for r in caplog.records if r.name in ("koa", "examples.app")]
    assert record.name == "examples.app"
    assert record.getMessage() == "GET /admin/version?x=1 failed"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "disk full"


async def test_the_users_router_answers_405_and_options(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.delete("/admin/users")
        assert res.status == 405
        assert res.headers["Allow"] == "HEAD, GET, POST"
        assert await res.text() == "Method Not Allowed"
        res = await client.options("/admin/users/1")
        assert res.status == 200
        assert res.headers["Allow"] == "HEAD, GET"


async def test_version_comes_from_the_main_router(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/admin/version")
        assert (res.status, res.headers["Content-Type"]) == (200, TEXT)
        assert await res.text() == "0.1.0"
        res = await client.post("/admin/version")
        assert res.status == 405
        assert res.headers["Allow"] == "HEAD, GET"


async def test_the_index_lists_the_endpoints(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/")
        assert await res.json() == {
            "users": "/admin/users",
            "version": "/admin/version",
            "files": "/data/",
        }


async def test_serves_files_from_examples_data(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/data/foo/bar.txt")
        assert res.status == 200
        assert res.headers["Content-Type"] == TEXT
        assert await res.text() == "bar\n"
        res = await client.get("/data/hello.txt")
        assert await res.text() == "Hello from examples/data/hello.txt\n"
        etag = res.headers["ETag"]
        res = await client.get("/data/hello.txt", headers={"If-None-Match": etag})
        assert res.status == 304
        res = await client.get("/data/")
        assert res.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "<h1>The example app</h1>" in await res.text()


async def test_large_bodies_are_compressed_for_clients_that_ask(example: ModuleType) -> None:
    about = (EXAMPLES_DATA / "about.txt").read_bytes()
    async with TestClient(example.app) as client:
        res = await client.get("/data/about.txt", headers={"Accept-Encoding": "gzip, deflate"})
        assert (res.status, res.headers["Content-Encoding"]) == (200, "gzip")
        assert res.headers["Vary"] == "Accept-Encoding"
        assert res.headers["ETag"].startswith('W/"')
        assert zlib.decompress(await res.read(), 31) == about
        # curl without --compressed sends no Accept-Encoding: the file as it is on disk.
        res = await client.get("/data/about.txt", skip_auto_headers=["Accept-Encoding"])
        assert "Content-Encoding" not in res.headers
        assert res.headers["Content-Length"] == str(len(about))
        assert await res.read() == about
        # Small bodies are not worth it, but the answer still depends on Accept-Encoding.
        res = await client.get("/admin/version", headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in res.headers
        assert res.headers["Vary"] == "Accept-Encoding"


async def test_missing_and_forbidden_files(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        res = await client.get("/data/nope.txt")
        assert (res.status, await res.text()) == (404, "Not Found")
        raw = await client.raw(
            b"GET /data/../app.py HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 403 Forbidden\r\n")
        assert b"create_users_app" not in raw


async def test_every_answer_is_timed(example: ModuleType) -> None:
    async with TestClient(example.app) as client:
        for path in ("/admin/version", "/admin/users", "/data/foo/bar.txt", "/nope"):
            res = await client.get(path)
            assert TIMING.fullmatch(res.headers["X-Response-Time"]), path


async def test_requests_are_logged(example: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    async with TestClient(example.app) as client:
        await client.get("/admin/users/1")
        await client.get("/admin/users/7")
    lines = ANSI.sub("", capsys.readouterr().out).splitlines()
    assert lines[0] == "  <-- GET /admin/users/1"
    assert re.fullmatch(r"  --> GET /admin/users/1 200 \d+ms 27b", lines[1])
    assert lines[2] == "  <-- GET /admin/users/7"
    assert re.fullmatch(r"  xxx GET /admin/users/7 404 \d+ms -", lines[3])
    assert len(lines) == 4


async def test_each_app_has_its_own_users(example: ModuleType) -> None:
    first = example.create_app()
    second = example.create_app()
    async with TestClient(first) as client:
        res = await client.post("/admin/users", json={"name": "only-here"})
        assert res.headers["Location"] == "/admin/users/3"
    async with TestClient(second) as client:
        assert len(await (await client.get("/admin/users")).json()) == 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_running_the_script_serves_and_stops_on_sigint(example: ModuleType) -> None:
    """What ``hatch run example`` does: print the URL, serve, stop cleanly on Ctrl-C."""
    port = free_port()
    assert example.__file__ is not None
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        example.__file__,
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert first.decode() == f"listening on http://127.0.0.1:{port}\n"
        # The URL is printed just before app.listen() binds: retry briefly.
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except ConnectionRefusedError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail(f"nothing listens on port {port}")
        writer.write(b"GET /admin/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        await writer.wait_closed()
        assert response.startswith(b"HTTP/1.1 200 OK\r\n")
        assert response.endswith(b"\r\n\r\n0.1.0")
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert ANSI.sub("", out.decode()).splitlines()[0] == "  <-- GET /admin/version"
