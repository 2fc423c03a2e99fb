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
configuration.  Transcripts that arrived stay delivered; an item the old connection committed but had
not transcribed yet ends with a final update whose ``error.code`` is ``"connection_lost"`` (the server
forgot it); audio not yet committed is lost with the connection.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, TypedDict, Unpack

import aiohttp
import msgspec

from .._generated import RealtimeTranscriptionSessionCreateRequestGA, SessionUpdate, SessionUpdated
from ..audio import AudioChunk, Encoding
from ..errors import ConfigurationError, ConnectionClosed, ConnectTimeoutError, RealtimeError
from ..events import AnyServerEvent
from ..local_events import LocalEvent, Reconnected, SessionEvent
from ..recording import Recorder
from ..types import ServerSession
from ._connect import Endpoint
from ._reconnect import ReconnectPolicy
from ._session import DEFAULT_URL, RealtimeSession
from ._streams import EventStream
from ._transcript_state import Transcript, TranscriptBook

__all__ = ["CLIENT_COMMIT_MODELS", "TranscriptionOptions", "TranscriptionSession"]

log = logging.getLogger("realtime_sdk")

CLIENT_COMMIT_MODELS = frozenset({"gpt-realtime-whisper"})
"""Models with no server VAD (the document: turn detection must be ``null``): the app calls ``commit()``."""

_LOGPROBS = "item.input_audio_transcription.logprobs"


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

    async def _resend_configuration(self) -> None:
        updated = await self._request(
            SessionUpdate(session=self._transcription), ("session.updated",), gated=False
        )
        assert isinstance(updated, SessionUpdated)

    async def _create_items(self, events: list[Any], *, gated: bool) -> None:
        # A transcription session has no conversation to restore after a reconnect (nor history).
        return None

    async def _dispatch(self, event: AnyServerEvent) -> None:
        await super()._dispatch(event)
        update = self._transcript_book.observe(event)
        if update is not None:
            await self._transcripts.put(update)

    def _connection_lost(self, closed: ConnectionClosed) -> tuple[str, ...]:
        lost = super()._connection_lost(closed)
        self._lost += self._transcript_book.connection_lost()
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
        given).  ``api_key`` falls back to ``OPENAI_API_KEY``.  The other options are
        ``RealtimeSession``'s (``reconnect=``, ``connect_timeout=``, ``start_audio_paused=``...).
        Bad values raise ``ConfigurationError`` here.
        """
        config = transcription_config(
            model=model,
            language=language,
            prompt=prompt,
            turn_detection=turn_detection,
            noise_reduction=noise_reduction,
            include_logprobs=include_logprobs,
            input_format=input_format,
        )
        params = dict(query or {})
        params.setdefault("intent", "transcription")
        edge = _Edge.__new__(_Edge)
        edge._setup(Endpoint.openai(base_url, api_key=api_key, query=params), **options)
        edge._transcription = config
        edge._transcript_book = TranscriptBook()
        edge._transcripts = EventStream(options.get("max_queued_events", 2048), name="transcripts")
        edge._lost = []
        self._edge = edge
        self.model = model
        """The transcription model."""
        self.commits_by_client = config.audio is not msgspec.UNSET and _turn_detection_off(config)
        """Whether the app commits the audio (``commit()``): no server VAD in this configuration."""

    def __repr__(self) -> str:
        return f"<TranscriptionSession model={self.model} {self._edge!r}>"

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
        committed = await self._edge.commit_audio()
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
                raise self._edge._closed or ConnectionClosed(None, "closed")
        return await self._edge._transcript_book.wait(item_id, timeout)

    def events(self) -> AsyncIterator[SessionEvent]:
        """Every server event (and the SDK's own, such as ``Reconnected``), as ``async for event in
        session`` yields them on a ``RealtimeSession``."""
        return aiter(self._edge)


def _turn_detection_off(config: RealtimeTranscriptionSessionCreateRequestGA) -> bool:
    audio = config.audio
    audio_in = getattr(audio, "input", None)
    return getattr(audio_in, "turn_detection", msgspec.UNSET) is None
