"""``TranscriptionSession``: speech to text over the Realtime API, nothing said back.

Theory of operation
-------------------
A transcription session is a realtime connection with another configuration: the URL carries
``intent=transcription`` instead of a model, and the one ``session.update`` sent on connect has
``session.type = "transcription"`` (``RealtimeTranscriptionSessionCreateRequestGA``); the transcription
model is a field of that configuration.  Everything else — the handshake and its typed errors, the
reader, ``send_audio``'s conversion and chunking, pause and resume, close, reconnect — is
``RealtimeSession``'s own, reused through a private subclass (``_Edge``) that changes three things:

- the configuration it sends (on connect, and again on every new connection after a reconnect);
- a reconnect restores no conversation (a transcription session has none to restore);
- every event also goes to a :class:`~realtime_sdk.session._transcript_state.TranscriptBook`, whose
  updates feed ``transcripts()``.

Which models commit how (the 2026-08-21 document): ``gpt-realtime-whisper`` supports no turn detection
(it must be ``null``), so the app commits each piece of audio with ``commit()``; the other transcription
models (``gpt-4o-transcribe``, ``gpt-4o-mini-transcribe``, ``whisper-1``...) default to server VAD, whose
commits come from the server at each pause.  ``prompt`` is not supported with ``gpt-realtime-whisper``.

A reconnect (``reconnect=ReconnectPolicy(...)``) opens a new server session with the same
configuration.  The server forgets the items it had committed but not transcribed yet, so the client
keeps the audio it appended (``_transcript_tape.py``) until each item's transcript is final, and sends the
audio of those items again on the new connection, each committed by hand with VAD off meanwhile (the
app's sends wait at the reconnect gate, so nothing interleaves); the new item ids are mapped back, so the
app sees each item under the id it had.  An item whose audio is no longer kept (``recovery_audio_ms``)
ends with a final update whose ``error.code`` is ``"connection_lost"``.  Audio sent but not committed
when the connection was lost is lost with it.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import aiohttp
import msgspec
from msgspec import UNSET, UnsetType

from .._generated import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionFailed,
    InputAudioBufferAppend,
    InputAudioBufferCleared,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    RealtimeTranscriptionSessionCreateRequestGA,
    SessionUpdate,
    SessionUpdated,
)
from ..audio._sizes import Encoding
from ..audio._sizes import bytes_per_ms as audio_bytes_per_ms
from ..errors import (
    ConfigurationError,
    ConnectionClosed,
    ConnectTimeoutError,
    RealtimeError,
    ServerError,
    TranscriptionFailedError,
)
from ..events import AnyServerEvent
from ..local_events import LocalEvent, Reconnected, SessionEvent
from ..recording import Recorder
from ..types import ServerSession
from ._arguments import check_options
from ._connect import Endpoint
from ._reconnect import ReconnectPolicy
from ._session import DEFAULT_URL, RealtimeSession
from ._streams import EventStream
from ._transcript_state import Transcript, TranscriptBook
from ._transcript_tape import AudioTape

if TYPE_CHECKING:
    from ..audio._formats import AudioChunk

__all__ = ["CLIENT_COMMIT_MODELS", "TranscriptionOptions", "TranscriptionSession"]

log = logging.getLogger("realtime_sdk")

CLIENT_COMMIT_MODELS = frozenset({"gpt-realtime-whisper"})
"""Models with no server VAD (the document: turn detection must be ``null``): the app calls ``commit()``."""

_LOGPROBS = "item.input_audio_transcription.logprobs"


_EXPLICIT = (
    "api_key",
    "model",
    "language",
    "prompt",
    "turn_detection",
    "noise_reduction",
    "include_logprobs",
    "input_format",
    "recovery_audio_ms",
    "base_url",
    "query",
)
"""``TranscriptionSession``'s own keywords, offered as close matches for a misspelt option."""


class TranscriptionOptions(TypedDict, total=False):
    """Connection options of ``TranscriptionSession`` (as ``RealtimeSession``'s of the same names)."""

    start_audio_paused: bool
    audio_chunk_ms: float
    headers: Mapping[str, str] | None
    http: aiohttp.ClientSession | None
    allow_insecure: bool
    connect_timeout: float | None
    request_timeout: float | None
    heartbeat: float | None
    close_timeout: float
    send_timeout: float | None
    max_queued_events: int
    reconnect: ReconnectPolicy | None
    record_to: str | os.PathLike[str] | Recorder | None


