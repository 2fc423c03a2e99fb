"""openai-python's own Realtime client holds a conversation with the local server.

Every server event it receives is validated (strictly, not just constructed) against openai-python's
pydantic ``RealtimeServerEvent`` union, and also goes through this suite's typed-decode check.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from openai import AsyncOpenAI
from openai.types.realtime import RealtimeServerEvent
from pydantic import TypeAdapter

from realtime_sdk.server import LocalRealtimeServer

from .conftest import KEY, assert_typed, b64, silence, tone

VALIDATE: TypeAdapter[Any] = TypeAdapter(RealtimeServerEvent)


async def test_openai_python_realtime_client_conversation() -> None:
    async with LocalRealtimeServer() as srv:
        client = AsyncOpenAI(
            api_key=KEY, base_url=srv.http_url, websocket_base_url=srv.http_url.replace("http", "ws", 1)
        )
        received: list[Any] = []

        async def until(conn: Any, event_type: str) -> Any:
            while True:
                data = await conn.recv_bytes()
                assert_typed(data)
                event = VALIDATE.validate_json(data)
                received.append(event)
                if event.type == event_type:
                    return event

        async with client.realtime.connect(model="gpt-realtime") as conn:
            await until(conn, "session.created")
            await conn.session.update(
                session={
                    "type": "realtime",
                    "instructions": "Be brief.",
                    "tools": [
                        {
                            "type": "function",
                            "name": "get_weather",
                            "description": "Weather for a city.",
                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                        }
                    ],
                    "audio": {"input": {"transcription": {"model": "gpt-realtime-whisper"}}},
                }
            )
            updated = await until(conn, "session.updated")
            assert updated.session.tools[0].name == "get_weather"

            # a spoken turn: server VAD commits it and the server answers with audio
            audio = np.concatenate([silence(300), tone(1200), silence(500)])
            for i in range(0, audio.size, 2400):
                await conn.input_audio_buffer.append(audio=b64(audio[i : i + 2400]))
            done = await until(conn, "response.done")
            assert done.response.status == "completed"
            assert done.response.output[0].content[0].type == "output_audio"
            kinds = {e.type for e in received}
            assert {
                "input_audio_buffer.speech_started",
                "input_audio_buffer.committed",
                "response.output_audio.delta",
            } <= kinds

            # a tool call, its output, and the answer that uses it
            await conn.conversation.item.create(
                item={
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": 'Please call get_weather({"city": "Paris"})'}],
                }
            )
            await conn.response.create(response={"output_modalities": ["text"], "metadata": {"turn": "tool"}})
            done = await until(conn, "response.done")
            call = done.response.output[0]
            assert (call.type, call.name, call.arguments) == (
                "function_call",
                "get_weather",
                '{"city": "Paris"}',
            )
            assert done.response.metadata == {"turn": "tool"}
            await conn.conversation.item.create(
                item={"type": "function_call_output", "call_id": call.call_id, "output": '{"sky": "clear"}'}
            )
            await conn.response.create()
            done = await until(conn, "response.done")
            assert "clear" in done.response.output[0].content[0].transcript
        assert len(received) > 30
