"""``realtime-sdk replay CASSETTE``: the conversation printed, the audio of both sides written to WAV."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from realtime_sdk.audio import read_wav, ulaw_encode
from realtime_sdk.cli import main
from realtime_sdk.recording import Recorder
from realtime_sdk.server._codec import tone


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def write_cassette(path: Path, *, keep_audio: bool = True, output_format: str = "audio/pcm") -> bytes:
    reply = tone(500) if output_format == "audio/pcm" else ulaw_encode(tone(500)[::3])
    user = bytes(range(256)) * 10
    session = {"audio": {"output": {"format": {"type": output_format}}}}
    frames: list[tuple[str, dict[str, object]]] = [
        ("received", {"type": "session.created", "session": session}),
        (
            "sent",
            {
                "type": "conversation.item.create",
                "item": {"content": [{"type": "input_text", "text": "Hi!"}]},
            },
        ),
        ("sent", {"type": "input_audio_buffer.append", "audio": b64(user)}),
        (
            "received",
            {"type": "conversation.item.input_audio_transcription.completed", "transcript": "hello"},
        ),
        ("received", {"type": "response.output_audio.delta", "delta": b64(reply[:400])}),
        ("received", {"type": "response.output_audio.delta", "delta": b64(reply[400:])}),
        ("received", {"type": "response.output_audio_transcript.done", "transcript": "Hello to you."}),
    ]
    with Recorder(path, model="gpt-realtime", endpoint="openai", keep_audio=keep_audio) as rec:
        for n, (direction, frame) in enumerate(frames):
            getattr(rec, direction)(json.dumps(frame), t=n * 0.5)
    return user


def test_replay_prints_the_conversation_and_writes_both_sides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "s.jsonl"
    user = write_cassette(cassette)
    out, inp = tmp_path / "a.wav", tmp_path / "u.wav"
    assert main(["replay", str(cassette), "--out", str(out), "--input-out", str(inp)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "cassette: openai, model gpt-realtime, audio kept",
        "[   0.50] you (typed): Hi!",
        "[   1.50] you: hello",
        "[   3.00] assistant: Hello to you.",
    ]
    pcm, rate, _ = read_wav(out)
    assert (pcm, rate) == (tone(500), 24000)
    assert read_wav(inp)[0] == user
    assert f"wrote {out}: 0.50 s of assistant audio at 24000 Hz" in lines


def test_replay_decodes_g711_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = tmp_path / "s.jsonl"
    write_cassette(cassette, output_format="audio/pcmu")
    assert main(["replay", str(cassette)]) == 0
    pcm, rate, _ = read_wav(cassette.with_suffix(".wav"))
    assert rate == 8000 and len(pcm) == 2 * 4000


def test_replay_of_a_cassette_without_audio_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "s.jsonl"
    write_cassette(cassette, keep_audio=False)
    assert main(["replay", str(cassette)]) == 0
    assert "no assistant audio in the cassette (it was recorded without audio)" in capsys.readouterr().out


def test_replay_refuses_what_is_not_a_cassette(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.jsonl"
    bad.write_text('{"type": "session.created"}\n')
    assert main(["replay", str(bad)]) == 1
    assert (
        capsys.readouterr().err
        == f"realtime-sdk replay: {bad} is not a realtime-sdk cassette (no header line)\n"
    )
