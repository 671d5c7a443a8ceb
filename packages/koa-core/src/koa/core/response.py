"""``ctx.response``: status, headers and body, turned into bytes on the wire by ``respond``."""

from __future__ import annotations

import logging
import os
import re
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from sys import getrefcount
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, istr

from .body import BYTES, NONE, STREAM, TEXT, BodyKind, classify, close_stream
from .connection import ByteRange
from .content_disposition import content_disposition
from .headers import CONTENT_TYPE, VARY
from .mime import content_type, lookup, type_is
from .statuses import EMPTY_STATUSES, REDIRECT_STATUSES, STATUS_PHRASES
from .urls import encode_url, normalize_http_url, whatwg_escape

if TYPE_CHECKING:
    from aiohttp.web import StreamResponse

    from .application import Koa
    from .connection import Connection
    from .context import Context
    from .request import Request

# What Node refuses in a header value or status message (ERR_INVALID_CHAR): controls but tab
# (CR, LF and NUL included), DEL, and anything beyond Latin-1.
_UNSAFE_HEADER = re.compile(r"[^\t\x20-\x7e\x80-\xff]")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_QUOTED_ETAG = re.compile(r'^(W/)?"')
_HTTP_URL = re.compile(r"^https?://", re.IGNORECASE)
_LEADING_INT = re.compile(r"[ \t\n\r\f\v]*[+-]?[0-9]+")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
# ``fixed_headers`` reads reference counts as CPython 3.10-3.13 keep them (3.14 may read a
# value without counting it): there, and on other interpreters, it always fills in place.
_ADOPT = sys.implementation.name == "cpython" and sys.version_info < (3, 14)
# Below four fields, the test and the new dict cost more than adding the fields does
# (cachegrind: one field +270 instructions with the copy, twelve -480).
_COPY_FROM = 4
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_C0_SPACE = "".join(map(chr, range(0x21)))
_NO_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")


def _header_text(field: str, value: object) -> str:
    if type(value) is str and value.isascii() and value.isprintable():
        # The usual value: printable ASCII (no control character), checked in C at a glance.
        return value
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"  # String(true), as Node writes it
    else:
        text = str(value)
    if _UNSAFE_HEADER.search(text):
        raise ValueError(
            f"header {field!r} has a CR, LF, NUL or other control character, or one beyond"
            f" Latin-1, in its value: {text!r}"
        )
    return text


# Header names found valid, each as the ``istr`` to store (see ``koa.core.headers``): the
# names an app uses, bounded for apps whose names vary.
_VALID_FIELDS: dict[str, istr] = {}


def _check_field(field: str) -> istr:
    """``field`` as a header key; ``ValueError`` unless it is a token."""
    key = _VALID_FIELDS.get(field)
    if key is not None:
        return key
    if not _TOKEN.match(field):
        raise ValueError(f"invalid header name: {field!r}")
    key = istr(field)
    if len(_VALID_FIELDS) < 1024:
        _VALID_FIELDS[field] = key
    return key


