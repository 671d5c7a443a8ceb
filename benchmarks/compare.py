"""How well two runs agree: per case, the change in req/s and in server CPU per request.

hatch run bench:python benchmarks/compare.py results/<run A>.json results/<run B>.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

Key = tuple[str, str, str]  # scenario, variant, peer


def load(path: Path) -> dict[Key, dict[str, Any]]:
    data = json.loads(path.read_text())
    return {
        (scenario, row["variant"], row["peer"]): row
        for scenario, rows in data["figures"].items()
        for row in rows
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    args = parser.parse_args()
    a, b = load(args.a), load(args.b)
    common = [key for key in a if key in b]
    print("| case | req/s A | req/s B | B ÷ A | CPU µs A | CPU µs B | B ÷ A |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rps_changes, cpu_changes = [], []
    for key in common:
        ra, rb = a[key], b[key]
        rps, cpu = rb["rps"] / ra["rps"], rb["cpu_us"] / ra["cpu_us"]
        rps_changes.append(abs(rps - 1))
        cpu_changes.append(abs(cpu - 1))
        print(
            f"| {' / '.join(key)} | {ra['rps']:,.0f} | {rb['rps']:,.0f} | {rps:.2f} "
            f"| {ra['cpu_us']:.1f} | {rb['cpu_us']:.1f} | {cpu:.2f} |"
        )
    for name, changes in (("req/s", rps_changes), ("CPU µs per request", cpu_changes)):
        print(
            f"\n{name}: {len(changes)} cases; change median {statistics.median(changes):.1%}, "
            f"90th percentile {percentile(changes, 0.9):.1%}, largest {max(changes):.1%}"
        )


if __name__ == "__main__":
    main()
