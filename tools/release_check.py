"""The release check: every distribution under ``packages/`` is ready to publish.

``hatch run release:check`` (CI runs it) does, for every ``packages/<dist>/`` it finds:

1. metadata: the fields every distribution carries (``docs/releasing.md``, "Adding a
   package"), a version in ``src/koa/<name>/__about__.py`` with its ``CHANGELOG.md`` heading,
   the root ``LICENSE``, and pins on koa-core that admit koa-core's current version;
2. build: the sdist, then the wheel from that sdist (so a file the sdist forgot fails here),
   all into one folder (``dist/`` unless ``--dist DIR``);
3. ``twine check --strict``: metadata and README rendering;
4. contents: no wheel holds ``koa/__init__.py`` (``koa`` is a namespace shared by every
   distribution), each holds ``koa/<name>/py.typed`` and its license, each sdist its
   README, LICENSE and CHANGELOG;
5. install, in fresh virtualenvs run from an empty folder with ``python -I`` (nothing of the
   repository on the path) and pip able to see only the built files and the third-party
   wheels they need: ``koa-core`` alone (a small app over a real socket, and importing every
   ``koa.core`` module loads no sibling); ``koa-router`` alone, which must pull koa-core from
   the built wheels (an app with a router); then every distribution (an app using them, every
   package imported, every console script answering ``--help``, and ``koa.core`` still
   importing no sibling).

Nothing is uploaded. Exit status 0 when everything passed, 1 with the list of failures.
"""

from __future__ import annotations

import argparse
import email.parser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import zipfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
REPOSITORY = "https://github.com/koa-python/koa"
DOCS = "https://koa-python.github.io/koa/"

# Classifiers every distribution declares; a package may add more of its own.
REQUIRED_CLASSIFIERS = (
    "Development Status :: 3 - Alpha",
    "Framework :: AsyncIO",
    "Intended Audience :: Developers",
    "Operating System :: OS Independent",
    "Programming Language :: Python :: 3 :: Only",
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.13",
    "Typing :: Typed",
)
REQUIRED_KEYWORDS = ("koa", "asyncio")
WHEEL_INSTALL_TIMEOUT = 600  # seconds for one pip install; a shared machine is slow


@dataclass(frozen=True)
class Dist:
    """One distribution of the monorepo: ``packages/<name>/``."""

    folder: Path
    name: str  # the distribution name, e.g. koa-router
    module: str  # the import name under the namespace, e.g. router
    version: str
    project: dict[str, object]


def discover(root: Path = ROOT) -> list[Dist]:
    """Every ``packages/*/pyproject.toml``, koa-core first (the others depend on it)."""
    dists = []
    for pyproject in sorted(root.glob("packages/*/pyproject.toml")):
        data = tomlkit.parse(pyproject.read_text(encoding="utf-8")).unwrap()
        project = data.get("project", {})
        name = str(project.get("name", pyproject.parent.name))
        module = name.removeprefix("koa-").replace("-", "_")
        about = pyproject.parent / "src" / "koa" / module / "__about__.py"
        version = project.get("version")
        if version is None and about.is_file():
            found = re.search(r'^__version__ = "([^"]+)"', about.read_text("utf-8"), re.M)
            version = found.group(1) if found else None
        dists.append(Dist(pyproject.parent, name, module, str(version), project))
    return sorted(dists, key=lambda d: (d.name != "koa-core", d.name))


def requirements(d: Dist) -> list[str]:
    """The ``dependencies`` lines of ``d``'s ``pyproject.toml``."""
    found = d.project.get("dependencies")
    return [str(line) for line in found] if isinstance(found, list) else []


def lowest(req: Requirement) -> Version:
    """The lowest version ``req`` admits by its ``>=``/``==``/``~=`` bounds (0 without one)."""
    bounds = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
    return max(bounds, default=Version("0"))


# -- 1. metadata ------------------------------------------------------------------------------


def expected_urls(dist: str) -> dict[str, str]:
    return {
        "Homepage": DOCS,
        "Documentation": f"{DOCS}packages/{dist}/",
        "Repository": REPOSITORY,
        "Changelog": f"{REPOSITORY}/blob/main/packages/{dist}/CHANGELOG.md",
        "Issues": f"{REPOSITORY}/issues",
    }


