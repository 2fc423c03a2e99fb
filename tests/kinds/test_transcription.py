"""TranscriptionSession against the local server: configuration on the wire, transcripts, pause and resume,
failures and a reconnect."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from realtime_sdk import (
    ConfigurationError,
    ConnectionClosed,
    ReconnectPolicy,
    Transcript,
    TranscriptionFailedError,
    TranscriptionSession,
    audio,
)
from realtime_sdk.events import SessionUpdate
from realtime_sdk.server import EchoModel, LocalRealtimeServer
from realtime_sdk.types import TranscriptionSessionProperties

RATE = 24_000


def tone(ms: int, rate: int = RATE) -> np.ndarray[Any, np.dtype[np.int16]]:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * 300 * t) * 0.3 * 32767).astype(np.int16)


def silence(ms: int, rate: int = RATE) -> np.ndarray[Any, np.dtype[np.int16]]:
    return np.zeros(rate * ms // 1000, dtype=np.int16)


async def finals(t: TranscriptionSession, count: int) -> list[Transcript]:
    got: list[Transcript] = []
    async with asyncio.timeout(10):
        async for update in t.transcripts():
            got.append(update)
            if sum(u.final for u in got) == count:
                return got
    raise AssertionError(f"the stream ended after {got}")


async def test_the_sample_gives_one_final_transcript_with_its_item_id() -> None:
    pcm, rate, _ = audio.read_wav(audio.sample_wav_path())
    said = "Hello! What is the weather like in Paris today?"
    async with (
        LocalRealtimeServer(model=EchoModel([said])) as srv,
        TranscriptionSession(**srv.session_options(), language="en") as t,
    ):
        await t.send_audio(pcm, sample_rate=rate)  # 16 kHz: resampled by the SDK
        item_id = await t.commit()  # gpt-realtime-whisper has no server VAD
        updates = await finals(t, 1)
        conn = srv.connections[0]
    assert conn.request.query.get("intent") == "transcription" and "model" not in conn.request.query
    (update,) = [e for e in conn.received if isinstance(e, SessionUpdate)]
    assert isinstance(update.session, TranscriptionSessionProperties)
    sent = update.session.audio.input  # type: ignore[union-attr]
    assert sent.transcription.model == "gpt-realtime-whisper" and sent.transcription.language == "en"  # type: ignore[union-attr]
    assert sent.turn_detection is None  # the document: no VAD for this model
    (final,) = [u for u in updates if u.final]
    assert final.item_id == item_id and final.text == said and final.error is None
    assert all(u.item_id == item_id for u in updates)
    assert "".join(u.delta for u in updates) == said  # the deltas add up to the text
    assert updates[-1] is final


async def test_server_vad_items_carry_speech_timing_and_logprobs_when_asked() -> None:
    async with (
        LocalRealtimeServer() as srv,
        TranscriptionSession(
            **srv.session_options(), model="gpt-4o-mini-transcribe", include_logprobs=True
        ) as t,
    ):
        assert not t.commits_by_client
        await t.send_audio(np.concatenate([silence(500), tone(1000), silence(1000)]))
        updates = await finals(t, 1)
        item_id = updates[-1].item_id
        awaited = await t.transcript(item_id)
    final = updates[-1]
    assert awaited == final
    # Speech from 500 ms (the server pads 300 ms before it) to about 1500 ms, on the input clock.
    assert final.audio_start_ms is not None and final.audio_end_ms is not None
    assert 0 < final.audio_start_ms <= 500 and 1500 <= final.audio_end_ms <= 2000
    assert final.logprobs is not None and len(final.logprobs) == len(final.text.split())


async def test_no_logprobs_unless_asked() -> None:
    async with (
        LocalRealtimeServer() as srv,
        TranscriptionSession(**srv.session_options(), model="gpt-4o-transcribe") as t,
    ):
        await t.send_audio(np.concatenate([tone(600), silence(1000)]))
        (final,) = [u for u in await finals(t, 1) if u.final]
    assert final.logprobs is None and final.text


async def test_pause_and_resume_lose_nothing_sent_outside_the_pause() -> None:
    async with LocalRealtimeServer() as srv, TranscriptionSession(**srv.session_options()) as t:
        await t.send_audio(tone(1000, 16_000), sample_rate=16_000)
        await t.flush_audio()  # what the resampler holds back goes out before the pause
        t.pause_audio()
        await t.send_audio(tone(700, 16_000), sample_rate=16_000)  # muted: dropped
        t.resume_audio()
        await t.send_audio(tone(500, 16_000), sample_rate=16_000)
        first = await t.commit()
        await t.send_audio(tone(300))
        second = await t.commit()
        updates = await finals(t, 2)
    texts = {u.item_id: u.text for u in updates if u.final}
    # The placeholder transcriber says how much audio the item holds: 1.0 s + 0.5 s, then 0.3 s.
    assert texts == {first: "<1.5 seconds of audio>", second: "<0.3 seconds of audio>"}


async def test_a_failed_transcription_is_a_final_update_with_a_typed_error() -> None:
    async with LocalRealtimeServer() as srv, TranscriptionSession(**srv.session_options()) as t:
        srv.fail_transcriptions(1, message="No speech.", code="audio_unintelligible")
        await t.send_audio(tone(300))
        failed = await t.commit()
        await t.send_audio(tone(300))
        ok = await t.commit()
        updates = await finals(t, 2)
        with pytest.raises(TranscriptionFailedError) as raised:
            await t.transcript(failed)
        good = await t.transcript(ok)
    bad = next(u for u in updates if u.item_id == failed)
    assert bad.final and isinstance(bad.error, TranscriptionFailedError)
    assert (bad.error.code, bad.error.item_id, raised.value.code) == (
        "audio_unintelligible",
        failed,
        "audio_unintelligible",
    )
    assert good.error is None and good.text == "<0.3 seconds of audio>"


async def test_a_reconnect_sends_a_committed_item_s_audio_again_and_keeps_its_item_id() -> None:
    policy = ReconnectPolicy(base_delay=0, jitter=0)
    async with LocalRealtimeServer() as srv:
        # The first connection drops right after acknowledging the second commit, before its transcript.
        srv.drop_after("input_audio_buffer.committed", 2)
        async with TranscriptionSession(**srv.session_options(), reconnect=policy) as t:
            await t.send_audio(tone(400))
            done = await t.commit()
            assert (await t.transcript(done)).text == "<0.4 seconds of audio>"
            await t.send_audio(tone(200, 16_000), sample_rate=16_000)
            dropped = await t.commit()
            recovered = await t.transcript(dropped)  # from the new connection, under the same item id
            second = await srv.wait_for_connection(1)
            await t.send_audio(tone(600))
            after = await t.commit()
            updates = await finals(t, 3)
            final_after = await t.transcript(after)
    assert recovered.text == "<0.2 seconds of audio>" and recovered.error is None
    by_item = {u.item_id: u for u in updates if u.final}
    assert list(by_item) == [done, dropped, after]
    assert final_after.text == "<0.6 seconds of audio>"
    # On the new connection: VAD stays off (it is already), the 200 ms again, a commit, then the app's audio.
    kinds = [type(e).__name__ for e in second.received]
    assert kinds[0] == "SessionUpdate" and kinds.count("InputAudioBufferCommit") == 2
    resent = b"".join(
        e.audio for e in second.received[: kinds.index("InputAudioBufferCommit")] if hasattr(e, "audio")
    )
    assert len(resent) == 200 * 48
    (update,) = [e for e in second.received if isinstance(e, SessionUpdate)]
    assert isinstance(update.session, TranscriptionSessionProperties)


async def test_a_vad_item_lost_with_its_connection_is_sent_again_with_vad_off_then_on() -> None:
    policy = ReconnectPolicy(base_delay=0, jitter=0)
    async with LocalRealtimeServer() as srv:
        srv.drop_after("input_audio_buffer.committed", 1)
        async with TranscriptionSession(
            **srv.session_options(), model="gpt-4o-transcribe", reconnect=policy
        ) as t:
            await t.send_audio(np.concatenate([silence(500), tone(1000), silence(1000)]))
            updates = await finals(t, 1)
            second = await srv.wait_for_connection(1)
            # The final can reach the app before the restore's last step (VAD back on) has gone out.
            async with asyncio.timeout(5):
                while sum(isinstance(e, SessionUpdate) for e in second.received) < 2:  # noqa: ASYNC110
                    await asyncio.sleep(0)
    (final,) = updates[-1:]
    assert final.final and final.error is None
    assert final.audio_start_ms is not None and final.audio_end_ms is not None  # from the first connection
    # The server's item ran from audio_start_ms (prefix padding included) to audio_end_ms: that is resent.
    seconds = (final.audio_end_ms - final.audio_start_ms) / 1000
    assert final.text == f"<{seconds:.1f} seconds of audio>"
    updates_sent = [e for e in second.received if isinstance(e, SessionUpdate)]
    assert updates_sent[0].session.audio.input.turn_detection is None  # type: ignore[union-attr]
    assert updates_sent[-1].session.audio.input.turn_detection is not None  # type: ignore[union-attr]
    assert len(updates_sent) == 2


async def test_an_item_whose_audio_is_no_longer_kept_ends_with_connection_lost() -> None:
    policy = ReconnectPolicy(base_delay=0, jitter=0)
    async with LocalRealtimeServer() as srv:
        srv.drop_after("input_audio_buffer.committed", 1)
        async with TranscriptionSession(**srv.session_options(), reconnect=policy, recovery_audio_ms=0) as t:
            await t.send_audio(tone(300))
            lost = await t.commit()
            with pytest.raises(TranscriptionFailedError) as raised:
                await t.transcript(lost)
            await t.send_audio(tone(500))
            after = await t.commit()
            updates = await finals(t, 2)
    assert raised.value.code == "connection_lost" and raised.value.item_id == lost
    by_item = {u.item_id: u for u in updates if u.final}
    assert list(by_item) == [lost, after] and by_item[lost].error is raised.value
    assert by_item[after].text == "<0.5 seconds of audio>"


def test_the_document_s_rules_for_gpt_realtime_whisper_are_checked_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="prompt"):
        TranscriptionSession("sk-test", prompt="weather words")
    with pytest.raises(ConfigurationError, match="turn_detection"):
        TranscriptionSession("sk-test", turn_detection={"type": "server_vad"})
    with pytest.raises(ConfigurationError):
        TranscriptionSession("sk-test", model="gpt-4o-transcribe", turn_detection={"type": "nonsense"})
    assert TranscriptionSession("sk-test").commits_by_client
    assert not TranscriptionSession("sk-test", model="gpt-4o-transcribe").commits_by_client


async def test_transcripts_end_on_close_and_raise_when_the_server_goes() -> None:
    async with LocalRealtimeServer() as srv:
        async with TranscriptionSession(**srv.session_options()) as t:
            pass
        assert [u async for u in t.transcripts()] == []
        async with TranscriptionSession(**srv.session_options()) as t:
            conn = await srv.wait_for_connection(1)
            await conn.ws.close(code=1000)
            with pytest.raises(ConnectionClosed):
                async with asyncio.timeout(5):
                    async for _ in t.transcripts():
                        pass


async def test_update_session_changes_the_configuration_and_a_reconnect_keeps_the_change() -> None:
    policy = ReconnectPolicy(base_delay=0, jitter=0)
    async with LocalRealtimeServer() as srv:
        srv.drop_after("input_audio_buffer.committed", 1)
        async with TranscriptionSession(**srv.session_options(), reconnect=policy) as t:
            assert t.commits_by_client
            with pytest.raises(ConfigurationError):
                await t.update_session(prompt="not for gpt-realtime-whisper")
            updated = await t.update_session(model="gpt-4o-transcribe", language="fr")
            transcription = updated.audio.input.transcription  # type: ignore[union-attr]
            assert (transcription.model, transcription.language) == ("gpt-4o-transcribe", "fr")  # type: ignore[union-attr]
            assert updated.audio.input.turn_detection is not None  # type: ignore[union-attr]  # VAD again
            assert not t.commits_by_client and t.model == "gpt-4o-transcribe"
            await t.send_audio(np.concatenate([tone(600), silence(1000)]))
            (final,) = [u for u in await finals(t, 1) if u.final]
            second = await srv.wait_for_connection(1)
    assert final.error is None
    sent = [e for e in second.received if isinstance(e, SessionUpdate)]
    assert sent[-1].session.audio.input.transcription.language == "fr"  # type: ignore[union-attr]


def test_an_unknown_option_names_itself_and_the_nearest_one() -> None:
    from realtime_sdk import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"TranscriptionSession\(\).*'modle'.*did you mean 'model'"):
        TranscriptionSession("sk-test", modle="gpt-4o-transcribe")  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="'foo'"):
        TranscriptionSession("sk-test", foo=1)  # type: ignore[call-arg]
