"""``python -m koa.core serve MODULE:APP``: the ``koa`` command."""

from .cli import main

main()
