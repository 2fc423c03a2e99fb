"""The cassette format: what a Recorder writes, what read_cassette gives back, what it refuses."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from realtime_sdk.errors import ConfigurationError
from realtime_sdk.recording import CassetteError, Recorder, read_cassette

AUDIO = base64.b64encode(bytes(range(200)) * 3).decode()  # 600 bytes


def test_frames_round_trip_with_direction_and_offset(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with Recorder(path, model="gpt-realtime", endpoint="openai") as rec:
        rec.sent('{"type":"session.update","session":{"instructions":"Be brief."}}', t=0.5)
        rec.received(b'{"type":"session.updated","session":{}}', t=0.75)
        rec.received("not json at all", t=1.0)
        rec.sent(b"\xff\x00binary", t=1.25)
    cassette = read_cassette(path)
    assert cassette.header.model == "gpt-realtime" and cassette.header.endpoint == "openai"
    assert cassette.header.audio == "kept" and cassette.header.version == 1
    got = [(r.direction, r.t, r.type, r.raw) for r in cassette.records]
    assert got == [
        ("sent", 0.5, "session.update", None),
        ("received", 0.75, "session.updated", None),
        ("received", 1.0, None, "not json at all"),
        ("sent", 1.25, None, b"\xff\x00binary"),
    ]
    assert cassette.records[0].frame == {"type": "session.update", "session": {"instructions": "Be brief."}}


def test_offsets_default_to_time_since_the_start_and_never_decrease(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    with Recorder(path) as rec:
        for _ in range(5):
            rec.sent('{"type":"response.create"}')
    offsets = [r.t for r in read_cassette(path).records]
    assert offsets == sorted(offsets) and offsets[0] >= 0


def test_audio_is_kept_or_elided(tmp_path: Path) -> None:
    frames = [
        json.dumps({"type": "input_audio_buffer.append", "audio": AUDIO}),
        json.dumps({"type": "response.output_audio.delta", "delta": AUDIO, "item_id": "i"}),
        json.dumps(
            {
                "type": "conversation.item.create",
                "item": {"content": [{"type": "input_audio", "audio": AUDIO}]},
            }
        ),
        json.dumps({"type": "response.output_text.delta", "delta": "words stay"}),
    ]
    kept, elided = tmp_path / "kept.jsonl", tmp_path / "elided.jsonl"
    for path, keep in ((kept, True), (elided, False)):
        with Recorder(path, keep_audio=keep) as rec:
            for frame in frames:
                rec.sent(frame)
    assert AUDIO in kept.read_text()
    assert AUDIO not in elided.read_text()
    records = read_cassette(elided).records
    assert read_cassette(elided).header.audio == "elided"
    assert [r.elided for r in records] == [600, 600, 600, 0]
    assert records[1].frame is not None and records[1].frame["delta"] == ""
    assert records[3].frame is not None and records[3].frame["delta"] == "words stay"


def test_frames_after_close_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    rec = Recorder(path)
    rec.close()
    rec.sent('{"type":"response.create"}')
    assert rec.closed and read_cassette(path).records == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a realtime-sdk cassette"),
        ('{"type": "session.created"}\n', "not a realtime-sdk cassette"),
        ('{"cassette": "realtime-sdk", "version": 99}\n', "version 99"),
        ('{"cassette": "realtime-sdk", "version": 1}\n{"dir": "up", "t": 0}\n', ":2: not a frame record"),
        ('{"cassette": "realtime-sdk", "version": 1}\n{oops\n', ":2: not JSON"),
    ],
)
def test_what_is_not_a_cassette_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(CassetteError, match=message):
        read_cassette(path)


def test_missing_files_are_typed_errors(tmp_path: Path) -> None:
    with pytest.raises(CassetteError):
        read_cassette(tmp_path / "absent.jsonl")
    with pytest.raises(ConfigurationError):
        Recorder(tmp_path / "no" / "such" / "dir" / "c.jsonl")
