"""koa.static (work in progress)."""
