"""End to end over a loopback socket: this SDK against openai-python and raw aiohttp, and many sessions.

Run: ``make bench`` (full) or ``.venv/bin/python benchmarks/e2e.py [--quick | --smoke]``.

A plain aiohttp traffic server (``_traffic_server.py``, its own process, not the project's local server)
plays streams built from the recorded fixtures with full-size audio deltas (``_streams.py``).  Each
contender (``_contenders.py``) runs in a fresh process per round; rounds are interleaved with the order
rotated, and the medians are printed with their ratios to the floor (aiohttp + ``json.loads`` +
``b64decode``).  Every run is checked to have received every event, audio byte and text character; a
failed check makes the run exit non-zero.

Sections:
1. CPU µs per event (``time.process_time()`` in the contender) for an audio-heavy stream (a 60 s spoken
   answer in 100 ms deltas) and a text-heavy one (text answers of 100 deltas).
2. Time to ``session.updated`` (wall): the process's first session (one-time costs included), a second one.
3. Latency from the server's send to the application holding PCM, p50 / p99, on a paced audio stream.
4. Import time: a fresh interpreter importing each package (wall, median).
5. Scale (``_scale.py``): N full-duplex real-time sessions in one process — CPU % of one core, and
   whether every session kept real time.

Numbers are from one run on whatever machine runs it; ratios within a run are what to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from _streams import build

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
CONTENDERS = ["sdk", "sdk-out24", "sdk-out48", "openai", "aiohttp-json", "aiohttp-msgspec"]
LABELS = {
    "sdk": "realtime-sdk `async for event in session`",
    "sdk-out24": "realtime-sdk `output_audio(sample_rate=24000)`",
    "sdk-out48": "realtime-sdk `output_audio(sample_rate=48000)`",
    "openai": "openai-python `client.realtime.connect()`",
    "aiohttp-json": "aiohttp + json.loads + b64decode (floor)",
    "aiohttp-msgspec": "aiohttp + msgspec untyped + b64decode",
}
FLOOR = "aiohttp-json"
SCALE_CONTENDERS = ["sdk", "aiohttp-json"]
IMPORTS = ["realtime_sdk", "aiohttp", "openai"]
REAL_TIME_LAG_MS = 100.0  # one audio delta: a session whose last delta is later than that fell behind
SEND_LATE_MS = 40.0  # one input chunk


@dataclass(frozen=True)
class Plan:
    rounds: int
    repeat: int
    audio: str
    text: str
    paced: str
    imports: int
    sessions: tuple[int, ...]
    seconds: int


PLANS = {
    "full": Plan(5, 3, "audio:600", "text:20", "paced:300", 7, (10, 50, 100, 200, 400), 4),
    "quick": Plan(2, 1, "audio:600", "text:20", "paced:200", 3, (10, 100), 2),
    "smoke": Plan(1, 2, "audio:30", "text:2", "paced:20", 1, (3,), 1),
}


class Server:
    """The traffic server in its own process; it exits when our end of its stdin closes."""

    def __init__(self, streams: list[str]) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, str(HERE / "_traffic_server.py"), "--lifetime", "900", *streams],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _run_json(args: list[str], timeout: float) -> dict[str, Any]:
    out = subprocess.run([PYTHON, *args], capture_output=True, text=True, timeout=timeout, cwd=HERE)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _check(result: dict[str, Any], plan: Plan, failures: list[str]) -> None:
    name = result["contender"]
    for stream_name, got in result["streams"].items():
        stream = build(stream_name)
        plays = 1 if stream.interval else plan.repeat
        rate_factor = 2 if name == "sdk-out48" else 1
        want = {
            "events": stream.events * plays,
            "responses": stream.responses * plays,
            "audio_bytes": stream.audio_bytes * plays * rate_factor,
            "text_chars": stream.text_chars * plays,
        }
        for key, value in want.items():
            if got[key] != value:
                failures.append(f"{name} {stream_name}: {key} {got[key]} != {value}")
        if stream.interval and len(got["latencies_ms"]) != stream.audio_deltas:
            failures.append(f"{name} {stream_name}: {len(got['latencies_ms'])} latencies")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def contenders_section(plan: Plan, port: int, failures: list[str], profile: str | None) -> dict[str, Any]:
    streams = [plan.audio, plan.text, plan.paced]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in CONTENDERS}
    for r in range(plan.rounds):
        order = CONTENDERS[r % len(CONTENDERS) :] + CONTENDERS[: r % len(CONTENDERS)]
        for name in order:
            args = [str(HERE / "_contenders.py"), name, str(port), *streams, "--repeat", str(plan.repeat)]
            result = _run_json(args, timeout=180)
            _check(result, plan, failures)
            runs[name].append(result)
        print(f"  round {r + 1}/{plan.rounds} done", file=sys.stderr, flush=True)
    if profile:
        prefix = os.path.join(profile, "sdk")
        args = [
            str(HERE / "_contenders.py"),
            "sdk",
            str(port),
            plan.audio,
            plan.text,
            "--repeat",
            str(plan.repeat),
        ]
        _run_json([*args, "--profile", prefix], 180)
    table: dict[str, Any] = {}
    for name, results in runs.items():
        row: dict[str, Any] = {
            "connect_ms": statistics.median(r["connect_ms"] for r in results),
            "reconnect_ms": statistics.median(r["reconnect_ms"] for r in results),
        }
        for key, stream_name in (("audio", plan.audio), ("text", plan.text)):
            row[key] = statistics.median(
                r["streams"][stream_name]["cpu_s"] / r["streams"][stream_name]["events"] * 1e6
                for r in results
            )
        latencies = [x for r in results for x in r["streams"][plan.paced]["latencies_ms"]]
        row["p50_ms"], row["p99_ms"] = _pct(latencies, 0.5), _pct(latencies, 0.99)
        table[name] = row
    floor = table[FLOOR]
    lines = [
        "| contender | audio-heavy µs/event | × floor | text-heavy µs/event | × floor "
        "| to session.updated ms, first / second session | PCM latency p50 / p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in CONTENDERS:
        row = table[name]
        lines.append(
            f"| {LABELS[name]} | {row['audio']:.1f} | {row['audio'] / floor['audio']:.2f} | {row['text']:.1f} "
            f"| {row['text'] / floor['text']:.2f} | {row['connect_ms']:.0f} / {row['reconnect_ms']:.1f} "
            f"| {row['p50_ms']:.3f} / {row['p99_ms']:.3f} |"
        )
    sdk, openai = table["sdk"], table["openai"]
    lines += [
        "",
        f"openai-python ÷ realtime-sdk CPU per event: audio-heavy {openai['audio'] / sdk['audio']:.1f}×, "
        f"text-heavy {openai['text'] / sdk['text']:.1f}×",
        f"`output_audio()` over plain iteration, µs per audio-heavy event: "
        f"24 kHz {table['sdk-out24']['audio'] - sdk['audio']:+.1f}, "
        f"48 kHz {table['sdk-out48']['audio'] - sdk['audio']:+.1f}",
        f"PCM latency over the floor, p50 / p99: realtime-sdk {sdk['p50_ms'] - floor['p50_ms']:+.3f} / "
        f"{sdk['p99_ms'] - floor['p99_ms']:+.3f} ms, `output_audio(24000)` "
        f"{table['sdk-out24']['p50_ms'] - floor['p50_ms']:+.3f} / {table['sdk-out24']['p99_ms'] - floor['p99_ms']:+.3f} ms",
    ]
    print("\n".join(lines))
    return table


def byte_compile(names: list[str]) -> None:
    """Write each package's bytecode, as installing a wheel does.  An editable install (``make install``)
    leaves this package's modules uncompiled, and with ``PYTHONDONTWRITEBYTECODE`` set every interpreter
    would compile them again while the contenders load pip's bytecode: that times the compiler."""
    code = (
        "import compileall, importlib.util, pathlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    spec = importlib.util.find_spec(name)\n"
        "    assert spec is not None and spec.origin is not None, name\n"
        "    assert compileall.compile_dir(pathlib.Path(spec.origin).parent, quiet=1), name\n"
    )
    subprocess.run([PYTHON, "-c", code, *names], check=True, timeout=300)


