"""``realtime-sdk chat``: a live conversation through the microphone and speaker (or typed, ``--text``).

Theory of operation
-------------------
Microphone frames go to ``session.send_audio`` as they come.  With server VAD (the default) the server
ends each turn and answers by itself; with ``--push-to-talk`` turn detection is off and Enter starts and
ends a turn.  The assistant's audio comes from ``session.output_audio`` at the device's rate and is
queued on the speaker; the speaker reports what it has actually played to the stream's playback
tracker.  When the user speaks over the assistant, server VAD's ``speech_started`` makes the session
interrupt: the stream yields ``AudioInterrupted`` (the speaker drops what it still holds) and the
assistant's item is truncated at the played position, so the conversation keeps only what was heard.
Transcripts of both sides print as they arrive.  Ctrl-C ends the chat; everything closes on the way out.

Only the session's public API is used, and devices only through :class:`AudioDevice`, so a test can hold
a whole spoken conversation with a scripted device.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from .._generated import ResponseOutputTextDelta, ResponseOutputTextDone
from ..errors import ConfigurationError, RealtimeError
from ..session import AudioInterrupted, OutputAudioChunk, RealtimeSession
from ._devices import AudioDevice, SoundDevice, list_devices
from ._local import add_speech_option, local_server_options
from .talk import TRANSCRIPTION_MODEL, VAD_SILENCE_MS, _Printer

EPILOG = """\
Without OPENAI_API_KEY (or with --local) the local server runs in this process: with the speech extra it
hears you and answers "You said: ..." in a synthetic voice, offline.  Speaking over the assistant
interrupts it.  Microphone and speaker need the devices extra: pip install 'realtime-sdk[devices]'.

examples: realtime-sdk chat                      (talk; Ctrl-C to end)
          realtime-sdk chat --push-to-talk       (Enter starts and ends each turn)
          realtime-sdk chat --text               (type instead of speaking)"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--input-device", default=None, help="microphone: a name or number (--list-devices)")
    parser.add_argument("--output-device", default=None, help="speaker: a name or number (--list-devices)")
    parser.add_argument("--list-devices", action="store_true", help="list audio devices and exit")
    parser.add_argument("--push-to-talk", action="store_true", help="Enter starts and ends a turn (no VAD)")
    parser.add_argument("--text", action="store_true", help="a typed chat: no audio devices needed")
    parser.add_argument(
        "--local", action="store_true", help="use the in-process local server even with a key"
    )
    add_speech_option(parser)
    parser.add_argument("--model", default="gpt-realtime-2.1", help="model (default: gpt-realtime-2.1)")
    parser.add_argument("--voice", default=None, help="assistant voice (e.g. alloy, marin)")
    parser.add_argument("--instructions", default=None, help="instructions for the assistant")
    parser.add_argument("--rate", type=int, default=24_000, help="device sample rate (default 24000)")


def _fail(message: str) -> int:
    print(f"realtime-sdk chat: {message}", file=sys.stderr, flush=True)
    return 1


def properties(
    *, text: bool, push_to_talk: bool, voice: str | None, instructions: str | None
) -> dict[str, Any]:
    if text:
        props: dict[str, Any] = {"output_modalities": ["text"]}
    else:
        turn = None if push_to_talk else {"type": "server_vad", "silence_duration_ms": VAD_SILENCE_MS}
        audio: dict[str, Any] = {
            "input": {"transcription": {"model": TRANSCRIPTION_MODEL}, "turn_detection": turn}
        }
        if voice:
            audio["output"] = {"voice": voice}
        props = {"output_modalities": ["audio"], "audio": audio}
    if instructions:
        props["instructions"] = instructions
    return props


open_device: Callable[[int, str | None, str | None], AudioDevice] = SoundDevice
"""Makes the chat's device from (rate, input device, output device); the seam a test replaces."""


