"""Sending: typed events, the request helpers and their acknowledgements, errors matched by event_id."""

from __future__ import annotations

import asyncio

import pytest

from realtime_sdk import (
    AudioConfiguration,
    AudioInput,
    AudioOutput,
    RealtimeSession,
    ServerError,
    SessionProperties,
)
from realtime_sdk._generated import (
    ConversationItemCreate,
    Error,
    InputAudioBufferAppend,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    SessionUpdate,
)
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import KEY

# 300 ms of a 24 kHz PCM16 square wave: loud enough for any VAD, long enough to commit.
TONE = (b"\x00\x40" * 20 + b"\x00\xc0" * 20) * (24 * 300 // 40)


def sent_updates(server: LocalRealtimeServer) -> list[SessionUpdate]:
    return [e for e in server.connections[0].received if isinstance(e, SessionUpdate)]


async def test_update_session_sends_only_what_changed(server: LocalRealtimeServer) -> None:
    props = SessionProperties(
        instructions="one", max_output_tokens=100, audio=AudioConfiguration(output=AudioOutput(voice="alloy"))
    )
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, session_properties=props) as s:
        session = await s.update_session(instructions="two", max_output_tokens=100)
        assert session.instructions == "two"
        last = sent_updates(server)[-1].session
        assert last == SessionProperties(instructions="two")  # max_output_tokens did not change

        # Nothing changed: nothing is sent.
        count = len(server.connections[0].received)
        await s.update_session(instructions="two")
        assert len(server.connections[0].received) == count

        # A nested change: the audio container goes whole, merged, so the voice is kept.
        await s.update_session(audio=AudioConfiguration(output=AudioOutput(speed=1.2)))
        last = sent_updates(server)[-1].session
        assert last == SessionProperties(
            audio=AudioConfiguration(output=AudioOutput(voice="alloy", speed=1.2))
        )
        conn_session = server.connections[0].session
        assert conn_session.audio.output.speed == 1.2  # type: ignore[union-attr]
        assert conn_session.audio.output.voice == "alloy"  # type: ignore[union-attr]

        # A SessionProperties positional argument works like keywords.
        await s.update_session(SessionProperties(instructions="three"))
        assert server.connections[0].session.instructions == "three"


async def test_update_session_refused_raises_and_keeps_state(session: RealtimeSession) -> None:
    with pytest.raises(ServerError) as info:
        await session.update_session(max_output_tokens=99999)
    assert info.value.code == "integer_above_max_value"
    assert info.value.event_id is not None and info.value.event_id.startswith("sdk_")
    # The refused value was not recorded as the configuration: sending it again sends it again.
    with pytest.raises(ServerError):
        await session.update_session(max_output_tokens=99999)
    await session.update_session(max_output_tokens=50)


async def test_update_session_rejects_unknown_fields(session: RealtimeSession) -> None:
    with pytest.raises(TypeError):
        await session.update_session(instructionz="typo")


async def test_concurrent_updates_each_get_their_answer(session: RealtimeSession) -> None:
    results = await asyncio.gather(
        session.update_session(instructions="a"),
        session.update_session(max_output_tokens=99999),
        session.update_session(max_output_tokens=10),
        return_exceptions=True,
    )
    assert not isinstance(results[0], BaseException)
    assert isinstance(results[1], ServerError)
    assert not isinstance(results[2], BaseException) and results[2].max_output_tokens == 10


async def test_append_commit_clear(server: LocalRealtimeServer, session: RealtimeSession) -> None:
    # Server VAD off, so the commit is ours to make.
    await session.update_session(audio=AudioConfiguration(input=AudioInput(turn_detection=None)))
    await session.append_audio(TONE)
    committed = await session.commit_audio()
    conn = server.connections[0]
    assert committed.item_id in [i.id for i in conn.items]
    appended = [e for e in conn.received if isinstance(e, InputAudioBufferAppend)]
    assert appended[0].audio == TONE and isinstance(appended[0].event_id, str)
    await session.append_audio(TONE)
    await session.clear_audio()
    with pytest.raises(ServerError) as info:
        await session.commit_audio()
    assert info.value.code == "input_audio_buffer_commit_empty"


