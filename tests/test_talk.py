"""``realtime-sdk talk``: a WAV in, the spoken reply out, against the in-process local server.

These run the local server in placeholder mode (``--speech off``): the transcript is ``<N seconds of
audio>`` and the reply is the user's own audio, whether or not the speech extra is installed.  The
offline speech mode is tested in ``test_cli_talk_speech.py``.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from support import ROOT

from realtime_sdk.audio import read_wav, resample, sample_wav_path, ulaw_encode, write_wav
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
            "--speech",
            "off",
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
    assert (
        main(["talk", str(source), "--out", str(out), "--local", "--pace", "0", "--speech", "off", *extra])
        == 0
    )
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


def _raw_wav(path: Path, tag: int, channels: int, rate: int, bits: int, data: bytes) -> None:
    """A WAV written byte by byte, for encodings the stdlib writer does not produce (μ-law, 24-bit)."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = (
        b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    )
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def _odd_wavs(tmp_path: Path) -> dict[str, tuple[Path, int]]:
    pcm, rate, _ = read_wav(sample_wav_path())
    x = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    files: dict[str, tuple[Path, int]] = {}
    files["8-bit"] = (tmp_path / "u8.wav", rate)
    _raw_wav(files["8-bit"][0], 1, 1, rate, 8, ((x >> 8) + 128).astype(np.uint8).tobytes())
    files["24-bit"] = (tmp_path / "s24.wav", rate)
    x24 = x << 8
    triples = np.stack([x24 & 0xFF, (x24 >> 8) & 0xFF, (x24 >> 16) & 0xFF], axis=1).astype(np.uint8)
    _raw_wav(files["24-bit"][0], 1, 1, rate, 24, triples.tobytes())
    files["stereo 48k"] = (tmp_path / "st48.wav", 48000)
    x48 = np.frombuffer(resample(pcm, rate, 48000), dtype="<i2")
    write_wav(files["stereo 48k"][0], np.repeat(x48[:, None], 2, axis=1), 48000, 2)
    files["8 kHz μ-law"] = (tmp_path / "mulaw.wav", 8000)
    _raw_wav(files["8 kHz μ-law"][0], 7, 1, 8000, 8, ulaw_encode(resample(pcm, rate, 8000)))
    return files


@pytest.mark.parametrize("kind", ["8-bit", "24-bit", "stereo 48k", "8 kHz μ-law"])
def test_talk_takes_odd_wavs_and_replies_at_their_rate(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source, rate = _odd_wavs(tmp_path)[kind]
    out = tmp_path / "out.wav"
    assert (
        main(
            [
                "talk",
                str(source),
                "--out",
                str(out),
                "--local",
                "--pace",
                "0",
                "--timeout",
                "20",
                "--speech",
                "off",
            ]
        )
        == 0
    )
    rate_out, channels, seconds, level = reply_stats(out)
    # The local model echoes the speech: about the input's 3.4 s, at the input's rate, clearly audible.
    assert (rate_out, channels) == (rate, 1) and 3.0 < seconds < 4.0 and level > -40
    assert f"wrote {out}" in capsys.readouterr().out


def test_talk_refuses_files_that_are_not_wav_and_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all")
    assert main(["talk", str(text), "--local"]) == 1
    assert capsys.readouterr().err == f"realtime-sdk talk: cannot read {text}: not a RIFF/WAVE file\n"
    adpcm = tmp_path / "adpcm.wav"
    _raw_wav(adpcm, 0x0002, 1, 8000, 4, bytes(400))
    assert main(["talk", str(adpcm), "--local"]) == 1
    assert "Microsoft ADPCM" in capsys.readouterr().err
    assert main(["talk", str(tmp_path), "--local"]) == 1  # a directory
    assert "cannot read" in capsys.readouterr().err
    for bad in (["--pace", "-1"], ["--timeout", "0"], ["--timeout", "nan"]):
        with pytest.raises(SystemExit) as exited:
            main(["talk", str(sample_wav_path()), "--local", *bad])
        assert exited.value.code == 2
        assert f"argument {bad[0]}: must be a number" in capsys.readouterr().err


def test_help_texts_say_what_to_run_and_what_the_exit_codes_mean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    top = capsys.readouterr().out
    assert exited.value.code == 0 and "``" not in top and "realtime-sdk COMMAND --help" in top
    with pytest.raises(SystemExit):
        main(["talk", "--help"])
    talk = capsys.readouterr().out
    assert "OPENAI_API_KEY" in talk and "exit status" in talk and "example: realtime-sdk talk" in talk
