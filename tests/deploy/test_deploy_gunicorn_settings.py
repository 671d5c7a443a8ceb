"""gunicorn's settings reach koa.core.worker.GunicornWorker: binds, TLS, limits, keep-alive,
the heartbeat timeout, reuse-port, the access log, uvloop; and what stops the master."""

from __future__ import annotations

import socket
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.deploy.conftest import GunicornFactory

APP = """
    import asyncio, os, time
    from koa.core import Koa

    app = Koa()

    async def serve(ctx, next):
        if ctx.path == "/block":
            time.sleep(60)  # blocks the event loop: the worker misses its heartbeat
        ctx.body = {
            "pid": os.getpid(),
            "secure": ctx.secure,
            "protocol": ctx.protocol,
            "loop": type(asyncio.get_running_loop()).__module__,
        }

    app.use(serve)
"""


def exchange(sock: socket.socket, request: bytes, timeout: float = 30.0) -> bytes:
    """Send ``request`` and read one response whose body is small (up to the blank line and
    whatever arrived with it, or until the server closes)."""
    sock.settimeout(timeout)
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        return exchange(sock, request)


def test_tcp_and_unix_binds_request_limits_and_the_access_log(
    gunicorn: GunicornFactory, tmp_path: Path
) -> None:
    unix_path = tmp_path / "koa.sock"
    master = gunicorn(
        APP,
        "-w",
        "1",
        "-b",
        f"unix:{unix_path}",
        "--limit-request-line",
        "100",
        "--limit-request-fields",
        "5",
        "--limit-request-field_size",
        "60",
        "--access-logfile",
        "-",
    )
    assert master.get("/?from=test")[0] == 200
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(unix_path))
        reply = exchange(sock, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK"), reply
    assert b'"protocol":"http"' in reply
    master.wait_until(
        lambda: '"GET /?from=test HTTP/1.1" 200' in master.log(), "an access log line"
    )
    ok = raw(
        master.port,
        b"GET /" + b"a" * 60 + b" HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * 40 + b"\r\n\r\n",
    )
    assert ok.startswith(b"HTTP/1.1 200 OK"), ok
    for request, status in [
        (
            b"GET /" + b"a" * 150 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            b"431 Request Header Fields Too Large",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"b" * 100 + b"\r\n\r\n",
            b"431 Request Header Fields Too Large",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % n for n in range(8))
            + b"\r\n",
            b"400 Bad Request",
        ),
    ]:
        reply = raw(master.port, request)
        assert reply.startswith(b"HTTP/1.1 " + status), reply
        assert b"Traceback" not in reply


def test_an_inherited_listening_socket_serves(gunicorn: GunicornFactory) -> None:
    # ``fd://`` is how a socket reaches gunicorn from systemd, and how USR2's new master
    # inherits the old one's (GUNICORN_FD): the worker serves whatever the master holds.
    inherited = socket.socket()
    inherited.bind(("127.0.0.1", 0))
    inherited.listen(16)
    inherited.set_inheritable(True)
    port = inherited.getsockname()[1]
    try:
        master = gunicorn(
            APP,
            "-w",
            "1",
            "-b",
            f"fd://{inherited.fileno()}",
            bind=False,
            port=port,
            pass_fds=(inherited.fileno(),),
        )
    finally:
        inherited.close()  # the master holds its own copy
    assert master.get("/")[0] == 200


