"""``Layer``: one route or ``use`` middleware with its full path, as the router runs it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from koa.core import ComposedMiddleware, Middleware, Next, compose
from koa.core.compose import DONE
from koa.core.urls import decode_uri_component

from .path import Flat, Text, Token, alternatives, build_url, param_names, to_regex

__all__ = ["Layer", "ParamHandler", "decode_param"]

ParamFn = Callable[[str, Any, Next], "Awaitable[None] | None"]


def decode_param(raw: str) -> str:
    """``decodeURIComponent``, keeping the raw text when the escapes are malformed."""
    if "%" not in raw:
        return raw
    try:
        return decode_uri_component(raw)
    except ValueError:
        return raw


class ParamHandler:
    """One ``router.param(name, fn)`` registration; runs at most once per request."""

    __slots__ = ("fn", "name")

    def __init__(self, name: str, fn: ParamFn) -> None:
        self.name = name
        self.fn = fn


class _ParamMiddleware:
    """``handler`` as a middleware of one layer: skipped when it already ran for this request
    (several layers can carry it) or when the route has no value for the parameter."""

    __slots__ = ("handler",)

    def __init__(self, handler: ParamHandler) -> None:
        self.handler = handler

    def __call__(self, ctx: Any, next: Next) -> Awaitable[None] | None:
        handler = self.handler
        done: set[ParamHandler] | None = getattr(ctx, "_router_params_done", None)
        if done is None:
            done = ctx._router_params_done = set()
        elif handler in done:
            return next()
        done.add(handler)
        value = ctx.params.get(handler.name)
        if value is None:
            return next()
        return handler.fn(value, ctx, next)

    def __repr__(self) -> str:
        return f"<param {self.handler.name!r} {self.handler.fn!r}>"


def _nothing_downstream() -> Awaitable[None]:
    return DONE


class _Single:
    """A layer whose chain is a single middleware, called without a composed onion."""

    __slots__ = ("fn",)

    def __init__(self, fn: Middleware[Any]) -> None:
        self.fn = fn

    def __call__(self, ctx: Any, next: Next | None = None, /) -> Awaitable[None]:
        result = self.fn(ctx, next or _nothing_downstream)
        return DONE if result is None else result


class Layer:
    """A route (``methods`` set) or a ``router.use`` middleware (``methods`` empty) with the
    path it answers to, prefixes included. ``router.route(name)`` and ``ctx.matched`` give
    these; ``match``, ``params``, ``captures`` and ``url`` work on any path."""

    __slots__ = (
        "_chain",
        "_flats",
        "_regex",
        "_regex_names",
        "_tokens",
        "capture_slots",
        "composed",
        "end",
        "group_names",
        "is_route",
        "method_set",
        "methods",
        "name",
        "ordinal",
        "param_names",
        "path",
        "route_path",
        "sensitive",
        "single",
        "stack",
        "strict",
    )

    def __init__(
        self,
        path: str | re.Pattern[str],
        tokens: tuple[Token, ...] | None,
        methods: Sequence[str],
        stack: Sequence[Middleware[Any]],
        *,
        name: str | None = None,
        end: bool = True,
        strict: bool = False,
        sensitive: bool = False,
        param_handlers: Sequence[ParamHandler] = (),
    ) -> None:
        #: The full pattern (prefixes included), or the compiled regex of a regex route.
        self.path = path
        self._tokens = tokens
        #: Upper-case methods; GET brings HEAD (listed first, as @koa/router).
        self.methods: tuple[str, ...] = tuple(methods)
        self.name = name
        self.stack: list[Middleware[Any]] = list(stack)
        self.end = end
        self.strict = strict
        self.sensitive = sensitive
        self.is_route = bool(self.methods)
        #: ``methods`` as a set, for the router's membership test on each request.
        self.method_set = frozenset(self.methods)
        self.route_path: str = path if isinstance(path, str) else path.pattern
        self.ordinal = 0
        if tokens is None:
            assert isinstance(path, re.Pattern)
            self.param_names: tuple[str, ...] = tuple(path.groupindex)
            self._flats: list[Flat] = []
            self._regex: re.Pattern[str] | None = path
            self._regex_names: tuple[str, ...] = _group_names(path)
        else:
            self.param_names = param_names(tokens)
            self._flats = alternatives(tokens, self.route_path)
            self._regex = None
            self._regex_names = ()
        #: Every capture group of the path's regex, alternatives in order (as @koa/router's
        #: ``ctx.captures``), and per alternative how many groups come before and after its
        #: own; ``None`` when the path has a single alternative (nothing to pad).
        per_alt = [[t.name for t in flat if not isinstance(t, Text)] for flat in self._flats]
        self.group_names: tuple[str, ...] = (
            self._regex_names if tokens is None else tuple(n for names in per_alt for n in names)
        )
        self.capture_slots: tuple[tuple[int, int], ...] | None = None
        if len(per_alt) > 1:
            total = len(self.group_names)
            slots: list[tuple[int, int]] = []
            before = 0
            for names in per_alt:
                slots.append((before, total - before - len(names)))
                before += len(names)
            self.capture_slots = tuple(slots)
        # Param handlers first, in URL order (handlers of one name in registration order).
        order = {name: i for i, name in enumerate(self.param_names)}
        handlers = sorted(
            (h for h in param_handlers if h.name in order), key=lambda h: order[h.name]
        )
        chain: list[Middleware[Any]] = [_ParamMiddleware(h) for h in handlers]
        chain.extend(self.stack)
        self._chain = chain
        #: The one middleware when the chain has no other (the router calls it directly).
        self.single: Middleware[Any] | None = chain[0] if len(chain) == 1 else None
        # Composed on first use: an index of 10,000 routes should not compose 10,000 chains
        # before the first request can be answered.
        self.composed: ComposedMiddleware[Any] = self._compose_and_run

    def _compose_and_run(self, ctx: Any, next: Next | None = None, /) -> Awaitable[None]:
        chain = self._chain
        # One middleware needs no onion of its own: calling it directly saves a coroutine and
        # a step object per request. The app's compose still sees its next() call.
        composed = _Single(chain[0]) if len(chain) == 1 else compose(chain)
        self.composed = composed
        return composed(ctx, next)

    # -- matching --------------------------------------------------------------------------

    @property
    def flats(self) -> list[Flat]:
        """The path's alternatives (optional groups expanded); empty for regex routes."""
        return self._flats

    @property
    def regex(self) -> re.Pattern[str]:
        """The regular expression equivalent to this layer's path."""
        regex = self._regex
        if regex is None:
            regex, self._regex_names = to_regex(
                self._flats, end=self.end, trailing=not self.strict, sensitive=self.sensitive
            )
            self._regex = regex
        return regex

    @property
    def regex_names(self) -> tuple[str, ...]:
        """The parameter name of each group of ``regex`` (``""`` for unnamed groups)."""
        self.regex  # noqa: B018 (compiles on first use)
        return self._regex_names

    def _match(self, path: str) -> re.Match[str] | None:
        if self._tokens is None:
            return self.regex.search(path)
        return self.regex.match(path)

    def match(self, path: str) -> bool:
        """True when ``path`` (percent-encoded, as ``ctx.path``) matches this layer."""
        return self._match(path) is not None

    def captures(self, path: str) -> list[str]:
        """The raw captured texts for ``path`` (``[]`` when it does not match)."""
        m = self._match(path)
        if m is None:
            return []
        return [c or "" for c in m.groups()]

    def params(self, path: str) -> dict[str, str]:
        """The decoded parameters for ``path`` (``{}`` when it does not match)."""
        m = self._match(path)
        if m is None:
            return {}
        return _params(self.regex_names, m.groups())

    # -- running ---------------------------------------------------------------------------

    def enter(self, ctx: Any, caps: tuple[str, ...], names: tuple[str, ...]) -> None:
        """Set the route fields of ``ctx`` before this layer's middleware runs."""
        ctx.captures = list(caps)
        if names:
            params = dict(ctx.params)
            for name, raw in zip(names, caps, strict=False):
                if name and raw:
                    params[name] = decode_param(raw)
            ctx.params = params
        ctx.router_path = self.route_path
        ctx.router_name = self.name
        if self.is_route:
            ctx.matched_route = self.route_path
            ctx.matched_route_name = self.name

    # -- urls ------------------------------------------------------------------------------

    def url(
        self,
        *params: object,
        query: Mapping[str, object] | str | None = None,
    ) -> str:
        """This route's URL: ``layer.url(3)``, ``layer.url({"id": 3}, query={"a": 1})``.

        Values go through ``str()`` and are percent-encoded. ``ValueError`` for a missing
        value, ``TypeError`` for a regex route.
        """
        if self._tokens is None:
            raise TypeError("Cannot build a URL for a route defined with a regular expression")
        values: Sequence[object] | Mapping[str, object] = params
        if len(params) == 1 and isinstance(params[0], Mapping):
            values = params[0]
        return build_url(self._tokens, values, query)

    def __repr__(self) -> str:
        methods = ",".join(self.methods) or "use"
        return f"<Layer {methods} {self.route_path!r}>"


def _group_names(pattern: re.Pattern[str]) -> tuple[str, ...]:
    names = [""] * pattern.groups
    for name, index in pattern.groupindex.items():
        names[index - 1] = name
    return tuple(names)


def _params(names: Sequence[str], caps: Sequence[str | None]) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, raw in zip(names, caps, strict=False):
        if name and raw:
            params[name] = decode_param(raw)
    return params
