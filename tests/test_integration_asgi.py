"""The same Koa app on aiohttp and on each ASGI server (uvicorn, granian, hypercorn), started by
its own command line: a file with Range and conditional requests answered alike (granian sends
it with ``http.response.pathsend``, the others in chunks read off the event loop), and HTTP/2
on hypercorn and granian, over h2c and over TLS with ALPN, with koa-logger's record saying
which version was served."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from koa.core.testing import TestClient

ASGI = Path(__file__).resolve().parent / "asgi"
DATA = bytes(range(256)) * 400  # 100 KB: more than one chunk of the fallback

SERVERS = ["uvicorn", "granian", "hypercorn"]


async def get(port: int, target: str, *headers: str) -> tuple[str, dict[str, str], bytes]:
    """A GET on a fresh connection: the status code, the headers (lower-case names) and the
    body (read by Content-Length)."""
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close"]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode("latin-1")
        status = head.split(" ", 2)[1]
        fields = {}
        for line in head.split("\r\n")[1:]:
            if line:
                name, _, value = line.partition(": ")
                fields[name.lower()] = value
        length = int(fields.get("content-length", "0"))
        body = await asyncio.wait_for(reader.readexactly(length), 10) if length else b""
    finally:
        writer.close()
        await writer.wait_closed()
    return status, fields, body


async def file_answers(port: int, etag: str) -> list[Any]:
    answers = []
    for headers in (
        (),
        ("Range: bytes=100-199",),
        ("Range: bytes=-10",),
        ("Range: bytes=999999-",),
        (f"If-None-Match: {etag}",),
        ('If-Match: "other"',),
    ):
        status, fields, body = await get(port, "/file", *headers)
        kept = {
            name: fields.get(name)
            for name in ("content-length", "content-range", "etag", "accept-ranges")
        }
        if not body and kept["content-length"] == "0":
            # An empty body's framing is the server's: aiohttp chunks the 416, granian says
            # Content-Length: 0 (both end the body at once).
            kept["content-length"] = None
        answers.append((status, kept, body))
    return answers


@pytest.mark.parametrize("server", SERVERS)
async def test_a_file_is_answered_as_on_aiohttp(
    server: str, tmp_path: Path, asgi_server: Callable[..., Any]
) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    os.environ["KOA_TEST_FILE"] = str(path)
    try:
        spec = importlib.util.spec_from_file_location("asgi_apps_here", ASGI / "asgi_apps.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        async with TestClient(module.files, backend="aiohttp") as client:
            etag = (await client.get("/file")).headers["ETag"]
            expected = await file_answers(client.port, etag)
        async with asgi_server(server, ASGI, "asgi_apps:files") as port:
            actual = await file_answers(port, etag)
    finally:
        del os.environ["KOA_TEST_FILE"]
    assert expected[0][2] == DATA
    assert [a[0] for a in expected] == ["200", "206", "206", "416", "304", "412"]
    assert actual == expected


def _h2_get(tls: bool, port: int, cafile: str | None) -> dict[str, Any]:
    """``GET /version`` over HTTP/2 (h2c with prior knowledge, or TLS with ALPN ``h2``)."""
    import socket

    sock: socket.socket = socket.create_connection(("127.0.0.1", port), timeout=10)
    if tls:
        context = ssl.create_default_context(cafile=cafile)
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(sock, server_hostname="localhost")
        assert sock.selected_alpn_protocol() == "h2"
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    stream = conn.get_next_available_stream_id()
    conn.send_headers(
        stream,
        [
            (":method", "GET"),
            (":path", "/version"),
            (":scheme", "https" if tls else "http"),
            (":authority", "localhost"),
        ],
        end_stream=True,
    )
    sock.sendall(conn.data_to_send())
    status, body, done = "", b"", False
    try:
        while not done:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = dict(event.headers)[b":status"].decode()
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded):
                    done = True
            sock.sendall(conn.data_to_send())
    finally:
        sock.close()
    return {"status": status, **json.loads(body)}


async def test_hypercorn_serves_the_app_over_h2c(asgi_server: Callable[..., Any]) -> None:
    async with asgi_server("hypercorn", ASGI, "asgi_apps:files") as port:
        answer = await asyncio.to_thread(_h2_get, False, port, None)
        # It also takes RFC 7540's upgrade from HTTP/1.1 (granian does not: below).
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
        )
        upgraded = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
        await writer.wait_closed()
    assert answer == {"status": "200", "version": "2", "protocol": "http"}
    assert upgraded.lower().startswith(b"http/1.1 101 ")
    assert b"upgrade: h2c" in upgraded.lower()


def _certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA's certificate for ``localhost``: (certfile, keyfile, cafile)."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    certfile, keyfile, cafile = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    key = serialization.load_pem_private_key(cert.private_key_pem.bytes(), password=None)
    keyfile.write_bytes(  # granian reads PKCS#8 keys only
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    ca.cert_pem.write_to_path(str(cafile))
    return certfile, keyfile, cafile


async def _https_version_over_http1(port: int, cafile: Path) -> bytes:
    """The raw HTTP/1.1 answer to ``GET /version`` over TLS (no ALPN) on ``port``."""
    context = ssl.create_default_context(cafile=str(cafile))
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, ssl=context, server_hostname="localhost"
    )
    writer.write(b"GET /version HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    reply = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return reply


async def test_hypercorn_serves_the_app_over_tls_with_alpn_h2(
    asgi_server: Callable[..., Any], tmp_path: Path
) -> None:
    certfile, keyfile, cafile = _certificate(tmp_path)
    extra = ("--certfile", str(certfile), "--keyfile", str(keyfile))
    async with asgi_server("hypercorn", ASGI, "asgi_apps:files", *extra, tls=True) as port:
        answer = await asyncio.to_thread(_h2_get, True, port, str(cafile))
        # HTTP/1.1 still answers on the same port, and says so.
        reply = await _https_version_over_http1(port, cafile)
    assert answer == {"status": "200", "version": "2", "protocol": "https"}
    assert reply.endswith(b'{"version":"1.1","protocol":"https"}')


def _logged_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def _wait_for_lines(path: Path, count: int) -> list[str]:
    """koa-logger's lines once ``count`` are written (the server process writes them)."""
    for _ in range(500):  # 10 s at most: a bound on waiting, not an assertion about speed
        if len(_logged_lines(path)) >= count:
            break
        await asyncio.sleep(0.02)
    return _logged_lines(path)


