"""JSON encoding and decoding in µs per body, in-process: koa-core before and after issue 19.

    hatch run bench:python benchmarks/json_codec.py [--quick]

Columns: ``before`` is the encoder koa-core had before issue 19 (commits adaaf41 to 522c4aa,
copied below so that both run in one process), ``json`` the new code on the standard library alone,
``orjson`` the new code with orjson (when it is installed). Each figure is the best of 25 short
interleaved repeats, in CPU time, of the call the response makes (``json_bytes(body,
app.json_dumps)``), and for decoding of koa-bodyparser's ``json_loads(text)``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, NoReturn

from koa.core import jsoncodec

# -- the encoder and decoder before issue 19, as they were in koa-core ----------------------


def _before_encoder() -> Callable[[Any], bytes]:
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    encode = c_make_encoder(
        None, encoder.default, encode_basestring, None, ":", ",", False, False, False
    )

    def encode_all(value: Any) -> str:
        return "".join(encode(value, 0))

    def finite(value: Any) -> Any:
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, dict):
            return {key: finite(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [finite(item) for item in value]
        return value

    def dumps(value: Any) -> str:
        try:
            return encode_all(value)
        except ValueError as err:
            if "Out of range float" not in str(err):
                raise
            return encode_all(finite(value))

    def json_utf8(text: str) -> bytes:
        try:
            return text.encode()
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace")

    return lambda value: json_utf8(dumps(value))


def _reject(name: str) -> NoReturn:
    raise ValueError(name)


_before_loads = json.JSONDecoder(parse_constant=_reject).decode

# -- bodies ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Order:
    id: uuid.UUID
    placed: dt.datetime
    total: Decimal


def bodies() -> dict[str, Any]:
    post = {
        "id": 12345,
        "user": {"name": "Tobi Ferret", "email": "tobi@example.com", "roles": ["admin", "dev"]},
        "items": [{"sku": f"SKU-{i:04d}", "qty": i % 7 + 1, "price": i * 1.25} for i in range(14)],
        "note": "π ≈ 3.14159 — unicode kept",
        "pad": "x" * 250,
    }
    now = dt.datetime(2026, 12, 2, 15, 6, 2, 123456, tzinfo=dt.timezone.utc)
    return {
        "greeting (the json row)": {"message": "Hello, World!"},
        "dict of 8 str/int": {f"key{i}": (i if i % 2 else f"value {i}") for i in range(8)},
        "1 KB document (post_echo)": post,
        "100 records of str/int": [{"id": i, "name": f"user{i}", "ok": True} for i in range(100)],
        "100 records, datetime/UUID/Decimal": [
            {"id": uuid.UUID(int=i), "at": now, "price": Decimal(i) / 4} for i in range(100)
        ],
        "100 dataclasses": [Order(uuid.UUID(int=i), now, Decimal("9.99")) for i in range(100)],
    }


def best_us(fn: Callable[[Any], Any], arg: Any, number: int) -> float:
    # CPU time of this process: other load on a shared machine takes wall-clock time from it,
    # much less CPU time.
    start = time.process_time()
    for _ in range(number):
        fn(arg)
    return (time.process_time() - start) / number * 1e6


def measure(
    impls: dict[str, Callable[[Any], Any]], arg: Any, number: int, repeats: int
) -> dict[str, float | None]:
    usable = {}
    for name, fn in impls.items():
        try:
            fn(arg)
        except TypeError:
            continue  # "before" cannot write datetimes or dataclasses
        usable[name] = fn
    best: dict[str, float] = {}
    for _ in range(repeats):  # interleaved: each repeat measures every implementation
        for name, fn in usable.items():
            figure = best_us(fn, arg, number)
            best[name] = min(best.get(name, figure), figure)
    return {name: best.get(name) for name in impls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 5 if args.quick else 25
    before = _before_encoder()
    encoders: dict[str, Callable[[Any], Any]] = {
        "before": before,
        "json": lambda value: jsoncodec._std_bytes(value),
    }
    decoders: dict[str, Callable[[Any], Any]] = {
        "before": _before_loads,
        "json": jsoncodec._std_loads,
    }
    if jsoncodec.backend == "orjson":
        encoders["orjson"] = lambda value: jsoncodec._orjson_bytes(value)
        decoders["orjson"] = jsoncodec._orjson_loads
    columns = list(encoders)
    print(f"JSON codec, µs per body (best of {repeats}); library in use: {jsoncodec.backend}")
    print()
    print("| encode | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, body in bodies().items():
        size = len(jsoncodec._std_bytes(body))
        number = max(50, 40_000 // max(size, 1))
        figures = measure(encoders, body, number, repeats)
        cells = [f"{figures[c]:.2f}" if figures[c] is not None else "(500)" for c in columns]
        print(f"| {name}, {size} B | " + " | ".join(cells) + " |")
    print()
    print("| decode | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, body in list(bodies().items())[:4]:
        text = jsoncodec._std_bytes(body).decode()
        number = max(50, 40_000 // len(text))
        figures = measure(decoders, text, number, repeats)
        cells = [f"{figures[c]:.2f}" for c in columns if figures[c] is not None]
        print(f"| {name}, {len(text.encode())} B | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
