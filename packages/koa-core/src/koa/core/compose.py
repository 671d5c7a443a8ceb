"""The middleware onion: ``compose()`` and the ``Middleware`` / ``Next`` types.

Each call of ``next()`` returns the downstream middleware's own awaitable; no wrapper coroutine
and no closure per layer, so a request builds no reference cycles (they would wake the cyclic
garbage collector and show up as latency spikes). A layer's ``next`` is a function made once
at compose time, bound to the request's small state object: per layer and request, one bound
method and the middleware's own coroutine.

A ``HookMiddleware`` (work before its downstream, work after) needs no coroutine of its own:
consecutive ones share one, and at the head of the chain (one, or a run of them) they run in
the composed function's, so a request pays for their hooks, not for a layer each.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator, Sequence
from functools import partial
from types import FunctionType, MethodType
from typing import Any, Final, Generic, Protocol, TypeAlias, TypeVar

C = TypeVar("C")
C_contra = TypeVar("C_contra", contravariant=True)

Next: TypeAlias = Callable[[], Awaitable[None]]
"""What a middleware receives as ``next``: call it and await the result to run downstream."""

Middleware: TypeAlias = Callable[[C, Next], "Awaitable[None] | None"]
"""``async def mw(ctx, next): ...`` (plain functions returning ``None`` are allowed too)."""


class ComposedMiddleware(Protocol[C_contra]):
    """A composed chain: a middleware whose ``next`` is optional."""

    def __call__(self, ctx: C_contra, next: Next | None = None, /) -> Awaitable[None]: ...


class _Done:
    """An awaitable that is already finished (the result of a plain-function middleware).

    ``DONE`` is its one instance; koa-router's chains return it too.
    """

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


DONE = _Done()


class _Around:
    __slots__ = ()

    def __repr__(self) -> str:
        return "HookMiddleware.AROUND"


class HookMiddleware(Generic[C]):
    """A middleware written as two hooks around its downstream instead of one coroutine.

    ``before(ctx)`` runs where ``async def mw(ctx, next)`` would run up to ``await next()``;
    what it returns (any state of this request's) is handed to ``after(ctx, state, error)``,
    which runs where the code after ``await next()`` would run: ``error`` is ``None`` when
    downstream returned, else the exception it raised, which is raised again once ``after``
    returns (an exception from ``after`` replaces it). ``after`` may return an awaitable,
    which is awaited. For a request the hooks cannot serve (a branch that answers without
    downstream, or must await before it), ``before`` returns ``HookMiddleware.AROUND``
    and ``around(ctx, next)``, an ordinary middleware, handles that request instead
    (``after`` is then not called).

    A middleware with nothing to do after a downstream that returned, only after one that
    raised (put its headers on the error response, log), overrides ``on_error(ctx, state,
    error)`` instead of ``after``: ``compose`` then calls nothing on the way out of a
    request that went well. On an error, ``on_error`` is what runs (by default, ``after``).

    An instance is an ordinary ``(ctx, next)`` middleware too (``__call__``). What the
    split buys: ``compose`` runs consecutive hook middleware in one coroutine, and those at
    the head of the chain in its own, so a hook middleware costs a request its two calls,
    not a coroutine (about a microsecond per layer on CPython, more than most middleware's
    own work). The order of everything that happens is the same as with ``__call__``.
    """

    __slots__ = ()

    AROUND: Final[Any] = _Around()

    def before(self, ctx: C) -> Any:
        """The work before downstream; returns the state ``after`` gets (or ``AROUND``)."""
        return None

    def after(self, ctx: C, state: Any, error: BaseException | None) -> Awaitable[None] | None:
        """The work after downstream (``error``: what downstream raised, else ``None``)."""
        return None

    def on_error(self, ctx: C, state: Any, error: BaseException) -> Awaitable[None] | None:
        """The work after a downstream that raised ``error`` (by default, ``after``'s)."""
        return self.after(ctx, state, error)

    async def around(self, ctx: C, next: Next) -> None:
        """The whole middleware, for the requests ``before`` hands over with ``AROUND``."""
        raise NotImplementedError(f"{type(self).__qualname__}.before returned AROUND")

    async def __call__(self, ctx: C, next: Next) -> None:
        state = self.before(ctx)
        if state is _AROUND:
            await self.around(ctx, next)
            return
        try:
            await next()
        except BaseException as err:
            done = self.on_error(ctx, state, err)
            if done is not None:
                await done
            raise
        done = self.after(ctx, state, None)
        if done is not None:
            await done


_AROUND: Final[Any] = HookMiddleware.AROUND


def _after_success(hook: HookMiddleware[Any]) -> Any:
    """What ``compose`` calls after a downstream that returned: ``hook.after``, or ``None``
    when that does nothing (neither given to ``Hooks`` nor overridden)."""
    after = hook.after
    if after is _nothing_after or getattr(after, "__func__", None) is HookMiddleware.after:
        return None
    return after


class Hooks(HookMiddleware[C]):
    """A ``HookMiddleware`` made of functions: ``Hooks(before, after, around=None, *,
    on_error=None, name=None)``, each with the signature of the method it stands for
    (``on_error``, when given, runs instead of ``after`` after a downstream that raised).

    ::

        def before(ctx):
            ctx.set("X-Frame-Options", "DENY")

        def after(ctx, state, error):
            if error is None:
                ctx.set("X-Handled", "yes")

        app.use(Hooks(before, after, name="frame_options"))
    """

    __slots__ = ("after", "around", "before", "name", "on_error")

    def __init__(
        self,
        before: Callable[[C], Any] | None = None,
        after: Callable[[C, Any, BaseException | None], Awaitable[None] | None] | None = None,
        around: Callable[[C, Next], Awaitable[None]] | None = None,
        *,
        on_error: Callable[[C, Any, BaseException], Awaitable[None] | None] | None = None,
        name: str | None = None,
    ) -> None:
        hooks = (("before", before), ("after", after), ("around", around), ("on_error", on_error))
        for label, fn in hooks:
            if fn is not None and not callable(fn):
                raise TypeError(f"Hooks({label}=...) must be a function, not {fn!r}")
        self.before = before or _nothing  # type: ignore[method-assign,assignment]
        self.after = after or _nothing_after  # type: ignore[method-assign,assignment]
        self.on_error = on_error or self.after  # type: ignore[method-assign,assignment]
        self.around = around or _no_around  # type: ignore[method-assign,assignment]
        self.name = name or _describe(before or after or around or on_error)

    def __repr__(self) -> str:
        return f"<Hooks {self.name}>"


def _nothing(ctx: Any) -> None:
    return None


def _nothing_after(ctx: Any, state: Any, error: BaseException | None) -> None:
    return None


async def _no_around(ctx: Any, next: Next) -> None:
    raise NotImplementedError("before returned AROUND, and these Hooks have no around")


_Step: TypeAlias = tuple[HookMiddleware[Any], Any]  # a hook and its ``_after_success``


def _steps(hooks: Sequence[HookMiddleware[Any]]) -> tuple[_Step, ...]:
    return tuple((hook, _after_success(hook)) for hook in hooks)


async def _through(
    steps: tuple[_Step, ...],
    ctx: Any,
    downstream: Next,
    run: Any = None,
    check: Callable[[Any], None] | None = None,
) -> None:
    """Run consecutive hook middleware (``_steps``) around ``downstream`` (the first
    outermost) in one coroutine, in the order their ``__call__`` would run them.

    At the head of a chain, ``compose`` hands it the request's ``run`` and the chain's
    ``check`` too: this coroutine is then the composed function's own (see ``compose``).

    A request that goes well costs the ``before`` calls, the downstream and the ``after``
    calls that do something: no object per hook but its state in ``states`` (``states[i]``
    is what ``steps[i]``'s ``before`` returned; ``count`` hooks were entered).
    """
    states: list[Any] = []
    count = 0
    error: BaseException | None = None
    try:
        for hook, _after in steps:
            state = hook.before(ctx)
            if state is _AROUND:
                rest = steps[count + 1 :]
                await hook.around(
                    ctx, partial(_through, rest, ctx, downstream) if rest else downstream
                )
                break
            states.append(state)
            count += 1
        else:
            await downstream()
    except BaseException as err:
        error = err
    if error is None:
        while count:
            count -= 1
            after = steps[count][1]
            if after is not None:
                try:
                    done = after(ctx, states[count], None)
                    if done is not None:
                        await done
                except BaseException as err:
                    error = err  # the hooks outside this one get it (``on_error``)
                    break
        else:
            if check is not None and getattr(run.last, "cr_frame", None) is not None:
                check(run)
            return
    # An error: every hook entered and not yet unwound, innermost first, gets ``on_error``;
    # one raised there replaces it (chained to it).
    while count:
        count -= 1
        try:
            done = steps[count][0].on_error(ctx, states[count], error)
            if done is not None:
                await done
        except BaseException as err:
            if err is not error and err.__context__ is None:
                err.__context__ = error
            error = err
    try:
        raise error
    finally:
        error = None  # no frame -> traceback -> frame cycle left for the collector


_F = TypeVar("_F", bound=Callable[..., Any])


def _own_code(fn: _F) -> _F:
    """``fn`` (a function made inside ``compose``) with a code object of its own.

    CPython specialises a call or an attribute read for what it saw there, per code object.
    Shared by every chain and layer, the call sites in ``dispatch`` and ``composed`` see every
    middleware of the process and fall back to the generic path; a copy per chain and layer
    keeps each one seeing one middleware (measured: a hook middleware at the head of a chain
    cost +0.3-0.5 µs with the code shared by eight chains, +0.05-0.12 with its own). About
    500 bytes a layer.
    """
    fn.__code__ = fn.__code__.replace()
    return fn


def _describe(fn: object) -> str:
    if isinstance(fn, Hooks):
        return fn.name
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


def _direct(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, or for an instance of a class with a Python ``__call__`` that method bound to
    it: the same call without the interpreter's lookup of ``__call__`` on every request (a
    sixth of what a middleware layer costs)."""
    if isinstance(fn, (FunctionType, MethodType)):
        return fn
    call = getattr(type(fn), "__call__", None)  # noqa: B004 - the method, not a callable() test
    return MethodType(call, fn) if isinstance(call, FunctionType) else fn


def compose(middleware: Sequence[Middleware[C]]) -> ComposedMiddleware[C]:
    """Compose middleware into one, the first being the outermost layer of the onion.

    ``TypeError`` for anything that is not callable. The list is copied: later changes to
    ``middleware`` are not seen by the composed function.

    ``next()`` may be called once per layer (``RuntimeError("next() called multiple times")``
    otherwise). A middleware that returns without awaiting the ``next()`` it called is reported
    with a ``RuntimeError`` that names it, instead of silently skipping the downstream.
    """
    if isinstance(middleware, (str, bytes)) or not isinstance(middleware, Sequence):
        raise TypeError("Middleware stack must be a list!")
    for fn in middleware:
        if not callable(fn):
            raise TypeError(f"Middleware must be composed of functions, not {fn!r}")
    # Each run of consecutive hook middleware is one layer (one of them, or ``_through``
    # for several); at the head, the composed function runs them. ``owners``: what
    # each layer was given as (a run: its innermost hook), to name it in errors.
    layers: list[Callable[..., Any]] = []
    owners: list[object] = []
    hooks: list[HookMiddleware[Any]] = []
    item: Middleware[C] | None
    for item in (*middleware, None):  # None: the end, where the last run is closed
        if isinstance(item, HookMiddleware):
            hooks.append(item)
            continue
        if hooks:
            layers.append(hooks[0] if len(hooks) == 1 else partial(_through, _steps(hooks)))
            owners.append(hooks[-1])
            hooks = []
        if item is not None:
            layers.append(item)
            owners.append(item)
    # A hook middleware at the head runs in the composed function itself (``composed_hook``),
    # a run of them in the composed function's coroutine (``composed_run``): no layer of
    # their own. ``head_owner``: what the layer below them is called by, to name it in errors.
    head = layers[0] if layers and isinstance(layers[0], HookMiddleware) else None
    head_run: tuple[_Step, ...] | None = None
    first_layer = layers[0] if layers else None
    if isinstance(first_layer, partial) and first_layer.func is _through:
        head_run = first_layer.args[0]
    head_owner = owners[0] if head is not None or head_run is not None else None
    if head_owner is not None:
        del layers[0], owners[0]
    chain: tuple[Callable[..., Any], ...] = tuple(layers)
    size = len(chain)

    class _Run:
        # One per request: what every layer's ``next`` shares. ``high`` is the deepest layer
        # dispatched so far (Koa's ``index``): calling a layer's ``next`` again would
        # dispatch a layer at or above it, which is how a second call is recognised (the
        # only way down to a layer is through the ``next`` of the one above it).
        __slots__ = ("ctx", "high", "last", "last_index", "tail")
        ctx: Any
        high: int
        last: Any
        last_index: int
        tail: Next | None

    def outer_next(run: _Run) -> Awaitable[None]:
        # The ``next`` of the last layer: the caller's ``next``, if any.
        if run.high >= size:
            raise RuntimeError("next() called multiple times")
        run.high = size
        tail = run.tail
        result: Any = DONE if tail is None else tail()
        # The deepest awaitable handed out: if its caller forgot the await, it never ran.
        run.last = result
        run.last_index = size
        return result  # type: ignore[no-any-return]

    def dispatcher(index: int, following: Callable[[_Run], Awaitable[None]]) -> Any:
        # Layer ``index`` called with a ``next`` that dispatches the one below it: a method
        # of the request's ``_Run`` bound in C (``MethodType``), no object of our own per
        # layer and no closure per request.
        fn = _direct(chain[index])

        def dispatch(run: _Run) -> Awaitable[None]:
            if run.high >= index:
                raise RuntimeError("next() called multiple times")
            run.high = index
            result = fn(run.ctx, MethodType(following, run))
            if result is None:
                return DONE
            run.last = result
            run.last_index = index
            return result  # type: ignore[no-any-return]

        return _own_code(dispatch)

    first: Callable[[_Run], Awaitable[None]] = _own_code(outer_next)
    for index in range(size - 1, -1, -1):
        first = dispatcher(index, first)

    def check(run: _Run) -> None:
        # The deepest coroutine handed out still has a frame (``cr_frame``): maybe it never
        # ran, so nobody awaited it. One still running (shielded, handed to a task) is not
        # this mistake.
        last = run.last
        if inspect.getcoroutinestate(last) == inspect.CORO_CREATED:
            last.close()
            index = run.last_index
            if index:
                owner = _describe(owners[index - 1])
            else:
                owner = "the caller" if head_owner is None else _describe(head_owner)
            raise RuntimeError(
                f"middleware {owner} returned before its downstream ran: "
                "a next() call is missing an await"
            )

    if head_run is not None:
        steps = head_run

        def composed_run(ctx: C, next: Next | None = None, /) -> Awaitable[None]:
            # A plain function returning the run's coroutine, which checks the chain once
            # the hooks are through: one coroutine for the composed function and the run.
            run = _Run()
            run.ctx = ctx
            run.tail = next
            run.high = -1
            run.last = None
            return _through(steps, ctx, MethodType(first, run), run, check)

        return _own_code(composed_run)

    if head is None:

        async def composed(ctx: C, next: Next | None = None, /) -> None:
            run = _Run()
            run.ctx = ctx
            run.tail = next
            run.high = -1
            run.last = None
            await first(run)
            if getattr(run.last, "cr_frame", None) is not None:
                check(run)

        return _own_code(composed)

    hook = head
    before = hook.before
    after = _after_success(hook)  # None: nothing to do on the way out of a request that went well
    on_error = hook.on_error

    async def composed_hook(ctx: C, next: Next | None = None, /) -> None:
        run = _Run()
        run.ctx = ctx
        run.tail = next
        run.high = -1
        run.last = None
        state = before(ctx)
        if state is _AROUND:
            await hook.around(ctx, MethodType(first, run))
        else:
            try:
                await first(run)
            except BaseException as err:
                done = on_error(ctx, state, err)
                if done is not None:
                    await done
                raise
            if after is not None:
                done = after(ctx, state, None)
                if done is not None:
                    await done
        if getattr(run.last, "cr_frame", None) is not None:
            check(run)

    return _own_code(composed_hook)
