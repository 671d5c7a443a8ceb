"""Content-Encoding: gzip, deflate and br bodies are decoded, the limit applies to the decoded
size, and bad or unknown encodings get a 4xx. Both with aiohttp inflating the body (the
default) and with ``auto_decompress=False``, where the parser decodes it itself."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import brotli  # type: ignore[import-untyped,unused-ignore]
import pytest
from bodyparser_helpers import echo_app
from koa.core.testing import TestClient

BODY = b'{"name":"tobi","tags":["a","b"]}'
PARSED = {"name": "tobi", "tags": ["a", "b"]}


def client_for(auto_decompress: bool) -> TestClient:
    """A client of ``echo_app()``; on an ASGI server the body always reaches the parser as
    sent (ASGI servers do not decode), so ``auto_decompress`` is aiohttp's only."""
    if TestClient.default_backend != "aiohttp":
        return TestClient(echo_app())
    return TestClient(echo_app(), auto_decompress=auto_decompress)


MODES = pytest.mark.parametrize("auto_decompress", [True, False], ids=["aiohttp", "parser"])


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def headers(encoding: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Content-Encoding": encoding}


@MODES
@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),  # headerless deflate, as some clients send it
        ("br", brotli.compress),
        ("GZIP", gzip.compress),
        ("x-gzip", gzip.compress),  # RFC 9110: the same as gzip
        ("identity", lambda data: data),
    ],
)
async def test_encoded_bodies_are_decoded(
    auto_decompress: bool, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    async with client_for(auto_decompress) as client:
        res = await client.post("/", data=encode(BODY), headers=headers(encoding))
        assert res.status == 200
        assert await res.json() == {"body": PARSED, "raw": BODY.decode()}


@MODES
async def test_gzip_with_several_members(auto_decompress: bool) -> None:
    data = gzip.compress(BODY[:10]) + gzip.compress(BODY[10:])
    async with client_for(auto_decompress) as client:
        res = await client.post("/", data=data, headers=headers("gzip"))
        assert (await res.json())["body"] == PARSED


@MODES
@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
async def test_the_limit_applies_to_the_decoded_size(
    auto_decompress: bool, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    # 8 MiB of JSON that compresses to a few KiB ("a zip bomb"): refused at 1 MiB, 413.
    bomb = encode(b'{"a":"' + b"0" * (8 << 20) + b'"}')
    assert len(bomb) < 64 << 10
    async with client_for(auto_decompress) as client:
        res = await client.post("/", data=bomb, headers=headers(encoding))
        assert res.status == 413
        assert await res.text() == "request entity too large"
        # Just under the limit decodes fine.
        small = encode(b'{"a":"' + b"0" * ((1 << 20) - 8) + b'"}')
        res = await client.post("/", data=small, headers=headers(encoding))
        assert res.status == 200


@MODES
@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_undecodable_bodies_are_400(auto_decompress: bool, encoding: str) -> None:
    async with client_for(auto_decompress) as client:
        res = await client.post("/", data=b"this is not compressed", headers=headers(encoding))
        assert res.status == 400
        assert await res.text() == f"request body is not valid {encoding}"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
async def test_truncated_compressed_bodies_are_400(
    encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    # With auto_decompress=False the parser's own decoders notice the missing end.
    async with client_for(False) as client:
        data = encode(b"[" + b",".join([BODY] * 50) + b"]")
        res = await client.post("/", data=data[: len(data) // 2], headers=headers(encoding))
        assert res.status == 400
        assert await res.text() == f"request body is not valid {encoding}"


@pytest.mark.parametrize(
    ("encoding", "encode"), [("gzip", gzip.compress), ("deflate", zlib.compress)]
)
async def test_truncated_compressed_json_is_400_when_aiohttp_inflates(
    encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    # aiohttp answers a truncated deflate stream itself; a truncated gzip stream reaches the
    # parser as the JSON decoded so far, which does not parse.
    async with TestClient(echo_app()) as client:
        data = encode(b"[" + b",".join([BODY] * 50) + b"]")
        res = await client.post("/", data=data[: len(data) // 2], headers=headers(encoding))
        assert res.status == 400


@MODES
@pytest.mark.parametrize("encoding", ["compress", "x-custom", "gzip, br"])
async def test_unknown_encodings_are_415(auto_decompress: bool, encoding: str) -> None:
    async with client_for(auto_decompress) as client:
        res = await client.post("/", data=BODY, headers=headers(encoding))
        assert res.status == 415
        assert await res.text() == f"Unsupported Content-Encoding: {encoding}"


async def test_encoded_bodies_of_types_not_enabled_are_not_read() -> None:
    async with TestClient(echo_app()) as client:
        res = await client.post(
            "/", data=BODY, headers={"Content-Type": "image/png", "Content-Encoding": "x-custom"}
        )
        assert await res.json() == {"body": {}, "raw": None}


def test_brotli_is_importable_for_aiohttp() -> None:
    # aiohttp inflates br request bodies only when a brotli binding is installed.
    from aiohttp.compression_utils import HAS_BROTLI

    assert HAS_BROTLI
