"""Content negotiation for ``accepts*``, with the rules of negotiator 0.6 (what Koa 3.3 runs,
through accepts 1.3).

Each header is read as a comma-separated list of ``value;param=...`` entries, the way
negotiator reads each one (its regular expressions, its quirks: ``q`` must be lower-case outside
Accept, the first ``q`` counts except in Accept-Language, where the last does). For every
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

# JavaScript's parseFloat: the longest decimal literal at the start, else NaN.
_FLOAT_RE = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_JS_SPACE = " \t\n\r\v\f\u00a0\ufeff"
# JavaScript's \s and String.prototype.trim().
_WS = r"\t\n\x0b\f\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_TRIM = "\t\n\x0b\f\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
    map(chr, range(0x2000, 0x200B))
)
# negotiator 0.6's entry patterns (charset.js and encoding.js, language.js, mediaType.js).
_TOKEN_RE = re.compile(rf"[{_WS}]*([^{_WS};]+)[{_WS}]*(?:;(.*))?")
_LANGUAGE_RE = re.compile(rf"[{_WS}]*([^{_WS}\-;]+)(?:-([^{_WS};]+))?[{_WS}]*(?:;(.*))?")
_MEDIA_RE = re.compile(rf"[{_WS}]*([^{_WS}/;]+)/([^;{_WS}]+)[{_WS}]*(?:;(.*))?")
# What accepts 1.3 (mime-types 2, mime-db 1.52) maps these extensions to, where that differs
# from the newer table the rest of koa-core uses (None: an extension accepts does not know).
_ACCEPTS_EXTENSIONS: dict[str, str | None] = {
    "210": None,
    "aac": "audio/x-aac",
    "adts": None,
    "aml": None,
    "amlx": None,
    "appinstaller": None,
    "appx": None,
    "appxbundle": None,
    "bary": None,
    "bdo": None,
    "blend": None,
    "brush": None,
    "brushset": None,
    "btf": None,
    "cld": None,
    "cwl": None,
    "dcm": None,
    "dcmp": None,
    "dib": None,
    "dng": None,
    "dpx": None,
    "drm": None,
    "es": "application/ecmascript",
    "fbx": None,
    "fdf": "application/vnd.fdf",
    "gdraw": None,
    "gform": None,
    "ggs": None,
    "gjam": None,
    "gmap": None,
    "gscript": None,
    "gsite": None,
    "hsj2": "image/hsj2",
    "ipynb": None,
    "jaii": None,
    "jais": None,
    "jfif": None,
    "jpgm": "video/jpm",
    "js": "application/javascript",
    "jt": None,
    "jxl": None,
    "lottie": None,
    "m2t": None,
    "m2ts": None,
    "m4b": None,
    "mht": None,
    "mhtml": None,
    "mjs": "application/javascript",
    "msix": None,
    "msixbundle": None,
    "mts": "model/vnd.mts",
    "one": None,
    "onea": None,
    "p21": None,
    "prc": "application/x-mobipocket-ebook",
    "pyo": None,
    "pyox": None,
    "sql": "application/x-sql",
    "step": None,
    "stp": None,
    "stpnc": None,
    "u3d": None,
    "uo": None,
    "usda": None,
    "vdx": None,
    "vsdx": None,
    "vtx": None,
    "wav": "audio/wave",
    "wgsl": None,
    "xdcf": None,
    "xfdf": "application/vnd.adobe.xfdf",
    "xhtm": None,
    "xsf": None,
}


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


def _split_quoted(text: str, sep: str) -> list[str]:
    """``text.split(sep)``, with a piece inside an open double quote joined to the next."""
    pieces = text.split(sep)
    out = [pieces[0]]
    for piece in pieces[1:]:
        if out[-1].count('"') % 2 == 0:
            out.append(piece)
        else:
            out[-1] += sep + piece
    return out


def _media_entry(text: str, index: int) -> _Entry | None:
    """One Accept entry (``type/subtype;params``); parameters after ``q`` are dropped."""
    match = _MEDIA_RE.fullmatch(text)
    if match is None:
        return None
    params: dict[str, str] = {}
    q = 1.0
    if match.group(3):
        for param in _split_quoted(match.group(3), ";"):
            key, eq, value = param.strip(_TRIM).partition("=")
            key = key.lower()
            if value[:1] == '"' and value[-1:] == '"':
                value = value[1:-1]
            if key == "q":
                q = _parse_float(value) if eq else math.nan
                break
            params[key] = value
    return _Entry(f"{match.group(1)}/{match.group(2)}", params, q, index)


def _media_entries(header: str) -> list[_Entry]:
    entries = (
        _media_entry(part.strip(_TRIM), i) for i, part in enumerate(_split_quoted(header, ","))
    )
    return [entry for entry in entries if entry is not None]


def _token_entries(header: str) -> list[_Entry]:
    """Accept-Charset or Accept-Encoding entries: the first ``q`` (lower-case) counts."""
    entries: list[_Entry] = []
    for i, part in enumerate(header.split(",")):
        match = _TOKEN_RE.fullmatch(part.strip(_TRIM))
        if match is None:
            continue
        q = 1.0
        if match.group(2):
            for param in match.group(2).split(";"):
                pair = param.strip(_TRIM).split("=")
                if pair[0] == "q":
                    q = _parse_float(pair[1]) if len(pair) > 1 else math.nan
                    break
        entries.append(_Entry(match.group(1), {}, q, i))
    return entries


def _language_entry(text: str, index: int) -> _Entry | None:
    """One Accept-Language entry; the last ``q`` counts, written exactly ``q=``."""
    match = _LANGUAGE_RE.fullmatch(text)
    if match is None:
        return None
    prefix, suffix, params = match.groups()
    q = 1.0
    if params:
        for param in params.split(";"):
            pair = param.split("=")
            if pair[0] == "q":
                q = _parse_float(pair[1]) if len(pair) > 1 else math.nan
    return _Entry(f"{prefix}-{suffix}" if suffix else prefix, {}, q, index)


def _language_entries(header: str) -> list[_Entry]:
    entries = (_language_entry(part.strip(_TRIM), i) for i, part in enumerate(header.split(",")))
    return [entry for entry in entries if entry is not None]


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


def _media_priority(mime: str, entries: list[_Entry], index: int) -> _Priority:
    best = _Priority(0.0, 0, -1, index)
    offered = _media_entry(mime, 0)
    if offered is None:
        return best
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
    mimes = [kind if "/" in kind else _extension_type(kind) for kind in types]
    offered = [m for m in mimes if m is not None]
    best = preferred_media_types(header, offered)
    return types[mimes.index(best[0])] if best else False


def _extension_type(kind: str) -> str | None:
    """The mime type accepts 1.3 gives an extension (``"html"``, ``".json"``, ``"a.js"``)."""
    extension = kind.rpartition(".")[2].lower()
    if extension in _ACCEPTS_EXTENSIONS:
        return _ACCEPTS_EXTENSIONS[extension]
    return lookup(kind)


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
    entries = _token_entries(header)
    has_identity = any(e.value.lower() == "identity" or e.value == "*" for e in entries)
    if not has_identity:
        # identity is acceptable unless refused, at the lowest quality the client named
        # (an entry with q=0 counts as 1 here, as in negotiator).
        min_q = min((e.q if _js_truthy(e.q) else 1.0 for e in entries), default=1.0)
        entries.append(_Entry("identity", {}, min(min_q, 1.0), header.count(",") + 1))
    return entries


def _language_priority(language: str, entries: list[_Entry], index: int) -> _Priority:
    best = _Priority(0.0, 0, -1, index)
    offered = _language_entry(language, 0)
    if offered is None:
        return best
    full = offered.value.lower()
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
    entries = _token_entries("*" if header is None else header)
    if provided is None:
        return _all_values(entries)
    return _rank([_token_priority(v, entries, i) for i, v in enumerate(provided)], provided)


def preferred_languages(header: str | None, provided: list[str] | None = None) -> list[str]:
    """The languages of ``provided`` that Accept-Language allows (a missing header is ``*``).

    ``en`` offered against ``en-US`` in the header, and ``en-US`` offered against ``en``,
    both match, less precisely than an exact tag.
    """
    entries = _language_entries("*" if header is None else header)
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
