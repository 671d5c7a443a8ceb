"""The public surface of koa.static."""

from __future__ import annotations

import koa.static


def test_exports() -> None:
    assert sorted(koa.static.__all__) == ["SetHeaders", "send", "serve"]
    for name in koa.static.__all__:
        assert getattr(koa.static, name) is not None
