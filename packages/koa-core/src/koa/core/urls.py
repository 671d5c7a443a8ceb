"""URLs as Node and WHATWG read and write them: the request target (Node's ``url.parse`` and
parseurl, WHATWG's host), the query string (querystring, URLSearchParams), and for redirects
encodeurl's percent-encoding, WHATWG-style normalisation and escaping."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote_plus, unquote, unquote_to_bytes

from multidict import MultiDict, MultiDictProxy

from .errors import HttpError

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


#: What ``ctx.query = {...}`` accepts for one key: a value or a list of values.
QueryValue = str | int | float | bool | None | Iterable[str | int | float | bool | None]

# The WHATWG URL parser refuses these in a host name.
_FORBIDDEN_HOST_RE = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")


# -- the request target ------------------------------------------------------------------------


# Node's legacy url.parse (what Koa reads a target with when it holds whitespace or '#', or
# does not start with '/'): trimmed, '\\' before the query is '/', and these are escaped.
_URL_WHITESPACE = "".join(map(chr, range(33))) + "\xa0\ufeff"
_SLOW_TARGET_RE = re.compile(r"[\t\n\f\r #\xa0\ufeff]")  # parseurl's fast path gives up
_JS_SPACE = r"\t\n\x0b\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_SIMPLE_PATH_RE = re.compile(rf"//?(?!/)[^?{_JS_SPACE}]*(?:\?[^{_JS_SPACE}]*)?")
_AUTO_ESCAPE = str.maketrans(
    {
        "\t": "%09", "\n": "%0A", "\r": "%0D", " ": "%20", '"': "%22", "'": "%27", "<": "%3C",
        ">": "%3E", "\\": "%5C", "^": "%5E", "`": "%60", "{": "%7B", "|": "%7C", "}": "%7D",
    }
)  # fmt: skip


def _legacy_rest(rest: str, escape: bool) -> tuple[str, str, str]:
    """``(path, query, hash)`` of what follows the authority, as Node's ``url.parse`` reads it.

    ``escape`` is false where Node may take its fast path (no escaping): a plain path and
    query with no whitespace or ``#`` left after trimming.
    """
    rest = rest.strip(_URL_WHITESPACE)
    end = len(rest)
    for sep in "?#":
        pos = rest.find(sep)
        if 0 <= pos < end:
            end = pos
    if "\\" in rest[:end]:
        rest = rest[:end].replace("\\", "/") + rest[end:]
    if escape or "#" in rest or not _SIMPLE_PATH_RE.fullmatch(rest):
        rest = rest.translate(_AUTO_ESCAPE)
    rest, hash_sign, fragment = rest.partition("#")
    path, _, query = rest.partition("?")
    return path, query, hash_sign + fragment


def split_target(url: str, from_network: bool = False) -> tuple[str, str, str, str]:
    """``(origin, path, query, hash)`` of a request target, as Koa reads it (``parseurl``).

    ``origin`` is ``scheme://authority`` for an absolute-form target (``GET http://x/y``), else
    ``""``; ``query`` has no ``?`` and ``hash`` keeps its ``#``. A target that holds whitespace
    or ``#`` (or is not origin-form) goes through Node's legacy parser, which escapes spaces,
    quotes, ``<>\\^`{|}`` in what it returns (``ctx.url`` itself is left as it is).
    ``from_network`` says the target came from aiohttp, which refuses whitespace in it.
    """
    if (
        url[:1] == "/"
        and "#" not in url
        and (from_network or (" " not in url and url.isprintable()))
    ):
        path, _, query = url.partition("?")
        return "", path, query, ""
    if url[:1] == "/":
        if not _SLOW_TARGET_RE.search(url):  # a control character Node does not care about
            path, _, query = url.partition("?")
            return "", path, query, ""
        path, query, fragment = _legacy_rest(url, escape=False)
        return "", path, query, fragment
    origin = ""
    rest = url
    scheme_end = url.find("://")
    if scheme_end > 0 and url[:scheme_end].isalpha():
        start = scheme_end + 3
        end = len(url)
        for sep in "/?#":
            pos = url.find(sep, start)
            if 0 <= pos < end:
                end = pos
        # url.parse lower-cases the scheme and the host (not the userinfo).
        userinfo, at, hostport = url[start:end].rpartition("@")
        origin = f"{url[:scheme_end].lower()}://{userinfo}{at}{hostport.lower()}"
        rest = url[end:]
    path, query, fragment = _legacy_rest(rest, escape=bool(origin))
    if origin and not path:
        path = "/"
    return origin, path, query, fragment


def parse_query(querystring: str) -> MultiDictProxy[str]:
    """URLSearchParams' rules: ``+`` is a space, blank values are ``""``, no nesting.

    Malformed escapes are kept as written; escapes that are not UTF-8 are a 400.
    """
    items: MultiDict[str] = MultiDict()
    if querystring:
        if querystring[0] == "?":  # URLSearchParams drops one leading "?" ("/p??a=1")
            querystring = querystring[1:]
        try:
            pairs = parse_qsl(querystring, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise HttpError(
                400, "Invalid query string: percent-escapes must encode UTF-8 text"
            ) from None
        for name, value in pairs:
            items.add(name, value)
    return MultiDictProxy(items)


def _query_text(value: object) -> str:
    # URLSearchParams: strings, numbers and booleans as text, anything else blank.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return str(value)
    return ""


def _form_encode(text: str) -> str:
    # application/x-www-form-urlencoded as URLSearchParams writes it: only *-._ stay raw.
    return quote_plus(text, safe="*").replace("~", "%7E")


def encode_query(value: Mapping[str, QueryValue]) -> str:
    parts: list[str] = []
    for key, item in value.items():
        values: Iterable[object] = (
            item if isinstance(item, (list, tuple, set, frozenset)) else (item,)
        )
        name = _form_encode(str(key))
        for one in values:
            parts.append(f"{name}={_form_encode(_query_text(one))}")
    return "&".join(parts)


# -- hosts ---------------------------------------------------------------------------------


def ipv6_literal(text: str) -> str | None:
    """``[::1]`` for a bracketed IPv6 address (compressed, as WHATWG URL writes it)."""
    if len(text) < 3 or text[0] != "[" or text[-1] != "]" or "%" in text:
        return None
    try:
        return f"[{ipaddress.IPv6Address(text[1:-1]).compressed}]"
    except ValueError:
        return None


def whatwg_host(authority: str) -> str:
    """The ``host`` of ``new URL("http://" + authority)``, or ``""`` where that throws.

    Only values with ``@`` go through this (CVE-2026-27959): the userinfo is dropped, the
    name lower-cased and the default port 80 removed, so ``evil.com:fake@good.com`` is
    ``good.com``.
    """
    end = len(authority)
    for sep in "/?#\\":
        pos = authority.find(sep)
        if 0 <= pos < end:
            end = pos
    hostport = authority[:end].rpartition("@")[2]
    if hostport.startswith("["):
        close = hostport.find("]")
        name, port_part = hostport[: close + 1], hostport[close + 1 :]
        if close < 0 or (port_part and not port_part.startswith(":")):
            return ""
        literal = ipv6_literal(name)
        if literal is None:
            return ""
        name, port = literal, port_part[1:]
    else:
        name, _, port = hostport.partition(":")
        if not name or _FORBIDDEN_HOST_RE.search(name):
            return ""
        try:
            name = name.encode("idna").decode("ascii").lower() if not name.isascii() else name
        except UnicodeError:
            return ""
        name = name.lower()
    if port:
        if not port.isdigit() or not port.isascii() or int(port) > 65535:
            return ""
        number = int(port)
        return name if number == 80 else f"{name}:{number}"
    return name


# -- redirects: WHATWG's serialisation --------------------------------------------------------

# WHATWG URL's percent-encode sets (as Node 20 applies them), beyond C0 controls and non-ASCII.
_PATH_SET = frozenset(' "#<>?`{}')
_QUERY_SET = frozenset(" \"#<>'")
_FRAGMENT_SET = frozenset(' "<>`')


