"""A telephony bridge: 8 kHz μ-law from a phone line in, the assistant's voice back out, with barge-in.

The phone is simulated: on every 20 ms tick it sends one caller frame up and plays one reply frame down,
as a SIP trunk or media stream does. The caller says realtime_sdk/data/hello.wav, talks over the reply
after half a second (barge-in), then hears the second reply to the end. Without OPENAI_API_KEY it talks
to the bundled local server, whose model echoes the caller's audio.

    python examples/phone_bridge.py [--pace 1] [--out caller_heard.wav]
"""

import argparse
import asyncio
from collections.abc import Iterator
from typing import Any

from realtime_sdk import AudioInterrupted, OutputAudioStream, PlaybackTracker, RealtimeSession, audio, events
from realtime_sdk.server import EchoModel, openai_or_local

FRAME = audio.chunk_bytes_for(20, "audio/pcmu")  # 160 bytes: 20 ms of 8 kHz μ-law, one telephony frame
QUIET = audio.silence(20, "audio/pcmu")
BARGE_IN_AFTER_MS = 500  # the caller talks over the first reply once this much of it was played


class PhoneLine:
    """The caller's handset: reply audio waits in ``buffer`` and is played one frame per tick."""

    def __init__(self, tracker: PlaybackTracker) -> None:
        self.tracker = tracker  # tells the SDK what was really played, so a barge-in truncates there
        self.buffer = bytearray()  # written but not played yet (the trunk's jitter buffer)
        self.heard = bytearray()  # everything the caller heard, silence included, for the WAV
        self.played_ms = 0.0
        self.all_written = False  # the bridge has no more audio for the line

    def play_one_frame(self) -> None:
        frame = bytes(self.buffer[:FRAME])
        del self.buffer[:FRAME]
        if frame:
            self.tracker.played(len(frame))
            self.played_ms += audio.bytes_to_ms(len(frame), "audio/pcmu")
        self.heard += frame or QUIET


def caller(line: PhoneLine) -> Iterator[bytes]:
    """What the caller says, frame by frame; it watches the line to barge in and to hang up."""
    pcm, rate, channels = audio.read_wav(audio.sample_wav_path())  # 16 kHz PCM16: make it phone audio
    ulaw = audio.to_wire(pcm, rate, channels=channels, wire_format="audio/pcmu")
    speech = list(audio.iter_chunks(ulaw, FRAME))
    yield from speech
    while line.played_ms < BARGE_IN_AFTER_MS:
        yield QUIET
    print(f"caller: (talks over the reply after {line.played_ms:.0f} ms of it)")
    yield from speech
    while not (line.all_written and not line.buffer):
        yield QUIET


async def uplink(session: RealtimeSession, line: PhoneLine, pace: float) -> None:
    """The line's 20 ms clock: one caller frame up, one reply frame down. ``pace`` 10: ten times faster."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for tick, frame in enumerate(caller(line), 1):
        await session.send_audio(frame, sample_rate=8000, encoding="pcmu")  # μ-law passes through
        line.play_one_frame()
        await asyncio.sleep(max(0.0, start + tick * 0.020 / pace - loop.time()))  # pacing, not sync


async def downlink(stream: OutputAudioStream, line: PhoneLine) -> None:
    """The assistant's audio, already 8 kHz μ-law, into the line; a barge-in empties the line."""
    async for chunk in stream:
        if isinstance(chunk, AudioInterrupted):
            line.buffer.clear()  # the caller spoke: drop what the phone has not played yet
            print(f"bridge: barge-in; the caller heard {chunk.audio_end_ms} ms of that reply")
        else:
            line.buffer += chunk.data
    line.all_written = True


async def main(pace: float, out: str) -> None:
    phone_format = {"type": "audio/pcmu"}  # G.711 μ-law both ways: nothing is resampled on the call
    properties: dict[str, Any] = {
        "instructions": "You answer the phone for a weather service. Be brief.",
        "output_modalities": ["audio"],
        "audio": {
            "input": {
                "format": phone_format,
                "transcription": {"model": "gpt-4o-mini-transcribe"},
                "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
            },
            "output": {"format": phone_format, "voice": "alloy"},
        },
    }
    heard = ["Hello! What is the weather like in Paris today?"] * 2  # the local server's "transcriber"
    async with (
        openai_or_local(EchoModel(heard)) as endpoint,  # the local server without OPENAI_API_KEY
        RealtimeSession(**endpoint, session_properties=properties) as session,
    ):
        stream = session.output_audio(sample_rate=8000, encoding="pcmu")  # made before any reply starts
        line = PhoneLine(stream.tracker)
        async with asyncio.timeout(120), asyncio.TaskGroup() as call:  # the timeout: a hang guard
            call.create_task(uplink(session, line, pace))
            call.create_task(downlink(stream, line))
            async for event in session:  # every server event, typed; print the two transcripts
                match event:
                    case events.ConversationItemInputAudioTranscriptionCompleted(transcript=said):
                        print(f"caller: {said}")
                    case events.ResponseOutputAudioTranscriptDone(transcript=said):
                        print(f"assistant: {said}")
                    case events.ResponseDone() if len(session.conversation.responses) == 2:
                        break  # the second reply is done; the first may have been cut short by the barge-in
            stream.close()  # no more replies: the downlink ends once the queued audio is in the line

        for item in session.conversation.items:  # the tracker knows how much of each reply was played
            if item.role == "assistant":
                played = stream.tracker.position_ms(item.id)
                print(f"played {played:.0f} of {item.audio_ms:.0f} ms of {item.text!r}")
    audio.write_wav(out, audio.ulaw_decode(line.heard), 8000)
    print(f"wrote {out}: {len(line.heard) / 8000:.2f} s, {line.played_ms / 1000:.2f} s of it the assistant")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A phone line bridged to the Realtime API.")
    parser.add_argument("--pace", type=float, default=1.0, help="multiple of real time (default 1)")
    parser.add_argument("--out", default="caller_heard.wav", help="WAV of what the caller heard")
    args = parser.parse_args()
    if not args.pace > 0:  # a phone line has a clock: there is no "all at once"
        parser.error("--pace must be > 0")
    asyncio.run(main(args.pace, args.out))
