"""``LocalRealtimeServer``: a real aiohttp server on loopback speaking the GA Realtime protocol.

Endpoints (the real service's paths):

- ``GET /v1/realtime?model=...``, Azure's ``/openai/v1/realtime?model=<deployment>`` and
  ``/openai/realtime?api-version=...&deployment=...``: the websocket.  ``&intent=transcription`` opens a
  transcription session; ``?call_id=...`` a sideband on a call (see ``calls``).
- ``POST /v1/realtime/client_secrets`` (also under ``/openai``): mints an ephemeral key (``ek_...``) that is
  then accepted as a bearer key, with the session configuration given at minting.

Authentication happens before the upgrade: ``Authorization: Bearer <key>``, Azure's ``api-key: <key>``, or
the browser's ``openai-insecure-api-key.<key>`` websocket subprotocol.  A missing or wrong key gets HTTP 401
with an OpenAI-style JSON error body; any other path gets 404.

More HTTP endpoints plug in with ``add_route(method, pattern, handler)`` (a regular expression matched
against the whole path); the routes are tried in order, before the 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypedDict

import msgspec
from aiohttp import web

from .._generated import RealtimeSessionCreateRequestGA
from ._call_state import CallRegistry, CallState
from ._calls import CallControl
from ._errors import ClientError
from ._faults import FaultRule
from ._http import client_error_response, error_response, mint_client_secret
from ._profiles import DEFAULT_MODEL
from ._route_host import Handler
from ._session_config import SESSION_SECONDS
from ._speech_ports import Synthesizer, Transcriber
from ._transcription import TranscriptionFailure
from ._translation import LocalTranslations
from .connection import ServerConnection, record_line
from .models import EchoModel, Model

__all__ = ["LocalRealtimeServer", "SessionEndpoint", "openai_or_local"]

STRICT_ENV = "REALTIME_SDK_STRICT_SERVER"
"""Set to ``1`` to make every ``LocalRealtimeServer`` strict unless told otherwise (the test suite does)."""
_REALTIME_PATHS = ("/v1/realtime", "/openai/v1/realtime", "/openai/realtime")


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """An HTTP route added with ``LocalRealtimeServer.add_route``: method, whole-path pattern, handler."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler


class SessionEndpoint(TypedDict):
    """Where a ``RealtimeSession`` connects, as its keyword arguments: ``RealtimeSession(**endpoint)``."""

    api_key: str | None
    """The key to send; ``None``: ``OPENAI_API_KEY`` from the environment."""
    base_url: str