class _Lines:
    """Lines typed on stdin, read by a daemon thread (a blocked read must never hold up the exit)."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()

        def read() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(self._queue.put_nowait, line.rstrip("\n"))
            loop.call_soon_threadsafe(self._queue.put_nowait, None)

        threading.Thread(target=read, daemon=True, name="chat-stdin").start()

    async def get(self) -> str | None:
        return await self._queue.get()


async def speak(session: RealtimeSession, device: AudioDevice, *, turns: Any = None) -> None:
    """A spoken conversation on ``device`` until its input ends.

    ``turns`` (push-to-talk): an object with ``async wait()`` returning when the next turn starts or
    ends (Enter), or None at the end; None means server VAD decides the turns."""
    printer = _Printer(session)
    stream = session.output_audio(sample_rate=device.sample_rate)
    device.start(stream.tracker.played)

    async def speaker() -> None:
        async for chunk in stream:
            if isinstance(chunk, AudioInterrupted):
                device.clear()
            elif isinstance(chunk, OutputAudioChunk):
                device.play(chunk.data)

    async def microphone() -> None:
        while (frame := await device.read()) is not None:
            await session.send_audio(frame, sample_rate=device.sample_rate)

    async def push_to_talk() -> None:
        assert turns is not None
        while await turns.wait():
            print("(listening: Enter to send)", flush=True)
            async with session.push_to_talk() as turn:
                ended = asyncio.ensure_future(turns.wait())
                while not ended.done():
                    read = asyncio.ensure_future(device.read())
                    await asyncio.wait({read, ended}, return_when=asyncio.FIRST_COMPLETED)
                    if read.done():
                        frame = read.result()
                        if frame is None:
                            ended.cancel()
                            return
                        await turn.send(frame, sample_rate=device.sample_rate)
                    else:
                        read.cancel()
                if not ended.result():
                    return

    play = asyncio.create_task(speaker())
    try:
        await (microphone() if turns is None else push_to_talk())
    finally:
        play.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await play
        stream.close()
        device.close()
        printer.close()


class _EnterKey:
    def __init__(self) -> None:
        self._lines = _Lines()

    async def wait(self) -> bool:
        return await self._lines.get() is not None


async def type_chat(session: RealtimeSession) -> None:
    """A typed conversation: each line is a user message, the reply prints as it streams."""
    lines = _Lines()
    session.on(ResponseOutputTextDelta, lambda e: print(e.delta, end="", flush=True))
    session.on(ResponseOutputTextDone, lambda _: print(flush=True))
    while True:
        print("you: ", end="", flush=True)
        line = await lines.get()
        if line is None:
            return
        if not line.strip():
            continue
        await session.add_item(line)
        print("assistant: ", end="", flush=True)
        await (await session.create_response()).text()


async def run(args: argparse.Namespace) -> int:
    try:
        if args.list_devices:
            print(list_devices())
            return 0
        device: AudioDevice | None = None
        if not args.text:
            device = open_device(args.rate, args.input_device, args.output_device)
        async with contextlib.AsyncExitStack() as stack:
            connect: dict[str, Any] = {"model": args.model}
            if args.local or not os.environ.get("OPENAI_API_KEY"):
                from ..server import LocalRealtimeServer

                server = await stack.enter_async_context(
                    LocalRealtimeServer(**local_server_options(args.speech))
                )
                connect.update(api_key=server.api_key, base_url=server.url)
                print(f"(local server at {server.url}; set OPENAI_API_KEY to talk to OpenAI)", flush=True)
            props = properties(
                text=args.text,
                push_to_talk=args.push_to_talk,
                voice=args.voice,
                instructions=args.instructions,
            )
            session = await stack.enter_async_context(RealtimeSession(session_properties=props, **connect))
            if device is None:
                await type_chat(session)
            else:
                print("(speak; Ctrl-C to end)" if not args.push_to_talk else "(Enter to talk; Ctrl-C to end)")
                await speak(session, device, turns=_EnterKey() if args.push_to_talk else None)
    except ConfigurationError as exc:
        return _fail(str(exc))
    except RealtimeError as exc:
        return _fail(f"{type(exc).__name__}: {exc}")
    return 0
