"""``Router``: @koa/router 15 for Koa for Python.

Routes and ``use`` middleware are kept as registered; nested routers stay live (a route added
to a child after mounting is seen). On the first request after a change the router flattens
itself and its children into ``Layer`` objects, indexes them (``RouteIndex``) and from then on
a request costs one index lookup; when more than one layer matched, or the one that matched
does not take the method, two dict lookups more for a cached plan (which layers run for that
set of matches and method). ``allowed_methods`` derives the ``Allow`` list from
``ctx.matched`` only when it answers.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Literal, TypeAlias, TypeVar, overload

from koa.core import ComposedMiddleware, HttpError, Middleware, Next, compose
from koa.core.compose import DONE

from .layer import Layer, ParamFn, ParamHandler, decode_param
from .matcher import Hit, RouteIndex
from .path import Token, build_url, concat, parse

__all__ = ["HTTP_METHODS", "Router", "RouterEvents", "RouterMiddleware"]

#: Every method ``router.all`` registers (Node's ``http.METHODS``).
# fmt: off
HTTP_METHODS: tuple[str, ...] = (
    "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK",
    "M-SEARCH", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "NOTIFY", "OPTIONS",
    "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT",
    "SEARCH", "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE",
)
# fmt: on
_DEFAULT_METHODS = ("HEAD", "OPTIONS", "GET", "PUT", "PATCH", "POST", "DELETE")
_KNOWN_METHODS = frozenset(HTTP_METHODS)
_PLAN_CACHE_LIMIT = 4096

PathSpec: TypeAlias = "str | re.Pattern[str] | Sequence[str]"
HostSpec: TypeAlias = "str | Sequence[str] | re.Pattern[str]"
F = TypeVar("F", bound=Callable[..., Any])
ErrorFactory = Callable[[], BaseException]


class RouterEvents:
    """Event names for ``router.on``."""

    NOT_FOUND = "not-found"


# -- registrations (what the user asked for, before prefixes) --------------------------------


class _Route:
    __slots__ = ("methods", "name", "path", "stack", "tokens")

    def __init__(
        self,
        path: str | re.Pattern[str],
        tokens: tuple[Token, ...] | None,
        methods: tuple[str, ...],
        stack: list[Middleware[Any]],
        name: str | None,
    ) -> None:
        self.path = path
        self.tokens = tokens
        self.methods = methods
        self.stack = stack
        self.name = name


class _Use:
    __slots__ = ("fn", "path", "tokens")

    def __init__(
        self, path: str | re.Pattern[str] | None, tokens: tuple[Token, ...], fn: Middleware[Any]
    ) -> None:
        self.path = path
        self.tokens = tokens
        self.fn = fn


class _Mount:
    __slots__ = ("path", "router", "tokens")

    def __init__(self, path: str, tokens: tuple[Token, ...], router: Router) -> None:
        self.path = path
        self.tokens = tokens
        self.router = router


# -- per match-set plans ---------------------------------------------------------------------


class _MethodPlan:
    __slots__ = ("final", "only", "route", "runs", "selected")

    def __init__(
        self,
        route: bool,
        runs: tuple[int, ...],
        selected: tuple[int, ...],
        final: Layer | None,
    ) -> None:
        self.route = route
        self.runs = runs  # every layer matching path and method
        self.selected = selected  # those that run (exclusive drops some routes)
        self.final = final
        #: The hit to run when it is the only one (the route itself), else -1.
        self.only = selected[0] if len(selected) == 1 else -1


class _Plan:
    """What a given set of matched layers means: per method, which layers run."""

    __slots__ = ("layers", "methods")

    def __init__(self, layers: tuple[Layer, ...]) -> None:
        self.layers = layers
        self.methods: dict[str, _MethodPlan] = {}


class _Chain:
    """Runs several matched layers as one onion: ``run`` is the ``next`` of each layer."""

    __slots__ = ("ctx", "pos", "steps", "tail")

    def __init__(
        self,
        ctx: Any,
        steps: list[Hit],
        tail: Next,
    ) -> None:
        self.ctx = ctx
        self.steps = steps
        self.tail = tail
        self.pos = 0

    def run(self) -> Awaitable[None]:
        pos = self.pos
        self.pos = pos + 1
        steps = self.steps
        if pos >= len(steps):
            if pos > len(steps):
                raise RuntimeError("next() called multiple times")
            return self.tail()
        _ordinal, _alt, layer, caps, names = steps[pos]
        ctx = self.ctx
        layer.enter(ctx, caps, names)
        fn = layer.single
        if fn is None:
            return layer.composed(ctx, self.run)
        # One middleware: called directly, without a composed onion of its own.
        result = fn(ctx, self.run)
        return DONE if result is None else result


def _no_next() -> Awaitable[None]:
    return DONE


class RouterMiddleware:
    """What ``router.routes()`` returns: a middleware that also carries its ``router``."""

    __slots__ = ("router",)

    def __init__(self, router: Router) -> None:
        self.router = router

    def __call__(self, ctx: Any, next: Next | None = None) -> Awaitable[None]:
        # The dispatch itself (not a call into the router): one frame less per request.
        if next is None:
            next = _no_next
        router = self.router
        check = router._host_check
        if check is not None and not check(ctx):
            return next()
        path = router.router_path or getattr(ctx, "new_router_path", None) or ctx.path
        index = router._index
        if index is None:
            index = router._current_index()
        hits = index.match(path)
        method = ctx.method
        if len(hits) == 1 and method in hits[0][2].method_set:
            # The common case, without a plan: one layer on the path, a route taking the
            # method.
            hit = hits[0]
            final = hit[2]
            matched = getattr(ctx, "matched", None)
            if matched:
                matched.append(final)
            else:
                ctx.matched = [final]
            ctx.router = router
        else:
            plans = router._plans
            if len(hits) == 1:
                layer = hits[0][2]
                plan = plans.get(layer)
                if plan is None:
                    plan = router._plan_for(layer, (layer,))
            else:
                key = tuple([hit[2] for hit in hits])
                plan = plans.get(key)
                if plan is None:
                    plan = router._plan_for(key, key)
            method_plan = plan.methods.get(method)
            if method_plan is None:
                method_plan = router._method_plan(plan, method)
            # Attributes, not ctx.__dict__ writes: on 3.11 touching __dict__ turns the
            # context's inline attribute values into a dict, which costs more than these.
            # ctx.matched also carries the Allow list for allowed_methods().
            matched = getattr(ctx, "matched", None)
            if matched:
                matched.extend(plan.layers)
            else:
                ctx.matched = list(plan.layers)
            ctx.router = router
            if not method_plan.route:
                ctx.route_matched = False
                not_found = router._not_found_chain
                if not_found is not None:
                    return not_found(ctx, next)
                return next()
            assert method_plan.final is not None
            final = method_plan.final
            if method_plan.only < 0:
                ctx.route_matched = True
                ctx.matched_route = final.route_path
                ctx.matched_route_name = final.name
                return _Chain(ctx, [hits[i] for i in method_plan.selected], next).run()
            hit = hits[method_plan.only]
        # One route runs, alone: Layer.enter inlined.
        _ordinal, _alt, layer, caps, names = hit
        ctx.route_matched = True
        ctx.matched_route = ctx.router_path = final.route_path
        ctx.matched_route_name = ctx.router_name = final.name
        ctx.captures = list(caps)
        if names:
            old = ctx.params
            params = dict(old) if old else {}
            # A regex route's unnamed group has no name, a group that took no part no value.
            if len(names) == 1 and "%" not in path:
                name = names[0]
                raw = caps[0]
                if name and raw:
                    params[name] = raw
            else:
                for name, raw in zip(names, caps, strict=False):
                    if name and raw:
                        params[name] = decode_param(raw)
            ctx.params = params
        fn = layer.single
        if fn is None:
            return layer.composed(ctx, next)
        # One middleware: called directly, without a composed onion of its own.
        result = fn(ctx, next)
        return DONE if result is None else result

    def __repr__(self) -> str:
        return f"<routes of {self.router!r}>"


# -- verbs ------------------------------------------------------------------------------------


class _BoundVerb:
    __slots__ = ("methods", "router", "verb")

    def __init__(self, router: Router, verb: str, methods: tuple[str, ...]) -> None:
        self.router = router
        self.verb = verb
        self.methods = methods

    @overload
    def __call__(self, path: PathSpec, /, *, name: str | None = None) -> Callable[[F], F]: ...
    @overload
    def __call__(self, name: str, path: PathSpec, /) -> Callable[[F], F]: ...
    @overload
    def __call__(
        self,
        path: PathSpec,
        middleware: Middleware[Any],
        /,
        *more: Middleware[Any],
        name: str | None = None,
    ) -> Router: ...
    @overload
    def __call__(
        self, name: str, path: PathSpec, middleware: Middleware[Any], /, *more: Middleware[Any]
    ) -> Router: ...
    def __call__(self, *args: Any, name: str | None = None) -> Any:
        return self.router._verb(self.verb, self.methods, args, name)


class _Verb:
    """``router.get`` and friends: ``router.get(path, *middleware, name=None)``,
    ``router.get(name, path, *middleware)``, or ``@router.get(path)`` as a decorator."""

    def __init__(self, *methods: str) -> None:
        self.methods = methods
        self.verb = methods[0].lower() if len(methods) == 1 else "all"

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Verb: ...
    @overload
    def __get__(self, obj: Router, owner: type | None = None) -> _BoundVerb: ...
    def __get__(self, obj: Router | None, owner: type | None = None) -> _Verb | _BoundVerb:
        if obj is None:
            return self
        return _BoundVerb(obj, self.verb, self.methods)


def _strip_trailing_slash(prefix: str) -> str:
    return prefix[:-1] if prefix.endswith("/") else prefix


def _is_path(value: object) -> bool:
    return isinstance(value, (str, re.Pattern)) or (
        isinstance(value, (list, tuple)) and all(isinstance(p, str) for p in value)
    )


def _check_middleware(label: str, middleware: Sequence[object]) -> None:
    for fn in middleware:
        if not callable(fn):
            raise TypeError(f"{label}: middleware must be a function, not {type(fn).__name__}")


class Router:
    """Routes for a Koa app, with @koa/router 15's behaviour::

        router = Router(prefix="/api")

        @router.get("/users/:id", name="user")
        async def show(ctx: Context, next: Next) -> None:
            ctx.body = {"id": ctx.params["id"]}

        app.use(router.routes()).use(router.allowed_methods())

    Options: ``prefix`` (a trailing slash is dropped), ``sensitive`` (case-sensitive paths),
    ``strict`` (a trailing slash must match), ``exclusive`` (``True``: only the last
    registered matching route runs; ``"specificity"``: the one with the fewest parameters),
    ``host`` (a name, a list of names or a compiled pattern, compared with ``ctx.hostname``
    and ``ctx.host``), ``methods`` (what ``allowed_methods`` treats as implemented) and
    ``router_path`` (a fixed path to route on instead of ``ctx.path``).
    """

    get = _Verb("GET")
    post = _Verb("POST")
    put = _Verb("PUT")
    patch = _Verb("PATCH")
    delete = _Verb("DELETE")
    del_ = _Verb("DELETE")
    head = _Verb("HEAD")
    options = _Verb("OPTIONS")
    acl = _Verb("ACL")
    bind = _Verb("BIND")
    checkout = _Verb("CHECKOUT")
    connect = _Verb("CONNECT")
    copy = _Verb("COPY")
    link = _Verb("LINK")
    lock = _Verb("LOCK")
    m_search = _Verb("M-SEARCH")
    merge = _Verb("MERGE")
    mkactivity = _Verb("MKACTIVITY")
    mkcalendar = _Verb("MKCALENDAR")
    mkcol = _Verb("MKCOL")
    move = _Verb("MOVE")
    notify = _Verb("NOTIFY")
    propfind = _Verb("PROPFIND")
    proppatch = _Verb("PROPPATCH")
    purge = _Verb("PURGE")
    query = _Verb("QUERY")
    rebind = _Verb("REBIND")
    report = _Verb("REPORT")
    search = _Verb("SEARCH")
    source = _Verb("SOURCE")
    subscribe = _Verb("SUBSCRIBE")
    trace = _Verb("TRACE")
    unbind = _Verb("UNBIND")
    unlink = _Verb("UNLINK")
    unlock = _Verb("UNLOCK")
    unsubscribe = _Verb("UNSUBSCRIBE")
    all = _Verb(*HTTP_METHODS)

    def __init__(
        self,
        *,
        prefix: str = "",
        sensitive: bool = False,
        strict: bool = False,
        exclusive: bool | Literal["specificity"] = False,
        host: HostSpec | None = None,
        methods: Sequence[str] | None = None,
        router_path: str | None = None,
    ) -> None:
        if exclusive not in (True, False, "specificity"):
            raise ValueError(f"exclusive must be True, False or 'specificity', not {exclusive!r}")
        self.sensitive = sensitive
        self.strict = strict
        self.exclusive = exclusive
        self.host = host
        self.methods: tuple[str, ...] = tuple(
            m.upper() for m in (methods if methods is not None else _DEFAULT_METHODS)
        )
        self.router_path = router_path
        self._prefix = ""
        self._prefix_tokens: tuple[Token, ...] = ()
        self._stack: list[_Route | _Use | _Mount] = []
        self._params: list[ParamHandler] = []
        self._parents: list[Router] = []
        self._not_found: list[Middleware[Any]] = []
        self._not_found_chain: ComposedMiddleware[Any] | None = None
        self._index: RouteIndex | None = None
        # Keyed by the matched layers; by the layer itself when only one matched (no tuple
        # to build and hash on the common path).
        self._plans: dict[Layer | tuple[Layer, ...], _Plan] = {}
        self._host_check = self._make_host_check(host)
        if prefix:
            self.prefix(prefix)

    # -- registration ----------------------------------------------------------------------

    def register(
        self,
        path: PathSpec,
        methods: Sequence[str],
        *middleware: Middleware[Any],
        name: str | None = None,
    ) -> Router:
        """Add a route for ``methods`` (GET brings HEAD). The verbs call this."""
        label = ",".join(m.upper() for m in methods) or "use"
        if isinstance(path, (list, tuple)):
            if not path:
                raise ValueError(f"You have to provide a path when adding a {label} handler")
            for p in path:
                self.register(p, methods, *middleware, name=name)
            return self
        if not isinstance(path, (str, re.Pattern)):
            raise TypeError("A route path must be a str, a list of str or a compiled pattern")
        if not middleware:
            raise TypeError(f"{label} {path!r}: at least one middleware is required")
        _check_middleware(f"{label} {name or path!r}", middleware)
        upper: list[str] = []
        for method in methods:
            method = method.upper()
            if method not in upper:
                upper.append(method)
            if method == "GET" and "HEAD" not in upper:
                upper.insert(0, "HEAD")
        tokens = parse(path) if isinstance(path, str) else None
        self._stack.append(_Route(path, tokens, tuple(upper), list(middleware), name))
        self._changed()
        return self

    def _verb(
        self, verb: str, methods: tuple[str, ...], args: tuple[Any, ...], name: str | None
    ) -> Any:
        if len(args) >= 2 and isinstance(args[0], str) and _is_path(args[1]):
            if name is not None:
                raise TypeError("give the route name either positionally or as name=, not both")
            name, path, middleware = args[0], args[1], args[2:]
        elif args:
            path, middleware = args[0], args[1:]
        else:
            raise TypeError(f"You have to provide a path when adding a {verb} handler")
        if not _is_path(path) or (isinstance(path, (list, tuple)) and not path):
            raise TypeError(f"You have to provide a path when adding a {verb} handler")
        if not middleware:
            # Parse now so that a bad path fails at the decorator line, not later.
            for p in path if isinstance(path, (list, tuple)) else (path,):
                if isinstance(p, str):
                    parse(p)

            def decorator(fn: F) -> F:
                self.register(path, methods, fn, name=name)
                return fn

            return decorator
        return self.register(path, methods, *middleware, name=name)

    def use(self, *args: Any) -> Router:
        """Add middleware that runs when a route of this router matched the request.

        ``router.use(mw)``, ``router.use("/admin", mw)`` (a segment-boundary prefix),
        ``router.use(["/a", "/b"], mw)``, ``router.use(re.compile(r"^/api/"), mw)``, and
        nested routers: ``router.use("/users", users.routes())`` or ``router.use(users)``.
        """
        if args and isinstance(args[0], (list, tuple)):
            paths, rest = args[0], args[1:]
            if not paths or not all(isinstance(p, str) for p in paths):
                raise TypeError("router.use() takes a path, a list of paths or a pattern")
            for p in paths:
                self.use(p, *rest)
            return self
        path: str | re.Pattern[str] | None = None
        if args and isinstance(args[0], (str, re.Pattern)):
            path, args = args[0], args[1:]
        if not args:
            raise TypeError("You must provide at least one middleware function to router.use()")
        tokens = parse(path) if isinstance(path, str) else ()
        for item in args:
            child = item if isinstance(item, Router) else getattr(item, "router", None)
            if isinstance(child, Router):
                self._mount(path, child)
            elif callable(item):
                self._stack.append(_Use(path, tokens, item))
            else:
                raise TypeError(
                    f"router.use() takes middleware or routers, not {type(item).__name__}"
                )
        self._changed()
        return self

    def _mount(self, path: str | re.Pattern[str] | None, child: Router) -> None:
        if isinstance(path, re.Pattern):
            raise TypeError("a nested router is mounted at a path, not at a regular expression")
        if child is self or self in child._descendants():
            raise ValueError("a router cannot be nested inside itself")
        mount_path = _strip_trailing_slash(path or "")
        self._stack.append(_Mount(mount_path, parse(mount_path), child))
        child._parents.append(self)

    def _descendants(self) -> list[Router]:
        found: list[Router] = []
        for item in self._stack:
            if isinstance(item, _Mount):
                found.append(item.router)
                found.extend(item.router._descendants())
        return found

    @overload
    def param(self, name: str, fn: ParamFn, /) -> Router: ...
    @overload
    def param(self, name: str, /) -> Callable[[F], F]: ...
    def param(self, name: str, fn: ParamFn | None = None, /) -> Any:
        """Run ``fn(value, ctx, next)`` before the middleware of every route with ``:name``.

        Once per request even when several routes match, in the order the parameters appear
        in the URL, for routes added before or after, and for nested routers::

            @router.param("user")
            async def load_user(value: str, ctx: Context, next: Next) -> None:
                ctx.state["user"] = await db.find(value)
                if ctx.state["user"] is None:
                    ctx.throw(404)
                await next()
        """
        if fn is None:

            def decorator(f: F) -> F:
                self.param(name, f)
                return f

            return decorator
        if not callable(fn):
            raise TypeError(f"router.param({name!r}): the handler must be a function")
        self._params.append(ParamHandler(name, fn))
        self._changed()
        return self

    def prefix(self, prefix: str) -> Router:
        """Set the path prefix (replacing any previous one; a trailing slash is dropped)."""
        prefix = _strip_trailing_slash(prefix)
        tokens = parse(prefix)
        self._prefix = prefix
        self._prefix_tokens = tokens
        self._changed()
        return self

    def redirect(self, source: str, destination: str, status: int = 301) -> Router:
        """Answer every method on ``source`` with a redirect to ``destination``.

        Either can be a route name (resolved now); ``destination`` may be an absolute URL.
        """
        if not source.startswith("/"):
            source = self.url(source)
        if not destination.startswith("/") and "://" not in destination:
            destination = self.url(destination)
        target = destination

        def redirect(ctx: Any, next: Next) -> None:
            ctx.redirect(target)
            ctx.status = status

        return self.all(source, redirect)

    def on(self, event: str, handler: Middleware[Any]) -> Router:
        """``router.on("not-found", mw)``: run ``mw`` (instead of ``next``) when no route of
        this router matched; several handlers run as one chain."""
        if event != RouterEvents.NOT_FOUND:
            raise ValueError(f"unknown router event {event!r}")
        _check_middleware(f"router.on({event!r})", [handler])
        self._not_found.append(handler)
        self._not_found_chain = compose(self._not_found)
        return self

    # -- lookups ---------------------------------------------------------------------------

    @property
    def stack(self) -> list[Layer]:
        """Every layer, nested routers flattened, in the order they are tried."""
        return list(self._current_index().layers)

    def route(self, name: str) -> Layer | None:
        """The first route called ``name``, or ``None``."""
        for layer in self._current_index().layers:
            if layer.name == name and layer.is_route:
                return layer
        return None

    def url(
        self, name: str, *params: object, query: Mapping[str, object] | str | None = None
    ) -> str:
        """The URL of the route called ``name``: ``router.url("user", 3)``,
        ``router.url("user", {"id": 3}, query={"limit": 1})``.

        ``LookupError`` for an unknown name, ``ValueError`` for a missing parameter.
        """
        layer = self.route(name)
        if layer is None:
            raise LookupError(f"No route found for name: {name}")
        return layer.url(*params, query=query)

    @staticmethod
    def url_for_path(
        path: str, *params: object, query: Mapping[str, object] | str | None = None
    ) -> str:
        """Fill a path pattern: ``Router.url_for_path("/users/:id", 3)`` -> ``/users/3``."""
        values: Sequence[object] | Mapping[str, object] = params
        if len(params) == 1 and isinstance(params[0], Mapping):
            values = params[0]
        return build_url(parse(path), values, query)

    def match(self, path: str, method: str) -> RouteMatch:
        """The layers matching ``path`` (``.path``), those matching the method too
        (``.path_and_method``) and whether a route (not only ``use`` middleware) matched."""
        hits = self._current_index().match(path)
        key = tuple([hit[2] for hit in hits])
        plan = self._plans.get(key) or self._plan_for(key, key)
        method_plan = plan.methods.get(method) or self._method_plan(plan, method)
        layers = plan.layers
        return RouteMatch(list(layers), [layers[i] for i in method_plan.runs], method_plan.route)

    # -- middleware ------------------------------------------------------------------------

    def routes(self) -> RouterMiddleware:
        """The middleware that dispatches requests to the matching routes.

        The index is built now (and again after any later change, on the next request).
        """
        self._current_index()
        return RouterMiddleware(self)

    middleware = routes

    def allowed_methods(
        self,
        *,
        throw: bool = False,
        not_implemented: ErrorFactory | None = None,
        method_not_allowed: ErrorFactory | None = None,
    ) -> Middleware[Any]:
        """Answer what the routes leave open: OPTIONS -> 200 with ``Allow``, a method no route
        on the path takes -> 405 with ``Allow``, a method not in ``methods`` -> 501.

        With ``throw=True`` those become raised errors (``not_implemented()`` and
        ``method_not_allowed()`` build them, else ``HttpError`` 501 / 405).
        """
        implemented = frozenset(self.methods)

        async def allowed_methods(ctx: Any, next: Next) -> None:
            await next()
            matched: list[Layer] | None = getattr(ctx, "matched", None)
            if matched is None or ctx.status != 404:
                return
            # Every method of every layer the routers matched on the path, in order.
            allow = tuple({m: None for layer in matched for m in layer.methods})
            method = ctx.method.upper()
            header = ", ".join(allow)
            if method not in implemented:
                if throw:
                    if not_implemented is not None:
                        raise not_implemented()
                    raise HttpError(501)
                ctx.status = 501
                if allow:
                    ctx.set("Allow", header)
                return
            if not allow:
                return
            if method == "OPTIONS":
                ctx.status = 200
                ctx.body = ""
                ctx.set("Allow", header)
            elif method not in allow:
                if throw:
                    if method_not_allowed is not None:
                        raise method_not_allowed()
                    raise HttpError(405, headers={"Allow": header})
                ctx.status = 405
                ctx.set("Allow", header)

        return allowed_methods

    def _plan_for(self, key: Layer | tuple[Layer, ...], layers: tuple[Layer, ...]) -> _Plan:
        plans = self._plans
        plan = plans.get(key)
        if plan is None:
            if len(plans) >= _PLAN_CACHE_LIMIT:
                plans.clear()
            plan = plans[key] = _Plan(layers)
        return plan

    def _method_plan(self, plan: _Plan, method: str) -> _MethodPlan:
        upper = method.upper()
        layers = plan.layers
        runs = [i for i, layer in enumerate(layers) if _runs(layer, upper)]
        routes = [i for i in runs if layers[i].is_route]
        if not routes:
            result = _MethodPlan(False, tuple(runs), (), None)
        else:
            chosen = routes[-1]
            if self.exclusive == "specificity":
                chosen = min(routes, key=lambda i: len(layers[i].param_names))
            selected = runs
            if self.exclusive:
                selected = [i for i in runs if not layers[i].is_route or i == chosen]
            result = _MethodPlan(True, tuple(runs), tuple(selected), layers[chosen])
        # Only methods from the HTTP registry are cached: a client cannot grow the cache.
        if upper in _KNOWN_METHODS or upper in self.methods:
            plan.methods[method] = result
        return result

    # -- index maintenance -----------------------------------------------------------------

    def _changed(self) -> None:
        self._index = None
        self._plans = {}
        for parent in self._parents:
            parent._changed()

    def _current_index(self) -> RouteIndex:
        index = self._index
        if index is None:
            # Building makes many long-lived objects at once; with the cyclic collector on,
            # its repeated full passes cost more than the build itself (x4 at 10,000 routes).
            collecting = gc.isenabled()
            gc.disable()
            try:
                index = self._index = RouteIndex(self._flatten((), "", ()))
            finally:
                if collecting:
                    gc.enable()
            self._plans = {}
        return index

    def _flatten(
        self, outer: tuple[Token, ...], outer_path: str, inherited: tuple[ParamHandler, ...]
    ) -> list[Layer]:
        prefix_tokens = concat(outer, self._prefix_tokens)
        prefix = outer_path + self._prefix
        handlers = (*self._params, *inherited)
        strict, sensitive = self.strict, self.sensitive

        def joined(path: str, tokens: tuple[Token, ...]) -> tuple[str, tuple[Token, ...]]:
            # "/" under a prefix is the prefix itself unless strict (as @koa/router).
            if path == "/" and not strict and prefix:
                return prefix, prefix_tokens
            return prefix + path, concat(prefix_tokens, tokens)

        layers: list[Layer] = []
        for item in self._stack:
            if isinstance(item, _Mount):
                layers.extend(
                    item.router._flatten(
                        concat(prefix_tokens, item.tokens), prefix + item.path, handlers
                    )
                )
                continue
            if isinstance(item, _Route):
                methods, stack, name, end = item.methods, item.stack, item.name, True
            else:
                methods, stack, name = (), [item.fn], None
                end = item.path == "/" or isinstance(item.path, re.Pattern)
            if isinstance(item.path, re.Pattern):
                # Regex paths are never prefixed (as @koa/router).
                full: str | re.Pattern[str] = item.path
                tokens: tuple[Token, ...] | None = None
            else:
                assert item.tokens is not None
                full, tokens = joined(item.path or "", item.tokens)
            layers.append(
                Layer(
                    full,
                    tokens,
                    methods,
                    stack,
                    name=name,
                    end=end,
                    strict=strict,
                    sensitive=sensitive,
                    param_handlers=handlers,
                )
            )
        return layers

    # -- host ------------------------------------------------------------------------------

    @staticmethod
    def _make_host_check(host: HostSpec | None) -> Callable[[Any], bool] | None:
        if host is None:
            return None
        if isinstance(host, re.Pattern):
            pattern = host

            def matches_pattern(ctx: Any) -> bool:
                return bool(pattern.search(ctx.hostname) or pattern.search(ctx.host))

            return matches_pattern
        names = frozenset(n.lower() for n in ([host] if isinstance(host, str) else list(host)))

        def matches_name(ctx: Any) -> bool:
            return ctx.hostname.lower() in names or ctx.host.lower() in names

        return matches_name

    def __repr__(self) -> str:
        routes = sum(1 for item in self._stack if isinstance(item, _Route))
        return f"<Router prefix={self._prefix!r} routes={routes}>"


def _runs(layer: Layer, method: str) -> bool:
    return not layer.is_route or method.upper() in layer.methods


class RouteMatch:
    """The result of ``router.match(path, method)``."""

    __slots__ = ("path", "path_and_method", "route")

    def __init__(self, path: list[Layer], path_and_method: list[Layer], route: bool) -> None:
        self.path = path
        self.path_and_method = path_and_method
        self.route = route

    def __repr__(self) -> str:
        return f"<RouteMatch route={self.route} layers={len(self.path)}>"
