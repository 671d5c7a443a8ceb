"""Helpers shared by the koa-logger tests: a transporter that keeps the lines it is given.

Imported by name (``from logger_helpers import Capture``): the root ``pyproject.toml`` puts
each package's tests folder on ``sys.path`` (pytest's ``pythonpath``), as tests run with
``--import-mode=importlib``.
"""

from __future__ import annotations

import asyncio

from koa.logger import LogArgs


class Capture:
    """A transporter that keeps what it receives and lets a test wait for lines."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, LogArgs]] = []
        self._grew = asyncio.Event()

    def __call__(self, line: str, args: LogArgs) -> None:
        self.entries.append((line, args))
        self._grew.set()

    async def wait(self, count: int) -> list[tuple[str, LogArgs]]:
        while len(self.entries) < count:
            self._grew.clear()
            await asyncio.wait_for(self._grew.wait(), 5)
        return self.entries

    @property
    def lines(self) -> list[str]:
        return [line for line, _ in self.entries]