def fixed_headers(
    fields: Mapping[str, Any] | Iterable[tuple[str, Any]], *, remove: Iterable[str] = ()
) -> Callable[[Any], None]:
    """A ``before`` hook (``Hooks(fixed_headers(...))``) that sets the same ``fields`` on every
    response and removes the headers named in ``remove``, as ``ctx.set()`` and
    ``ctx.remove()`` would, in the given order (names and values checked now, once).

    The usual request has no header yet when the hook runs: from four fields, the response
    then takes a copy of the fields made ready here, one C call that hashes no field again,
    instead of adding them one by one (helmet()'s twelve headers: about 0.2 µs a request
    less; for fewer fields the copy costs more than it saves).
    """
    pairs = fields.items() if isinstance(fields, Mapping) else fields
    ready: CIMultiDict[str] = CIMultiDict()
    for field, value in pairs:
        key = _check_field(field)
        if isinstance(value, (list, tuple)):
            raise TypeError(f"fixed_headers: one value for {field!r}, not {value!r}")
        # A name given twice: the last value and spelling, in the first one's place, as two
        # ctx.set() calls leave it (``[]=`` replaces in place).
        ready[key] = _header_text(field, value)
    removed = tuple(_check_field(field) for field in remove)
    both = [field for field in removed if field in ready]
    if both:
        raise ValueError(f"fixed_headers: {str(both[0])!r} both set and removed")
    replaced = tuple(ready.items())

    def add_fixed_headers(ctx: Any) -> None:
        headers = ctx.response.headers
        if not headers:
            headers.extend(ready)
            return
        for key, value in replaced:
            headers[key] = value
        for key in removed:
            headers.popall(key, None)

    if not _ADOPT or len(ready) < _COPY_FROM:
        return add_fixed_headers

    def set_fixed_headers(ctx: Any) -> None:
        response = ctx.response
        # No local reference to the header dict here: an empty one that nothing else holds
        # (the slot, and getrefcount's argument) may be swapped for a copy unseen.
        if not response.headers and getrefcount(response.headers) == 2:
            response.headers = ready.copy()
            return
        add_fixed_headers(ctx)  # held elsewhere too (filled in place), or not empty

    return set_fixed_headers


