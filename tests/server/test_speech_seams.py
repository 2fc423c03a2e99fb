"""A transcriber and a synthesizer plug into the server (and into EchoModel)."""

from __future__ import annotations

import base64

import numpy as np

from realtime_sdk.server import EchoModel, LocalRealtimeServer

from .conftest import append_audio, manual_session, tone


class Heard:
    def __init__(self) -> None:
        self.got: list[int] = []

    async def transcribe(self, pcm16_24k: bytes) -> str:
        self.got.append(len(pcm16_24k))
        return "call me maybe"


class Beeps:
    async def synthesize(self, text: str) -> bytes:
        return np.full(2400 * len(text.split()), 1234, "<i2").tobytes()  # 100 ms of a constant per word


async def _spoken_turn(srv: LocalRealtimeServer, connect) -> list:
    async with connect(srv) as client:
        await client.send(
            manual_session(
                audio={"input": {"turn_detection": None, "transcription": {"model": "gpt-realtime-whisper"}}}
            )
        )
        await client.expect("session.updated")
        await append_audio(client, tone(300))
        await client.send({"type": "input_audio_buffer.commit"})
        await client.send({"type": "response.create"})
        events = await client.until("response.done")
        if not any(e.type.endswith("transcription.completed") for e in events):
            events += await client.until("conversation.item.input_audio_transcription.completed")
        return events


async def test_server_transcriber_and_synthesizer(connect) -> None:
    heard, beeps = Heard(), Beeps()
    async with LocalRealtimeServer(transcriber=heard, synthesizer=beeps, model=EchoModel()) as srv:
        events = await _spoken_turn(srv, connect)
    assert heard.got == [300 * 48]
    completed = next(e for e in events if e.type.endswith("transcription.completed"))
    assert completed.transcript == "call me maybe"
    audio = b"".join(
        base64.b64decode(e.delta) if isinstance(e.delta, str) else e.delta
        for e in events
        if e.type == "response.output_audio.delta"
    )
    # EchoModel answers user audio with that audio; only text parts are synthesized
    assert len(audio) == 300 * 48


async def test_synthesizer_speaks_text_replies(connect) -> None:
    from realtime_sdk.server import Reply, ScriptedModel

    async with LocalRealtimeServer(
        synthesizer=Beeps(), model=ScriptedModel([Reply.text("one two three")])
    ) as srv:
        async with connect(srv) as client:
            await client.send(manual_session())
            await client.expect("session.updated")
            await client.send({"type": "response.create"})
            events = await client.until("response.done")
    audio = b"".join(e.delta for e in events if e.type == "response.output_audio.delta")
    assert audio == np.full(7200, 1234, "<i2").tobytes()


async def test_echo_model_takes_a_transcriber(connect) -> None:
    heard = Heard()
    async with LocalRealtimeServer(model=EchoModel(transcriber=heard)) as srv:
        events = await _spoken_turn(srv, connect)
    assert heard.got and events[-1].type.endswith(("transcription.completed", "response.done"))
    assert any(getattr(e, "transcript", None) == "call me maybe" for e in events)
