"""Pick a precompressed variant (``.br`` or ``.gz``) from ``Accept-Encoding``.

The client's q-values decide; on a tie brotli beats gzip and both beat identity (the point of
precompressing is to send fewer bytes). ``q=0`` refuses an encoding, ``*`` covers the ones
not named. When ``identity`` is not named (nor ``*``) it weighs as little as the least wanted
coding listed, as Koa's ``accepts`` (negotiator) has it: ``gzip;q=0.5`` alone still gets gzip.
A q-value above 1 counts as 1. At most ``MAX_ITEMS`` items are read.
"""

from __future__ import annotations

MAX_ITEMS = 32


def choose(header: str | None, offers: tuple[str, ...]) -> str | None:
    """The best of ``offers`` (``"br"``, ``"gzip"``, in preference order), or ``None``."""
    if not header:
        return None
    weights: dict[str, float] = {}
    least = 1.0  # the lowest non-zero q listed: identity's weight when it is not named
    for item in header.split(",", MAX_ITEMS)[:MAX_ITEMS]:
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if name and name not in weights:
            q = _quality(params)
            weights[name] = q
            if 0.0 < q < least:
                least = q
    star = weights.get("*")
    best: str | None = None
    best_q = 0.0
    for offer in offers:
        q = weights.get(offer, 0.0 if star is None else star)
        if q > best_q:
            best, best_q = offer, q
    if best is None:
        return None
    identity = weights.get("identity", least if star is None else star)
    return best if best_q >= identity else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return min(q, 1.0) if q >= 0.0 else 0.0  # NaN compares False: refused
    return 1.0
