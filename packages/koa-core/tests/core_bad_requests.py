"""Malformed and hostile requests, shared by koa-core's bad-input tests (aiohttp and uvicorn)
and the root ``tests/test_integration_asgi_bad_input.py`` (granian and hypercorn).

Imported by name (``from core_bad_requests import MALFORMED``): the root ``pyproject.toml``
puts each package's tests folder on ``sys.path`` (pytest's ``pythonpath``).
"""

from __future__ import annotations

END = b"\r\nHost: x\r\nConnection: close\r\n\r\n"

#: Requests aiohttp's parser refuses with 400 (``test_core_request_bad_input.py``).
MALFORMED: dict[str, bytes] = {
    "utf8 bytes in path": b"GET /caf\xc3\xa9 HTTP/1.1" + END,
    "control char in path": b"GET /a\x01b HTTP/1.1" + END,
    "nul in path": b"GET /a\x00b HTTP/1.1" + END,
    "space in path": b"GET /a b HTTP/1.1" + END,
    "bad method": b"G\x01T / HTTP/1.1" + END,
    "unknown version": b"GET / HTTP/9.9" + END,
    "tls on plain port": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
    "bare lf": b"GET / HTTP/1.1\nHost: x\nConnection: close\n\n",
    "too many headers": (
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(500)) + END[2:]
    ),
    "control char in header": b"GET / HTTP/1.1\r\nX-A: a\x01b" + END,
    "nul in host": b"GET / HTTP/1.1\r\nHost: a\x00b\r\nConnection: close\r\n\r\n",
    "bad content-length": b"POST / HTTP/1.1\r\nContent-Length: abc" + END,
    "unclosed ipv6 in absolute target": b"GET http://[::zz/x HTTP/1.1" + END,
}

#: Hostile requests aiohttp's server answers with a plain 400 and nothing echoed
#: (``test_core_server_bad_requests.py``).
HOSTILE: dict[str, bytes] = {
    "script in path": b"GET /\x01<script>alert(1)</script> HTTP/1.1\r\nHost: a\r\n\r\n",
    "@ in method": b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
    "letters for content-length": b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
}

#: A request line or a header line over 16 KB: 431 on aiohttp, as Node answers.
TOO_LONG: dict[str, bytes] = {
    "target over 16 kb": b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: a\r\n\r\n",
    "header over 16 kb": b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 17000 + b"\r\n\r\n",
}
