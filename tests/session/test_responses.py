"""Response handles: correlation, text/audio/done, per-response iteration, no racing response.create."""

from __future__ import annotations

import asyncio

import pytest
from support import parked

from realtime_sdk import (
    ConnectionClosed,
    RealtimeSession,
    ResponseActiveError,
    ResponseFailedError,
    ServerError,
    SessionProperties,
)
from realtime_sdk._generated import Error, ResponseCreate, ResponseCreated, ResponseDone
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import KEY, GatedModel, until

TONE = (b"\x00\x40" * 20 + b"\x00\xc0" * 20) * (24 * 500 // 40)  # 500 ms, 24 kHz PCM16


async def test_text_response(server: LocalRealtimeServer) -> None:
    props = SessionProperties(output_modalities=["text"])
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, session_properties=props) as s:
        await s.add_item("What is up?")
        handle = await s.create_response()
        assert handle.id is not None and handle.id.startswith("resp_")
        assert await handle.text() == "You said: What is up?"
        response = await handle.done()
        assert response.status == "completed"
        assert response.usage.output_tokens > 0  # type: ignore[union-attr,operator]
        assert await handle.audio() == b""


async def test_audio_response_bytes_and_transcript() -> None:
    model = ScriptedModel([Reply.audio(TONE, transcript="a tone")])
    async with LocalRealtimeServer(KEY, model=model) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        async with asyncio.timeout(10):
            handle = await s.create_response()
            assert await handle.audio() == TONE
            assert await handle.transcript() == "a tone"
            assert await handle.text() == "a tone"


async def test_handle_iterates_only_its_own_response(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url) as s:
        await s.add_item("first")
        first = await s.create_response(output_modalities=["text"])
        oob = await s.create_response(conversation="none", output_modalities=["text"], instructions="x")
        events = [event async for event in first]
        assert isinstance(events[0], ResponseCreated) and isinstance(events[-1], ResponseDone)
        ids = {getattr(e, "response_id", None) or e.response.id for e in events}  # type: ignore[attr-defined]
        assert ids == {first.id}
        oob_events = [event async for event in oob]
        assert {getattr(e, "response_id", None) or e.response.id for e in oob_events} == {oob.id}  # type: ignore[attr-defined]
        assert first.id != oob.id


async def test_metadata_is_merged_and_tagged(server: LocalRealtimeServer, session: RealtimeSession) -> None:
    handle = await session.create_response(metadata={"topic": "weather"})
    response = await handle.done()
    assert response.metadata is not None and response.metadata["topic"] == "weather"  # type: ignore[index]
    sent = next(e for e in server.connections[0].received if isinstance(e, ResponseCreate))
    assert sent.response.metadata["topic"] == "weather"  # type: ignore[union-attr,index]
    assert "sdk_response_id" in sent.response.metadata  # type: ignore[union-attr,operator]


async def test_response_that_fails() -> None:
    model = ScriptedModel([Reply.error("server_error", "the model fell over")])
    async with LocalRealtimeServer(KEY, model=model) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        async with asyncio.timeout(10):
            handle = await s.create_response()
            with pytest.raises(ResponseFailedError) as info:
                await handle.done()
            assert info.value.code == "server_error"
            assert info.value.response.status == "failed"  # type: ignore[attr-defined]
            with pytest.raises(ResponseFailedError):
                await handle.text()
            # The session goes on.
            again = await s.create_response()
            assert (await again.done()).status == "completed"


async def test_refused_response_create_raises_server_error(session: RealtimeSession) -> None:
    with pytest.raises(ServerError) as info:
        await session.create_response(output_modalities=["text", "audio"])
    assert info.value.code == "invalid_value"
    assert info.value.param == "response.output_modalities"
    # Not left "active": the next one goes straight through.
    await (await session.create_response()).done()


async def test_concurrent_creates_never_race() -> None:
    async with LocalRealtimeServer(KEY) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        errors: list[Error] = []
        s.on(Error, errors.append)
        async with asyncio.timeout(20):
            await s.add_item("hi")
            handles = await asyncio.gather(*(s.create_response(output_modalities=["text"]) for _ in range(5)))
            responses = [await h.done() for h in handles]
        assert len({r.id for r in responses}) == 5
        assert all(r.status == "completed" for r in responses)
        assert errors == []
        # The server rejects an overlapping response.create and the SDK would then send it again:
        # exactly five sent means none overlapped.
        assert len([e for e in srv.connections[0].received if isinstance(e, ResponseCreate)]) == 5


async def test_second_create_waits_for_the_active_response() -> None:
    model = GatedModel()
    async with LocalRealtimeServer(KEY, model=model) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        async with asyncio.timeout(10):
            first = await s.create_response()
            second_task = asyncio.create_task(s.create_response())
            await model.started.wait()
            # The gate is closed: the first response is active, so the second must not have been sent.
            await until(lambda: parked(second_task) and s.response_active)
            await s.retrieve_item((await s.add_item("marker")).id)  # a round trip: anything sent has arrived
            creates = [e for e in srv.connections[0].received if isinstance(e, ResponseCreate)]
            assert len(creates) == 1 and not second_task.done()
            with pytest.raises(ResponseActiveError):
                await s.create_response(on_active="raise")
            model.gate.set()
            second = await second_task
            await first.done()
            await second.done()
            assert first.id != second.id


async def test_out_of_band_response_does_not_wait() -> None:
    model = GatedModel()
    async with LocalRealtimeServer(KEY, model=model) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        async with asyncio.timeout(10):
            first = await s.create_response()
            await model.started.wait()
            oob = await s.create_response(conversation="none", on_active="raise")
            assert oob.out_of_band and not first.is_done
            model.gate.set()
            await oob.done()
            await first.done()


async def test_dropped_connection_during_done() -> None:
    model = GatedModel()
    async with LocalRealtimeServer(KEY, model=model) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        async with asyncio.timeout(10):
            handle = await s.create_response()
            waiter = asyncio.create_task(handle.done())
            await model.started.wait()
            await srv.connections[0].drop()
            with pytest.raises(ConnectionClosed) as info:
                await waiter
            assert info.value.code == 1006
            with pytest.raises(ConnectionClosed):
                await handle.text()
            with pytest.raises(ConnectionClosed):
                async for _ in handle:
                    pass


async def test_server_vad_response_is_waited_for() -> None:
    """A response the server started by itself (no handle) also holds back create_response."""
    model = GatedModel()
    async with LocalRealtimeServer(KEY, model=model) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        async with asyncio.timeout(10):
            conn = srv.connections[0]
            # Someone else's response.create (e.g. sent with send()): not tagged by the SDK.
            await s.send(ResponseCreate())
            async for event in s:
                if isinstance(event, ResponseCreated):
                    break
            task = asyncio.create_task(s.create_response())
            await until(lambda: parked(task) and s.response_active)
            await s.retrieve_item((await s.add_item("marker")).id)  # a round trip: anything sent has arrived
            assert len([e for e in conn.received if isinstance(e, ResponseCreate)]) == 1
            model.gate.set()
            await (await task).done()
