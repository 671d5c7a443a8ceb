"""URL helpers for redirects: encodeurl's percent-encoding and WHATWG-style normalisation."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, unquote_to_bytes

# encodeurl: keep the characters a URL may hold and existing %XX escapes; encode the rest.
_ALLOWED = frozenset(
    "!#$&'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_abcdefghijklmnopqrstuvwxyz|~"
)
_HEX = frozenset("0123456789abcdefABCDEF")
_HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def decode_uri_component(text: str) -> str:
    """JavaScript's ``decodeURIComponent``: ``ValueError`` (its ``URIError``) for a ``%`` that
    starts no escape or escapes that are not UTF-8."""
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text):
        raise ValueError(f"malformed percent-escape in {text!r}")
    return unquote_to_bytes(text).decode("utf-8")  # UnicodeDecodeError is a ValueError


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
    """An ``http(s)://`` URL as ``new URL(url).toString()`` writes it; others are unchanged.

    The scheme and host are lower-cased (IDNA for non-ASCII names, IPv4 and IPv6 written
    canonically), the default port dropped, ``\\`` read as ``/``, dot segments removed and an
    empty path made ``/``: ``http://Example.com`` -> ``http://example.com/`` and
    ``http://google.com\\@apple.com`` -> ``http://google.com/@apple.com``. A URL a browser
    could not parse (a bad port or host) keeps its authority as written, for
    ``encode_url`` to make safe. Percent-encoding is left to ``encode_url``.
    """
    if not _HTTP_URL.match(url):
        return url
    cleaned = url.strip("".join(map(chr, range(0x21)))).translate(_TAB_NEWLINE)
    scheme, rest = cleaned.split("://", 1)
    scheme = scheme.lower()
    rest = rest.lstrip("/\\")
    end = len(rest)
    for sep in "/\\?#":
        pos = rest.find(sep)
        if 0 <= pos < end:
            end = pos
    authority, tail = rest[:end], rest[end:]
    authority = _normalize_authority(scheme, authority) or authority

    fragment = ""
    hash_pos = tail.find("#")
    if hash_pos >= 0:
        tail, fragment = tail[:hash_pos], tail[hash_pos:]
    path, sep, query = tail.partition("?")
    path = _remove_dot_segments(path.replace("\\", "/") or "/")
    return f"{scheme}://{authority}{path}{sep}{query}{fragment}"


def _normalize_authority(scheme: str, authority: str) -> str | None:
    """``userinfo@host:port`` with the host canonical and a default port dropped, or
    ``None`` where a browser's URL parser would refuse it (then it is kept as written)."""
    userinfo, _, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        close = hostport.find("]")
        host, port_part = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or (port_part and not port_part.startswith(":")):
            return None
        port = port_part[1:]
    else:
        host, _, port = hostport.partition(":")
    normal_host = _normalize_host(host)
    if normal_host is None or (port and not (port.isascii() and port.isdigit())):
        return None
    if port:
        number = int(port)
        if number > 65535:
            return None
        port = "" if number == _DEFAULT_PORTS[scheme] else str(number)
    hostport = f"{normal_host}:{port}" if port else normal_host
    user, _colon, password = userinfo.partition(":")
    if not user and not password:
        return hostport  # WHATWG drops an empty user info: http://@a/ -> http://a/
    return f"{user}:{password}@{hostport}" if password else f"{user}@{hostport}"


_TAB_NEWLINE = {ord("\t"): None, ord("\n"): None, ord("\r"): None}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FORBIDDEN_DOMAIN = frozenset("\x00\t\n\r #/:<>?@[\\]^|%\x7f") | frozenset(map(chr, range(0x20)))
_SINGLE_DOT = frozenset({".", "%2e"})
_DOUBLE_DOT = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


def _remove_dot_segments(path: str) -> str:
    segments = path.split("/")[1:]
    out: list[str] = []
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        lower = segment.lower()
        if lower in _DOUBLE_DOT:
            if out:
                out.pop()
            if i == last:
                out.append("")
        elif lower in _SINGLE_DOT:
            if i == last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def _normalize_host(host: str) -> str | None:
    """The WHATWG host serialisation, or ``None`` where the URL parser would fail."""
    if host.startswith("["):
        if not host.endswith("]"):
            return None
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            return None
    name = unquote(host)
    if not name:
        return None
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    name = name.lower()
    if any(char in _FORBIDDEN_DOMAIN for char in name):
        return None
    if _ends_in_number(name):
        return _parse_ipv4(name)
    return name


def _ends_in_number(name: str) -> bool:
    labels = name.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last.isdigit():
        return True
    return last[:2] == "0x" and all(c in _HEX for c in last[2:])


def _parse_ipv4(name: str) -> str | None:
    parts = name.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return None
    numbers: list[int] = []
    for part in parts:
        if part[:2] == "0x":
            digits, base = part[2:], 16
        elif len(part) > 1 and part[0] == "0":
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        if not digits:
            numbers.append(0)
            continue
        try:
            numbers.append(int(digits, base))
        except ValueError:
            return None
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    address = numbers[-1]
    for i, n in enumerate(numbers[:-1]):
        address += n * 256 ** (3 - i)
    return str(ipaddress.IPv4Address(address))