def imports_section(plan: Plan) -> dict[str, float]:
    byte_compile(IMPORTS)
    times: dict[str, list[float]] = {name: [] for name in ["(bare interpreter)", *IMPORTS]}
    for _ in range(plan.imports):
        for name in times:
            code = "pass" if name.startswith("(") else f"import {name}"
            # No timeout: with one, Popen.wait polls with sleeps of up to 50 ms, which is what it would time.
            start = time.perf_counter()
            subprocess.run([PYTHON, "-c", code], check=True)
            times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(v) * 1e3 for name, v in times.items()}
    bare = med["(bare interpreter)"]
    lines = [
        "| import | wall ms (interpreter included) | net of a bare interpreter | × aiohttp (net) |",
        "|---|---:|---:|---:|",
    ]
    for name in IMPORTS:
        net = med[name] - bare
        lines.append(
            f"| `import {name}` | {med[name]:.0f} | {net:.0f} | {net / (med['aiohttp'] - bare):.2f} |"
        )
    lines.append(
        f"\n(bare interpreter: {bare:.0f} ms; median of {plan.imports}; every package byte-compiled first)"
    )
    print("\n".join(lines))
    return med


def scale_section(plan: Plan, port: int, failures: list[str], profile: str | None) -> list[dict[str, Any]]:
    rows = []
    for sessions in plan.sessions:
        for name in SCALE_CONTENDERS:
            args = [str(HERE / "_scale.py"), name, str(port), str(sessions), str(plan.seconds)]
            result = _run_json(args, timeout=120 + sessions)
            kept = result["lag_ms_max"] < REAL_TIME_LAG_MS and result["send_late_ms_max"] < SEND_LATE_MS
            result["kept_real_time"] = kept
            if not (result["all_audio_received"] and result["all_audio_sent_received"]):
                failures.append(f"scale {name} ×{sessions}: bytes missing")
            rows.append(result)
            print(f"  scale {name} ×{sessions} done", file=sys.stderr, flush=True)
    if profile:
        _run_json(
            [
                str(HERE / "_scale.py"),
                "sdk",
                str(port),
                "200",
                str(plan.seconds),
                "--profile",
                os.path.join(profile, "sdk.scale_200.prof"),
            ],
            320,
        )
    lines = [
        f"{plan.seconds} s per run; each session sends 40 ms of 24 kHz PCM16 every 40 ms and receives "
        "100 ms of audio every 100 ms.",
        "",
        "| sessions | contender | CPU % of one core | last-delta lag p50 / max ms | last send late max ms "
        "| kept real time | every byte both ways |",
        "|---:|---|---:|---:|---:|:-:|:-:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['sessions']} | {LABELS[row['contender']]} | {row['cpu_percent']:.1f} "
            f"| {row['lag_ms_p50']:.1f} / {row['lag_ms_max']:.1f} | {row['send_late_ms_max']:.1f} "
            f"| {'yes' if row['kept_real_time'] else 'no'} "
            f"| {'yes' if row['all_audio_received'] and row['all_audio_sent_received'] else 'NO'} |"
        )
    print("\n".join(lines))
    return rows