class Response:
    """The response side of a context: what ``respond`` will send."""

    __slots__ = (
        "_body",
        "_closing",
        "_ctx",
        "_explicit_null_body",
        "_explicit_status",
        "_kind",
        "_message",
        "_status",
        "_user_length",
        "aborted",
        "app",
        "conn",
        "file_range",
        "headers",
        "req",
        "res",
    )

    def __init__(self, app: Koa[Any], conn: Connection, ctx: Context[Any]) -> None:
        self.app = app
        #: The connection the response is written to (``koa.core.connection``).
        self.conn = conn
        self.req = conn.native
        # A weak reference: the context owns its response, and a strong link back would make
        # every request a reference cycle for the garbage collector.
        self._ctx = weakref.ref(ctx)
        self.headers: CIMultiDict[str] = CIMultiDict()
        #: The server's own response, set by an app that answers itself (``ctx.respond = False``).
        self.res: StreamResponse | None = None
        #: The part of a ``Path`` body to send (koa-static's Range decision); ``None`` leaves
        #: the request's Range header to the server.
        self.file_range: ByteRange = None
        self._closing: Any = None
        self._status = 404
        self._explicit_status = False
        self._explicit_null_body = False
        self._message: str | None = None
        self._body: Any = None
        self._kind: BodyKind = NONE
        # True once middleware set Content-Length itself: respond then makes sure the body
        # it writes does not run past it (or stop short of it) on a keep-alive connection.
        self._user_length = False
        #: True when the client went away before the response was complete.
        self.aborted = False

    @property
    def ctx(self) -> Context[Any]:
        """The context this response belongs to."""
        ctx = self._ctx()
        if ctx is None:
            raise ReferenceError("the context of this response no longer exists")
        return ctx

    @property
    def request(self) -> Request:
        """The request of the same context."""
        return self.ctx.request

    # -- status ----------------------------------------------------------------------------

    @property
    def status(self) -> int:
        """The status code (404 until something is set)."""
        return self._status

    @status.setter
    def status(self, code: int) -> None:
        if self.header_sent:
            return
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"status code must be a number, not {code!r}")
        if not 100 <= code <= 999:
            raise ValueError(f"invalid status code: {code}")
        self._explicit_status = True
        self._status = code
        self._message = None
        if code in EMPTY_STATUSES and self._body is not None:
            self.body = None

    @property
    def message(self) -> str:
        """The status phrase (Koa's ``statuses``), settable."""
        return self._message or STATUS_PHRASES.get(self._status, "")

    @message.setter
    def message(self, text: str) -> None:
        self._message = _header_text("status message", text)

    # -- body ------------------------------------------------------------------------------

    @property
    def body(self) -> Any:
        """The body; setting it picks Content-Type and Content-Length as Koa does."""
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        original = self._body
        original_kind = self._kind
        self._body = value
        kind = self._kind = TEXT if type(value) is str else classify(value)
        headers = self.headers
        res = self.res
        if self.conn.header_sent or (res is not None and res.prepared):
            # After flush_headers(): only the body itself can still change (and an explicit
            # null still means "no status phrase").
            self._explicit_null_body = kind is NONE
            return

        if kind is NONE:
            if self._status not in EMPTY_STATUSES:
                if self.type == "application/json":
                    # Koa quirk kept for parity: a JSON type with no body answers "null".
                    self._body = "null"
                    self._kind = TEXT
                    return
                self.status = 204
            self._explicit_null_body = True
            headers.popall("Content-Type", None)
            headers.popall("Content-Length", None)
            headers.popall("Transfer-Encoding", None)
            if original_kind is STREAM:
                close_stream(original)
            return

        if not self._explicit_status:
            # What ``self.status = 200`` does, without its checks (a hot path).
            self._status = 200
            self._explicit_status = True
            self._message = None
        self._explicit_null_body = False
        kind.assign(
            self,
            value,
            CONTENT_TYPE not in headers,
            original is not None and original is not value,
        )
        # A stream replaced by anything but another stream is released (a stream wrapping
        # another one, as compression middleware does, must leave it open).
        if original_kind is STREAM and kind is not STREAM and original is not value:
            close_stream(original)

    def _clear_body(self) -> None:
        """Forget the body (a stream ``respond`` will not send)."""
        self._body = None
        self._kind = NONE

    def reset_for_error(self, status: int, headers: Mapping[str, Any] | None, text: str) -> None:
        """Koa's error response: every header dropped but ``headers`` (Content-Type and
        Content-Length excepted), ``status`` and ``text`` as a plain-text body."""
        own = self.headers
        own.clear()
        if headers:
            for name, value in headers.items():
                if name.lower() in ("content-type", "content-length"):
                    continue
                try:
                    self.set(name, value)  # as Koa: a later name differing in case wins
                except (TypeError, ValueError):
                    logging.getLogger("koa").warning(
                        "error header %r dropped: not a valid header", name
                    )
        self.res = None
        self._status = status
        self._explicit_status = True
        self._message = None
        own["Content-Type"] = "text/plain; charset=utf-8"
        self.body = text

    @property
    def length(self) -> int | None:
        """Content-Length as an int (0 if not a number), else computed from the body."""
        value = self.headers.get("Content-Length")
        if value is not None:
            # parseInt(value, 10) || 0: leading digits count, anything else is 0.
            match = _LEADING_INT.match(value)
            return int(match.group()) if match else 0
        body = self._body
        kind = self._kind
        if not body and kind is not BYTES and not isinstance(body, (dict, list, tuple)):
            return None  # "", 0 and false are falsy in JavaScript: Koa has no length for them
        return kind.length(self, body)

    @length.setter
    def length(self, value: int | None) -> None:
        if value is None:
            self.headers.popall("Content-Length", None)
        elif "Transfer-Encoding" not in self.headers:
            self.set("Content-Length", str(int(value)))

    # -- content type ----------------------------------------------------------------------

    @property
    def type(self) -> str:
        """The mime type without parameters, ``""`` when none is set."""
        # As Koa: the text before ``;``, neither trimmed nor lower-cased.
        return self.headers.get("Content-Type", "").split(";", 1)[0]

    @type.setter
    def type(self, value: str | None) -> None:
        full = content_type(value) if value else None
        if full:
            self.set("Content-Type", full)
        else:
            self.remove("Content-Type")

    def is_(self, *types: str) -> str | bool:
        """The first of ``types`` the response's Content-Type matches, or ``False``."""
        value = self.headers.get("Content-Type")
        if not value:
            return False
        return type_is(value, types)

    # -- headers ---------------------------------------------------------------------------

    @property
    def header(self) -> CIMultiDict[str]:
        """The response headers (mutable, case-insensitive, multi-valued)."""
        return self.headers

    def get(self, field: str) -> str:
        """A response header (several lines joined with ``, ``), ``""`` when missing."""
        values = self.headers.getall(field, ())
        return ", ".join(values)

    def has(self, field: str) -> bool:
        """True when the response has the header (case-insensitive)."""
        return field in self.headers

    def set(self, field: str | Mapping[str, Any], value: Any = None) -> None:
        """Set a header (a list gives several lines) or, given a mapping, several headers.

        Values become ``str``. ``ValueError`` for CR, LF or NUL. Ignored once headers are sent.
        """
        if self.header_sent:
            return
        if not isinstance(field, str):
            for key, val in field.items():
                self.set(key, val)
            return
        key = _check_field(field)
        headers = self.headers
        if len(field) == 14 and field.lower() == "content-length":
            self._user_length = True
        if isinstance(value, (list, tuple)):
            if len(value) != 1 and field.lower() in ("content-type", "content-length"):
                raise ValueError(f"{field} must have exactly one value, not {len(value)}")
            texts = [_header_text(field, v) for v in value]
            headers.popall(field, None)
            for text in texts:
                headers.add(key, text)
        else:
            headers[key] = _header_text(field, value)

    def append(self, field: str, value: Any) -> None:
        """Add header lines, keeping the existing ones (``Link``, ``Set-Cookie``)."""
        if self.header_sent:
            return
        key = _check_field(field)
        values = value if isinstance(value, (list, tuple)) else [value]
        texts = [_header_text(field, v) for v in values]
        if field.lower() in ("content-type", "content-length"):
            count = len(self.headers.getall(field, ())) + len(texts)
            if count != 1:
                raise ValueError(f"{field} must have exactly one value, not {count}")
            if field.lower() == "content-length":
                self._user_length = True
        for text in texts:
            self.headers.add(key, text)

    def remove(self, field: str) -> None:
        """Remove a header."""
        if self.header_sent:
            return
        self.headers.popall(field, None)

    def vary(self, field: str) -> None:
        """Add ``field`` to Vary unless it is there already (``*`` absorbs everything)."""
        if self.header_sent:
            return
        # As the vary package: items split on commas, spaces trimmed, and each one a token
        # (so "" and "a,,b" are errors too).
        fields = [f.strip(" ") for f in _header_text("Vary", field).split(",")]
        for f in fields:
            _check_field(f)
        current = self.get("Vary")
        if current.strip() == "*":
            return
        if "*" in fields:
            self.headers[VARY] = "*"
            return
        known = {f.strip().lower() for f in current.split(",") if f.strip()}
        value = current
        for f in fields:
            if f.lower() not in known:
                known.add(f.lower())
                value = f"{value}, {f}" if value else f
        if value:
            self.headers[VARY] = value

    @property
    def last_modified(self) -> datetime | None:
        """Last-Modified as a datetime, settable with a datetime or an HTTP date string."""
        value = self.headers.get("Last-Modified")
        if not value:
            return None
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None

    @last_modified.setter
    def last_modified(self, value: datetime | str) -> None:
        if isinstance(value, str):
            text = value
            try:
                value = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                value = datetime.fromisoformat(text)
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            value = format_datetime(value.astimezone(timezone.utc), usegmt=True)
        self.set("Last-Modified", value)

    @property
    def etag(self) -> str:
        """The ETag header; setting it quotes the value unless quoted or weak already."""
        return self.headers.get("ETag", "")

    @etag.setter
    def etag(self, value: str) -> None:
        if not _QUOTED_ETAG.match(value):
            value = f'"{value}"'
        self.set("ETag", value)

    # -- redirects and downloads -----------------------------------------------------------

    def redirect(self, url: str) -> None:
        """Redirect to ``url`` (302 unless a redirect status was set).

        Location is percent-encoded, so nothing in ``url`` can break the header; the body is
        ``Redirecting to <url>.``, HTML-escaped when the client accepts HTML.
        """
        if _HTTP_URL.match(url):
            # Koa re-serialises absolute URLs with WHATWG's URL, which percent-encodes them
            # (but keeps a stray ``%``): the body then shows that form.
            url = whatwg_escape(normalize_http_url(url))
        self.set("Location", encode_url(url))
        if self._status not in REDIRECT_STATUSES:
            self.status = 302
        if self.request.accepts("html"):
            self.type = "text/html; charset=utf-8"
            self.body = f"Redirecting to {escape_html(url)}."
        else:
            self.type = "text/plain; charset=utf-8"
            self.body = f"Redirecting to {url}."

    def back(self, alt: str | None = None) -> None:
        """Redirect to the Referer when it is this site's own page, else to ``alt`` or ``/``."""
        referrer = self.request.get("Referrer")
        if referrer and self._same_site(referrer):
            self.redirect(referrer)
        else:
            self.redirect(alt or "/")

    def _same_site(self, referrer: str) -> bool:
        # Read as WHATWG's URL parser reads a reference relative to this page (Koa's
        # ``new URL(referrer, ctx.href)``): leading controls and spaces are dropped, tabs and
        # newlines removed, and a reference without a scheme stays on this host.
        referrer = referrer.lstrip(_C0_SPACE).translate(_NO_TAB_NEWLINE)
        if not _SCHEME.match(referrer):
            # A path reference: backslashes are slashes to WHATWG (``\\x`` is ``/x``).
            # ``//host`` names another host (or ours, protocol-relative: refused all the same).
            return not referrer.replace("\\", "/").startswith("//")
        from yarl import URL

        try:
            url = URL(referrer)
        except ValueError:
            return False
        if not url.raw_host or "\\" in referrer:
            return False  # no host (javascript:, data:, http:x), or one hidden by backslashes
        own = self.request.host.lower()
        # WHATWG's ``url.host``: no user info, brackets around IPv6, no default port.
        host = url.raw_host.lower()
        if ":" in host:
            host = f"[{host}]"
        port = url.explicit_port
        if port is not None and port != _DEFAULT_PORTS.get(url.scheme):
            host = f"{host}:{port}"
        return bool(own) and host == own

    def attachment(
        self, filename: str | os.PathLike[str] | None = None, *, inline: bool = False
    ) -> None:
        """Set Content-Disposition (and the type from ``filename`` if none is set)."""
        kind = "inline" if inline else "attachment"
        if filename is None:
            self.set("Content-Disposition", kind)
            return
        # Node's basename: trailing slashes do not count (``dir/`` -> ``dir``).
        name = os.path.basename(os.fspath(filename).rstrip("/"))
        ext = os.path.splitext(name)[1]  # Node's extname: "" for "dir" and ".bashrc"
        if ext and "Content-Type" not in self.headers:
            mime = lookup(ext)
            if mime:
                self.type = mime
        self.set("Content-Disposition", content_disposition(kind, name))

    # -- sending ---------------------------------------------------------------------------

    @property
    def header_sent(self) -> bool:
        """True once the status line and headers have gone to the client."""
        if self.conn.header_sent:
            return True
        res = self.res
        return res is not None and res.prepared

    @property
    def bytes_sent(self) -> int:
        """Body bytes written to the connection so far (0 before sending; headers and chunk
        framing not counted)."""
        return self.conn.bytes_sent

    @property
    def writable(self) -> bool:
        """False once the connection can no longer take the response, or once the client
        has shut its sending side (it may not read any more, as Koa sees it)."""
        return self.conn.writable

    async def flush_headers(self) -> None:
        """Send the status and headers now; later header and status changes are ignored."""
        if self.header_sent:
            return
        ctx = self._ctx()
        if ctx is not None and ctx._flush_callbacks:
            await ctx.run_flush_callbacks()
            if self.header_sent:
                return
        await self.conn.start(self._status, self.message or "unknown", self.headers)

    def to_json(self) -> dict[str, Any]:
        # Node's getHeaders(): lower-case names, several lines as a list.
        header: dict[str, Any] = {}
        for name, value in self.headers.items():
            key = name.lower()
            if key in header:
                previous = header[key]
                header[key] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                header[key] = value
        return {"status": self._status, "message": self.message, "header": header}

    def __repr__(self) -> str:
        return f"<Response {self._status} {self.message}>"


_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def escape_html(text: str) -> str:
    """The escape-html package's escaping (``'`` as ``&#39;``, not Python's ``&#x27;``)."""
    return text.translate(_HTML_ESCAPES)
