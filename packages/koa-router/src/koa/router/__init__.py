"""koa.router (work in progress)."""
