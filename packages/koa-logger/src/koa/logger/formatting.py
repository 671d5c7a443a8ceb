"""The fields of a log line, formatted as koa-logger formats them.

``format_time`` is humanize-number over ``Nms`` / ``Ns``; ``format_length`` is the ``bytes``
npm package, lower-cased; ``printable`` keeps request data from steering the terminal.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_UNITS = (("pb", 1 << 50), ("tb", 1 << 40), ("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10))
_CENTS = Decimal("0.01")


def format_time(elapsed_ms: int) -> str:
    """``4ms``, ``1,234ms`` under ten seconds, else whole seconds: ``12s``, ``1,235s``."""
    if elapsed_ms < 10_000:
        return f"{elapsed_ms:,}ms"
    return f"{(elapsed_ms + 500) // 1000:,}s"


def format_length(size: int | None) -> str:
    """``11b``, ``1.5kb``, ``1.13kb``, ``1mb``; ``-`` when unknown or zero (as koa-logger)."""
    if not size:
        return "-"
    if size < 1024:
        return f"{size}b"
    unit, scale = next(pair for pair in _UNITS if size >= pair[1])
    # bytes' ``toFixed(2)`` rounds the exact value of the double half up (1152 -> 1.13kb),
    # where Python's own formatting would round half to even.
    text = str(Decimal(size / scale).quantize(_CENTS, rounding=ROUND_HALF_UP))
    return text.rstrip("0").rstrip(".") + unit


# What most requests log, formatted once: times under a second, sizes under a kilobyte.
TIMES_UNDER_A_SECOND = tuple(f"{ms}ms" for ms in range(1000))
LENGTHS_UNDER_1KB = ("-", *(f"{size}b" for size in range(1, 1024)))


def printable(text: str) -> str:
    """``text`` with control and other invisible characters escaped (``\\x1b``, ``\\u202e``).

    A request line cannot then move the cursor, recolour the terminal or fake a log line.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
