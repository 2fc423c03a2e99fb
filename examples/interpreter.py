"""Interpreter: a translation session hears a WAV file and writes what the interpreter said as another WAV.

The input (default: the bundled realtime_sdk/data/hello.wav) is streamed at ``--pace`` times real time in
any format the WAV holds (the SDK converts it to the 24 kHz PCM16 mono the service takes, in 200 ms frames).
``close()`` then lets the service finish: the last translated audio and words arrive before it returns.
Both transcripts are printed; the translated audio is written at ``--rate``.

    python examples/interpreter.py [--in speech.wav] [--out translated.wav] [--language fr] [--rate 16000]

Without OPENAI_API_KEY it talks to the bundled local server (whose "translation" is the input audio, with
the transcript tagged by the language).
"""

import argparse
import asyncio
from pathlib import Path

from realtime_sdk import OutputAudioChunk, TranslationSession, audio
from realtime_sdk.server import EchoModel, openai_or_local


async def speak(session: TranslationSession, pcm: bytes, rate: int, channels: int, pace: float) -> None:
    piece = rate * 100 // 1000 * 2 * channels  # 100 ms at a time
    loop = asyncio.get_running_loop()
    start = loop.time()
    for offset in range(0, len(pcm), piece):
        await session.send_audio(pcm[offset : offset + piece], sample_rate=rate, channels=channels)
        if pace > 0:  # a live speaker talks at their own pace: this is pacing, not sync
            await asyncio.sleep(max(0.0, start + (offset + piece) / 2 / channels / rate / pace - loop.time()))


async def main(source: Path, target: Path, language: str, out_rate: int, pace: float) -> None:
    pcm, rate, channels = audio.read_wav(source)
    heard = ["Hello!", "What is the weather like in Paris today?"]  # the local "transcriber": two utterances
    async with (
        openai_or_local(EchoModel(heard)) as endpoint,
        TranslationSession(
            **endpoint, output_language=language, input_transcription="gpt-realtime-whisper"
        ) as session,
    ):
        translated = session.output_audio(sample_rate=out_rate)
        async with asyncio.timeout(120):  # a hang guard
            await speak(session, pcm, rate, channels, pace)
            await session.close()  # returns once the service has sent everything (session.closed)
        out = b"".join(c.data for c in translated.read_nowait() if isinstance(c, OutputAudioChunk))
        lines = {u.source: u.text async for u in session.transcripts() if u.final}

    print(f"heard:      {lines.get('input', '')}")
    print(f"translated: {lines.get('output', '')}")
    audio.write_wav(target, out, out_rate)
    usage = session.usage
    print(
        f"wrote {target}: {len(out) / 2 / out_rate:.2f} s at {out_rate} Hz; "
        f"sent {usage.input_audio_seconds:.2f} s of audio ({usage.silence_seconds:.2f} s of it silence); "
        f"flushed={session.flushed}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Translate a WAV file with a translation session.")
    parser.add_argument("--in", dest="source", type=Path, default=audio.sample_wav_path(), help="input WAV")
    parser.add_argument("--out", dest="target", type=Path, default=Path("translated.wav"), help="output WAV")
    parser.add_argument("--language", default="fr", help="the language to translate into")
    parser.add_argument("--rate", type=int, default=16000, help="sample rate of the output WAV")
    parser.add_argument("--pace", type=float, default=1.0, help="multiple of real time; 0: all at once")
    args = parser.parse_args()
    asyncio.run(main(args.source, args.target, args.language, args.rate, args.pace))
