"""Accept-Encoding negotiation as koa-compress 5 does it (the ``negotiator`` package 1.x).

The server's preference breaks ties between encodings the client rates equally (``gzip, br``
gives ``br``); a higher q-value always wins; ``q=0`` refuses an encoding; ``*`` rates every
encoding not named; ``identity`` is acceptable unless refused, by name or by ``*;q=0``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cmp_to_key

# JavaScript's parseFloat: the longest number at the start, else NaN.
_JS_FLOAT = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_OWS = " \t"
#: Entries read from one header. A browser sends a handful; past this many the rest is
#: ignored, so a header of thousands of entries (the server takes up to 2 MB of headers)
#: costs no more than this many.
MAX_ENTRIES = 1000


class _Spec:
    """One Accept-Encoding entry: the name, its q-value and its position in the header."""

    __slots__ = ("index", "name", "q")

    def __init__(self, name: str, q: float, index: int) -> None:
        self.name = name
        self.q = q
        self.index = index


def _js_float(text: str) -> float:
    if text.replace(".", "", 1).isdigit() and text.isascii():
        return float(text)  # the usual q-values: 1, 0.5, 0.001
    match = _JS_FLOAT.match(text.lstrip())
    return float(match.group().replace("Infinity", "inf")) if match else float("nan")


def _parse(header: str) -> list[_Spec]:
    """The entries of ``header``, read as negotiator 1.x reads them (linear time).

    Parameters other than ``q`` are skipped and the first ``q`` counts; empty entries still
    count for the positions; ``identity`` is added with the lowest q-value seen when neither
    it nor ``*`` is named.
    """
    entries = _entries(header) if '"' in header else _plain_entries(header)
    specs: list[_Spec] = []
    has_identity = False
    min_q = 1.0
    for index, (name, q) in enumerate(entries):
        if not name:
            continue
        quality = _js_float(q) if q else 1.0
        specs.append(_Spec(name, quality, index))
        if name == "*" or name.lower() == "identity":
            has_identity = True
        if quality == quality and quality != 0:  # NaN and 0 count as 1 (``q || 1``)
            min_q = min(min_q, quality)
    if not has_identity:
        specs.append(_Spec("identity", min_q, len(entries)))
    return specs


def _plain_entries(header: str) -> list[tuple[str, str | None]]:
    """``(name, q)`` of each entry of a header without quoted strings."""
    parts = header.split(",", MAX_ENTRIES)
    if len(parts) > MAX_ENTRIES:
        parts.pop()  # the unread rest
    elif not parts[-1]:
        parts.pop()  # nothing after a final comma is no entry (``gzip,``; ``gzip, `` is one)
    entries: list[tuple[str, str | None]] = []
    for part in parts:
        name, _, params = part.partition(";")
        q: str | None = None
        if params:
            for param in params.split(";"):
                key, eq, value = param.partition("=")
                if eq and key.strip(_OWS).lower() == "q":
                    q = value.strip(_OWS)
                    break
        entries.append((name.strip(_OWS), q))
    return entries


def _entries(header: str) -> list[tuple[str, str | None]]:
    """``_plain_entries`` for a header with quoted strings (which may hold ``,`` and ``;``)."""
    entries: list[tuple[str, str | None]] = []
    length = len(header)
    pos = 0
    while pos < length and len(entries) < MAX_ENTRIES:
        while pos < length and header[pos] in _OWS:
            pos += 1
        start = pos
        while pos < length and header[pos] not in ",;":
            pos += 1
        name = header[start:pos].rstrip(_OWS)
        q: str | None = None
        while pos < length and header[pos] == ";":
            pos += 1
            while pos < length and header[pos] in _OWS:
                pos += 1
            key_start = pos
            while pos < length and header[pos] not in ",;=":
                pos += 1
            if pos >= length or header[pos] != "=":
                continue  # a parameter without a value: ignored
            key = header[key_start:pos].rstrip(_OWS).lower()
            pos += 1
            while pos < length and header[pos] in _OWS:
                pos += 1
            value: str | None
            if pos < length and header[pos] == '"':
                pos += 1
                chars: list[str] = []
                value = None  # an unterminated quoted string sets nothing
                while pos < length:
                    char = header[pos]
                    pos += 1
                    if char == '"':
                        value = "".join(chars)
                        break
                    if char == "\\" and pos < length:
                        char = header[pos]
                        pos += 1
                    chars.append(char)
                while pos < length and header[pos] not in ",;":
                    pos += 1
            else:
                value_start = pos
                while pos < length and header[pos] not in ",;":
                    pos += 1
                value = header[value_start:pos].rstrip(_OWS)
            if key == "q" and q is None and value is not None:
                q = value
        pos += 1  # past the comma
        entries.append((name, q))
    return entries


class _Priority:
    __slots__ = ("encoding", "order", "provided", "q", "specific")

    def __init__(self, encoding: str, provided: int, order: int, q: float, specific: int) -> None:
        self.encoding = encoding
        self.provided = provided
        self.order = order
        self.q = q
        self.specific = specific


def _wins(spec: _Spec, best: _Spec | None) -> bool:
    """Whether a later entry of the same specificity replaces ``best`` (negotiator's rule:
    a higher q-value wins, and a tie, NaN included, goes to the later entry)."""
    return best is None or not spec.q < best.q


def negotiate(header: str, provided: Sequence[str], preferred: Sequence[str]) -> str | None:
    """The encoding of ``provided`` to use for a request's ``header``; ``None`` when the client
    accepts none of them (``identity`` included). One pass over the header's entries."""
    wanted = {name.lower() for name in provided}
    named: dict[str, _Spec] = {}
    wildcard: _Spec | None = None
    for spec in _parse(header):
        if spec.name == "*":
            if _wins(spec, wildcard):
                wildcard = spec
        else:
            lowered = spec.name.lower()
            if lowered in wanted and _wins(spec, named.get(lowered)):
                named[lowered] = spec
    candidates: list[_Priority] = []
    for index, encoding in enumerate(provided):
        # An entry naming the encoding beats ``*`` whatever their q-values.
        match = named.get(encoding.lower())
        specific = 1
        if match is None:
            match, specific = wildcard, 0
        if match is not None and match.q > 0:  # NaN is not > 0 either
            candidates.append(_Priority(encoding, index, match.index, match.q, specific))
    if not candidates:
        return None
    ranks = {name: rank for rank, name in enumerate(preferred)}

    def compare(a: _Priority, b: _Priority) -> int:
        if a.q != b.q:
            return 1 if b.q > a.q else -1
        rank_a = ranks.get(a.encoding)
        rank_b = ranks.get(b.encoding)
        if rank_a is None and rank_b is None:
            return (b.specific - a.specific) or (a.order - b.order) or (a.provided - b.provided)
        if rank_a is not None and rank_b is not None:
            return rank_a - rank_b
        return 1 if rank_a is None else -1

    if len(candidates) > 1:
        candidates.sort(key=cmp_to_key(compare))  # stable, as JavaScript's sort
    return candidates[0].encoding
