"""The ``koa`` command: ``koa serve MODULE:APP`` (also ``python -m koa.core serve MODULE:APP``).

::

    koa serve myapp:app                       # one process on http://127.0.0.1:3000
    koa serve myapp:app --port 8000 --reload  # restarts when a file changes (development)
    koa serve myapp:app --workers 4           # gunicorn with koa.core.worker.GunicornWorker

``APP`` names a ``Koa`` app in ``MODULE`` or a function of no arguments (plain or async)
returning one. The current directory is searched first for ``MODULE``, as ``python -m``
does. Bad input gets one line on stderr and exit status 1 (2 for a malformed command line).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import importlib
import inspect
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .application import Koa

__all__ = ["main"]


class UsageError(Exception):
    """Bad input: the message is printed as one line, and the command exits 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints its whole usage first; one line says what is wrong.
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="koa", description="Serve Koa apps.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser(
        "serve",
        help="serve an app",
        description="Serve MODULE:APP: one process by default, gunicorn with --workers.",
    )
    serve.add_argument("app", metavar="MODULE:APP", help="e.g. myapp:app or myapp:create_app")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=3000, help="port to listen on (3000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="run N worker processes under gunicorn (pip install 'koa-core[gunicorn]')",
    )
    serve.add_argument(
        "--reload",
        action="store_true",
        help="restart when a .py file below the current directory changes (development only)",
    )
    serve.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="asyncio", help="event loop (asyncio)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``koa`` command with ``argv`` (``sys.argv[1:]`` by default)."""
    options = _parser().parse_args(argv)
    try:
        _serve(options)
    except UsageError as err:
        sys.exit(f"koa: {err}")


def _serve(options: argparse.Namespace) -> None:
    if options.workers is not None and options.workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {options.workers}")
    if options.reload and options.workers is not None:
        raise UsageError("--reload runs one process: it cannot be combined with --workers")
    if not 0 <= options.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {options.port}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    app = load_app(options.app)  # bad input is reported here, before anything starts
    _check_port(options.host, options.port)
    if options.reload:
        _reload(options)
    elif options.workers is not None:
        _gunicorn(options, app)
    else:
        _serve_one(app, options.app, options.host, options.port, options.loop)


def load_app(spec: str) -> Koa[Any]:
    """The app ``MODULE:APP`` names (calling ``APP`` when it is a factory).

    Raises ``UsageError`` saying what is wrong: a malformed name, a module that does not
    import (with its error), a missing attribute, or something that is not a Koa app.
    """
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise UsageError(f"expected MODULE:APP (like myapp:app), not {spec!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as err:
        raise UsageError(
            f"cannot import module {module_name!r}: {type(err).__name__}: {err}"
        ) from None
    if not name.isidentifier():
        raise UsageError(f"APP must be a name in {module_name}, not {name!r}")
    try:
        found = getattr(module, name)
    except AttributeError:
        raise UsageError(f"module {module_name!r} has no attribute {name!r}") from None
    if isinstance(found, Koa):
        return found
    if inspect.isfunction(found):
        try:
            made = found()
            if inspect.isawaitable(made):
                made = asyncio.run(_awaited(made))
        except Exception as err:
            raise UsageError(f"{spec}() raised {type(err).__name__}: {err}") from None
        if isinstance(made, Koa):
            return made
        raise UsageError(f"{spec}() returned {_what(made)}, not a Koa app")
    raise UsageError(f"{spec} is {_what(found)}, not a Koa app")


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def _what(found: object) -> str:
    kind = type(found)
    return f"{kind.__module__}.{kind.__qualname__} {found!r:.60}"


def _check_port(host: str, port: int) -> None:
    """Fail with one line now if ``host:port`` cannot be bound (rather than after workers
    started, or gunicorn's five retries)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise UsageError(f"cannot listen on {host}:{port}: {err.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(address)
        except OSError as err:
            reason = "address already in use" if err.errno == errno.EADDRINUSE else err.strerror
            raise UsageError(f"cannot listen on {host}:{port}: {reason}") from None


def _serve_one(app: Koa[Any], spec: str, host: str, port: int, loop: str) -> None:
    def ready(server: Any) -> None:
        print(f"koa: serving {spec} on {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)

    try:
        app.listen(port, host, callback=ready, loop=loop)  # type: ignore[arg-type]
    except OSError as err:
        raise UsageError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def _reload_child(spec: str, host: str, port: int, loop: str) -> None:
    # Runs in a fresh process for each change (watchfiles starts it with ``spawn``).
    try:
        _serve_one(load_app(spec), spec, host, port, loop)
    except UsageError as err:
        print(f"koa: {err} (waiting for a change)", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        pass


def _reload(options: argparse.Namespace) -> None:
    try:
        from watchfiles import PythonFilter, run_process
    except ImportError:
        raise UsageError("--reload needs watchfiles: pip install watchfiles") from None

    def restarting(changes: set[tuple[Any, str]]) -> None:
        names = ", ".join(sorted(os.path.relpath(path) for _, path in changes)[:3])
        print(f"koa: {names} changed, restarting", file=sys.stderr, flush=True)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, or SIGTERM (watchfiles raises it)
        run_process(
            os.getcwd(),
            target=_reload_child,
            args=(options.app, options.host, options.port, options.loop),
            target_type="function",
            callback=restarting,
            watch_filter=PythonFilter(),  # .py files only: editing a template restarts nothing
        )


def _gunicorn(options: argparse.Namespace, app: Koa[Any]) -> None:
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise UsageError("--workers needs gunicorn: pip install 'koa-core[gunicorn]'") from None
    worker = "GunicornUVLoopWorker" if options.loop == "uvloop" else "GunicornWorker"
    host = f"[{options.host}]" if ":" in options.host else options.host
    settings: dict[str, object] = {
        "bind": f"{host}:{options.port}",
        "workers": options.workers,
        "worker_class": f"koa.core.worker.{worker}",
    }

    class Application(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn 26+ opens one control socket per user (~/.gunicorn/gunicorn.ctl):
                # a second `koa serve` would take it over. Run gunicorn itself to have one.
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Koa[Any]:
            # Imported and checked before the workers fork (as gunicorn's --preload does).
            return app

    Application(usage=None, prog="koa").run()
