"""Request IDs for Koa for Python (a third-party middleware written against koa-core alone)."""

from .middleware import RequestIdFilter, current_request_id, request_id

__all__ = ["RequestIdFilter", "current_request_id", "request_id"]
