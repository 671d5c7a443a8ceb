"""Reading a multipart/form-data body part by part, within the limits.

aiohttp's streaming ``MultipartReader`` does the parsing; this module decides what each part
is, counts and sizes everything as it arrives, hands file bytes to the storage, and turns
every way a body can be wrong into a ``MulterError`` (4xx).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import re
import sys
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPartReader,
    MultipartReader,
    StreamReader,
    content_disposition_filename,
    parse_content_disposition,
    web,
)
from aiohttp.helpers import parse_mimetype
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from koa.core import Context
from koa.core.connection import BodyError

from .body import declared_length, open_body
from .errors import MulterError, limit_error, malformed
from .file import File
from .limits import Limits
from .storage import Storage

FileFilter = Callable[[Context[Any], File], "bool | Awaitable[bool]"]
"""``file_filter(ctx, file) -> bool`` (may be async): ``False`` skips the file quietly.
``file`` has ``field_name``, ``filename`` and ``content_type``; nothing is stored yet."""

log = logging.getLogger("koa.multer")

CHUNK_SIZE = 256 * 1024
"""Bytes asked of the reader at a time: against 64 KB, a 10 MB file to memory took 40 instead
of 46 ms of server CPU in benchmarks/multer_upload.py."""
PART_HEADER_LINE = 8190
"""Longest header line in a part (aiohttp's default, as for request header lines)."""
_WATCH_PERIOD = 1.0

# The WHATWG form encoding escapes LF, CR and " in names as %0A, %0D and %22; only those three
# are reversed (a bare % is sent as it is, so "50%.pdf" must stay "50%.pdf").
_FORM_ESCAPE = re.compile("%(0a|0d|22)", re.IGNORECASE)
_UNESCAPED = {"0a": "\n", "0d": "\r", "22": '"'}


def _unescape(name: str) -> str:
    if "%" not in name:
        return name
    return _FORM_ESCAPE.sub(lambda m: _UNESCAPED[m.group(1).lower()], name)


def _parse_disposition(header: str) -> tuple[str | None, str | None] | None:
    """(name, filename) from a part's ``Content-Disposition`` by aiohttp's parser; ``None``
    when it is not valid ``form-data`` (aiohttp only warns about those)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kind, params = parse_content_disposition(header)
        name = content_disposition_filename(params, "name")
        filename = content_disposition_filename(params, "filename")
    if caught or kind != "form-data":
        return None
    return name, filename


# A form sends the same headers on every submission; aiohttp's parser rebuilds a regex-escape
# table on each call (most of the CPU of a form of small fields), so short headers are parsed
# once. Bounded: 1,024 entries of at most 200 characters.
_cached_disposition = functools.lru_cache(maxsize=1024)(_parse_disposition)


def _display_name(filename: str) -> str:
    """The last segment of the client's filename: no folders, Windows' or POSIX's."""
    return filename[max(filename.rfind("/"), filename.rfind("\\")) + 1 :]


class _Watchdog:
    """Stops the read when the body stalls for ``read_timeout`` seconds, or grows past
    ``total_size`` inside aiohttp's reader (data before the first boundary is read there,
    line by line, without coming back to us)."""

    def __init__(self, content: StreamReader, total_size: int, read_timeout: float | None):
        self.content = content
        self.total_size = total_size
        self.read_timeout = read_timeout
        self.period = (
            _WATCH_PERIOD if read_timeout is None else min(_WATCH_PERIOD, read_timeout / 4)
        )
        self.loop = asyncio.get_running_loop()
        self.task = asyncio.current_task()
        self.fired: str | None = None
        # Only time spent waiting for the network counts as idle: a slow storage engine (the
        # transport is paused meanwhile, so no bytes arrive) is not the client's fault.
        self.reading = False
        self.seen = content.total_bytes
        self.since = self.loop.time()
        self.handle: asyncio.TimerHandle | None = self.loop.call_later(self.period, self._tick)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None

    def _tick(self) -> None:
        content = self.content
        total = content.total_bytes
        now = self.loop.time()
        if total > self.total_size:
            self.fired = "total_size"
        elif total != self.seen or content.is_eof() or not self.reading:
            self.seen = total
            self.since = now
        elif self.read_timeout is not None and now - self.since >= self.read_timeout:
            self.fired = "read_timeout"
        if self.fired is not None and self.task is not None:
            self.handle = None
            self.task.cancel()
            return
        self.handle = self.loop.call_later(self.period, self._tick)


class Upload:
    """One request's upload: ``fields``, ``files`` (per field) and every file stored so far."""

    def __init__(
        self,
        ctx: Context[Any],
        *,
        limits: Limits,
        storage: Storage,
        accept: Mapping[str, int] | None,
        file_filter: FileFilter | None,
        read_timeout: float | None,
    ) -> None:
        self.ctx = ctx
        self.limits = limits
        self.storage = storage
        # File fields the route takes, with how many files each may still receive;
        # ``None``: any field, any number (``any()``).
        self.left = None if accept is None else dict(accept)
        self.file_filter = file_filter
        self.read_timeout = read_timeout
        self.fields: dict[str, str | list[str]] = {}
        self.files: dict[str, list[File]] = {}
        self.stored: list[File] = []
        self.removed = False
        self._content: StreamReader | None = None
        self._watchdog: _Watchdog | None = None
        self._parts = 0
        self._field_count = 0
        self._file_count = 0

    # -- the body ------------------------------------------------------------------------

    async def parse(self) -> None:
        """Read the whole body into ``fields`` and ``files``, or raise ``MulterError``."""
        ctx = self.ctx
        limits = self.limits
        mimetype = parse_mimetype(ctx.get("Content-Type"))
        if (mimetype.type, mimetype.subtype) != ("multipart", "form-data"):
            raise MulterError(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "Unsupported Media Type: expected multipart/form-data",
            )
        boundary = mimetype.parameters.get("boundary", "")
        if not boundary or len(boundary) > 70:  # RFC 2046, 5.1.1: 1 to 70 characters
            raise malformed("missing or invalid boundary in Content-Type")
        length = declared_length(ctx)
        if length is not None and length > limits.total_size:
            raise self._too_large()
        async with open_body(ctx) as content:
            await self._parse(content)

    async def _parse(self, content: StreamReader) -> None:
        limits = self.limits
        self._content = content
        reader = MultipartReader(
            self.ctx.headers,
            content,
            max_field_size=PART_HEADER_LINE,
            max_headers=limits.header_pairs,
        )
        watchdog = self._watchdog = _Watchdog(content, limits.total_size, self.read_timeout)
        try:
            try:
                await self._read_parts(reader)
            except MulterError:
                # A body past total_size is refused for its size, whatever else broke while
                # reading it: the watchdog polls, so a fast client may have sent it all first.
                self._check_total()
                raise
            finally:
                watchdog.stop()
            if watchdog.fired is not None:
                await asyncio.sleep(0)  # take the cancellation that came too late to stop us
        except asyncio.CancelledError:
            if watchdog.fired is None:
                raise
            if sys.version_info >= (3, 11) and watchdog.task is not None:
                watchdog.task.uncancel()
            if watchdog.fired == "total_size":
                raise self._too_large() from None
            raise MulterError(
                408,
                "REQUEST_TIMEOUT",
                f"Request body timeout: nothing received for {self.read_timeout:g} s",
            ) from None

    async def _read_parts(self, reader: MultipartReader) -> None:
        limits = self.limits
        while True:
            part = await self._next_part(reader)
            if part is None:
                return
            self._parts += 1
            if self._parts > limits.parts:
                raise limit_error("LIMIT_PART_COUNT", "Too many parts", "parts", limits.parts)
            if not isinstance(part, BodyPartReader):
                raise malformed("a part is itself multipart (not allowed in form-data)")
            encoding = part.headers.get("Content-Transfer-Encoding", "binary").strip().lower()
            if encoding not in ("binary", "8bit", "7bit"):
                # RFC 7578, 4.7: deprecated, and no browser sends it. aiohttp's base64 handling
                # read without a bound before 3.14.5 (GHSA-24c4-3p7v-29cm); refusing it here
                # keeps every part read in bounded chunks whatever the aiohttp version.
                raise malformed(f"Content-Transfer-Encoding {encoding[:20]!r} is not accepted")
            name, filename = self._disposition(part)
            if filename:
                await self._read_file(part, name, filename)
            else:
                # A part without a filename is a text field, as is a file input left empty
                # (browsers send filename="" for it).
                await self._read_field(part, name)

    def _disposition(self, part: BodyPartReader) -> tuple[str, str | None]:
        """The part's field name and filename, from its ``Content-Disposition``."""
        header = part.headers.get("Content-Disposition")
        if header is None:
            raise malformed("a part has no Content-Disposition header")
        parsed = _parse_disposition(header) if len(header) > 200 else _cached_disposition(header)
        if parsed is None:
            raise malformed("invalid Content-Disposition header in a part")
        name, filename = parsed
        if not name:
            raise MulterError(400, "MISSING_FIELD_NAME", "Field name missing")
        limit = self.limits.field_name_size
        if len(name.encode("utf-8", "surrogateescape")) > limit:
            raise limit_error("LIMIT_FIELD_KEY", "Field name too long", "field_name_size", limit)
        name = _unescape(name)
        if filename is not None:
            filename = _unescape(filename)
            if "\0" in filename:
                raise malformed("a filename contains a NUL character")
        return name, filename

    async def _read_field(self, part: BodyPartReader, name: str) -> None:
        limits = self.limits
        self._field_count += 1
        if self._field_count > limits.fields:
            raise limit_error("LIMIT_FIELD_COUNT", "Too many fields", "fields", limits.fields)
        chunks: list[bytes] = []
        size = 0
        while chunk := await self._read_chunk(part):
            size += len(chunk)
            if size > limits.field_size:
                raise limit_error(
                    "LIMIT_FIELD_VALUE",
                    "Field value too long",
                    "field_size",
                    limits.field_size,
                    name,
                )
            chunks.append(chunk)
        charset = part.get_charset("utf-8")
        try:
            value = b"".join(chunks).decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise malformed(f"field {name!r} is not valid {charset}") from None
        seen = self.fields.get(name)
        if seen is None:
            self.fields[name] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            self.fields[name] = [seen, value]

    async def _read_file(self, part: BodyPartReader, name: str, filename: str) -> None:
        limits = self.limits
        self._file_count += 1
        if self._file_count > limits.files:
            raise limit_error("LIMIT_FILE_COUNT", "Too many files", "files", limits.files, name)
        left = self.left
        if left is not None:
            if left.get(name, 0) <= 0:
                raise MulterError(
                    400, "LIMIT_UNEXPECTED_FILE", f"Unexpected file field {name!r}", field=name
                )
            left[name] -= 1  # taken now, given back if the filter skips the file
        file = File(name, _display_name(filename), part.headers.get("Content-Type") or "text/plain")
        if self.file_filter is not None:
            accepted = self.file_filter(self.ctx, file)
            if inspect.isawaitable(accepted):
                accepted = await accepted
            if not accepted:
                if left is not None:
                    left[name] += 1
                while await self._read_chunk(part):
                    pass
                return
        self.stored.append(file)
        chunks = _FileChunks(self, part, file)
        await self.storage.store(self.ctx, file, chunks)
        while await chunks.__anext__(drain=True):  # what the storage left unread
            pass
        self.files.setdefault(name, []).append(file)

    # -- reading, with aiohttp's errors turned into 4xx ------------------------------------

    async def _next_part(self, reader: MultipartReader) -> MultipartReader | BodyPartReader | None:
        watchdog = self._watchdog
        if watchdog is not None:
            watchdog.reading = True
        try:
            part = await reader.next()
        except (BadContentDispositionHeader, BadContentDispositionParam):
            # aiohttp warns about a bad Content-Disposition while looking for ``_charset_``;
            # where warnings are errors, the warning arrives here.
            raise malformed("invalid Content-Disposition header in a part") from None
        except LineTooLong:
            raise malformed(f"a part header line is longer than {PART_HEADER_LINE} bytes") from None
        except HttpProcessingError as exc:
            if "Too many headers" in str(exc):
                limit = self.limits.header_pairs
                raise limit_error(
                    "LIMIT_HEADER_PAIRS", "Too many part headers", "header_pairs", limit
                ) from None
            raise malformed("invalid part header") from None
        except (
            ValueError,
            RuntimeError,
            ConnectionError,
            BodyError,
            web.RequestPayloadError,
        ) as exc:
            raise self._body_error(exc) from None
        finally:
            if watchdog is not None:
                watchdog.reading = False
        self._check_total()
        return part

    async def _read_chunk(self, part: BodyPartReader) -> bytes:
        watchdog = self._watchdog
        if watchdog is not None:
            watchdog.reading = True
        try:
            chunk = await part.read_chunk(CHUNK_SIZE)
        except (
            ValueError,
            ConnectionError,
            BodyError,
            HttpProcessingError,
            web.RequestPayloadError,
        ) as exc:
            raise self._body_error(exc) from None
        finally:
            if watchdog is not None:
                watchdog.reading = False
        self._check_total()
        return chunk

    def _check_total(self) -> None:
        content = self._content
        if content is not None and content.total_bytes > self.limits.total_size:
            raise self._too_large()

    def _too_large(self) -> MulterError:
        limit = self.limits.total_size
        return limit_error("LIMIT_TOTAL_SIZE", "Request body too large", "total_size", limit)

    def _body_error(self, exc: BaseException) -> MulterError:
        if isinstance(exc, ConnectionError):
            return MulterError(400, "REQUEST_ABORTED", "Request aborted")
        if isinstance(exc, (HttpProcessingError, BodyError, web.RequestPayloadError)):
            return malformed("invalid request body encoding")
        if "starting boundary" in str(exc):
            return malformed("the boundary given in Content-Type is not in the body")
        content = self._content
        if content is not None and content.is_eof():
            return malformed("unexpected end of body (no closing boundary)")
        return malformed("invalid part structure")

    # -- files on the way out --------------------------------------------------------------

    async def remove_files(self) -> None:
        """Remove every stored file the handler did not move or keep (once)."""
        if self.removed:
            return
        self.removed = True
        for file in self.stored:
            if file.kept:
                continue
            try:
                await self.storage.remove(self.ctx, file)
            except Exception:
                log.exception("could not remove the uploaded file %r", file)


class _FileChunks:
    """A file's bytes for its storage, checked against ``file_size`` as they come."""

    def __init__(self, upload: Upload, part: BodyPartReader, file: File) -> None:
        self.upload = upload
        self.part = part
        self.file = file

    def __aiter__(self) -> _FileChunks:
        return self

    async def __anext__(self, *, drain: bool = False) -> bytes:
        chunk = await self.upload._read_chunk(self.part)
        if not chunk:
            if drain:
                return b""
            raise StopAsyncIteration
        file = self.file
        file.size += len(chunk)
        limit = self.upload.limits.file_size
        if file.size > limit:
            raise limit_error(
                "LIMIT_FILE_SIZE", "File too large", "file_size", limit, file.field_name
            )
        return chunk
