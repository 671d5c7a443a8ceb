"""Tables: the figures of a run as Markdown, printed and written to benchmarks/results/."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scenarios import Figures, Results, Scenario


@dataclass
class Measurement:
    """One wrk measurement of one case in one round."""

    scenario: str
    variant: str
    peer: str
    round: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    mb_per_s: float = 0.0
    requests: int = 0
    errors: int = 0
    non_2xx: int = 0
    cpu0_busy: float = 0.0
    cpu1_busy: float = 0.0
    server_cpu: float = 0.0
    wrk_cpu: float = 0.0
    cpu_us: float = 0.0  # server CPU time per request, µs
    interfered: str = ""  # why the measurement is left out of the medians, if it is
    failed: str = ""  # the correctness check's complaint, if any


def median_figures(measurements: Sequence[Measurement], rss_mb: float) -> Figures | None:
    """Medians over the clean measurements (over all of them when none is clean)."""
    ok = [m for m in measurements if not m.failed]
    clean = [m for m in ok if not m.interfered] or ok
    if not clean:
        return None
    return Figures(
        rps=statistics.median(m.rps for m in clean),
        p50_ms=statistics.median(m.p50_ms for m in clean),
        p99_ms=statistics.median(m.p99_ms for m in clean),
        mb_per_s=statistics.median(m.mb_per_s for m in clean),
        # Server CPU per request hardly depends on other load, so every measurement counts.
        cpu_us=statistics.median(m.cpu_us for m in ok),
        rss_mb=rss_mb,
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _grid(
    scenario: Scenario,
    results: Results,
    cell: Callable[[str, str, Figures], str],
) -> list[str]:
    rows = []
    for variant in scenario.variants:
        row = [variant]
        for peer in scenario.peers:
            figures = results.get((variant, peer))
            row.append(cell(variant, peer, figures) if figures is not None else "–")
        rows.append(row)
    return _table(["", *scenario.peers], rows)


def scenario_tables(
    scenario: Scenario,
    results: Results,
    measurements: Sequence[Measurement],
    rounds: int,
) -> list[str]:
    out = [f"### {scenario.name}: {scenario.title} ({scenario.issue})", ""]

    def flagged(variant: str, peer: str) -> str:
        ms = [m for m in measurements if m.variant == variant and m.peer == peer]
        clean = [m for m in ms if not m.interfered and not m.failed]
        return "" if len(clean) >= min(rounds, len(ms)) else f" ({len(clean)}/{len(ms)} clean)"

    out.append(f"Requests/s (median of {rounds}):")
    out.append("")
    out += _grid(scenario, results, lambda v, p, f: f"{f.rps:,.0f}{flagged(v, p)}")
    out.append("")

    ref = (
        f"{scenario.ref_peer} (same row)"
        if scenario.ref_peer
        else f"the `{scenario.ref_variant}` row (same column)"
    )

    def ratio(metric: str) -> Callable[[str, str, Figures], str]:
        def cell(variant: str, peer: str, figures: Figures) -> str:
            key = (variant, scenario.ref_peer or peer)
            if scenario.ref_variant:
                key = (scenario.ref_variant, peer)
            base = results.get(key)
            return f"{getattr(figures, metric) / getattr(base, metric):.2f}" if base else "–"

        return cell

    if scenario.ref_peer or scenario.ref_variant:
        out += [f"Ratio of requests/s to {ref}:", ""]
        out += _grid(scenario, results, ratio("rps"))
        out.append("")

    out += [
        "Server CPU time per request, µs (user + system of the server process; other load on "
        "the machine changes this much less than requests/s):",
        "",
    ]
    out += _grid(scenario, results, lambda v, p, f: f"{f.cpu_us:.1f}")
    out.append("")
    if scenario.ref_peer or scenario.ref_variant:
        out += [f"Ratio of requests per CPU-second to {ref}:", ""]
        out += _grid(scenario, results, ratio("eff"))
        out.append("")

    out.append("Latency p50 / p99, ms (50 connections):")
    out.append("")
    out += _grid(scenario, results, lambda v, p, f: f"{f.p50_ms:.2f} / {f.p99_ms:.2f}")
    out.append("")
    if scenario.name == "static":
        out.append("Throughput, MB/s of response bytes (headers included):")
        out.append("")
        out += _grid(scenario, results, lambda v, p, f: f"{f.mb_per_s:,.0f}")
        out.append("")
    out.append("Server RSS after the scenario, MB (the server's process group):")
    out.append("")
    out += _grid(scenario, results, lambda v, p, f: f"{f.rss_mb:.1f}")
    out.append("")
    return out


def compact_table(
    scenario: Scenario, results: Results, measurements: Sequence[Measurement], rounds: int
) -> list[str]:
    """One row per case: the figures a README quotes."""
    ref = scenario.ref_peer or f"`{scenario.ref_variant}`"
    header = [
        "case",
        "req/s",
        f"÷ {ref}",
        "CPU µs/req",
        f"÷ {ref} (CPU)",
        "p50 / p99 ms",
        "RSS MB",
    ]
    if scenario.name == "static":
        header.insert(3, "MB/s")
    rows = []
    for variant in scenario.variants:
        for peer in scenario.peers:
            f = results.get((variant, peer))
            if f is None:
                continue
            key = (scenario.ref_variant, peer) if scenario.ref_variant else (variant, ref)
            base = results.get(key)
            ms = [m for m in measurements if (m.variant, m.peer) == (variant, peer)]
            clean = sum(1 for m in ms if not m.interfered and not m.failed)
            note = "" if clean >= min(rounds, len(ms)) else f" ({clean}/{len(ms)} clean)"
            row = [
                f"{variant} / {peer}",
                f"{f.rps:,.0f}{note}",
                f"{f.rps / base.rps:.2f}" if base else "–",
                f"{f.cpu_us:.1f}",
                f"{f.eff / base.eff:.2f}" if base else "–",
                f"{f.p50_ms:.2f} / {f.p99_ms:.2f}",
                f"{f.rss_mb:.1f}",
            ]
            if scenario.name == "static":
                row.insert(3, f"{f.mb_per_s:,.0f}")
            rows.append(row)
    title = f"#### {scenario.name}: {scenario.title} ({scenario.issue})"
    return [title, "", *_table(header, rows), ""]


def target_rows(scenario: Scenario, results: Results) -> list[list[str]]:
    rows = []
    for target in scenario.targets:
        row = [scenario.name, target.text]
        for metric in ("rps", "eff"):
            outcome = target.compute(results, metric)
            if outcome is None:
                row.append("–")
                continue
            value, met = outcome
            shown = f"{value:.2f} {target.unit}".strip()
            row.append(f"{shown} met" if met else f"{shown} **missed**")
        rows.append(row)
    return rows


def targets_table(rows: Sequence[Sequence[str]]) -> list[str]:
    return _table(["scenario", "target", "from requests/s", "from server CPU time"], rows)


def measurements_table(measurements: Sequence[Measurement]) -> list[str]:
    rows = [
        [
            m.scenario,
            m.variant,
            m.peer,
            str(m.round),
            f"{m.rps:,.0f}",
            f"{m.p99_ms:.2f}",
            f"{m.cpu_us:.1f}",
            f"{m.cpu0_busy:.0%}",
            f"{m.server_cpu:.0%}",
            f"{m.cpu1_busy:.0%}",
            f"{m.wrk_cpu:.0%}",
            m.failed or m.interfered or ("errors" if m.errors or m.non_2xx else ""),
        ]
        for m in measurements
    ]
    header = [
        "scenario",
        "variant",
        "peer",
        "round",
        "req/s",
        "p99 ms",
        "CPU µs/req",
        "CPU0 busy",
        "server",
        "CPU1 busy",
        "wrk",
        "note",
    ]
    return _table(header, rows)
