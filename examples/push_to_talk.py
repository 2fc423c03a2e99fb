"""Push-to-talk: turn detection off, so the app (a button) decides when each user turn starts and ends.

Two turns, each the bundled realtime_sdk/data/hello.wav said into a "microphone" while the button is held.
Releasing the button commits the audio and asks for a spoken reply. The conversation is saved as text
(transcript.txt) and the assistant's two replies as one WAV (reply.wav, at the microphone's rate).

    python examples/push_to_talk.py [--pace 1] [--out-dir .]

Without OPENAI_API_KEY it talks to the bundled local server (whose model echoes the user's audio).
"""

import argparse
import asyncio
from pathlib import Path
from typing import Any

from realtime_sdk import PushToTalk, RealtimeSession, audio
from realtime_sdk.server import EchoModel, openai_or_local

PROPERTIES: dict[str, Any] = {
    "instructions": "You are a weather assistant. Answer in one short sentence.",
    "output_modalities": ["audio"],
    "audio": {
        # turn_detection None (JSON null) switches server VAD off: nothing happens until the app commits.
        "input": {"turn_detection": None, "transcription": {"model": "gpt-4o-mini-transcribe"}},
        "output": {"voice": "alloy"},
    },
}


async def hold_button(turn: PushToTalk, pcm: bytes, rate: int, pace: float) -> None:
    """The microphone while the button is held: 20 ms pieces at ``pace`` times real time (0: at once)."""
    piece = rate * 20 // 1000 * 2  # 20 ms of 16-bit mono
    loop = asyncio.get_running_loop()
    start = loop.time()
    for offset in range(0, len(pcm), piece):
        await turn.send(pcm[offset : offset + piece], sample_rate=rate)  # resampled to 24 kHz by the SDK
        if pace > 0:  # a live microphone delivers audio at its own pace: this is pacing, not sync
            await asyncio.sleep(max(0.0, start + (offset + piece) / 2 / rate / pace - loop.time()))


async def main(pace: float, out_dir: Path) -> None:
    pcm, rate, channels = audio.read_wav(audio.sample_wav_path())  # 16 kHz mono PCM16
    assert channels == 1, "this example's microphone is mono"
    heard = ["Hello! What is the weather like in Paris today?"] * 2  # the local server's "transcriber"
    async with (
        openai_or_local(EchoModel(heard)) as endpoint,  # the local server without OPENAI_API_KEY
        RealtimeSession(**endpoint, session_properties=PROPERTIES) as session,
    ):
        lines: list[str] = []
        replies = bytearray()
        async with asyncio.timeout(120):  # a hang guard for the whole conversation
            for number in (1, 2):
                print(f"[button down: turn {number}]")
                async with session.push_to_talk() as turn:
                    await hold_button(turn, pcm, rate, pace)
                # Leaving the block released the button: the audio was committed and a response asked for.
                if turn.committed is None or turn.response is None:
                    raise SystemExit("the turn was too short to commit (under 100 ms of audio)")
                said = await turn.response.transcript()  # waits for response.done
                replies += await turn.response.audio(sample_rate=rate)  # the reply at the mic's rate
                you = await turn.transcript()  # the input transcription, before or after the reply
                lines += [f"you: {you}", f"assistant: {said}"]
                print(*lines[-2:], sep="\n")

    (out_dir / "transcript.txt").write_text("\n".join(lines) + "\n")
    audio.write_wav(out_dir / "reply.wav", bytes(replies), rate)
    print(f"wrote {out_dir / 'transcript.txt'} and {out_dir / 'reply.wav'} ({len(replies) / 2 / rate:.2f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Two push-to-talk turns with the Realtime API.")
    parser.add_argument("--pace", type=float, default=1.0, help="multiple of real time; 0: all at once")
    parser.add_argument("--out-dir", type=Path, default=Path("."), help="where to write the files")
    args = parser.parse_args()
    asyncio.run(main(args.pace, args.out_dir))
