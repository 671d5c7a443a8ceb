"""The support matrix: the test suite on the lowest and newest Python and aiohttp we declare.

``hatch run release:matrix`` (CI runs it) reads the declarations themselves, so a new package
or a raised bound is picked up without editing this file:

- Pythons: the lowest is ``requires-python``'s bound, the newest the highest
  ``Programming Language :: Python :: 3.X`` classifier, over every ``packages/*``; each is
  looked for as ``python3.X`` on ``PATH``, under pyenv's ``versions/``, then among uv's.
- aiohttp: each package's lowest is the lower bound of its own ``aiohttp`` requirement, or of
  koa-core's if that is higher (a package always gets aiohttp through koa-core too); the
  newest is what the resolver picks with no pin.

The cells: the lowest Python on each lowest aiohttp, and the newest aiohttp on the newest
Python, each running the packages' own tests (``--all`` runs every combination, with the root
``tests/``; ``hatch test`` runs everything on the newest aiohttp and the default
Python). Each cell is a fresh virtualenv (uv) with the packages installed editable, the test
dependencies of the ``hatch-test`` environment, and aiohttp pinned to ``==`` the lowest bound
(or left to the newest); it runs pytest on the tests of the packages at that bound (and the
root ``tests/`` when every package shares it). A cell that fails, collects no test, or cannot
find its Python under ``CI=true`` fails the run; outside CI a missing Python is skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from release_check import ROOT, Dist, discover


@dataclass
class Cell:
    python: str
    aiohttp: str  # "newest" or an exact version
    dists: list[Dist]
    with_root_tests: bool
    result: str = "not run"
    resolved_aiohttp: str = ""
    seconds: float = 0.0
    summary: str = ""
    tests: list[str] = field(default_factory=list)


def strings(value: object) -> list[str]:
    """A list of strings from ``pyproject.toml`` (nothing when the key is absent)."""
    return [str(v) for v in value] if isinstance(value, list) else []


def lower_bound(spec: SpecifierSet) -> Version | None:
    bounds = [Version(s.version) for s in spec if s.operator in (">=", "==", "~=")]
    return max(bounds) if bounds else None


def aiohttp_floor(d: Dist, by_name: dict[str, Dist]) -> Version | None:
    """The lowest aiohttp ``d`` can be installed with: its own bound, or koa-core's if higher."""
    requirements = [Requirement(r) for r in strings(d.project.get("dependencies"))]
    bounds = [lower_bound(r.specifier) for r in requirements if r.name.lower() == "aiohttp"]
    if d.name != "koa-core" and any(r.name == "koa-core" for r in requirements):
        bounds.append(aiohttp_floor(by_name["koa-core"], by_name))
    found = [b for b in bounds if b is not None]
    return max(found) if found else None


def declared_pythons(dists: Sequence[Dist]) -> tuple[str, str]:
    lowest = max(lower_bound(SpecifierSet(str(d.project["requires-python"]))) for d in dists)  # type: ignore[type-var]
    pattern = re.compile(r"^Programming Language :: Python :: (3\.\d+)$")
    newest = max(
        (
            Version(m.group(1))
            for d in dists
            for c in strings(d.project.get("classifiers"))
            if (m := pattern.match(str(c)))
        ),
        default=lowest,
    )
    return str(lowest), str(newest)


