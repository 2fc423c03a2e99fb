"""The four usage snippets of Pipecat's OpenAIRealtimeLLMService page, written with this SDK.

Each test keeps the snippet's shape and names (``SessionProperties``, ``AudioConfiguration``...) and runs
it against the local server, then checks what the server received and holds.
"""

from __future__ import annotations

import asyncio

import pytest

from realtime_sdk import (
    AudioConfiguration,
    AudioInput,
    AudioOutput,
    InputAudioTranscription,
    RealtimeSession,
    SemanticTurnDetection,
    SessionProperties,
)
from realtime_sdk._generated import SessionUpdate
from realtime_sdk.server import LocalRealtimeServer

from .conftest import KEY


@pytest.fixture(autouse=True)
def local_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


async def test_basic_setup(server: LocalRealtimeServer) -> None:
    import os

    # Pipecat: OpenAIRealtimeLLMService(api_key=os.getenv("OPENAI_API_KEY"), model="gpt-4o-realtime-preview")
    llm = RealtimeSession(
        api_key=os.getenv("OPENAI_API_KEY"),
        model="gpt-4o-realtime-preview",
        base_url=server.url,  # the one addition: the local server instead of api.openai.com
    )
    async with asyncio.timeout(10), llm:
        assert server.connections[0].request.query["model"] == "gpt-4o-realtime-preview"
        assert llm.server_session is not None and llm.server_session.model == "gpt-4o-realtime-preview"


async def test_with_session_configuration(server: LocalRealtimeServer) -> None:
    import os

    session_properties = SessionProperties(
        instructions="You are a helpful assistant.",
        audio=AudioConfiguration(
            input=AudioInput(
                transcription=InputAudioTranscription(model="gpt-4o-transcribe"),
                turn_detection=SemanticTurnDetection(eagerness="medium"),
            ),
            output=AudioOutput(
                voice="alloy",
                speed=1.0,
            ),
        ),
        max_output_tokens=4096,
    )

    llm = RealtimeSession(
        api_key=os.getenv("OPENAI_API_KEY"),
        model="gpt-4o-realtime-preview",
        session_properties=session_properties,
        base_url=server.url,
    )
    async with asyncio.timeout(10), llm:
        held = server.connections[0].session
        assert held.instructions == "You are a helpful assistant."
        assert held.max_output_tokens == 4096
        audio = held.audio
        assert audio is not None and audio.input is not None and audio.output is not None
        assert audio.input.transcription.model == "gpt-4o-transcribe"  # type: ignore[union-attr]
        detection = audio.input.turn_detection
        assert isinstance(detection, SemanticTurnDetection) and detection.eagerness == "medium"
        assert audio.output.voice == "alloy" and audio.output.speed == 1.0


async def test_with_disabled_turn_detection(server: LocalRealtimeServer) -> None:
    import os

    # Pipecat writes turn_detection=False; the API's "off" is null, so here it is None (False works too).
    session_properties = SessionProperties(
        audio=AudioConfiguration(
            input=AudioInput(
                turn_detection=None,
            ),
        ),
    )

    llm = RealtimeSession(
        api_key=os.getenv("OPENAI_API_KEY"),
        model="gpt-4o-realtime-preview",
        session_properties=session_properties,
        base_url=server.url,
    )
    async with asyncio.timeout(10), llm:
        sent = server.connections[0].received[0]
        assert isinstance(sent, SessionUpdate)
        assert b'"turn_detection":null' in _encode(sent)
        assert server.connections[0].session.audio.input.turn_detection is None  # type: ignore[union-attr]


async def test_pipecat_false_is_translated_to_null(server: LocalRealtimeServer) -> None:
    session_properties = SessionProperties(
        audio=AudioConfiguration(input=AudioInput(turn_detection=False))  # type: ignore[arg-type]
    )
    async with (
        asyncio.timeout(10),
        RealtimeSession(base_url=server.url, session_properties=session_properties),
    ):
        sent = server.connections[0].received[0]
        assert b'"turn_detection":null' in _encode(sent)  # type: ignore[arg-type]
        assert server.connections[0].session.audio.input.turn_detection is None  # type: ignore[union-attr]


async def test_updating_settings_at_runtime(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession(base_url=server.url) as llm:
        # Pipecat: await task.queue_frame(LLMUpdateSettingsFrame(settings={...}))
        await llm.update_session(
            **{
                "instructions": "Now speak in Spanish.",
                "max_output_tokens": 2048,
            }
        )
        # Returned only once the server confirmed: the settings are in force now.
        held = server.connections[0].session
        assert held.instructions == "Now speak in Spanish."
        assert held.max_output_tokens == 2048
        sent = server.connections[0].received[-1]
        assert isinstance(sent, SessionUpdate)
        assert sent.session == SessionProperties(instructions="Now speak in Spanish.", max_output_tokens=2048)


def _encode(event: SessionUpdate) -> bytes:
    from realtime_sdk.events import encode

    return encode(event)
