"""The server-side traffic of the end-to-end benchmark, built from the recorded fixtures.

A stream is a list of JSON frames *without* an ``event_id``: the traffic server stamps every frame with
``"event_id": "t<CLOCK_MONOTONIC ns>"`` the moment it sends it, so a receiver in another process can tell
how long a frame took from the server's socket to the application (both read the same system-wide clock).

Streams are named ``kind:size`` (``audio:600``, ``text:20``, ``paced:300``, ``scale:4``).  Both ends
build them from the name alone (deterministically), so a contender knows how many events, responses,
audio bytes and text characters it must receive without being told by the server.

- ``audio:N``  one spoken answer of N audio deltas of 100 ms (24 kHz PCM16: 4800 bytes, 6400 base64
  characters; recorded deltas were shortened by the recorder, so the payload is a synthetic tone), with a
  transcript delta after every third audio delta, framed by the recorded events of a real audio response.
- ``text:N``   N text answers of 100 text deltas each, framed by the events of a recorded text response.
- ``paced:N``  like ``audio:N`` but sent one delta every ``PACED_INTERVAL`` seconds (latency section).
- ``scale:S``  S seconds of audio at real time: one 100 ms delta every 100 ms (scale section).
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parent.parent / "tests" / "data" / "recorded" / "openai_ga.server.jsonl"

AUDIO_TEMPLATE = "resp_E6U0xfWhN878XBMhc0LKn"  # a recorded spoken answer: transcript and audio deltas
TEXT_TEMPLATE = "resp_Dz2pmeTm50zqrMEgDqUxE"  # a recorded text answer of 49 deltas
DELTA_MS = 100
DELTA_BYTES = 24_000 * 2 * DELTA_MS // 1000  # 4800
TEXT_DELTAS = 100
PACED_INTERVAL = 0.004
AUDIO_DELTA = "response.output_audio.delta"
TEXT_DELTA_TYPES = frozenset({"response.output_text.delta", "response.output_audio_transcript.delta"})


@dataclass(frozen=True)
class Stream:
    name: str
    frames: list[str]  # JSON objects without an event_id, starting with "{"
    interval: float  # seconds between audio deltas (0: as fast as the socket takes them)
    responses: int
    audio_deltas: int
    audio_bytes: int
    text_chars: int

    @property
    def events(self) -> int:
        return len(self.frames)


def _recorded() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RECORDED.read_text().splitlines()]


def _response_events(events: list[dict[str, Any]], response_id: str) -> list[dict[str, Any]]:
    """The events of one recorded response, the conversation items it added included, in recorded order."""
    items = {
        e["item"]["id"]
        for e in events
        if e["type"] == "response.output_item.added" and e["response_id"] == response_id
    }
    picked = []
    for e in events:
        rid = e.get("response_id") or (e.get("response") or {}).get("id")
        iid = e.get("item_id") or (e.get("item") or {}).get("id")
        if rid == response_id or (rid is None and iid in items):
            clean = dict(e)
            clean.pop("event_id", None)
            picked.append(clean)
    return picked


def _tone() -> str:
    """100 ms of a 440 Hz tone at 24 kHz PCM16, base64: non-silent, so nothing can special-case zeros."""
    n = DELTA_BYTES // 2
    samples = [round(8000 * math.sin(2 * math.pi * 440 * i / 24_000)) for i in range(n)]
    pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
    return base64.b64encode(pcm).decode()


def _renamed(template: list[dict[str, Any]], old: dict[str, str], new_suffix: str) -> list[dict[str, Any]]:
    text = json.dumps(template)
    for old_id in old:
        text = text.replace(old_id, old_id + new_suffix)
    out: list[dict[str, Any]] = json.loads(text)
    return out


def _expand(template: list[dict[str, Any]], delta_type: str, count: int, make: Any) -> list[dict[str, Any]]:
    """``template`` with its run of ``delta_type`` events replaced by ``make(i, sample)`` for i < count."""
    first = next(i for i, e in enumerate(template) if e["type"] == delta_type)
    last = max(i for i, e in enumerate(template) if e["type"] == delta_type)
    body = template[first : last + 1]
    return [*template[:first], *make(body, count), *template[last + 1 :]]


def _ids(template: list[dict[str, Any]]) -> dict[str, str]:
    ids = {}
    for e in template:
        for key in ("response_id", "item_id"):
            if key in e:
                ids[e[key]] = key
    return ids


def _audio_answer(events: list[dict[str, Any]], deltas: int, suffix: str) -> list[dict[str, Any]]:
    template = _response_events(events, AUDIO_TEMPLATE)
    tone = _tone()

    def make(body: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
        audio = next(e for e in body if e["type"] == AUDIO_DELTA)
        words = [e for e in body if e["type"] == "response.output_audio_transcript.delta"]
        out = []
        for i in range(count):
            out.append({**audio, "delta": tone})
            if i % 3 == 2:
                out.append(words[(i // 3) % len(words)])
        return out

    # Transcript and audio deltas are interleaved in the recording: expand the run spanning both.
    first = next(i for i, e in enumerate(template) if e["type"] in (AUDIO_DELTA, *TEXT_DELTA_TYPES))
    last = max(i for i, e in enumerate(template) if e["type"] in (AUDIO_DELTA, *TEXT_DELTA_TYPES))
    expanded = [*template[:first], *make(template[first : last + 1], deltas), *template[last + 1 :]]
    return _renamed(expanded, _ids(template), suffix)


def _text_answer(events: list[dict[str, Any]], suffix: str) -> list[dict[str, Any]]:
    template = _response_events(events, TEXT_TEMPLATE)

    def make(body: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
        return [body[i % len(body)] for i in range(count)]

    return _renamed(
        _expand(template, "response.output_text.delta", TEXT_DELTAS, make), _ids(template), suffix
    )


def build(name: str) -> Stream:
    kind, _, size_text = name.partition(":")
    size = int(size_text)
    if not 0 < size <= 100_000:
        raise ValueError(f"stream size out of range: {name}")
    events = _recorded()
    interval = 0.0
    if kind in ("audio", "paced", "scale"):
        deltas = size * 1000 // DELTA_MS if kind == "scale" else size
        answer = _audio_answer(events, deltas, "_0")
        interval = {"audio": 0.0, "paced": PACED_INTERVAL, "scale": DELTA_MS / 1000}[kind]
        answers = [answer]
    elif kind == "text":
        answers = [_text_answer(events, f"_{i}") for i in range(size)]
    else:
        raise ValueError(f"unknown stream kind: {name}")
    flat = [e for answer in answers for e in answer]
    return Stream(
        name=name,
        frames=[json.dumps(e) for e in flat],
        interval=interval,
        responses=len(answers),
        audio_deltas=sum(e["type"] == AUDIO_DELTA for e in flat),
        audio_bytes=sum(len(base64.b64decode(e["delta"])) for e in flat if e["type"] == AUDIO_DELTA),
        text_chars=sum(len(e["delta"]) for e in flat if e["type"] in TEXT_DELTA_TYPES),
    )


def session_frames() -> tuple[str, str]:
    """A recorded ``session.created`` and ``session.updated`` (without event ids)."""
    events = _recorded()
    created = next(e for e in events if e["type"] == "session.created")
    updated = next(e for e in events if e["type"] == "session.updated")
    for e in (created, updated):
        e.pop("event_id", None)
    return json.dumps(created), json.dumps(updated)


def stamped(frame: str, ns: int) -> str:
    """``frame`` with its event id set to the send time."""
    return f'{{"event_id": "t{ns}", {frame[1:]}'


def stamp_of(event_id: str) -> int:
    return int(event_id[1:])
