"""Translation sessions on the local server: ``GET /v1/realtime/translations?model=gpt-realtime-translate``.

Theory of operation.  Input is 24 kHz PCM16 mono only (a ``session.update`` naming any other input format is
refused, as the document says the service refuses it).  Appended audio is cut into 200 ms engine frames;
a short tail waits for the next append.  An engine task takes the frames in order and, for each, sends the
frame's "translation": the frame itself as ``session.output_audio.delta`` (so output audio is exactly as
long as the input), stamped with ``elapsed_ms``, the end of that frame on the model's clock (200 ms steps;
a pause in sending does not advance it).  A run of frames with sound is an utterance; when it ends (a
quiet frame, or the flush) the server's model transcribes it, and the text goes out as word deltas:
``session.input_transcript.delta`` when input transcription is configured, and always
``session.output_transcript.delta`` with the same words behind a ``[<language>]`` tag.  With the
server's ``pace_audio`` each frame's output leaves no sooner than real time allows; without, at once.
``session.close`` pads the tail to a whole frame, lets the engine finish, then sends ``session.closed``
and closes the websocket.

``received_audio_ms`` / ``wait_for_audio_ms`` are the clock of audio received, for tests that check a
client keeps silence flowing; ``received_silence_ms`` counts the frames of it that were digital silence.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import re
import time
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np
from aiohttp import WSMsgType, web

from .._struct import Struct
from ._errors import ClientError, error_event
from ._ids import new_id
from ._translation_events import (
    TranslationClientEvent,
    TranslationInputAudioBufferAppend,
    TranslationInputTranscriptDelta,
    TranslationOutputAudioDelta,
    TranslationOutputTranscriptDelta,
    TranslationSession,
    TranslationSessionAudio,
    TranslationSessionAudioInput,
    TranslationSessionAudioOutput,
    TranslationSessionClose,
    TranslationSessionClosed,
    TranslationSessionCreated,
    TranslationSessionUpdate,
    TranslationSessionUpdated,
)

if TYPE_CHECKING:
    from .app import LocalRealtimeServer

__all__ = ["FRAME_BYTES", "LocalTranslations", "TranslationConnection"]

FRAME_MS = 200
FRAME_BYTES = 24_000 * 2 * FRAME_MS // 1000
"""One engine frame: 200 ms of 24 kHz PCM16 mono."""
_SPEECH_RMS = 100.0
"""A frame louder than this (in PCM16 units) carries sound; below it, the utterance ends."""
_WORDS = re.compile(r"\s*\S+")
_decoder = msgspec.json.Decoder(TranslationClientEvent)
_UPDATABLE = {"audio": {"input": {"transcription", "noise_reduction", "format"}, "output": {"language"}}}


class LocalTranslations:
    """The server's translation connections, in the order they were accepted."""

    def __init__(self, server: LocalRealtimeServer) -> None:
        self._server = server
        self.connections: list[TranslationConnection] = []
        self.default_language = "es"
        """``audio.output.language`` of a new session."""
        self._changed = asyncio.Condition()

    def register(self, app: web.Application) -> None:
        for prefix in ("/v1", "/openai/v1"):
            app.router.add_get(prefix + "/realtime/translations", self._accept)
        app.on_shutdown.append(self._shutdown)

    async def wait_for_connection(self, index: int = 0) -> TranslationConnection:
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.connections) > index)
        return self.connections[index]

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        refused, _ = self._server._authenticate(request)
        if refused is not None:
            return refused
        ws = web.WebSocketResponse(max_msg_size=16 * 2**20)
        await ws.prepare(request)
        session = TranslationSession(
            id=new_id("sess"),
            expires_at=int(time.time() + self._server.session_ttl),
            model=request.query.get("model") or "gpt-realtime-translate",
            audio=TranslationSessionAudio(
                input=TranslationSessionAudioInput(),
                output=TranslationSessionAudioOutput(language=self.default_language),
            ),
        )
        conn = TranslationConnection(
            len(self.connections), ws, session, self._server, self._server.pace_audio
        )
        async with self._changed:
            self.connections.append(conn)
            self._changed.notify_all()
        await conn.run()
        return ws

    async def _shutdown(self, app: web.Application) -> None:
        for conn in self.connections:
            if not conn.closed.is_set():
                await conn.ws.close(code=1001, message=b"server shutting down")


