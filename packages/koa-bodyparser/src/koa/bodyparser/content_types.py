"""Which request Content-Types each body kind (json, form, text, xml) covers, and how header
values are shown in error messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

KINDS = ("json", "form", "text", "xml")

DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    "json": (
        "application/json",
        "application/json-patch+json",
        "application/vnd.api+json",
        "application/csp-report",
        "application/reports+json",
        "application/scim+json",
    ),
    "form": ("application/x-www-form-urlencoded",),
    "text": ("text/plain",),
    "xml": ("text/xml", "application/xml"),
}


def _pattern(mime: str, kind: str) -> str:
    mime = mime.strip().lower()
    if mime.startswith("+"):
        mime = "*/*" + mime
    major, slash, minor = mime.partition("/")
    if not slash or not major or not minor or "/" in minor or ";" in mime:
        raise ValueError(f"extend_types[{kind!r}] holds {mime!r}, which is not a mime type")
    return mime


def _matches(pattern: str, mime: str) -> bool:
    p_major, _, p_minor = pattern.partition("/")
    major, _, minor = mime.partition("/")
    if p_major != "*" and p_major != major:
        return False
    if p_minor.startswith("*+"):
        return minor.endswith(p_minor[1:])
    return p_minor in ("*", minor)


class TypeTable:
    """Maps a request's mime type to the kind of body to parse, or ``None``.

    Exact types are one dict look-up; wildcards (``"application/*"``, ``"*/*+json"``,
    ``"+json"``) from ``extend_types`` are tried afterwards, in json, form, text, xml order.
    """

    __slots__ = ("_exact", "_patterns")

    def __init__(
        self,
        enabled: Iterable[str],
        extend: Mapping[str, str | Sequence[str]] | None,
    ) -> None:
        enabled = set(enabled)
        extend = dict(extend or {})
        for kind in (*enabled, *extend):
            if kind not in KINDS:
                raise ValueError(f"unsupported body type {kind!r}: expected one of {KINDS}")
        self._exact: dict[str, str] = {}
        self._patterns: list[tuple[str, str]] = []
        for kind in KINDS:
            if kind not in enabled:
                continue
            extra = extend.get(kind, ())
            if isinstance(extra, str):
                extra = (extra,)
            for mime in (*DEFAULT_TYPES[kind], *extra):
                pattern = _pattern(mime, kind)
                if "*" in pattern:
                    self._patterns.append((pattern, kind))
                else:
                    self._exact.setdefault(pattern, kind)

    def kind_of(self, mime: str) -> str | None:
        """The kind for ``mime`` (lower-case, no parameters)."""
        kind = self._exact.get(mime)
        if kind is not None or not self._patterns or "/" not in mime:
            return kind
        for pattern, candidate in self._patterns:
            if _matches(pattern, mime):
                return candidate
        return None


def shown(value: str, limit: int = 64) -> str:
    """A header value as an error message may repeat it: printable ASCII, at most ``limit``
    characters (a longer value is cut and ends with ``...``).

    Header bytes that are not UTF-8 reach us as surrogate escapes, which cannot be encoded
    into a response; they are shown as ``\\udcff``.
    """
    if value.isascii() and value.isprintable() and len(value) <= limit:
        return value
    text = value.encode("ascii", "backslashreplace").decode("ascii")
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    return text if len(text) <= limit else text[:limit] + "..."
