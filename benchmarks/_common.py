"""Timing helpers shared by the benchmarks: best-of-N wall time per item, one process, one run."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests" / "data" / "recorded"


def per_item_us(fn: Callable[[], object], items: int, *, repeat: int = 7, min_time: float = 0.2) -> float:
    """Best time of ``repeat`` rounds, in microseconds per item; each round runs ``fn`` at least ``min_time``."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        loops *= 2
    best = elapsed
    for _ in range(repeat - 1):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, time.perf_counter() - start)
    return best / loops / items * 1e6


def table(title: str, rows: Sequence[tuple[str, float]], baseline: str) -> str:
    base = dict(rows)[baseline]
    lines = [f"### {title}", "", "| decoder | µs per event | vs this SDK |", "|---|---:|---:|"]
    for name, us in rows:
        ratio = us / base
        lines.append(f"| {name} | {us:.2f} | {ratio:.1f}× |")
    return "\n".join(lines)
