"""``serve(root)``: koa-static, the middleware that answers GET/HEAD from a directory."""

from __future__ import annotations

import asyncio
import os
import os.path
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from koa.core import Context, HttpError, Next

from .files import Found, locate
from .options import SendOptions, SetHeaders, make_options
from .send import send_found, send_with


def serve(
    root: str | os.PathLike[str],
    *,
    index: str | bool | None = "index.html",
    max_age: float = 0,
    immutable: bool = False,
    hidden: bool = False,
    format: bool = True,
    extensions: Sequence[str] | bool | None = None,
    gzip: bool = True,
    brotli: bool = True,
    set_headers: SetHeaders | None = None,
    defer: bool = False,
    follow_symlinks: bool = False,
    directory_slash: bool = False,
    fallback: str | None = None,
) -> Callable[[Context[Any], Next], Awaitable[None]]:
    """Serve files from ``root`` for GET and HEAD; everything else goes downstream.

    A missing or hidden file also goes downstream (usually ending in 404); a malicious path
    is answered with 400 or 403. With ``defer=True`` downstream runs first and the file is
    served only when nothing else answered (status 404 with no body). ``fallback`` names a
    file under ``root`` (``"index.html"`` for a single-page app) sent for missing paths that
    a browser navigates to. Options are checked now, not on the first request::

        app.use(serve("public", max_age=3600, gzip=True))
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
    fallback_path = _fallback_path(opts, fallback)

    async def try_send(ctx: Context[Any]) -> bool:
        try:
            return await send_with(ctx, ctx.path, opts) is not None
        except HttpError as err:
            if err.status != 404:
                raise
        if fallback_path is None or not _navigates(ctx):
            return False
        return await _send_fallback(ctx, fallback_path, opts)

    if not defer:

        async def serve_static(ctx: Context[Any], next: Next) -> None:
            method = ctx.method
            if (method == "GET" or method == "HEAD") and await try_send(ctx):
                return
            await next()

        return serve_static

    async def serve_static_deferred(ctx: Context[Any], next: Next) -> None:
        await next()
        method = ctx.method
        if method != "GET" and method != "HEAD":
            return
        if ctx.body is not None or ctx.status != 404:
            return
        await try_send(ctx)

    return serve_static_deferred


def _fallback_path(opts: SendOptions, fallback: str | None) -> str | None:
    if fallback is None:
        return None
    if not isinstance(fallback, str) or not fallback:
        raise TypeError("option fallback must be a file name relative to root")
    path = os.path.normpath(os.path.join(opts.root, fallback.lstrip("/")))
    if not path.startswith(opts.root.rstrip("/") + "/"):
        raise ValueError(f"option fallback must name a file inside root, not {fallback!r}")
    return path


def _navigates(ctx: Context[Any]) -> bool:
    """A browser navigation: wants HTML and asks for a path without a file extension."""
    path = ctx.path
    last = path[path.rfind("/") + 1 :]
    return "." not in last and "text/html" in ctx.headers.get("Accept", "")


async def _send_fallback(ctx: Context[Any], path: str, opts: SendOptions) -> bool:
    try:
        found = await asyncio.get_running_loop().run_in_executor(None, locate, opts, path)
    except HttpError as err:
        if err.status != 404:
            raise
        return False
    if not isinstance(found, Found):
        return False
    send_found(ctx, found, opts)
    # Whether this path gets the fallback depends on Accept (a navigation or not).
    ctx.response.vary("Accept")
    return True
