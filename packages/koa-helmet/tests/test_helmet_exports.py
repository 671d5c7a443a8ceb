"""The public surface of koa.helmet: helmet() and each of helmet 8's middleware by name."""

from __future__ import annotations

import koa.helmet

HELMET_EXPORTS = [
    # helmet 8's middleware, in snake_case
    "content_security_policy",
    "cross_origin_embedder_policy",
    "cross_origin_opener_policy",
    "cross_origin_resource_policy",
    "origin_agent_cluster",
    "referrer_policy",
    "strict_transport_security",
    "x_content_type_options",
    "x_dns_prefetch_control",
    "x_download_options",
    "x_frame_options",
    "x_permitted_cross_domain_policies",
    "x_powered_by",
    "x_xss_protection",
    # and its legacy aliases
    "dns_prefetch_control",
    "frameguard",
    "hide_powered_by",
    "hsts",
    "ie_no_open",
    "no_sniff",
    "permitted_cross_domain_policies",
    "xss_filter",
]


def test_exports() -> None:
    assert sorted(koa.helmet.__all__) == sorted(
        [
            *HELMET_EXPORTS,
            "helmet",
            "get_default_directives",
            "DANGEROUSLY_DISABLE_DEFAULT_SRC",
            "ContentSecurityPolicyOptions",
            "DirectiveFn",
            "HelmetMiddleware",
            "PolicyOptions",
            "ReferrerPolicyOptions",
            "StrictTransportSecurityOptions",
            "XDnsPrefetchControlOptions",
            "XFrameOptionsOptions",
            "XPermittedCrossDomainPoliciesOptions",
        ]
    )
    for name in HELMET_EXPORTS:
        assert callable(getattr(koa.helmet, name)), name


def test_legacy_names_are_the_same_middleware() -> None:
    assert koa.helmet.hsts is koa.helmet.strict_transport_security
    assert koa.helmet.frameguard is koa.helmet.x_frame_options
    assert koa.helmet.no_sniff is koa.helmet.x_content_type_options
    assert koa.helmet.xss_filter is koa.helmet.x_xss_protection
