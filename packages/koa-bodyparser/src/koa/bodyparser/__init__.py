"""koa.bodyparser (work in progress)."""
