"""The session's audio pipeline: sending, output streams, the playback clock and interruption (its I/O).

Theory of operation
-------------------
One :class:`AudioIO` per session, fed every server event by the reader (``on_event``, after the
conversation has seen the event).  It owns the :class:`~realtime_sdk._audio_send.AudioSender` (the send
path), the registered :class:`~realtime_sdk._audio_out.OutputAudioStream` s and playback trackers.  It gets
what it may do in the session as :class:`AudioHooks` (narrow callables), never the session itself.

Interruption is decided by :class:`realtime_sdk.protocol.Interruption` (the rules are in its module
docstring, ``protocol/_interruption.py``: truncate at what was heard, never more than received, the
cancel only when server VAD will not cancel, ``output_audio_buffer.clear`` on a sideband's call, the
interrupted response's later audio dropped); this module does its I/O.  An interruption
(``session.interrupt()``, or server VAD's ``input_audio_buffer.speech_started`` when the core says it
interrupts) runs in one synchronous step, so no event can slip in between: trackers report what the
player consumed (not when the audio plays on a call), the core decides the :class:`~realtime_sdk.protocol.Cut`;
every stream drops its queued audio and queues an :class:`~realtime_sdk._audio_out.AudioInterrupted` marker
(not on a call: no stream plays it); ``on_interrupt`` callbacks run.  Then the events are sent, in order.
From the reader the sends are fire-and-forget (a reader cannot wait for its own acknowledgements); their
errors, if any, would arrive as ``error`` events like any other.

The local transcript is cut by the conversation: to the proportion of audio heard, back to a word
boundary (``heard / received`` of the characters; speech rate is not constant, so this is approximate).
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import msgspec
from msgspec import UNSET

from .._generated import ResponseCreated, ResponseDone, ResponseOutputAudioDelta, ResponseOutputAudioDone
from ..audio._sizes import AUDIO_FORMATS, AudioFormat, Encoding, Quality, default_sample_rate
from ..errors import ConfigurationError, ConnectionClosed, RealtimeError
from ..events import AnyServerEvent, ClientEvent
from ..protocol import Interruption
from ._audio_out import DEFAULT_MAX_BUFFERED_SECONDS, AudioInterrupted, OutputAudioStream, PlaybackTracker
from ._audio_send import DEFAULT_CHUNK_MS, AudioSender

if TYPE_CHECKING:
    from .._generated import InputAudioBufferCommitted
    from ..audio._formats import AudioChunk
    from ..conversation import Conversation
    from ..types import ServerSession
    from ._responses import ResponseHandle

InterruptCallback = Callable[[AudioInterrupted], Any]


class AudioHooks(msgspec.Struct, frozen=True):
    """What the audio pipeline and a push-to-talk turn may do in the session: narrow callables."""

    conversation: Conversation
    """The session's conversation (fed every event by the session, read and cut by the interruption)."""
    server_session: Callable[[], ServerSession | None]
    """The session as the server last described it; ``None`` while not connected."""
    closed: Callable[[], bool]
    send: Callable[[ClientEvent], Awaitable[object]]
    append_audio: Callable[[bytes], Awaitable[None]]
    clear_audio: Callable[[], Awaitable[None]]
    commit_audio: Callable[[], Awaitable[InputAudioBufferCommitted]]
    input_transcript: Callable[[str, float | None], Awaitable[str]]
    """``(item_id, timeout)``: the input transcription of a committed item."""
    create_response: Callable[[dict[str, Any]], Awaitable[ResponseHandle]]
    """``create_response(**fields)``."""
    run_callback: Callable[[InterruptCallback, tuple[AudioInterrupted]], None]
    """Run an app callback as the session runs handlers (sync, or async as a task; errors logged)."""
    clock: Callable[[], float] = time.monotonic
    """The time passed to the interruption core (the conversation's clock)."""


__all__ = ["AudioHooks", "AudioIO", "PushToTalk"]

log = logging.getLogger("realtime_sdk")


def _format_of(fmt: object) -> AudioFormat | None:
    kind = getattr(fmt, "type", None)
    return cast(AudioFormat, kind) if kind in AUDIO_FORMATS else None


