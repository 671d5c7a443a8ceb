"""Implementations of ``koa.core.connection.Connection``, one module per HTTP server."""
