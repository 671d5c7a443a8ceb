"""``ctx.request``: Koa's view of the incoming request, read through its ``Connection``.

Nothing is parsed when the context is made: each accessor reads the headers or the request
target when it is used, and the parsed URL and query are cached until the URL changes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from multidict import CIMultiDictProxy, MultiDictProxy
from yarl import URL

from . import negotiation
from .fresh import is_fresh
from .headers import header_value, node_text
from .mime import type_is
from .urls import QueryValue, encode_query, ipv6_literal, parse_query, split_target, whatwg_host

if TYPE_CHECKING:
    from .application import Koa
    from .connection import Connection
    from .context import Context
    from .response import Response

__all__ = ["QueryValue", "Request", "invalid_host", "node_text"]


_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
# Hosts refused with 400 before any middleware runs: Node's parser refuses whitespace and
# NUL in a Host; ``/``, ``\`` and ``,`` would let one request name several hosts
# (test_core_host.py).
_BAD_HOST_RE = re.compile(r"[\s/\\,\x00]")
_JS_INT_RE = re.compile(r"\s*([+-]?\d+)")
# content-type 1.x (what Koa reads ``request.charset`` with): strict media type and params.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE_RE = re.compile(rf"{_TOKEN}/{_TOKEN}")
_PARAM_RE = re.compile(
    rf"; *({_TOKEN}) *= *"
    r'("(?:[\x0b\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x0b\x20-\xff])*"|'
    rf"{_TOKEN}) *"
)
_QUOTED_PAIR_RE = re.compile(r"\\([\x0b\x20-\xff])")


def invalid_host(headers: CIMultiDictProxy[str], proxy: bool) -> bool:
    """True when the request must be answered 400 before any middleware runs.

    That is a Host (or, when ``proxy`` is on, an X-Forwarded-Host) that repeats or holds
    whitespace, ``/``, ``\\``, a NUL or a comma.
    """
    hosts = headers.getall("Host", ())
    if hosts and (len(hosts) > 1 or _BAD_HOST_RE.search(hosts[0])):
        return True
    if proxy:
        forwarded = headers.getall("X-Forwarded-Host", ())
        if forwarded and (len(forwarded) > 1 or _BAD_HOST_RE.search(forwarded[0])):
            return True
    return False


class Request:
    """The request side of a context. Reads are cheap; parsed values are cached."""

    __slots__ = (
        "_ip",
        "_parsed",
        "_parsed_url",
        "_query",
        "_query_source",
        "app",
        "body",
        "conn",
        "ctx",
        "file",
        "files",
        "method",
        "original_url",
        "raw_body",
        "req",
        "response",
        "url",
    )

    def __init__(self, app: Koa[Any], conn: Connection, ctx: Context[Any]) -> None:
        self.app = app
        #: The connection the request came on (``koa.core.connection``).
        self.conn = conn
        self.req = conn.native
        self.ctx = ctx
        self.response: Response = ctx.response
        #: The request target (path and query), settable for rewriting. A plain attribute,
        #: as ``method``: read by most middleware on every request.
        self.url: str = conn.target
        self.original_url: str = self.url
        self._parsed_url: str | None = None
        self._parsed: tuple[str, str, str, str] = ("", "", "", "")
        self._query: MultiDictProxy[str] | None = None
        self._query_source: str | None = None
        self._ip: str | None = None
        #: The request method; settable (for method-override middleware).
        self.method: str = conn.method
        #: The parsed body, set by a body parser (koa-bodyparser); ``None`` until one runs.
        self.body: Any = None
        #: The raw (decoded) body text, set by a body parser; ``None`` until one runs.
        self.raw_body: str | None = None
        #: The uploaded file and the files per field, set by an upload parser (koa-multer).
        self.file: Any = None
        self.files: Any = None

    # -- body ------------------------------------------------------------------------------

    async def stream(self, *, timeout: float | None = None) -> AsyncGenerator[bytes, None]:
        """The request body as it arrives, chunk by chunk (nothing kept in memory here)::

            async for chunk in ctx.request.stream(timeout=30):
                size += len(chunk)

        The first read answers ``Expect: 100-continue`` (so a client that waits for it sends
        nothing to an app that never reads). ``TimeoutError`` when no data arrives for
        ``timeout`` seconds, ``koa.core.connection.BodyError`` for a malformed body (bad chunked
        framing, a compressed body that does not inflate), ``ConnectionError`` when the
        client goes away. The body can be read once: a body parser that ran first has it.
        """
        read = self.conn.read
        while True:
            chunk = await read(timeout)
            if not chunk:
                return
            yield chunk

    @property
    def body_done(self) -> bool:
        """True once the whole body has arrived (at once for a request without one)."""
        return self.conn.body_done

    @property
    def content_decoded(self) -> bool:
        """True when the server already undid the body's Content-Encoding (aiohttp inflates
        gzip, deflate and, with a Brotli binding installed, br), so ``stream()`` yields the
        decoded bytes."""
        return self.conn.content_decoded

    # -- headers ---------------------------------------------------------------------------

    @property
    def header(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, multi-valued, read-only)."""
        return self.conn.headers

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, multi-valued, read-only)."""
        return self.conn.headers

    def get(self, field: str) -> str:
        """A request header's value, ``""`` when missing (Referer and Referrer are aliases).

        A header sent on several lines reads as Node shows it: the values joined with
        ``", "`` (``"; "`` for Cookie), or the first one for headers that cannot repeat.
        """
        headers = self.conn.headers
        lower = field.lower()
        if lower == "referer" or lower == "referrer":
            return header_value(headers, "Referrer") or header_value(headers, "Referer") or ""
        return header_value(headers, field) or ""

    # -- method and url --------------------------------------------------------------------

    def _target(self) -> tuple[str, str, str, str]:
        url = self.url
        if self._parsed_url is not url:
            self._parsed = split_target(url, url is self.original_url)
            self._parsed_url = url
        return self._parsed

    @property
    def path(self) -> str:
        """The path, still percent-encoded (``/a%20b``); settable (the query is kept)."""
        if self._parsed_url is not self.url:
            self._target()
        return self._parsed[1]

    @path.setter
    def path(self, value: str) -> None:
        origin, path, query, fragment = self._target()
        if path == value:
            return
        # Node's url.format escapes these so that they stay part of the path.
        value = value.replace("?", "%3F").replace("#", "%23")
        # An empty query stays (``/a?`` -> ``/x?``), as Node's url.format keeps it.
        search = "?" + query if query or "?" in self.url.partition("#")[0] else ""
        self.url = f"{origin}{value}{search}{fragment}"

    @property
    def querystring(self) -> str:
        """The query string without ``?``; settable."""
        if self._parsed_url is not self.url:
            self._target()
        return self._parsed[2]

    @querystring.setter
    def querystring(self, value: str) -> None:
        origin, path, query, fragment = self._target()
        if query or "?" in self.url.partition("#")[0]:
            if value == query or value == f"?{query}":
                return
        elif not value:
            return
        # Node's url.format: a leading "?" is kept ("?" alone gives "/p?"), "#" is escaped.
        value = value.replace("#", "%23")
        search = value if value[:1] == "?" else f"?{value}" if value else ""
        self.url = f"{origin}{path}{search}{fragment}"

    @property
    def search(self) -> str:
        """``?`` plus the query string, or ``""``; settable."""
        qs = self.querystring
        return f"?{qs}" if qs else ""

    @search.setter
    def search(self, value: str) -> None:
        self.querystring = value

    @property
    def query(self) -> MultiDictProxy[str]:
        """The parsed query: ``query["a"]`` is the first value, ``query.getall("a")`` every one.

        Blank values are ``""``; keys are not nested (``a[b]=1`` is the key ``"a[b]"``).
        Escapes that are not UTF-8 raise a 400 ``HttpError``. Setting it takes a mapping of
        values or lists of values and rewrites the URL (``{"a": [1, 2]}`` is ``a=1&a=2``).
        """
        if self._parsed_url is not self.url:
            self._target()
        qs = self._parsed[2]
        query = self._query
        if query is None or self._query_source is not qs:
            query = self._query = parse_query(qs)
            self._query_source = qs
        return query

    @query.setter
    def query(self, value: Mapping[str, QueryValue]) -> None:
        self.querystring = encode_query(value)

    @property
    def url_object(self) -> URL | None:
        """The full URL as a ``yarl.URL``, or ``None`` when it cannot be built (no Host)."""
        original = self.original_url
        if _is_http_url(original):
            href = original
        else:
            host = self.host
            if not host:
                return None
            href = f"{self.protocol}://{host}{original}"
        try:
            url = URL(href, encoded=True)
        except ValueError:
            return None
        return url if url.host else None

    @property
    def href(self) -> str:
        """The full URL: ``protocol://host`` plus the original URL (or that URL if absolute)."""
        original = self.original_url
        if _is_http_url(original):
            return original
        return f"{self.protocol}://{self.host}{original}"

    @property
    def origin(self) -> str | None:
        """The Origin header, or ``None`` (as Koa 3: not the request's own origin)."""
        origin = self.conn.headers.get("Origin")
        return node_text(origin) if origin else None

    # -- host and protocol -----------------------------------------------------------------

    @property
    def host(self) -> str:
        """Host with port. With ``app.proxy``, the first X-Forwarded-Host value.

        A value with userinfo is read as a browser would (``evil.com:fake@good.com`` is
        ``good.com``); one that cannot be a host then gives ``""``.
        """
        headers = self.conn.headers
        host = ""
        if self.app.proxy:
            host = headers.get("X-Forwarded-Host", "")
        if not host:
            host = headers.get("Host", "")
            if not host:
                return ""
        if not host.isascii():
            host = node_text(host)
        if "," in host:
            host = host.split(",", 1)[0].strip()
        if "@" in host:
            return whatwg_host(host)
        return host

    @property
    def hostname(self) -> str:
        """The host without its port; IPv6 literals keep their brackets (``[::1]``)."""
        host = self.host
        if not host:
            return ""
        if host[0] == "[":
            close = host.find("]")
            if close < 0:
                return ""
            tail = host[close + 1 :]
            port = tail[1:]
            if tail and not (
                tail[0] == ":"
                and (not port or (port.isascii() and port.isdigit() and int(port) < 65536))
            ):  # WHATWG URL: an empty port is allowed ("[::1]:")
                return ""
            return ipv6_literal(host[: close + 1]) or ""
        return host.split(":", 1)[0]

    @property
    def http_version(self) -> str:
        """The request's HTTP version: ``"1.1"``, ``"1.0"``, or ``"2"`` for HTTP/2 (an ASGI
        server such as hypercorn or granian; aiohttp speaks HTTP/1.x only)."""
        major, minor = self.conn.version
        return f"{major}.{minor}" if major < 2 else str(major)

    @property
    def protocol(self) -> str:
        """``https`` or ``http``; with ``app.proxy``, X-Forwarded-Proto's first value."""
        if self.conn.scheme == "https":  # TLS on this socket
            return "https"
        if not self.app.proxy:
            return "http"
        proto = self.conn.headers.get("X-Forwarded-Proto")
        if not proto:
            return "http"
        # Koa returns "" when the first value is blank; "http" is the honest answer.
        return node_text(proto.split(",", 1)[0].strip().lower()) or "http"

    @property
    def secure(self) -> bool:
        """True for https (with ``app.proxy``, as X-Forwarded-Proto says)."""
        return self.protocol == "https"

    @property
    def ips(self) -> list[str]:
        """With ``app.proxy``, the addresses in ``app.proxy_ip_header``, client first.

        With ``app.max_ips_count``, only that many from the right (the hops nearest to us).
        """
        app = self.app
        if not app.proxy:
            return []
        value = header_value(self.conn.headers, app.proxy_ip_header)
        if not value:
            return []
        ips = [part.strip() for part in value.split(",")]
        if app.max_ips_count > 0:
            ips = ips[-app.max_ips_count :]
        return ips

    @property
    def ip(self) -> str:
        """The client address: ``ips[0]``, else the peer address; settable."""
        ip = self._ip
        if ip is None:
            ips = self.ips
            ip = self._ip = (ips[0] if ips else "") or self.conn.remote or ""
        return ip

    @ip.setter
    def ip(self, value: str) -> None:
        self._ip = value

    @property
    def subdomains(self) -> list[str]:
        """Subdomains, nearest first, after dropping ``app.subdomain_offset`` labels.

        ``a.b.example.com`` gives ``["b", "a"]``; an IP address gives ``[]``.
        """
        hostname = self.hostname
        address = hostname[1:-1] if hostname.startswith("[") else hostname
        if address and (address[-1].isdigit() or ":" in address):
            try:
                ipaddress.ip_address(address)
                return []
            except ValueError:
                pass
        return hostname.split(".")[::-1][self.app.subdomain_offset :]

    # -- body metadata ---------------------------------------------------------------------

    @property
    def length(self) -> int | None:
        """Content-Length as an int, ``None`` when missing or not a number."""
        value = self.conn.headers.get("Content-Length")
        if not value:
            return None
        match = _JS_INT_RE.match(value)
        return int(match.group(1)) if match else None

    @property
    def type(self) -> str:
        """The request's mime type without parameters (lower-case), ``""`` when missing."""
        value = self.conn.headers.get("Content-Type")
        if not value:
            return ""
        return node_text(value.split(";", 1)[0].strip().lower())

    @property
    def charset(self) -> str:
        """The charset parameter of Content-Type, ``""`` when missing or malformed."""
        value = self.conn.headers.get("Content-Type")
        if not value or "charset" not in value.lower():
            return ""
        return _content_type_params(node_text(value)).get("charset", "")

    def has_body(self) -> bool:
        """True when the request announces a body (Transfer-Encoding or Content-Length)."""
        headers = self.conn.headers
        if "Transfer-Encoding" in headers:
            return True
        length = headers.get("Content-Length")
        return length is not None and _is_js_number(length)

    def is_(self, *types: str | Sequence[str]) -> str | Literal[False] | None:
        """The first of ``types`` the body's Content-Type matches (``"json"``, ``"text/*"``).

        ``None`` without a body, ``False`` for a body without Content-Type or no match;
        with no arguments, the mime type. Koa's list form, ``is_(["json", "html"])``, works too.
        """
        if not self.has_body():
            return None
        content_type = self.conn.headers.get("Content-Type")
        if not content_type:
            return False
        return type_is(content_type, _offered(types) if types else ())

    # -- negotiation -----------------------------------------------------------------------

    @overload
    def accepts(self) -> list[str]: ...
    @overload
    def accepts(self, type: str | Sequence[str], /, *types: str) -> str | Literal[False]: ...
    def accepts(self, *types: str | Sequence[str]) -> str | list[str] | Literal[False]:
        """The best of ``types`` for Accept (extensions allowed); ``False`` when none fits.

        Without Accept, the first type. With no arguments, the accepted types, best first.
        Koa's list form, ``accepts(["json", "html"])``, works too.
        """
        header = header_value(self.conn.headers, "Accept")
        return negotiation.accepts(header, _offered(types))

    @overload
    def accepts_encodings(self) -> list[str]: ...
    @overload
    def accepts_encodings(
        self, encoding: str | Sequence[str], /, *encodings: str
    ) -> str | Literal[False]: ...
    def accepts_encodings(
        self, *encodings: str | Sequence[str]
    ) -> str | list[str] | Literal[False]:
        """The best of ``encodings`` for Accept-Encoding, or ``False``.

        ``identity`` is acceptable unless refused. With no arguments, the accepted list.
        """
        header = header_value(self.conn.headers, "Accept-Encoding")
        return negotiation.accepts_encodings(header, _offered(encodings))

    @overload
    def accepts_charsets(self) -> list[str]: ...
    @overload
    def accepts_charsets(
        self, charset: str | Sequence[str], /, *charsets: str
    ) -> str | Literal[False]: ...
    def accepts_charsets(self, *charsets: str | Sequence[str]) -> str | list[str] | Literal[False]:
        """The best of ``charsets`` for Accept-Charset, or ``False``."""
        header = header_value(self.conn.headers, "Accept-Charset")
        return negotiation.accepts_charsets(header, _offered(charsets))

    @overload
    def accepts_languages(self) -> list[str]: ...
    @overload
    def accepts_languages(
        self, language: str | Sequence[str], /, *languages: str
    ) -> str | Literal[False]: ...
    def accepts_languages(
        self, *languages: str | Sequence[str]
    ) -> str | list[str] | Literal[False]:
        """The best of ``languages`` for Accept-Language, or ``False``."""
        header = header_value(self.conn.headers, "Accept-Language")
        return negotiation.accepts_languages(header, _offered(languages))

    # -- caching ---------------------------------------------------------------------------

    @property
    def fresh(self) -> bool:
        """True when the client's cached copy is still good: answer 304.

        Only GET and HEAD with a 2xx or 304 status can be fresh; then If-None-Match is
        compared with the response's ETag (weakly; ``*`` matches) and If-Modified-Since
        with its Last-Modified. ``Cache-Control: no-cache`` in the request makes it stale.
        """
        method = self.method
        if method != "GET" and method != "HEAD":
            return False
        status = self.response.status
        if not (200 <= status < 300 or status == 304):
            return False
        return is_fresh(self.conn.headers, self.response.headers)

    @property
    def stale(self) -> bool:
        """``not fresh``."""
        return not self.fresh

    @property
    def idempotent(self) -> bool:
        """True for GET, HEAD, PUT, DELETE, OPTIONS and TRACE."""
        return self.method in _IDEMPOTENT

    def to_json(self) -> dict[str, Any]:
        """``{"method", "url", "header"}``, as Koa's ``request.toJSON()``.

        Header names are lower-case and repeated lines read as ``get()`` reads them.
        """
        headers = self.conn.headers
        header: dict[str, str] = {}
        for name in headers:
            lower = name.lower()
            if lower not in header:
                header[lower] = header_value(headers, name) or ""
        return {"method": self.method, "url": self.url, "header": header}

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