class TranslationConnection:
    """The server's side of one translation websocket."""

    def __init__(
        self,
        index: int,
        ws: web.WebSocketResponse,
        session: TranslationSession,
        server: LocalRealtimeServer,
        paced: bool,
    ) -> None:
        self.index = index
        self.ws = ws
        self.session = session
        self.paced = paced
        self.received: list[TranslationClientEvent] = []
        self.sent_types: list[str] = []
        self.received_bytes = 0
        self.received_silence_ms = 0
        self.frames_translated = 0
        self.closed = asyncio.Event()
        self._server = server
        self._pending = bytearray()
        self._frames: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._out: asyncio.Queue[Struct | None] = asyncio.Queue()
        self._audio_changed = asyncio.Condition()
        self._closing = False

    @property
    def received_audio_ms(self) -> float:
        """Milliseconds of input audio appended so far."""
        return self.received_bytes / 48

    async def wait_for_audio_ms(self, ms: float) -> float:
        """Return once at least ``ms`` of input audio has arrived (the clock's value then)."""
        async with self._audio_changed:
            await self._audio_changed.wait_for(lambda: self.received_audio_ms >= ms or self.closed.is_set())
        return self.received_audio_ms

    def send(self, event: Struct) -> None:
        self._out.put_nowait(event)

    async def run(self) -> None:
        writer = asyncio.create_task(self._write_loop())
        engine = asyncio.create_task(self._engine())
        self.send(TranslationSessionCreated(event_id=new_id("event"), session=self.session))
        try:
            async for msg in self.ws:
                if msg.type == WSMsgType.TEXT:
                    await self._handle(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    self.send(
                        error_event("invalid_value", "Binary frames are not supported; send JSON text.")
                    )
        finally:
            self._closing = True
            engine.cancel()
            self._out.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError):
                await engine
            await writer
            self.closed.set()
            async with self._audio_changed:
                self._audio_changed.notify_all()

    # -- client events -------------------------------------------------------------------------
    async def _handle(self, data: str) -> None:
        try:
            event = _decoder.decode(data)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            self.send(error_event("invalid_value", f"Invalid event: {exc}"))
            return
        self.received.append(event)
        event_id = event.event_id if isinstance(event.event_id, str) else None
        try:
            if self._closing:
                raise ClientError("session_closing", "The session is closing; no more events are accepted.")
            if isinstance(event, TranslationInputAudioBufferAppend):
                await self._append(event.audio)
            elif isinstance(event, TranslationSessionUpdate):
                self._update(event.session)
            elif isinstance(event, TranslationSessionClose):
                self._close()
        except ClientError as exc:
            self.send(error_event(exc.code, exc.message, param=exc.param, event_id=event_id))

    async def _append(self, audio: str) -> None:
        try:
            pcm = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise ClientError(
                "invalid_value", "Invalid 'audio': expected base64-encoded audio.", "audio"
            ) from None
        if len(pcm) % 2:
            raise ClientError(
                "invalid_value",
                "Invalid 'audio': expected 24 kHz PCM16 mono (whole 16-bit samples).",
                "audio",
            )
        self._pending += pcm
        while len(self._pending) >= FRAME_BYTES:
            self._frames.put_nowait(bytes(self._pending[:FRAME_BYTES]))
            del self._pending[:FRAME_BYTES]
        async with self._audio_changed:
            self.received_bytes += len(pcm)
            if not np.frombuffer(pcm[: len(pcm) // 2 * 2], np.int16).any():
                self.received_silence_ms += len(pcm) // 48
            self._audio_changed.notify_all()

    def _update(self, fields: dict[str, Any]) -> None:
        _check_update(fields)
        audio = fields.get("audio") or {}
        given_in = audio.get("input") or {}
        given_out = audio.get("output") or {}
        current = self.session.audio
        new_in = current.input
        if "transcription" in given_in:
            new_in = msgspec.structs.replace(
                new_in, transcription=_convert(given_in, "transcription", "input")
            )
        if "noise_reduction" in given_in:
            new_in = msgspec.structs.replace(
                new_in, noise_reduction=_convert(given_in, "noise_reduction", "input")
            )
        new_out = current.output
        if "language" in given_out:
            language = given_out["language"]
            if not isinstance(language, str) or not language:
                raise ClientError(
                    "invalid_value", f"Invalid value: '{language}'.", "session.audio.output.language"
                )
            new_out = TranslationSessionAudioOutput(language=language)
        self.session = msgspec.structs.replace(
            self.session, audio=TranslationSessionAudio(input=new_in, output=new_out)
        )
        self.send(TranslationSessionUpdated(event_id=new_id("event"), session=self.session))

    def _close(self) -> None:
        self._closing = True
        if self._pending:  # flush: the tail becomes a whole frame, padded with silence
            self._frames.put_nowait(bytes(self._pending) + bytes(FRAME_BYTES - len(self._pending)))
            self._pending.clear()
        self._frames.put_nowait(None)

    # -- the engine ----------------------------------------------------------------------------
    async def _engine(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        utterance = bytearray()
        while True:
            frame = await self._frames.get()
            if frame is None:
                if utterance:
                    await self._transcript(bytes(utterance))
                self.send(TranslationSessionClosed(event_id=new_id("event")))
                self._out.put_nowait(None)
                return
            if self.paced:  # a frame's output leaves once that much real time has passed
                due = max(due, loop.time()) + FRAME_MS / 1000
                await asyncio.sleep(max(0.0, due - loop.time()))
            self.frames_translated += 1
            self.send(
                TranslationOutputAudioDelta(
                    event_id=new_id("event"), delta=base64.b64encode(frame).decode(), elapsed_ms=self._elapsed
                )
            )
            samples = np.frombuffer(frame, np.int16).astype(np.float64)
            if float(np.sqrt(np.mean(samples**2))) > _SPEECH_RMS:
                utterance += frame
            elif utterance:
                await self._transcript(bytes(utterance))
                utterance.clear()

    @property
    def _elapsed(self) -> int:
        return self.frames_translated * FRAME_MS

    async def _transcript(self, pcm: bytes) -> None:
        text = await self._server.model.transcribe(pcm, new_id("item"))
        words = _WORDS.findall(f"[{self.session.audio.output.language}] {text}")
        if self.session.audio.input.transcription is not None:
            for word in _WORDS.findall(text):
                self.send(
                    TranslationInputTranscriptDelta(
                        event_id=new_id("event"), delta=word, elapsed_ms=self._elapsed
                    )
                )
        for word in words:
            self.send(
                TranslationOutputTranscriptDelta(
                    event_id=new_id("event"), delta=word, elapsed_ms=self._elapsed
                )
            )

    async def _write_loop(self) -> None:
        while True:
            item = await self._out.get()
            if item is None:
                break
            self.sent_types.append(item.type)
            try:
                await self.ws.send_str(msgspec.json.encode(item).decode())
            except ConnectionError:
                return
        if self.closed.is_set() or self.ws.closed:
            return
        if self.sent_types and self.sent_types[-1] == "session.closed":
            await self.ws.close(code=1000, message=b"session closed")


def _check_update(fields: dict[str, Any]) -> None:
    for name in fields:
        if name in ("type", "model"):
            raise ClientError(
                "invalid_value",
                f"The translation session's '{name}' is set at creation and cannot be updated.",
                f"session.{name}",
            )
        if name not in _UPDATABLE:
            raise ClientError("unknown_parameter", f"Unknown parameter: 'session.{name}'.", f"session.{name}")
    audio = fields.get("audio") or {}
    if not isinstance(audio, dict):
        raise ClientError(
            "invalid_type", "Invalid type for 'session.audio': expected an object.", "session.audio"
        )
    for side, allowed in _UPDATABLE["audio"].items():
        part = audio.get(side) or {}
        for name in part if isinstance(part, dict) else ():
            if name not in allowed:
                where = f"session.audio.{side}.{name}"
                raise ClientError("unknown_parameter", f"Unknown parameter: '{where}'.", where)
    for name in audio:
        if name not in _UPDATABLE["audio"]:
            raise ClientError(
                "unknown_parameter", f"Unknown parameter: 'session.audio.{name}'.", f"session.audio.{name}"
            )
    fmt = (audio.get("input") or {}).get("format")
    if fmt is not None and not (
        isinstance(fmt, dict) and fmt.get("type") == "audio/pcm" and fmt.get("rate", 24_000) == 24_000
    ):
        # The document: other websocket input formats are a validation error (quality suffers too much).
        raise ClientError(
            "invalid_value",
            "Unsupported input audio format: translation sessions accept only 24 kHz PCM16 mono "
            "(audio/pcm, rate 24000).",
            "session.audio.input.format",
        )


def _convert(given: dict[str, Any], name: str, side: str) -> Any:
    try:
        holder = msgspec.convert({name: given[name]}, TranslationSessionAudioInput)
    except msgspec.ValidationError as exc:
        where = f"session.audio.{side}.{name}"
        raise ClientError("invalid_value", f"Invalid value at '{where}': {exc}", where) from None
    return getattr(holder, name)
