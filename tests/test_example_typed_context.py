"""examples/typed_context.py: a Context subclass with typed state and an app-wide ``db``."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest
from koa.core.testing import TestClient

Loader = Callable[[str], ModuleType]


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer nope", "Basic t0k3n", "bearer t0k3n"]
)
async def test_without_a_known_bearer_token_it_is_401(
    load_example: Loader, authorization: str | None
) -> None:
    app = load_example("typed_context.py").app
    headers = {} if authorization is None else {"Authorization": authorization}
    async with TestClient(app) as client:
        res = await client.get("/me", headers=headers)
        assert res.status == 401
        assert res.headers["WWW-Authenticate"] == "Bearer"
        assert await res.text() == "a bearer token is required"


async def test_the_user_and_the_shared_db_reach_the_route(load_example: Loader) -> None:
    app = load_example("typed_context.py").app
    async with TestClient(app) as client:
        res = await client.get("/me", headers={"Authorization": "Bearer t0k3n"})
        assert (res.status, await res.text()) == (200, '{"user":"tobi","pet":"ferret"}')
        res = await client.get("/me", headers={"Authorization": "Bearer s3cr3t"})
        assert await res.json() == {"user": "loki", "pet": None}
        res = await client.get("/other", headers={"Authorization": "Bearer t0k3n"})
        assert res.status == 404


async def test_the_context_class_is_the_apps_own(load_example: Loader) -> None:
    module = load_example("typed_context.py")
    # app.context is a per-app subclass: setting db on it does not touch AppContext itself.
    assert issubclass(module.app.context, module.AppContext)
    assert not hasattr(module.AppContext, "db")
