"""History sent on connect, and conversation state under out-of-order transcription and truncation."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from realtime_sdk import RealtimeSession, ReconnectPolicy, text_message
from realtime_sdk._generated import (
    ConversationItemCreate,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    ResponseDone,
)
from realtime_sdk.conversation import Usage
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import KEY

HISTORY = [
    {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Be brief."}]},
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
    RealtimeConversationItemFunctionCall(name="get_weather", arguments='{"city":"Paris"}', call_id="call_1"),
    RealtimeConversationItemFunctionCallOutput(call_id="call_1", output='{"temp":21}'),
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "21 degrees."}]},
]


async def test_history_is_in_place_before_connect_returns(server: LocalRealtimeServer) -> None:
    async with RealtimeSession(KEY, base_url=server.url, history=HISTORY) as session:
        conn = server.connections[0]
        # Already there, acknowledged, in order: nothing awaited after __aenter__.
        assert [i.type for i in conn.items] == [
            "message",
            "message",
            "function_call",
            "function_call_output",
            "message",
        ]
        assert [getattr(i, "role", None) for i in conn.items][:2] == ["system", "user"]
        assert [i.id for i in session.conversation.items] == [i.id for i in conn.items]
        creates = [e for e in conn.received if isinstance(e, ConversationItemCreate)]
        assert len(creates) == 5
        assert "error" not in conn.sent_types


async def test_bad_history_fails_connect(server: LocalRealtimeServer) -> None:
    bad = [{"type": "message", "role": "assistant", "content": [{"type": "input_text", "text": "x"}]}]
    with pytest.raises(ValueError):  # the content type is rewritten; an unknown item type is refused
        await RealtimeSession(KEY, base_url=server.url, history=[{"type": "nonsense"}]).connect()
    async with RealtimeSession(KEY, base_url=server.url, history=bad) as session:
        assert session.conversation.items[0].text == "x"


async def test_text_message_items_seed_history_and_add_item(server: LocalRealtimeServer) -> None:
    history = [
        text_message("system", "Be brief."),
        text_message("user", "I fly to Paris on Monday."),
        text_message("assistant", "Noted!"),
    ]
    assert [m.content[0].type for m in history] == ["input_text", "input_text", "output_text"]
    async with RealtimeSession(KEY, base_url=server.url, history=history) as session:
        await session.add_item(text_message("user", "When do I fly?"))
        conn = server.connections[0]
        assert [(getattr(i, "role", None), i.content[0].type) for i in conn.items] == [
            ("system", "input_text"),
            ("user", "input_text"),
            ("assistant", "output_text"),
            ("user", "input_text"),
        ]
        assert [i.text for i in session.conversation.items] == [
            "Be brief.",
            "I fly to Paris on Monday.",
            "Noted!",
            "When do I fly?",
        ]
        assert "error" not in conn.sent_types


async def test_state_with_late_transcripts_truncation_and_usage() -> None:
    tone = (np.sin(np.arange(24000) * 2 * np.pi * 440 / 24000) * 8000).astype("<i2").tobytes()
    model = ScriptedModel(
        [Reply.audio(tone, "first answer here"), Reply.audio(tone, "second answer here")],
        transcripts=["hello there", "and again"],
    )
    props = {"audio": {"input": {"turn_detection": None}}}
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with RealtimeSession(
            KEY, base_url=server.url, session_properties=props, reconnect=ReconnectPolicy()
        ) as session:
            dones: list[ResponseDone] = []
            order: list[str] = []

            @session.on("*")
            def watch(event: object) -> None:
                kind = getattr(event, "type", "")
                order.append(kind)
                if isinstance(event, ResponseDone):
                    dones.append(event)

            users = []
            for _ in range(2):
                await session.append_audio(tone)
                committed = await session.commit_audio()
                users.append(committed.item_id)
                handle = await session.create_response()
                await handle.done()
            # Transcripts that arrive long after the replies, in reverse order, the first one in pieces.
            conn = server.connections[0]
            late = asyncio.Event()
            session.on(
                "conversation.item.input_audio_transcription.completed",
                lambda e: late.set() if e.item_id == users[0] else None,
            )
            for item_id, index, kind, text in [
                (users[1], 0, "completed", "and again"),
                (users[0], 0, "delta", "hello "),
                (users[0], 0, "completed", "hello there"),
            ]:
                field = "transcript" if kind == "completed" else "delta"
                frame = {
                    "type": f"conversation.item.input_audio_transcription.{kind}",
                    "event_id": f"event_late_{kind}_{item_id}",
                    "item_id": item_id,
                    "content_index": index,
                    field: text,
                }
                if kind == "completed":
                    frame["usage"] = {"type": "duration", "seconds": 1}
                await conn.send_raw(json.dumps(frame))
            async with asyncio.timeout(10):
                await late.wait()
            assert order.index("response.done") < order.index(
                "conversation.item.input_audio_transcription.completed"
            )
            assert [session.conversation.item(u).text for u in users] == ["hello there", "and again"]  # type: ignore[union-attr]

            # Truncate the last answer at 250 ms: the transcript is cut back to what was heard.
            last = session.conversation.items[-1]
            assert last.role == "assistant" and last.audio_ms == pytest.approx(1000)
            await session.truncate_item(last.id, audio_end_ms=250)
            assert last.content[0].truncated_ms == 250 and last.content[0].truncate_confirmed
            assert len(last.text) < len("second answer here")

            expected = Usage()
            for done in dones:
                assert done.response.usage is not None
                expected = expected + Usage.from_wire(done.response.usage)  # type: ignore[arg-type]
            assert len(dones) == 2 and session.conversation.usage == expected
            assert expected.output_audio_tokens > 0 and expected.input_audio_tokens > 0
            assert session.conversation.rate_limits["tokens"].remaining is not None
