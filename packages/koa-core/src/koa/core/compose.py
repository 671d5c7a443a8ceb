"""The middleware onion: ``compose()`` and the ``Middleware`` / ``Next`` types.

Each call of ``next()`` returns the downstream middleware's own awaitable; no wrapper coroutine
and no closure per layer, so a request builds no reference cycles (they would wake the cyclic
garbage collector and show up as latency spikes). A layer's ``next`` is a function made once
at compose time, bound to the request's small state object: per layer and request, one bound
method and the middleware's own coroutine.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator, Sequence
from types import FunctionType, MethodType
from typing import Any, Protocol, TypeAlias, TypeVar

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


def _describe(fn: object) -> str:
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
    chain: tuple[Callable[..., Any], ...] = tuple(middleware)
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

        return dispatch

    first: Callable[[_Run], Awaitable[None]] = outer_next
    for index in range(size - 1, -1, -1):
        first = dispatcher(index, first)

    async def composed(ctx: C, next: Next | None = None, /) -> None:
        run = _Run()
        run.ctx = ctx
        run.tail = next
        run.high = -1
        run.last = None
        await first(run)
        last = run.last
        if (
            last is not None
            and getattr(last, "cr_frame", None) is not None
            # Never started, so never awaited; one still running (shielded, handed to a
            # task) is not this mistake.
            and inspect.getcoroutinestate(last) == inspect.CORO_CREATED
        ):
            last.close()
            index = run.last_index
            owner = _describe(chain[index - 1]) if index else "the caller"
            raise RuntimeError(
                f"middleware {owner} returned before its downstream ran: "
                "a next() call is missing an await"
            )

    return composed
