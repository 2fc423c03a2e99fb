"""No client input ends a connection, and a server bug fails the test that provoked it (strict mode)."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_sdk import _generated as gen
from realtime_sdk.server import LocalRealtimeServer, ModelRequest, Reply

from .conftest import KEY

# -- strict mode -----------------------------------------------------------------------------------


def test_the_suite_runs_every_server_strict() -> None:
    # tests/conftest.py turns strict mode on for every server the suite starts without saying otherwise
    assert LocalRealtimeServer().strict
    assert not LocalRealtimeServer(strict=False).strict


def bad_delta() -> gen.ResponseOutputTextDelta:
    # msgspec does not check types when a struct is built: this encodes, but no client can decode it
    return gen.ResponseOutputTextDelta(
        event_id="event_1",
        response_id="resp_1",
        item_id="item_1",
        output_index="first",  # type: ignore[arg-type]
        content_index=0,
        delta="hi",
    )


async def test_strict_server_fails_on_stop_when_it_sent_an_untyped_event(connect) -> None:
    server = LocalRealtimeServer(strict=True)
    await server.start()
    try:
        async with connect(server) as client:
            conn = await server.wait_for_connection()
            conn.send(bad_delta())
            raw = await client.recv_raw()
            assert json.loads(raw.data)["output_index"] == "first"
    finally:
        with pytest.raises(AssertionError, match=r"untyped response\.output_text\.delta.*output_index"):
            await server.stop()


async def test_lenient_server_sends_the_same_event_without_complaint(connect) -> None:
    async with LocalRealtimeServer(strict=False) as server:
        async with connect(server) as client:
            conn = await server.wait_for_connection()
            conn.send(bad_delta())
            await client.recv_raw()
        assert conn.violations == []


class BrokenModel:
    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        return ""

    async def respond(self, request: ModelRequest) -> Reply:
        raise RuntimeError("the model fell over")


async def test_a_model_that_raises_fails_the_response_and_is_reported(connect) -> None:
    server = LocalRealtimeServer(model=BrokenModel(), strict=True)
    await server.start()
    try:
        async with connect(server) as client:
            await client.send({"type": "response.create", "event_id": "evt_1"})
            done = await client.expect("response.done")
            assert done.response.status == "failed"
            assert done.response.status_details.error.type == "server_error"
            # the response is over: a new one may start (it fails the same way)
            await client.send({"type": "response.create"})
            assert (await client.expect("response.done")).response.status == "failed"
    finally:
        with pytest.raises(AssertionError, match="the model fell over"):
            await server.stop()


# -- fuzzing: whatever a client sends, the connection survives and answers -------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
base64_audio = st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode())


@st.composite
def client_event(draw: st.DrawFn) -> dict[str, Any]:
    """A frame shaped like a client event: a real type (mostly) with some of its real field names."""
    wire = draw(st.sampled_from([*sorted(gen.CLIENT_EVENT_TYPES), "session.updatez", ""]))
    cls = gen.CLIENT_EVENT_TYPES.get(wire)
    names = [*(cls.__struct_fields__ if cls else ()), "event_id", "audio", "item_id", "response"]
    event: dict[str, Any] = {"type": wire}
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        event[name] = draw(base64_audio if name == "audio" else json_values)
    return event


RECORDED = Path(__file__).parent.parent / "data" / "recorded" / "openai_ga.client.jsonl"
# What real clients sent (audio appends left out: they are many and alike); mutated below, so the fuzzer
# reaches deep into valid events, not only into the decoder's refusals.
REAL_EVENTS = [
    e for e in map(json.loads, RECORDED.read_bytes().splitlines()) if e["type"] != "input_audio_buffer.append"
]
REAL_EVENTS += [
    {"type": "response.create", "response": {"output_modalities": ["text"], "max_output_tokens": 5}},
    {"type": "conversation.item.truncate", "item_id": "x", "content_index": 0, "audio_end_ms": 10},
]


def paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, sub in value.items():
            found += paths(sub, (*at, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            found += paths(sub, (*at, index))
    return found


@st.composite
def mutated_real_event(draw: st.DrawFn) -> dict[str, Any]:
    """A real client event with one value somewhere inside replaced by random JSON, or removed."""
    event = copy.deepcopy(draw(st.sampled_from(REAL_EVENTS)))
    where = draw(st.sampled_from(paths(event)[1:]))
    parent = event
    for step in where[:-1]:
        parent = parent[step]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[where[-1]]
    else:
        parent[where[-1]] = draw(json_values)
    return event


frame = st.one_of(
    mutated_real_event().map(lambda e: ("text", json.dumps(e))),
    st.sampled_from(REAL_EVENTS).map(lambda e: ("text", json.dumps(e))),
    client_event().map(lambda e: ("text", json.dumps(e))),
    json_values.map(lambda v: ("text", json.dumps(v))),
    st.text(max_size=40).map(lambda t: ("text", t)),
    st.binary(max_size=40).map(lambda b: ("binary", b)),
)


async def survive(frames: list[tuple[str, Any]]) -> None:
    async with LocalRealtimeServer(KEY, strict=True) as server, aiohttp.ClientSession() as http:
        async with http.ws_connect(server.url, headers={"Authorization": f"Bearer {KEY}"}) as ws:
            for kind, data in frames:
                await (ws.send_str(data) if kind == "text" else ws.send_bytes(data))
            # A probe after the noise: answered in order, so the connection read and survived all of it.
            await ws.send_str(
                json.dumps({"type": "conversation.item.retrieve", "item_id": "no_such", "event_id": "probe"})
            )
            while True:
                msg = await ws.receive(timeout=10)
                assert msg.type == aiohttp.WSMsgType.TEXT, msg
                event = json.loads(msg.data)
                if event["type"] == "error" and event["error"].get("event_id") == "probe":
                    assert event["error"]["code"] == "item_retrieve_invalid_item_id"
                    break
        conn = server.connections[0]
        assert len(conn.received) >= 1
    # leaving the server checked every event it sent and that nothing raised (strict mode)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frame, min_size=1, max_size=8))
def test_no_client_input_ends_the_connection(frames: list[tuple[str, Any]]) -> None:
    asyncio.run(survive(frames))


@pytest.mark.parametrize(
    "frames",
    [
        [("text", json.dumps({"type": "session.update", "session": {"type": "realtime", "audio": None}}))],
        [("text", json.dumps({"type": "session.update", "session": {"type": "realtime", "tools": [{}]}}))],
        [("text", json.dumps({"type": "response.create", "response": {"tools": [{"type": "function"}]}}))],
        [("text", json.dumps({"type": "input_audio_buffer.append", "audio": "!!"}))],
        [("text", json.dumps({"type": "conversation.item.create", "event_id": []}))],
        [
            (
                "text",
                json.dumps(
                    {
                        "type": "session.update",
                        "session": {"type": "realtime", "audio": {"output": {"format": None}}},
                    }
                ),
            )
        ],
        [("binary", b"\xff\x00")],
    ],
)
async def test_known_awkward_inputs_are_answered(frames: list[tuple[str, Any]]) -> None:
    await survive(frames)