@pytest.mark.parametrize("http", ["2", "auto"])
async def test_granian_serves_the_app_over_h2c(
    http: str, asgi_server: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # h2c with prior knowledge: the client starts with HTTP/2's preface (RFC 9113 3.3).
    # ``--http auto`` tells it from an HTTP/1.1 request by that preface.
    log = tmp_path / "access.log"
    monkeypatch.setenv("KOA_TEST_LOG", str(log))
    async with asgi_server("granian", ASGI, "asgi_apps:logged", "--http", http) as port:
        answer = await asyncio.to_thread(_h2_get, False, port, None)
        lines = await _wait_for_lines(log, 2)
        if http == "auto":  # (``--http 2`` resets an HTTP/1.1 connection)
            upgrade = await get(
                port,
                "/version",
                "Connection: Upgrade, HTTP2-Settings",
                "Upgrade: h2c",
                "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA",
            )
            # RFC 7540's upgrade (dropped by RFC 9113) is not offered: HTTP/1.1 answers.
            assert (upgrade[0], upgrade[2]) == ("200", b'{"version":"1.1","protocol":"http"}')
    assert answer == {"status": "200", "version": "2", "protocol": "http"}
    assert [line.split()[:3] + line.split()[-1:] for line in lines[:2]] == [
        ["<--", "GET", "/version", "HTTP/2"],
        ["-->", "GET", "/version", "HTTP/2"],
    ]
    assert lines[1].split()[3] == "200"


async def test_granian_serves_the_app_over_tls_with_alpn_h2(
    asgi_server: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    certfile, keyfile, cafile = _certificate(tmp_path)
    log = tmp_path / "access.log"
    monkeypatch.setenv("KOA_TEST_LOG", str(log))
    extra = ("--ssl-certificate", str(certfile), "--ssl-keyfile", str(keyfile))
    async with asgi_server("granian", ASGI, "asgi_apps:logged", *extra, tls=True) as port:
        answer = await asyncio.to_thread(_h2_get, True, port, str(cafile))
        # HTTP/1.1 still answers on the same port (ALPN http/1.1, or none), and says so.
        reply = await _https_version_over_http1(port, cafile)
        lines = await _wait_for_lines(log, 4)
    assert answer == {"status": "200", "version": "2", "protocol": "https"}
    assert reply.startswith(b"HTTP/1.1 200")
    assert reply.endswith(b'{"version":"1.1","protocol":"https"}')
    assert [line.split()[0] + " " + line.split()[-1] for line in lines] == [
        "<-- HTTP/2",
        "--> HTTP/2",
        "<-- HTTP/1.1",
        "--> HTTP/1.1",
    ]
