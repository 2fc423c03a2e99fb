"""Pass-through over a session: 24 kHz PCM16 reaches the local server byte for byte, and the server's PCM
reaches ``output_audio()`` / ``handle.audio()`` byte for byte, without the conversion path running.
Other rates and formats are still converted.  Expected bytes are the test's own input or the server's."""

from __future__ import annotations

import itertools

from support import noise

from realtime_sdk.server import Reply
from realtime_sdk.session._audio_out import AudioInterrupted, OutputAudioChunk

from .test_audio_io import appended, connected, expected_frames


def pcm16(frames: int, seed: int = 5) -> bytes:
    return noise(frames, seed).astype("<i2").tobytes()


async def test_pcm16_at_the_session_rate_reaches_the_server_untouched(float_path_calls: list[int]) -> None:
    pcm = pcm16(24000 * 7 // 10)  # 700 ms: not a whole number of 40 ms chunks
    cuts = [0, 1, 1919, 1921, 9001, 20000, len(pcm)]
    async with connected() as (session, server):
        for a, b in itertools.pairwise(cuts):
            await session.send_audio(pcm[a:b])
        array = noise(2400, seed=6)
        await session.send_audio(array, sample_rate=24000)
        await session.commit_audio()
        got = appended(server)
    assert b"".join(got) == pcm + array.tobytes()
    assert {len(c) for c in got[:-1]} == {40 * 48}  # whole 40 ms appends until the last
    assert float_path_calls == []


async def test_other_rates_are_still_resampled(float_path_calls: list[int]) -> None:
    pcm16k = pcm16(16000 // 2)  # 500 ms at 16 kHz
    async with connected() as (session, server):
        await session.send_audio(pcm16k, sample_rate=16000)
        await session.commit_audio()
        total = sum(map(len, appended(server)))
    assert total == 2 * expected_frames(8000, 16000, 24000)
    assert float_path_calls != []


async def test_server_pcm_reaches_output_audio_and_handle_audio_untouched(
    float_path_calls: list[int],
) -> None:
    pcm = pcm16(24000 * 13 // 10, seed=7)
    async with connected(None, Reply.audio(pcm, "hello")) as (session, _):
        stream = session.output_audio(sample_rate=24000)
        await session.add_item("hi")
        handle = await session.create_response()
        await handle.done()
        chunks = stream.read_nowait()
        assert await handle.audio(sample_rate=24000) == pcm
        assert await handle.audio() == pcm
        assert float_path_calls == []
        at48 = await handle.audio(sample_rate=48000)  # a different rate is still converted
    assert not any(isinstance(c, AudioInterrupted) for c in chunks)
    assert b"".join(c.data for c in chunks if isinstance(c, OutputAudioChunk)) == pcm
    assert len(at48) == 2 * len(pcm)
    assert float_path_calls != []
