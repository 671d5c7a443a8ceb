"""The middleware onion: ``compose()`` and the ``Middleware`` / ``Next`` types.

Each call of ``next()`` returns the downstream middleware's own awaitable; no wrapper coroutine
and no closure per layer, so a request builds no reference cycles (they would wake the cyclic
garbage collector and show up as latency spikes).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator, Sequence
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

    class _Step:
        # One per layer and request; ``run`` is the ``next`` handed to layer ``index - 1``.
        # It holds no reference back to the caller, so a request builds no cycles.
        __slots__ = ("called", "ctx", "index", "state", "tail")
        called: bool
        ctx: Any
        index: int
        state: list[Any]
        tail: Next | None

        def run(self) -> Awaitable[None]:
            if self.called:
                raise RuntimeError("next() called multiple times")
            self.called = True
            index = self.index
            if index == size:
                tail = self.tail
                result: Any = DONE if tail is None else tail()
            else:
                step = _Step()
                step.ctx = self.ctx
                step.index = index + 1
                step.tail = self.tail
                step.state = self.state
                step.called = False
                result = chain[index](self.ctx, step.run)
                if result is None:
                    return DONE
            # The deepest awaitable handed out: if its caller forgot the await, it never ran.
            self.state[0] = result
            self.state[1] = index
            return result  # type: ignore[no-any-return]

    async def composed(ctx: C, next: Next | None = None, /) -> None:
        state: list[Any] = [None, 0]
        step = _Step()
        step.ctx = ctx
        step.index = 0
        step.tail = next
        step.state = state
        step.called = False
        await step.run()
        last = state[0]
        if (
            last is not None
            and getattr(last, "cr_frame", None) is not None
            # Never started, so never awaited; one still running (shielded, handed to a
            # task) is not this mistake.
            and inspect.getcoroutinestate(last) == inspect.CORO_CREATED
        ):
            last.close()
            index = state[1]
            owner = _describe(chain[index - 1]) if index else "the caller"
            raise RuntimeError(
                f"middleware {owner} returned before its downstream ran: "
                "a next() call is missing an await"
            )

    return composed
