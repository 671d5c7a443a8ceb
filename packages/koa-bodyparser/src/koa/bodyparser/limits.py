"""Size limits: ``"1mb"``, ``"56kb"`` or a number of bytes (the ``bytes`` package's rules)."""

from __future__ import annotations

import re

_UNITS = {
    "b": 1,
    "kb": 1 << 10,
    "mb": 1 << 20,
    "gb": 1 << 30,
    "tb": 1 << 40,
    "pb": 1 << 50,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?\s*$", re.IGNORECASE)


def parse_limit(value: int | str, option: str = "limit") -> int:
    """Bytes for ``value``: an ``int``, or a string such as ``"1mb"`` (units are powers of 1024).

    Raises ``ValueError`` (``TypeError`` for other types) so a bad option fails when the
    middleware is built, not on the first request.
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{option} must be an int or a size string, not {type(value).__name__}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{option} must not be negative: {value}")
        return value
    match = _SIZE.match(value)
    if match is None:
        raise ValueError(f"{option} is not a size like '1mb' or '56kb': {value!r}")
    number, unit = match.groups()
    return int(float(number) * _UNITS[(unit or "b").lower()])