def check_metadata(dists: Sequence[Dist], root: Path = ROOT) -> list[str]:
    """What each ``pyproject.toml`` lacks, as messages naming the package and the field."""
    errors: list[str] = []
    license_text = (root / "LICENSE").read_bytes()
    versions = {d.name: d.version for d in dists}
    # A package that also requires one of koa-core's dependencies (aiohttp) cannot claim a
    # lower version than koa-core's: the support matrix would test a claim never installable.
    core_requirements = [
        Requirement(line) for d in dists if d.name == "koa-core" for line in requirements(d)
    ]
    core_floor = {canonicalize_name(r.name): lowest(r) for r in core_requirements}
    for d in dists:
        p = d.project
        where = f"packages/{d.folder.name}/pyproject.toml"

        def need(ok: object, what: str, *, where: str = where) -> None:
            if not ok:
                errors.append(f"{where}: {what}")

        raw = tomlkit.parse((d.folder / "pyproject.toml").read_text("utf-8")).unwrap()
        version_path = raw.get("tool", {}).get("hatch", {}).get("version", {}).get("path")
        need(
            p.get("dynamic") == ["version"] and "version" not in p,
            'dynamic = ["version"], with no static version',
        )
        need(
            version_path == f"src/koa/{d.module}/__about__.py",
            f'[tool.hatch.version] path = "src/koa/{d.module}/__about__.py"',
        )
        try:
            Version(d.version)
        except ValueError:
            need(False, f"a PEP 440 __version__ in src/koa/{d.module}/__about__.py")
        need(p.get("readme") == "README.md", 'readme = "README.md"')
        need((d.folder / "README.md").is_file(), "README.md next to it")
        need(p.get("requires-python") == ">=3.10", 'requires-python = ">=3.10"')
        need(p.get("license") == "MIT", 'license = "MIT"')
        need(p.get("license-files") == ["LICENSE"], 'license-files = ["LICENSE"]')
        lic = d.folder / "LICENSE"
        need(lic.is_file() and lic.read_bytes() == license_text, "LICENSE: a copy of the root one")
        need(p.get("authors"), "authors")
        keywords = p.get("keywords") or []
        need(
            isinstance(keywords, list) and all(k in keywords for k in REQUIRED_KEYWORDS),
            f"keywords including {', '.join(REQUIRED_KEYWORDS)}",
        )
        classifiers = p.get("classifiers") or []
        assert isinstance(classifiers, list)
        for c in REQUIRED_CLASSIFIERS:
            need(c in classifiers, f'classifier "{c}"')
        need(p.get("urls") == expected_urls(d.name), f"[project.urls] {expected_urls(d.name)}")
        changelog = d.folder / "CHANGELOG.md"
        heading = re.compile(rf"^## {re.escape(d.version)}\b", re.M)
        need(
            changelog.is_file() and heading.search(changelog.read_text("utf-8")),
            f"a '## {d.version}' section in CHANGELOG.md",
            where=f"packages/{d.folder.name}",
        )
        need(
            not (d.folder / "src" / "koa" / "__init__.py").exists(),
            "no src/koa/__init__.py (koa is a namespace package)",
            where=f"packages/{d.folder.name}",
        )
        for line in requirements(d):
            req = Requirement(str(line))
            sibling = canonicalize_name(req.name)
            floor = core_floor.get(sibling)
            if d.name != "koa-core" and floor is not None and lowest(req) < floor:
                need(
                    False, f"{line!r}: below koa-core's {sibling}>={floor}, which it can never get"
                )
            if sibling in versions and sibling != "koa-core":
                need(False, f"depends on {sibling}: a middleware depends on koa-core only")
            elif sibling in versions and not req.specifier.contains(versions[sibling], True):
                need(False, f"{line!r} does not admit {sibling} {versions[sibling]}: bump the pin")
    return errors


# -- 2 to 4. build, twine, contents -----------------------------------------------------------


