"""Request headers as Node presents them to Koa: repeated lines joined (or the first kept),
bytes beyond UTF-8 read one byte a character."""

from __future__ import annotations

from typing import Generic, TypeVar

from multidict import CIMultiDict, CIMultiDictProxy, istr

T = TypeVar("T")

# Names of the headers set on most responses, as ``istr``. A ``CIMultiDict`` hands its keys to
# aiohttp's header writer as ``istr``: a key stored as a plain ``str`` is converted anew on
# every response (an object per header and request), one stored as ``istr`` is not.
CONTENT_TYPE = istr("Content-Type")
CONTENT_LENGTH = istr("Content-Length")
CONNECTION = istr("Connection")
DATE = istr("Date")
VARY = istr("Vary")

# Fields whose values are credentials or session ids. The back ends remember header lines
# they have seen (bounded caches, to skip checking and encoding them again); none keeps these.
SECRET_FIELDS = frozenset(
    {
        "authorization", "cookie", "proxy-authenticate", "proxy-authorization", "set-cookie",
        "www-authenticate",
    }
)  # fmt: skip


class HeadCache(Generic[T]):
    """Response heads sent before, each with what a back end made of it (the bytes of its
    lines, or its lines encoded for ASGI), a few per field count and Content-Length.

    Finding a head makes no tuple per field: ``CIMultiDict.__eq__`` compares the fields and
    values in order in C (names without case), then the names' case is compared. Bounded:
    ``EACH`` heads per key, emptied at ``SHAPES`` keys, none of more than ``FIELDS`` fields.
    The back ends keep no head with a ``SECRET_FIELDS`` field.
    """

    EACH = 4
    SHAPES = 128
    FIELDS = 64
    __slots__ = ("shapes",)

    def __init__(self) -> None:
        self.shapes: dict[
            tuple[int, str | None], list[tuple[CIMultiDict[str], tuple[str, ...], T]]
        ] = {}

    def find(self, headers: CIMultiDict[str]) -> T | None:
        """What was kept for a head with these fields, values, order and case, or ``None``."""
        kept = self.shapes.get((len(headers), headers.get(CONTENT_LENGTH)))
        if kept is not None:
            for seen, names, value in kept:
                if seen == headers and tuple(headers) == names:
                    return value
        return None

    def keep(self, headers: CIMultiDict[str], value: T) -> None:
        """Keep ``value`` for this head (a copy of it), unless it has too many fields."""
        count = len(headers)
        if count > self.FIELDS:
            return
        shape = (count, headers.get(CONTENT_LENGTH))
        kept = self.shapes.get(shape)
        if kept is None:
            if len(self.shapes) >= self.SHAPES:
                self.shapes.clear()
            kept = self.shapes[shape] = []
        kept.insert(0, (headers.copy(), tuple(headers), value))
        del kept[self.EACH :]


# Node keeps the first of these when a request repeats them; it joins the others with ", ".
_FIRST_WINS = frozenset(
    {
        "age", "authorization", "content-length", "content-type", "etag", "expires", "from",
        "host", "if-modified-since", "if-unmodified-since", "last-modified", "location",
        "max-forwards", "proxy-authorization", "referer", "retry-after", "server", "user-agent",
    }
)  # fmt: skip


def node_text(value: str) -> str:
    """A header value that is not UTF-8 read as Node reads every header: one byte a character.

    aiohttp keeps such bytes as lone surrogates (``caf\\udce9``), which no response could
    carry; ``b"caf\\xe9"`` reads ``"café"`` instead. UTF-8 and ASCII values are kept.
    """
    if value.isascii():
        return value
    try:
        value.encode()
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape").decode("latin-1")
    return value


def header_value(headers: CIMultiDictProxy[str], name: str) -> str | None:
    """One header's value as Node presents it: repeated lines joined, or the first kept."""
    values = headers.getall(name, None)
    if values is None:
        return None
    if len(values) == 1:
        return node_text(values[0])
    lower = name.lower()
    if lower in _FIRST_WINS:
        return node_text(values[0])
    return node_text(("; " if lower == "cookie" else ", ").join(values))
