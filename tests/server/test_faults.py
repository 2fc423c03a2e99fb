"""Fault injection (drop, close, raw frames, stall, delay, drop/close after the Nth event) and recording."""

from __future__ import annotations

import json
import time

import aiohttp
import numpy as np
import pytest

from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel


async def test_drop_gives_the_client_an_abnormal_close(server, connect) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        await conn.drop()
        msg = await client.closed()
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE)
        assert client.ws.close_code in (None, 1006)  # no close frame was sent
        assert conn.close_code == 1006


async def test_close_with_code_and_reason(server, connect) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        await client.send({"type": "input_audio_buffer.clear"})
        assert (await client.recv()).type == "input_audio_buffer.cleared"
        closing = client.ws.receive(timeout=10)
        await conn.close(4000, "going away for a test")
        msg = await closing
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert (msg.data, msg.extra) == (4000, "going away for a test")


async def test_send_raw_malformed_and_unknown_frames(server, connect) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        await conn.send_raw("{this is not json")
        await conn.send_raw(json.dumps({"type": "response.brand_new_event", "event_id": "event_x"}))
        # the deliberate exception to the typed-event rule: read these two raw
        assert (await client.recv_raw()).data == "{this is not json"
        assert json.loads((await client.recv_raw()).data)["type"] == "response.brand_new_event"
        await client.send({"type": "input_audio_buffer.clear"})
        assert (await client.recv()).type == "input_audio_buffer.cleared"


async def test_stall_and_resume(server, connect) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        conn.stall()
        await client.send({"type": "input_audio_buffer.clear"})
        await conn.wait_received(1)  # the server has it, but holds the answer
        with pytest.raises(TimeoutError):
            await client.ws.receive(timeout=0.3)
        assert conn.sent_types == ["session.created"]  # held back by the server, not lost on the way
        conn.resume()
        assert (await client.recv()).type == "input_audio_buffer.cleared"


async def test_delay_per_outgoing_event(server, connect) -> None:
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        conn.delay(0.15)
        t0 = time.monotonic()
        await client.send({"type": "input_audio_buffer.clear"})
        await client.send({"type": "input_audio_buffer.clear"})
        await client.recv()
        await client.recv()
        assert time.monotonic() - t0 >= 0.3


async def test_drop_after_first_audio_delta_mid_response(connect) -> None:
    model = ScriptedModel([Reply.audio(np.zeros(24000 * 3, dtype="<i2").tobytes(), "three seconds")])
    async with LocalRealtimeServer(model=model) as srv:
        srv.drop_after("response.output_audio.delta", 1)
        async with connect(srv) as client:
            await client.send({"type": "response.create"})
            await client.expect("response.output_audio.delta")
            await client.closed()
            assert not any(e.type == "response.output_audio.delta" for e in client.events[:-1])
        conn = srv.connections[0]
        await conn.closed.wait()
        assert conn.close_code == 1006
        assert conn.sent_types.count("response.output_audio.delta") == 1
        # the rule was for one connection: the next one is healthy
        async with connect(srv) as client:
            await client.send({"type": "response.create"})
            assert (await client.expect("response.done")).response.status == "completed"


async def test_close_after_event(server, connect) -> None:
    server.close_after("response.created", code=1011, reason="internal")
    async with connect(server) as client:
        await client.send({"type": "response.create"})
        await client.expect("response.created")
        msg = await client.closed()
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1011 and msg.extra == "internal"


async def test_stall_after_event(server, connect) -> None:
    server.stall_after("response.created")
    async with connect(server) as client:
        conn = await server.wait_for_connection()
        await client.send({"type": "response.create"})
        await client.expect("response.created")
        with pytest.raises(TimeoutError):
            await client.ws.receive(timeout=0.3)
        assert conn.sent_types == ["session.created", "response.created"]  # the rest is held back
        conn.resume()
        assert (await client.expect("response.done")).type == "response.done"


async def test_recording_has_both_directions(tmp_path, connect) -> None:
    path = tmp_path / "frames.jsonl"
    async with LocalRealtimeServer(record_to=path) as srv:
        async with connect(srv) as client:
            await client.send({"type": "input_audio_buffer.clear", "event_id": "mine"})
            await client.recv()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(x["direction"], x["frame"]["type"]) for x in lines] == [
        ("server", "session.created"),
        ("client", "input_audio_buffer.clear"),
        ("server", "input_audio_buffer.cleared"),
    ]
    assert lines[1]["frame"]["event_id"] == "mine" and all(x["connection"] == 0 for x in lines)


async def test_stop_closes_live_connections(connect) -> None:
    srv = LocalRealtimeServer()
    await srv.start()
    async with connect(srv) as client:
        closing = client.ws.receive(timeout=10)
        await srv.stop()
        msg = await closing
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
