"""Accept-Encoding negotiation, as koa-compress 5.2.2 answered the same requests on Node 20.

Each row is (Accept-Encoding sent, or a list of header lines; the Content-Encoding koa-compress
answered). Node 20 has no zstd, so these apps turn zstd off to compare like with like; the
zstd rows at the end are ours.
"""

from __future__ import annotations

from typing import Any

import pytest
from compress_helpers import decode
from koa.compress import compress
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient

TEXT = "Hello compressible world. " * 100

AcceptEncoding = str | list[str] | None

KOA_COMPRESS: list[tuple[AcceptEncoding, str | None]] = [
    (None, None),
    ("", None),
    ("gzip", "gzip"),
    ("deflate", "deflate"),
    ("br", "br"),
    ("gzip, deflate, br", "br"),
    ("gzip, deflate, br, zstd", "br"),
    ("br;q=0.5, gzip", "gzip"),
    ("gzip;q=0", None),
    ("gzip;q=0, deflate", "deflate"),
    ("*", "gzip"),
    ("*;q=0.5", "br"),
    ("identity", None),
    ("sdch", None),
    ("sdch, gzip", "gzip"),
    ("sdch, gzip, deflate", "gzip"),
    ("gzip, br, *;q=0.5", "br"),
    ("GZIP", "gzip"),
    ("gzip;q=0.5, br;q=0.5", "br"),
    ("gzip;q=abc", None),
    ("gzip; q=1.0", "gzip"),
    ("deflate, gzip", "gzip"),
    ("x-gzip", None),
    ("compress", None),
    ("br;q=0.9, gzip;q=1", "gzip"),
    ('gzip;q="0.5", br;q=0.4', "gzip"),
    ("zstd", None),
    ("zstd, gzip", "gzip"),
    ("*, gzip;q=0", "br"),
    (", gzip", "gzip"),
    ("gzip,", "gzip"),
    (";q=0.5, gzip", "gzip"),
    ("gzip;q=0.000", None),
    ("gzip;q=2, br", "gzip"),
    ("br;q=-1, gzip;q=0.1", "gzip"),
    ("gzip ; q = 0.3 , br ; q = 0.2", "gzip"),
    ("gzip;foo=bar;q=0.1, deflate;q=0.2", "deflate"),
    ("gzip;q", "gzip"),
    ("*;q=0, br", "br"),
    ("identity, gzip;q=0.5", None),
    (["gzip", "br"], "br"),  # two header lines are one list
    (["gzip;q=0.1", "deflate"], "deflate"),
]

# Nothing acceptable, identity included: koa-compress 5.2.2 answers 500 (it sets an undefined
# Content-Encoding). Here the body goes out as it is, which RFC 9110 12.5.3 allows.
NOTHING_ACCEPTABLE = ["*;q=0", "identity;q=0", "identity;q=0, gzip;q=0", "identity;q=0, *;q=0"]


def app_with(**options: Any) -> Koa[Any]:
    app = Koa()
    app.use(compress(**options))

    async def body(ctx: Context, next: Next) -> None:
        ctx.body = TEXT

    app.use(body)
    return app


async def get(client: TestClient, accept: AcceptEncoding) -> tuple[int, Any, bytes]:
    if accept is None:
        res = await client.get("/", skip_auto_headers=["Accept-Encoding"])
    elif isinstance(accept, list):
        res = await client.get("/", headers=[("Accept-Encoding", line) for line in accept])
    else:
        res = await client.get("/", headers={"Accept-Encoding": accept})
    return res.status, res.headers, await res.read()


async def test_koa_compress_picks_the_same_encodings() -> None:
    async with TestClient(app_with(zstd=False)) as client:
        for accept, expected in KOA_COMPRESS:
            status, headers, body = await get(client, accept)
            assert (status, headers.get("Content-Encoding")) == (200, expected), accept
            assert headers["Vary"] == "Accept-Encoding"
            assert decode(expected, body) == TEXT.encode(), accept


async def test_nothing_acceptable_sends_the_body_as_it_is() -> None:
    async with TestClient(app_with()) as client:
        for accept in NOTHING_ACCEPTABLE:
            status, headers, body = await get(client, accept)
            assert (status, headers.get("Content-Encoding")) == (200, None), accept
            assert body == TEXT.encode()


@pytest.mark.parametrize(
    ("options", "rows"),
    [
        ({"default_encoding": "*"}, [(None, "gzip"), ("", "gzip"), ("identity", None)]),
        ({"default_encoding": "gzip"}, [(None, "gzip"), ("", "gzip"), ("br", "br")]),
        ({"wildcard_accept_encoding": "br"}, [("*", "br"), ("*;q=0.5", "br")]),
        (
            {"br": False},
            [
                ("br", None),
                ("gzip, deflate, br", "gzip"),
                ("*;q=0.5", "gzip"),
                ("*, gzip;q=0", "deflate"),
                (["gzip", "br"], "gzip"),
            ],
        ),
        (
            {"encoding_preference": ["gzip", "br", "deflate", "identity"]},
            [("gzip, deflate, br", "gzip"), ("gzip;q=0.5, br;q=0.5", "gzip"), ("br", "br")],
        ),
        (
            {"br": False, "gzip": False},
            [
                ("gzip", None),
                ("*", None),  # * stands for gzip, which is off
                ("*;q=0.5", "deflate"),
                ("gzip, deflate, br", "deflate"),
                ("sdch, gzip, deflate", "deflate"),
            ],
        ),
    ],
)
async def test_options_change_the_choice_as_in_koa_compress(
    options: dict[str, Any], rows: list[tuple[AcceptEncoding, str | None]]
) -> None:
    async with TestClient(app_with(zstd=False, **options)) as client:
        for accept, expected in rows:
            _status, headers, body = await get(client, accept)
            assert headers.get("Content-Encoding") == expected, (options, accept)
            assert decode(expected, body) == TEXT.encode()


async def test_zstd_comes_first_when_the_client_takes_it() -> None:
    async with TestClient(app_with()) as client:
        for accept, expected in [
            ("gzip, deflate, br, zstd", "zstd"),
            ("zstd", "zstd"),
            ("*;q=0.5", "zstd"),
            ("zstd;q=0.5, br", "br"),
            ("gzip, deflate, br", "br"),
        ]:
            _status, headers, body = await get(client, accept)
            assert headers.get("Content-Encoding") == expected, accept
            assert decode(expected, body) == TEXT.encode()


async def test_a_second_request_is_negotiated_afresh() -> None:
    async with TestClient(app_with()) as client:
        for accept, expected in [("gzip", "gzip"), ("br", "br"), ("gzip", "gzip"), (None, None)]:
            _, headers, body = await get(client, accept)
            assert headers.get("Content-Encoding") == expected
            assert decode(expected, body) == TEXT.encode()
