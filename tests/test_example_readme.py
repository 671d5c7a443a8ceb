"""The root README's curl lines, replayed against examples/app.py over a real socket.

Each ``$ curl ...`` line in a ``console`` block of README.md is sent as curl sends it (same
request line, ``Host``, ``User-Agent``, ``Accept``, then the ``-H`` headers and the ``-d`` body),
in order, to one fresh app; what curl would print (``-i``: status line and headers, then the
body) must equal the lines under it. Headers whose values change from run to run (``Date``,
``X-Response-Time``, and a file's ``Last-Modified`` and ``ETag``) are compared by name and form.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from koa.core import Koa
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]

README = Path(__file__).resolve().parent.parent / "README.md"
ORIGIN = "http://127.0.0.1:3000"

# Headers whose values vary between runs, with the form their values must have.
VARYING = {
    "date": re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"),
    "x-response-time": re.compile(r"\d+\.\d{3}ms"),
    "last-modified": re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"),
    "etag": re.compile(r'(W/)?"[^"]+"'),
}


@dataclass
class Curl:
    command: str
    expected: list[str] = field(default_factory=list)
    method: str = "GET"
    target: str = "/"
    headers: list[tuple[str, str]] = field(default_factory=list)
    data: bytes | None = None
    include: bool = False


def parse_curl(command: str) -> Curl:
    """The request a curl command line sends (the options this README uses)."""
    args = shlex.split(command)
    assert args[0] == "curl", command
    curl = Curl(command)
    method: str | None = None
    url: str | None = None
    i = 1
    while i < len(args):
        arg = args[i]
        if arg in ("-i", "--include"):
            curl.include = True
        elif arg in ("-s", "--silent", "--path-as-is"):
            pass
        elif arg in ("-X", "--request"):
            i += 1
            method = args[i]
        elif arg in ("-H", "--header"):
            i += 1
            name, _, value = args[i].partition(":")
            curl.headers.append((name.strip(), value.strip()))
        elif arg in ("-d", "--data"):
            i += 1
            curl.data = args[i].encode()
        elif arg.startswith("-"):
            raise AssertionError(f"curl option {arg} is not understood by this test: {command}")
        else:
            url = arg
        i += 1
    assert url is not None, command
    assert url.startswith(ORIGIN), f"README curl lines must target {ORIGIN}: {command}"
    curl.target = url[len(ORIGIN) :] or "/"
    curl.method = method or ("POST" if curl.data is not None else "GET")
    return curl


def readme_curls() -> list[Curl]:
    """Every ``$ curl`` line of the README's console blocks, with the output under it."""
    curls: list[Curl] = []
    in_console = False
    current: Curl | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            current = None
            continue
        if not in_console:
            continue
        if line.startswith("$ "):
            current = parse_curl(line[2:]) if line.startswith("$ curl ") else None
            if current is not None:
                curls.append(current)
        elif current is not None:
            current.expected.append(line)
    return curls


async def send(port: int, curl: Curl) -> list[str]:
    """Send ``curl``'s request on a fresh connection; return what curl would print."""
    lines = [
        f"{curl.method} {curl.target} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "User-Agent: curl/7.88.1",
        "Accept: */*",
        *(f"{name}: {value}" for name, value in curl.headers),
    ]
    if curl.data is not None:
        lines.append(f"Content-Length: {len(curl.data)}")
        if not any(name.lower() == "content-type" for name, _ in curl.headers):
            lines.append("Content-Type: application/x-www-form-urlencoded")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + (curl.data or b"")

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        header_lines = head.decode("latin-1").split("\r\n")[:-2]
        length = 0
        for header in header_lines[1:]:
            name, _, value = header.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            assert name.lower() != "transfer-encoding", "README examples use sized bodies"
        body = await asyncio.wait_for(reader.readexactly(length), 10) if length else b""
    finally:
        writer.close()
        await writer.wait_closed()
    text = body.decode()
    output = [*header_lines, ""] if curl.include else []
    return output + text.split("\n")


def same_output(expected: list[str], actual: list[str]) -> bool:
    def trim(lines: list[str]) -> list[str]:
        lines = list(lines)
        while lines and not lines[-1].strip():
            lines.pop()
        return lines

    expected, actual = trim(expected), trim(actual)
    if len(expected) != len(actual):
        return False
    for want, got in zip(expected, actual, strict=True):
        name, sep, _ = want.partition(": ")
        form = VARYING.get(name.lower()) if sep else None
        if form is not None:
            got_name, _, got_value = got.partition(": ")
            if got_name != name or not form.fullmatch(got_value):
                return False
        elif want != got:
            return False
    return True


