"""examples/cookies.py: signed cookies (keygrip signatures) and key rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from types import ModuleType

from koa.core.testing import TestClient
from multidict import CIMultiDictProxy

Loader = Callable[[str], ModuleType]


def sig(data: str, key: str) -> str:
    """keygrip's signature, computed here independently of koa.core."""
    digest = hmac.new(key.encode(), data.encode(), hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def set_cookies(headers: CIMultiDictProxy[str]) -> list[str]:
    return headers.getall("Set-Cookie", [])


async def test_first_visit_sets_a_signed_counter(load_example: Loader) -> None:
    app = load_example("cookies.py").app
    async with TestClient(app) as client:
        res = await client.get("/")
        assert (res.status, await res.text()) == (200, "1 visit")
        cookies = set_cookies(res.headers)
    assert len(cookies) == 2
    pattern = r"path=/; expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT; samesite=lax; httponly"
    assert re.fullmatch(rf"views=1; {pattern}", cookies[0])
    expected_sig = sig("views=1", "key-2026")
    assert re.fullmatch(rf"views\.sig={re.escape(expected_sig)}; {pattern}", cookies[1])


async def test_the_counter_counts_signed_visits(load_example: Loader) -> None:
    app = load_example("cookies.py").app
    cookie = f"views=2; views.sig={sig('views=2', 'key-2026')}"
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Cookie": cookie})
        assert await res.text() == "3 visits"
        assert set_cookies(res.headers)[0].startswith("views=3; ")


async def test_a_tampered_cookie_reads_as_missing(load_example: Loader) -> None:
    app = load_example("cookies.py").app
    cookie = f"views=99; views.sig={sig('views=2', 'key-2026')}"
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Cookie": cookie})
        assert await res.text() == "1 visit"
        cookies = set_cookies(res.headers)
    # The bad signature is expired, then the fresh counter is set and signed.
    assert cookies[0] == "views.sig=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly"
    assert cookies[1].startswith("views=1; ")
    assert cookies[2].startswith(f"views.sig={sig('views=1', 'key-2026')}; ")


async def test_an_unsigned_cookie_reads_as_missing(load_example: Loader) -> None:
    app = load_example("cookies.py").app
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Cookie": "views=41"})
        assert await res.text() == "1 visit"


async def test_a_cookie_signed_with_the_old_key_is_accepted_and_re_signed(
    load_example: Loader,
) -> None:
    app = load_example("cookies.py").app
    cookie = f"views=5; views.sig={sig('views=5', 'key-2025')}"
    async with TestClient(app) as client:
        res = await client.get("/", headers={"Cookie": cookie})
        assert await res.text() == "6 visits"
        cookies = set_cookies(res.headers)
    signatures = [c.split(";")[0] for c in cookies if c.startswith("views.sig=")]
    # Koa re-signs the old cookie on read, then the new value is signed with the newest key.
    assert signatures == [
        f"views.sig={sig('views=5', 'key-2026')}",
        f"views.sig={sig('views=6', 'key-2026')}",
    ]


async def test_forget_expires_the_cookie_and_its_signature(load_example: Loader) -> None:
    app = load_example("cookies.py").app
    async with TestClient(app) as client:
        res = await client.get("/forget")
        assert await res.text() == "forgotten"
        # As the cookies npm package does, the expired signature signs the empty value.
        assert set_cookies(res.headers) == [
            "views=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
            f"views.sig={sig('views=', 'key-2026')}; path=/; "
            "expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
        ]


async def test_other_paths_are_404(load_example: Loader) -> None:
    app = load_example("cookies.py").app
    async with TestClient(app) as client:
        res = await client.get("/elsewhere")
        assert (res.status, await res.text()) == (404, "Not Found")
        assert set_cookies(res.headers) == []
