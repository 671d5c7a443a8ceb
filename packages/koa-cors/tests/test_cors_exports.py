"""The public surface of koa.cors."""

from __future__ import annotations

import koa.cors


def test_exports() -> None:
    assert sorted(koa.cors.__all__) == [
        "CorsMiddleware",
        "CredentialsFn",
        "DEFAULT_ALLOW_METHODS",
        "OriginFn",
        "OriginOption",
        "cors",
    ]
    for name in koa.cors.__all__:
        assert getattr(koa.cors, name) is not None
