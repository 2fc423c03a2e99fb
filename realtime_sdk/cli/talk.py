"""``realtime-sdk talk INPUT.wav --out reply.wav``: one spoken turn from a file, the spoken reply to a file.

Theory of operation
-------------------
The WAV (any rate and channel count ``read_wav`` takes) is streamed with ``send_audio`` in 20 ms pieces at
real time (``--pace 1``, a microphone's pace) or faster.  With server VAD (the default) enough trailing
silence follows for the VAD to end the turn (its ``silence_duration_ms`` plus a margin), and the server
answers by itself; if the VAD never ended a turn (a very quiet file), the SDK commits and asks.  With
``--manual`` turn detection is off and the file is one push-to-talk turn.

Transcripts print as they arrive: the user's input transcription (it may come after the reply starts) and
the assistant's audio transcript.  The reply's audio comes from ``session.output_audio`` at the input's rate
and is written as 16-bit mono.  Time to first audio is the conversation's ``latency``: from the end of the
user's turn (``speech_stopped``, or the commit) to the first audio delta.

Without ``OPENAI_API_KEY``, or with ``--local``, a ``LocalRealtimeServer`` runs in this process with the
echo model.  With the ``speech`` extra installed (``--speech auto``, the default, or ``on``) it recognises
the user's words offline and speaks its reply "You said: ..." with a synthetic voice; with ``--speech off``
(or without the extra) the transcript is a placeholder ``<N seconds of audio>`` and the reply is the
user's own audio.  Everything runs under one ``--timeout``: failures print one line
to stderr and exit 1, never hang.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from .._generated import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionFailed,
    InputAudioBufferCommitted,
    ResponseDone,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputAudioTranscriptDone,
)
from ..audio import read_wav, write_wav
from ..errors import ConfigurationError, RealtimeError
from ..session import AudioInterrupted, OutputAudioChunk, RealtimeSession
from ._local import add_speech_option, local_server_options

__all__ = ["configure", "run"]

PIECE_MS = 20
VAD_SILENCE_MS = 500
"""The turn-ending silence asked of server VAD (the API's default); a pause inside a sentence is shorter."""
TRANSCRIPTION_MODEL = "gpt-4o-mini-transcribe"


EPILOG = """\
Without OPENAI_API_KEY in the environment (or with --local) the local Realtime server runs in this
process, so the whole path works offline: with the speech extra it hears your words and speaks its reply
(offline recognition and synthesis); without it, or with --speech off, it answers with your own audio.

exit status: 0 when the reply was written; 1 when the file cannot be read, the connection or the
response fails, or no complete reply comes within --timeout; 2 for bad arguments.

example: realtime-sdk talk question.wav --out answer.wav --voice marin"""


def _at_least_zero(text: str) -> float:
    value = float(text)
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be a number >= 0, not {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, not {text}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("input", type=Path, help="a WAV file (PCM 8-32 bit, float, μ-law or A-law; any rate)")
    parser.add_argument("--out", type=Path, default=Path("reply.wav"), help="reply WAV (default: reply.wav)")
    parser.add_argument(
        "--local", action="store_true", help="use the in-process local server even with a key"
    )
    add_speech_option(parser)
    parser.add_argument("--model", default="gpt-realtime-2.1", help="model (default: gpt-realtime-2.1)")
    parser.add_argument("--voice", default=None, help="assistant voice (e.g. alloy, marin)")
    parser.add_argument("--instructions", default=None, help="instructions for the assistant")
    parser.add_argument(
        "--pace",
        type=_at_least_zero,
        default=1.0,
        help="send at this multiple of real time (default 1; 0: all at once)",
    )
    parser.add_argument("--manual", action="store_true", help="turn detection off: commit, then ask")
    parser.add_argument(
        "--timeout", type=_positive, default=60.0, help="give up after this many seconds (default 60)"
    )


def _fail(message: str) -> int:
    print(f"realtime-sdk talk: {message}", file=sys.stderr, flush=True)
    return 1


async def run(args: argparse.Namespace) -> int:
    try:
        pcm, rate, channels = read_wav(args.input)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot read {args.input}: {exc}")
    if not pcm:
        return _fail(f"{args.input} holds no audio")
    async with contextlib.AsyncExitStack() as stack:
        connect: dict[str, Any] = {"model": args.model}
        if args.local or not os.environ.get("OPENAI_API_KEY"):
            from ..server import LocalRealtimeServer

            try:
                options = local_server_options(args.speech)
            except ConfigurationError as exc:
                return _fail(str(exc))
            server = await stack.enter_async_context(LocalRealtimeServer(**options))
            connect.update(api_key=server.api_key, base_url=server.url)
            print(f"(local server at {server.url}; set OPENAI_API_KEY to talk to OpenAI)", flush=True)
        try:
            async with asyncio.timeout(args.timeout):
                reply = await _talk(args, pcm, rate, channels, connect)
        except TimeoutError:
            return _fail(f"no complete reply within {args.timeout:g} s")
        except RealtimeError as exc:
            return _fail(f"{type(exc).__name__}: {exc}")
    if not reply:
        return _fail("the reply had no audio")
    try:
        write_wav(args.out, reply, rate, 1)
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc}")
    print(f"wrote {args.out}: {len(reply) / 2 / rate:.2f} s at {rate} Hz", flush=True)
    return 0


def _properties(args: argparse.Namespace) -> dict[str, Any]:
    turn = None if args.manual else {"type": "server_vad", "silence_duration_ms": VAD_SILENCE_MS}
    audio: dict[str, Any] = {
        "input": {"transcription": {"model": TRANSCRIPTION_MODEL}, "turn_detection": turn}
    }
    if args.voice:
        audio["output"] = {"voice": args.voice}
    props: dict[str, Any] = {"output_modalities": ["audio"], "audio": audio}
    if args.instructions:
        props["instructions"] = args.instructions
    return props


class _Printer:
    """Live transcripts on stdout; remembers what the caller waits for."""

    def __init__(self, session: RealtimeSession) -> None:
        loop = asyncio.get_running_loop()
        self.done: asyncio.Future[ResponseDone] = loop.create_future()
        self.committed: asyncio.Future[None] = loop.create_future()
        self.user_transcript: asyncio.Future[None] = loop.create_future()
        self._speaking = False
        self._held: list[str] = []  # user lines that arrived in the middle of an assistant line
        session.on(ResponseOutputAudioTranscriptDelta, self._delta)
        session.on(ResponseOutputAudioTranscriptDone, self._line_end)
        session.on(ConversationItemInputAudioTranscriptionCompleted, self._user)
        session.on(ConversationItemInputAudioTranscriptionFailed, self._user_failed)
        session.on(InputAudioBufferCommitted, lambda _: _settle(self.committed, None))
        session.on(ResponseDone, self._response_done)

    def _delta(self, event: ResponseOutputAudioTranscriptDelta) -> None:
        if not self._speaking:
            print("assistant: ", end="", flush=True)
            self._speaking = True
        print(event.delta, end="", flush=True)

    def _line_end(self, _: object) -> None:
        if self._speaking:
            print(flush=True)
            self._speaking = False
        for line in self._held:
            print(line, flush=True)
        self._held.clear()

    def _response_done(self, event: ResponseDone) -> None:
        self._line_end(None)  # a cancelled reply never finishes its transcript
        _settle(self.done, event)

    def close(self) -> None:
        """End the open line and print what was held back (the conversation is over)."""
        self._line_end(None)

    def _say(self, line: str) -> None:
        # The input transcript often arrives while the reply's words stream: keep the reply's line whole.
        if self._speaking:
            self._held.append(line)
        else:
            print(line, flush=True)

    def _user(self, event: ConversationItemInputAudioTranscriptionCompleted) -> None:
        self._say(f"you: {event.transcript}")
        _settle(self.user_transcript, None)

    def _user_failed(self, event: ConversationItemInputAudioTranscriptionFailed) -> None:
        self._say(f"you: (transcription failed: {getattr(event.error, 'message', '?')})")
        _settle(self.user_transcript, None)


def _settle(fut: asyncio.Future[Any], value: Any) -> None:
    if not fut.done():
        fut.set_result(value)


async def _talk(
    args: argparse.Namespace, pcm: bytes, rate: int, channels: int, connect: dict[str, Any]
) -> bytes:
    async with RealtimeSession(session_properties=_properties(args), **connect) as session:
        printer = _Printer(session)
        stream = session.output_audio(sample_rate=rate)
        piece = rate * PIECE_MS // 1000 * 2 * channels
        if args.manual:
            async with session.push_to_talk(interrupt=False) as turn:
                await _stream(pcm, piece, rate, channels, args.pace, turn.send)
        else:
            await _stream(pcm, piece, rate, channels, args.pace, session.send_audio)
            silence_ms = VAD_SILENCE_MS + 500
            await _stream(
                bytes(rate * silence_ms // 1000 * 2 * channels),
                piece,
                rate,
                channels,
                args.pace,
                session.send_audio,
            )
            await session.flush_audio()
            try:
                await asyncio.wait_for(asyncio.shield(printer.committed), 5.0)
            except TimeoutError:  # the VAD heard no turn: end it ourselves
                await session.commit_audio()
                await session.create_response()
        done = await printer.done
        status = done.response.status
        if status != "completed":
            raise RealtimeError(f"the response ended {status}: {done.response.status_details}")
        response = session.conversation.responses.get(str(done.response.id))
        if response is not None and response.latency is not None:
            print(f"time to first audio: {response.latency * 1000:.0f} ms (end of turn to first audio)")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(printer.user_transcript), 5.0)
        audio = bytearray()
        for chunk in stream.read_nowait():
            if isinstance(chunk, AudioInterrupted):
                audio.clear()
            elif isinstance(chunk, OutputAudioChunk) and chunk.response_id == done.response.id:
                audio += chunk.data
        return bytes(audio)


async def _stream(pcm: bytes, piece: int, rate: int, channels: int, pace: float, send: Any) -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    frame = 2 * channels
    for offset in range(0, len(pcm), piece):
        await send(pcm[offset : offset + piece], sample_rate=rate, channels=channels)
        if pace > 0:
            due = start + (offset + piece) / frame / rate / pace
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing a live source, not synchronisation
