"""What is measured: the scenarios, their servers and requests, and the targets from the issues.

A scenario is a grid of cases: rows are variants (``hello``, ``mw10``, ``first`` ...), columns
are peers (``koa``, ``aiohttp-raw`` ...). Every case of a scenario is measured once per round,
interleaved with the others, and the medians are compared within the scenario.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from procs import Reply

# A request that passes the check returns None; otherwise what was wrong.
Check = Callable[[Reply], "str | None"]


@dataclass(frozen=True)
class ServerSpec:
    """One server process: ``servers/<module>.py --app <app> [--loop uvloop]``."""

    module: str
    app: str
    loop: str = "asyncio"

    @property
    def key(self) -> str:
        return f"{self.module}:{self.app}:{self.loop}"

    def argv(self, root: Path) -> list[str]:
        from procs import SERVERS_DIR

        argv = [str(SERVERS_DIR / f"{self.module}.py"), "--app", self.app]
        if self.loop != "asyncio":
            argv += ["--loop", self.loop]
        if self.module in ("koa_app", "aiohttp_web", "starlette_app"):
            argv += ["--root", str(root)]
        return argv


@dataclass(frozen=True)
class Probe:
    """What wrk sends (path, optional Lua script) and how one request is checked first."""

    path: str
    check: Check
    method: str = "GET"
    body: bytes | None = None
    script: str | None = None
    script_args: tuple[str, ...] = ()
    # The path of the single checked request when wrk varies the path with a script.
    check_path: str | None = None
    # Request headers (wrk's -H), on the checked request too.
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Case:
    variant: str
    peer: str
    server: ServerSpec
    probe: Probe

    @property
    def name(self) -> str:
        return f"{self.variant} / {self.peer}"


@dataclass(frozen=True)
class Figures:
    """The medians of one case."""

    rps: float
    p50_ms: float
    p99_ms: float
    mb_per_s: float
    cpu_us: float  # server CPU time (user + system) per request, µs
    rss_mb: float

    @property
    def eff(self) -> float:
        """Requests per second of server CPU time."""
        return 1e6 / self.cpu_us if self.cpu_us else 0.0


Results = Mapping[tuple[str, str], Figures]  # (variant, peer) -> figures
# A target's computation from one metric of the results ("rps" or "eff"): (value, met).
Compute = Callable[[Results, str], "tuple[float, bool] | None"]


@dataclass(frozen=True)
class Target:
    """A goal from the issues: ``compute`` gives (value, met) or None when cases are missing."""

    text: str
    compute: Compute
    unit: str = ""


@dataclass
class Scenario:
    name: str
    issue: str
    title: str
    cases: list[Case]
    # Ratios are to the same variant of ``ref_peer``, or to ``ref_variant`` of the same peer.
    ref_peer: str | None = None
    ref_variant: str | None = None
    targets: list[Target] = field(default_factory=list)
    needs: str | None = None  # the module the koa server imports, when not only koa.core

    @property
    def variants(self) -> list[str]:
        return list(dict.fromkeys(case.variant for case in self.cases))

    @property
    def peers(self) -> list[str]:
        return list(dict.fromkeys(case.peer for case in self.cases))


# -- checks ---------------------------------------------------------------------------------


def text_is(expected: str) -> Check:
    def check(reply: Reply) -> str | None:
        if reply.status != 200:
            return f"status {reply.status}, expected 200"
        if reply.body != expected.encode():
            return f"body {reply.body[:80]!r}, expected {expected!r}"
        return None

    return check


def json_is(expected: object) -> Check:
    def check(reply: Reply) -> str | None:
        if reply.status != 200:
            return f"status {reply.status}, expected 200"
        try:
            value = json.loads(reply.body)
        except ValueError:
            return f"body is not JSON: {reply.body[:80]!r}"
        return None if value == expected else f"JSON body {value!r:.80}, expected {expected!r:.80}"

    return check


def bytes_are(expected: bytes) -> Check:
    def check(reply: Reply) -> str | None:
        if reply.status != 200:
            return f"status {reply.status}, expected 200"
        if reply.body != expected:
            return f"{len(reply.body)} bytes that differ from the {len(expected)}-byte file"
        return None

    return check


def compressed_json_is(expected: object, encoding: str | None) -> Check:
    """A JSON body sent with ``Content-Encoding: encoding`` (``None``: not compressed)."""

    def check(reply: Reply) -> str | None:
        got = reply.headers.get("content-encoding")
        if got != encoding:
            return f"Content-Encoding {got!r}, expected {encoding!r}"
        body = reply.body
        if encoding == "gzip":
            body = zlib.decompress(body, 31)
        elif encoding == "br":
            import brotli  # type: ignore[import-untyped,unused-ignore]

            body = brotli.decompress(body)
        return json_is(expected)(Reply(reply.status, reply.headers, body))

    return check


# -- fixtures -------------------------------------------------------------------------------

STATIC_FILES = {"4k": 4 * 1024, "1m": 1024 * 1024}
POST_BODY_SIZE = 1024


def make_fixtures(root: Path) -> tuple[dict[str, bytes], bytes, Path]:
    """Static files under ``root/static`` and the 1 KB JSON document for the POST echo."""
    rng = random.Random(2026)
    static = root / "static"
    static.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, size in STATIC_FILES.items():
        data = rng.randbytes(size)
        path = static / f"{name}.bin"
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        files[name] = data
    document: dict[str, object] = {
        "id": 12345,
        "user": {"name": "Tobi Ferret", "email": "tobi@example.com", "roles": ["admin", "dev"]},
        "items": [{"sku": f"SKU-{i:04d}", "qty": i % 7 + 1, "price": i * 1.25} for i in range(14)],
        "note": "π ≈ 3.14159 — unicode kept",
    }
    document["pad"] = ""
    size = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())
    document["pad"] = "x" * (POST_BODY_SIZE - size)  # exactly 1 KB on the wire
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    body_path = root / "post_body.json"
    body_path.write_bytes(body)
    return files, body, body_path


# -- target helpers -------------------------------------------------------------------------
# Each target is computed twice: from requests/s ("rps") and from requests per second of the
# server's own CPU time ("eff"), which other load on the machine disturbs much less.


def _ratio(num: tuple[str, str], den: tuple[str, str], minimum: float) -> Compute:
    def compute(results: Results, metric: str) -> tuple[float, bool] | None:
        if num not in results or den not in results:
            return None
        value: float = getattr(results[num], metric) / getattr(results[den], metric)
        return value, value >= minimum

    return compute


def _p99_not_worse(num: tuple[str, str], den: tuple[str, str]) -> Compute:
    def compute(results: Results, metric: str) -> tuple[float, bool] | None:
        if num not in results or den not in results or metric != "rps":
            return None
        value = results[num].p99_ms / results[den].p99_ms
        return value, value <= 1.0

    return compute


def _tail_not_worse(num: tuple[str, str], den: tuple[str, str]) -> Compute:
    """p99 ÷ p50 against the reference's: the tail's shape, apart from the throughput.

    With a fixed number of connections every latency grows as throughput falls (Little's law),
    so a slower server has a higher p99 even with no extra jitter.
    """

    def compute(results: Results, metric: str) -> tuple[float, bool] | None:
        if num not in results or den not in results or metric != "rps":
            return None
        ours, ref = results[num], results[den]
        value = (ours.p99_ms / ours.p50_ms) / (ref.p99_ms / ref.p50_ms)
        return value, value <= 1.0

    return compute


def _layer_cost(peer: str, limit_us: float) -> Compute:
    """µs per pass-through layer: (time per mw10 request − time per hello request) / 10."""

    def compute(results: Results, metric: str) -> tuple[float, bool] | None:
        hello, mw10 = results.get(("hello", peer)), results.get(("mw10", peer))
        if hello is None or mw10 is None:
            return None
        value = (1e6 / getattr(mw10, metric) - 1e6 / getattr(hello, metric)) / 10
        return value, value <= limit_us

    return compute


def _added_cost(num: tuple[str, str], den: tuple[str, str], limit_us: float) -> Compute:
    """µs a request costs more in ``num`` than in ``den`` (from req/s, or server CPU time)."""

    def compute(results: Results, metric: str) -> tuple[float, bool] | None:
        if num not in results or den not in results:
            return None
        value = 1e6 / getattr(results[num], metric) - 1e6 / getattr(results[den], metric)
        return value, value <= limit_us

    return compute


def _ahead_of_all(variant: str, peer: str) -> Compute:
    def compute(results: Results, metric: str) -> tuple[float, bool] | None:
        ours = results.get((variant, peer))
        others = [getattr(f, metric) for (v, p), f in results.items() if v == variant and p != peer]
        if ours is None or not others:
            return None
        value: float = getattr(ours, metric) / max(others)
        return value, value > 1.0

    return compute


# -- the scenarios --------------------------------------------------------------------------


def build(root: Path) -> list[Scenario]:
    files, post_body, post_path = make_fixtures(root)
    hello = text_is("Hello World")
    greeting = {"message": "Hello, World!"}

    core_peers = {
        "koa": ServerSpec("koa_app", "", "asyncio"),
        "koa-uvloop": ServerSpec("koa_app", "", "uvloop"),
        "aiohttp-raw": ServerSpec("aiohttp_raw", "", "asyncio"),
        "aiohttp-raw-uvloop": ServerSpec("aiohttp_raw", "", "uvloop"),
        "aiohttp-web": ServerSpec("aiohttp_web", ""),
        "starlette": ServerSpec("starlette_app", ""),
    }
    core_variants = {
        "hello": Probe("/", hello),
        "mw10": Probe("/", hello),
        "json": Probe("/json", json_is(greeting)),
    }
    core = Scenario(
        "core",
        "issue 2 (koa-core)",
        "hello world, 10 pass-through middleware, JSON",
        [
            Case(variant, peer, ServerSpec(spec.module, variant, spec.loop), probe)
            for variant, probe in core_variants.items()
            for peer, spec in core_peers.items()
        ]
        # The floor without web.Response: the handler writes the bytes itself.
        + [Case("hello", "aiohttp-direct", ServerSpec("aiohttp_raw", "direct"), Probe("/", hello))],
        ref_peer="aiohttp-raw",
        targets=[
            Target(
                "hello: koa ≥ 0.90 × aiohttp-raw (asyncio)",
                _ratio(("hello", "koa"), ("hello", "aiohttp-raw"), 0.90),
            ),
            Target(
                "hello: koa-uvloop ≥ 0.90 × aiohttp-raw-uvloop",
                _ratio(("hello", "koa-uvloop"), ("hello", "aiohttp-raw-uvloop"), 0.90),
            ),
            Target("koa: one middleware layer ≤ 0.2 µs (asyncio)", _layer_cost("koa", 0.2), "µs"),
            Target(
                "koa-uvloop: one middleware layer ≤ 0.2 µs", _layer_cost("koa-uvloop", 0.2), "µs"
            ),
            Target(
                "koa: ten layers cost < 10% (mw10 ÷ hello ≥ 0.91)",
                _ratio(("mw10", "koa"), ("hello", "koa"), 1 / 1.1),
            ),
            Target(
                "koa-uvloop: ten layers cost < 10% (mw10 ÷ hello ≥ 0.91)",
                _ratio(("mw10", "koa-uvloop"), ("hello", "koa-uvloop"), 1 / 1.1),
            ),
            Target(
                "hello p99: koa ÷ aiohttp-raw ≤ 1",
                _p99_not_worse(("hello", "koa"), ("hello", "aiohttp-raw")),
            ),
            Target(
                "hello p99: koa-uvloop ÷ aiohttp-raw-uvloop ≤ 1",
                _p99_not_worse(("hello", "koa-uvloop"), ("hello", "aiohttp-raw-uvloop")),
            ),
            Target(
                "hello tail (p99 ÷ p50): koa ÷ aiohttp-raw ≤ 1",
                _tail_not_worse(("hello", "koa"), ("hello", "aiohttp-raw")),
            ),
            Target(
                "mw10 p99: koa ÷ aiohttp-raw hello ≤ 1",
                _p99_not_worse(("mw10", "koa"), ("hello", "aiohttp-raw")),
            ),
        ],
    )

    def vary(prefix: str, i: int) -> Probe:
        return Probe(
            "/",
            text_is(f"{i} 4242"),
            script="vary_id.lua",
            script_args=(prefix, "10000"),
            check_path=f"{prefix}4242",
        )

    router_peers = {
        "koa": ServerSpec("koa_app", "routes"),
        "aiohttp-web": ServerSpec("aiohttp_web", "routes"),
        "starlette": ServerSpec("starlette_app", "routes"),
        "sanic": ServerSpec("sanic_app", "routes"),
    }
    router = Scenario(
        "router",
        "issue 3 (koa-router)",
        "1,000 routes /r{i}/:id after 8 fixed routes; ids vary 1..10000",
        [
            Case(variant, peer, spec, vary(prefix, i))
            for variant, prefix, i in (("first", "/r0/", 0), ("last", "/r999/", 999))
            for peer, spec in router_peers.items()
        ]
        + [Case("hello, no router", "koa", ServerSpec("koa_app", "hello"), Probe("/", hello))],
        ref_peer="koa",
        targets=[
            Target("koa: last ≥ 0.90 × first", _ratio(("last", "koa"), ("first", "koa"), 0.90)),
            Target(
                "koa: last ≥ 0.85 × router-less hello",
                _ratio(("last", "koa"), ("hello, no router", "koa"), 0.85),
            ),
            Target("koa first ahead of every peer (÷ best peer)", _ahead_of_all("first", "koa")),
            Target("koa last ahead of every peer (÷ best peer)", _ahead_of_all("last", "koa")),
        ],
        needs="koa.router",
    )

    static_peers = {
        "koa": ServerSpec("koa_app", "static"),
        "koa-uvloop": ServerSpec("koa_app", "static", "uvloop"),
        "aiohttp-web": ServerSpec("aiohttp_web", "static"),
        "starlette": ServerSpec("starlette_app", "static"),
    }
    static = Scenario(
        "static",
        "issue 4 (koa-static)",
        "a 4 KB and a 1 MB file",
        [
            Case(name, peer, spec, Probe(f"/static/{name}.bin", bytes_are(files[name])))
            for name in STATIC_FILES
            for peer, spec in static_peers.items()
        ],
        ref_peer="aiohttp-web",
        targets=[
            Target(
                f"{name}: koa ≥ aiohttp-web",
                _ratio((name, "koa"), (name, "aiohttp-web"), 1.0),
            )
            for name in STATIC_FILES
        ],
        needs="koa.static",
    )

    mount = Scenario(
        "mount",
        "issue 5 (koa-mount)",
        "hello world mounted at /m vs unmounted",
        [
            Case("unmounted", "koa", ServerSpec("koa_app", "hello"), Probe("/", hello)),
            Case("mounted", "koa", ServerSpec("koa_app", "mount"), Probe("/m/", hello)),
        ],
        ref_variant="unmounted",
        targets=[
            Target(
                "mounted ≥ 0.95 × unmounted",
                _ratio(("mounted", "koa"), ("unmounted", "koa"), 0.95),
            )
        ],
        needs="koa.mount",
    )

    logger = Scenario(
        "logger",
        "issue 6 (koa-logger)",
        "hello world with koa-logger writing to a file (stdout redirected) vs without",
        [
            Case("off", "koa", ServerSpec("koa_app", "hello"), Probe("/", hello)),
            Case("on", "koa", ServerSpec("koa_app", "logger"), Probe("/", hello)),
        ],
        ref_variant="off",
        targets=[Target("logger on ≥ 0.65 × off", _ratio(("on", "koa"), ("off", "koa"), 0.65))],
        needs="koa.logger",
    )

    echo = Probe(
        "/echo",
        json_is(json.loads(post_body)),
        method="POST",
        body=post_body,
        script="post_json.lua",
        script_args=(str(post_path),),
    )
    bodyparser = Scenario(
        "bodyparser",
        "issue 7 (koa-bodyparser)",
        f"POST a {len(post_body)}-byte JSON document, echo it back as JSON",
        [
            Case("post_echo", peer, ServerSpec(module, "post_echo"), echo)
            for peer, module in (
                ("koa", "koa_app"),
                ("aiohttp-web", "aiohttp_web"),
                ("starlette", "starlette_app"),
            )
        ],
        ref_peer="aiohttp-web",
        targets=[
            Target(
                "post_echo: koa ≥ aiohttp-web",
                _ratio(("post_echo", "koa"), ("post_echo", "aiohttp-web"), 1.0),
            ),
            Target(
                "post_echo: koa ≥ starlette",
                _ratio(("post_echo", "koa"), ("post_echo", "starlette"), 1.0),
            ),
        ],
        needs="koa.bodyparser",
    )
    origin = "https://app.example.com"
    security = Scenario(
        "security",
        "issue 14 (koa-cors, koa-helmet)",
        f"hello world with cors() (Origin: {origin}, allowed) and with helmet() vs without",
        [
            Case("off", "koa", ServerSpec("koa_app", "hello"), Probe("/", hello)),
            Case(
                "cors",
                "koa",
                ServerSpec("koa_app", "cors"),
                Probe("/", hello, script="origin.lua", script_args=(origin,)),
            ),
            Case("helmet", "koa", ServerSpec("koa_app", "helmet"), Probe("/", hello)),
        ],
        ref_variant="off",
        targets=[
            Target(
                "cors costs < 2 µs a request",
                _added_cost(("cors", "koa"), ("off", "koa"), 2.0),
                "µs",
            ),
            Target(
                "helmet costs < 2 µs a request",
                _added_cost(("helmet", "koa"), ("off", "koa"), 2.0),
                "µs",
            ),
        ],
        needs="koa.cors",
    )
    document = _json_100k()
    size = len(json.dumps(document, separators=(",", ":")).encode())

    def json_probe(encoding: str | None) -> Probe:
        headers = (("Accept-Encoding", encoding),) if encoding else ()
        return Probe("/json100k", compressed_json_is(document, encoding), headers=headers)

    compression = Scenario(
        "compress",
        "issue 15 (koa-compress)",
        f"a {size:,}-byte JSON body compressed (gzip, br); hello world with compress() skipping",
        [
            Case(
                "json gzip", "koa", ServerSpec("koa_app", "json100k_compress"), json_probe("gzip")
            ),
            Case(
                "json gzip",
                "aiohttp-web",
                ServerSpec("aiohttp_web", "json100k_compress"),
                json_probe("gzip"),
            ),
            Case(
                "json gzip",
                "starlette",
                ServerSpec("starlette_app", "json100k_gzip"),
                json_probe("gzip"),
            ),
            Case("json br", "koa", ServerSpec("koa_app", "json100k_compress"), json_probe("br")),
            Case("json identity", "koa", ServerSpec("koa_app", "json100k"), json_probe(None)),
            Case("hello", "koa", ServerSpec("koa_app", "hello"), Probe("/", hello)),
            Case(
                "hello",
                "koa+compress",
                ServerSpec("koa_app", "hello_compress"),
                Probe("/", hello, headers=(("Accept-Encoding", "gzip, deflate, br, zstd"),)),
            ),
        ],
        ref_peer="koa",
        targets=[
            Target(
                "json gzip: koa ≥ aiohttp-web",
                _ratio(("json gzip", "koa"), ("json gzip", "aiohttp-web"), 1.0),
            ),
            Target(
                "json gzip: koa ≥ starlette",
                _ratio(("json gzip", "koa"), ("json gzip", "starlette"), 1.0),
            ),
            Target(
                "hello: compress() skipping costs ≤ 1 µs",
                _added_cost(("hello", "koa+compress"), ("hello", "koa"), 1.0),
                "µs",
            ),
        ],
        needs="koa.compress",
    )
    return [core, router, static, mount, logger, bodyparser, security, compression]


def _json_100k() -> list[dict[str, object]]:
    """The body of servers/*.py's ``json_100k()`` (each server builds its own copy)."""
    return [
        {
            "id": i,
            "name": f"user {i}",
            "email": f"user{i}@example.com",
            "active": i % 3 == 0,
            "score": i * 7 % 1000,
            "tags": ["alpha", "beta", "gamma"][: i % 3 + 1],
        }
        for i in range(930)
    ]
