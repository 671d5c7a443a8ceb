"""Content negotiation (the ``negotiator`` package's rules) for ``accepts*``."""

from __future__ import annotations

from typing import NamedTuple

from .mime import lookup


class _Spec(NamedTuple):
    value: str
    params: tuple[tuple[str, str], ...]
    q: float
    order: int


def _parse_q(params: list[str]) -> tuple[float, tuple[tuple[str, str], ...]]:
    q = 1.0
    rest: list[tuple[str, str]] = []
    for param in params:
        name, _, val = param.partition("=")
        name = name.strip().lower()
        val = val.strip().strip('"')
        if name == "q":
            try:
                q = float(val)
            except ValueError:
                q = 0.0
            if not 0.0 <= q <= 1.0:
                q = 0.0
        else:
            rest.append((name, val))
    return q, tuple(rest)


def _split(header: str) -> list[_Spec]:
    specs: list[_Spec] = []
    for index, part in enumerate(header.split(",")):
        pieces = part.split(";")
        value = pieces[0].strip()
        if not value:
            continue
        q, params = _parse_q(pieces[1:])
        specs.append(_Spec(value, params, q, index))
    return specs


def _sorted(candidates: list[tuple[float, int, int, int, str]]) -> list[str]:
    # Highest q first, then most specific, then the header's order, then the caller's order.
    candidates.sort(key=lambda c: (-c[0], -c[1], c[2], c[3]))
    return [c[4] for c in candidates if c[0] > 0]


# -- media types ---------------------------------------------------------------------------


def _media_specificity(spec: _Spec, mime: str) -> int:
    """-1 when ``spec`` does not match ``mime``; else how precisely it does."""
    stype, _, ssub = spec.value.lower().partition("/")
    mtype, _, msub = mime.lower().partition("/")
    score = 0
    if stype == mtype:
        score |= 4
    elif stype != "*":
        return -1
    if ssub == msub:
        score |= 2
    elif ssub != "*":
        return -1
    if spec.params:
        score |= 1
    return score


def preferred_media_types(header: str | None, provided: list[str] | None) -> list[str]:
    """Media types from ``provided`` acceptable to ``header``, best first."""
    accept = "*/*" if header is None else header
    specs = [s for s in _split(accept) if "/" in s.value]
    if provided is None:
        ordered = sorted((s for s in specs if s.q > 0), key=lambda s: (-s.q, s.order))
        return [s.value for s in ordered]
    candidates: list[tuple[float, int, int, int, str]] = []
    for order, mime in enumerate(provided):
        best: tuple[float, int, int] | None = None
        for spec in specs:
            score = _media_specificity(spec, mime)
            if score < 0:
                continue
            if best is None or (score, -spec.order) > (best[1], -best[2]):
                best = (spec.q, score, spec.order)
        if best is not None:
            candidates.append((best[0], best[1], best[2], order, mime))
    return _sorted(candidates)


def accepts(header: str | None, types: tuple[str, ...]) -> str | list[str] | bool:
    """Koa's ``request.accepts``: the best of ``types`` (extensions allowed), or ``False``."""
    if not types:
        return preferred_media_types(header, None)
    if header is None:
        return types[0]
    mimes: list[str] = []
    originals: dict[str, str] = {}
    for kind in types:
        mime = kind if "/" in kind else lookup(kind)
        if mime and mime not in originals:
            originals[mime] = kind
            mimes.append(mime)
    best = preferred_media_types(header, mimes)
    return originals[best[0]] if best else False


# -- encodings, charsets, languages --------------------------------------------------------


def _simple_preferred(
    header: str | None, provided: list[str] | None, *, identity: bool = False
) -> list[str]:
    specs = _split(header or "")
    if identity and not any(s.value.lower() in ("identity", "*") for s in specs):
        # "identity" is acceptable unless the header refuses it explicitly.
        min_q = min((s.q for s in specs), default=1.0)
        specs.append(_Spec("identity", (), min_q, len(specs)))
    if provided is None:
        ordered = sorted((s for s in specs if s.q > 0), key=lambda s: (-s.q, s.order))
        return [s.value for s in ordered]
    candidates: list[tuple[float, int, int, int, str]] = []
    for order, value in enumerate(provided):
        best: tuple[float, int, int] | None = None
        low = value.lower()
        for spec in specs:
            sval = spec.value.lower()
            if sval == low:
                score = 2
            elif sval == "*":
                score = 0
            else:
                continue
            if best is None or (score, -spec.order) > (best[1], -best[2]):
                best = (spec.q, score, spec.order)
        if best is not None:
            candidates.append((best[0], best[1], best[2], order, value))
    return _sorted(candidates)


def _language_preferred(header: str | None, provided: list[str] | None) -> list[str]:
    specs = _split(header or "*")
    if provided is None:
        ordered = sorted((s for s in specs if s.q > 0), key=lambda s: (-s.q, s.order))
        return [s.value for s in ordered]
    candidates: list[tuple[float, int, int, int, str]] = []
    for order, lang in enumerate(provided):
        best: tuple[float, int, int] | None = None
        low = lang.lower()
        for spec in specs:
            sval = spec.value.lower()
            if sval == low:
                score = 4
            elif sval == "*":
                score = 0
            elif low.split("-")[0] == sval:
                score = 2
            elif sval.split("-")[0] == low:
                score = 1
            else:
                continue
            if best is None or (score, -spec.order) > (best[1], -best[2]):
                best = (spec.q, score, spec.order)
        if best is not None:
            candidates.append((best[0], best[1], best[2], order, lang))
    return _sorted(candidates)


def _pick(preferred: list[str], types: tuple[str, ...]) -> str | list[str] | bool:
    if not types:
        return preferred
    return preferred[0] if preferred else False


def accepts_encodings(header: str | None, types: tuple[str, ...]) -> str | list[str] | bool:
    """The best of ``types`` for Accept-Encoding (``identity`` is implied), or ``False``."""
    return _pick(_simple_preferred(header, list(types) or None, identity=True), types)


def accepts_charsets(header: str | None, types: tuple[str, ...]) -> str | list[str] | bool:
    """The best of ``types`` for Accept-Charset, or ``False``."""
    if header is None:
        return types[0] if types else ["*"]
    return _pick(_simple_preferred(header, list(types) or None), types)


def accepts_languages(header: str | None, types: tuple[str, ...]) -> str | list[str] | bool:
    """The best of ``types`` for Accept-Language, or ``False``."""
    if header is None:
        return types[0] if types else ["*"]
    return _pick(_language_preferred(header, list(types) or None), types)
