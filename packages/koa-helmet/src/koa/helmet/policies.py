"""The values of helmet 8's other headers, checked as helmet checks them (and a little more)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypedDict

ONE_YEAR = 365 * 24 * 60 * 60


class PolicyOptions(TypedDict, total=False):
    """``{"policy": ...}`` for the Cross-Origin-* headers."""

    policy: str


class ReferrerPolicyOptions(TypedDict, total=False):
    policy: str | Sequence[str]


class StrictTransportSecurityOptions(TypedDict, total=False):
    max_age: int | float
    include_sub_domains: bool
    preload: bool


class XDnsPrefetchControlOptions(TypedDict, total=False):
    allow: bool


class XFrameOptionsOptions(TypedDict, total=False):
    action: str


class XPermittedCrossDomainPoliciesOptions(TypedDict, total=False):
    permitted_policies: str


def one_of(header: str, option: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{header}: {option} must be a str, not {type(value).__name__}")
    if value not in allowed:
        raise ValueError(
            f"{header} does not support the {value!r} {option}; use one of"
            f" {', '.join(map(repr, allowed))}"
        )
    return value


def check_bool(header: str, option: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{header}: {option} must be a bool, not {value!r}")
    return value


COEP_POLICIES = ("require-corp", "credentialless", "unsafe-none")
COOP_POLICIES = ("same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none")
CORP_POLICIES = ("same-origin", "same-site", "cross-origin")
REFERRER_TOKENS = (
    "no-referrer",
    "no-referrer-when-downgrade",
    "same-origin",
    "origin",
    "strict-origin",
    "origin-when-cross-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
    "",
)
PERMITTED_POLICIES = ("none", "master-only", "by-content-type", "all")


def referrer_policy_value(policy: str | Sequence[str]) -> str:
    tokens = [policy] if isinstance(policy, str) else policy
    if not isinstance(tokens, Sequence):
        raise TypeError(f"Referrer-Policy: policy must be a str or a list of str, not {policy!r}")
    if not tokens:
        raise ValueError("Referrer-Policy received no policy tokens")
    seen: set[str] = set()
    for token in tokens:
        one_of("Referrer-Policy", "policy", token, REFERRER_TOKENS)
        if token in seen:
            raise ValueError(f"Referrer-Policy received a duplicate policy token {token!r}")
        seen.add(token)
    return ",".join(tokens)


def strict_transport_security_value(
    max_age: int | float, include_sub_domains: bool, preload: bool
) -> str:
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)):
        raise TypeError(f"Strict-Transport-Security: max_age must be seconds, not {max_age!r}")
    if not (max_age >= 0 and math.isfinite(max_age)):
        raise ValueError(
            f"Strict-Transport-Security: {max_age!r} is not a valid value for max_age. Please"
            " choose a positive integer."
        )
    check_bool("Strict-Transport-Security", "include_sub_domains", include_sub_domains)
    check_bool("Strict-Transport-Security", "preload", preload)
    directives = [f"max-age={math.floor(max_age)}"]
    if include_sub_domains:
        directives.append("includeSubDomains")
    if preload:
        directives.append("preload")
    return "; ".join(directives)


def x_frame_options_value(action: str) -> str:
    if not isinstance(action, str):
        raise TypeError(f"X-Frame-Options: action must be a str, not {action!r}")
    normalized = action.upper()
    if normalized == "SAME-ORIGIN":
        return "SAMEORIGIN"
    if normalized in ("DENY", "SAMEORIGIN"):
        return normalized
    raise ValueError(
        f"X-Frame-Options received an invalid action {action!r}; use 'deny' or 'sameorigin'"
    )
