"""URL helpers for redirects: encodeurl's percent-encoding and WHATWG-style normalisation."""

from __future__ import annotations

import re

# encodeurl: keep the characters a URL may hold and existing %XX escapes; encode the rest.
_ALLOWED = frozenset(
    "!#$&'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_abcdefghijklmnopqrstuvwxyz|~"
)
_HEX = frozenset("0123456789abcdefABCDEF")
_HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)


def encode_url(url: str) -> str:
    """Percent-encode everything a Location header must not carry raw (CR/LF included)."""
    out: list[str] = []
    i = 0
    n = len(url)
    while i < n:
        ch = url[i]
        if ch == "%":
            if i + 2 < n and url[i + 1] in _HEX and url[i + 2] in _HEX:
                out.append(url[i : i + 3])
                i += 3
                continue
            out.append("%25")
        elif ch in _ALLOWED:
            out.append(ch)
        else:
            data = (
                ch.encode("utf-8", "replace")
                if not 0xD800 <= ord(ch) <= 0xDFFF
                else b"\xef\xbf\xbd"
            )
            out.append("".join(f"%{b:02X}" for b in data))
        i += 1
    return "".join(out)


def normalize_http_url(url: str) -> str:
    """``http://Example.com`` -> ``http://example.com/``; ``\\`` before the path is ``/``.

    Other URLs (relative ones included) are returned unchanged.
    """
    if not _HTTP_URL.match(url):
        return url
    scheme, rest = url.split("://", 1)
    scheme = scheme.lower()
    end = len(rest)
    for sep in "/\\?#":
        pos = rest.find(sep)
        if 0 <= pos < end:
            end = pos
    authority, tail = rest[:end], rest[end:]
    userinfo, at, hostport = authority.rpartition("@")
    host, colon, port = (
        hostport.rpartition(":") if not hostport.endswith("]") else (hostport, "", "")
    )
    if not colon or not port.isdigit():
        host, port = hostport, ""
    host = host.lower()
    if (scheme == "http" and port == "80") or (scheme == "https" and port == "443"):
        port = ""
    hostport = f"{host}:{port}" if port else host
    authority = f"{userinfo}@{hostport}" if at else hostport
    path, sep, after = tail.partition("?")
    hash_pos = path.find("#")
    if hash_pos >= 0:
        path, after, sep = path[:hash_pos], path[hash_pos:], ""
    path = path.replace("\\", "/") or "/"
    return f"{scheme}://{authority}{path}{sep}{after}"
