"""``bodyparser()``: parse JSON, form and text request bodies into ``ctx.request.body``."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from koa.core import Context, HttpError, Next

from .content_types import TypeTable, shown
from .limits import parse_limit
from .parsers import decode_text, parse_form, parse_json, text_codec
from .reading import read_body

ErrorHook = Callable[[HttpError, Context[Any]], "Awaitable[None] | None"]
"""``on_error(err, ctx)``: called instead of raising; the request then goes on downstream."""


def _content_type(value: str) -> tuple[str, str]:
    """(mime type, charset) of a Content-Type value, both lower-case, ``""`` when missing."""
    mime, _, params = value.partition(";")
    charset = ""
    if params:
        for param in params.split(";"):
            name, _, val = param.partition("=")
            if name.strip().lower() == "charset":
                charset = val.strip().strip('"').lower()
                break
    return mime.strip().lower(), charset


def _skipped(ctx: Context[Any]) -> bool:
    state = ctx.state
    if isinstance(state, dict):
        if state.get("disable_body_parser"):
            return True
    elif getattr(state, "disable_body_parser", False):
        return True
    # Koa's spelling, ``ctx.disableBodyParser = true``, translated: an attribute of this ctx.
    return bool(vars(ctx).get("disable_body_parser"))


def bodyparser(
    *,
    enable_types: Iterable[str] = ("json", "form"),
    encoding: str = "utf-8",
    json_limit: int | str = "1mb",
    form_limit: int | str = "56kb",
    text_limit: int | str = "1mb",
    strict: bool = True,
    extend_types: Mapping[str, str | Sequence[str]] | None = None,
    parsed_methods: Iterable[str] = ("POST", "PUT", "PATCH"),
    on_error: ErrorHook | None = None,
    read_timeout: float | None = 30.0,
) -> Callable[[Context[Any], Next], Awaitable[None]]:
    """A middleware that sets ``ctx.request.body`` and ``ctx.request.raw_body``.

    ::

        app.use(bodyparser())

        async def create_user(ctx, next):
            user = ctx.request.body          # {"name": "tobi"} for a JSON POST
            ...

    ``body`` is the parsed JSON value, a dict of form fields (repeated keys give lists), or
    the text of a text/xml body; ``{}`` when the Content-Type is not one of
    ``enable_types``. ``raw_body`` is the decoded text. Nothing runs for methods outside
    ``parsed_methods``, when ``ctx.state["disable_body_parser"]`` is true, or when
    ``ctx.request.body`` is already set.

    Errors are ``HttpError``: 400 invalid JSON (unexposed, as Koa), 413 over the limit,
    415 unsupported charset or Content-Encoding, 408 when the body stalls for
    ``read_timeout`` seconds, 400 when the client goes away. With ``on_error(err, ctx)``
    they go to the hook instead, and the request continues downstream without a body.
    """
    for name, value in (("enable_types", enable_types), ("parsed_methods", parsed_methods)):
        if isinstance(value, str):
            raise TypeError(f"{name} must be a list of strings, not the string {value!r}")
    table = TypeTable(enable_types, extend_types)
    limits = {
        "json": parse_limit(json_limit, "json_limit"),
        "form": parse_limit(form_limit, "form_limit"),
        "text": parse_limit(text_limit, "text_limit"),
    }
    limits["xml"] = limits["text"]
    default_codec = text_codec(encoding.lower())
    if default_codec is None:
        raise ValueError(f"encoding {encoding!r} is not a text encoding Python knows")
    methods = frozenset(method.upper() for method in parsed_methods)
    if read_timeout is not None and read_timeout <= 0:
        raise ValueError("read_timeout must be positive (or None to wait forever)")

    async def parse(ctx: Context[Any], content_type: str) -> None:
        mime, charset = _content_type(content_type)
        kind = table.kind_of(mime)
        if kind is None:
            ctx.request.body = {}
            return
        codec = text_codec(charset) if charset else default_codec
        if codec is None:
            raise HttpError(415, f'unsupported charset "{shown(charset.upper())}"', charset=charset)
        data = await read_body(ctx, limits[kind], read_timeout)
        text = decode_text(data, codec)
        if kind == "json":
            body: Any = parse_json(text, strict=strict)
        elif kind == "form":
            body = parse_form(text, codec)
        else:
            body = text
        ctx.request.body = body
        if ctx.request.raw_body is None:
            ctx.request.raw_body = text

    async def bodyparser_middleware(ctx: Context[Any], next: Next) -> None:
        request = ctx.request
        if request.method not in methods or request.body is not None or _skipped(ctx):
            await next()
            return
        content_type = ctx.request.headers.get("Content-Type")
        if content_type is None:
            request.body = {}
        else:
            try:
                await parse(ctx, content_type)
            except HttpError as err:
                if on_error is None:
                    raise
                result = on_error(err, ctx)
                if inspect.isawaitable(result):
                    await result
        await next()

    return bodyparser_middleware