def _escape_part(text: str, escaped: frozenset[str]) -> str:
    if text.isascii() and not any(c in escaped or c < "!" or c == "\x7f" for c in text):
        return text
    out = []
    for c in text:
        if c in escaped or c < "!" or c >= "\x7f":
            data = c.encode("utf-8") if not "\ud800" <= c <= "\udfff" else b"\xef\xbf\xbd"
            out.append("".join(f"%{b:02X}" for b in data))
        else:
            out.append(c)
    return "".join(out)


def whatwg_escape(url: str) -> str:
    """Percent-encode a normalised ``http(s)://`` URL as WHATWG's ``URL.toString()`` does.

    Unlike ``encode_url`` (encodeurl, for the Location header), a ``%`` that starts no escape
    stays as it is, and each part has its own set (``^`` and ``|`` stay everywhere).
    """
    scheme, sep, rest = url.partition("://")
    end = len(rest)
    for mark in "/?#":
        pos = rest.find(mark)
        if 0 <= pos < end:
            end = pos
    authority, tail = rest[:end], rest[end:]
    if not authority.isascii() or any(c <= " " or c in '"<>`{}' for c in authority):
        return encode_url(url)  # an authority no browser would parse: made safe instead
    tail, hash_mark, fragment = tail.partition("#")
    path, question, query = tail.partition("?")
    return (
        f"{scheme}{sep}{authority}{_escape_part(path, _PATH_SET)}"
        f"{question}{_escape_part(query, _QUERY_SET)}"
        f"{hash_mark}{_escape_part(fragment, _FRAGMENT_SET)}"
    )
