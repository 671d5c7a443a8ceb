"""Named routes, ``url()``, ``url_for_path()`` and ``redirect()``."""

from __future__ import annotations

import re

import pytest
from koa.core import Context, Koa, Next
from koa.core.testing import TestClient
from koa.router import Router


def noop(ctx: Context, next: Next) -> None:
    return None


def test_url_from_positional_values_or_a_mapping() -> None:
    router = Router()
    router.get("user", "/users/:id", noop)
    router.get("/posts/:year/:slug", noop, name="post")
    assert router.url("user", 3) == "/users/3"
    assert router.url("user", {"id": 3}) == "/users/3"
    assert router.url("post", 2024, "hello") == "/posts/2024/hello"
    assert router.url("post", {"slug": "hi", "year": 1}) == "/posts/1/hi"


def test_url_query() -> None:
    router = Router()
    router.get("user", "/users/:id", noop)
    assert router.url("user", {"id": 3}, query={"limit": 1}) == "/users/3?limit=1"
    assert router.url("user", 3, query="limit=1") == "/users/3?limit=1"
    assert router.url("user", 3, query={"t": ["a", "b c"]}) == "/users/3?t=a&t=b%20c"


def test_url_encodes_values() -> None:
    router = Router()
    router.get("user", "/users/:id", noop)
    router.get("file", "/files/*path", noop)
    assert router.url("user", {"id": "a b/c"}) == "/users/a%20b%2Fc"
    assert router.url("file", "a b/c.txt") == "/files/a%20b/c.txt"
    assert router.url("file", ["x", "y/z"]) == "/files/x/y%2Fz"


def test_url_optional_groups_and_constraints() -> None:
    router = Router()
    router.get("opt", "/opt{/:id}", noop)
    router.get("num", "/n/:id(\\d+)", noop)
    assert router.url("opt") == "/opt"
    assert router.url("opt", 3) == "/opt/3"
    assert router.url("num", 12) == "/n/12"
    with pytest.raises(ValueError, match="to match"):
        router.url("num", "x")


def test_url_errors() -> None:
    router = Router()
    router.get("user", "/users/:id", noop)
    router.get("re", re.compile(r"^/re/(\d+)$"), noop)
    with pytest.raises(LookupError, match="No route found for name: missing"):
        router.url("missing")
    with pytest.raises(ValueError, match="Missing parameters: id"):
        router.url("user")
    with pytest.raises(TypeError, match="regular expression"):
        router.url("re", 1)
    assert router.route("missing") is None
    layer = router.route("user")
    assert layer is not None
    assert layer.path == "/users/:id"
    assert layer.methods == ("HEAD", "GET")


def test_url_for_path() -> None:
    assert Router.url_for_path("/u/:a/:b", 1, 2) == "/u/1/2"
    assert Router.url_for_path("/u/:a", {"a": "x y"}, query={"q": 1}) == "/u/x%20y?q=1"
    with pytest.raises(ValueError, match="Missing parameters: b"):
        Router.url_for_path("/u/:a/:b", 1)


def test_url_of_nested_and_prefixed_routes() -> None:
    child = Router(prefix="/items")
    child.get("item", "/:id", noop)
    parent = Router(prefix="/api")
    parent.use("/v1", child.routes())
    assert parent.url("item", 5) == "/api/v1/items/5"
    assert child.url("item", 5) == "/items/5"


async def test_redirect() -> None:
    router = Router()
    router.get("home", "/home", noop)
    router.redirect("/old", "/new")
    router.redirect("/o", "home", 308)
    router.redirect("/ext", "https://example.com/x")
    app: Koa = Koa()
    app.use(router.routes())
    async with TestClient(app) as client:
        res = await client.get("/old")
        assert (res.status, res.headers["Location"]) == (301, "/new")
        res = await client.post("/o")
        assert (res.status, res.headers["Location"]) == (308, "/home")
        res = await client.get("/ext")
        assert (res.status, res.headers["Location"]) == (301, "https://example.com/x")


def test_redirect_with_unknown_names_fails_at_registration() -> None:
    router = Router()
    router.get("user", "/users/:id", noop)
    with pytest.raises(LookupError):
        router.redirect("/a", "nowhere")
    with pytest.raises(ValueError, match="Missing parameters"):
        router.redirect("user", "/b")