def run(cmd: Sequence[str | Path], *, cwd: Path | None = None, timeout: float = 900) -> str:
    """Run ``cmd``; its output, or ``CalledProcessError`` with the output in the message."""
    shown = " ".join(str(c) for c in cmd)
    print(f"$ {shown}", flush=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise CheckFailed(f"{shown} exited {done.returncode}:\n{done.stdout[-6000:]}")
    return done.stdout


class CheckFailed(Exception):
    """A step failed; the message says which and shows its output."""


def build(dists: Sequence[Dist], out: Path) -> None:
    # uv builds the sdist first and the wheel from the unpacked sdist. A build mostly waits
    # (on hatchling's start-up), so four at once take a quarter of the time; the first
    # failure is raised once the others have finished.
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = [
            pool.submit(
                run, [sys.executable, "-m", "uv", "build", "--quiet", "--out-dir", out, d.folder]
            )
            for d in dists
        ]
    for future in done:
        future.result()


def artifacts(out: Path, d: Dist) -> tuple[Path, Path]:
    stem = f"{d.name.replace('-', '_')}-{d.version}"
    wheel, sdist = out / f"{stem}-py3-none-any.whl", out / f"{stem}.tar.gz"
    for f in (wheel, sdist):
        if not f.is_file():
            raise CheckFailed(f"{d.name}: {f.name} was not built")
    return wheel, sdist


def check_contents(dists: Sequence[Dist], out: Path) -> list[str]:
    errors = []
    for d in dists:
        wheel, sdist = artifacts(out, d)
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
            metadata = email.parser.Parser().parsestr(zf.read(f"{info}/METADATA").decode())
        if "koa/__init__.py" in names:
            errors.append(f"{wheel.name}: holds koa/__init__.py (koa must stay a namespace)")
        stray = [n for n in names if not n.startswith((f"koa/{d.module}/", f"{info}/"))]
        if stray:
            errors.append(f"{wheel.name}: files outside koa/{d.module}/: {stray[:5]}")
        if f"koa/{d.module}/py.typed" not in names:
            errors.append(f"{wheel.name}: no koa/{d.module}/py.typed")
        if f"{info}/licenses/LICENSE" not in names:
            errors.append(f"{wheel.name}: no {info}/licenses/LICENSE")
        if metadata.get("License-Expression") != "MIT":
            errors.append(
                f"{wheel.name}: License-Expression is {metadata.get('License-Expression')}"
            )
        if len(metadata.get_all("Project-URL") or []) != len(expected_urls(d.name)):
            errors.append(f"{wheel.name}: Project-URL entries {metadata.get_all('Project-URL')}")
        with tarfile.open(sdist) as tf:
            members = {m.name.split("/", 1)[-1] for m in tf.getmembers()}
        for needed in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml", "PKG-INFO"):
            if needed not in members:
                errors.append(f"{sdist.name}: no {needed}")
        junk = sorted(m for m in members if "__pycache__" in m or m.startswith("dist/"))
        if junk:
            errors.append(f"{sdist.name}: build leftovers {junk[:5]}")
    return errors


# -- 5. installs ------------------------------------------------------------------------------

# Each smoke script runs with `python -I` from an empty folder: it sees only the virtualenv.
SERVE = """
import asyncio, importlib, pkgutil, sys

async def fetch(port, raw):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    data = await asyncio.wait_for(reader.read(), 60)
    writer.close()
    head, _, body = data.partition(b"\\r\\n\\r\\n")
    return head.split(b"\\r\\n")[0].decode(), body

def get(path):
    return f"GET {path} HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n".encode()

def expect(got, want):
    assert got == want, f"got {got!r}, want {want!r}"
    print("ok", want)

def core_loads_no_sibling():
    import koa.core
    for info in pkgutil.walk_packages(koa.core.__path__, "koa.core."):
        if info.name.endswith(".__main__"):  # `python -m koa.core` runs the CLI
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional extra (gunicorn) is not installed
            if (exc.name or "koa").startswith("koa"):
                raise
            print(f"ok {info.name} needs {exc.name}, an extra not installed here")
    loaded = sorted(n for n in sys.modules if n.startswith("koa.") and n.split(".")[1] != "core")
    assert not loaded, f"importing koa.core loaded {loaded}"
    import koa
    assert getattr(koa, "__file__", None) is None, f"koa is not a namespace: {koa.__file__}"
    print("ok koa.core imports no sibling; koa is a namespace")
"""

SMOKE_CORE = """
core_loads_no_sibling()
from koa.core import Koa

async def main():
    app = Koa()

    @app.use
    async def hello(ctx, next):
        ctx.body = {"path": ctx.path}

    server = await app.serve(0)
    try:
        expect(await fetch(server.port, get("/core")), ("HTTP/1.1 200 OK", b'{"path":"/core"}'))
    finally:
        await server.close()

asyncio.run(main())
"""

SMOKE_ROUTER = """
from koa.core import Koa
from koa.router import Router

async def main():
    router = Router()

    @router.get("/users/:id")
    async def user(ctx, next):
        ctx.body = {"id": ctx.params["id"]}

    app = Koa().use(router.routes()).use(router.allowed_methods())
    server = await app.serve(0)
    try:
        expect(await fetch(server.port, get("/users/7")), ("HTTP/1.1 200 OK", b'{"id":"7"}'))
        expect((await fetch(server.port, get("/nope")))[0], "HTTP/1.1 404 Not Found")
    finally:
        await server.close()

asyncio.run(main())
"""

SMOKE_ALL = """
import io, json, tempfile
from pathlib import Path
core_loads_no_sibling()
for name in MODULES:
    module = importlib.import_module(f"koa.{name}")
    for export in getattr(module, "__all__", ()):
        getattr(module, export)
    print(f"ok koa.{name} imports, with its __all__")

from koa.bodyparser import bodyparser
from koa.core import Koa
from koa.logger import logger
from koa.mount import mount
from koa.router import Router
from koa.static import serve

async def main():
    lines = []
    files = tempfile.mkdtemp()
    Path(files, "a.txt").write_text("file a")
    router = Router()

    @router.post("/echo")
    async def echo(ctx, next):
        ctx.body = {"got": ctx.request.body}

    api = Koa().use(bodyparser()).use(router.routes()).use(router.allowed_methods())
    app = Koa().use(logger(transporter=lambda line, args: lines.append(line), color=False))
    app.use(mount("/api", api)).use(mount("/files", serve(files)))
    server = await app.serve(0)
    try:
        body = json.dumps({"a": 1}).encode()
        post = (
            b"POST /api/echo HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n"
            b"Content-Type: application/json\\r\\nContent-Length: %d\\r\\n\\r\\n%s"
        ) % (len(body), body)
        expect(await fetch(server.port, post), ("HTTP/1.1 200 OK", b'{"got":{"a":1}}'))
        expect(await fetch(server.port, get("/files/a.txt")), ("HTTP/1.1 200 OK", b"file a"))
        escape = await fetch(server.port, get("/files/..%2f..%2fetc/passwd"))
        expect(escape[0][:11], "HTTP/1.1 40")
    finally:
        await server.close()
    assert any("POST /api/echo 200" in line for line in lines), lines

asyncio.run(main())
"""


class Venv:
    """A fresh virtualenv whose pip sees only ``find_links`` (the built and the needed wheels)."""

    def __init__(self, where: Path, find_links: Sequence[Path]) -> None:
        self.where = where
        self.find_links = find_links
        run([sys.executable, "-m", "venv", where])
        self.python = where / "bin" / "python"

    def install(self, *names: str) -> str:
        links = [arg for folder in self.find_links for arg in ("--find-links", folder)]
        return run(
            [self.python, "-m", "pip", "install", "--no-index", *links, *names],
            timeout=WHEEL_INSTALL_TIMEOUT,
        )

    def version(self, dist: str) -> str:
        code = f"import importlib.metadata as m; print(m.version({dist!r}))"
        return run([self.python, "-I", "-c", code]).strip()

    def smoke(self, script: str, cwd: Path, **names: object) -> None:
        preamble = "".join(f"{k} = {v!r}\n" for k, v in names.items())
        path = cwd / "smoke.py"
        path.write_text(preamble + textwrap.dedent(SERVE) + textwrap.dedent(script))
        print(textwrap.indent(run([self.python, "-I", path], cwd=cwd, timeout=300), "    "))


def third_party_wheels(dists: Sequence[Dist], out: Path, wheelhouse: Path) -> None:
    """Download the wheels of every non-koa requirement of the built wheels."""
    ours = {canonicalize_name(d.name) for d in dists}
    wanted: list[str] = []
    for d in dists:
        wheel, _ = artifacts(out, d)
        with zipfile.ZipFile(wheel) as zf:
            info = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = email.parser.Parser().parsestr(zf.read(info).decode())
        for line in metadata.get_all("Requires-Dist") or []:
            req = Requirement(line)
            if canonicalize_name(req.name) not in ours and "extra" not in str(req.marker or ""):
                wanted.append(line)
    run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--dest", wheelhouse, *wanted],
        timeout=WHEEL_INSTALL_TIMEOUT,
    )


