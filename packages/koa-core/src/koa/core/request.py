"""``ctx.request``: Koa's view of the incoming request, over aiohttp's ``BaseRequest``."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_to_bytes

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from . import negotiation
from .errors import HttpError
from .mime import mime_of, type_is

if TYPE_CHECKING:
    from aiohttp.web import BaseRequest

    from .application import Koa
    from .context import Context
    from .response import Response

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_BAD_HOST_CHARS = frozenset(" \t\r\n\0/\\,")
QueryValue = "str | int | float | bool | Iterable[str | int | float | bool]"


def bad_host(value: str) -> bool:
    """A Host that Koa's hardening refuses: whitespace, ``/``, ``\\``, NUL or several names."""
    return any(c in _BAD_HOST_CHARS for c in value)


def _parse_query(querystring: str) -> MultiDictProxy[str]:
    """URLSearchParams' rules: ``+`` is a space, blank values are ``""``, no nesting.

    Malformed escapes are kept as written; text that is not UTF-8 is a 400.
    """
    items: MultiDict[str] = MultiDict()
    if querystring:
        for pair in querystring.split("&"):
            if not pair:
                continue
            name, _, value = pair.partition("=")
            items.add(_decode_component(name), _decode_component(value))
    return MultiDictProxy(items)


def _decode_component(text: str) -> str:
    text = text.replace("+", " ")
    if "%" not in text:
        return text
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise HttpError(400, "Query string is not valid UTF-8") from None


