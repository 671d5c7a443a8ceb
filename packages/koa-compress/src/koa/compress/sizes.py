"""Sizes as the ``bytes`` package reads them: ``1024``, ``"1kb"``, ``"1.5mb"`` (powers of 1024)."""

from __future__ import annotations

import re

_UNITS = {"b": 1, "kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "tb": 1 << 40, "pb": 1 << 50}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb|pb)?\s*$", re.IGNORECASE)


def parse_size(value: int | str, option: str) -> int:
    """Bytes for ``value``; ``ValueError`` or ``TypeError`` naming ``option`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"{option} must be an int or a size string, not {type(value).__name__}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{option} must not be negative: {value}")
        return value
    match = _SIZE.match(value)
    if match is None:
        raise ValueError(f"{option} is not a size like '1kb' or 2048: {value!r}")
    number, unit = match.groups()
    return int(float(number) * _UNITS[(unit or "b").lower()])