def _offered(values: tuple[str | Sequence[str], ...]) -> tuple[str, ...]:
    """The offered values as a tuple of str: ``("a", "b")``, or Koa's ``(["a", "b"],)``."""
    if len(values) == 1 and not isinstance(values[0], str):
        return tuple(values[0])
    if all(isinstance(value, str) for value in values):
        return values  # type: ignore[return-value]  # checked just above
    raise TypeError("accepts*() takes strings, or one list of strings")


def _is_http_url(url: str) -> bool:
    return url[:8].lower().startswith(("http://", "https://"))


def _is_js_number(text: str) -> bool:
    # type-is: ``!isNaN(req.headers["content-length"])``.
    text = text.strip()
    if not text:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _content_type_params(value: str) -> dict[str, str]:
    """The parameters of a Content-Type, ``{}`` when it is malformed (content-type 1.x)."""
    index = value.find(";")
    media = value[:index].strip() if index >= 0 else value.strip()
    if not _MEDIA_TYPE_RE.fullmatch(media):
        return {}
    params: dict[str, str] = {}
    if index < 0:
        return params
    length = len(value)
    while index < length:
        match = _PARAM_RE.match(value, index)
        if match is None:
            return {}
        index = match.end()
        param = match.group(2)
        if param.startswith('"'):
            param = _QUOTED_PAIR_RE.sub(r"\1", param[1:-1])
        params[match.group(1).lower()] = param
    return params
