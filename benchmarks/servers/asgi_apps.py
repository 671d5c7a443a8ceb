"""The apps ``benchmarks/asgi.py`` serves as ASGI applications: koa_app's and starlette_app's
hello and JSON apps, as module attributes for ``uvicorn asgi_apps:koa_hello`` and
``granian --interface asgi asgi_apps:koa_hello`` (run from this folder)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

koa_app: Any = importlib.import_module("koa_app")  # the servers' own modules, found here
starlette_app: Any = importlib.import_module("starlette_app")

_ROOT = Path.cwd()
koa_hello = koa_app.hello_app(_ROOT)
koa_json = koa_app.json_app(_ROOT)
starlette_hello = starlette_app.hello_app(_ROOT)
starlette_json = starlette_app.json_app(_ROOT)
