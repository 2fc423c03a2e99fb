"""Live captions: a transcription-only session turns speech into text as it is spoken; nothing is said back.

The bundled realtime_sdk/data/hello.wav is "spoken" into a microphone at real-time pace (``--pace``), then
the line goes quiet. Server VAD cuts the speech into items; each caption line grows with the words so far
and is replaced by the final transcript, with where the speech was on the audio clock.

    python examples/live_captions.py [--pace 1] [--model gpt-4o-mini-transcribe] [--language en]

Without OPENAI_API_KEY it talks to the bundled local server.
"""

import argparse
import asyncio

import numpy as np

from realtime_sdk import TranscriptionSession, audio
from realtime_sdk.server import EchoModel, openai_or_local


async def microphone(t: TranscriptionSession, pcm: bytes, rate: int, pace: float) -> None:
    """20 ms pieces at ``pace`` times real time, then a second of quiet so that the last turn ends."""
    piece = rate * 20 // 1000 * 2
    loop = asyncio.get_running_loop()
    start = loop.time()
    quiet = np.zeros(rate, dtype=np.int16).tobytes()
    spoken = pcm + quiet
    for offset in range(0, len(spoken), piece):
        await t.send_audio(spoken[offset : offset + piece], sample_rate=rate)
        if pace > 0:  # a live microphone delivers audio at its own pace: this is pacing, not sync
            await asyncio.sleep(max(0.0, start + (offset + piece) / 2 / rate / pace - loop.time()))
    await t.flush_audio()
    if t.commits_by_client:  # gpt-realtime-whisper: no server VAD, the app says where a turn ends
        await t.commit()


async def main(pace: float, model: str, language: str) -> None:
    pcm, rate, channels = audio.read_wav(audio.sample_wav_path())  # 16 kHz mono PCM16
    assert channels == 1
    heard = ["Hello! What is the weather like in Paris today?"]  # the local server's "transcriber"
    async with (
        openai_or_local(EchoModel(heard)) as endpoint,
        TranscriptionSession(**endpoint, model=model, language=language) as captions,
    ):
        speaking = asyncio.create_task(microphone(captions, pcm, rate, pace))
        async with asyncio.timeout(60):  # a hang guard
            async for line in captions.transcripts():
                if not line.final:
                    print(f"... {line.text}")
                    continue
                if line.error is not None:
                    print(f"[{line.item_id}] transcription failed: {line.error}")
                else:
                    where = (
                        f"{line.audio_start_ms}-{line.audio_end_ms} ms" if line.audio_end_ms else "committed"
                    )
                    print(f"[{line.item_id}] {line.text} ({where})")
                break  # one turn in this demo: the sample is one sentence
        await speaking


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Live captions with a transcription-only session.")
    parser.add_argument("--pace", type=float, default=1.0, help="multiple of real time; 0: all at once")
    parser.add_argument("--model", default="gpt-4o-mini-transcribe", help="the transcription model")
    parser.add_argument("--language", default="en", help="ISO-639-1 code of the speech")
    args = parser.parse_args()
    asyncio.run(main(args.pace, args.model, args.language))
