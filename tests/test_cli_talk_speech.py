"""``realtime-sdk talk`` with offline speech (``--speech on``, the speech extra): what ``make demo`` shows.

Uses the real engines, no placeholders: the user's words are recognised from the bundled sample and the
echo model's reply is synthesised speech.  Skipped without the speech extra (the dev extra has it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ROOT
from test_speech import SAID, spectral_flatness, zero_crossing_spread

from realtime_sdk.audio import read_wav, resample, sample_wav_path
from realtime_sdk.server._codec import tone

pytest.importorskip("pocketsphinx")
pytest.importorskip("espeakng_loader")


def test_talk_hears_the_words_and_speaks_the_reply(tmp_path: Path) -> None:
    out = tmp_path / "reply.wav"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    args = ["talk", str(sample_wav_path()), "--out", str(out), "--pace", "0", "--speech", "on"]
    proc = subprocess.run(
        [sys.executable, "-m", "realtime_sdk.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    heard = next(line for line in lines if line.startswith("you: "))[5:].split()
    assert len(set(heard) & set(SAID)) >= 6, heard
    # The input transcript may land in the middle of the reply's words: join the reply's lines to read it.
    reply = " ".join(
        " ".join(line[len("assistant:") :] for line in lines if line.startswith("assistant:")).split()
    )
    assert reply == f"You said: {' '.join(heard)}"
    pcm, rate, channels = read_wav(out)
    assert (rate, channels) == (16000, 1)
    speech = resample(pcm, rate, 24000)
    seconds = len(speech) / 48000
    assert 1.0 < seconds < 6.0
    beep = tone(seconds * 1000)
    assert spectral_flatness(speech) > 10 * spectral_flatness(beep)
    assert zero_crossing_spread(speech) > 0.3 > zero_crossing_spread(beep)


def test_speech_on_without_the_extra_is_a_one_line_hint(tmp_path: Path) -> None:
    # A fresh interpreter where the engines cannot be imported: sys.modules entries set to None.
    code = (
        "import sys; sys.modules['pocketsphinx'] = None; sys.modules['espeakng_loader'] = None\n"
        "from realtime_sdk.cli import main\n"
        f"sys.exit(main(['talk', {str(sample_wav_path())!r}, '--local', '--speech', 'on']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 1
    assert (
        proc.stderr
        == "realtime-sdk talk: offline speech needs the speech extra: pip install 'realtime-sdk[speech]'\n"
    )
