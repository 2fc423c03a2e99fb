"""examples/live_captions.py and examples/interpreter.py run as a user runs them, offline, and say what they
should (``tests/test_examples.py`` type-checks every example)."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

from realtime_sdk.audio import read_wav, sample_wav_path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SAID = "Hello! What is the weather like in Paris today?"


def run_example(name: str, *args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_live_captions_prints_growing_partials_then_one_final_with_timing(tmp_path: Path) -> None:
    out = run_example("live_captions.py", "--pace", "10", cwd=tmp_path)
    partials = re.findall(r"^\.\.\. (.*)$", out, re.M)
    assert len(partials) >= 2, out
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(partials)), out
    assert partials[-1] == SAID, out
    final = re.findall(r"^\[(item_\w+)\] (.*) \((\d+)-(\d+) ms\)$", out, re.M)
    assert len(final) == 1, out
    (_, text, start, end) = final[0]
    pcm, rate, _ = read_wav(sample_wav_path())
    # On the input clock: the sample, then the second of quiet the example sends after it.
    assert text == SAID and 0 <= int(start) < int(end) <= len(pcm) / 2 / rate * 1000 + 1000, out


def test_live_captions_with_a_model_that_needs_the_app_to_commit(tmp_path: Path) -> None:
    out = run_example("live_captions.py", "--pace", "0", "--model", "gpt-realtime-whisper", cwd=tmp_path)
    assert re.search(rf"^\[item_\w+\] {re.escape(SAID)} \(committed\)$", out, re.M), out


def test_interpreter_writes_the_translation_at_the_rate_asked_and_prints_both_transcripts(
    tmp_path: Path,
) -> None:
    out = run_example("interpreter.py", "--pace", "10", "--rate", "8000", "--language", "de", cwd=tmp_path)
    lines = out.splitlines()
    assert f"heard:      {SAID}" in lines, out
    assert "translated: [de] Hello! [de] What is the weather like in Paris today?" in lines, out
    pcm, rate, channels = read_wav(tmp_path / "translated.wav")
    sample, sample_rate, _ = read_wav(sample_wav_path())
    assert (rate, channels) == (8000, 1)
    seconds = len(pcm) / 2 / rate
    spoken = len(sample) / 2 / sample_rate
    # The local engine's "translation" is the input itself, in whole 200 ms frames (the tail padded).
    assert spoken <= seconds <= spoken + 0.2 + 0.01, (seconds, spoken)
    wrote = re.search(
        r"^wrote translated\.wav: ([\d.]+) s at 8000 Hz; sent ([\d.]+) s .*flushed=True$", out, re.M
    )
    assert wrote is not None and float(wrote.group(1)) == round(seconds, 2), out
    assert abs(float(wrote.group(2)) - spoken) <= 0.01, out