class AudioIO:
    def __init__(
        self, hooks: AudioHooks, *, chunk_ms: float = DEFAULT_CHUNK_MS, start_paused: bool = False
    ) -> None:
        self.hooks = hooks
        self.interruption = Interruption(hooks.conversation)
        """The interruption decisions (``protocol/_interruption.py``); this object does their I/O."""
        self.sender = AudioSender(
            hooks.append_audio, self.input_format, chunk_ms=chunk_ms, paused=start_paused
        )
        self._streams: weakref.WeakSet[OutputAudioStream] = weakref.WeakSet()
        # What the reader walks on every audio delta: iterating a WeakSet costs ~1.5 µs, a tuple of
        # weak references a tenth of that.  Rebuilt when a stream is added or closed; a stream collected
        # without close() leaves a dead reference here until then, which is skipped.
        self._stream_refs: tuple[weakref.ref[OutputAudioStream], ...] = ()
        self._trackers: weakref.WeakSet[PlaybackTracker] = weakref.WeakSet()
        self._callbacks: list[InterruptCallback] = []
        self._formats: dict[str, AudioFormat] = {}
        self._input_format: tuple[object, AudioFormat] | None = None
        self._closed: BaseException | None = None

    # -- formats -----------------------------------------------------------------------------------

    def _audio_config(self, direction: str) -> object:
        audio = getattr(self.hooks.server_session(), "audio", None)
        return getattr(getattr(audio, direction, None), "format", None)

    def input_format(self) -> AudioFormat:
        """The session's input format as the server last confirmed it (``audio/pcm`` before that)."""
        server = self.hooks.server_session()
        known = self._input_format
        if known is not None and known[0] is server:
            return known[1]  # read on every send_audio: once per server session object
        fmt = _format_of(self._audio_config("input")) or "audio/pcm"
        self._input_format = (server, fmt)
        return fmt

    def output_format(self, response_id: str | None = None) -> AudioFormat:
        if response_id is not None and response_id in self._formats:
            return self._formats[response_id]
        return _format_of(self._audio_config("output")) or "audio/pcm"

    # -- sending -----------------------------------------------------------------------------------

    def send(
        self, samples: AudioChunk, sample_rate: int, channels: int, encoding: Encoding | None
    ) -> Awaitable[None]:
        """The sender's ``send`` (returned, not awaited here: one coroutine less per chunk)."""
        if self.hooks.server_session() is None:
            raise ConnectionClosed(None, "not connected")
        return self.sender.send(samples, sample_rate, channels, encoding)

    # -- receiving ---------------------------------------------------------------------------------

    def output_stream(
        self,
        sample_rate: int,
        encoding: Encoding,
        channels: int,
        quality: Quality,
        max_buffered_seconds: float = DEFAULT_MAX_BUFFERED_SECONDS,
    ) -> OutputAudioStream:
        stream = OutputAudioStream(
            sample_rate,
            encoding,
            channels,
            quality,
            report=self.interruption.played,
            on_close=self._forget,
            max_buffered_seconds=max_buffered_seconds,
        )
        if self._closed is not None:
            stream._end(self._closed)
        else:
            self._streams.add(stream)
            self._stream_refs = tuple(weakref.ref(s) for s in self._streams)
            self._trackers.add(stream.tracker)
        return stream

    def _forget(self, stream: OutputAudioStream) -> None:
        self._streams.discard(stream)
        self._stream_refs = tuple(weakref.ref(s) for s in self._streams)

    def tracker(self, sample_rate: int, encoding: Encoding, channels: int) -> PlaybackTracker:
        tracker = PlaybackTracker(sample_rate, encoding, channels, report=self.interruption.played)
        self._trackers.add(tracker)
        return tracker

    def on_interrupt(self, callback: InterruptCallback) -> None:
        self._callbacks.append(callback)

    WANTS = frozenset(
        {
            "response.output_audio.delta",
            "response.output_audio.done",
            "response.created",
        }
        | Interruption.WANTS
    )
    """The event types ``on_event`` reads: the streams' and the interruption core's."""

    def on_audio_delta(self, event: ResponseOutputAudioDelta) -> None:
        """``on_event`` for an audio delta (no waiting: the reader calls it without a coroutine)."""
        if not event.delta or not self._stream_refs or self.interruption.drops_audio_of(event.response_id):
            return
        wire = self.output_format(event.response_id)
        for ref in self._stream_refs:
            stream = ref()
            if stream is not None:
                stream._audio(event.response_id, event.item_id, event.content_index, wire, event.delta)

    async def on_event(self, event: AnyServerEvent) -> None:
        """Called by the reader for the ``WANTS`` events, after the conversation has applied them."""
        if isinstance(event, ResponseOutputAudioDelta):
            self.on_audio_delta(event)
            return
        if isinstance(event, ResponseOutputAudioDone):
            for stream in list(self._streams):
                stream._audio_done(event.response_id, event.item_id, event.content_index)
            return
        if isinstance(event, ResponseCreated):
            rid = event.response.id
            audio = getattr(event.response, "audio", None)
            fmt = _format_of(getattr(getattr(audio, "output", None), "format", None))
            if isinstance(rid, str) and fmt is not None:
                self._formats[rid] = fmt
            return
        if isinstance(event, ResponseDone):
            rid = event.response.id
            if isinstance(rid, str):
                for stream in list(self._streams):
                    stream._audio_done(rid)
                self._formats.pop(rid, None)
        if self.interruption.receive(event, self.hooks.clock()):
            await self.interrupt(from_reader=True)

    # -- interruption ------------------------------------------------------------------------------

    def cut(
        self,
        played_ms: Mapping[str, float] | None = None,
        cancel: bool | None = None,
        *,
        from_reader: bool = False,
    ) -> tuple[list[ClientEvent], AudioInterrupted | None]:
        """The synchronous part of an interruption: the core's decision, streams and callbacks; returns
        what to send."""
        core = self.interruption
        if not core.on_call:  # on a call the audio plays there: the players' positions do not count
            for tracker in list(self._trackers):
                tracker.sync()
        cut = core.interrupt(self.hooks.clock(), played_ms, cancel=cancel, by_server=from_reader)
        if cut is None:
            return [], None
        marker = AudioInterrupted(cut.response_id, cut.item_id, cut.content_index, cut.audio_end_ms)
        if not cut.on_call:
            for stream in list(self._streams):
                stream._interrupted(marker)
            for tracker in list(self._trackers):
                tracker.flush()
        for callback in self._callbacks:
            self.hooks.run_callback(callback, (marker,))
        return list(cut.events), marker

    async def interrupt(
        self,
        played_ms: Mapping[str, float] | None = None,
        *,
        cancel: bool | None = None,
        from_reader: bool = False,
    ) -> list[ClientEvent]:
        events, _ = self.cut(played_ms, cancel, from_reader=from_reader)
        for event in events:
            try:
                await self.hooks.send(event)
            except ConnectionClosed:
                if not from_reader:
                    raise
                log.debug("connection ended while sending the interruption")
                break
        return events

    def close(self, exc: BaseException) -> None:
        """The session ended: streams raise ``exc`` once drained."""
        self._closed = exc
        for stream in list(self._streams):
            stream._end(exc)
        self._streams.clear()
        self._stream_refs = ()


