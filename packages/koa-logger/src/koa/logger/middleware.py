"""``logger()``: koa-logger's two lines per request.

::

      <-- GET /users?page=2
      --> GET /users?page=2 200 4ms 1.5kb
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from koa.core import STATUS_PHRASES, Context, Next
from koa.core.statuses import EMPTY_STATUSES as _EMPTY_STATUSES

from .colors import COLORED, PLAIN, Formats, color_wanted, status_class
from .formatting import (
    LENGTHS_UNDER_1KB,
    TIMES_UNDER_A_SECOND,
    format_length,
    format_time,
    printable,
)

LogArgs: TypeAlias = "tuple[str, str, str] | tuple[str, str, str, int, str, str]"
"""What a transporter receives besides the line: ``(format, method, url)`` for ``<--`` lines,
``(format, method, url, status, time, length)`` for the others."""

Transporter: TypeAlias = Callable[[str, LogArgs], object]
"""``transporter(line, args)``: sends ``line`` somewhere (``args`` as in ``LogArgs``)."""

LoggerMiddleware: TypeAlias = Callable[[Context[Any], Next], Awaitable[None]]

_perf_counter_ns = time.perf_counter_ns


def logger(
    *,
    transporter: Transporter | None = None,
    color: bool | None = None,
    log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
) -> LoggerMiddleware:
    """A middleware that logs each request as it comes in and as its response finishes.

    Lines go to ``sys.stdout`` unless ``transporter`` or ``log`` is given:

    - ``transporter(line, args)`` receives each line (without newline) and its parts: see
      ``LogArgs``. Use it to send lines anywhere::

          app.use(logger(transporter=lambda line, args: print(line, file=sys.stderr)))

    - ``log``: a ``logging.Logger``; each line is an INFO record whose message is the
      format and whose ``args`` are the parts, so handlers and formatters can use either.
      The record's ``http_version`` attribute is the request's (``"1.1"``, or ``"2"`` over
      HTTP/2 on an ASGI server): ``%(http_version)s`` in a formatter logs it.

    ``color=None`` colours lines when the destination is a terminal (stdout for the default
    and for a transporter, never for ``log``), unless ``NO_COLOR`` is set; ``FORCE_COLOR``
    forces it. ``True`` or ``False`` decide outright.

    Raises ``TypeError`` for a transporter that is not callable, a ``log`` that is not a
    logger, or both given at once.
    """
    if transporter is not None and log is not None:
        raise TypeError("logger() takes a transporter or a log, not both")
    if transporter is not None and not callable(transporter):
        raise TypeError(f"transporter must be callable, not {type(transporter).__name__}")
    if log is not None and not isinstance(log, (logging.Logger, logging.LoggerAdapter)):
        raise TypeError(f"log must be a logging.Logger, not {type(log).__name__}")
    if color is not None and not isinstance(color, bool):
        raise TypeError(f"color must be True, False or None, not {color!r}")

    if color is None:
        color = color_wanted(None if log is not None else sys.stdout)
    formats = COLORED if color else PLAIN
    if transporter is not None:
        return _middleware(formats, _to_transporter(transporter))
    if log is not None:
        return _middleware(formats, _to_log(log))
    return _middleware(_lines(formats), _to_stdout)


Emit: TypeAlias = Callable[[str, tuple[Any, ...], "Context[Any]"], None]


def _lines(formats: Formats) -> Formats:
    """``formats`` with the newline each written line ends with."""
    return Formats(
        formats.request + "\n",
        tuple(fmt + "\n" for fmt in formats.response),
        tuple(fmt + "\n" for fmt in formats.error),
        tuple(fmt + "\n" for fmt in formats.closed),
    )


def _to_stdout(fmt: str, args: tuple[Any, ...], ctx: Context[Any]) -> None:
    # ``fmt`` ends with a newline (see ``_lines``). sys.stdout is looked up per line so that
    # redirecting it later is honoured. It is a buffered stream: line-buffered on a terminal,
    # block-buffered into a file or a pipe (unless Python runs unbuffered).
    out = sys.stdout
    if out is not None:
        out.write(fmt % args)


def _to_transporter(transporter: Transporter) -> Emit:
    def emit(fmt: str, args: tuple[Any, ...], ctx: Context[Any]) -> None:
        transporter(fmt % args, (fmt, *args))

    return emit


def _to_log(log: logging.Logger | logging.LoggerAdapter[Any]) -> Emit:
    info = logging.INFO

    def emit(fmt: str, args: tuple[Any, ...], ctx: Context[Any]) -> None:
        if log.isEnabledFor(info):
            # Koa's line has no room for the HTTP version; a formatter can add
            # ``%(http_version)s`` ("1.1", "2" on an HTTP/2 ASGI server).
            log.info(fmt, *args, extra={"http_version": ctx.request.http_version})

    return emit


def error_status(err: BaseException) -> int:
    """The status the client will get for ``err`` (as koa-core's error responder picks it)."""
    for name in ("status", "status_code"):
        status = getattr(err, name, None)
        if isinstance(status, int) and not isinstance(status, bool):
            return status if status in STATUS_PHRASES else 500
    return 500


def _by_status(formats: tuple[str, ...]) -> tuple[str, ...]:
    """``formats`` (by status class) indexed by status instead, for 0 to 999."""
    return tuple(formats[status_class(status)] for status in range(1000))


def _middleware(formats: Formats, emit: Emit) -> LoggerMiddleware:
    # Per request: no formatting work that a table built here can do (formats by status,
    # times under a second, sizes under a kilobyte), and escaping only for text that needs it.
    request_format = formats.request
    response_formats = _by_status(formats.response)
    error_formats = _by_status(formats.error)
    closed_formats = _by_status(formats.closed)
    clock = _perf_counter_ns
    times = TIMES_UNDER_A_SECOND
    lengths = LENGTHS_UNDER_1KB

    async def log_request(ctx: Context[Any], next: Next) -> None:
        start = clock()
        url = ctx.original_url
        if not url.isprintable():
            url = printable(url)
        method = ctx.method
        emit(request_format, (method if method.isprintable() else printable(method), url), ctx)
        try:
            await next()
        except Exception as err:
            status = error_status(err)
            ms = (clock() - start) // 1_000_000
            method = ctx.method
            emit(
                error_formats[status if 0 <= status < 1000 else 0],
                (
                    method if method.isprintable() else printable(method),
                    url,
                    status,
                    times[ms] if ms < 1000 else format_time(ms),
                    # koa-logger leaves the field empty for these statuses, errors included.
                    "" if status in _EMPTY_STATUSES else "-",
                ),
                ctx,
            )
            raise

        def finished() -> None:
            ms = (clock() - start) // 1_000_000
            response = ctx.response
            status = response.status or 404
            cut = response.aborted
            if not ctx.respond:
                # The app wrote its own response (a WebSocket's 101, say): log its status.
                own = response.res
                if own is not None and own.prepared:
                    status = own.status
            if status in _EMPTY_STATUSES:
                length = ""
            else:
                if response.header_sent:
                    # What went out: the Content-Length sent, else (streamed) the body bytes.
                    size = _sent_length(ctx)
                    if size is None:
                        size = response.bytes_sent
                        if not cut and ctx.respond:
                            # A stream that failed after its first bytes: the connection was
                            # cut under it (a complete response leaves it open until now).
                            # Not for responses the app wrote itself (a WebSocket ends closed).
                            cut = response.conn.closed
                else:
                    size = response.length
                length = (
                    lengths[size] if size is not None and 0 <= size < 1024 else format_length(size)
                )
            chosen = closed_formats if cut else response_formats
            method = ctx.method
            emit(
                chosen[status if 0 <= status < 1000 else 0],
                (
                    method if method.isprintable() else printable(method),
                    url,
                    status,
                    times[ms] if ms < 1000 else format_time(ms),
                    length,
                ),
                ctx,
            )

        ctx.on_finished(finished)

    return log_request


def _sent_length(ctx: Context[Any]) -> int | None:
    """The Content-Length of the response sent (the app's own, for ``ctx.respond = False``)."""
    own = ctx.response.res
    headers = own.headers if own is not None and not ctx.respond else ctx.response.headers
    value = headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None
