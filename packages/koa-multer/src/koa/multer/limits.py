"""``Limits``: multer's limits in snake_case, every one finite by default."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

MB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one request may carry. Sizes are in bytes, counts are per request.

    multer leaves ``file_size``, ``files``, ``fields`` and ``parts`` unlimited; here every
    limit has a finite default, so a route is safe without configuration.
    """

    file_size: int = 10 * MB
    """Bytes in one file (413 beyond)."""
    files: int = 10
    """File parts in the request (400 beyond)."""
    fields: int = 1000
    """Text fields in the request (400 beyond)."""
    field_size: int = 1 * MB
    """Bytes in one text field's value (413 beyond)."""
    field_name_size: int = 100
    """Bytes in one field name, as sent (400 beyond)."""
    parts: int = 1000
    """Parts of any kind, files and fields together (400 beyond)."""
    header_pairs: int = 16
    """Header lines in one part; browsers send two (400 beyond)."""
    total_size: int = 100 * MB
    """Bytes in the whole request body (413 beyond, at once when ``Content-Length`` says so)."""


_NAMES = tuple(field.name for field in dataclasses.fields(Limits))


def resolve_limits(limits: Mapping[str, int] | Limits | None) -> Limits:
    """The defaults with ``limits`` applied. Unknown keys and bad values fail here, when the
    middleware is built, not on the first request."""
    if limits is None:
        return Limits()
    if isinstance(limits, Limits):
        given: Mapping[str, int] = dataclasses.asdict(limits)
    elif isinstance(limits, Mapping):
        given = limits
    else:
        raise TypeError(f"limits must be a mapping or Limits, not {type(limits).__name__}")
    for key, value in given.items():
        if key not in _NAMES:
            raise ValueError(f"unknown limit {key!r}; the limits are {', '.join(_NAMES)}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"limits[{key!r}] must be an int, not {type(value).__name__}")
        if value < 0:
            raise ValueError(f"limits[{key!r}] must not be negative: {value}")
    if given.get("header_pairs") == 0:
        raise ValueError("limits['header_pairs'] must be at least 1 (Content-Disposition)")
    return dataclasses.replace(Limits(), **given)
