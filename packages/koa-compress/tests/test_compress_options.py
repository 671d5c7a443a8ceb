"""Options are checked when the middleware is built; hostile Accept-Encoding headers are cheap."""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import pytest
from koa.compress import compress, compressible
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

TEXT = "Hello compressible world. " * 100


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"level": 6}, TypeError, "level"),  # not an option of compress() itself
        ({"gzip": {"lvl": 6}}, TypeError, "unknown gzip option 'lvl'"),
        ({"gzip": {"level": 10}}, ValueError, "from -1 to 9"),
        ({"gzip": {"level": "9"}}, TypeError, "must be an int"),
        ({"gzip": {"level": True}}, TypeError, "must be an int"),
        ({"deflate": {"window_bits": 8}}, ValueError, "window_bits"),
        ({"deflate": {"mem_level": 0}}, ValueError, "mem_level"),
        ({"br": {"quality": 12}}, ValueError, "from 0 to 11"),
        ({"br": {"level": 4}}, TypeError, "unknown br option 'level'"),
        ({"br": {"mode": "fast"}}, ValueError, "mode"),
        ({"br": {"lgblock": 5}}, ValueError, "lgblock"),
        ({"zstd": {"level": 100}}, ValueError, "zstd option 'level'"),
        ({"zstd": {"threads": 4}}, TypeError, "unknown zstd option"),
        ({"gzip": "fast"}, TypeError, "mapping of options"),
        ({"gzip": None}, TypeError, "mapping of options"),
        ({"threshold": -1}, ValueError, "threshold"),
        ({"threshold": "1 kilobyte"}, ValueError, "threshold"),
        ({"threshold": 1.5}, TypeError, "threshold"),
        ({"filter": "text/*"}, TypeError, "filter"),
        ({"encoding_preference": ["lzma", "gzip"]}, ValueError, "lzma"),
        ({"encoding_preference": "gzip"}, TypeError, "sequence"),
        ({"default_encoding": None}, TypeError, "default_encoding"),
        ({"wildcard_accept_encoding": 1}, TypeError, "wildcard_accept_encoding"),
    ],
)
def test_bad_options_raise_at_construction(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        compress(**options)


def test_good_options_build() -> None:
    compress(
        filter=lambda media_type: media_type.startswith("text/"),
        threshold="2kb",
        default_encoding="*",
        gzip={"level": 9},
        deflate=False,
        br={"quality": 5, "lgwin": 20, "mode": "text"},
        zstd={"level": 19},
        encoding_preference=["br", "gzip", "identity"],
    )
    compress(threshold=0, zstd={"level": -7})


def test_compressible_is_the_compressible_packages_answer() -> None:
    assert compressible("text/html; charset=utf-8")
    assert compressible("application/json")
    assert compressible("APPLICATION/JSON")
    assert compressible("application/vnd.api+json")
    assert compressible("image/svg+xml")
    assert compressible("application/octet-stream")  # mime-db says so
    assert not compressible("image/png")
    assert not compressible("application/x-unknown")
    assert not compressible("")


def app() -> Koa[Any]:
    application = Koa()
    application.use(compress())

    async def send(ctx: Context, next: Next) -> None:
        ctx.body = TEXT

    application.use(send)
    return application


async def test_an_absurd_accept_encoding_is_negotiated_in_bounded_time() -> None:
    # 100 KB, thousands of entries, on several lines (each under the server's 16 KB limit).
    # The first 1,000 entries count, as any real client's few do; the rest is ignored, so
    # the cost is bounded whatever the server lets through.
    entries = [f"x-junk-{n};q=0.{n % 10}" for n in range(6000)]
    entries[500] = "gzip;q=0.5"
    entries[5000] = "br;q=1"  # past the first 1,000: not read
    lines = [", ".join(entries[i : i + 600]) for i in range(0, 6000, 600)]
    assert sum(map(len, lines)) > 100_000
    async with TestClient(app()) as client:
        res = await asyncio.wait_for(
            client.get("/", headers=[("Accept-Encoding", line) for line in lines]), 30
        )
        assert (res.status, res.headers["Content-Encoding"]) == (200, "gzip")
        assert zlib.decompress(await res.read(), 31) == TEXT.encode()
        # Quoted strings (which may hold commas) take the careful path, bounded the same way.
        quoted = [f'x-{n};q="0.{n % 10}";p="a,b;c"' for n in range(3000)]
        quoted[10] = 'deflate;q="0.9"'
        lines = [", ".join(quoted[i : i + 300]) for i in range(0, 3000, 300)]
        res = await asyncio.wait_for(
            client.get("/", headers=[("Accept-Encoding", line) for line in lines]), 30
        )
        assert (res.status, res.headers.get("Content-Encoding")) == (200, "deflate")
        assert zlib.decompress(await res.read()) == TEXT.encode()


# The server's own header limit (koa-core's aiohttp server: 431); uvicorn has its own.
@pytest.mark.backends("aiohttp")
async def test_a_100_kb_accept_encoding_line_is_refused_by_the_server() -> None:
    line = ", ".join(f"x-junk-{n}" for n in range(10_000))
    async with TestClient(app()) as client:
        raw = await client.raw(
            f"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: {line}\r\n\r\n".encode(), timeout=30
        )
        assert raw.startswith(b"HTTP/1.1 431 ")


def test_the_public_surface() -> None:
    import koa.compress

    assert sorted(koa.compress.__all__) == [
        "CompressMiddleware",
        "EncodingOptions",
        "Filter",
        "compress",
        "compressible",
    ]
