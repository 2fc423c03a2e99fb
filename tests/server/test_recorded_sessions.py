"""Every recorded OpenAI GA session without input audio, replayed against the local server.

The replay is driven by the recording alone (``recorded.steps``/``script``); the comparison is
``recorded.kinds`` (event types, delta runs collapsed) and ``recorded.shape_differences`` (field shapes).
Sessions not replayed here, and why:

- lines 99-230 (three server-VAD audio turns): the recorder kept only part of the audio; replayed in
  ``test_replay.py`` with the frames that exist;
- lines 770-818: its last three lines are late ``session.updated`` events of it and of the two sessions
  before it (the recorder appended them together), so where that session ends is not known.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from realtime_sdk.server import LocalRealtimeServer, ScriptedModel

from . import recorded
from .conftest import KEY, assert_typed

_MARKER = "replay-marker"


def _sessions() -> list[tuple[int, int]]:
    """(first line, last line) of each recorded session, split at session.created / a new sideband."""
    starts = [
        i
        for i, e in enumerate(recorded.SERVER)
        if e["type"] == "session.created"
        or (
            e["type"] == "session.updated"
            and e["session"]["id"].startswith("sess_u0_")
            and recorded.SERVER[i - 1]["type"] != "session.created"
        )
    ]
    bounds = list(zip(starts, [*starts[1:], len(recorded.SERVER)], strict=True))
    return [(a, b - 1) for a, b in bounds]


def _replayable(start: int, end: int) -> bool:
    events = recorded.session(start, end)
    if any(e["type"].startswith("input_audio_buffer.") for e in events):
        return False  # audio turns: test_replay.py
    return not 816 <= end <= 818  # see the module docstring


SESSIONS = [s for s in _sessions() if _replayable(*s)]


async def replay(http: aiohttp.ClientSession, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replay a recorded session; return the server events the local server sent, as JSON."""
    first = events[0]["session"]
    sideband = first["id"].startswith("sess_u0_")
    query = f"?call_id=rtc_replay_{first['id']}" if sideband else f"?model={first['model']}"
    got: list[dict[str, Any]] = []
    calls: dict[str, str] = {}
    recorded_calls = [
        item["call_id"]
        for e in events
        if e["type"] == "response.done"
        for item in e["response"]["output"]
        if item["type"] == "function_call"
    ]

    async def until(ws: aiohttp.ClientWebSocketResponse, wanted: str, event_id: str | None = None) -> None:
        while True:
            msg = await ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.TEXT, msg
            assert_typed(msg.data)
            event = json.loads(msg.data)
            got.append(event)
            if event["type"] == "response.done":
                for item in event["response"]["output"]:
                    if item["type"] == "function_call":
                        calls[recorded_calls[len(calls)]] = item["call_id"]
            if event["type"] == wanted and (event_id is None or event["error"]["event_id"] == event_id):
                return

    model = ScriptedModel(recorded.script(events))
    async with LocalRealtimeServer(model=model) as srv:
        if sideband:  # the call was made for the recorded model (call control would have said so)
            call = srv.call(query.removeprefix("?call_id="))
            assert call is not None
            call.model = first["model"]
        async with http.ws_connect(srv.url + query, headers={"Authorization": f"Bearer {KEY}"}) as ws:
            for step in recorded.steps(events):
                event = step.event
                if event.get("item", {}).get("type") == "function_call_output":
                    event = {**event, "item": {**event["item"], "call_id": calls[event["item"]["call_id"]]}}
                await ws.send_str(json.dumps(event))
                await until(ws, "error" if step.wait_for == "error" else step.wait_for)
            # Everything the server sends after the last step arrives before the answer to this.
            await ws.send_str(
                json.dumps({"type": "conversation.item.retrieve", "item_id": _MARKER, "event_id": _MARKER})
            )
            await until(ws, "error", _MARKER)
    return got[:-1]


@pytest.mark.parametrize(("start", "end"), SESSIONS, ids=[f"line{s}" for s, _ in SESSIONS])
async def test_recorded_session_replays_alike(http, start: int, end: int) -> None:
    events = recorded.session(start, end)
    mine = await replay(http, events)
    assert recorded.kinds(mine) == recorded.kinds(events)
    assert recorded.shape_differences(events, mine) == []


def test_there_are_sessions_to_replay() -> None:
    assert len(SESSIONS) >= 12
