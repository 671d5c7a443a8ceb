"""``compress()``: koa-compress 5's middleware, with streams flushed per chunk."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from koa.core import Context, Hooks
from multidict import istr

from .bodies import JSON, PATH, STREAM, TEXT, json_bytes, kind_of, text_bytes
from .compressible import compressible
from .encoders import ENCODINGS, EncoderFactory, make_factory
from .negotiation import negotiate
from .sizes import parse_size
from .streams import CompressedBody, compress_whole

if TYPE_CHECKING:
    from multidict import CIMultiDict

Filter = Callable[[str], bool]
EncodingOptions = Mapping[str, Any] | bool
CompressMiddleware = Hooks[Context[Any]]

_KNOWN = (*ENCODINGS, "identity")
_ACCEPT_ENCODING = "Accept-Encoding"
# ``istr``, the key type aiohttp's header writer gets from a CIMultiDict: a plain ``str`` key
# would be converted on every response.
_VARY = istr("Vary")
# Read after every response: an ``istr`` key is found without case-folding it each time.
_CONTENT_LENGTH = istr("Content-Length")
# Cache-Control's no-transform directive (RFC 9111 5.2.1.6): a list item of its own.
_NO_TRANSFORM = re.compile(r"(?:^|,)\s*no-transform\s*(?:,|$)", re.IGNORECASE)
_BYTERANGES = re.compile(r"^multipart/byteranges\b", re.IGNORECASE)
# Statuses with no body (204, 205, 304) and partial content, whose Content-Range counts the
# bytes of the uncompressed body (RFC 9110 14.4).
_SKIPPED_STATUSES = frozenset({204, 205, 206, 304})
# Negotiated answers for the Accept-Encoding values seen most (a browser sends one of a few).
_CACHE_SIZE = 256
_CACHED_HEADER_LENGTH = 256


def compress(
    *,
    filter: Filter | None = None,
    threshold: int | str = 1024,
    default_encoding: str = "identity",
    wildcard_accept_encoding: str = "gzip",
    gzip: EncodingOptions = True,
    deflate: EncodingOptions = True,
    br: EncodingOptions = True,
    zstd: EncodingOptions = True,
    encoding_preference: Sequence[str] = ("zstd", "br", "gzip", "deflate", "identity"),
) -> CompressMiddleware:
    """Compress response bodies the client accepts compressed (koa-compress 5).

    ::

        app.use(compress(threshold="2kb", br={"quality": 5}, deflate=False))

        @app.use
        async def download(ctx, next):
            ctx.compress = True  # compress whatever the type (False: never)
            ctx.body = Path("report.csv")

    Every response gets ``Vary: Accept-Encoding``. A body is compressed unless the request is
    HEAD, the status is 204, 205, 206 or 304, a ``Content-Encoding`` is set already,
    ``Cache-Control`` says ``no-transform``, ``filter(type)`` refuses its media type (the
    ``compressible`` package's answer by default; ``ctx.compress = True`` skips the filter)
    or it is shorter than ``threshold`` bytes. Streams are flushed chunk by chunk.

    Options are checked here: an unknown encoding option or a level out of range raises
    ``TypeError``/``ValueError`` now, not on the first request.
    """
    if filter is not None and not callable(filter):
        raise TypeError(f"filter must be a function of the media type, not {filter!r}")
    type_filter: Filter = filter or compressible
    minimum = parse_size(threshold, "threshold")
    for name, value in (
        ("default_encoding", default_encoding),
        ("wildcard_accept_encoding", wildcard_accept_encoding),
    ):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if isinstance(encoding_preference, str) or not all(
        isinstance(e, str) for e in encoding_preference
    ):
        raise TypeError("encoding_preference must be a sequence of encoding names")
    unknown = [e for e in encoding_preference if e not in _KNOWN]
    if unknown:
        raise ValueError(f"unknown encodings in encoding_preference: {unknown} (known: {_KNOWN})")
    preferred = tuple(encoding_preference)

    options = {"zstd": zstd, "br": br, "gzip": gzip, "deflate": deflate}
    factories: dict[str, EncoderFactory] = {}
    for encoding in ENCODINGS:
        factory = make_factory(encoding, options[encoding])
        if factory is not None:
            factories[encoding] = factory
    provided = (*factories, "identity")

    # As koa-compress: ``*`` (and a missing or empty ``*`` option) stands for gzip.
    wildcard = wildcard_accept_encoding if wildcard_accept_encoding not in ("", "*") else "gzip"
    default = wildcard if default_encoding == "*" else (default_encoding or "identity")
    cache: dict[str, str | None] = {}
    # A Content-Length with fewer characters than the threshold has digits is below it,
    # whatever they are: Koa's ``response.length`` is ``parseInt(value) || 0``, which cannot
    # have more digits than the value has characters (0 when there is no threshold: then
    # nothing is below it).
    shorter = len(str(minimum)) if minimum else 0

    def choose(accept: str) -> str | None:
        if accept == "*":
            accept = wildcard
        elif not accept:
            accept = default
        cached = cache.get(accept, "")
        if cached != "":
            return cached
        chosen = negotiate(accept, provided, preferred)
        if len(accept) <= _CACHED_HEADER_LENGTH:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[accept] = chosen
        return chosen

    # A hook middleware (koa-core's ``Hooks``): ``Vary`` before downstream, the decision
    # after it, and no coroutine of its own unless there is something to compress.
    def before(ctx: Context[Any]) -> None:
        response = ctx.response
        headers = response.headers
        # The usual request (compress() first, no header yet): one plain store, cheaper
        # than ``setdefault``, which parses keyword arguments. Else koa's merge.
        if not headers:
            headers[_VARY] = _ACCEPT_ENCODING
        elif headers.setdefault(_VARY, _ACCEPT_ENCODING) is not _ACCEPT_ENCODING:
            response.vary(_ACCEPT_ENCODING)

    def after(
        ctx: Context[Any], state: None, error: BaseException | None
    ) -> Awaitable[None] | None:
        # The usual skip first, in the fewest steps (every response pays for them): text
        # and bytes carry their length, and most responses are small. One lookup, ``[]``
        # (``get()`` parses keyword arguments on every call, ``in`` then ``[]`` looks twice;
        # a missing Content-Length is the rarer case, and a try costs nothing until it
        # raises); the rest in ``decide``, so that this closure copies two cells a call.
        try:
            if len(ctx.response.headers[_CONTENT_LENGTH]) < shorter:
                return None
        except KeyError:
            pass
        return decide(ctx, error)

    def decide(ctx: Context[Any], error: BaseException | None) -> Awaitable[None] | None:
        if error is not None:
            return None  # Koa's error response (or an upstream handler's) is not compressed
        response = ctx.response
        headers = response.headers
        declared = headers.get(_CONTENT_LENGTH)
        if declared is not None and minimum and declared.isdigit() and int(declared) < minimum:
            return None
        body = response.body
        if body is None or ctx.compress is False:
            return None
        if not body and not isinstance(body, (dict, list, tuple)):
            return None  # "", b"", 0 and False: nothing to compress (falsy in JavaScript too)
        if (
            response.header_sent
            or not response.writable
            or ctx.method == "HEAD"
            or response.status in _SKIPPED_STATUSES
            or "Content-Range" in headers
            or _BYTERANGES.match(headers.get("Content-Type", ""))
            or response.get("Content-Encoding")
            or (ctx.compress is not True and not type_filter(response.type))
            or _NO_TRANSFORM.search(response.get("Cache-Control"))
        ):
            return None
        return compress_body(ctx, body)

    async def compress_body(ctx: Context[Any], body: Any) -> None:
        response = ctx.response
        kind = kind_of(body)
        data: bytes | None = None
        if kind == JSON:
            data = json_bytes(ctx, body)
            size: int | None = len(data)
        else:
            size = response.length
        if minimum and size is not None and size < minimum:
            return

        encoding = choose(ctx.get("Accept-Encoding"))
        if encoding is None or encoding == "identity":
            return
        factory = factories[encoding]

        if kind == PATH:
            if not await _compress_file(ctx, factory, minimum):
                return
        elif kind == STREAM:
            response.body = CompressedBody(body, factory())
        else:
            if data is None:
                data = text_bytes(body) if kind == TEXT else bytes(body)
            response.body = await compress_whole(factory.compress_whole, data)
        _mark(response.headers, encoding)

    return Hooks(before, after, name="compress")


def _mark(headers: CIMultiDict[str], encoding: str) -> None:
    """Headers of a compressed response."""
    headers["Content-Encoding"] = encoding
    _weaken_etag(headers)
    # Ranges count bytes of the identity body, which this response is not.
    headers.popall("Accept-Ranges", None)


def _weaken_etag(headers: CIMultiDict[str]) -> None:
    # The compressed bytes differ from the identity ones: a strong validator would claim
    # byte-equality (RFC 9110 8.8.1), and caches would mix the two representations.
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        headers["ETag"] = "W/" + etag


async def _compress_file(ctx: Context[Any], factory: EncoderFactory, minimum: int) -> bool:
    """Replace a ``Path`` body by its compressed contents; ``False`` to send the file as is.

    koa-core answers Range and conditional requests for files (206, 304, 412): those are
    left to it. A 304 still gets the weak ETag the compressed 200 would carry.
    """
    response = ctx.response
    if ctx.get("Range") or ctx.get("If-Match") or ctx.get("If-Unmodified-Since"):
        return False
    if ctx.fresh:
        _weaken_etag(response.headers)
        return False
    path = os.fspath(response.body)
    loop = asyncio.get_running_loop()
    try:
        file = await loop.run_in_executor(None, open, path, "rb")
    except OSError:
        return False  # koa-core answers it (404, 403) as for any file
    try:
        size = response.length
        if size is None:
            size = os.fstat(file.fileno()).st_size
        if minimum and size < minimum:
            file.close()
            return False
    except OSError:
        file.close()
        return False
    response.body = CompressedBody(file, factory())
    return True
