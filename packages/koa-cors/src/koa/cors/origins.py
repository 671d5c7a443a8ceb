"""The ``origin`` option: which request origins get ``Access-Control-Allow-Origin``, and what
it says."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeAlias

from koa.core import Context

from .headers import reflectable_origin

OriginFn: TypeAlias = Callable[[Context[Any]], "str | Awaitable[str | None] | None"]
"""``origin(ctx)``: the ``Access-Control-Allow-Origin`` to send, or ``None``/``""`` for none."""

OriginOption: TypeAlias = "str | Collection[str] | re.Pattern[str] | OriginFn"

# scheme "://" host [":" port], as browsers serialize an origin (RFC 6454): no path, no
# trailing slash, no user info.
_SERIALIZED_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\x00-\x20\x7f-\uffff/?#@\\,]+")


class AllowedOrigins:
    """A list of origins: a request whose ``Origin`` is one of them gets it back."""

    __slots__ = ("origins",)

    def __init__(self, origins: Collection[str]) -> None:
        checked: set[str] = set()
        for origin in origins:
            if not isinstance(origin, str):
                raise TypeError(
                    f"cors(origin=[...]) takes origin strings, not {type(origin).__name__}"
                )
            if origin == "*":
                raise ValueError(
                    "cors(origin=[...]): '*' cannot be in a list; pass origin='*' on its own"
                )
            if origin == "null":
                raise ValueError(
                    "cors(origin=[...]): 'null' is the origin of sandboxed frames, data: URLs"
                    " and local files, any site can send it; it cannot be listed (use a"
                    " function if you really mean it)"
                )
            if not _SERIALIZED_ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"cors(origin=[...]): {origin!r} is not an origin: write it as browsers"
                    " send it, scheme://host[:port] without path or trailing slash"
                    " (https://app.example.com)"
                )
            checked.add(origin.lower())
        if not checked:
            raise ValueError("cors(origin=[]): the list of allowed origins is empty")
        self.origins = frozenset(checked)

    def __call__(self, request_origin: str) -> str | None:
        return request_origin if request_origin in self.origins else None


class OriginPattern:
    """A compiled regex: a request whose whole ``Origin`` matches it gets it back (never
    ``null``)."""

    __slots__ = ("pattern",)

    def __init__(self, pattern: re.Pattern[str]) -> None:
        if not isinstance(pattern.pattern, str):
            raise TypeError("cors(origin=re.compile(...)) needs a str pattern, not bytes")
        self.pattern = pattern

    def __call__(self, request_origin: str) -> str | None:
        # `null` (sandboxed frames, data: URLs, local files: any site can send it) never
        # matches, even a pattern as wide as `.*`.
        if request_origin == "null" or not reflectable_origin(request_origin):
            return None
        return request_origin if self.pattern.fullmatch(request_origin) else None


def fixed_origin(origin: str) -> str:
    """A single configured origin, sent whatever the request's ``Origin`` (as @koa/cors)."""
    if not origin:
        raise ValueError("cors(origin=''): give '*', an origin, a list, a regex or a function")
    if origin != "*" and not reflectable_origin(origin):
        raise ValueError(
            f"cors(origin={origin!r}): an origin has no spaces, commas or control characters"
        )
    return origin
