"""``TranslationSession``: live speech translation (``/v1/realtime/translations``).

Theory of operation
-------------------
A translation session speaks its own protocol (the document's ``RealtimeTranslationClientEvent`` and
``RealtimeTranslationServerEvent``, decoded by ``events.decode_translation``): the client appends audio,
the server streams back translated audio and two transcripts (what was said, what it was translated
to); there are no items, responses or commits.  So it has its own small reader, but the edge around it
is the realtime session's: ``Endpoint`` and ``open_websocket`` (the handshake, the typed connect errors,
no redirects, clear-text checks), ``AudioSender`` (any input converted, cut into chunks, pause and
resume) and ``OutputAudioStream`` (audio converted for a player).

What the document says of the audio, and what the SDK does about it:

- input is 24 kHz PCM16 mono only: ``send_audio`` converts anything to it;
- the engine consumes 200 ms frames: appends carry exactly 200 ms (``FRAME_MS``);
- audio resumed after a gap is taken as contiguous with what came before, so silence should keep
  flowing while the session is active: with ``keep_alive_silence`` (default) a timer appends a frame of
  silence whenever the app has sent nothing for a frame's time (paused, or simply quiet), at real-time
  pace;
- ``session.close`` makes the server flush the input it holds and the output still to come, then send
  ``session.closed`` and close: ``close()`` sends what ``send_audio`` still holds back, then
  ``session.close``, and returns once ``session.closed`` arrived and the socket closed (at most
  ``close_timeout`` seconds; after that the connection is dropped and ``flushed`` stays ``False``).

The service reports no usage for translation; ``usage`` meters what was sent (input audio seconds, the
keep-alive silence counted apart as well).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import msgspec
from yarl import URL

from .._generated import (
    Error,
    RealtimeTranslationSession,
    RealtimeTranslationSessionUpdateRequest,
    TranslationSessionClose,
    TranslationSessionClosed,
    TranslationSessionCreated,
    TranslationSessionInputAudioBufferAppend,
    TranslationSessionInputTranscriptDelta,
    TranslationSessionOutputAudioDelta,
    TranslationSessionOutputTranscriptDelta,
    TranslationSessionUpdate,
    TranslationSessionUpdated,
)
from ..audio._sizes import Encoding, Quality, default_sample_rate
from ..errors import (
    ConfigurationError,
    ConnectionClosed,
    ConnectTimeoutError,
    RealtimeError,
    RequestTimeoutError,
    SendTimeoutError,
    ServerError,
)
from ..events import AnyTranslationServerEvent, TranslationClientEvent, decode_translation, encode
from ._audio_out import OutputAudioStream
from ._audio_send import AudioSender
from ._client_secrets import ClientSecret, mint_secret
from ._connect import Endpoint, abort, check_transport, has_credential_header, open_websocket
from ._streams import EventStream

if TYPE_CHECKING:
    from ..audio._formats import AudioChunk

__all__ = [
    "DEFAULT_TRANSLATION_URL",
    "FRAME_MS",
    "TranslationSession",
    "TranslationTranscript",
    "TranslationUsage",
    "create_translation_client_secret",
    "translation_update",
]

log = logging.getLogger("realtime_sdk")

DEFAULT_TRANSLATION_URL = "wss://api.openai.com/v1/realtime/translations"
FRAME_MS = 200
"""The engine's frame: every append carries 200 ms of 24 kHz PCM16 mono."""
_RATE = 24_000
_SILENCE = bytes(_RATE * 2 * FRAME_MS // 1000)
_OUTPUT_ID = "translation"
"""``OutputAudioChunk.item_id`` of translated audio (the protocol has no items)."""


@dataclass(frozen=True, slots=True)
class TranslationTranscript:
    """A piece of one of the session's two transcripts: what was said, or what it was translated to."""

    source: Literal["input", "output"]
    """``"input"``: the speaker's words (needs ``input_transcription``); ``"output"``: the translation."""
    text: str
    """This transcript so far."""
    delta: str
    """What this update added (empty on the final update)."""
    final: bool
    """The session has closed: ``text`` is the whole transcript and no more updates follow."""
    elapsed_ms: int | None
    """Where in the session's audio this text belongs, in ms, as the server reports it."""


@dataclass(slots=True)
class TranslationUsage:
    """What the session sent (the service reports no usage for translation sessions)."""

    input_audio_seconds: float = 0.0
    """Seconds of audio appended, keep-alive silence included (what the engine consumed)."""
    silence_seconds: float = 0.0
    """Of those, seconds of keep-alive silence the SDK appended while the app sent nothing."""


def translation_update(
    *,
    output_language: str | None = None,
    input_transcription: str | Mapping[str, Any] | bool | None = False,
    noise_reduction: str | bool | None = False,
) -> RealtimeTranslationSessionUpdateRequest:
    """The ``session.update`` body for the fields a translation session may change.

    ``output_language`` (e.g. ``"es"``); ``input_transcription``: a transcription model name (or a
    ``{"model": ...}`` dict) to get the speaker's own words, ``None`` to stop them; ``noise_reduction``:
    ``"near_field"``, ``"far_field"`` or ``None`` (off).  ``False`` (the default) leaves a field as it is.
    """
    audio: dict[str, dict[str, Any]] = {}
    if output_language is not None:
        audio["output"] = {"language": output_language}
    if input_transcription is not False:
        if isinstance(input_transcription, str):
            input_transcription = {"model": input_transcription}
        audio.setdefault("input", {})["transcription"] = input_transcription
    if noise_reduction is not False:
        value = {"type": noise_reduction} if isinstance(noise_reduction, str) else noise_reduction
        audio.setdefault("input", {})["noise_reduction"] = value
    try:
        return msgspec.convert({"audio": audio} if audio else {}, RealtimeTranslationSessionUpdateRequest)
    except msgspec.ValidationError as exc:
        raise ConfigurationError(f"invalid translation session update: {exc}") from None


def _translation_url(base_url: str) -> str:
    # ``**server.session_options()`` and ``openai_or_local`` give the realtime URL: translations live under it.
    url = URL(base_url)
    if url.path.rstrip("/").endswith("/realtime"):
        return str(url.with_path(url.path.rstrip("/") + "/translations"))
    return base_url


class TranslationSession:
    """Live translation.  ``async with TranslationSession(output_language="es") as session:``.

    ::

        async with TranslationSession(output_language="fr") as session:
            out = session.output_audio(sample_rate=16000)
            await session.send_audio(pcm16, sample_rate=16000)
            await session.close()  # flushes: every translated chunk is in ``out`` now
            async for chunk in out:
                player.write(chunk.data)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        model: str = "gpt-realtime-translate",
        output_language: str | None = None,
        input_transcription: str | None = None,
        noise_reduction: Literal["near_field", "far_field"] | None = None,
        keep_alive_silence: bool = True,
        base_url: str = DEFAULT_TRANSLATION_URL,
        query: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        http: aiohttp.ClientSession | None = None,
        allow_insecure: bool = False,
        connect_timeout: float | None = 20.0,
        request_timeout: float | None = 30.0,
        close_timeout: float | None = 30.0,
        heartbeat: float | None = 20.0,
        send_timeout: float | None = 5.0,
        max_queued_events: int = 2048,
    ) -> None:
        """Configure (not open) a translation session.

        ``output_language`` is the language to translate into (the server's default when ``None``);
        ``input_transcription`` a transcription model name to also get the speaker's words
        (``transcripts()`` with ``source="input"``); ``noise_reduction`` ``"near_field"`` or
        ``"far_field"``.  ``keep_alive_silence`` appends silence while the app sends nothing (see the
        module doc); ``False`` leaves the gaps to the app.  ``base_url``: the translations endpoint; a
        URL ending in ``/realtime`` (a ``RealtimeSession``'s, or ``**server.session_options()``) gets
        ``/translations`` added.  ``close_timeout`` bounds ``close()`` including the server's flush
        (``None``: as long as it takes).  The others are as in ``RealtimeSession``.
        """
        self._endpoint = Endpoint.openai(
            _translation_url(base_url), api_key=api_key, model=model, query=query
        )
        self._headers = dict(headers or {})
        credential = self._endpoint.has_credential or has_credential_header(self._headers)
        check_transport(self._endpoint.url, has_credential=credential, allow_insecure=allow_insecure)
        for name, value in (
            ("connect_timeout", connect_timeout),
            ("request_timeout", request_timeout),
            ("close_timeout", close_timeout),
            ("send_timeout", send_timeout),
        ):
            if value is not None and not value > 0:
                raise ConfigurationError(
                    f"{name} must be a positive number of seconds or None, not {value!r}"
                )
        self._initial = translation_update(
            output_language=output_language,
            input_transcription=input_transcription if input_transcription is not None else False,
            noise_reduction=noise_reduction if noise_reduction is not None else False,
        )
        self._allow_insecure = allow_insecure
        self._http = http
        self._own_http = http is None
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        self._close_timeout = close_timeout
        self._heartbeat = heartbeat
        self._send_timeout = send_timeout
        self.keep_alive_silence = keep_alive_silence
        """Append silence while the app sends nothing (can be switched at any time)."""
        self.server_session: RealtimeTranslationSession | None = None
        """The session as the server last described it (``session.created`` / ``session.updated``)."""
        self.usage = TranslationUsage()
        """Input audio sent so far (metered here: the service reports none)."""
        self.flushed = False
        """``session.closed`` arrived: the server flushed every input and output."""
        self._sender = AudioSender(self._append_app, lambda: "audio/pcm", chunk_ms=FRAME_MS)
        self._events: EventStream[AnyTranslationServerEvent] = EventStream(
            max_queued_events, name="translation events"
        )
        self._transcripts: EventStream[TranslationTranscript] = EventStream(
            max_queued_events, name="translation transcripts"
        )
        self._texts: dict[Literal["input", "output"], tuple[str, int | None]] = {}
        self._outputs: set[OutputAudioStream] = set()
        self._ws: aiohttp.ClientWebSocketResponse[Literal[False]] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._silence: asyncio.Task[None] | None = None
        self._waiting: dict[str, asyncio.Future[AnyTranslationServerEvent]] = {}
        self._session_closed = asyncio.Event()
        self._closed: RealtimeError | None = None
        self._closing = False
        self._last_app_audio = 0.0
        self._silent = False
        self._ids = 0
        self._send_lock = asyncio.Lock()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._ws is not None else "new")
        return f"<TranslationSession url={self._endpoint.url.with_query(None)} {state}>"

    async def __aenter__(self) -> TranslationSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- lifecycle ---------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Handshake, ``session.created``, the configured ``session.update`` and ``session.updated``."""
        if self._ws is not None or self._closed is not None:
            raise RealtimeError("a TranslationSession connects once; create a new one to reconnect")
        if self._http is None:
            self._http = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(self._connect_timeout):
                self._ws = await open_websocket(
                    self._http,
                    self._endpoint,
                    headers=self._headers,
                    handshake_timeout=None,
                    heartbeat=self._heartbeat,
                    ws_close_timeout=self._close_timeout or 5.0,
                    allow_insecure=self._allow_insecure,
                )
                created = self._expect("session.created")
                self._reader = asyncio.create_task(
                    self._read(self._ws), name="realtime_sdk translation reader"
                )
                await created
                if self._initial != RealtimeTranslationSessionUpdateRequest():
                    await self._update(self._initial)
        except TimeoutError:
            await self._drop()
            raise ConnectTimeoutError(
                f"the translation session was not ready within {self._connect_timeout} s", status=None
            ) from None
        except BaseException:
            await self._drop()
            raise
        self._last_app_audio = asyncio.get_running_loop().time()
        self._silence = asyncio.create_task(self._keep_alive(), name="realtime_sdk translation silence")

    async def close(self) -> None:
        """Flush and finish: what ``send_audio`` holds back, ``session.close``, then wait for the server's
        ``session.closed`` (the last translated audio and text arrive before it) and the socket's close.

        Bounded by ``close_timeout``; past it the connection is dropped (``flushed`` stays ``False``).
        Output streams and ``transcripts()`` end once read.  Safe to call twice.
        """
        try:
            await self._close()
        except asyncio.CancelledError:
            # Cancelled: no goodbye, but nothing may be left behind either.
            ws = self._ws
            if ws is not None:
                abort(ws)
            self._shutdown(ConnectionClosed(1006, "close() was cancelled"))
            raise

    async def _close(self) -> None:
        if self._closing:
            await self._finish()
            return
        self._closing = True
        await self._stop_silence()
        ws = self._ws
        if ws is not None and not ws.closed and self._closed is None:
            try:
                async with asyncio.timeout(self._close_timeout):
                    await self._sender.flush()
                    await self._send(TranslationSessionClose(event_id=self._next_id()))
                    await self._session_closed.wait()
                    if self._reader is not None:
                        await asyncio.shield(self._reader)  # the server closes the socket after it
            except TimeoutError:
                log.warning("no session.closed within %s s; dropping the connection", self._close_timeout)
            except RealtimeError as exc:
                log.info("the connection ended while closing: %s", exc)
        await self._finish()

    async def _finish(self) -> None:
        ws, reader = self._ws, self._reader
        if ws is not None and not ws.closed:
            try:
                async with asyncio.timeout(self._close_timeout or 5.0):
                    await ws.close()
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                pass
            finally:
                abort(ws, only_if_stuck=True)
        if ws is not None and not ws.closed:
            abort(ws)
        self._shutdown(ConnectionClosed(ws.close_code if ws is not None else None, "closed by the client"))
        if reader is not None and reader is not asyncio.current_task():
            await asyncio.gather(reader, return_exceptions=True)
        if self._own_http and self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def _drop(self) -> None:
        # A failed connect: nothing to flush.
        self._closing = True
        await self._stop_silence()
        await self._finish()

    @property
    def closed(self) -> bool:
        """Whether the session has ended (closed, or its connection lost for good)."""
        return self._closed is not None

    # -- configuration -----------------------------------------------------------------------------

    async def update_session(
        self,
        *,
        output_language: str | None = None,
        input_transcription: str | bool | None = False,
        noise_reduction: Literal["near_field", "far_field"] | bool | None = False,
    ) -> RealtimeTranslationSession:
        """Change what the document lets a translation session change: the output language, input
        transcription (a model name, or ``None`` to stop), noise reduction (``None``: off).  Returns the
        session as ``session.updated`` confirms it; ``ServerError`` if refused."""
        update = translation_update(
            output_language=output_language,
            input_transcription=input_transcription,
            noise_reduction=noise_reduction,
        )
        if update == RealtimeTranslationSessionUpdateRequest():
            raise ConfigurationError("update_session() needs at least one change")
        return await self._update(update)

    async def _update(self, update: RealtimeTranslationSessionUpdateRequest) -> RealtimeTranslationSession:
        event_id = self._next_id()
        answer = self._expect("session.updated", event_id)
        await self._send(TranslationSessionUpdate(session=update, event_id=event_id))
        try:
            async with asyncio.timeout(self._request_timeout):
                updated = await answer
        except TimeoutError:
            raise RequestTimeoutError(
                f"no answer to session.update within {self._request_timeout} s"
            ) from None
        finally:
            self._waiting.pop(event_id, None)
        assert isinstance(updated, TranslationSessionUpdated)
        return updated.session

    # -- audio in ----------------------------------------------------------------------------------

    async def send_audio(
        self,
        samples: AudioChunk,
        sample_rate: int | None = None,
        channels: int = 1,
        encoding: Encoding | None = None,
    ) -> None:
        """Send audio in any format ``RealtimeSession.send_audio`` takes: converted to 24 kHz PCM16 mono
        and appended in 200 ms frames (the rest waits for more audio, or for ``flush_audio``/``close``)."""
        if self._closed is not None:
            raise self._closed
        if self._ws is None or self._closing:
            raise ConnectionClosed(None, "not connected" if self._ws is None else "closing")
        self._last_app_audio = asyncio.get_running_loop().time()
        await self._sender.send(samples, default_sample_rate(sample_rate, encoding), channels, encoding)

    async def flush_audio(self) -> None:
        """Send the partial frame ``send_audio`` holds back now (``close()`` does it too)."""
        await self._sender.flush()

    def pause_audio(self) -> None:
        """Mute ``send_audio`` (its input is dropped); keep-alive silence flows meanwhile."""
        self._sender.paused = True
        self._sender.reset()

    def resume_audio(self) -> None:
        """Unmute ``send_audio`` after ``pause_audio``."""
        self._sender.paused = False

    @property
    def audio_paused(self) -> bool:
        """Whether ``send_audio`` drops its input (``start_audio_paused``, ``pause_audio``)."""
        return self._sender.paused

    async def _append_app(self, chunk: bytes) -> None:
        await self._append(chunk, silence=self._silent)

    async def _append(self, chunk: bytes, *, silence: bool) -> None:
        await self._send(TranslationSessionInputAudioBufferAppend(audio=chunk))
        seconds = len(chunk) / (_RATE * 2)
        self.usage.input_audio_seconds += seconds
        if silence:
            self.usage.silence_seconds += seconds

    async def _keep_alive(self) -> None:
        """Silence when the engine would otherwise run dry: the app has sent nothing for a frame's time
        and the audio sent is a frame behind real time.  An app that sends in bursts (or faster than
        real time) is never interrupted by it.  The timer is the pacing the document asks for."""
        loop = asyncio.get_running_loop()
        period = FRAME_MS / 1000
        start = due = loop.time()
        while True:
            due = max(due + period, loop.time())
            await asyncio.sleep(due - loop.time())
            if not self.keep_alive_silence or self._closing or self._closed is not None:
                continue
            now = loop.time()
            behind = (now - start) - self.usage.input_audio_seconds
            if now - self._last_app_audio < period or behind < period:
                continue
            self._silent = True
            try:
                if self._sender.paused:  # pausing dropped any partial frame: whole frames of silence
                    await self._append(_SILENCE, silence=True)
                else:  # through the sender: it completes a partial frame the app left first, in order
                    await self._sender.send(_SILENCE, _RATE, 1, "pcm16")
            except RealtimeError as exc:
                log.debug("keep-alive silence stopped: %s", exc)
                return
            finally:
                self._silent = False

    async def _stop_silence(self) -> None:
        task, self._silence = self._silence, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    # -- out ---------------------------------------------------------------------------------------

    def output_audio(
        self,
        *,
        sample_rate: int | None = None,
        encoding: Encoding = "pcm16",
        channels: int = 1,
        quality: Quality = "HQ",
    ) -> OutputAudioStream:
        """The translated audio from now on, converted for a player: ``async for chunk in stream``
        (``OutputAudioChunk``; ``item_id`` is ``"translation"``).  ``sample_rate`` defaults to 8000 for
        G.711 encodings, else 24000.  Ends after ``session.closed`` once read."""
        stream = OutputAudioStream(
            default_sample_rate(sample_rate, encoding),
            encoding,
            channels,
            quality,
            report=None,
            on_close=self._outputs.discard,
        )
        if self._closed is not None or self._session_closed.is_set():
            stream._end(None if self._session_closed.is_set() else self._closed)
        else:
            self._outputs.add(stream)
        return stream

    def transcripts(self) -> AsyncIterator[TranslationTranscript]:
        """Input and output transcript updates in arrival order; a ``final`` one per source at
        ``session.closed``.  Ends once the session has closed (raises ``ConnectionClosed`` if the
        connection was lost)."""
        return aiter(self._transcripts)

    def events(self) -> AsyncIterator[AnyTranslationServerEvent]:
        """Every server event, typed (``events.decode_translation``), including ``error`` events."""
        return aiter(self._events)

    # -- the wire ----------------------------------------------------------------------------------

    def _next_id(self) -> str:
        self._ids += 1
        return f"sdk_tr_{self._ids}"

    def _expect(self, kind: str, key: str | None = None) -> asyncio.Future[AnyTranslationServerEvent]:
        future: asyncio.Future[AnyTranslationServerEvent] = asyncio.get_running_loop().create_future()
        self._waiting[key or kind] = future
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        return future

    async def _send(self, event: TranslationClientEvent) -> None:
        ws = self._ws
        if self._closed is not None:
            raise self._closed
        if ws is None or ws.closed:
            raise ConnectionClosed(ws.close_code if ws is not None else None, "not connected")
        data = encode(event)
        try:
            async with self._send_lock, asyncio.timeout(self._send_timeout):
                await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
        except TimeoutError:
            abort(ws)
            raise SendTimeoutError(
                1006, f"no progress sending {event.type} for {self._send_timeout} s (send_timeout)"
            ) from None
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            raise self._closed or ConnectionClosed(ws.close_code, "connection lost while sending") from None

    async def _read(self, ws: aiohttp.ClientWebSocketResponse[Literal[False]]) -> None:
        code: int | None = None
        reason = ""
        try:
            while True:
                msg = await ws.receive()
                if msg.type is aiohttp.WSMsgType.TEXT or msg.type is aiohttp.WSMsgType.BINARY:
                    try:
                        event = decode_translation(msg.data)
                    except RealtimeError as exc:
                        log.warning("ignoring a frame from the server: %s", exc)
                        continue
                    try:
                        await self._dispatch(event)
                    except Exception:  # nothing an event does may end the reader
                        log.exception("internal error while dispatching %s", event.type)
                elif msg.type is aiohttp.WSMsgType.CLOSE:
                    code, reason = msg.data or 1005, msg.extra or ""
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    abort(ws)
                    break
                elif msg.type is aiohttp.WSMsgType.CLOSED:
                    break
        finally:
            abort(ws, only_if_stuck=True)
            closing = code if code is not None else ws.close_code
            self._shutdown(ConnectionClosed(closing, reason or "the server closed the connection"))

    async def _dispatch(self, event: AnyTranslationServerEvent) -> None:
        if isinstance(event, TranslationSessionCreated | TranslationSessionUpdated):
            self.server_session = event.session
            key = "session.created" if isinstance(event, TranslationSessionCreated) else None
            if key is None:  # the answer to the oldest update waiting (the server answers in order)
                key = next((k for k in self._waiting if k.startswith("sdk_tr_")), None)
            future = self._waiting.pop(key, None) if key is not None else None
            if future is not None and not future.done():
                future.set_result(event)
        elif isinstance(event, Error):
            error = event.error
            future = self._waiting.pop(error.event_id, None) if isinstance(error.event_id, str) else None
            failure = ServerError(
                error.message if isinstance(error.message, str) else "error",
                code=error.code if isinstance(error.code, str) else None,
                type=error.type if isinstance(error.type, str) else None,
                param=error.param if isinstance(error.param, str) else None,
                event_id=error.event_id if isinstance(error.event_id, str) else None,
            )
            if future is not None and not future.done():
                future.set_exception(failure)
            else:
                log.warning("translation session error: %s", failure)
        elif isinstance(event, TranslationSessionOutputAudioDelta):
            if event.delta:
                session_id = self.server_session.id if self.server_session is not None else "translation"
                for stream in list(self._outputs):
                    stream._audio(session_id, _OUTPUT_ID, 0, "audio/pcm", event.delta)
        elif isinstance(
            event, TranslationSessionInputTranscriptDelta | TranslationSessionOutputTranscriptDelta
        ):
            source: Literal["input", "output"] = (
                "input" if isinstance(event, TranslationSessionInputTranscriptDelta) else "output"
            )
            elapsed = event.elapsed_ms if isinstance(event.elapsed_ms, int) else None
            text = self._texts.get(source, ("", None))[0] + event.delta
            self._texts[source] = (text, elapsed)
            await self._transcripts.put(TranslationTranscript(source, text, event.delta, False, elapsed))
        elif isinstance(event, TranslationSessionClosed):
            self.flushed = True
            for source, (text, elapsed) in self._texts.items():
                await self._transcripts.put(TranslationTranscript(source, text, "", True, elapsed))
            self._end_outputs()
            self._session_closed.set()
        await self._events.put(event)

    def _end_outputs(self) -> None:
        session_id = self.server_session.id if self.server_session is not None else "translation"
        for stream in list(self._outputs):
            stream._audio_done(session_id)
            stream._end(None)
        self._outputs.clear()

    def _shutdown(self, exc: RealtimeError) -> None:
        if self._closed is not None:
            return
        self._closed = exc
        clean = self._closing or self.flushed
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(exc)
        self._waiting.clear()
        self._session_closed.set()  # nobody waits for it any more
        if clean:
            self._end_outputs()
        for stream in list(self._outputs):
            stream._end(exc)
        self._outputs.clear()
        self._events.close(None if clean else exc)
        self._transcripts.close(None if clean else exc)
        if self._silence is not None and self._silence is not asyncio.current_task():
            self._silence.cancel()


async def create_translation_client_secret(
    *,
    model: str = "gpt-realtime-translate",
    output_language: str | None = None,
    input_transcription: str | None = None,
    noise_reduction: Literal["near_field", "far_field"] | None = None,
    api_key: str | None = None,
    base_url: str = "https://api.openai.com/v1",
    http: aiohttp.ClientSession | None = None,
    expires_after: int | None = None,
    allow_insecure: bool = False,
    request_timeout: float = 30.0,
) -> ClientSecret:
    """Mint an ephemeral key for a translation session (``POST /realtime/translations/client_secrets``).

    The key carries the configuration (``model``, ``output_language``...); hand ``secret.value`` to the
    browser or phone, which opens ``TranslationSession(secret.value)`` without ever seeing your key.
    Raises the same typed errors as a failed handshake (``AuthenticationError`` for 401...).
    """
    update = translation_update(
        output_language=output_language,
        input_transcription=input_transcription if input_transcription is not None else False,
        noise_reduction=noise_reduction if noise_reduction is not None else False,
    )
    session: dict[str, Any] = {"model": model, **msgspec.to_builtins(update)}
    url = URL(base_url.rstrip("/") + "/realtime/translations/client_secrets")
    return await mint_secret(
        url,
        {"session": session},
        api_key=api_key,
        http=http,
        expires_after=expires_after,
        allow_insecure=allow_insecure,
        request_timeout=request_timeout,
    )