def check_installs(dists: Sequence[Dist], out: Path, work: Path) -> None:
    by_name = {d.name: d for d in dists}
    wheelhouse = work / "wheelhouse"
    third_party_wheels(dists, out, wheelhouse)
    links = [out, wheelhouse]
    empty = work / "cwd"
    empty.mkdir()

    print("\n== koa-core alone", flush=True)
    core = Venv(work / "venv-core", links)
    core.install("koa-core")
    core.smoke(SMOKE_CORE, empty)

    if "koa-router" in by_name:
        print("\n== koa-router alone: koa-core comes from the built wheels", flush=True)
        env = Venv(work / "venv-all", links)
        env.install("koa-router")
        got = env.version("koa-core")
        if got != by_name["koa-core"].version:
            raise CheckFailed(f"koa-router pulled koa-core {got}, not the built one")
        print(f"    koa-core {got} was pulled from {out}")
        env.smoke(SMOKE_ROUTER, empty)
    else:
        env = Venv(work / "venv-all", links)

    print("\n== every distribution", flush=True)
    env.install(*by_name)
    for d in dists:
        got = env.version(d.name)
        if got != d.version:
            raise CheckFailed(f"{d.name}: installed {got}, built {d.version}")
    env.smoke(SMOKE_ALL, empty, MODULES=[d.module for d in dists])
    for script in console_scripts(dists, out):
        run([env.where / "bin" / script, "--help"], cwd=empty)
        print(f"    ok console script {script} --help")


