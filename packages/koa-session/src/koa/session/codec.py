"""The cookie value koa-session writes: base64 of the session's JSON.

``{"count":1,"_expire":1764590000000,"_maxAge":86400000}`` travels as
``eyJjb3VudCI6MSwiX2V4cGlyZSI6MTc2NDU5MDAwMDAwMCwiX21heEFnZSI6ODY0MDAwMDB9`` (standard
base64 with padding, as Node's ``Buffer.toString("base64")``). JSON is written as
``JSON.stringify`` writes it: compact, non-ASCII kept.
"""

from __future__ import annotations

import base64
import json
from typing import Any

__all__ = ["decode", "dumps", "encode", "loads"]

_URLSAFE = str.maketrans("-_", "+/")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def dumps(data: Any) -> str:
    """``JSON.stringify(data)`` (``TypeError`` for what JSON cannot hold)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def loads(text: str | bytes) -> Any:
    """``JSON.parse(text)``: ``ValueError`` for anything it refuses (NaN included)."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:  # '[[[[...' nested deeper than Python recurses
        raise ValueError("JSON nested too deeply") from None


def encode(data: dict[str, Any]) -> str:
    """The default ``encode``: base64 of the JSON."""
    return base64.b64encode(dumps(data).encode()).decode("ascii")


def decode(text: str) -> dict[str, Any]:
    """The default ``decode``; ``ValueError`` for a value that is not base64 JSON.

    Like Node's base64 decoder it takes the URL-safe alphabet too, and missing padding.
    """
    text = text.translate(_URLSAFE).rstrip("=")
    raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    data = loads(raw.decode("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("a session is a JSON object")
    return data
