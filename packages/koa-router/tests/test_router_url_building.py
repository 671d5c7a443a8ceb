"""``url()`` and ``url_for_path()`` values, queries and optional groups as @koa/router 15
builds them."""

from __future__ import annotations

import pytest
from koa.core import Context, Next
from koa.router import Router


def handler(ctx: Context, next: Next) -> None:
    ctx.body = "x"


def build() -> Router:
    router = Router(prefix="/p")
    router.get("user", "/users/:id", handler)
    router.get("two", "/t/:a/:b", handler)
    return router


@pytest.mark.parametrize(
    ("query", "url"),
    [
        (
            {"a": "x y", "b": [1, 2], "c": "", "d": "ü&="},
            "/p/users/3?a=x%20y&b=1&b=2&c=&d=%C3%BC%26%3D",
        ),
        ({"q": "a+b"}, "/p/users/3?q=a%2Bb"),
        ({"z": True, "n": 0}, "/p/users/3?z=true&n=0"),
        ({"k y": "v"}, "/p/users/3?k%20y=v"),
        ({"ü": "ß"}, "/p/users/3?%C3%BC=%C3%9F"),
        ({"a": None}, "/p/users/3?a="),
        ({"a": []}, "/p/users/3"),
        ({}, "/p/users/3"),
        ("", "/p/users/3"),
        ("limit=1&x=2", "/p/users/3?limit=1&x=2"),
        ("?a=1", "/p/users/3?a=1"),
        # A ready query string is used as given, except that "#" cannot start a fragment.
        ("a b=c d", "/p/users/3?a b=c d"),
        ("#x", "/p/users/3?%23x"),
        ("a=1#frag", "/p/users/3?a=1%23frag"),
    ],
)
def test_query(query: dict[str, object] | str, url: str) -> None:
    assert build().url("user", 3, query=query) == url


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("a b/c", "/p/users/a%20b%2Fc"),
        ("é", "/p/users/%C3%A9"),
        ("!'()*~", "/p/users/!'()*~"),
        ("a?b#c", "/p/users/a%3Fb%23c"),
        ("", "/p/users/"),
        (3, "/p/users/3"),
    ],
)
def test_param_values_are_encoded_like_encode_uri_component(value: object, url: str) -> None:
    assert build().url("user", {"id": value}) == url


def test_positional_and_mapping_values() -> None:
    router = build()
    assert router.url("two", 1, 2) == "/p/t/1/2"
    assert router.url("two", {"a": 1, "b": 2}, query={"z": True}) == "/p/t/1/2?z=true"


def test_optional_groups_take_their_values() -> None:
    # Deviations: @koa/router 15.7 gives "/o" and "/a/1" here (see the README).
    assert Router.url_for_path("/o{/:id}", {"id": 5}) == "/o/5"
    assert Router.url_for_path("/a{/:x}/:id", 1, 2) == "/a/1/2"
    # As Koa: a group without parameters is kept, one whose parameter is missing is left out.
    assert Router.url_for_path("/a{/b}/:id", {"id": 1}) == "/a/b/1"
    assert Router.url_for_path("/a{/:x}/:id", {"id": 1}) == "/a/1"


def test_url_for_path() -> None:
    assert Router.url_for_path("/u/:a/:b", 1, 2) == "/u/1/2"
    assert Router.url_for_path("/u/:a", {"a": "x"}, query={"k": "v"}) == "/u/x?k=v"
    assert Router.url_for_path("/u/:id", "x", query="a=1") == "/u/x?a=1"
    assert Router.url_for_path("/u/:id", {"id": "x"}, query={"q": "1 2"}) == "/u/x?q=1%202"
    assert Router.url_for_path("/s/:a{.:ext}", {"a": "f", "ext": "json"}) == "/s/f.json"
    assert Router.url_for_path("/plain", query={"a": 1}) == "/plain?a=1"
