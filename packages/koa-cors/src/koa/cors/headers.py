"""Header values: configured token lists, request values safe to reflect, ``Vary`` merging,
and the headers an error response keeps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

# RFC 9110 token characters; a list is tokens separated by commas and optional spaces.
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
TOKEN_LIST = re.compile(rf"{_TOKEN}(?:[ \t]*,[ \t]*{_TOKEN})*")
# What a serialized origin can hold (RFC 6454): visible ASCII, no spaces, no commas.
_ORIGIN_CHARS = re.compile(r"[!-+\--~]+")


def token_list(option: str, value: object) -> str | None:
    """``value`` (a string or a list of strings) as the comma-joined text to send.

    ``None`` and empty values give ``None`` (the header is not sent). Anything else that is
    not a list of tokens is a ``ValueError`` naming ``option``; a CR or LF cannot get through.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip(" \t")
    elif isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items = list(value)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(
                    f"cors({option}=...) takes strings, not {type(item).__name__} ({item!r})"
                )
        text = ",".join(item.strip(" \t") for item in items)
    else:
        raise TypeError(
            f"cors({option}=...) takes a string or a list of strings, not {type(value).__name__}"
        )
    if not text:
        return None
    if not TOKEN_LIST.fullmatch(text):
        raise ValueError(
            f"cors({option}={value!r}): expected header names or methods separated by commas"
            " (letters, digits and !#$%&'*+-.^_`|~ only)"
        )
    return text


def reflectable_header_list(value: str) -> bool:
    """True when a request's ``Access-Control-Request-Headers`` may be sent back as is."""
    return TOKEN_LIST.fullmatch(value) is not None


def reflectable_origin(value: str) -> bool:
    """True when ``value`` could be a serialized origin: never control characters or spaces."""
    return _ORIGIN_CHARS.fullmatch(value) is not None


def vary_with(current: str, field: str) -> str:
    """``current`` (a Vary value) with ``field`` added unless present; ``*`` stays ``*``."""
    if current.strip() == "*":
        return "*"
    fields = [f.strip() for f in current.split(",") if f.strip()]
    if field.lower() not in (f.lower() for f in fields):
        fields.append(field)
    return ", ".join(fields)


def keep_on_error(err: BaseException, headers: Iterable[tuple[str, str]]) -> None:
    """Put ``headers`` and ``Vary: Origin`` in ``err.headers`` for Koa's error responder.

    Koa answers an error with only the headers in ``err.headers`` (all others are dropped),
    as @koa/cors relies on. Ours win over the error's own of the same name (compared without
    case, as HTTP does); its ``Vary`` is kept and ``Origin`` added to it (``*`` stays).
    An error whose ``headers`` cannot be replaced (aiohttp's ``HTTPException``) is updated
    in place.
    """
    current = getattr(err, "headers", None)
    merged: dict[str, Any] = {}
    vary = ""
    ours = list(headers)
    own = {name.lower() for name, _ in ours}
    if isinstance(current, Mapping):
        for name, value in current.items():
            if not isinstance(name, str):
                continue
            lower = name.lower()
            if lower == "vary":
                vary = value if isinstance(value, str) else ", ".join(map(str, value))
            elif lower not in own:
                merged[name] = value
    merged.update(ours)
    merged["vary"] = vary_with(vary, "Origin")  # lower case, as @koa/cors sends it here
    try:
        err.headers = merged  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        if isinstance(current, MutableMapping):
            current.clear()
            current.update(merged)