def find_python(version: str) -> str | None:
    # pyenv's shims answer for every version but run only the selected one: skip them.
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if "shims" not in Path(p).parts
    )
    found = shutil.which(f"python{version}", path=path)
    if found:
        return found
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(pyenv.glob(f"{version}.*/bin/python{version}"), reverse=True):
        return str(candidate)
    done = subprocess.run(
        [sys.executable, "-m", "uv", "python", "find", "--no-python-downloads", version],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


def _test_env() -> dict[str, Any]:
    root = tomlkit.parse((ROOT / "pyproject.toml").read_text("utf-8")).unwrap()
    env: dict[str, Any] = root["tool"]["hatch"]["envs"]["hatch-test"]
    return env


def test_dependencies() -> list[str]:
    env = _test_env()
    return ["pytest", *env.get("dependencies", []), *env.get("extra-dependencies", [])]


def test_env_vars() -> dict[str, str]:
    """The ``hatch-test`` environment's variables, so each cell runs as ``hatch test`` does."""
    return {str(k): str(v) for k, v in _test_env().get("env-vars", {}).items()}


def plan(dists: Sequence[Dist], pythons: Sequence[str], *, full: bool = False) -> list[Cell]:
    """The cells: the lowest Python at each lowest aiohttp, and the newest aiohttp on the
    newest Python, each running the packages' own suites. ``full`` runs every Python with
    every aiohttp, and the root ``tests/`` (examples, integration, services) in the cells that
    install every package. The main ``hatch test`` already runs everything on the newest aiohttp and
    the machine's default Python, so what is left out by default is what is nearest to it."""
    by_name = {d.name: d for d in dists}
    groups: dict[Version, list[Dist]] = {}
    for d in dists:
        bound = aiohttp_floor(d, by_name)
        if bound is not None:
            groups.setdefault(bound, []).append(d)
    cells = []
    for python in pythons:
        if full or python == pythons[0]:
            for bound, members in sorted(groups.items()):
                everyone = len(members) == len(dists)
                cells.append(Cell(python, str(bound), members, full and everyone))
        if full or python == pythons[-1]:
            cells.append(Cell(python, "newest", list(dists), full))
    return cells


def run_cell(cell: Cell, work: Path, core: Dist) -> None:
    interpreter = find_python(cell.python)
    if interpreter is None:
        cell.result = "no python" if os.environ.get("CI") else "skipped: no python"
        cell.summary = f"python{cell.python} not found on PATH, in pyenv or in uv"
        return
    started = time.monotonic()
    venv = work / f"py{cell.python}-aiohttp-{cell.aiohttp}"
    uv: list[str | Path] = [sys.executable, "-m", "uv"]
    subprocess.run([*uv, "venv", "--quiet", "--python", interpreter, venv], check=True)
    python = venv / "bin" / "python"
    installs = {core.folder, *(d.folder for d in cell.dists)}
    if cell.with_root_tests:
        installs = {d.folder for d in discover()}
    editable = [arg for folder in sorted(installs) for arg in ("-e", folder)]
    pin = [] if cell.aiohttp == "newest" else [f"aiohttp=={cell.aiohttp}"]
    done = subprocess.run(
        [
            *uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            python,
            *editable,
            *test_dependencies(),
            *pin,
        ],
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        cell.result = "failed"
        cell.summary = "could not install (see above)"
        cell.seconds = time.monotonic() - started
        return
    cell.resolved_aiohttp = subprocess.run(
        [python, "-c", "import aiohttp; print(aiohttp.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    cell.tests = [str(d.folder.relative_to(ROOT) / "tests") for d in cell.dists]
    if cell.with_root_tests:
        cell.tests.append("tests")
    tests = subprocess.run(
        # The bounds are aiohttp's: the uvicorn half of the suite (the root conftest.py) is
        # the newest uvicorn's, run by `hatch test`.
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--backends=aiohttp", *cell.tests],
        cwd=ROOT,
        env={**os.environ, **test_env_vars()},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = tests.stdout.strip().splitlines()
    cell.summary = lines[-1].strip("= ") if lines else "(no output)"
    cell.seconds = time.monotonic() - started
    # Exit code 5 (nothing collected) is a failure like any other non-zero code.
    cell.result = "passed" if tests.returncode == 0 else f"failed (pytest exit {tests.returncode})"
    if tests.returncode != 0:
        print(tests.stdout[-8000:], tests.stderr[-4000:], sep="\n", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="run on these Pythons instead")
    parser.add_argument("--aiohttp", help="run only the cells of this aiohttp (e.g. newest)")
    parser.add_argument(
        "--all", action="store_true", help="every Python with every aiohttp, and tests/"
    )
    args = parser.parse_args(argv)

    dists = discover()
    pythons = args.python or sorted(set(declared_pythons(dists)), key=Version)
    cells = plan(dists, pythons, full=args.all)
    if args.aiohttp:
        cells = [c for c in cells if c.aiohttp == args.aiohttp]
    core = next(d for d in dists if d.name == "koa-core")
    work = Path(tempfile.mkdtemp(prefix="koa-matrix-"))
    try:
        for cell in cells:
            label = f"Python {cell.python}, aiohttp {cell.aiohttp}"
            print(f"\n== {label}: {', '.join(d.name for d in cell.dists)}", flush=True)
            run_cell(cell, work, core)
            print(f"   {cell.result}: {cell.summary} ({cell.seconds:.0f} s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\n| Python | aiohttp | packages | result | tests | seconds |")
    print("|---|---|---|---|---|---:|")
    for c in cells:
        aiohttp = c.resolved_aiohttp or c.aiohttp
        if c.aiohttp == "newest" and c.resolved_aiohttp:
            aiohttp = f"{c.resolved_aiohttp} (newest)"
        names = ", ".join(d.name for d in c.dists) if len(c.dists) < len(dists) else "all"
        names += " + root tests/" if c.with_root_tests else ""
        print(f"| {c.python} | {aiohttp} | {names} | {c.result} | {c.summary} | {c.seconds:.0f} |")
    bad = [c for c in cells if not (c.result == "passed" or c.result.startswith("skipped"))]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
