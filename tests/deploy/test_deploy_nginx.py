"""A Koa app behind a real nginx, configured as docs/deployment.md says: forwarded client
address, scheme and host; a forged X-Forwarded-For; a streamed body; the WebSocket example.

Each test starts its own nginx (generated config, temporary directory as its prefix, error log
and PID file there, ``daemon off;`` as a child process on a free 127.0.0.1 port) and stops it
by PID. Without an nginx binary the tests are skipped, except under CI (``CI=true``), where a
missing nginx is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from koa.core import Context, Koa, Next

if TYPE_CHECKING:
    from tests.conftest import ExampleLoader

NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)),
    None,
)

CONFIG = """
daemon off;
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 128; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    # WebSocket upgrades pass Connection: upgrade; other requests send an empty Connection
    # header, so that the upstream connections are kept alive.
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    upstream koa {{
        server 127.0.0.1:{app_port};
        keepalive 8;
    }}

    server {{
        listen 127.0.0.1:{port};
        listen 127.0.0.1:{tls_port} ssl;
        ssl_certificate {prefix}/cert.pem;
        ssl_certificate_key {prefix}/key.pem;

        location / {{
            proxy_pass http://koa;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Nginx:
    port: int
    tls_port: int
    prefix: Path
    client_tls: ssl.SSLContext

    def log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Any]:
    """``start(app_port)`` runs nginx in front of 127.0.0.1:app_port; stopped after the test."""
    if NGINX is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed (.ci/run installs Debian's nginx package)")
        pytest.skip("nginx is not installed")
    trustme = pytest.importorskip("trustme")
    processes: list[subprocess.Popen[bytes]] = []

    def start(app_port: int) -> Nginx:
        prefix = tmp_path / f"nginx{len(processes)}"
        prefix.mkdir()
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "shop.example")
        cert.private_key_pem.write_to_path(str(prefix / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(prefix / "cert.pem"))
        client_tls = ssl.create_default_context()
        ca.configure_trust(client_tls)
        port, tls_port = free_port(), free_port()
        # As root, nginx's workers would run as "nobody", who cannot enter the test's
        # private temporary directory.
        user = "user root;" if os.geteuid() == 0 else ""
        config = CONFIG.format(
            prefix=prefix, app_port=app_port, port=port, tls_port=tls_port, user=user
        )
        (prefix / "nginx.conf").write_text(config)
        with (prefix / "stderr.log").open("wb") as stderr:
            process = subprocess.Popen(
                [
                    NGINX,
                    "-p",
                    str(prefix),
                    "-c",
                    str(prefix / "nginx.conf"),
                    "-e",
                    str(prefix / "error.log"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        processes.append(process)
        server = Nginx(port, tls_port, prefix, client_tls)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                stderr_text = (prefix / "stderr.log").read_text(errors="replace")
                pytest.fail(f"nginx exited with {process.returncode}:\n{stderr_text}{server.log()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"nginx did not listen in 30 s:\n{server.log()}")
            time.sleep(0.05)
        return server

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


async def request_from(
    source: str, port: int, head: bytes, tls: ssl.SSLContext | None = None
) -> bytes:
    """Send ``head`` from the local address ``source`` and read the whole response."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1",
        port,
        local_addr=(source, 0),
        ssl=tls,
        server_hostname="shop.example" if tls else None,
    )
    try:
        writer.write(head)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await writer.wait_closed()


def what_koa_saw(app: Koa) -> Koa:
    async def report(ctx: Context, next: Next) -> None:
        ctx.body = {
            "ip": ctx.ip,
            "ips": ctx.ips,
            "protocol": ctx.protocol,
            "secure": ctx.secure,
            "host": ctx.host,
            "peer": ctx.req.remote,
        }

    return app.use(report)


async def test_client_address_scheme_and_host_through_nginx(nginx: Any) -> None:
    app = what_koa_saw(Koa(proxy=True, max_ips_count=1))
    async with await app.serve() as server:
        proxy = nginx(server.port)
        head = b"GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n"
        # The client connects from 127.0.0.3: Koa sees that address, not nginx's 127.0.0.1.
        plain = await request_from("127.0.0.3", proxy.port, head)
        tls = await request_from("127.0.0.3", proxy.tls_port, head, proxy.client_tls)
    for reply, protocol in ((plain, "http"), (tls, "https")):
        assert reply.startswith(b"HTTP/1.1 200 OK"), reply
        body = reply.partition(b"\r\n\r\n")[2]
        assert body.startswith(b'{"ip":"127.0.0.3","ips":["127.0.0.3"],')
        assert (
            f'"protocol":"{protocol}","secure":{str(protocol == "https").lower()}'.encode() in body
        )
        assert b'"host":"shop.example"' in body
        assert b'"peer":"127.0.0.1"' in body  # the socket is nginx's


async def test_a_forged_x_forwarded_for_is_not_adopted_with_max_ips_count_1(nginx: Any) -> None:
    trusting_one = what_koa_saw(Koa(proxy=True, max_ips_count=1))
    trusting_all = what_koa_saw(Koa(proxy=True))
    head = (
        b"GET / HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: 6.6.6.6\r\n"
        b"Connection: close\r\n\r\n"
    )
    replies = []
    for app in (trusting_one, trusting_all):
        async with await app.serve() as server:
            proxy = nginx(server.port)
            replies.append(await request_from("127.0.0.3", proxy.port, head))
    one, every = (reply.partition(b"\r\n\r\n")[2] for reply in replies)
    # nginx appends the address it saw: "6.6.6.6, 127.0.0.3"; only the last hop is trusted.
    assert one.startswith(b'{"ip":"127.0.0.3","ips":["127.0.0.3"],'), one
    # The default (max_ips_count=0) believes the client's own header, as Koa does.
    assert every.startswith(b'{"ip":"6.6.6.6","ips":["6.6.6.6","127.0.0.3"],'), every


async def test_a_streamed_body_arrives_chunk_by_chunk(nginx: Any) -> None:
    app = Koa(proxy=True, max_ips_count=1)
    received_first = asyncio.Event()

    async def stream(ctx: Context, next: Next) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"first chunk\n"
            # The second chunk is written only once the client holds the first: a proxy that
            # buffered the response would never deliver it, and the test would time out.
            await asyncio.wait_for(received_first.wait(), 30)
            yield b"second chunk\n"

        ctx.type = "text/plain"
        ctx.body = chunks()

    app.use(stream)
    async with await app.serve() as server:
        proxy = nginx(server.port)
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n")
            await writer.drain()
            data = b""
            while b"first chunk\n" not in data:
                more = await asyncio.wait_for(reader.read(4096), 30)
                assert more, data
                data += more
            assert b"second chunk" not in data
            received_first.set()
            data += await asyncio.wait_for(reader.read(), 30)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    assert data.startswith(b"HTTP/1.1 200 OK")
    assert b"Transfer-Encoding: chunked" in data
    assert data.index(b"first chunk") < data.index(b"second chunk")


async def test_the_websocket_example_through_nginx(nginx: Any, load_example: ExampleLoader) -> None:
    app = load_example("websocket.py").app
    async with await app.serve() as server:
        proxy = nginx(server.port)
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{proxy.port}/ws"
            async with session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=10)) as ws:
                await ws.send_str("hello through nginx")
                assert await ws.receive_str(timeout=30) == "hello through nginx"
                await ws.send_bytes(b"\x00\x01")
                assert await ws.receive_bytes(timeout=30) == b"\x00\x01"
                await ws.send_str("close")
                closing = await ws.receive(timeout=30)
                assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            async with session.get(f"http://127.0.0.1:{proxy.port}/ws") as plain:
                assert plain.status == 426  # a plain GET through nginx: no upgrade asked