def transcription_config(
    *,
    model: str,
    language: str | None,
    prompt: str | None,
    turn_detection: object,
    noise_reduction: str | None,
    include_logprobs: bool,
    input_format: object,
) -> RealtimeTranscriptionSessionCreateRequestGA:
    """The ``session.update`` body of a transcription session; ``ConfigurationError`` for bad values."""
    if model in CLIENT_COMMIT_MODELS:
        if prompt is not None:
            raise ConfigurationError(f"{model} does not support prompt= (the document says so)")
        if turn_detection not in ("auto", None):
            raise ConfigurationError(f"{model} has no server VAD: turn_detection must be None; call commit()")
    transcription: dict[str, Any] = {"model": model}
    if language is not None:
        transcription["language"] = language
    if prompt is not None:
        transcription["prompt"] = prompt
    audio_in: dict[str, Any] = {"transcription": transcription}
    if turn_detection == "auto":
        if model in CLIENT_COMMIT_MODELS:
            audio_in["turn_detection"] = None
    else:
        if isinstance(turn_detection, msgspec.Struct):
            turn_detection = msgspec.to_builtins(turn_detection)
        audio_in["turn_detection"] = turn_detection
    if noise_reduction is not None:
        audio_in["noise_reduction"] = {"type": noise_reduction}
    if input_format is not None:
        if isinstance(input_format, msgspec.Struct):
            input_format = msgspec.to_builtins(input_format)
        audio_in["format"] = input_format
    body: dict[str, Any] = {"type": "transcription", "audio": {"input": audio_in}}
    if include_logprobs:
        body["include"] = [_LOGPROBS]
    try:
        return msgspec.convert(body, RealtimeTranscriptionSessionCreateRequestGA)
    except msgspec.ValidationError as exc:
        raise ConfigurationError(f"invalid transcription session: {exc}") from None


