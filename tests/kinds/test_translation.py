"""TranslationSession against the local server's ``/v1/realtime/translations``: audio in and out, both
transcripts, a graceful close, keep-alive silence on the server's clock, updates, client secrets."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import pytest

from realtime_sdk import (
    AuthenticationError,
    ConfigurationError,
    ConnectionClosed,
    OutputAudioChunk,
    TranslationSession,
    TranslationTranscript,
    audio,
    create_translation_client_secret,
    events,
)
from realtime_sdk.server import EchoModel, LocalRealtimeServer

RATE = 24_000
FRAME_BYTES = RATE * 2 * 200 // 1000


def tone(ms: int, rate: int = RATE) -> np.ndarray[Any, np.dtype[np.int16]]:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * 300 * t) * 0.3 * 32767).astype(np.int16)


async def all_transcripts(t: TranslationSession) -> list[TranslationTranscript]:
    async with asyncio.timeout(5):
        return [u async for u in t.transcripts()]


async def test_the_sample_streamed_then_closed_gives_translated_audio_at_the_rate_asked_and_both_transcripts() -> (
    None
):
    pcm, rate, _ = audio.read_wav(audio.sample_wav_path())  # 16 kHz mono
    first, second = "Hello!", "What is the weather like in Paris today?"
    async with LocalRealtimeServer(model=EchoModel([first, second]), pace_audio=True) as srv:
        t = TranslationSession(
            **srv.session_options(), output_language="fr", input_transcription="gpt-realtime-whisper"
        )
        async with t:
            out = t.output_audio(sample_rate=16_000)
            await t.send_audio(pcm, sample_rate=rate)  # faster than real time: the server paces its output
            conn = srv.translations.connections[0]
            started = time.monotonic()
            await t.close()
            took = time.monotonic() - started
            # close() returned after the server's flush: everything is here, nothing is still to come.
            chunks = out.read_nowait()
            assert conn.sent_types[-1] == "session.closed" and t.flushed and conn.closed.is_set()
    frames = conn.frames_translated
    # Every frame the engine translated, at real-time pace, was waited for (lower bound: no flakiness).
    assert frames == -(-(len(pcm) // 2) * RATE // rate // (FRAME_BYTES // 2)) and took >= (frames - 1) * 0.2
    data = b"".join(c.data for c in chunks if isinstance(c, OutputAudioChunk))
    assert all(isinstance(c, OutputAudioChunk) and c.item_id == "translation" for c in chunks)
    # The local engine's translated audio is as long as the frames it got: 200 ms each, at 16 kHz here.
    assert abs(len(data) - frames * 200 * 32) <= 32 * 5, (len(data), frames)
    updates = await all_transcripts(t)
    finals = {u.source: u.text for u in updates if u.final}
    # The sample holds two utterances (a pause between): each transcribed, each "translated" with a tag.
    assert finals == {"input": f"{first} {second}", "output": f"[fr] {first} [fr] {second}"}
    for source in ("input", "output"):
        pieces = [u for u in updates if u.source == source and not u.final]
        assert "".join(u.delta for u in pieces) == finals[source]
        assert all(u.elapsed_ms is not None and u.elapsed_ms % 200 == 0 for u in pieces)
    assert [u.final for u in updates][-2:] == [True, True]  # one final per source, at the end


async def test_input_is_24_khz_pcm16_in_200_ms_frames_and_metered() -> None:
    async with LocalRealtimeServer() as srv:
        async with TranslationSession(**srv.session_options(), keep_alive_silence=False) as t:
            await t.send_audio(tone(500, 8_000).tobytes(), sample_rate=8_000)
            await t.send_audio(tone(300, 48_000).astype(np.float32) / 32768, sample_rate=48_000)
            conn = srv.translations.connections[0]
        appends = [e for e in conn.received if isinstance(e, events.TranslationSessionInputAudioBufferAppend)]
    sizes = [len(e.audio) for e in appends]
    assert (
        sizes[:-1] == [FRAME_BYTES] * (len(sizes) - 1) and 0 < sizes[-1] <= FRAME_BYTES
    )  # the tail at close
    assert abs(sum(sizes) / 48 - 800) <= 10  # 0.8 s of input, resampled to 24 kHz
    assert t.usage.input_audio_seconds == pytest.approx(conn.received_audio_ms / 1000)
    assert t.usage.silence_seconds == 0


async def test_silence_keeps_flowing_while_the_app_sends_nothing_and_can_be_switched_off() -> None:
    async with LocalRealtimeServer() as srv:
        quiet = TranslationSession(**srv.session_options(), keep_alive_silence=False)
        async with TranslationSession(**srv.session_options()) as t, quiet:
            on, off = srv.translations.connections
            if on.received_audio_ms or off.received_audio_ms:
                pytest.fail("nothing was sent yet")
            await t.send_audio(tone(400))
            await quiet.send_audio(tone(400))
            await t.flush_audio()
            await quiet.flush_audio()
            t.pause_audio()  # paused is "nothing to send" too
            async with asyncio.timeout(10):
                # The server's clock of received audio runs on although the app sends nothing...
                await on.wait_for_audio_ms(400 + 1000)
            assert on.received_silence_ms >= 1000
            # ... and by the same clock, the session with keep-alive off has sent nothing more.
            assert off.received_audio_ms == 400 and off.received_silence_ms == 0
            t.resume_audio()
            await t.send_audio(tone(200))
            await t.close()
            assert t.usage.input_audio_seconds == pytest.approx(on.received_audio_ms / 1000)
            assert t.usage.silence_seconds == pytest.approx(on.received_silence_ms / 1000)


async def test_update_session_changes_only_what_the_document_allows() -> None:
    async with LocalRealtimeServer() as srv, TranslationSession(**srv.session_options()) as t:
        assert t.server_session is not None and t.server_session.audio.output.language == "es"  # type: ignore[union-attr]
        updated = await t.update_session(output_language="de", noise_reduction="near_field")
        assert updated.audio.output.language == "de"  # type: ignore[union-attr]
        assert updated.audio.input.noise_reduction.type == "near_field"  # type: ignore[union-attr]
        assert t.server_session == updated
        with pytest.raises(ConfigurationError):
            await t.update_session()
        with pytest.raises(TypeError):
            await t.update_session(model="other")  # type: ignore[call-arg]  # fixed at creation
        with pytest.raises(ConfigurationError):
            await t.update_session(input_transcription={"model": 5})  # type: ignore[arg-type]


async def test_an_ephemeral_key_opens_a_translation_session_with_its_configuration() -> None:
    async with LocalRealtimeServer() as srv:
        secret = await create_translation_client_secret(
            output_language="ja", api_key=srv.api_key, base_url=srv.http_url, expires_after=60
        )
        assert secret.value.startswith("ek_") and secret.session["audio"]["output"]["language"] == "ja"
        async with TranslationSession(secret.value, base_url=srv.url) as t:
            assert t.server_session is not None and t.server_session.audio.output.language == "ja"  # type: ignore[union-attr]
        with pytest.raises(AuthenticationError):
            await create_translation_client_secret(api_key="sk-wrong", base_url=srv.http_url)
        with pytest.raises(AuthenticationError):
            async with TranslationSession("ek_made_up", base_url=srv.url):
                pass


async def test_a_connection_lost_ends_every_stream_with_connection_closed_and_close_still_returns() -> None:
    async with LocalRealtimeServer() as srv:
        t = TranslationSession(**srv.session_options())
        await t.connect()
        out = t.output_audio()
        conn = srv.translations.connections[0]
        await conn.ws.close(code=1011)
        async with asyncio.timeout(5):
            with pytest.raises(ConnectionClosed):
                async for _ in out:
                    pass
            with pytest.raises(ConnectionClosed):
                await all_transcripts(t)
            with pytest.raises(ConnectionClosed):
                await t.send_audio(tone(100))
            await t.close()
        assert not t.flushed and t.closed


async def test_events_are_the_translation_protocol_s_typed_events() -> None:
    async with LocalRealtimeServer() as srv:
        async with TranslationSession(**srv.session_options(), keep_alive_silence=False) as t:
            await t.send_audio(tone(400))
        async with asyncio.timeout(5):
            got = [e async for e in t.events()]
    kinds = [type(e) for e in got]
    assert kinds[0] is events.TranslationSessionCreated and kinds[-1] is events.TranslationSessionClosed
    assert events.TranslationSessionOutputAudioDelta in kinds
    assert not any(isinstance(e, events.UnknownTranslationServerEvent) for e in got)
