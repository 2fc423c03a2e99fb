"""A sideband (``?call_id=``) behaves like the real service's (recorded at lines 326-359)."""

from __future__ import annotations

from realtime_sdk.server import LocalRealtimeServer

from .conftest import manual_session


async def _say(client, text: str) -> list:
    await client.send(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        }
    )
    await client.expect("conversation.item.done")
    await client.send({"type": "response.create"})
    return await client.until("output_audio_buffer.stopped")


async def test_no_session_created_and_a_sess_u0_id(connect) -> None:
    async with (
        LocalRealtimeServer() as srv,
        connect(srv, query="?call_id=rtc_abc", read_created=False) as client,
    ):
        await client.send(manual_session())
        first = await client.recv()
        conn = srv.connections[0]
    assert first.type == "session.updated"  # the first event is the answer to the update
    assert first.session.id.startswith("sess_u0_")
    call = srv.call("rtc_abc", create=False)
    assert call is not None and call.sidebands == [conn.index] and conn.call_id == "rtc_abc"


async def test_audio_buffer_events_instead_of_audio_deltas(connect) -> None:
    async with (
        LocalRealtimeServer() as srv,
        connect(srv, query="?call_id=rtc_abc", read_created=False) as client,
    ):
        await client.send(manual_session())
        await client.expect("session.updated")
        events = await _say(client, "hello there")
    types = [e.type for e in events]
    assert "response.output_audio.delta" not in types
    assert "response.output_audio_transcript.delta" in types
    started = types.index("output_audio_buffer.started")
    assert types.index("response.created") < started < types.index("response.done") < len(types) - 1
    assert (
        events[started].response_id
        == events[-1].response_id
        == events[types.index("response.done")].response.id
    )


async def test_output_audio_buffer_clear_is_accepted_on_a_sideband_only(connect) -> None:
    async with LocalRealtimeServer() as srv:
        async with connect(srv, query="?call_id=rtc_x", read_created=False) as client:
            await client.send(manual_session())
            await client.expect("session.updated")
            events = await _say(client, "hi")
            await client.send({"type": "output_audio_buffer.clear"})
            cleared = await client.expect("output_audio_buffer.cleared")
            assert cleared.response_id == events[-1].response_id
        async with connect(srv) as client:
            await client.send({"type": "output_audio_buffer.clear", "event_id": "c"})
            assert (await client.error()).error.event_id == "c"


async def test_call_state_configures_the_sideband(connect) -> None:
    import msgspec

    from realtime_sdk._generated import RealtimeSessionCreateRequestGA

    async with LocalRealtimeServer() as srv:
        call = srv.calls.new(model="gpt-realtime")
        call.session = msgspec.convert(
            {"type": "realtime", "instructions": "From accept."}, RealtimeSessionCreateRequestGA
        )
        async with connect(srv, query=f"?call_id={call.call_id}", read_created=False) as client:
            await client.send({"type": "session.update", "session": {"type": "realtime"}})
            session = (await client.expect("session.updated")).session
    assert call.call_id.startswith("rtc_")
    assert (session.model, session.instructions) == ("gpt-realtime", "From accept.")