class PushToTalk:
    """``async with session.push_to_talk() as turn: await turn.send(...)``: one manual user turn.

    On entry (``interrupt=True``) the assistant is interrupted, as when a talk button is pressed over it.
    On a normal exit the held-back audio is flushed, the buffer committed (``committed``) and a response
    created (``response``, its handle; ``response_fields`` go to ``create_response``).  A turn with less than
    100 ms of audio (the API's minimum for a commit) is cleared instead and ``response`` stays ``None``;
    so is a turn left by an exception.  Needs turn detection off (``turn_detection=None``), else the server
    would commit and answer on its own as well.  ``await turn.transcript()`` is what the user said in it
    (with input transcription on).
    """

    def __init__(self, io: AudioIO, *, interrupt: bool, response_fields: dict[str, Any]) -> None:
        self._hooks = io.hooks
        self._io = io
        self._interrupt = interrupt
        self._fields = response_fields
        self._start_ms = 0.0
        self.committed: InputAudioBufferCommitted | None = None
        self.response: ResponseHandle | None = None

    @property
    def sent_ms(self) -> float:
        """Milliseconds of audio appended in this turn so far."""
        return self._io.sender.sent_ms - self._start_ms

    async def transcript(self, *, timeout: float | None = 30.0) -> str:  # noqa: ASYNC109 - as input_transcript
        """The input transcription of this turn's committed audio (``session.input_transcript``).

        Whenever it arrives, before the reply or after it.  Raises ``RealtimeError`` for a turn that
        committed nothing (too short, left by an exception, or still open), else what
        ``session.input_transcript`` raises (``TranscriptionFailedError``, ``ConnectionClosed``,
        ``RequestTimeoutError``, ``ConfigurationError`` when input transcription is off).
        """
        if self.committed is None:
            raise RealtimeError("this turn committed no audio: there is nothing to transcribe")
        return await self._hooks.input_transcript(self.committed.item_id, timeout)

    async def send(
        self,
        samples: AudioChunk,
        sample_rate: int | None = None,
        channels: int = 1,
        encoding: Encoding | None = None,
    ) -> None:
        """Like ``session.send_audio``: ``sample_rate`` defaults to 8000 for G.711, else 24000."""
        await self._io.send(samples, default_sample_rate(sample_rate, encoding), channels, encoding)

    async def __aenter__(self) -> PushToTalk:
        server = self._hooks.server_session()
        audio_in = getattr(getattr(server, "audio", None), "input", None)
        if getattr(audio_in, "turn_detection", None) not in (None, UNSET):
            raise ConfigurationError(
                "push_to_talk needs turn detection off: "
                "update_session(audio={'input': {'turn_detection': None}}) first"
            )
        if self._interrupt:
            await self._io.interrupt()
        self._start_ms = self._io.sender.sent_ms
        return self

    async def __aexit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self._io.sender.reset()
            if self.sent_ms > 0 and not self._hooks.closed():
                await self._hooks.clear_audio()
            return
        await self._io.sender.flush()
        if self.sent_ms < 100:
            if self.sent_ms > 0:
                await self._hooks.clear_audio()
            return
        self.committed = await self._hooks.commit_audio()
        self.response = await self._hooks.create_response(self._fields)