def _encode_query(value: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for key, item in value.items():
        values = item if isinstance(item, (list, tuple)) else [item]
        for v in values:
            if isinstance(v, bool):
                text = "true" if v else "false"
            elif isinstance(v, (str, int, float)):
                text = str(v)
            else:
                text = ""
            parts.append(f"{quote_plus(str(key), safe='*')}={quote_plus(text, safe='*')}")
    return "&".join(parts)


class Request:
    """The request side of a context. Reads are cheap; parsed values are cached."""

    __slots__ = (
        "_ip",
        "_method",
        "_query",
        "_query_source",
        "_url",
        "app",
        "body",
        "ctx",
        "original_url",
        "raw_body",
        "req",
        "response",
    )

    def __init__(self, app: Koa[Any], req: BaseRequest, ctx: Context[Any]) -> None:
        self.app = app
        self.req = req
        self.ctx = ctx
        self.response: Response = ctx.response
        self._url: str = req.raw_path
        self.original_url: str = self._url
        self._query: MultiDictProxy[str] | None = None
        self._query_source: str | None = None
        self._ip: str | None = None
        self._method: str = req.method
        #: The parsed body, set by a body parser (koa-bodyparser); ``None`` until one runs.
        self.body: Any = None
        #: The raw (decoded) body text, set by a body parser; ``None`` until one runs.
        self.raw_body: str | None = None

    # -- headers ---------------------------------------------------------------------------

    @property
    def header(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, multi-valued, read-only)."""
        return self.req.headers

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers (case-insensitive, multi-valued, read-only)."""
        return self.req.headers

    def get(self, field: str) -> str:
        """A request header's value, ``""`` when missing (Referer and Referrer are aliases)."""
        lower = field.lower()
        headers = self.req.headers
        if lower in ("referer", "referrer"):
            return headers.get("Referer") or headers.get("Referrer") or ""
        return headers.get(field, "")

    # -- method and url --------------------------------------------------------------------

    @property
    def method(self) -> str:
        """The request method; settable (for method-override middleware)."""
        return self._method

    @method.setter
    def method(self, value: str) -> None:
        self._method = value

    @property
    def url(self) -> str:
        """The request target (path and query), settable for rewriting."""
        return self._url

    @url.setter
    def url(self, value: str) -> None:
        self._url = value

    @property
    def path(self) -> str:
        """The path, still percent-encoded (``/a%20b``); settable (the query is kept)."""
        url = self._url
        if url.startswith("/") or "://" not in url:
            q = url.find("?")
            return url if q < 0 else url[:q]
        try:
            return URL(url).raw_path
        except ValueError:
            return url

    @path.setter
    def path(self, value: str) -> None:
        q = self._url.find("?")
        self._url = value if q < 0 else value + self._url[q:]

    @property
    def querystring(self) -> str:
        """The query string without ``?``; settable."""
        url = self._url
        q = url.find("?")
        if q < 0:
            return ""
        h = url.find("#", q)
        return url[q + 1 :] if h < 0 else url[q + 1 : h]

    @querystring.setter
    def querystring(self, value: str) -> None:
        value = value.removeprefix("?")
        path = self.path
        self._url = f"{path}?{value}" if value else path

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

        Setting it takes a mapping of str or lists of str and rewrites the URL.
        """
        qs = self.querystring
        if self._query is None or self._query_source != qs:
            self._query = _parse_query(qs)
            self._query_source = qs
        return self._query

    @query.setter
    def query(self, value: Mapping[str, Any]) -> None:
        self.querystring = _encode_query(value)

    @property
    def url_object(self) -> URL | None:
        """The full URL as a ``yarl.URL``, or ``None`` when it cannot be built."""
        try:
            return URL(self.href)
        except ValueError:
            return None

    @property
    def href(self) -> str:
        """The full URL: ``protocol://host`` plus the original URL."""
        original = self.original_url
        if "://" in original and not original.startswith("/"):
            return original
        return f"{self.protocol}://{self.host}{original}"

    @property
    def origin(self) -> str | None:
        """The Origin header, or ``None`` (as Koa 3: not the request's own origin)."""
        return self.req.headers.get("Origin")

    # -- host and protocol -----------------------------------------------------------------

    @property
    def host(self) -> str:
        """Host (with port). With ``app.proxy``, the first X-Forwarded-Host value."""
        host = ""
        if self.app.proxy:
            forwarded = self.req.headers.get("X-Forwarded-Host")
            if forwarded:
                host = forwarded.split(",", 1)[0].strip()
        if not host:
            host = self.req.headers.get("Host", "")
        if "@" in host:
            # Userinfo is not part of the host: "evil.com:fake@good.com" is "good.com".
            host = host.rsplit("@", 1)[1]
        return host

    @property
    def hostname(self) -> str:
        """The host without its port (``[::1]`` for IPv6 literals)."""
        host = self.host
        if not host:
            return ""
        if host.startswith("["):
            end = host.find("]")
            return host[: end + 1] if end > 0 else ""
        return host.split(":", 1)[0]

    @property
    def protocol(self) -> str:
        """``https`` or ``http``; with ``app.proxy``, X-Forwarded-Proto's first value."""
        transport = self.req.transport
        if transport is not None and transport.get_extra_info("sslcontext") is not None:
            return "https"
        if self.app.proxy:
            proto = self.req.headers.get("X-Forwarded-Proto", "")
            proto = proto.split(",", 1)[0].strip().lower()
            if proto:
                return proto
        return "http"

    @property
    def secure(self) -> bool:
        """True for https."""
        return self.protocol == "https"

    @property
    def ips(self) -> list[str]:
        """With ``app.proxy``, the addresses in ``app.proxy_ip_header`` (client first)."""
        app = self.app
        if not app.proxy:
            return []
        value = self.req.headers.get(app.proxy_ip_header)
        if not value:
            return []
        ips = [part.strip() for part in value.split(",") if part.strip()]
        if app.max_ips_count > 0:
            ips = ips[-app.max_ips_count :]
        return ips

    @property
    def ip(self) -> str:
        """The client address: ``ips[0]``, else the peer address; settable."""
        if self._ip is None:
            ips = self.ips
            self._ip = ips[0] if ips else (self.req.remote or "")
        return self._ip

    @ip.setter
    def ip(self, value: str) -> None:
        self._ip = value

    @property
    def subdomains(self) -> list[str]:
        """Subdomains, nearest first, ignoring ``app.subdomain_offset`` labels."""
        hostname = self.hostname
        if not hostname:
            return []
        try:
            ipaddress.ip_address(hostname.strip("[]"))
            return []
        except ValueError:
            pass
        return hostname.split(".")[::-1][self.app.subdomain_offset :]

    # -- body metadata ---------------------------------------------------------------------

    @property
    def length(self) -> int | None:
        """Content-Length as an int, ``None`` when missing or not a number."""
        value = self.req.headers.get("Content-Length")
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            return None

    @property
    def type(self) -> str:
        """The request's mime type without parameters, ``""`` when missing."""
        return mime_of(self.req.headers.get("Content-Type", ""))

    @property
    def charset(self) -> str:
        """The charset parameter of Content-Type, ``""`` when missing."""
        value = self.req.headers.get("Content-Type", "")
        for param in value.split(";")[1:]:
            name, _, val = param.partition("=")
            if name.strip().lower() == "charset":
                return val.strip().strip('"')
        return ""

    def has_body(self) -> bool:
        """True when the request announces a body (Transfer-Encoding or Content-Length)."""
        headers = self.req.headers
        if "Transfer-Encoding" in headers:
            return True
        length = headers.get("Content-Length")
        return length is not None and length.strip().isdigit()

    def is_(self, *types: str) -> str | bool | None:
        """The first of ``types`` the body's Content-Type matches (``"json"``, ``"text/*"``).

        ``None`` without a body, ``False`` for a body without Content-Type or no match;
        with no arguments, the mime type.
        """
        if not self.has_body():
            return None
        content_type = self.req.headers.get("Content-Type")
        if not content_type:
            return False
        return type_is(content_type, types)

    # -- negotiation -----------------------------------------------------------------------

    def accepts(self, *types: str) -> Any:
        """The best of ``types`` for Accept (extensions allowed); ``False`` when none fits.

        Without Accept, the first type. With no arguments, the accepted types, best first.
        """
        return negotiation.accepts(self.req.headers.get("Accept"), types)

    def accepts_encodings(self, *encodings: str) -> Any:
        """The best of ``encodings`` for Accept-Encoding, or ``False``."""
        return negotiation.accepts_encodings(self.req.headers.get("Accept-Encoding"), encodings)

    def accepts_charsets(self, *charsets: str) -> Any:
        """The best of ``charsets`` for Accept-Charset, or ``False``."""
        return negotiation.accepts_charsets(self.req.headers.get("Accept-Charset"), charsets)

    def accepts_languages(self, *languages: str) -> Any:
        """The best of ``languages`` for Accept-Language, or ``False``."""
        return negotiation.accepts_languages(self.req.headers.get("Accept-Language"), languages)

    # -- caching ---------------------------------------------------------------------------

    @property
    def fresh(self) -> bool:
        """True when the client's cached copy is still good (304 material)."""
        method = self.method
        if method not in ("GET", "HEAD"):
            return False
        status = self.response.status
        if not (200 <= status < 300 or status == 304):
            return False
        return is_fresh(self.req.headers, self.response.headers)

    @property
    def stale(self) -> bool:
        """``not fresh``."""
        return not self.fresh

    @property
    def idempotent(self) -> bool:
        """True for GET, HEAD, PUT, DELETE, OPTIONS and TRACE."""
        return self.method in _IDEMPOTENT

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "url": self.url, "header": dict(self.req.headers)}

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


def is_fresh(req_headers: Mapping[str, str], res_headers: Mapping[str, str]) -> bool:
    """The ``fresh`` package: If-None-Match vs ETag, If-Modified-Since vs Last-Modified."""
    from email.utils import parsedate_to_datetime

    modified_since = req_headers.get("If-Modified-Since")
    none_match = req_headers.get("If-None-Match")
    if not modified_since and not none_match:
        return False
    cache_control = req_headers.get("Cache-Control", "")
    if "no-cache" in cache_control.lower():
        return False
    if none_match and none_match != "*":
        etag = res_headers.get("ETag")
        if not etag:
            return False
        etag_stale = True
        for tag in none_match.split(","):
            tag = tag.strip()
            if tag in (etag, f"W/{etag}") or f"W/{tag}" == etag:
                etag_stale = False
                break
        if etag_stale:
            return False
    if modified_since:
        last_modified = res_headers.get("Last-Modified")
        if not last_modified:
            return False
        try:
            if parsedate_to_datetime(last_modified) > parsedate_to_datetime(modified_since):
                return False
        except (TypeError, ValueError):
            return False
    return True