class LocalRealtimeServer:
    """A local Realtime server.  ``async with LocalRealtimeServer() as server: ... server.url``."""

    def __init__(
        self,
        api_key: str | None = "sk-local-test",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        model: Model | None = None,
        pace_audio: bool = False,
        record_to: Path | None = None,
        session_ttl: float = float(SESSION_SECONDS),
        handshake_status: int | None = None,
        default_model: str = DEFAULT_MODEL,
        strict: bool | None = None,
        transcriber: Transcriber | None = None,
        synthesizer: Synthesizer | None = None,
        rate_limits: str = "most",
    ) -> None:
        if rate_limits not in ("most", "every"):
            raise ValueError("rate_limits must be 'most' or 'every'")
        self.api_key = api_key
        self.host = host
        self.port = port
        self.model: Model = model if model is not None else EchoModel()
        self.transcriber = transcriber
        """Transcribes all user audio when given (instead of ``model.transcribe``)."""
        self.synthesizer = synthesizer
        """Speaks the text of audio responses when given (default: ``ToneSynthesizer``)."""
        self.rate_limits = rate_limits
        """``"most"``: ``rate_limits.updated`` after most responses (every third goes without), as the
        real service sends it after most; ``"every"``: after every response (tests that count them)."""
        self.calls = CallRegistry()
        """The calls known to this server, by ``call_id`` (call control and sidebands share them)."""
        self.routes: list[HttpRoute] = [
            HttpRoute("POST", re.compile(p), self._client_secret)
            for p in (r"/v1/realtime/client_secrets", r"/openai/v1/realtime/client_secrets")
        ]
        self._transcription_failures: list[TranscriptionFailure] = []
        self.pace_audio = pace_audio
        self.record_to = record_to
        self.session_ttl = session_ttl
        self.handshake_status = handshake_status
        """Answer every websocket upgrade with this HTTP status (tests of connect failures)."""
        self.default_model = default_model
        self.strict = os.environ.get(STRICT_ENV) == "1" if strict is None else strict
        """Check that every event sent decodes back to its typed class; ``stop()`` raises if one did not.

        For test suites: a server that would make a client see an ``UnknownServerEvent`` fails the test
        that provoked it, whatever client the test uses.  Frames sent with ``send_raw`` (deliberately
        malformed ones) are not checked."""
        self.connections: list[ServerConnection] = []
        self.ephemeral_keys: dict[str, tuple[float, RealtimeSessionCreateRequestGA | None]] = {}
        self._rules: list[FaultRule] = []
        self._failures: list[int] = []
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._record: IO[bytes] | None = None
        self.call_control = CallControl(self)
        self.translations = LocalTranslations(self)

    # -- lifecycle ---------------------------------------------------------------------------------
    async def __aenter__(self) -> LocalRealtimeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start listening (on a free port when ``port`` is 0); ``async with`` calls this."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._route)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if self.record_to is not None:
            self._record = self.record_to.open("ab")

    async def stop(self) -> None:
        """Close every connection and stop listening; ``async with`` calls this on exit."""
        await self.translations.close()
        live = [c for c in self.connections if not c.closed.is_set()]
        for conn in live:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(1001, "server shutting down"), 2)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._record is not None:
            self._record.close()
            self._record = None
        if self.strict:
            bugs = [f"connection {c.index}: {why}" for c in self.connections for why in c.violations]
            if bugs:
                raise AssertionError("the local server misbehaved:\n" + "\n".join(bugs))

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/v1/realtime"

    def session_options(self) -> SessionEndpoint:
        """``RealtimeSession(**server.session_options(), ...)`` connects to this server.

        ``api_key`` is the server's key; a server without authentication (``api_key=None``) gets a
        placeholder, so that ``OPENAI_API_KEY`` from the environment is never sent to it.
        """
        return {"api_key": self.api_key or "sk-local-no-auth", "base_url": self.url}

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def wait_for_connection(self, index: int = 0) -> ServerConnection:
        """The ``index``-th connection (0-based), once it has been accepted."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self.connections) > index)
        return self.connections[index]

    # -- server-wide faults ------------------------------------------------------------------------
    def drop_after(self, event_type: str, count: int = 1, *, connections: int | None = 1) -> None:
        """Abort the TCP connection right after sending the ``count``-th ``event_type`` event, on the next
        ``connections`` new connections (None: all)."""
        self._rules.append(FaultRule(event_type, count, "drop", connections=connections))

    def close_after(
        self,
        event_type: str,
        count: int = 1,
        *,
        code: int = 1000,
        reason: str = "",
        connections: int | None = 1,
    ) -> None:
        """Close with ``code``/``reason`` right after the ``count``-th ``event_type`` event."""
        self._rules.append(FaultRule(event_type, count, "close", code, reason, connections))

    def stall_after(self, event_type: str, count: int = 1, *, connections: int | None = 1) -> None:
        """Stop sending after the ``count``-th ``event_type`` event (``connection.resume()`` restarts)."""
        self._rules.append(FaultRule(event_type, count, "stall", connections=connections))

    def freeze_after(self, event_type: str, count: int = 1, *, connections: int | None = 1) -> None:
        """Play dead after the ``count``-th ``event_type`` event: no pongs, no client frame handled,
        nothing sent (see ``ServerConnection.freeze``; ``connection.thaw()`` undoes it)."""
        self._rules.append(FaultRule(event_type, count, "freeze", connections=connections))

    def fail_handshakes(self, status: int, count: int = 1) -> None:
        """Answer the next ``count`` upgrades with HTTP ``status`` (then accept again)."""
        self._failures.extend([status] * count)

    def fail_transcriptions(
        self,
        count: int = 1,
        *,
        message: str = "Audio could not be transcribed.",
        code: str = "transcription_failed",
    ) -> None:
        """The next ``count`` committed turns (on any connection) get
        ``conversation.item.input_audio_transcription.failed`` instead of a transcript."""
        self._transcription_failures.extend(TranscriptionFailure(message, code) for _ in range(count))

    # -- calls -------------------------------------------------------------------------------------
    def call(self, call_id: str, *, create: bool = True) -> CallState | None:
        """The state of call ``call_id`` (created when unknown, unless ``create=False``)."""
        return self.calls.get(call_id, create=create)

    # -- HTTP --------------------------------------------------------------------------------------
    def add_route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` requests whose path (without a trailing slash) matches ``pattern`` fully."""
        self.routes.append(HttpRoute(method, re.compile(pattern), handler))

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/")
        if path in _REALTIME_PATHS and request.method == "GET":
            return await self._realtime(request)
        for route in self.routes:
            if route.method == request.method and route.pattern.fullmatch(path):
                return await route.handler(request)
        return error_response(404, f"Invalid URL ({request.method} {request.path})")

    def _key_of(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        if "api-key" in request.headers:
            return request.headers["api-key"].strip()
        for proto in request.headers.get("Sec-WebSocket-Protocol", "").split(","):
            proto = proto.strip()
            if proto.startswith("openai-insecure-api-key."):
                return proto[len("openai-insecure-api-key.") :]
        return None

    def authenticate(
        self, request: web.Request
    ) -> tuple[web.Response | None, RealtimeSessionCreateRequestGA | None]:
        """``(None, configuration of an ephemeral key or None)`` for an accepted key, else
        ``(the 401 response to send, None)``; for every route that needs a key."""
        if self.api_key is None:
            return None, None
        key = self._key_of(request)
        if key is None:
            return error_response(401, "You didn't provide an API key.", None), None
        if key == self.api_key:
            return None, None
        ephemeral = self.ephemeral_keys.get(key)
        if ephemeral is not None and ephemeral[0] > time.time():
            return None, ephemeral[1]
        return error_response(401, "Incorrect API key provided.", "invalid_api_key"), None

    async def _realtime(self, request: web.Request) -> web.StreamResponse:
        status = self._failures.pop(0) if self._failures else self.handshake_status
        if status is not None:
            return error_response(status)
        refused, initial = self.authenticate(request)
        if refused is not None:
            return refused
        query = request.query
        session_model = query.get("model") or query.get("deployment") or self.default_model
        call_id = query.get("call_id") or None
        call = self.calls.get(call_id, create=True) if call_id is not None else None
        if call is not None:
            session_model = query.get("model") or call.model
            initial = initial or call.session
        kind = "transcription" if query.get("intent") == "transcription" else "realtime"
        protocols = ("realtime",) if "realtime" in request.headers.get("Sec-WebSocket-Protocol", "") else ()
        # autoping off: the connection answers pings itself, so that it can stop answering (freeze()).
        ws = web.WebSocketResponse(max_msg_size=16 * 2**20, protocols=protocols, autoping=False)
        await ws.prepare(request)
        rules = [r for r in (rule.take() for rule in self._rules) if r is not None]
        self._rules = [r for r in self._rules if r.connections is None or r.connections > 0]
        conn = ServerConnection(
            len(self.connections),
            request,
            ws,
            model=self.model,
            session_model=session_model,
            session_ttl=self.session_ttl,
            pace_audio=self.pace_audio,
            rules=rules,
            recorder=self._write_record if self._record is not None else None,
            initial=initial,
            strict=self.strict,
            synthesizer=self.synthesizer,
            transcriber=self.transcriber,
            kind=kind,
            call_id=call_id,
        )
        conn.protocol.transcription.failures = self._transcription_failures
        conn.protocol.rate_limits_always = self.rate_limits == "every"
        if call is not None:
            call.sidebands.append(conn.index)
        async with self._changed:
            self.connections.append(conn)
            self._changed.notify_all()
        await conn.run()
        return ws

    async def _client_secret(self, request: web.Request) -> web.Response:
        refused, _ = self.authenticate(request)
        if refused is not None:
            return refused
        try:
            secret = mint_client_secret(await request.read(), self.default_model, self.session_ttl)
        except ClientError as exc:
            return client_error_response(exc)
        except (msgspec.ValidationError, msgspec.DecodeError, AttributeError, TypeError, ValueError) as exc:
            return error_response(400, f"Invalid request body: {exc}", "invalid_value")
        self.ephemeral_keys[secret.value] = (float(secret.expires_at), secret.update)
        return web.json_response(
            {"value": secret.value, "expires_at": secret.expires_at, "session": secret.session}
        )

    def _write_record(self, index: int, direction: str, data: bytes) -> None:
        if self._record is not None:
            self._record.write(record_line(index, direction, data) + b"\n")


@contextlib.asynccontextmanager
async def openai_or_local(model: Model | None = None) -> AsyncIterator[SessionEndpoint]:
    """OpenAI when ``OPENAI_API_KEY`` is set, else a ``LocalRealtimeServer`` for as long as the block runs::

        async with openai_or_local(model=EchoModel()) as endpoint:
            async with RealtimeSession(**endpoint, session_properties=...) as session:
                ...

    Yields the ``RealtimeSession`` keyword arguments for either: with the key, ``api_key=None`` (the
    session reads the key itself) and OpenAI's URL; without it, the local server's
    ``session_options()``.  ``model`` is the local server's (``EchoModel()`` by default); for more
    options start a ``LocalRealtimeServer`` yourself.
    """
    if os.environ.get("OPENAI_API_KEY"):
        from ..session import DEFAULT_URL

        yield {"api_key": None, "base_url": DEFAULT_URL}
        return
    async with LocalRealtimeServer(model=model) as server:
        yield server.session_options()
