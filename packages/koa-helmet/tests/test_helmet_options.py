"""Every bad option is refused when the middleware is made, with the option's name."""

from __future__ import annotations

import math
from typing import Any

import pytest
from koa.helmet import (
    cross_origin_embedder_policy,
    cross_origin_opener_policy,
    cross_origin_resource_policy,
    helmet,
    referrer_policy,
    strict_transport_security,
    x_dns_prefetch_control,
    x_frame_options,
    x_permitted_cross_domain_policies,
)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        # misspelt keys, as helmet 8 refuses `maxage` and `includeSubdomains`
        ({"strict_transport_security": {"maxAge": 1}}, ValueError, "did you mean 'max_age'"),
        ({"hsts": {"maxage": 1}}, ValueError, "did you mean 'max_age'"),
        (
            {"hsts": {"includeSubdomains": True}},
            ValueError,
            "did you mean 'include_sub_domains'",
        ),
        ({"hsts": {"include_subdomains": True}}, ValueError, "unknown option"),
        ({"content_security_policy": {"directive": {}}}, ValueError, r"unknown option 'directive'"),
        ({"content_security_policy": {"useDefaults": False}}, ValueError, "use_defaults"),
        ({"x_frame_options": {"policy": "deny"}}, ValueError, "it takes action"),
        ({"referrer_policy": {"policies": "origin"}}, ValueError, "unknown option"),
        # given twice, under both names (helmet 8 throws too)
        ({"strict_transport_security": True, "hsts": False}, ValueError, "given twice"),
        ({"x_content_type_options": True, "no_sniff": True}, ValueError, "given twice"),
        ({"x_frame_options": False, "frameguard": False}, ValueError, "given twice"),
        ({"x_xss_protection": True, "xss_filter": True}, ValueError, "given twice"),
        ({"x_powered_by": True, "hide_powered_by": True}, ValueError, "given twice"),
        ({"x_download_options": True, "ie_no_open": True}, ValueError, "given twice"),
        (
            {"x_dns_prefetch_control": True, "dns_prefetch_control": True},
            ValueError,
            "given twice",
        ),
        (
            {"x_permitted_cross_domain_policies": True, "permitted_cross_domain_policies": True},
            ValueError,
            "given twice",
        ),
        # wrong types
        ({"content_security_policy": "default-src 'self'"}, TypeError, "content_security_policy"),
        ({"origin_agent_cluster": {"x": 1}}, TypeError, "origin_agent_cluster"),
        ({"x_xss_protection": "0"}, TypeError, "x_xss_protection"),
        ({"no_sniff": 1}, TypeError, "no_sniff|x_content_type_options"),
        ({"referrer_policy": "no-referrer"}, TypeError, "referrer_policy"),
        ({"hsts": 31536000}, TypeError, "strict_transport_security"),
        # wrong values
        ({"cross_origin_embedder_policy": {"policy": "corp"}}, ValueError, "Embedder"),
        ({"cross_origin_opener_policy": {"policy": "same"}}, ValueError, "Opener"),
        ({"cross_origin_resource_policy": {"policy": "none"}}, ValueError, "Resource"),
        ({"referrer_policy": {"policy": "nope"}}, ValueError, "Referrer-Policy"),
        ({"referrer_policy": {"policy": []}}, ValueError, "no policy tokens"),
        ({"referrer_policy": {"policy": ["origin", "origin"]}}, ValueError, "duplicate"),
        ({"referrer_policy": {"policy": "origin\r\nX: y"}}, ValueError, "Referrer-Policy"),
        ({"hsts": {"max_age": -1}}, ValueError, "max_age"),
        ({"hsts": {"max_age": math.inf}}, ValueError, "max_age"),
        ({"hsts": {"max_age": math.nan}}, ValueError, "max_age"),
        ({"hsts": {"max_age": "1"}}, TypeError, "max_age"),
        ({"hsts": {"max_age": True}}, TypeError, "max_age"),
        ({"hsts": {"preload": "yes"}}, TypeError, "preload"),
        ({"hsts": {"include_sub_domains": None}}, TypeError, "include_sub_domains"),
        ({"x_dns_prefetch_control": {"allow": "on"}}, TypeError, "allow"),
        ({"x_frame_options": {"action": "allow-from https://a"}}, ValueError, "invalid action"),
        ({"x_frame_options": {"action": 1}}, TypeError, "action"),
        (
            {"x_permitted_cross_domain_policies": {"permitted_policies": "some"}},
            ValueError,
            "X-Permitted-Cross-Domain-Policies",
        ),
    ],
)
def test_helmet_refuses_bad_options(
    options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        helmet(**options)


def test_an_unknown_option_name_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="contentSecurityPolicy"):
        helmet(contentSecurityPolicy=False)  # type: ignore[call-arg]


NOTHING: Any = None


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: cross_origin_embedder_policy(policy="x"), ValueError),
        (lambda: cross_origin_opener_policy(policy="x"), ValueError),
        (lambda: cross_origin_resource_policy(policy="x"), ValueError),
        (lambda: referrer_policy(policy="x\n"), ValueError),
        (lambda: strict_transport_security(max_age=-5), ValueError),
        (lambda: x_dns_prefetch_control(allow=NOTHING), TypeError),
        (lambda: x_frame_options(action="x"), ValueError),
        (lambda: x_permitted_cross_domain_policies(permitted_policies="x"), ValueError),
        (lambda: cross_origin_opener_policy(policy=NOTHING), TypeError),
    ],
)
def test_each_middleware_refuses_bad_options(make: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make()
