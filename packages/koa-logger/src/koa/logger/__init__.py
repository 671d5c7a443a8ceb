"""koa.logger (work in progress)."""
