"""koa-logger's line formats with and without colour, and when colour is on.

The codes are chalk 4's (what koa-logger 4 prints with ``FORCE_COLOR=1``): gray ``90``,
bold ``1``, and the status colours by class. Every format is built once, at import.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple, TextIO

_RESET_COLOR = "\x1b[39m"
_GRAY = "\x1b[90m"
_CODES = {
    "red": "\x1b[31m",
    "green": "\x1b[32m",
    "yellow": "\x1b[33m",
    "magenta": "\x1b[35m",
    "cyan": "\x1b[36m",
}
# By status class (status // 100). koa-logger has no colour for 6xx and throws on such a
# status; 6xx is yellow here, like every other unusual class.
_STATUS_COLORS = (
    "yellow",
    "green",
    "green",
    "cyan",
    "yellow",
    "red",
    "yellow",
    "magenta",
)


def _gray(text: str) -> str:
    return f"{_GRAY}{text}{_RESET_COLOR}"


def _bold(text: str) -> str:
    return f"\x1b[1m{text}\x1b[22m"


def _colored(name: str, text: str) -> str:
    return f"{_CODES[name]}{text}{_RESET_COLOR}"


class Formats(NamedTuple):
    """%-format strings for each line; the response lines are indexed by ``status_class``."""

    request: str  # method, url
    response: tuple[str, ...]  # method, url, status, time, length
    error: tuple[str, ...]
    closed: tuple[str, ...]


def status_class(status: int) -> int:
    """The index into ``Formats.response`` for ``status``."""
    cls = status // 100
    return cls if 0 <= cls < len(_STATUS_COLORS) else 0


def _build(color: bool) -> Formats:
    if not color:
        request = "  <-- %s %s"
        return Formats(
            request,
            ("  --> %s %s %s %s %s",) * len(_STATUS_COLORS),
            ("  xxx %s %s %s %s %s",) * len(_STATUS_COLORS),
            ("  -x- %s %s %s %s %s",) * len(_STATUS_COLORS),
        )

    def line(marker: str, status_color: str) -> str:
        return " ".join(
            (
                "  " + marker,
                _bold("%s"),
                _gray("%s"),
                _colored(status_color, "%s"),
                _gray("%s"),
                _gray("%s"),
            )
        )

    return Formats(
        f"  {_gray('<--')} {_bold('%s')} {_gray('%s')}",
        tuple(line(_gray("-->"), name) for name in _STATUS_COLORS),
        tuple(line(_colored("red", "xxx"), name) for name in _STATUS_COLORS),
        tuple(line(_colored("yellow", "-x-"), name) for name in _STATUS_COLORS),
    )


PLAIN = _build(False)
COLORED = _build(True)


def color_wanted(stream: TextIO | None, env: Mapping[str, str] = os.environ) -> bool:
    """Whether to colour lines bound for ``stream`` (``None``: not a terminal).

    ``NO_COLOR`` (set and not empty) turns colour off; otherwise ``FORCE_COLOR`` (set and not
    empty) turns it on, except for ``0`` and ``false``, which turn it off; otherwise colour
    is on when ``stream`` is a terminal and ``TERM`` is not ``dumb``.
    """
    if env.get("NO_COLOR"):
        return False
    force = env.get("FORCE_COLOR")
    if force:
        return force.lower() not in ("0", "false")
    if env.get("TERM") == "dumb" or stream is None:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
