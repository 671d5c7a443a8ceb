"""hypercorn's settings for the tests (``--config python:hypercorn_quiet``): no ``server``
header of its own, as Koa sends none on aiohttp (hypercorn has no command-line flag for it)."""

include_server_header = False