def _short(filename: str) -> str:
    path = Path(filename)
    for anchor in ("site-packages", "realtime_sdk", "benchmarks", "asyncio"):
        if anchor in path.parts:
            return "/".join(path.parts[path.parts.index(anchor) + (anchor == "site-packages") :])
    return path.name


def print_profiles(profile: str) -> None:
    import pstats

    for path in sorted(Path(profile).glob("*.prof")):
        stats = pstats.Stats(str(path))
        raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        total = sum(row[2] for row in raw.values())
        by_file: dict[str, float] = {}
        for (filename, _, function), row in raw.items():
            # C functions have no file: name them; else the path from the package (or stdlib) down.
            where = function if filename == "~" else _short(filename)
            by_file[where] = by_file.get(where, 0.0) + row[2]
        print(f"\n### {path.name}: own CPU time by file (of {total:.3f} s profiled)\n")
        for where, seconds in sorted(by_file.items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {100 * seconds / total:5.1f}%  {where}")
        print(f"\n### {path.name}: top functions by own CPU time\n")
        stats.sort_stats("tottime").print_stats(25)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer rounds and sessions (about a minute)")
    size.add_argument("--smoke", action="store_true", help="tiny streams, one round: checks that it runs")
    parser.add_argument(
        "--profile", metavar="DIR", help="also write and print cProfile stats (CPU time) of the SDK"
    )
    parser.add_argument("--json", metavar="PATH", help="write every result to PATH")
    args = parser.parse_args()
    plan = PLANS["smoke" if args.smoke else "quick" if args.quick else "full"]
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    failures: list[str] = []
    streams = [plan.audio, plan.text, plan.paced, "audio:20", "text:2", f"scale:{plan.seconds}"]
    server = Server(streams)
    started = time.perf_counter()
    try:
        print(f"## End to end over loopback ({plan.rounds} rounds, order rotated; medians)\n")
        print(
            f"audio-heavy: `{plan.audio}` (100 ms deltas of 24 kHz PCM16, transcript deltas between); "
            f"text-heavy: `{plan.text}` (answers of 100 text deltas); each played {plan.repeat}× per process; "
            f"latency: `{plan.paced}`, one delta every 4 ms.\n"
        )
        table = contenders_section(plan, server.port, failures, args.profile)
        print("\n## Import time (fresh interpreter)\n")
        imports = imports_section(plan)
        print("\n## Scale: full-duplex real-time sessions in one process\n")
        scale = scale_section(plan, server.port, failures, args.profile)
    finally:
        server.close()
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    if args.profile:
        print_profiles(args.profile)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"contenders": table, "imports": imports, "scale": scale, "failures": failures}, indent=1
            )
        )
    if failures:
        print("\nFAILED checks:\n" + "\n".join(failures))
        return 1
    print("\nevery run received every byte")
    return 0


if __name__ == "__main__":
    sys.exit(main())
