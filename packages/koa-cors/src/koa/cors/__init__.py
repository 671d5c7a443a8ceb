"""koa.cors: Cross-Origin Resource Sharing for Koa for Python (@koa/cors 5 on the wire)."""

from .cors import DEFAULT_ALLOW_METHODS, CorsMiddleware, CredentialsFn, cors
from .origins import OriginFn, OriginOption

__all__ = [
    "DEFAULT_ALLOW_METHODS",
    "CorsMiddleware",
    "CredentialsFn",
    "OriginFn",
    "OriginOption",
    "cors",
]