async def test_items_add_retrieve_delete(server: LocalRealtimeServer, session: RealtimeSession) -> None:
    item = await session.add_item("remember me")
    assert isinstance(item, RealtimeConversationItemMessage) and item.status == "completed"
    got = await session.retrieve_item(item.id)  # type: ignore[arg-type]
    assert got.id == item.id
    system = await session.add_item("be kind", role="system", previous_item_id="root")
    assert [i.id for i in server.connections[0].items] == [system.id, item.id]
    await session.delete_item(item.id)  # type: ignore[arg-type]
    assert [i.id for i in server.connections[0].items] == [system.id]
    with pytest.raises(ServerError) as info:
        await session.retrieve_item(item.id)  # type: ignore[arg-type]
    assert info.value.code == "item_retrieve_invalid_item_id"
    with pytest.raises(ServerError) as info:
        await session.delete_item("item_nope")
    assert info.value.code == "item_delete_invalid_item_id"


async def test_add_item_keeps_a_given_id_and_typed_items(session: RealtimeSession) -> None:
    item = RealtimeConversationItemMessage(
        id="item_mine",
        role="user",
        content=[RealtimeConversationItemMessageContentItem(type="input_text", text="hi")],
    )
    stored = await session.add_item(item)
    assert stored.id == "item_mine"
    with pytest.raises(ServerError) as info:
        await session.add_item(item)
    assert info.value.code == "item_id_already_exists"


async def test_truncate_item(server: LocalRealtimeServer) -> None:
    model = ScriptedModel([Reply.audio(TONE, transcript="a tone")])
    async with LocalRealtimeServer(KEY, model=model) as srv, RealtimeSession(KEY, base_url=srv.url) as s:
        async with asyncio.timeout(10):
            await s.add_item("play")
            handle = await s.create_response()
            response = await handle.done()
            item_id = response.output[0].id  # type: ignore[index,union-attr]
            await s.truncate_item(item_id, audio_end_ms=100)
            with pytest.raises(ServerError) as info:
                await s.truncate_item(item_id, audio_end_ms=5000)
            assert "shorter than" in info.value.message


async def test_send_any_event_and_unclaimed_errors_arrive_as_events(session: RealtimeSession) -> None:
    event_id = await session.send(
        ConversationItemCreate(item=RealtimeConversationItemMessage(role="nobody", content=[]))
    )
    assert event_id.startswith("sdk_")
    own = await session.send(InputAudioBufferAppend(audio=b"\x00\x00", event_id="mine_1"))
    assert own == "mine_1"
    async with asyncio.timeout(10):
        async for event in session:
            if isinstance(event, Error):
                assert event.error.event_id == event_id
                assert event.error.code == "invalid_value"
                break


async def test_cancel_without_active_response_is_harmless(
    server: LocalRealtimeServer, session: RealtimeSession
) -> None:
    conn = server.connections[0]
    before = len(conn.received)
    await session.cancel_response()
    await session.cancel_response("resp_unknown")
    # The marker must follow the server's answers to both cancels, or the loop below could end before
    # an error it should have hidden arrives: wait until the server has handled them (it answers as it
    # receives, into the same outgoing queue the marker joins).
    async with asyncio.timeout(10):
        received = await conn.wait_received(before + 2)
    assert [e.type for e in received[before:]] == ["response.cancel", "response.cancel"]
    await conn.send_raw(b'{"type": "the.end"}')
    seen = []
    async with asyncio.timeout(10):
        async for event in session:
            seen.append(event)
            if event.type == "the.end":
                break
    assert conn.sent_types.count("error") == 2  # the server did refuse both: there was something to hide
    assert not [e for e in seen if isinstance(e, Error)]
    # Still usable.
    await session.add_item("fine")
