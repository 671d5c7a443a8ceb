"""The middleware that sets the headers, and helmet's individual middleware.

Each sets its header before running downstream (so a route can still change it), and puts it
in ``err.headers`` when downstream raises: Koa's error responder drops every header set before
the error and applies only ``err.headers``, so the security headers stay on 404 and 500
responses too (koa-helmet loses them there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any, TypeAlias

from koa.core import Context, Hooks, fixed_headers
from multidict import CIMultiDict, istr

from . import csp, policies

HelmetMiddleware: TypeAlias = Hooks[Context[Any]]
"""What ``helmet()`` and each individual middleware return: a middleware for ``app.use``."""

Entry: TypeAlias = tuple[str, "str | Callable[[Context[Any]], str]"]
"""A header and its value, or the function of ``ctx`` that computes it per request."""


def keep_on_error(err: BaseException, headers: list[tuple[str, str]]) -> None:
    """Add ``headers`` to ``err.headers`` where the error does not set the same one itself.

    An error whose ``headers`` cannot be replaced (aiohttp's ``HTTPException``) is updated in
    place.
    """
    current = getattr(err, "headers", None)
    merged: dict[str, Any] = {}
    if isinstance(current, Mapping) and current:
        own = {name.lower() for name in current if isinstance(name, str)}
        for name, value in headers:
            if name.lower() not in own:
                merged[name] = value
        if not merged:
            return
        merged.update(current)
    else:
        merged.update(headers)
    try:
        err.headers = merged  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        if isinstance(current, MutableMapping):
            current.clear()
            current.update(merged)


def headers_middleware(
    entries: Sequence[Entry], remove: Sequence[str] = (), name: str = "helmet"
) -> HelmetMiddleware:
    """A middleware that sets ``entries`` in order (a value or a function of ``ctx``) and
    removes the ``remove`` headers."""
    # Names as ``istr``, the key type aiohttp's header writer gets from a CIMultiDict: stored
    # as plain ``str`` they would be converted on every response, an object per header.
    ordered: list[Entry] = [(istr(header), value) for header, value in entries]
    fixed = [(header, value) for header, value in ordered if isinstance(value, str)]
    removed = tuple(remove)
    # A hook middleware (koa-core's ``Hooks``): the headers before downstream, and into the
    # error when downstream raises; no coroutine of its own.
    if fixed and len(fixed) == len(ordered):
        # Every value fixed: koa-core's ``fixed_headers`` (an empty header dict takes a copy).
        before = fixed_headers(fixed, remove=removed)

        def on_error(ctx: Context[Any], state: None, error: BaseException) -> None:
            if isinstance(error, Exception):
                keep_on_error(error, fixed)

        # Nothing to do after a request that went well: ``on_error``, not ``after``.
        return Hooks(before, on_error=on_error, name=name)

    # Runs of fixed headers as ready CIMultiDicts: extending an empty header dict from one is
    # a single C call, a fraction of setting the headers one by one.
    segments: list[CIMultiDict[str] | tuple[str, Callable[[Context[Any]], str]]] = []
    for header, value in ordered:
        if not isinstance(value, str):
            segments.append((header, value))
        elif segments and isinstance(segments[-1], CIMultiDict):
            segments[-1].add(header, value)
        else:
            segments.append(CIMultiDict([(header, value)]))

    def set_all(ctx: Context[Any], headers: CIMultiDict[str]) -> list[str]:
        """Set the headers; returns the values computed for this request."""
        computed: list[str] = []
        fresh = not headers  # nothing to replace: extend, and nothing to remove either
        for segment in segments:
            if isinstance(segment, tuple):
                header, render = segment
                value = render(ctx)
                headers[header] = value
                computed.append(value)
            elif fresh:
                headers.extend(segment)
            else:
                for header, value in segment.items():
                    headers[header] = value
        if not fresh:
            for header in removed:
                headers.popall(header, None)
        return computed

    def sent(computed: list[str]) -> list[tuple[str, str]]:
        values = iter(computed)
        return [(h, v if isinstance(v, str) else next(values)) for h, v in ordered]

    def before_computed(ctx: Context[Any]) -> list[str]:
        return set_all(ctx, ctx.response.headers)

    def after_computed(ctx: Context[Any], computed: list[str], error: BaseException | None) -> None:
        if isinstance(error, Exception):
            keep_on_error(error, sent(computed))

    return Hooks(before_computed, after_computed, name=name)


def content_security_policy_header(
    directives: Mapping[str, Any] | None, use_defaults: bool, report_only: bool
) -> Entry:
    """The CSP header, with its value or the function that renders it per request."""
    policies.check_bool("Content-Security-Policy", "report_only", report_only)
    header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
    return header, csp.policy(directives, use_defaults)


def content_security_policy(
    *,
    directives: Mapping[str, csp.DirectiveValue | Any] | None = None,
    use_defaults: bool = True,
    report_only: bool = False,
) -> HelmetMiddleware:
    """``Content-Security-Policy`` (helmet 8's defaults unless ``use_defaults=False``).

    ``directives`` maps names (``"script-src"``, ``"scriptSrc"`` or ``"script_src"``) to a
    string, a list of strings and functions ``(ctx) -> str``, or ``None`` to drop a default.
    Keywords must be quoted (``"'self'"``): a bare ``self`` is a ``ValueError``.
    ``report_only=True`` sends ``Content-Security-Policy-Report-Only`` instead.
    """
    entry = content_security_policy_header(directives, use_defaults, report_only)
    return headers_middleware([entry], name="content_security_policy")


def cross_origin_embedder_policy(*, policy: str = "require-corp") -> HelmetMiddleware:
    """``Cross-Origin-Embedder-Policy`` (not in ``helmet()``'s defaults)."""
    value = policies.one_of(
        "Cross-Origin-Embedder-Policy", "policy", policy, policies.COEP_POLICIES
    )
    return headers_middleware([("Cross-Origin-Embedder-Policy", value)])


def cross_origin_opener_policy(*, policy: str = "same-origin") -> HelmetMiddleware:
    """``Cross-Origin-Opener-Policy``."""
    value = policies.one_of("Cross-Origin-Opener-Policy", "policy", policy, policies.COOP_POLICIES)
    return headers_middleware([("Cross-Origin-Opener-Policy", value)])


def cross_origin_resource_policy(*, policy: str = "same-origin") -> HelmetMiddleware:
    """``Cross-Origin-Resource-Policy``."""
    value = policies.one_of(
        "Cross-Origin-Resource-Policy", "policy", policy, policies.CORP_POLICIES
    )
    return headers_middleware([("Cross-Origin-Resource-Policy", value)])


def origin_agent_cluster() -> HelmetMiddleware:
    """``Origin-Agent-Cluster: ?1``."""
    return headers_middleware([("Origin-Agent-Cluster", "?1")])


def referrer_policy(*, policy: str | Sequence[str] = "no-referrer") -> HelmetMiddleware:
    """``Referrer-Policy``; a list of tokens is joined with ``,``."""
    return headers_middleware([("Referrer-Policy", policies.referrer_policy_value(policy))])


def strict_transport_security(
    *,
    max_age: int | float = policies.ONE_YEAR,
    include_sub_domains: bool = True,
    preload: bool = False,
) -> HelmetMiddleware:
    """``Strict-Transport-Security``: ``max_age`` in seconds (one year by default)."""
    value = policies.strict_transport_security_value(max_age, include_sub_domains, preload)
    return headers_middleware([("Strict-Transport-Security", value)])


def x_content_type_options() -> HelmetMiddleware:
    """``X-Content-Type-Options: nosniff``."""
    return headers_middleware([("X-Content-Type-Options", "nosniff")])


def x_dns_prefetch_control(*, allow: bool = False) -> HelmetMiddleware:
    """``X-DNS-Prefetch-Control: off`` (``on`` with ``allow=True``)."""
    policies.check_bool("X-DNS-Prefetch-Control", "allow", allow)
    return headers_middleware([("X-DNS-Prefetch-Control", "on" if allow else "off")])


def x_download_options() -> HelmetMiddleware:
    """``X-Download-Options: noopen``."""
    return headers_middleware([("X-Download-Options", "noopen")])


def x_frame_options(*, action: str = "sameorigin") -> HelmetMiddleware:
    """``X-Frame-Options``: ``SAMEORIGIN`` or ``DENY``."""
    return headers_middleware([("X-Frame-Options", policies.x_frame_options_value(action))])


def x_permitted_cross_domain_policies(*, permitted_policies: str = "none") -> HelmetMiddleware:
    """``X-Permitted-Cross-Domain-Policies``."""
    value = policies.one_of(
        "X-Permitted-Cross-Domain-Policies",
        "permitted_policies",
        permitted_policies,
        policies.PERMITTED_POLICIES,
    )
    return headers_middleware([("X-Permitted-Cross-Domain-Policies", value)])


def x_powered_by() -> HelmetMiddleware:
    """Removes ``X-Powered-By`` if set before it runs (Koa itself never sends one)."""
    return headers_middleware([], remove=["X-Powered-By"], name="x_powered_by")


def x_xss_protection() -> HelmetMiddleware:
    """``X-XSS-Protection: 0``: turns off old browsers' XSS auditor, which did harm."""
    return headers_middleware([("X-XSS-Protection", "0")])


# helmet's legacy names.
dns_prefetch_control = x_dns_prefetch_control
frameguard = x_frame_options
hide_powered_by = x_powered_by
hsts = strict_transport_security
ie_no_open = x_download_options
no_sniff = x_content_type_options
permitted_cross_domain_policies = x_permitted_cross_domain_policies
xss_filter = x_xss_protection
