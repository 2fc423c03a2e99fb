"""The programs in examples/ run as a user runs them, offline, and say what they should; mypy --strict accepts them.

Each runs as ``python examples/NAME.py`` in a fresh interpreter, from an empty directory, without
``OPENAI_API_KEY`` (so against the bundled local server, which the suite makes strict), faster than real
time where it streams audio.  ``timeout`` is the hang guard.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from mypy import api
from support import ROOT

from realtime_sdk.audio import read_wav

EXAMPLES = ROOT / "examples"
HELLO = "Hello! What is the weather like in Paris today?"


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


def test_phone_bridge_barges_in_and_writes_what_the_caller_heard(tmp_path: Path) -> None:
    out = run_example("phone_bridge.py", "--pace", "10", cwd=tmp_path)
    lines = out.splitlines()
    assert lines.count(f"caller: {HELLO}") == 2, out
    assert lines.count(f"assistant: You said: {HELLO}") == 2, out
    barge = re.search(r"^bridge: barge-in; the caller heard (\d+) ms of that reply$", out, re.M)
    assert barge is not None, out
    # The caller starts talking after 500 ms of the reply; server VAD needs a few frames to notice.
    assert 500 <= int(barge.group(1)) < 1500, out
    played = [
        (int(a), int(b), text) for a, b, text in re.findall(r"^played (\d+) of (\d+) ms of (.*)$", out, re.M)
    ]
    assert len(played) == 2, out
    (cut, received, cut_text), (whole, received_2, whole_text) = played
    assert cut == int(barge.group(1)) and cut < received - 1000, out  # truncated where the caller stopped
    # The local transcript is cut to the words heard; the second reply was heard to the end.
    said = f"You said: {HELLO}"
    assert ast.literal_eval(cut_text) != said and said.startswith(ast.literal_eval(cut_text)), out
    assert abs(whole - received_2) <= 20 and ast.literal_eval(whole_text) == said, out
    pcm, rate, channels = read_wav(tmp_path / "caller_heard.wav")
    assert (rate, channels) == (8000, 1)
    seconds = len(pcm) / 2 / rate
    assert seconds >= (cut + whole) / 1000, out  # both replies as heard, with the line's silence between
    wrote = re.search(r"^wrote caller_heard.wav: ([\d.]+) s, ([\d.]+) s of it the assistant$", out, re.M)
    assert wrote is not None and float(wrote.group(1)) == round(seconds, 2), out
    # The line played the first reply up to the barge-in (plus a frame or two before the bridge emptied
    # it) and the second whole: not a frame of the cut audio after that.
    assert 0 <= float(wrote.group(2)) * 1000 - (cut + whole) <= 60, out


def test_push_to_talk_saves_two_turns_as_text_and_audio(tmp_path: Path) -> None:
    out = run_example("push_to_talk.py", "--pace", "20", cwd=tmp_path)
    assert "[button down: turn 1]" in out and "[button down: turn 2]" in out, out
    transcript = (tmp_path / "transcript.txt").read_text().splitlines()
    assert transcript == [f"you: {HELLO}", f"assistant: You said: {HELLO}"] * 2
    pcm, rate, channels = read_wav(tmp_path / "reply.wav")
    spoken, _, _ = read_wav(ROOT / "realtime_sdk" / "data" / "hello.wav")
    assert (rate, channels) == (16000, 1)  # the microphone's rate
    # The local model speaks each turn's own audio back: two replies as long as two sayings (±40 ms each).
    assert abs(len(pcm) - 2 * len(spoken)) <= 2 * 40 * 32, (len(pcm), len(spoken))


def test_agent_runs_a_sync_and_an_async_tool_and_answers(tmp_path: Path) -> None:
    out = run_example("agent_with_tools.py", cwd=tmp_path)
    lines = out.splitlines()
    weather = '{"city":"Paris","temperature":21,"unit":"C","sky":"sunny"}'
    assert '  -> get_weather({"city": "Paris"})' in lines, out
    assert f"  <- get_weather: {weather}" in lines, out
    assert f"agent: The function returned: {weather}" in lines, out
    assert '  -> find_flights({"origin": "London", "destination": "Paris"})' in lines, out
    flights = [line for line in lines if line.startswith("agent: The function returned: [")]
    assert len(flights) == 1 and '"flight":"AF1081"' in flights[0] and '"from":"London"' in flights[0], out
    # Order: each call is started, finished, then answered, before the next question is asked.
    order = [line.split(":")[0].split("(")[0].strip() for line in lines if not line.startswith("(")]
    first = ["user", "-> get_weather", "<- get_weather", "agent"]
    assert order == [*first, "user", "-> find_flights", "<- find_flights", "agent"], out
    # History (2 items) + per question: user, call, output, answer.
    assert re.search(r"^\(10 items, \d+ tokens\)$", out, re.M), out


def test_describe_camera_sends_frames_only_while_video_runs_and_the_model_sees_them(tmp_path: Path) -> None:
    out = run_example("describe_camera.py", "--fps", "10", "--paused-seconds", "0.5", cwd=tmp_path)
    lines = out.splitlines()
    start = re.search(r"^paused at start: (\d+) frames offered, (\d+) accepted$", out, re.M)
    assert start is not None and int(start.group(1)) > 0 and start.group(2) == "0", out
    # The camera is 640×480; detail "low" gives the model at most 512 px on the long side, so the
    # local model reports the frame it received as 512×384.
    assert lines.count("model: I see a 512×384 image") == 2, out
    paused = re.search(r"^while paused: (\d+) frames offered, (\d+) accepted, (\d+) sent$", out, re.M)
    assert paused is not None and int(paused.group(1)) > 0, out
    assert paused.group(2, 3) == ("0", "0"), out
    total = re.search(r"^(\d+) frames sent in all$", out, re.M)
    assert total is not None and int(total.group(1)) >= 3, out  # one, then two more after the first answer


def test_examples_pass_mypy_strict() -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.py"))
    assert len(files) >= 3
    out, err, status = api.run(["--strict", "--no-incremental", *files])
    assert status == 0, out + err
