"""Content types from a fixed table that agrees with mime-db, and type matching (type-is).

The table never consults the platform's ``/etc/mime.types``, so every machine answers the same.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from .mimedb import CHARSETS, EXTENSIONS

#: Extension (without the dot, lower-case) -> mime type, as mime-types 3 resolves them.
MIME_TYPES: dict[str, str] = EXTENSIONS

# media-typer's test: what type-is accepts as a media type.
_TYPE_RE = re.compile(
    r" *[A-Za-z0-9][A-Za-z0-9!#$&^_-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126} *"
)


def extension_of(value: str) -> str:
    """``"png"``, ``".png"``, ``"a/b.png"`` -> ``"png"`` (lower-case); ``"a/json"`` -> ``""``.

    A bare word is an extension; in a path, only a dot in the last segment (not a leading
    one) starts an extension, as mime-types reads it.
    """
    slash = value.rfind("/")
    if slash < 0:
        return value.rsplit(".", 1)[-1].lower()
    base = value[slash + 1 :]
    dot = base.rfind(".")
    return base[dot + 1 :].lower() if dot > 0 else ""


def lookup(value: str) -> str | None:
    """The mime type for an extension, a file name or a path; ``None`` when unknown."""
    return MIME_TYPES.get(extension_of(value))


def charset_for(mime: str) -> str | None:
    """The default charset of a mime type (``utf-8`` for text and JSON), as mime-types."""
    if mime.startswith("text/"):
        return "utf-8"
    return CHARSETS.get(mime)


@lru_cache(maxsize=256)
def content_type(value: str) -> str | None:
    """A full Content-Type for an extension or a mime type (mime-types' ``contentType``).

    ``"json"`` -> ``application/json; charset=utf-8``; ``"text/plain; charset=latin1"`` is kept;
    an unknown extension gives ``None``.
    """
    mime = value if "/" in value else lookup(value)
    if not mime:
        return None
    if "charset" not in mime.lower():
        charset = charset_for(mime.split(";", 1)[0].strip().lower())
        if charset:
            mime = f"{mime}; charset={charset}"
    return mime


# -- type-is -------------------------------------------------------------------------------


def _normalize(kind: str) -> str | None:
    """Short names to mime patterns: ``urlencoded``, ``multipart``, ``+json``, extensions."""
    if kind == "urlencoded":
        return "application/x-www-form-urlencoded"
    if kind == "multipart":
        return "multipart/*"
    if kind.startswith("+"):
        return "*/*" + kind
    if "/" in kind:
        return kind
    return lookup(kind)


def _mime_match(expected: str, actual: str) -> bool:
    exp = expected.split("/")
    act = actual.split("/")
    if len(exp) != 2 or len(act) != 2:
        return False
    if exp[0] != "*" and exp[0] != act[0]:
        return False
    if exp[1].startswith("*+"):
        return len(exp[1]) <= len(act[1]) + 1 and act[1].endswith(exp[1][1:])
    return exp[1] == "*" or exp[1] == act[1]


def mime_of(content_type_value: str) -> str:
    """The mime type of a Content-Type value, lower-case, without parameters."""
    return content_type_value.split(";", 1)[0].strip().lower()


def type_is(actual: str, types: tuple[str, ...]) -> str | Literal[False]:
    """The first of ``types`` that ``actual`` (a Content-Type) matches, or ``False``."""
    value = mime_of(actual)
    if not _TYPE_RE.fullmatch(value):
        return False
    if not types:
        return value
    for kind in types:
        pattern = _normalize(kind.lower())
        if pattern and _mime_match(pattern, value):
            return value if kind.startswith("+") or "*" in kind else kind
    return False
