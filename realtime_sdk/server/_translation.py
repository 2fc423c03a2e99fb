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

``POST /v1/realtime/translations/client_secrets`` mints an ephemeral key (``ek_...``) bound to a
translation configuration; a websocket opened with it starts with that configuration.

``received_audio_ms`` / ``wait_for_audio_ms`` are the clock of audio received, for tests that check a
client keeps silence flowing; ``received_silence_ms`` counts how much of it was digital silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from typing import Any

import msgspec
import numpy as np
from aiohttp import WSMsgType, web

from .. import events
from .._generated import (
    RealtimeTranslationSession,
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
from .._struct import Struct
from ..errors import ProtocolError
from ._errors import ClientError, error_event, from_validation
from ._http import client_error_response, error_response
from ._ids import new_id
from ._route_host import RouteHost

__all__ = ["FRAME_BYTES", "LocalTranslations", "TranslationConnection"]

FRAME_MS = 200
FRAME_BYTES = 24_000 * 2 * FRAME_MS // 1000
"""One engine frame: 200 ms of 24 kHz PCM16 mono."""
_SPEECH_RMS = 100.0
"""A frame louder than this (in PCM16 units) carries sound; below it, an utterance ends."""
_WORDS = re.compile(r"\s*\S+")
_PATH = r"(?:/openai)?/v1/realtime/translations"
_UPDATABLE = {"input": ("transcription", "noise_reduction", "format"), "output": ("language",)}


class LocalTranslations:
    """The server's translation connections, in the order they were accepted."""

    def __init__(self, server: RouteHost) -> None:
        self._server = server
        self.connections: list[TranslationConnection] = []
        self.default_language = "es"
        """``audio.output.language`` of a new session."""
        self.ephemeral_keys: dict[str, tuple[float, dict[str, Any]]] = {}
        """Minted translation keys: expiry (Unix time) and the configuration a session starts with."""
        self._changed = asyncio.Condition()
        server.add_route("GET", _PATH, self._accept)
        server.add_route("POST", _PATH + "/client_secrets", self._client_secret)

    async def wait_for_connection(self, index: int = 0) -> TranslationConnection:
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.connections) > index)
        return self.connections[index]

    async def close(self) -> None:
        """Close every open translation websocket (the server is stopping); in strict mode, raise for
        any event sent that would not decode typed."""
        for conn in self.connections:
            if not conn.closed.is_set():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.ws.close(code=1001, message=b"server shutting down"), 2)
        bugs = [f"translation connection {c.index}: {why}" for c in self.connections for why in c.violations]
        if bugs and self._server.strict:
            raise AssertionError("the local server misbehaved:\n" + "\n".join(bugs))

    def _new_config(self, model: str) -> dict[str, Any]:
        return {
            "id": new_id("sess"),
            "type": "translation",
            "expires_at": int(time.time() + self._server.session_ttl),
            "model": model,
            "audio": {
                "input": {"transcription": None, "noise_reduction": None},
                "output": {"language": self.default_language},
            },
        }

    def _minted(self, request: web.Request) -> dict[str, Any] | None:
        auth = request.headers.get("Authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        minted = self.ephemeral_keys.get(key) if key is not None else None
        return minted[1] if minted is not None and minted[0] > time.time() else None

    async def _client_secret(self, request: web.Request) -> web.StreamResponse:
        refused, _ = self._server.authenticate(request)
        if refused is not None:
            return refused
        try:
            data = msgspec.json.decode(await request.read()) or {}
            session = data.get("session") or {}
            if not isinstance(session, dict):
                raise ClientError(
                    "invalid_type", "Invalid type for 'session': expected an object.", "session"
                )
            audio = _checked_audio({"audio": session.get("audio") or {}})
            seconds = int((data.get("expires_after") or {}).get("seconds", 600))
            if not 10 <= seconds <= 7200:
                raise ClientError(
                    "invalid_value",
                    "expires_after.seconds must be between 10 and 7200.",
                    "expires_after.seconds",
                )
            config = self._new_config(str(session.get("model") or "gpt-realtime-translate"))
            for side, names in _UPDATABLE.items():
                for name in names:
                    if name in audio.get(side, {}) and name != "format":
                        config["audio"][side][name] = audio[side][name]
            msgspec.convert(config, RealtimeTranslationSession)
        except ClientError as exc:
            return client_error_response(exc)
        except (msgspec.ValidationError, msgspec.DecodeError, AttributeError, TypeError, ValueError) as exc:
            return error_response(400, f"Invalid request body: {exc}", "invalid_value")
        value = "ek_" + secrets.token_hex(16)
        expires_at = int(time.time()) + seconds
        self.ephemeral_keys[value] = (float(expires_at), config)
        return web.json_response({"value": value, "expires_at": expires_at, "session": config})

    async def _accept(self, request: web.Request) -> web.StreamResponse:
        minted = self._minted(request)
        if minted is None:
            refused, _ = self._server.authenticate(request)
            if refused is not None:
                return refused
        ws = web.WebSocketResponse(max_msg_size=16 * 2**20)
        await ws.prepare(request)
        config = self._new_config(request.query.get("model") or "gpt-realtime-translate")
        if minted is not None:
            config["audio"] = msgspec.json.decode(msgspec.json.encode(minted["audio"]))
        conn = TranslationConnection(len(self.connections), ws, config, self._server)
        async with self._changed:
            self.connections.append(conn)
            self._changed.notify_all()
        await conn.run()
        return ws


class TranslationConnection:
    """The server's side of one translation websocket, for tests to look into."""

    def __init__(
        self, index: int, ws: web.WebSocketResponse, config: dict[str, Any], server: RouteHost
    ) -> None:
        self.index = index
        self.ws = ws
        self.paced = server.pace_audio
        self.received: list[events.AnyTranslationClientEvent] = []
        self.sent_types: list[str] = []
        self.violations: list[str] = []
        self.received_bytes = 0
        self.received_silence_ms = 0.0
        self.frames_translated = 0
        self.utterances = 0
        """Utterances transcribed so far (runs of frames with sound)."""
        self.closed = asyncio.Event()
        self._config = config
        self._server = server
        self._pending = bytearray()
        self._frames: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._out: asyncio.Queue[Struct | None] = asyncio.Queue()
        self._audio_changed = asyncio.Condition()
        self._closing = False

    @property
    def session(self) -> RealtimeTranslationSession:
        """The current configuration, as ``session.updated`` sends it."""
        return msgspec.convert(self._config, RealtimeTranslationSession)

    @property
    def received_audio_ms(self) -> float:
        """Milliseconds of input audio appended so far (silence included)."""
        return self.received_bytes / 48

    async def wait_for_audio_ms(self, ms: float) -> float:
        """Return once at least ``ms`` of input audio has arrived, or the connection ended (the clock's
        value then)."""
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
            event = events.decode_translation_client(data)
        except ProtocolError as exc:
            self.send(error_event("invalid_json", f"Invalid JSON: {exc}"))
            return
        self.received.append(event)
        event_id = event.event_id if not isinstance(event, events.UnknownTranslationClientEvent) else None
        try:
            if isinstance(event, events.UnknownTranslationClientEvent):
                if not event.known_type:
                    raise ClientError("invalid_value", f"Unsupported event type: '{event.type}'.", "type")
                raise from_validation(event.error)
            if self._closing:
                raise ClientError("session_closing", "The session is closing; no more events are accepted.")
            if isinstance(event, TranslationSessionInputAudioBufferAppend):
                await self._append(event.audio)
            elif isinstance(event, TranslationSessionUpdate):
                # The typed event drops fields it does not know; the checks need to see them.
                self._update(msgspec.json.decode(data).get("session") or {})
            elif isinstance(event, TranslationSessionClose):
                self._close()
        except ClientError as exc:
            self.send(
                error_event(exc.code, exc.message, param=exc.param, event_id=event_id if event_id else None)
            )

    async def _append(self, pcm: bytes) -> None:
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
            if not np.frombuffer(pcm, np.int16).any():
                self.received_silence_ms += len(pcm) / 48
            self._audio_changed.notify_all()

    def _update(self, fields: dict[str, Any]) -> None:
        audio = _checked_audio(fields)
        config = msgspec.json.decode(msgspec.json.encode(self._config))  # a copy to change
        for side, names in _UPDATABLE.items():
            for name in names:
                if name in audio.get(side, {}) and name != "format":
                    config["audio"][side][name] = audio[side][name]
        try:
            msgspec.convert(config, RealtimeTranslationSession)
        except msgspec.ValidationError as exc:
            raise from_validation(str(exc).replace("`$.", "`$.session.")) from None
        self._config = config
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
                TranslationSessionOutputAudioDelta(
                    event_id=new_id("event"),
                    delta=frame,
                    sample_rate=24_000,
                    channels=1,
                    format="pcm16",
                    elapsed_ms=self._elapsed,
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
        # A later utterance continues the running transcripts: a space keeps it from gluing onto the last word.
        lead = " " if self.utterances else ""
        self.utterances += 1
        audio = self._config["audio"]
        if audio["input"]["transcription"] is not None:
            for word in _WORDS.findall(lead + text):
                self.send(
                    TranslationSessionInputTranscriptDelta(
                        event_id=new_id("event"), delta=word, elapsed_ms=self._elapsed
                    )
                )
        for word in _WORDS.findall(f"{lead}[{audio['output']['language']}] {text}"):
            self.send(
                TranslationSessionOutputTranscriptDelta(
                    event_id=new_id("event"), delta=word, elapsed_ms=self._elapsed
                )
            )

    async def _write_loop(self) -> None:
        while (item := await self._out.get()) is not None:
            data = events.encode(item)
            self.sent_types.append(item.type)
            if isinstance(events.decode_translation(data), events.UnknownTranslationServerEvent):
                self.violations.append(f"sent an event that does not decode typed: {data[:200]!r}")
            try:
                await self.ws.send_str(data.decode())
            except ConnectionError:
                return
        if self.sent_types[-1:] == ["session.closed"] and not self.ws.closed:
            await self.ws.close(code=1000, message=b"session closed")


def _checked_audio(fields: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``audio`` part of a translation ``session.update``, once only updatable fields are in it."""
    for name in fields:
        if name in ("type", "model"):
            raise ClientError(
                "invalid_value",
                f"The translation session's '{name}' is set at creation and cannot be updated.",
                f"session.{name}",
            )
        if name != "audio":
            raise ClientError("unknown_parameter", f"Unknown parameter: 'session.{name}'.", f"session.{name}")
    audio = fields.get("audio") or {}
    if not isinstance(audio, dict):
        raise ClientError(
            "invalid_type", "Invalid type for 'session.audio': expected an object.", "session.audio"
        )
    out: dict[str, dict[str, Any]] = {}
    for side, part in audio.items():
        where = f"session.audio.{side}"
        if side not in _UPDATABLE:
            raise ClientError("unknown_parameter", f"Unknown parameter: '{where}'.", where)
        if not isinstance(part, dict):
            raise ClientError("invalid_type", f"Invalid type for '{where}': expected an object.", where)
        for name in part:
            if name not in _UPDATABLE[side]:
                raise ClientError(
                    "unknown_parameter", f"Unknown parameter: '{where}.{name}'.", f"{where}.{name}"
                )
        out[side] = part
    fmt = out.get("input", {}).get("format")
    if fmt is not None and not (
        isinstance(fmt, dict) and fmt.get("type") == "audio/pcm" and fmt.get("rate", 24_000) == 24_000
    ):
        # The document: any other websocket input format is a validation error (quality suffers too much).
        raise ClientError(
            "invalid_value",
            "Unsupported input audio format: translation sessions accept only 24 kHz PCM16 mono "
            "(audio/pcm, rate 24000).",
            "session.audio.input.format",
        )
    return out
