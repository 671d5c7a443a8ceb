"""koa_app.py's ``json`` and ``post_echo`` apps with a chosen JSON codec, for the json scenario.

``python benchmarks/servers/koa_json.py --app json --codec json --port 8080 --root DIR``

``--codec orjson``: koa-core as installed (orjson in the bench environment); ``json``: orjson
hidden, so koa-core uses the standard library; ``before``: koa-core and koa-bodyparser as they
were before issue 19, from ``DIR/koa-before`` (the json scenario extracts them with git).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", choices=("json", "post_echo"), required=True)
    parser.add_argument("--codec", choices=("orjson", "json", "before"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args()
    if args.codec != "orjson":
        sys.modules["orjson"] = None  # type: ignore[assignment]  # makes `import orjson` fail
    if args.codec == "before":
        before = args.root / "koa-before" / "packages"
        # Ahead of the editable installs: the namespace package `koa` finds these first.
        sys.path[:0] = [str(before / "koa-core" / "src"), str(before / "koa-bodyparser" / "src")]
    import koa.core

    koa_app = importlib.import_module("koa_app")  # beside this file, after the path is set

    expected = {"orjson": "orjson", "json": "json"}.get(args.codec)
    codec = getattr(koa.core, "jsoncodec", None)
    if expected is not None and getattr(codec, "backend", None) != expected:
        raise SystemExit(f"koa-core is not using {expected}")
    if args.codec == "before" and codec is not None:
        raise SystemExit(f"koa-core from {koa.core.__file__} is not the code before issue 19")
    asyncio.run(koa_app.serve(koa_app.APPS[args.app](args.root), args.port))


if __name__ == "__main__":
    main()
