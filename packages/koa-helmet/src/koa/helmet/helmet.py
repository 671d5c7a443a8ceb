"""``helmet()``: helmet 8's security headers in one middleware.

::

    app.use(helmet())                                        # helmet 8's defaults
    app.use(helmet(content_security_policy=False))           # all but CSP
    app.use(helmet(strict_transport_security={"max_age": 86400, "preload": True}))
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import csp, policies
from .middleware import (
    Entry,
    HelmetMiddleware,
    content_security_policy_header,
    headers_middleware,
)

_UNSET: Any = None  # an option left out (helmet's `undefined`)


def helmet(
    *,
    content_security_policy: bool | csp.ContentSecurityPolicyOptions = True,
    cross_origin_embedder_policy: bool | policies.PolicyOptions = False,
    cross_origin_opener_policy: bool | policies.PolicyOptions = True,
    cross_origin_resource_policy: bool | policies.PolicyOptions = True,
    origin_agent_cluster: bool = True,
    referrer_policy: bool | policies.ReferrerPolicyOptions = True,
    strict_transport_security: bool | policies.StrictTransportSecurityOptions | None = _UNSET,
    x_content_type_options: bool | None = _UNSET,
    x_dns_prefetch_control: bool | policies.XDnsPrefetchControlOptions | None = _UNSET,
    x_download_options: bool | None = _UNSET,
    x_frame_options: bool | policies.XFrameOptionsOptions | None = _UNSET,
    x_permitted_cross_domain_policies: (
        bool | policies.XPermittedCrossDomainPoliciesOptions | None
    ) = _UNSET,
    x_powered_by: bool | None = _UNSET,
    x_xss_protection: bool | None = _UNSET,
    hsts: bool | policies.StrictTransportSecurityOptions | None = _UNSET,
    no_sniff: bool | None = _UNSET,
    dns_prefetch_control: bool | policies.XDnsPrefetchControlOptions | None = _UNSET,
    ie_no_open: bool | None = _UNSET,
    frameguard: bool | policies.XFrameOptionsOptions | None = _UNSET,
    permitted_cross_domain_policies: (
        bool | policies.XPermittedCrossDomainPoliciesOptions | None
    ) = _UNSET,
    hide_powered_by: bool | None = _UNSET,
    xss_filter: bool | None = _UNSET,
) -> HelmetMiddleware:
    """One middleware that sets helmet 8's headers; each option is ``True`` (the default
    header), ``False`` (leave it out) or a dict of that header's options, under helmet's
    names in snake_case:

    ============================================  ==============================================
    option (legacy name)                          default header / dict keys
    ============================================  ==============================================
    ``content_security_policy``                   ``default-src 'self';...`` /
                                                  ``directives``, ``use_defaults``,
                                                  ``report_only``
    ``cross_origin_embedder_policy``              off / ``policy``
    ``cross_origin_opener_policy``                ``same-origin`` / ``policy``
    ``cross_origin_resource_policy``              ``same-origin`` / ``policy``
    ``origin_agent_cluster``                      ``?1``
    ``referrer_policy``                           ``no-referrer`` / ``policy``
    ``strict_transport_security`` (``hsts``)      ``max-age=31536000; includeSubDomains`` /
                                                  ``max_age``, ``include_sub_domains``,
                                                  ``preload``
    ``x_content_type_options`` (``no_sniff``)     ``nosniff``
    ``x_dns_prefetch_control``                    ``off`` / ``allow``
    (``dns_prefetch_control``)
    ``x_download_options`` (``ie_no_open``)       ``noopen``
    ``x_frame_options`` (``frameguard``)          ``SAMEORIGIN`` / ``action``
    ``x_permitted_cross_domain_policies``         ``none`` / ``permitted_policies``
    (``permitted_cross_domain_policies``)
    ``x_powered_by`` (``hide_powered_by``)        removes ``X-Powered-By``
    ``x_xss_protection`` (``xss_filter``)         ``0``
    ============================================  ==============================================

    The headers are set before downstream runs (a route may override one) and are kept on
    the response Koa makes from an exception. A misspelt key, a bad value or an option given
    under both of its names is an error here, not on the first request.
    """
    static: list[Entry] = []
    remove: list[str] = []

    def add(header: str, value: str) -> None:
        static.append((header, value))

    chosen = _chosen(
        "content_security_policy",
        content_security_policy,
        ("directives", "use_defaults", "report_only"),
    )
    if chosen is not None:
        static.append(
            content_security_policy_header(
                chosen.get("directives"),
                chosen.get("use_defaults", True),
                chosen.get("report_only", False),
            )
        )
    for name, option, header, allowed in (
        (
            "cross_origin_embedder_policy",
            cross_origin_embedder_policy,
            "Cross-Origin-Embedder-Policy",
            policies.COEP_POLICIES,
        ),
        (
            "cross_origin_opener_policy",
            cross_origin_opener_policy,
            "Cross-Origin-Opener-Policy",
            policies.COOP_POLICIES,
        ),
        (
            "cross_origin_resource_policy",
            cross_origin_resource_policy,
            "Cross-Origin-Resource-Policy",
            policies.CORP_POLICIES,
        ),
    ):
        chosen = _chosen(name, option, ("policy",))
        if chosen is not None:
            add(
                header, policies.one_of(header, "policy", chosen.get("policy", allowed[0]), allowed)
            )
    if _flag("origin_agent_cluster", origin_agent_cluster):
        add("Origin-Agent-Cluster", "?1")
    chosen = _chosen("referrer_policy", referrer_policy, ("policy",))
    if chosen is not None:
        add("Referrer-Policy", policies.referrer_policy_value(chosen.get("policy", "no-referrer")))
    option = _one("strict_transport_security", strict_transport_security, "hsts", hsts)
    chosen = _chosen(
        "strict_transport_security", option, ("max_age", "include_sub_domains", "preload")
    )
    if chosen is not None:
        add(
            "Strict-Transport-Security",
            policies.strict_transport_security_value(
                chosen.get("max_age", policies.ONE_YEAR),
                chosen.get("include_sub_domains", True),
                chosen.get("preload", False),
            ),
        )
    option = _one("x_content_type_options", x_content_type_options, "no_sniff", no_sniff)
    if _flag("x_content_type_options", option):
        add("X-Content-Type-Options", "nosniff")
    option = _one(
        "x_dns_prefetch_control",
        x_dns_prefetch_control,
        "dns_prefetch_control",
        dns_prefetch_control,
    )
    chosen = _chosen("x_dns_prefetch_control", option, ("allow",))
    if chosen is not None:
        allow = policies.check_bool("X-DNS-Prefetch-Control", "allow", chosen.get("allow", False))
        add("X-DNS-Prefetch-Control", "on" if allow else "off")
    option = _one("x_download_options", x_download_options, "ie_no_open", ie_no_open)
    if _flag("x_download_options", option):
        add("X-Download-Options", "noopen")
    option = _one("x_frame_options", x_frame_options, "frameguard", frameguard)
    chosen = _chosen("x_frame_options", option, ("action",))
    if chosen is not None:
        add("X-Frame-Options", policies.x_frame_options_value(chosen.get("action", "sameorigin")))
    option = _one(
        "x_permitted_cross_domain_policies",
        x_permitted_cross_domain_policies,
        "permitted_cross_domain_policies",
        permitted_cross_domain_policies,
    )
    chosen = _chosen("x_permitted_cross_domain_policies", option, ("permitted_policies",))
    if chosen is not None:
        add(
            "X-Permitted-Cross-Domain-Policies",
            policies.one_of(
                "X-Permitted-Cross-Domain-Policies",
                "permitted_policies",
                chosen.get("permitted_policies", "none"),
                policies.PERMITTED_POLICIES,
            ),
        )
    option = _one("x_powered_by", x_powered_by, "hide_powered_by", hide_powered_by)
    if _flag("x_powered_by", option):
        remove.append("X-Powered-By")
    option = _one("x_xss_protection", x_xss_protection, "xss_filter", xss_filter)
    if _flag("x_xss_protection", option):
        add("X-XSS-Protection", "0")
    return headers_middleware(static, remove)


def _one(name: str, value: Any, legacy: str, legacy_value: Any) -> Any:
    """The option given under its name or its legacy name (not both, as helmet)."""
    if value is not _UNSET and legacy_value is not _UNSET:
        raise ValueError(
            f"helmet(): {name} and {legacy} are the same option, given twice; remove {legacy}"
        )
    return legacy_value if value is _UNSET else value


def _flag(name: str, value: Any) -> bool:
    """An option that takes no options: ``True``/``None`` (on) or ``False`` (off)."""
    if value is _UNSET:
        return True
    if not isinstance(value, bool):
        raise TypeError(
            f"helmet({name}=...) takes True or False (it has no options), not {value!r}"
        )
    return value


def _chosen(name: str, value: Any, keys: tuple[str, ...]) -> Mapping[str, Any] | None:
    """``None`` when the header is off, else its options (``{}`` for the defaults)."""
    if value is _UNSET or value is True:
        return {}
    if value is False:
        return None
    if not isinstance(value, Mapping):
        raise TypeError(
            f"helmet({name}=...) takes True, False or a dict with {', '.join(keys)}; not"
            f" {type(value).__name__}"
        )
    for key in value:
        if key not in keys:
            hint = _snake(key) if isinstance(key, str) else None
            extra = f" (did you mean {hint!r}?)" if hint in keys else ""
            raise ValueError(
                f"helmet({name}=...) got an unknown option {key!r}{extra}; it takes"
                f" {', '.join(keys)}"
            )
    return value


def _snake(key: str) -> str:
    """``maxAge`` -> ``max_age``: helmet's camelCase and common misspellings, for the hint."""
    out = "".join("_" + c.lower() if c.isupper() else c for c in key)
    return {"maxage": "max_age", "include_subdomains": "include_sub_domains"}.get(out, out)
