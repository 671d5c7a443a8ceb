"""``send(ctx, path, root=...)``: koa-send, plus ETag, 304, Range and ``Vary``."""

from __future__ import annotations

import asyncio
import math
import os
import os.path
from collections.abc import Sequence
from email.utils import formatdate
from pathlib import Path
from typing import Any

from koa.core import Context

from . import ranges
from .encodings import choose
from .files import Directory, Found, locate, not_found
from .options import SendOptions, SetHeaders, make_options
from .paths import is_hidden, resolve

_OFFERS = {
    (True, True): ("br", "gzip"),
    (True, False): ("br",),
    (False, True): ("gzip",),
    (False, False): (),
}


async def send(
    ctx: Context[Any],
    path: str,
    *,
    root: str | os.PathLike[str],
    index: str | bool | None = None,
    max_age: float = 0,
    immutable: bool = False,
    hidden: bool = False,
    format: bool = True,
    extensions: Sequence[str] | bool | None = None,
    gzip: bool = True,
    brotli: bool = True,
    set_headers: SetHeaders | None = None,
    follow_symlinks: bool = False,
    directory_slash: bool = False,
) -> Path | None:
    """Send the file that the URL path ``path`` names under ``root``.

    ``path`` is percent-encoded, as ``ctx.path`` is. Returns the file that will be sent (the
    directory itself when ``directory_slash`` redirected), or ``None`` when nothing is (a
    hidden file, or a directory that is not served). Raises
    ``HttpError``: 404 when there is no such file, 400 for an undecodable or malicious path,
    403 for a path that climbs out of ``root``::

        async def download(ctx, next):
            await send(ctx, ctx.path, root="public", max_age=3600)
    """
    opts = make_options(
        root,
        index=index,
        max_age=max_age,
        immutable=immutable,
        hidden=hidden,
        format=format,
        extensions=extensions,
        gzip=gzip,
        brotli=brotli,
        set_headers=set_headers,
        follow_symlinks=follow_symlinks,
        directory_slash=directory_slash,
    )
    return await send_with(ctx, path, opts)


async def send_with(ctx: Context[Any], path: str, opts: SendOptions) -> Path | None:
    """``send`` with options already checked by ``make_options`` (what ``serve`` uses)."""
    file = resolve(opts.root, path, opts.index)
    if not opts.hidden and is_hidden(opts.root, file):
        return None
    precompressed_only = (opts.gzip or opts.brotli) and "Accept-Encoding" in ctx.headers
    found = await asyncio.get_running_loop().run_in_executor(
        None, locate, opts, file, precompressed_only
    )
    if found is None:
        return None
    if isinstance(found, Directory):
        _redirect_to_directory(ctx)
        return Path(found.path)
    return send_found(ctx, found, opts)


def send_found(ctx: Context[Any], found: Found, opts: SendOptions) -> Path:
    """Set the headers and the body for a located file."""
    response = ctx.response
    headers = response.headers
    path = found.path
    st = found.stat
    encoding: str | None = None

    if found.br is not None or found.gz is not None:
        offers = _OFFERS[found.br is not None, found.gz is not None]
        # Several Accept-Encoding lines are one list, as node joins them.
        best = choose(", ".join(ctx.headers.getall("Accept-Encoding", ())), offers)
        if best == "br" and found.br is not None:
            encoding, path, st = "br", path + ".br", found.br
        elif best == "gzip" and found.gz is not None:
            encoding, path, st = "gzip", path + ".gz", found.gz
        elif found.only_precompressed:
            raise not_found()
        # The answer depends on Accept-Encoding whichever file is chosen (koajs/send#126).
        response.vary("Accept-Encoding")

    served = Path(path)
    if opts.set_headers is not None:
        opts.set_headers(headers, served, st)

    headers["Content-Length"] = str(st.st_size)
    if "Last-Modified" not in headers:
        # Rounded up, as aiohttp's FileResponse does, so If-Modified-Since round-trips.
        headers["Last-Modified"] = formatdate(math.ceil(st.st_mtime), usegmt=True)
    if "ETag" not in headers:
        # The same validator aiohttp's FileResponse computes, so its 304 logic agrees.
        headers["ETag"] = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = opts.cache_control
    headers["Accept-Ranges"] = "bytes"
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    if "Content-Type" not in headers:
        response.type = os.path.splitext(found.path)[1]
        if encoding is not None and "Content-Type" not in headers:
            headers["Content-Type"] = "application/octet-stream"

    range_header = ctx.headers.get("Range")
    if range_header is not None:
        _plan_range(ctx, range_header, headers["ETag"], st)

    response.body = served
    return served


def _plan_range(ctx: Context[Any], header: str, etag: str, st: os.stat_result) -> None:
    plan: ranges.Plan = ranges.FULL
    if ctx.method in ("GET", "HEAD") and ranges.if_range_holds(
        ctx.headers.get("If-Range"), etag, math.ceil(st.st_mtime)
    ):
        plan = ranges.plan(header, st.st_size)
    # The connection sends the file with this decision (answering 304/412 first, as RFC 9110
    # 13.2.2 orders them): the whole file, one range (206), or 416 with
    # ``Content-Range: bytes */size``.
    response = ctx.response
    if plan == ranges.FULL:
        response.file_range = "whole"
    elif plan == ranges.UNSATISFIABLE:
        response.file_range = "unsatisfiable"
        response.headers.popall("Content-Length", None)  # a 416 has no body
    else:
        assert isinstance(plan, tuple)
        response.file_range = plan


def _redirect_to_directory(ctx: Context[Any]) -> None:
    # The request's own path (the full one, above any mount) with a slash, and its query.
    # Only ever a path: an absolute-form target (``GET http://other/dir``) must not send the
    # client to a host it named, and a fragment (never valid in a target) is dropped.
    url = ctx.original_url.partition("#")[0]
    if not url.startswith("/"):
        url = _origin_form(url)
    path, mark, query = url.partition("?")
    target = "/" + path.lstrip("/\\") + "/" + mark + query  # never "//host" (protocol-relative)
    ctx.status = 301
    ctx.redirect(target)


def _origin_form(url: str) -> str:
    """``/path?query`` of an absolute-form target (``http://host/path?query``)."""
    scheme_end = url.find("://")
    rest = url[scheme_end + 3 :] if scheme_end >= 0 else url
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    return rest[cut:] if rest[cut : cut + 1] == "/" else "/" + rest[cut:]