def console_scripts(dists: Sequence[Dist], out: Path) -> list[str]:
    scripts = []
    for d in dists:
        wheel, _ = artifacts(out, d)
        with zipfile.ZipFile(wheel) as zf:
            entry = [n for n in zf.namelist() if n.endswith(".dist-info/entry_points.txt")]
            text = zf.read(entry[0]).decode() if entry else ""
        section = re.search(r"^\[console_scripts\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
        if section:
            scripts += [line.split("=")[0].strip() for line in section.group(1).splitlines()]
    return [s for s in scripts if s]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the files go")
    parser.add_argument("--keep", action="store_true", help="keep the virtualenvs, print where")
    args = parser.parse_args(argv)

    dists = discover()
    print("distributions:", ", ".join(f"{d.name} {d.version}" for d in dists), flush=True)
    errors = check_metadata(dists)
    if errors:
        return fail("metadata (see docs/releasing.md, 'Adding a package')", errors)
    print("ok metadata of", len(dists), "distributions")

    out = args.dist.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="koa-release-"))
    try:
        build(dists, out)
        files = sorted([*out.glob("*.whl"), *out.glob("*.tar.gz")])
        run([sys.executable, "-m", "twine", "check", "--strict", *files])
        print(f"ok twine check --strict on {len(files)} files")
        errors = check_contents(dists, out)
        if errors:
            return fail("contents", errors)
        print("ok contents: no koa/__init__.py, py.typed, LICENSE, README, CHANGELOG")
        check_installs(dists, out, work)
    except (CheckFailed, subprocess.TimeoutExpired) as exc:
        return fail("release check", [str(exc)])
    finally:
        if args.keep:
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nrelease check passed: {len(dists)} distributions, {len(files)} files in {out}")
    return 0


def fail(step: str, errors: Sequence[str]) -> int:
    print(f"\nFAILED: {step}", file=sys.stderr)
    for e in errors:
        print(f"  - {e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
