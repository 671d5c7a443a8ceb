"""Every example imports without serving, exposes ``app``, and has integration tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from koa.core import Koa

Loader = Callable[[str], ModuleType]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def example_files() -> list[str]:
    """Runnable examples: ``examples/*.py`` and ``examples/<package>/example.py``."""
    files = [p.name for p in EXAMPLES.glob("*.py")]
    files += [f"{p.parent.name}/{p.name}" for p in EXAMPLES.glob("*/example.py")]
    return sorted(files)


def test_the_examples_are_found() -> None:
    assert {"app.py", "hello.py", "koa-request-id/example.py"} <= set(example_files())


@pytest.mark.parametrize("name", example_files())
def test_importing_an_example_does_not_serve(load_example: Loader, name: str) -> None:
    module = load_example(name)  # would block here if it served at import time
    assert isinstance(module.app, Koa)
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    assert re.search(r'^if __name__ == "__main__":\n', source, re.M), name
    assert source.startswith('"""'), f"{name} starts with a docstring saying what it shows"


@pytest.mark.parametrize("name", example_files())
def test_every_example_has_integration_tests(name: str) -> None:
    mentions = [
        test.name
        for test in (ROOT / "tests").glob("test_example_*.py")
        if test.name != "test_example_all.py" and f'"{name}"' in test.read_text(encoding="utf-8")
    ]
    assert mentions, f"no tests/test_example_*.py loads {name}"