def test_certfile_and_keyfile_serve_https_and_ctx_secure(
    gunicorn: GunicornFactory, tmp_path: Path
) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    master = gunicorn(
        APP,
        "-w",
        "1",
        "--certfile",
        str(tmp_path / "cert.pem"),
        "--keyfile",
        str(tmp_path / "key.pem"),
        wait=False,
    )
    client = ssl.create_default_context()
    ca.configure_trust(client)

    def answer() -> bytes | None:
        try:
            with (
                socket.create_connection(("127.0.0.1", master.port), timeout=10) as plain,
                client.wrap_socket(plain, server_hostname="127.0.0.1") as sock,
            ):
                return exchange(sock, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        except OSError:
            return None

    replies: list[bytes | None] = []

    def answered() -> bool:
        replies.append(answer())
        return replies[-1] is not None

    master.wait_until(answered, "HTTPS")
    reply = replies[-1]
    assert reply is not None
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert b'"secure":true' in reply
    assert b'"protocol":"https"' in reply


def test_keep_alive_and_heartbeat_timeout(gunicorn: GunicornFactory) -> None:
    # keep-alive 30 s: a connection idle for longer than koa-core's own 5 s is still served.
    # timeout 2 s: an idle worker keeps beating; one that blocks its loop is replaced.
    master = gunicorn(APP, "-w", "1", "--keep-alive", "30", "--timeout", "2")
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", master.port), timeout=30) as sock:
        first = exchange(sock, request)
        time.sleep(6.5)
        second = exchange(sock, request)
    assert first.startswith(b"HTTP/1.1 200 OK")
    assert second.startswith(b"HTTP/1.1 200 OK"), second
    pid = first.split(b'"pid":')[1].split(b",")[0]
    assert pid == second.split(b'"pid":')[1].split(b",")[0]  # not killed while idle
    with socket.create_connection(("127.0.0.1", master.port), timeout=60) as blocked:
        blocked.sendall(b"GET /block HTTP/1.1\r\nHost: x\r\n\r\n")
        master.wait_until(lambda: "WORKER TIMEOUT" in master.log(), "the heartbeat timeout", 60)
    master.wait_until(lambda: master.answers(), "a new worker")
    status, body = master.get("/")
    assert status == 200
    assert f'"pid":{pid.decode()},' not in body


def test_the_uvloop_worker_with_reuse_port(gunicorn: GunicornFactory) -> None:
    pytest.importorskip("uvloop")
    master = gunicorn(APP, "-w", "2", "--reuse-port", worker="koa.core.worker.GunicornUVLoopWorker")
    pids = set()
    for _ in range(400):
        status, body = master.get("/")
        assert status == 200
        assert '"loop":"uvloop"' in body
        pids.add(body.split('"pid":')[1].split(",")[0])
        if len(pids) == 2:
            break
    assert len(pids) == 2  # each worker has its own socket on the port, and both answer


FAILING_STARTUP = """
    from koa.core import Koa

    app = Koa()

    def connect(app):
        raise ConnectionRefusedError("database unreachable")

    app.on("startup", connect)
"""


def test_a_failing_startup_hook_stops_the_master(gunicorn: GunicornFactory) -> None:
    master = gunicorn(FAILING_STARTUP, "-w", "2", wait=False)
    code = master.wait(60)
    log = master.log()
    assert code == 3, log  # gunicorn's WORKER_BOOT_ERROR
    assert "startup hook connect failed: nothing is served" in log
    assert "ConnectionRefusedError: database unreachable" in log
    assert "Traceback (most recent call last)" in log
    assert log.count("Booting worker") <= 2  # no respawn loop


NOT_APPS = [
    ("app = 42\n", "app_module:app", "app_module:app is builtins.int 42, not a Koa app"),
    (
        "def app(environ, start_response):\n    return []\n",
        "app_module:app",
        "the app factory app_module.app raised TypeError",
    ),
    (
        "class Thing:\n    def __call__(self):\n        pass\napp = Thing()\n",
        "app_module:app",
        "must be a Koa app or a function returning one, not app_module.Thing",
    ),
    (
        "def make():\n    return 'app'\n",
        "app_module:make()",
        "Application object must be callable. app_module:make() did not give a Koa app",
    ),
    (
        "def make():\n    return {}\n",
        "app_module:make",
        "the app factory app_module.make returned builtins.dict {}, not a Koa app",
    ),
]


def test_anything_but_a_koa_app_stops_the_master_naming_it(gunicorn: GunicornFactory) -> None:
    # Started together: each master takes seconds to import gunicorn on a busy machine.
    masters = [
        (gunicorn(source, "-w", "1", app=app, wait=False), message)
        for source, app, message in NOT_APPS
    ]
    for master, message in masters:
        code = master.wait(60)
        log = master.log()
        assert code == 4, log  # gunicorn's APP_LOAD_ERROR
        assert message in log
