"""Pick a precompressed variant (``.br`` or ``.gz``) from ``Accept-Encoding``.

The client's q-values decide; on a tie brotli beats gzip and both beat identity (the point of
precompressing is to send fewer bytes). ``q=0`` refuses an encoding, ``*`` covers the ones
not named. At most ``MAX_ITEMS`` items are read.
"""

from __future__ import annotations

MAX_ITEMS = 32


def choose(header: str | None, offers: tuple[str, ...]) -> str | None:
    """The best of ``offers`` (``"br"``, ``"gzip"``, in preference order), or ``None``."""
    if not header:
        return None
    weights: dict[str, float] = {}
    for item in header.split(",", MAX_ITEMS)[:MAX_ITEMS]:
        name, _, params = item.partition(";")
        name = name.strip().lower()
        if name and name not in weights:
            weights[name] = _quality(params)
    star = weights.get("*")
    best: str | None = None
    best_q = 0.0
    for offer in offers:
        q = weights.get(offer, 0.0 if star is None else star)
        if q > best_q:
            best, best_q = offer, q
    if best is None:
        return None
    identity = weights.get("identity", 1.0 if star is None else star)
    return best if best_q >= identity else None


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0