class _Edge(RealtimeSession):
    """``RealtimeSession`` configured and restored as a transcription session (see the module doc)."""

    _transcription: RealtimeTranscriptionSessionCreateRequestGA
    _transcript_book: TranscriptBook
    _transcripts: EventStream[Transcript]
    _lost: list[Transcript]
    _tape: AudioTape
    _recover: list[tuple[str, bytes]]
    """Items of a lost connection whose audio goes again on the next one: (app item id, wire audio)."""
    _recovery_commits: deque[str]
    """The app item ids of the recovery commits sent and not acknowledged yet, in order."""

    def _init_transcription(self, config: RealtimeTranscriptionSessionCreateRequestGA, maxsize: int) -> None:
        self._transcription = config
        self._transcript_book = TranscriptBook()
        self._transcripts = EventStream(maxsize, name="transcripts")
        self._lost = []
        self._tape = AudioTape()
        self._recover = []
        self._recovery_commits = deque()

    async def connect(self) -> None:
        await super().connect()
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._resend_configuration()
        except TimeoutError:
            await self._abort()
            raise ConnectTimeoutError(
                f"the transcription session was not configured within {self._connect_timeout} s", status=None
            ) from None
        except BaseException:
            await self._abort()
            raise

    async def _configure(self, config: RealtimeTranscriptionSessionCreateRequestGA) -> None:
        updated = await self._wire.request(SessionUpdate(session=config), ("session.updated",), gated=False)
        assert isinstance(updated, SessionUpdated)

    async def _resend_configuration(self) -> None:
        if not self._recover:
            await self._configure(self._transcription)
            return
        # The lost items' audio, each committed by hand (VAD off meanwhile, so that the server cuts it
        # exactly as before); the app's own sends wait at the reconnect gate until this is done.
        manual = _without_vad(self._transcription)
        await self._configure(manual)
        bytes_per_ms = audio_bytes_per_ms(self._audio_io.input_format())
        piece = int(1000 * bytes_per_ms)
        while self._recover:
            item_id, pcm = self._recover[0]
            for start in range(0, len(pcm), piece):
                chunk = pcm[start : start + piece]
                await self._wire.send(InputAudioBufferAppend(audio=chunk), gated=False)
                self._tape.appended(chunk, bytes_per_ms)
            self._tape.commit_sent()
            self._recovery_commits.append(item_id)
            try:
                await self._wire.request(
                    InputAudioBufferCommit(), ("input_audio_buffer.committed",), gated=False
                )
            except ServerError as exc:  # too little audio to commit, say: that item cannot be recovered
                self._tape.commit_refused()
                if self._recovery_commits and self._recovery_commits[-1] == item_id:
                    self._recovery_commits.pop()
                failure = TranscriptionFailedError(exc.message, item_id=item_id, code=exc.code, type=exc.type)
                update = self._transcript_book.fail(item_id, failure)
                if update is not None:
                    self._lost.append(update)
            self._recover.pop(0)
        if manual != self._transcription:
            await self._configure(self._transcription)

    async def _create_items(self, events: list[Any], *, gated: bool) -> None:
        # A transcription session has no conversation to restore after a reconnect (nor history).
        return None

    async def append_audio(self, audio: bytes) -> None:
        await super().append_audio(audio)
        self._tape.appended(audio, audio_bytes_per_ms(self._audio_io.input_format()))

    def _dispatch_nowait(self, event: AnyServerEvent) -> bool:
        return False  # every event also goes to the transcript book, after the session's steps

    async def _dispatch(self, event: AnyServerEvent) -> None:
        if isinstance(event, InputAudioBufferCommitted) and self._recovery_commits:
            self._transcript_book.alias(event.item_id, self._recovery_commits.popleft())
        await super()._dispatch(event)
        self._track(event)
        update = self._transcript_book.observe(event)
        if update is not None:
            await self._transcripts.put(update)

    def _track(self, event: AnyServerEvent) -> None:
        """Where each item's audio lies on the tape (for a reconnect to send it again)."""
        tape = self._tape
        if isinstance(event, InputAudioBufferSpeechStarted):
            tape.speech(event.item_id, start_ms=event.audio_start_ms)
        elif isinstance(event, InputAudioBufferSpeechStopped):
            tape.speech(event.item_id, end_ms=event.audio_end_ms)
        elif isinstance(event, InputAudioBufferCommitted):
            tape.committed(event.item_id)
        elif isinstance(event, InputAudioBufferCleared):
            tape.cleared()
        elif isinstance(
            event,
            ConversationItemInputAudioTranscriptionCompleted | ConversationItemInputAudioTranscriptionFailed,
        ):
            tape.done(event.item_id)

    def _connection_lost(self, closed: ConnectionClosed) -> tuple[str, ...]:
        lost = super()._connection_lost(closed)
        book = self._transcript_book
        pending = list(self._recover)
        waiting = {item_id for item_id, _ in pending}
        self._recovery_commits.clear()
        for wire_id, pcm in self._tape.lost().items():
            item_id = book.resolve(wire_id)
            current = book.get(item_id)
            if pcm and current is not None and not current.final and item_id not in waiting:
                pending.append((item_id, pcm))
                waiting.add(item_id)
        self._recover = pending
        self._lost += book.connection_lost(frozenset(waiting))
        for item_id in waiting:
            book.recovering(item_id)
        return lost

    async def _emit(self, event: LocalEvent) -> None:
        if isinstance(event, Reconnected):
            lost, self._lost = self._lost, []
            for update in lost:
                await self._transcripts.put(update)
        await super()._emit(event)

    def _shutdown(self, exc: RealtimeError) -> None:
        super()._shutdown(exc)
        self._transcript_book.fail_all(exc)
        # Closed by the app: transcripts() ends cleanly once it has read what arrived.
        self._transcripts.close(None if self._closing else exc)


def _without_vad(
    config: RealtimeTranscriptionSessionCreateRequestGA,
) -> RealtimeTranscriptionSessionCreateRequestGA:
    body = msgspec.to_builtins(config)
    body.setdefault("audio", {}).setdefault("input", {})["turn_detection"] = None
    return msgspec.convert(body, RealtimeTranscriptionSessionCreateRequestGA)


