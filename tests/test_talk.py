"""``realtime-sdk talk``: a WAV in, the spoken reply out, against the in-process local server."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from support import ROOT

from realtime_sdk.audio import read_wav, sample_wav_path, write_wav
from realtime_sdk.cli import main


def reply_stats(path: Path) -> tuple[int, int, float, float]:
    """(rate, channels, seconds, RMS in dBFS), read with the stdlib: a playable WAV or an exception."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
        data = np.frombuffer(w.readframes(frames), dtype="<i2").astype(np.float64)
    assert width == 2
    rms = float(np.sqrt(np.mean(data**2))) / 32768 if data.size else 0.0
    return rate, channels, frames / rate, 20 * np.log10(max(rms, 1e-9))


def test_talk_end_to_end_in_a_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "reply.wav"
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}  # the local server, whatever CI has
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "realtime_sdk.cli",
            "talk",
            str(sample_wav_path()),
            "--out",
            str(out),
            "--pace",
            "0",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "you: <" in proc.stdout  # the input transcription of the local server
    assert "assistant: You said:" in proc.stdout
    assert "time to first audio:" in proc.stdout
    rate, channels, seconds, level = reply_stats(out)
    _, in_rate, _ = read_wav(sample_wav_path())
    assert (rate, channels) == (in_rate, 1) == (16000, 1)
    assert seconds > 1.0  # the echo model says the 3.4 s back (at most 5 s)
    assert level > -40  # speech, not silence


@pytest.mark.parametrize("extra", [[], ["--manual"]], ids=["server-vad", "push-to-talk"])
def test_talk_with_a_44k1_stereo_file(
    tmp_path: Path, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    pcm, rate, _ = read_wav(sample_wav_path())
    mono = np.frombuffer(pcm, dtype="<i2")
    up = np.interp(np.arange(len(mono) * 44100 // rate) * rate / 44100, np.arange(len(mono)), mono)
    stereo = np.repeat(up.astype(np.int16)[:, None], 2, axis=1)
    source, out = tmp_path / "in.wav", tmp_path / "out.wav"
    write_wav(source, stereo, 44100, 2)
    assert main(["talk", str(source), "--out", str(out), "--local", "--pace", "0", *extra]) == 0
    rate_out, channels, seconds, level = reply_stats(out)
    assert (rate_out, channels) == (44100, 1) and seconds > 1.0 and level > -40
    assert "time to first audio" in capsys.readouterr().out


def test_talk_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["talk", str(tmp_path / "missing.wav"), "--local"]) == 1
    assert "cannot read" in capsys.readouterr().err
    empty = tmp_path / "empty.wav"
    write_wav(empty, b"", 16000)
    assert main(["talk", str(empty), "--local"]) == 1
    assert "no audio" in capsys.readouterr().err
    assert main(["talk", str(sample_wav_path()), "--local", "--timeout", "0.001"]) == 1
    assert "no complete reply within" in capsys.readouterr().err
