"""Replaying recorded real sessions against the local server, and comparing what comes back.

Reusable for any recording in the shape of ``tests/data/recorded/openai_ga.server.jsonl`` (one server
event per line, see PROVENANCE.md there): a recorded session's *server* events are enough to drive a
replay, because every client action shows in them —

- the first ``session.updated`` → the ``session.update`` that caused it (the session's settable fields);
- a ``conversation.item.added`` outside any response and not from a commit → ``conversation.item.create``
  (function call outputs get the call id this server made for the recorded one);
- a ``response.created`` no VAD turn started → ``response.create``;

and the local model answers with what the recording answered (``script``).  Then ``compare`` checks the
event-type sequences (``kinds``: runs of one delta type collapsed, audio and transcript deltas as one kind
since they interleave differently on every run) and the field shapes of every event type both sides
sent (``shapes``).  What legitimately differs is dropped before comparing, each with its reason in
``VARYING``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from realtime_sdk.server import Reply

DATA = Path(__file__).resolve().parent.parent / "data" / "recorded"
SERVER: list[dict[str, Any]] = [
    json.loads(line) for line in (DATA / "openai_ga.server.jsonl").read_text().splitlines()
]

VARYING = {
    "rate_limits.updated": "the service sends it after most responses, not all; which ones is not knowable",
    "conversation.item.input_audio_transcription.": "runs beside the reply; checked by ordering rules",
}
_SPOKEN_DELTAS = ("response.output_audio.delta", "response.output_audio_transcript.delta")
IGNORED_FIELDS = {
    "obfuscation": "random padding on delta events, undocumented, meaningless to clients",
    "reasoning_tokens": "in 1 of the 3 recorded gpt-realtime-2.1 usages only; when it is sent is unknown",
}


def session(start: int, end: int) -> list[dict[str, Any]]:
    """The recorded server events on lines ``start``..``end`` (inclusive, 0-based)."""
    return SERVER[start : end + 1]


def kinds(events: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for event in events:
        t = event["type"]
        if any(t.startswith(v) for v in VARYING):
            continue
        if t in _SPOKEN_DELTAS:
            t = "deltas"
        if not out or out[-1] != t or not t.endswith(("delta", "deltas")):
            out.append(t)
    return out


def shape(value: Any) -> Any:
    """The JSON shape of ``value``: objects by key, arrays by their elements' shapes, scalars by kind."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items()) if k not in IGNORED_FIELDS}
    if isinstance(value, list):
        shapes: list[Any] = []
        for v in value:
            s = shape(v)
            if s not in shapes:
                shapes.append(s)
        return shapes
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "string"


def shapes(events: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Every distinct shape seen, by event type."""
    out: dict[str, list[Any]] = {}
    for event in events:
        seen = out.setdefault(event["type"], [])
        s = shape(event)
        if s not in seen:
            seen.append(s)
    return out


def shape_differences(recorded: list[dict[str, Any]], mine: list[dict[str, Any]]) -> list[str]:
    """For each event type both sent: recorded shapes the local server never produced."""
    ours, theirs = shapes(mine), shapes(recorded)
    return [
        f"{t}: {json.dumps(s)[:400]}"
        for t in sorted(set(ours) & set(theirs))
        for s in theirs[t]
        if s not in ours[t]
    ]


@dataclass
class Step:
    event: dict[str, Any]
    wait_for: str
    """The server event type that acknowledges it."""


def steps(recorded: list[dict[str, Any]]) -> list[Step]:
    """The client's side of a recorded session (see the module docstring)."""
    out: list[Step] = []
    in_response = False
    updated = False
    for i, event in enumerate(recorded):
        t = event["type"]
        if t == "session.updated" and not updated:
            updated = True
            settable = {
                k: v for k, v in event["session"].items() if k not in ("id", "object", "expires_at", "model")
            }
            out.append(Step({"type": "session.update", "session": settable}, "session.updated"))
        elif t == "response.created":
            in_response = True
            by_vad = any(e["type"] == "input_audio_buffer.committed" for e in recorded[max(0, i - 4) : i])
            if not by_vad:
                out.append(Step({"type": "response.create"}, "response.done"))
        elif t == "response.done":
            in_response = False
        elif t == "error" and event["error"].get("event_id") is None:
            refused = refused_client_event(event["error"])
            if refused is not None:
                out.append(Step(refused, "error"))
        elif t == "conversation.item.added" and not in_response:
            if any(e["type"] == "input_audio_buffer.committed" for e in recorded[max(0, i - 1) : i]):
                continue
            item = {k: v for k, v in event["item"].items() if k not in ("id", "status", "object")}
            out.append(Step({"type": "conversation.item.create", "item": item}, "conversation.item.done"))
    return out


CLIENT: list[dict[str, Any]] = [
    json.loads(line) for line in (DATA / "openai_ga.client.jsonl").read_text().splitlines()
]
_QUOTED = re.compile(r"Invalid value: '([^']*)'")
_STEP = re.compile(r"(\w+)|\[(\d+)\]")


def refused_client_event(error: dict[str, Any]) -> dict[str, Any] | None:
    """The recorded client event that an ``error`` refused: the one holding the refused value at the
    error's ``param`` (server events cannot show it, the client recording does)."""
    quoted, param = _QUOTED.match(error.get("message") or ""), error.get("param")
    if quoted is None or not param:
        return None
    for event in CLIENT:
        value: Any = event
        for name, index in _STEP.findall(param):
            if isinstance(value, dict) and name:
                value = value.get(name)
            elif isinstance(value, list) and index and int(index) < len(value):
                value = value[int(index)]
            else:
                value = None
        if value == quoted.group(1):
            return event
    return None


def script(recorded: list[dict[str, Any]]) -> list[Reply]:
    """What the recorded responses answered, as local replies (an audio answer as its transcript)."""
    replies: list[Reply] = []
    for event in recorded:
        if event["type"] != "response.done":
            continue
        reply = Reply()
        for item in event["response"]["output"]:
            if item["type"] == "function_call":
                reply = reply + Reply.function_call(item["name"], item["arguments"])
            else:
                part = item["content"][0]
                reply = reply + Reply.text(part.get("text") or part.get("transcript") or "")
        replies.append(reply)
    return replies
