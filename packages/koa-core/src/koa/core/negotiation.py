"""Content negotiation for ``accepts*``, with the rules of the ``negotiator`` npm package.

Each header is read as a comma-separated list of ``value;param=...`` entries. For every
candidate the server offers, the matching entry that is most specific wins (then the higher
``q``, then the later entry); candidates are then ranked by ``q``, specificity, the position of
the entry that matched and finally the server's own order. ``q`` is read like JavaScript's
``parseFloat`` (``q=abc`` makes an entry unacceptable, ``q=2`` ranks above ``q=1``), so the
answers agree with Koa.js for the same header.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Literal, NamedTuple

from .mime import lookup

_OWS = " \t"
# JavaScript's parseFloat: the longest decimal literal at the start, else NaN.
_FLOAT_RE = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_JS_SPACE = " \t\n\r\v\f\u00a0\ufeff"


_Answer = str | list[str] | Literal[False]
_Negotiate = Callable[[str | None, tuple[str, ...]], _Answer]


def _memoized(negotiate: _Negotiate) -> _Negotiate:
    """Remember answers per (header, offered values): clients repeat the same headers.

    The cache is bounded, and lists are copied out so that callers may change them.
    """

    @lru_cache(maxsize=512)
    def cached(
        header: str | None, offered: tuple[str, ...]
    ) -> str | tuple[str, ...] | Literal[False]:
        answer = negotiate(header, offered)
        return tuple(answer) if isinstance(answer, list) else answer

    @wraps(negotiate)
    def wrapper(header: str | None, offered: tuple[str, ...]) -> _Answer:
        answer = cached(header, offered)
        return list(answer) if isinstance(answer, tuple) else answer

    return wrapper


class _Entry(NamedTuple):
    value: str  # as the client wrote it (casing kept)
    params: dict[str, str]  # names lower-cased, ``q`` removed
    q: float
    position: int  # in the header, empty entries counted


def _parse_float(text: str) -> float:
    match = _FLOAT_RE.match(text.lstrip(_JS_SPACE))
    if match is None:
        return math.nan
    return float(match.group().replace("Infinity", "inf"))


def _skip_ows(text: str, i: int, n: int) -> int:
    while i < n and text[i] in _OWS:
        i += 1
    return i


def _trim_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _OWS:
        end -= 1
    return end


def _skip_value(text: str, i: int, n: int) -> int:
    while i < n and text[i] not in ";,":
        i += 1
    return i


def _parse_params(header: str, i: int, n: int) -> tuple[dict[str, str], int]:
    """Parameters from ``i`` (at a ``;``) up to the next ``,``; returns them and the stop."""
    params: dict[str, str] = {}
    while i < n and header[i] != ",":
        i = _skip_ows(header, i + 1, n)
        key_start = i
        while i < n:
            char = header[i]
            if char == ",":
                return params, i
            if char == ";":
                break
            if char == "=":
                key = header[key_start : _trim_end(header, key_start, i)].lower()
                i = _skip_ows(header, i + 1, n)
                if i < n and header[i] == '"':
                    i += 1
                    chars: list[str] = []
                    while i < n:
                        char = header[i]
                        i += 1
                        if char == '"':
                            i = _skip_value(header, i, n)
                            params.setdefault(key, "".join(chars))
                            break
                        if char == "\\" and i < n:
                            chars.append(header[i])
                            i += 1
                            continue
                        chars.append(char)
                    break
                value_start = i
                i = _skip_value(header, i, n)
                params.setdefault(key, header[value_start : _trim_end(header, value_start, i)])
                break
            i += 1
    return params, i


def parse_header(header: str) -> list[_Entry]:
    """The entries of an Accept-style header, in header order (empty values kept)."""
    entries: list[_Entry] = []
    n = len(header)
    i = 0
    index = 0
    while i < n:
        start = _skip_ows(header, i, n)
        i = _skip_value(header, start, n)
        value = header[start : _trim_end(header, start, i)]
        params: dict[str, str] = {}
        if i < n and header[i] == ";":
            params, i = _parse_params(header, i, n)
        q_text = params.pop("q", "")
        entries.append(_Entry(value, params, _parse_float(q_text) if q_text else 1.0, index))
        index += 1
        i += 1  # past the comma
    return entries


class _Priority(NamedTuple):
    q: float
    s: int  # specificity
    o: int  # index of the entry that matched (-1: none)
    i: int  # index of the candidate


def _js_truthy(value: float) -> bool:
    return value != 0 and not math.isnan(value)


def _better(current: _Priority, spec: _Priority) -> bool:
    # negotiator: (cur.s - spec.s || cur.q - spec.q || cur.o - spec.o) < 0
    diff: float = current.s - spec.s
    if not _js_truthy(diff):
        diff = current.q - spec.q
        if not _js_truthy(diff):
            diff = current.o - spec.o
    return diff < 0


def _rank(priorities: list[_Priority], provided: list[str]) -> list[str]:
    kept = [p for p in priorities if p.q > 0]
    kept.sort(key=lambda p: (-p.q, -p.s, p.o, p.i))
    return [provided[p.i] for p in kept]


def _all_values(entries: list[_Entry]) -> list[str]:
    kept = [e for e in entries if e.q > 0]
    kept.sort(key=lambda e: -e.q)
    return [e.value for e in kept]


# -- media types -----------------------------------------------------------------------------


def _media_entries(header: str) -> list[_Entry]:
    return [e for e in parse_header(header) if "/" in e.value]


def _media_priority(mime: str, entries: list[_Entry], index: int) -> _Priority:
    best = _Priority(0.0, 0, -1, index)
    parsed = parse_header(mime)
    if not parsed or "/" not in parsed[0].value:
        return best
    offered = parsed[0]
    otype, _, osub = offered.value.lower().partition("/")
    for entry in entries:
        etype, _, esub = entry.value.partition("/")
        s = 0
        if etype.lower() == otype:
            s |= 4
        elif etype != "*":
            continue
        if esub.lower() == osub:
            s |= 2
        elif esub != "*":
            continue
        if entry.params:
            if all(
                v == "*" or v.lower() == offered.params.get(k, "").lower()
                for k, v in entry.params.items()
            ):
                s |= 1
            else:
                continue
        spec = _Priority(entry.q, s, entry.position, index)
        if _better(best, spec):
            best = spec
    return best


def preferred_media_types(header: str | None, provided: list[str] | None = None) -> list[str]:
    """The media types of ``provided`` that ``header`` (Accept) allows, best first.

    Without ``provided``, the header's own types, best first. A missing header is ``*/*``.
    """
    entries = _media_entries("*/*" if header is None else header)
    if provided is None:
        return _all_values(entries)
    return _rank([_media_priority(m, entries, i) for i, m in enumerate(provided)], provided)


@_memoized
def accepts(header: str | None, types: tuple[str, ...]) -> str | list[str] | Literal[False]:
    """Koa's ``request.accepts``: the best of ``types`` (extensions allowed), or ``False``.

    With no ``types``, the accepted types, best first. Without an Accept header (or with an
    empty one), the first of ``types``.
    """
    if not types:
        return preferred_media_types(header)
    if not header:
        return types[0]
    mimes = [kind if "/" in kind else lookup(kind) for kind in types]
    offered = [m for m in mimes if m is not None]
    best = preferred_media_types(header, offered)
    return types[mimes.index(best[0])] if best else False


# -- encodings, charsets, languages ----------------------------------------------------------


def _token_priority(value: str, entries: list[_Entry], index: int) -> _Priority:
    best = _Priority(0.0, 0, -1, index)
    low = value.lower()
    for entry in entries:
        if entry.value.lower() == low:
            s = 1
        elif entry.value == "*":
            s = 0
        else:
            continue
        spec = _Priority(entry.q, s, entry.position, index)
        if _better(best, spec):
            best = spec
    return best


def _encoding_entries(header: str) -> list[_Entry]:
    raw = parse_header(header)
    entries = [e for e in raw if e.value]
    has_identity = any(e.value.lower() == "identity" or e.value == "*" for e in entries)
    if not has_identity:
        # identity is acceptable unless refused, at the lowest quality the client named
        # (an entry with q=0 counts as 1 here, as in negotiator).
        min_q = min((e.q if _js_truthy(e.q) else 1.0 for e in entries), default=1.0)
        entries.append(_Entry("identity", {}, min(min_q, 1.0), len(raw)))
    return entries


def _language_priority(language: str, entries: list[_Entry], index: int) -> _Priority:
    best = _Priority(0.0, 0, -1, index)
    parsed = parse_header(language)
    if not parsed or not parsed[0].value:
        return best
    full = parsed[0].value.lower()
    prefix = full.split("-", 1)[0]
    for entry in entries:
        efull = entry.value.lower()
        if efull == full:
            s = 4
        elif efull.split("-", 1)[0] == full:
            s = 2
        elif efull == prefix:
            s = 1
        elif entry.value == "*":
            s = 0
        else:
            continue
        spec = _Priority(entry.q, s, entry.position, index)
        if _better(best, spec):
            best = spec
    return best


def preferred_encodings(header: str | None, provided: list[str] | None = None) -> list[str]:
    """The encodings of ``provided`` that Accept-Encoding allows, best first."""
    entries = _encoding_entries(header or "")
    if provided is None:
        return _all_values(entries)
    return _rank([_token_priority(v, entries, i) for i, v in enumerate(provided)], provided)


def preferred_charsets(header: str | None, provided: list[str] | None = None) -> list[str]:
    """The charsets of ``provided`` that Accept-Charset allows (a missing header is ``*``)."""
    entries = [e for e in parse_header("*" if header is None else header) if e.value]
    if provided is None:
        return _all_values(entries)
    return _rank([_token_priority(v, entries, i) for i, v in enumerate(provided)], provided)


def preferred_languages(header: str | None, provided: list[str] | None = None) -> list[str]:
    """The languages of ``provided`` that Accept-Language allows (a missing header is ``*``).

    ``en`` offered against ``en-US`` in the header, and ``en-US`` offered against ``en``,
    both match, less precisely than an exact tag.
    """
    entries = [e for e in parse_header("*" if header is None else header) if e.value]
    if provided is None:
        return _all_values(entries)
    return _rank([_language_priority(v, entries, i) for i, v in enumerate(provided)], provided)


def _first(preferred: list[str]) -> str | Literal[False]:
    return preferred[0] if preferred else False


@_memoized
def accepts_encodings(
    header: str | None, encodings: tuple[str, ...]
) -> str | list[str] | Literal[False]:
    """The best of ``encodings`` for Accept-Encoding (``identity`` is implied), or ``False``."""
    if not encodings:
        return preferred_encodings(header)
    return _first(preferred_encodings(header, list(encodings)))


@_memoized
def accepts_charsets(
    header: str | None, charsets: tuple[str, ...]
) -> str | list[str] | Literal[False]:
    """The best of ``charsets`` for Accept-Charset, or ``False``."""
    if not charsets:
        return preferred_charsets(header)
    return _first(preferred_charsets(header, list(charsets)))


@_memoized
def accepts_languages(
    header: str | None, languages: tuple[str, ...]
) -> str | list[str] | Literal[False]:
    """The best of ``languages`` for Accept-Language, or ``False``."""
    if not languages:
        return preferred_languages(header)
    return _first(preferred_languages(header, list(languages)))
