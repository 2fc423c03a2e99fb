"""CPU cost of full-duplex audio: 48 kHz in, 48 kHz out, through the SDK's path and a hand-built one.

Run: ``make bench`` or ``.venv/bin/python benchmarks/audio.py``.  Prints CPU seconds spent per second of
conversation audio (the real-time factor; lower is better) and the ratio, measured in this one run.

Per second of audio each path does what a voice app does on the wire, minus the socket:
- uplink: 50 microphone chunks of 20 ms at 48 kHz PCM16 → 24 kHz PCM16 → ``input_audio_buffer.append``
  JSON text (base64 inside);
- downlink: 10 ``response.output_audio.delta`` frames of 100 ms at 24 kHz → typed event → PCM16 bytes
  at 48 kHz for the speaker.

- realtime-sdk: the session's own classes, without the socket: ``send_audio``'s ``AudioSender``
  (conversion with soxr, 40 ms chunking, one ``input_audio_buffer.append`` encoded per chunk as
  ``session.append_audio`` does) run on an event loop as ``send_audio`` is awaited; and per received
  frame what the reader does with audio: ``events.decode``, ``Conversation.receive`` (state), then an
  ``output_audio(sample_rate=48000)`` stream's conversion, queue and playback tracker as the app reads it.
- by hand with openai-python: ``scipy.signal.resample_poly`` per chunk (the common recipe), collected
  into the same 40 ms appends as the SDK sends (so both serialise the same number of events), ``base64``,
  the event dict serialised by openai-python's own ``send`` path (``async_maybe_transform``
  + ``json.dumps``), received frames parsed by its ``parse_event`` code path, then ``base64.b64decode``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import sys
import time
from typing import Any, Union, cast

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

from realtime_sdk import _generated as gen
from realtime_sdk.conversation import Conversation
from realtime_sdk.events import decode, encode
from realtime_sdk.session._audio_out import OutputAudioStream
from realtime_sdk.session._audio_send import AudioSender

SECONDS = 20
APPEND_BYTES = 24 * 40 * 2
"""40 ms of 24 kHz PCM16: the SDK's default append size, used by both paths (equal event counts)."""


def tone(rate: int, seconds: float) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * math.pi * 440 * t) * 12000).astype("<i2").tobytes()


def downlink_frames() -> list[bytes]:
    pcm = tone(24000, 0.1)
    return [
        encode(
            gen.ResponseOutputAudioDelta(
                event_id=f"event_{i}",
                response_id="resp_1",
                item_id="item_1",
                output_index=0,
                content_index=0,
                delta=pcm,
            )
        )
        for i in range(10)
    ]


def sdk_path(mic: list[bytes], frames: list[bytes]) -> int:
    return asyncio.run(_sdk_path(mic, frames))


async def _sdk_path(mic: list[bytes], frames: list[bytes]) -> int:
    sent: list[int] = []

    async def append(chunk: bytes) -> None:  # session.append_audio minus the socket
        sent.append(len(encode(gen.InputAudioBufferAppend(audio=chunk))))

    uplink = AudioSender(append, lambda: "audio/pcm")
    conversation = Conversation()
    conversation.receive(
        decode(encode(gen.ResponseCreated(event_id="e0", response=gen.RealtimeResponse(id="resp_1"))))
    )
    downlink = OutputAudioStream(48000, "pcm16", 1, "HQ", report=None, on_close=lambda _: None)
    out = 0
    for _ in range(SECONDS):
        for chunk in mic:
            await uplink.send(chunk, 48000, 1, "pcm16")
        for frame in frames:
            event = decode(frame)
            conversation.receive(event)
            assert isinstance(event, gen.ResponseOutputAudioDelta)
            downlink._audio(event.response_id, event.item_id, event.content_index, "audio/pcm", event.delta)
            for played in downlink.read_nowait():
                out += len(getattr(played, "data", b""))
    return out + sum(sent)


def openai_path(mic: list[bytes], frames: list[bytes]) -> int:
    from openai._models import construct_type_unchecked
    from openai._utils import async_maybe_transform
    from openai.types.realtime import RealtimeClientEventParam, RealtimeServerEvent
    from scipy.signal import resample_poly

    out = 0
    loop_events: list[dict[str, Any]] = []
    for _ in range(SECONDS):
        pending = b""
        for chunk in mic:
            x = np.frombuffer(chunk, "<i2").astype(np.float32)
            y = resample_poly(x, 1, 2)
            pending += np.clip(np.rint(y), -32768, 32767).astype("<i2").tobytes()
            if len(pending) >= APPEND_BYTES:  # the same 40 ms appends as the SDK's: as many events
                loop_events.append(
                    {"type": "input_audio_buffer.append", "audio": base64.b64encode(pending).decode()}
                )
                pending = b""
        for frame in frames:
            event = construct_type_unchecked(value=json.loads(frame), type_=cast(Any, RealtimeServerEvent))
            pcm24 = np.frombuffer(base64.b64decode(event.delta), "<i2").astype(np.float32)
            out += len(np.clip(np.rint(resample_poly(pcm24, 2, 1)), -32768, 32767).astype("<i2").tobytes())

    # serialising through openai-python's transform needs a loop; run every event through one
    async def send_all() -> int:
        params = cast(Any, Union[RealtimeClientEventParam])  # noqa: UP007
        total = 0
        for ev in loop_events:
            total += len(json.dumps(await async_maybe_transform(ev, params)))
        return total

    return out + asyncio.run(send_all())


def cpu(fn: Any, *args: Any) -> float:
    best = math.inf
    for _ in range(3):
        start = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    mic_audio = tone(48000, 1.0)
    mic = [mic_audio[i : i + 1920] for i in range(0, len(mic_audio), 1920)]  # 20 ms at 48 kHz
    frames = downlink_frames()
    sdk = cpu(sdk_path, mic, frames) / SECONDS
    by_hand = cpu(openai_path, mic, frames) / SECONDS
    print(f"Full-duplex audio, 48 kHz in and out, {SECONDS} s per round, best of 3 (CPU time)\n")
    print("| path | CPU ms per audio second | real-time factor | vs this SDK |")
    print("|---|---:|---:|---:|")
    for name, value in (("realtime-sdk", sdk), ("openai-python + scipy by hand", by_hand)):
        print(f"| {name} | {value * 1000:.2f} | {value:.4f} | {value / sdk:.1f}× |")


if __name__ == "__main__":
    main()
