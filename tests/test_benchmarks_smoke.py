"""The end-to-end benchmark runs, in its tiniest configuration, so that it cannot rot unnoticed.

Nothing here looks at timings: only that every section ran, for every contender, and that every run
received every event and byte (the benchmark's own checks, plus a recount from its JSON results).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
E2E = ROOT / "benchmarks" / "e2e.py"

pytestmark = pytest.mark.slow


def _run(script: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a benchmark script from the project root; it must exit 0."""
    run = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def test_e2e_smoke_runs_every_contender_and_gets_every_byte(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    run = _run(E2E, "--smoke", "--json", str(results), timeout=240)
    assert "every run received every byte" in run.stdout
    data = json.loads(results.read_text())
    assert data["failures"] == []
    assert set(data["contenders"]) == {
        "sdk",
        "sdk-out24",
        "sdk-out48",
        "openai",
        "aiohttp-json",
        "aiohttp-msgspec",
    }
    for row in data["contenders"].values():
        assert row["audio"] > 0 and row["text"] > 0 and row["connect_ms"] > 0
    assert set(data["imports"]) == {"(bare interpreter)", "realtime_sdk", "aiohttp", "openai"}
    assert {row["contender"] for row in data["scale"]} == {"sdk", "aiohttp-json"}
    for row in data["scale"]:
        assert row["all_audio_received"] and row["all_audio_sent_received"]


def test_the_benchmark_notices_a_missing_byte() -> None:
    """The byte check can fail: a run short of one audio byte is reported."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import e2e
        from _streams import build
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    plan = e2e.PLANS["smoke"]
    stream = build(plan.audio)
    plays = plan.repeat
    got = {
        "events": stream.events * plays,
        "responses": stream.responses * plays,
        "audio_bytes": stream.audio_bytes * plays - 1,
        "text_chars": stream.text_chars * plays,
        "latencies_ms": [],
    }
    failures: list[str] = []
    e2e._check({"contender": "sdk", "streams": {plan.audio: got}}, plan, failures)
    want = stream.audio_bytes * plays
    assert failures == [f"sdk {plan.audio}: audio_bytes {want - 1} != {want}"]


def test_dispatch_by_type_counts_every_event_of_the_streams() -> None:
    """The diagnostic wraps private methods: if they move, it must fail here, not print an empty table."""
    run = _run(ROOT / "benchmarks" / "dispatch_by_type.py", "--rounds", "1", timeout=120)
    # audio:600 is one answer of 600 audio deltas; text:20 is 20 answers of 100 text deltas.
    assert "| `response.output_audio.delta` | nowait | 600 |" in run.stdout
    assert "| `response.output_text.delta` | nowait | 2000 |" in run.stdout
    assert "| `response.done` | coroutine | 1 |" in run.stdout
    assert "| `response.done` | coroutine | 20 |" in run.stdout
    assert run.stdout.count("events other than deltas:") == 2