class TranscriptionSession:
    """A transcription-only session.  ``async with TranscriptionSession(...) as t:``.

    ::

        async with TranscriptionSession(model="gpt-4o-mini-transcribe", language="en") as t:
            await t.send_audio(pcm16, sample_rate=16000)
            async for tr in t.transcripts():
                print(tr.text if tr.final else tr.delta)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        model: str = "gpt-realtime-whisper",
        language: str | None = None,
        prompt: str | None = None,
        turn_detection: Any = "auto",
        noise_reduction: Literal["near_field", "far_field"] | None = None,
        include_logprobs: bool = False,
        input_format: Any = None,
        recovery_audio_ms: float = 600_000.0,
        base_url: str = DEFAULT_URL,
        query: Mapping[str, str] | None = None,
        **options: Unpack[TranscriptionOptions],
    ) -> None:
        """Configure (not open) a transcription session.

        ``model`` is the transcription model (a field of the configuration, not of the URL); ``language``
        (ISO-639-1, e.g. ``"en"``) and ``prompt`` guide it.  ``turn_detection``: ``"auto"`` (the model's
        way: none for ``gpt-realtime-whisper``, the server's VAD for the others), ``None`` (the app
        commits), or a ``TurnDetection`` / dict.  ``noise_reduction``: ``"near_field"`` or ``"far_field"``.
        ``include_logprobs`` adds log probabilities to every ``Transcript``.  ``input_format`` (a
        ``PCMAudioFormat``... or dict) is the wire format ``send_audio`` converts to (24 kHz PCM16 unless
        given).  ``recovery_audio_ms`` bounds the audio kept for a reconnect to send again (items whose
        transcript is not final yet; 0: none is kept).  ``api_key`` falls back to ``OPENAI_API_KEY``.  The other options are
        ``RealtimeSession``'s (``reconnect=``, ``connect_timeout=``, ``start_audio_paused=``...).
        Bad values raise ``ConfigurationError`` here.
        """
        self._settings: dict[str, Any] = {
            "model": model,
            "language": language,
            "prompt": prompt,
            "turn_detection": turn_detection,
            "noise_reduction": noise_reduction,
            "include_logprobs": include_logprobs,
            "input_format": input_format,
        }
        config = transcription_config(**self._settings)
        params = dict(query or {})
        params.setdefault("intent", "transcription")
        check_options(
            options,
            [*TranscriptionOptions.__annotations__, *_EXPLICIT],
            "TranscriptionSession()",
        )
        edge = _Edge.__new__(_Edge)
        edge._setup(Endpoint.openai(base_url, api_key=api_key, query=params), **options)
        if recovery_audio_ms < 0:
            raise ConfigurationError(f"recovery_audio_ms must not be negative, not {recovery_audio_ms!r}")
        edge._init_transcription(config, options.get("max_queued_events", 2048))
        edge._tape.limit_ms = recovery_audio_ms
        self._edge = edge
        self.model = model
        """The transcription model."""
        self.commits_by_client = _turn_detection_off(config)
        """Whether the app commits the audio (``commit()``): no server VAD in this configuration."""

    def __repr__(self) -> str:
        return f"<TranscriptionSession model={self.model} {self._edge!r}>"

    async def update_session(
        self,
        *,
        model: str | UnsetType = UNSET,
        language: str | UnsetType | None = UNSET,
        prompt: str | UnsetType | None = UNSET,
        turn_detection: Any = UNSET,
        noise_reduction: Literal["near_field", "far_field"] | UnsetType | None = UNSET,
        include_logprobs: bool | UnsetType = UNSET,
    ) -> ServerSession:
        """Change the configuration (the constructor's arguments of the same names; those not given stay).

        Returns the session as ``session.updated`` confirms it; ``ConfigurationError`` for values the
        document rules out, ``ServerError`` when the server refuses.  A later reconnect sends the new
        configuration.
        """
        given = {
            "model": model,
            "language": language,
            "prompt": prompt,
            "turn_detection": turn_detection,
            "noise_reduction": noise_reduction,
            "include_logprobs": include_logprobs,
        }
        settings = {**self._settings, **{k: v for k, v in given.items() if v is not UNSET}}
        if (
            settings["turn_detection"] == "auto"
            and settings["model"] not in CLIENT_COMMIT_MODELS
            and self.commits_by_client
        ):
            # Leaving a model without VAD: "auto" means the server's VAD, and an update that left
            # turn_detection out would keep it off.
            settings["turn_detection"] = {"type": "server_vad"}
        config = transcription_config(**settings)
        edge = self._edge

        def confirmed(_: object) -> None:
            edge._transcription = config
            self._settings = settings
            self.model = settings["model"]
            self.commits_by_client = _turn_detection_off(config)

        updated = await edge._wire.request(
            SessionUpdate(session=config), ("session.updated",), retry=True, on_result=confirmed
        )
        assert isinstance(updated, SessionUpdated)
        return updated.session

    async def __aenter__(self) -> TranscriptionSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Handshake (``?intent=transcription``), ``session.created``, the configuration, ``session.updated``."""
        await self._edge.connect()

    async def close(self) -> None:
        """Close the connection; ``transcripts()`` ends after what already arrived.  Safe to call twice."""
        await self._edge.close()

    @property
    def closed(self) -> bool:
        """Whether the session has ended (closed, or its connection lost for good)."""
        return self._edge.closed

    @property
    def server_session(self) -> ServerSession | None:
        """The session as the server last described it."""
        return self._edge.server_session

    # -- audio ---------------------------------------------------------------------------------------

    async def send_audio(
        self,
        samples: AudioChunk,
        sample_rate: int | None = None,
        channels: int = 1,
        encoding: Encoding | None = None,
    ) -> None:
        """Send audio in any format ``RealtimeSession.send_audio`` takes; converted and chunked the same way."""
        await self._edge.send_audio(samples, sample_rate, channels, encoding)

    async def flush_audio(self) -> None:
        """Send what ``send_audio`` still holds back (resampler tail, partial chunk)."""
        await self._edge.flush_audio()

    def pause_audio(self) -> None:
        """Mute: ``send_audio`` drops its input until ``resume_audio`` (``flush_audio()`` first to keep
        what is held back)."""
        self._edge.pause_audio()

    def resume_audio(self) -> None:
        """Unmute ``send_audio`` after ``pause_audio``."""
        self._edge.resume_audio()

    @property
    def audio_paused(self) -> bool:
        """Whether ``send_audio`` drops its input (``start_audio_paused``, ``pause_audio``)."""
        return self._edge.audio_paused

    async def commit(self) -> str:
        """Commit the audio sent since the last commit as one item; returns its item id.

        Needed with ``gpt-realtime-whisper`` (no server VAD) or ``turn_detection=None``; with server VAD
        the server commits at each pause by itself.  Raises ``ServerError`` when the buffer holds too
        little audio (the server's ``input_audio_buffer_commit_empty``).
        """
        edge = self._edge
        await edge.flush_audio()
        edge._tape.commit_sent()  # where this item ends, should it have to be sent again
        try:
            committed = await edge.commit_audio()
        except ServerError:
            edge._tape.commit_refused()
            raise
        return committed.item_id

    async def clear(self) -> None:
        """Discard the audio sent since the last commit."""
        await self._edge.clear_audio()

    # -- transcripts ---------------------------------------------------------------------------------

    def transcripts(self) -> AsyncIterator[Transcript]:
        """Every ``Transcript`` update, in order: one per delta and a ``final`` one per item.

        Updates that arrive before anything iterates are kept (up to ``max_queued_events``).  Ends when
        the session is closed; a connection that ends otherwise raises its ``ConnectionClosed``.
        """
        return aiter(self._edge._transcripts)

    async def transcript(self, item_id: str, *, timeout: float | None = 30.0) -> Transcript:  # noqa: ASYNC109
        """The final transcript of ``item_id`` (at once when it has arrived already).

        Raises ``TranscriptionFailedError`` when transcription failed, ``RequestTimeoutError`` after
        ``timeout`` seconds, ``ConnectionClosed`` when the session ends first.
        """
        if self._edge.closed:
            known = self._edge._transcript_book.get(item_id)
            if known is None or not known.final:
                raise self._edge._wire.closed or ConnectionClosed(None, "closed")
        return await self._edge._transcript_book.wait(item_id, timeout)

    def events(self) -> AsyncIterator[SessionEvent]:
        """Every server event (and the SDK's own, such as ``Reconnected``), as ``async for event in
        session`` yields them on a ``RealtimeSession``."""
        return aiter(self._edge)


def _turn_detection_off(config: RealtimeTranscriptionSessionCreateRequestGA) -> bool:
    audio = config.audio
    audio_in = getattr(audio, "input", None)
    return getattr(audio_in, "turn_detection", msgspec.UNSET) is None
