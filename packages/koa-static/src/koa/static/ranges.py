"""Decide what a ``Range`` request gets (RFC 9110 §14), before the connection sends the file.

aiohttp's ``FileResponse`` reads one ``bytes=a-b`` range and answers anything else (several
ranges, a reversed range, an unknown unit) with 416, and it checks ``If-Range`` only as a date,
so a stale ETag still gets a 206 of the new content. Here every ``Range`` header is reduced to
one of three answers: the whole file (200), one byte range (206), or 416. Several ranges are
sorted and merged; when they do not merge into one, the whole file is sent, which RFC 9110
allows (multipart/byteranges is never produced). The work is bounded: at most ``MAX_PARTS``
parts are read, beyond that the header is ignored.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

#: Range headers with more parts than this are ignored (the whole file is sent).
MAX_PARTS = 32

#: Send the whole file.
FULL = "full"
#: No part of the header can be satisfied: 416 with ``Content-Range: bytes */size``.
UNSATISFIABLE = "unsatisfiable"

Plan = tuple[int, int] | str


def if_range_holds(if_range: str | None, etag: str, mtime: int) -> bool:
    """Whether ``If-Range`` (absent, an entity tag or a date) lets the Range apply.

    An entity tag must match ``etag`` strongly (a weak tag never does); a date must equal the
    file's Last-Modified second exactly.
    """
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return value == etag
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return int(date.timestamp()) == mtime


def plan(header: str, size: int) -> Plan:
    """What to send for ``Range: header`` on a representation of ``size`` bytes.

    Returns ``FULL``, ``UNSATISFIABLE`` or ``(first, last)`` (inclusive byte positions).
    """
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return FULL  # an unknown unit or no unit at all: RFC 9110 says ignore it
    parts = spec.split(",", MAX_PARTS)
    if len(parts) > MAX_PARTS:
        return FULL
    ranges: list[tuple[int, int]] = []
    for part in parts:
        first_text, dash, last_text = part.strip().partition("-")
        if not dash or not (first_text or last_text):
            return FULL
        if (first_text and not _is_number(first_text)) or (last_text and not _is_number(last_text)):
            return FULL
        if not first_text:  # suffix: the last N bytes
            length = _number(last_text)
            if length > 0 and size > 0:
                ranges.append((max(size - length, 0), size - 1))
            continue
        first = _number(first_text)
        last = _number(last_text) if last_text else _HUGE
        if last < first:
            return FULL  # an invalid range-spec makes the whole header invalid
        if first < size:
            ranges.append((first, min(last, size - 1)))
    if not ranges:
        return UNSATISFIABLE
    ranges.sort()
    first, last = ranges[0]
    for start, end in ranges[1:]:
        if start > last + 1:
            return FULL  # two disjoint ranges: send everything rather than multipart
        last = max(last, end)
    return first, last


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _number(text: str) -> int:
    # Positions beyond any real file size are all alike; never parse thousands of digits.
    return int(text) if len(text) <= 18 else _HUGE


_HUGE = 10**18
