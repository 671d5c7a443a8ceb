"""koa.mount (work in progress)."""
