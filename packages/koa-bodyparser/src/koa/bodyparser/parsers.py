"""Turning the body's bytes into text, then into JSON values or form fields."""

from __future__ import annotations

import codecs
import functools
import re
from typing import Any

from koa.core import HttpError, json_loads

# RFC 8259 whitespace, then an object or an array (co-body's strict mode).
_STRICT_START = re.compile(r"[ \t\n\r]*[\[{]")


# Python text codecs that are not charsets: a body must not pick them.
_NOT_CHARSETS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode", "charmap"}
)


@functools.lru_cache(maxsize=64)
def text_codec(charset: str) -> str | None:
    """The Python codec for a Content-Type charset, ``None`` when it is not a text encoding."""
    try:
        name = codecs.lookup(charset).name
        b"a".decode(name, "replace")  # LookupError for bytes-to-bytes and str-to-str codecs
    except (LookupError, UnicodeError):
        return None
    return None if name in _NOT_CHARSETS else name


def decode_text(data: bytes, codec: str) -> str:
    """Decode the body; bad bytes become U+FFFD (as Node does) and a leading BOM is dropped."""
    text = data.decode(codec, "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def parse_json(text: str, *, strict: bool) -> Any:
    """Parse a JSON body. ``strict`` accepts only an object or an array (empty -> ``{}``).

    Raises ``HttpError(400)``, unexposed, for invalid JSON, as Koa does; its ``body``
    attribute holds the text that failed (as co-body's ``err.body``).
    """
    if not text:
        return {} if strict else text
    if strict and _STRICT_START.match(text) is None:
        raise HttpError(
            400, "invalid JSON, only supports object and array", expose=False, body=text
        )
    try:
        return json_loads(text)  # orjson when installed (koa-core[fast]), else json
    except RecursionError as exc:
        raise HttpError(400, "JSON nested too deeply", expose=False, body=text) from exc
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise HttpError(400, str(exc), expose=False, body=text) from exc


def parse_form(text: str, codec: str) -> dict[str, str | list[str]]:
    """Parse an urlencoded form as ``qs`` reads one, with flat keys (``a[b]`` stays a key).

    Repeated keys give lists; a field without ``=`` has the value ``""``; a field whose name
    is empty is dropped. A name or value whose escapes do not decode (``%zz``, ``%E9`` in
    utf-8) is kept as sent, with ``+`` as a space (``decodeURIComponent`` failing in ``qs``).
    """
    fields: dict[str, str | list[str]] = {}
    for part in text.split("&"):
        if not part:
            continue
        # qs splits at "]=" when there is one, so "a[x=y]=1" names "a[x=y]".
        at = part.find("]=")
        at = part.find("=") if at < 0 else at + 1
        if at < 0:
            name, value = _form_decode(part, codec), ""
        else:
            name, value = _form_decode(part[:at], codec), _form_decode(part[at + 1 :], codec)
        if not name:
            continue
        seen = fields.get(name)
        if seen is None:
            fields[name] = value
        elif isinstance(seen, list):
            seen.append(value)
        else:
            fields[name] = [seen, value]
    return fields


_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ESCAPES = re.compile(r"((?:%[0-9A-Fa-f]{2})+)")


def _form_decode(text: str, codec: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" not in text:
        return text
    if _BAD_ESCAPE.search(text) is not None:
        return text
    # Each run of escapes is decoded on its own, the text between them is kept: a body in
    # latin1 has already been decoded to text, so its letters must not be re-encoded.
    pieces = _ESCAPES.split(text)
    try:
        for at in range(1, len(pieces), 2):
            pieces[at] = bytes.fromhex(pieces[at].replace("%", "")).decode(codec)
    except UnicodeDecodeError:
        return text
    return "".join(pieces)