def same_output_on_asgi(expected: list[str], actual: list[str]) -> bool:
    """``same_output`` for an ASGI server, which writes ``Date`` itself: in its own place
    and case (``date``), once. granian adds ``server: granian`` (it has no setting to leave
    it out), so a ``Server`` line is passed over too. Header names compare without case
    (granian writes them in lower case, as HTTP/2 does); values, order and bodies exactly.
    hypercorn writes no reason phrase (``HTTP/1.1 200 ``, which RFC 9112 4 allows), so the
    status line compares by version and code."""

    def split(lines: list[str]) -> tuple[list[str], list[str]]:
        if not lines or not lines[0].startswith("HTTP/"):
            return [], lines
        end = lines.index("") if "" in lines else len(lines)
        return lines[:end], lines[end:]

    (want_head, want_body), (got_head, got_body) = split(expected), split(actual)
    got_dates = [line for line in got_head if line.lower().startswith("date: ")]
    if want_head and len(got_dates) != 1:
        return False

    def normal(head: list[str]) -> list[str]:
        kept: list[str] = [" ".join(head[0].split(" ", 2)[:2])] if head else []
        for line in head[1:]:
            name, sep, value = line.partition(": ")
            if name.lower() in ("date", "server"):
                continue
            kept.append(f"{name.title() if sep else name}{sep}{value}")
        return kept

    return same_output(normal(want_head) + want_body, normal(got_head) + got_body)


def test_the_readme_has_curl_lines_for_every_part_of_the_example() -> None:
    targets = {curl.target.split("?")[0] for curl in readme_curls()}
    for part in ("/admin/version", "/admin/users", "/admin/users/3", "/data/foo/bar.txt"):
        assert part in targets, part
    assert any(curl.method == "POST" for curl in readme_curls())
    # a CORS preflight and a cross-origin read of the users API
    cross_origin = {curl.method for curl in readme_curls() if dict(curl.headers).get("Origin")}
    assert {"OPTIONS", "GET"} <= cross_origin


async def test_every_readme_curl_line_gives_the_output_shown(load_example: Loader) -> None:
    curls = readme_curls()
    assert curls, "README.md has no curl lines"
    app = load_example("app.py").app
    async with TestClient(app) as client:
        for curl in curls:
            actual = await send(client.port, curl)
            if not same_output(curl.expected, actual):
                pytest.fail(
                    f"$ {curl.command}\n--- README shows:\n"
                    + "\n".join(curl.expected)
                    + "\n--- the app answers:\n"
                    + "\n".join(actual)
                )


EXAMPLES = README.parent / "examples"


@pytest.mark.parametrize("server", ["uvicorn", "granian", "hypercorn"])
async def test_every_readme_curl_line_gives_the_output_shown_on_asgi(
    server: str, asgi_server: Callable[..., Any]
) -> None:
    """The same ``app`` object, served as an ASGI app by each server's own command line."""
    async with asgi_server(server, EXAMPLES, "app:app") as port:
        for curl in readme_curls():
            actual = await send(port, curl)
            if not same_output_on_asgi(curl.expected, actual):
                pytest.fail(
                    f"{server}: $ {curl.command}\n--- README shows:\n"
                    + "\n".join(curl.expected)
                    + "\n--- the app answers:\n"
                    + "\n".join(actual)
                )


def readme_python_example() -> str:
    """The README's first ``python`` block (the 15-line example)."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match is not None, "README.md has no python example"
    return match.group(1)


async def test_the_15_line_example_works(capsys: pytest.CaptureFixture[str]) -> None:
    source = readme_python_example()
    assert len(source.strip().splitlines()) == 15
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(source, "README.md", "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, Koa)
    async with TestClient(app) as client:
        res = await client.get("/api/users/1")
        assert (res.status, await res.text()) == (200, '{"id":"1"}')
        res = await client.delete("/api/users/1")
        assert (res.status, res.headers["Allow"]) == (405, "HEAD, GET")
    lines = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out).splitlines()
    assert lines[0] == "  <-- GET /api/users/1"
    assert re.fullmatch(r"  --> GET /api/users/1 200 \d+ms 10b", lines[1])
