"""``cors()``: Cross-Origin Resource Sharing headers, as @koa/cors 5 sends them.

::

    app.use(cors(origin=["https://app.example.com"], credentials=True))
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Collection
from typing import Any, TypeAlias

from koa.core import Context, Hooks, Next
from multidict import CIMultiDict, istr

from .headers import keep_on_error, reflectable_header_list, reflectable_origin, token_list
from .origins import AllowedOrigins, OriginFn, OriginOption, OriginPattern, fixed_origin

CredentialsFn: TypeAlias = Callable[[Context[Any]], "bool | Awaitable[bool]"]
"""``credentials(ctx)``: whether to send ``Access-Control-Allow-Credentials: true``."""

CorsMiddleware: TypeAlias = Hooks[Context[Any]]
"""What ``cors()`` returns: a middleware for ``app.use``."""

DEFAULT_ALLOW_METHODS = "GET,HEAD,PUT,POST,DELETE,PATCH"
_UNSEEN: Any = object()
_VARY = istr("Vary")
_REMEMBERED = 1024  # origins whose regex answer is kept


def cors(
    *,
    origin: OriginOption = "*",
    allow_methods: str | Collection[str] | None = DEFAULT_ALLOW_METHODS,
    allow_headers: str | Collection[str] | None = None,
    expose_headers: str | Collection[str] | None = None,
    max_age: int | None = None,
    credentials: bool | CredentialsFn = False,
    keep_headers_on_error: bool = True,
    secure_context: bool = False,
    private_network_access: bool = False,
) -> CorsMiddleware:
    """A middleware that answers CORS preflights and adds CORS headers to other responses.

    ``origin`` says which origins may read the responses:

    - ``"*"`` (default): any, without credentials;
    - an origin (``"https://app.example.com"``): sent as is on every response;
    - a list of origins, or a compiled regex matched against the whole ``Origin``: a request
      from one of them gets its own origin back, any other gets no
      ``Access-Control-Allow-Origin`` (the browser then refuses to show it the response);
    - a function ``origin(ctx)`` (sync or async) returning the value to send, or ``None``
      to send no CORS headers.

    Every response gets ``Vary: Origin``. A preflight (``OPTIONS`` with
    ``Access-Control-Request-Method``) is answered 204 without running downstream;
    ``allow_headers=None`` sends back the request's ``Access-Control-Request-Headers`` when it
    is a plain list of header names. Lists are joined with ``,``; ``max_age`` is in seconds.

    ``credentials=True`` (or a function of ``ctx``) adds ``Access-Control-Allow-Credentials``;
    it cannot be combined with ``origin="*"`` (every site could read responses made with the
    user's cookies): list the origins instead.

    With ``keep_headers_on_error`` (default) the CORS headers and ``Vary`` are also on the
    response Koa makes from an exception raised downstream. ``secure_context`` adds
    ``Cross-Origin-Opener-Policy: same-origin`` and ``Cross-Origin-Embedder-Policy:
    require-corp``; ``private_network_access`` answers a preflight's
    ``Access-Control-Request-Private-Network`` with ``Access-Control-Allow-Private-Network``.

    Bad options are a ``TypeError`` or ``ValueError`` naming the option, here and now.
    """
    fixed: str | None = None
    match: Callable[[str], str | None] | None = None
    origin_fn: OriginFn | None = None
    if isinstance(origin, str):
        fixed = fixed_origin(origin)
    elif isinstance(origin, re.Pattern):
        match = OriginPattern(origin)
    elif isinstance(origin, (list, tuple, set, frozenset)):
        match = AllowedOrigins(origin)
    elif callable(origin):
        origin_fn = origin
    else:
        raise TypeError(
            "cors(origin=...) takes '*', an origin string, a list of origins, a compiled regex"
            f" or a function of ctx, not {type(origin).__name__}"
        )

    credentials_fn: CredentialsFn | None = None
    if isinstance(credentials, bool):
        always_credentials = credentials
    elif callable(credentials):
        always_credentials = False
        credentials_fn = credentials
    else:
        raise TypeError(
            f"cors(credentials=...) takes a bool or a function of ctx, not"
            f" {type(credentials).__name__}"
        )
    if fixed == "*" and (always_credentials or credentials_fn is not None):
        raise ValueError(
            "cors(credentials=...) with origin='*' would let every web site read responses"
            " made with your users' cookies (@koa/cors reflects any Origin then); list the"
            " origins you trust instead: cors(origin=['https://app.example.com'],"
            " credentials=True)"
        )

    methods = token_list("allow_methods", allow_methods)
    allowed_headers = token_list("allow_headers", allow_headers)
    exposed = token_list("expose_headers", expose_headers)
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int)):
        raise TypeError(f"cors(max_age=...) takes whole seconds (int), not {max_age!r}")
    if max_age is not None and max_age < 0:
        raise ValueError(f"cors(max_age={max_age}) must be 0 or more seconds")
    for name, flag in (
        ("keep_headers_on_error", keep_headers_on_error),
        ("secure_context", secure_context),
        ("private_network_access", private_network_access),
    ):
        if not isinstance(flag, bool):
            raise TypeError(f"cors({name}=...) takes a bool, not {type(flag).__name__}")

    # Headers of a non-preflight response after Allow-Origin and Allow-Credentials, and of a
    # preflight after Allow-Origin, Allow-Credentials and Max-Age (@koa/cors's order).
    simple: list[tuple[str, str]] = []
    if exposed:
        simple.append(("Access-Control-Expose-Headers", exposed))
    if secure_context:
        simple.append(("Cross-Origin-Opener-Policy", "same-origin"))
        simple.append(("Cross-Origin-Embedder-Policy", "require-corp"))
    preflight: list[tuple[str, str]] = []
    if methods:
        preflight.append(("Access-Control-Allow-Methods", methods))
    if secure_context:
        preflight.append(("Cross-Origin-Opener-Policy", "same-origin"))
        preflight.append(("Cross-Origin-Embedder-Policy", "require-corp"))
    age = None if max_age is None else str(max_age)
    keep = keep_headers_on_error

    # The usual response (not OPTIONS, credentials fixed, nothing set yet) gets its headers from
    # a ready CIMultiDict per possible Allow-Origin: one C call instead of a header at a time.
    # Names as ``istr``, the key type aiohttp's header writer gets from a CIMultiDict: stored
    # as plain ``str`` they would be converted on every response, an object per header.
    def ready(allowed: str) -> tuple[CIMultiDict[str], list[tuple[str, str]]]:
        kept = [("Access-Control-Allow-Origin", allowed)]
        if always_credentials and allowed != "*":
            kept.append(("Access-Control-Allow-Credentials", "true"))
        kept += simple
        return CIMultiDict([(istr(k), v) for k, v in [("Vary", "Origin"), *kept]]), kept

    ready_fixed = ready(fixed) if fixed is not None and credentials_fn is None else None
    ready_listed: dict[str, tuple[CIMultiDict[str], list[tuple[str, str]]] | None] | None = None
    if isinstance(match, AllowedOrigins) and credentials_fn is None:
        ready_listed = {origin: ready(origin) for origin in match.origins}
    # A regex's answers are remembered for the first origins seen (bounded: an attacker
    # sending random Origins fills it once, then they are matched each time).
    learning = isinstance(match, OriginPattern) and credentials_fn is None
    if learning:
        ready_listed = {}
    # ``istr``: looked up in a response that already has headers (cors() after helmet()),
    # a plain ``str`` would be case-folded and hashed again on every request.
    names = tuple(istr(name) for name in ("Vary", "Access-Control-Allow-Origin", *dict(simple)))

    async def allowed_origin(ctx: Context[Any]) -> str | None:
        """What ``origin(ctx)`` returns, when it can be sent."""
        assert origin_fn is not None
        result = origin_fn(ctx)
        if inspect.isawaitable(result):
            result = await result
        if not result:
            return None
        if not isinstance(result, str):
            raise TypeError(
                f"cors(origin=...): the function returned {type(result).__name__}, expected"
                " the origin to allow (a str) or None"
            )
        # What came from the request (ctx.get("Origin")) is only sent back when it can be an
        # origin: never a control character or a space.
        return result if result == "*" or reflectable_origin(result) else None

    ready_any = ready_fixed is not None or ready_listed is not None

    # A hook middleware (koa-core's ``Hooks``): the usual request (not OPTIONS, an origin
    # answered from the ready headers, none of ours set yet) costs two calls and no
    # coroutine; every other request (a preflight, an origin function to await) is
    # ``around``'s, an ordinary middleware.
    def before(ctx: Context[Any]) -> Any:
        if not ready_any or ctx.request.method == "OPTIONS":
            return Hooks.AROUND
        headers = ctx.response.headers
        # No header set yet (the usual case: cors() comes first), or none of ours.
        for name in names if headers else ():
            if name in headers:
                return Hooks.AROUND
        if ready_fixed is not None:
            template, kept = ready_fixed
        else:
            assert ready_listed is not None
            # One Origin line, exactly a listed origin (a browser never sends two).
            origins = ctx.request.headers.getall("Origin", ())
            found = None
            if len(origins) == 1:
                request_origin = origins[0]
                found = ready_listed.get(request_origin, _UNSEEN)
                if found is _UNSEEN:
                    found = None
                    if learning and match is not None:
                        reflected = match(request_origin)
                        found = None if reflected is None else ready(reflected)
                        if len(ready_listed) < _REMEMBERED:
                            ready_listed[request_origin] = found
            if found is None:
                headers[_VARY] = "Origin"
                return ()
            template, kept = found
        headers.extend(template)
        return kept

    def on_error(ctx: Context[Any], kept: list[tuple[str, str]], error: BaseException) -> None:
        if isinstance(error, Exception):
            keep_on_error(error, kept)

    async def cors_middleware(ctx: Context[Any], next: Next) -> None:
        response = ctx.response
        headers = response.headers
        if "Vary" in headers:
            response.vary("Origin")
        else:
            headers[_VARY] = "Origin"

        if fixed is not None:
            allowed: str | None = fixed
        elif match is not None:
            origins = ctx.request.headers.getall("Origin", ())
            allowed = match(origins[0]) if len(origins) == 1 else None
        else:
            allowed = await allowed_origin(ctx)
        if allowed is None:
            # Not an origin we serve: the response is the app's own, CORS does not apply.
            if not keep:
                return await next()
            try:
                return await next()
            except Exception as err:
                keep_on_error(err, ())
                raise

        with_credentials = always_credentials
        if credentials_fn is not None:
            result = credentials_fn(ctx)
            if inspect.isawaitable(result):
                result = await result
            with_credentials = bool(result)
        if allowed == "*":
            # Never credentials with a wildcard (browsers refuse it), and the wildcard is never
            # turned into the request's Origin, as @koa/cors does.
            with_credentials = False

        if ctx.method != "OPTIONS":
            headers["Access-Control-Allow-Origin"] = allowed
            if with_credentials:
                headers["Access-Control-Allow-Credentials"] = "true"
            for name, value in simple:
                headers[name] = value
            if not keep:
                return await next()
            try:
                return await next()
            except Exception as err:
                kept = [("Access-Control-Allow-Origin", allowed)]
                if with_credentials:
                    kept.append(("Access-Control-Allow-Credentials", "true"))
                keep_on_error(err, kept + simple)
                raise

        request_headers = ctx.request.headers
        if not request_headers.get("Access-Control-Request-Method"):
            # An OPTIONS request that is not a preflight is the app's to answer.
            if not keep:
                return await next()
            try:
                return await next()
            except Exception as err:
                keep_on_error(err, ())
                raise
        headers["Access-Control-Allow-Origin"] = allowed
        if with_credentials:
            headers["Access-Control-Allow-Credentials"] = "true"
        if age is not None:
            headers["Access-Control-Max-Age"] = age
        if private_network_access and request_headers.get("Access-Control-Request-Private-Network"):
            headers["Access-Control-Allow-Private-Network"] = "true"
        for name, value in preflight:
            headers[name] = value
        if allowed_headers is not None:
            headers["Access-Control-Allow-Headers"] = allowed_headers
        else:
            asked = ctx.request.get("Access-Control-Request-Headers")
            if asked and reflectable_header_list(asked):
                headers["Access-Control-Allow-Headers"] = asked
        ctx.status = 204

    # Nothing to do after a request that went well: ``on_error``, and only to keep the headers.
    return Hooks(before, None, cors_middleware, on_error=on_error if keep else None, name="cors")
