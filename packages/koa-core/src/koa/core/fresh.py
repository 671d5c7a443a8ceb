"""The ``fresh`` package: is the client's cached copy current (``ctx.fresh``)?"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone

from multidict import CIMultiDictProxy

from .headers import header_value

_NO_CACHE_RE = re.compile(r"(?:^|,)\s*?no-cache\s*?(?:,|$)")


def _parse_http_date(value: str) -> float | None:
    """An HTTP date (or, as ``Date.parse`` also reads them, an ISO 8601 one) as a timestamp."""
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    text = value.strip()
    if not text[:4].isdigit():
        return None
    try:
        when = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _etag_matches(etag: str, none_match: str) -> bool:
    for tag in none_match.split(","):
        tag = tag.strip(" ")
        if tag == etag or tag == f"W/{etag}" or f"W/{tag}" == etag:
            return True
    return False


def is_fresh(req_headers: CIMultiDictProxy[str], res_headers: Mapping[str, str]) -> bool:
    """The ``fresh`` npm package: is the client's cached copy current?

    If-None-Match, when sent, decides alone: ``*`` or a weak match with the ETag is fresh.
    Otherwise If-Modified-Since must not be older than Last-Modified.
    ``Cache-Control: no-cache`` in the request always means stale.
    """
    modified_since = req_headers.get("If-Modified-Since")
    # Repeated If-None-Match or Cache-Control lines read as one list, as Node joins them.
    none_match = header_value(req_headers, "If-None-Match")
    if not modified_since and not none_match:
        return False
    cache_control = header_value(req_headers, "Cache-Control")
    if cache_control and _NO_CACHE_RE.search(cache_control):
        return False
    if none_match:
        if none_match == "*":
            return True
        etag = res_headers.get("ETag")
        if not etag:
            return False
        return _etag_matches(etag, none_match)
    last_modified = res_headers.get("Last-Modified")
    if not last_modified or modified_since is None:
        return False
    modified = _parse_http_date(last_modified)
    since = _parse_http_date(modified_since)
    return modified is not None and since is not None and modified <= since
