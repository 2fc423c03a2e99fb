"""The session's audio pipeline: sending, output streams, the playback clock and interruption.

Theory of operation
-------------------
One :class:`AudioIO` per session, fed every server event by the reader (``on_event``, after the
conversation has seen the event).  It owns the :class:`~realtime_sdk._audio_send.AudioSender` (the send
path), the registered :class:`~realtime_sdk._audio_out.OutputAudioStream` s and playback trackers.

Interruption (``session.interrupt()``, or server VAD's ``input_audio_buffer.speech_started`` while the
session's turn detection has ``interrupt_response`` on) runs in one synchronous step, so no event can slip
in between: trackers report what the player consumed; ``Conversation.interrupt`` decides what to send (its
docstring has the rules: ``audio_end_ms`` = what was heard, never more than received, no truncate below
1 ms or after a part fully played, ``response.cancel`` only when the server VAD will not cancel); every
stream drops its queued audio and queues an :class:`~realtime_sdk._audio_out.AudioInterrupted` marker;
``on_interrupt`` callbacks run; later audio of the interrupted response is dropped on arrival.  Then the
events are sent, in order.  On a sideband, while the call plays a response, ``_call_audio.py`` decides
instead (``output_audio_buffer.clear`` and a truncate at the call's playback clock).  From the reader the sends are fire-and-forget (a reader cannot wait for its own
acknowledgements); their errors, if any, would arrive as ``error`` events like any other.

The local transcript is cut by the conversation: to the proportion of audio heard, back to a word
boundary (``heard / received`` of the characters; speech rate is not constant, so this is approximate).
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

from msgspec import UNSET

from .._generated import (
    ConversationItemDelete,
    ConversationItemTruncate,
    InputAudioBufferSpeechStarted,
    ResponseCreated,
    ResponseDone,
    ResponseOutputAudioDelta,
    ResponseOutputAudioDone,
)
from ..audio._sizes import AUDIO_FORMATS, AudioFormat, Encoding, Quality, default_sample_rate
from ..errors import ConfigurationError, ConnectionClosed, RealtimeError
from ..events import AnyServerEvent, ClientEvent
from ._audio_out import DEFAULT_MAX_BUFFERED_SECONDS, AudioInterrupted, OutputAudioStream, PlaybackTracker
from ._audio_send import DEFAULT_CHUNK_MS, AudioSender
from ._call_audio import CallAudio

if TYPE_CHECKING:
    from .._generated import InputAudioBufferCommitted, RealtimeResponseCreateParams
    from ..audio._formats import AudioChunk
    from ..conversation import Conversation
    from ..types import ServerSession
    from ._handlers import HandlerRegistry
    from ._responses import ResponseHandle


class AudioHost(Protocol):
    """What the audio pipeline and a push-to-talk turn need from the session (never the session itself)."""

    conversation: Conversation
    server_session: ServerSession | None
    _handlers: HandlerRegistry

    @property
    def closed(self) -> bool: ...
    async def send(self, event: ClientEvent) -> str: ...
    async def append_audio(self, audio: bytes) -> None: ...
    async def clear_audio(self) -> None: ...
    async def commit_audio(self) -> InputAudioBufferCommitted: ...
    async def input_transcript(
        self,
        item_id: str,
        *,
        content_index: int = 0,
        timeout: float | None = 30.0,  # noqa: ASYNC109 - the session's own signature
    ) -> str: ...
    async def create_response(
        self,
        params: RealtimeResponseCreateParams | None = None,
        *,
        on_active: Literal["wait", "raise"] | None = None,
        **fields: Any,
    ) -> ResponseHandle: ...


__all__ = ["AudioIO", "PushToTalk"]

log = logging.getLogger("realtime_sdk")

InterruptCallback = Callable[[AudioInterrupted], Any]


def _format_of(fmt: object) -> AudioFormat | None:
    kind = getattr(fmt, "type", None)
    return cast(AudioFormat, kind) if kind in AUDIO_FORMATS else None


class AudioIO:
    def __init__(
        self, session: AudioHost, *, chunk_ms: float = DEFAULT_CHUNK_MS, start_paused: bool = False
    ) -> None:
        self._session = session
        self.sender = AudioSender(self._append, self.input_format, chunk_ms=chunk_ms, paused=start_paused)
        self._streams: weakref.WeakSet[OutputAudioStream] = weakref.WeakSet()
        # What the reader walks on every audio delta: iterating a WeakSet costs ~1.5 µs, a tuple of
        # weak references a tenth of that.  Rebuilt when a stream is added or closed; a stream collected
        # without close() leaves a dead reference here until then, which is skipped.
        self._stream_refs: tuple[weakref.ref[OutputAudioStream], ...] = ()
        self._trackers: weakref.WeakSet[PlaybackTracker] = weakref.WeakSet()
        self._callbacks: list[InterruptCallback] = []
        self._formats: dict[str, AudioFormat] = {}
        self._cut_responses: set[str] = set()
        self._closed: BaseException | None = None
        self.call = CallAudio()
        """On a sideband: the call's playback clock, from ``output_audio_buffer.*`` (``_call_audio.py``)."""

    # -- formats -----------------------------------------------------------------------------------

    def _audio_config(self, direction: str) -> object:
        audio = getattr(self._session.server_session, "audio", None)
        return getattr(getattr(audio, direction, None), "format", None)

    def input_format(self) -> AudioFormat:
        """The session's input format as the server last confirmed it (``audio/pcm`` before that)."""
        return _format_of(self._audio_config("input")) or "audio/pcm"

    def output_format(self, response_id: str | None = None) -> AudioFormat:
        if response_id is not None and response_id in self._formats:
            return self._formats[response_id]
        return _format_of(self._audio_config("output")) or "audio/pcm"

    # -- sending -----------------------------------------------------------------------------------

    async def _append(self, chunk: bytes) -> None:
        await self._session.append_audio(chunk)

    async def send(
        self, samples: AudioChunk, sample_rate: int, channels: int, encoding: Encoding | None
    ) -> None:
        if self._session.server_session is None:
            raise ConnectionClosed(None, "not connected")
        await self.sender.send(samples, sample_rate, channels, encoding)

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
            report=self._report,
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
        tracker = PlaybackTracker(sample_rate, encoding, channels, report=self._report)
        self._trackers.add(tracker)
        return tracker

    def _report(self, item_id: str, ms: float, content_index: int) -> None:
        self._session.conversation.mark_played(item_id, ms, content_index)

    def on_interrupt(self, callback: InterruptCallback) -> None:
        self._callbacks.append(callback)

    WANTS = frozenset(
        {
            "response.output_audio.delta",
            "response.output_audio.done",
            "response.created",
            "response.done",
            "input_audio_buffer.speech_started",
            "output_audio_buffer.started",
            "output_audio_buffer.stopped",
            "output_audio_buffer.cleared",
        }
    )
    """The event types ``on_event`` (and the call's audio, ``CallAudio.on_event``) read."""

    async def on_event(self, event: AnyServerEvent) -> None:
        """Called by the reader for the ``WANTS`` events, after the conversation has applied them."""
        self.call.on_event(event)
        if isinstance(event, ResponseOutputAudioDelta):
            if event.response_id in self._cut_responses or not event.delta:
                return
            if not self._stream_refs:
                return
            wire = self.output_format(event.response_id)
            for ref in self._stream_refs:
                stream = ref()
                if stream is not None:
                    stream._audio(event.response_id, event.item_id, event.content_index, wire, event.delta)
        elif isinstance(event, ResponseOutputAudioDone):
            for stream in list(self._streams):
                stream._audio_done(event.response_id, event.item_id, event.content_index)
        elif isinstance(event, ResponseCreated):
            rid = event.response.id
            audio = getattr(event.response, "audio", None)
            fmt = _format_of(getattr(getattr(audio, "output", None), "format", None))
            if isinstance(rid, str) and fmt is not None:
                self._formats[rid] = fmt
        elif isinstance(event, ResponseDone):
            rid = event.response.id
            if isinstance(rid, str):
                for stream in list(self._streams):
                    stream._audio_done(rid)
                self._formats.pop(rid, None)
                self._cut_responses.discard(rid)  # no audio comes after response.done
        elif isinstance(event, InputAudioBufferSpeechStarted):
            if self._session.conversation.vad_interrupts:
                await self.interrupt(from_reader=True)

    # -- interruption ------------------------------------------------------------------------------

    def cut(
        self,
        played_ms: Mapping[str, float] | None = None,
        cancel: bool | None = None,
        *,
        from_reader: bool = False,
    ) -> tuple[list[ClientEvent], AudioInterrupted | None]:
        """The synchronous part of an interruption: state, streams and callbacks; returns what to send."""
        conversation = self._session.conversation
        if self.call.playing is not None:  # a sideband: the audio plays on the call, not through streams
            events, marker = self.call.cut(conversation, cancel=cancel, send=not from_reader)
            if marker.response_id is not None:
                self._cut_responses.add(marker.response_id)
            for callback in self._callbacks:
                self._session._handlers._run(callback, (marker,))
            return events, marker
        for tracker in list(self._trackers):
            tracker.sync()
        active = conversation.active_response
        events = conversation.interrupt(played_ms, cancel=cancel)
        truncate = next((e for e in events if isinstance(e, ConversationItemTruncate)), None)
        delete = next((e for e in events if isinstance(e, ConversationItemDelete)), None)
        if active is None and truncate is None and delete is None:
            return events, None
        if active is not None:
            self._cut_responses.add(active.id)
        item_id = content_index = audio_end_ms = None
        if truncate is not None:
            item_id, content_index, audio_end_ms = (
                truncate.item_id,
                truncate.content_index,
                truncate.audio_end_ms,
            )
        elif delete is not None:
            item_id, content_index, audio_end_ms = delete.item_id, 0, 0
        item = conversation.item(item_id) if item_id is not None else None
        response_id = item.response_id if item is not None else (active.id if active else None)
        marker = AudioInterrupted(response_id, item_id, content_index, audio_end_ms)
        for stream in list(self._streams):
            stream._interrupted(marker)
        for tracker in list(self._trackers):
            tracker.flush()
        for callback in self._callbacks:
            self._session._handlers._run(callback, (marker,))
        return events, marker

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
                await self._session.send(event)
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

    def __init__(
        self, session: AudioHost, io: AudioIO, *, interrupt: bool, response_fields: dict[str, Any]
    ) -> None:
        self._session = session
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
        return await self._session.input_transcript(self.committed.item_id, timeout=timeout)

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
        server = self._session.server_session
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
            if self.sent_ms > 0 and not self._session.closed:
                await self._session.clear_audio()
            return
        await self._io.sender.flush()
        if self.sent_ms < 100:
            if self.sent_ms > 0:
                await self._session.clear_audio()
            return
        self.committed = await self._session.commit_audio()
        self.response = await self._session.create_response(**self._fields)
