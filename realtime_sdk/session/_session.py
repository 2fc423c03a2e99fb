"""``RealtimeSession``: the asyncio edge.  One aiohttp websocket, one reader task, typed send and receive.

Theory of operation
-------------------
``connect()`` (or ``async with``) performs the handshake, starts the reader, waits for ``session.created``,
sends the configured ``session.update`` and returns once ``session.updated`` confirmed it — all within
``connect_timeout``.

The session is one object made of parts split by responsibility (``_state.py`` lists them and declares
what they share): the reader task and the end of a connection (``_reader.py``), requests and their
acknowledgements (``_requests.py``), the public send helpers (``_sending.py``), the app's subscriptions
(``_receiving.py``) and the audio delegates (``_session_audio.py``).  This module builds the session and
runs its life: connect and close.

``close()`` stops the reader by closing the websocket from outside (never by cancelling ``receive()``),
fails every waiter, handle and stream with ``ConnectionClosed``, then waits for the reader, tool and
handler tasks, so no task outlives the session.

With a ``ReconnectPolicy`` an abnormal end does not end the session: ``_reconnect.py`` opens a new
connection, restores configuration and conversation, emits ``Reconnected`` and opens the gate that sends
wait at meanwhile.  Function calls are run and answered by ``_tool_runner.py``, an observer like the
conversation.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, TypedDict, Unpack

import aiohttp
import msgspec

from .. import _config
from .._generated import RealtimeSessionCreateRequestGA
from ..conversation import Conversation, HistoryItem, history_events
from ..conversation._history import check_item_images
from ..errors import ConfigurationError, ConnectionClosed, ConnectTimeoutError, RealtimeError
from ..local_events import McpApprovalRequested
from ..protocol import ApprovalBook, ResponseBook, ToolBatches
from ..recording import Recorder
from ..tools import DEFAULT_TIMEOUT, Tool, ToolRegistry
from ..vision import DEFAULT_KEEP
from . import _arguments
from ._approvals import ApprovalDesk, ApprovalPolicy, check_policy
from ._arguments import check_options
from ._audio_io import AudioHooks, AudioIO
from ._audio_send import DEFAULT_CHUNK_MS
from ._connect import Endpoint, TokenProvider, abort, check_transport, has_credential_header
from ._handlers import HandlerRegistry
from ._input_transcripts import InputTranscripts
from ._observers import Observers
from ._reader import Reader
from ._receiving import Receiving
from ._reconnect import ReconnectHooks, Reconnector, ReconnectPolicy
from ._responses import ResponseHandle
from ._sending import Sending
from ._session_audio import SessionAudio
from ._streams import EventStream
from ._tool_runner import ToolHooks, ToolRunner
from ._video import SessionVideo, VideoInput
from ._waiters import HARMLESS_ERROR_CODES, Waiters

__all__ = ["DEFAULT_URL", "HARMLESS_ERROR_CODES", "RealtimeSession", "ResponseHandle", "SessionOptions"]

log = logging.getLogger("realtime_sdk")

DEFAULT_URL = "wss://api.openai.com/v1/realtime"


class SessionOptions(TypedDict, total=False):
    """Options every constructor (``RealtimeSession``, ``.azure``, ``.attach``) accepts."""

    session_properties: RealtimeSessionCreateRequestGA | dict[str, Any] | None
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
    on_active: Literal["wait", "raise"]
    tools: Sequence[Tool | Callable[..., Any]] | ToolRegistry | None
    auto_execute: bool
    tool_timeout: float | None
    history: Sequence[HistoryItem] | None
    reconnect: ReconnectPolicy | None
    record_to: str | os.PathLike[str] | Recorder | None
    video_frame_detail: str
    start_video_paused: bool
    video_fps: float
    video_frames_kept: int
    mcp_approval: ApprovalPolicy
    mcp_approval_timeout: float | None


class RealtimeSession(SessionAudio, SessionVideo, Receiving, Sending, Reader):
    """A connection to the Realtime API.  Use as ``async with RealtimeSession(...) as session:``."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        model: str = "gpt-realtime-2.1",
        base_url: str = DEFAULT_URL,
        query: Mapping[str, str] | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        """Configure (not open) a session.

        ``api_key`` falls back to ``OPENAI_API_KEY``.  ``model`` (default ``gpt-realtime-2.1``; OpenAI
        retires ``gpt-realtime`` on 2027-01-20) is fixed for the connection (a URL parameter).  ``session_properties`` (``SessionProperties`` or a dict) is sent on connect.  ``headers``
        and ``query`` add to the handshake.  ``http`` shares an existing ``aiohttp.ClientSession`` (it is not
        closed here).  ``allow_insecure`` allows sending the key over ``ws://`` to a host off loopback.
        ``connect_timeout`` bounds ``connect()`` as a whole (``ConnectTimeoutError``); ``request_timeout``
        bounds each wait for the server's answer to a request — ``update_session``, ``add_item``,
        ``create_response`` up to ``response.created``... — (``RequestTimeoutError``; ``None``: wait as
        long as the connection lives).  Waiting for an active response to finish is not bounded by it.
        ``heartbeat`` (seconds between pings) notices a dead peer; ``close_timeout`` bounds ``close()``.
        ``send_timeout`` bounds each write into a socket the server stopped reading (``SendTimeoutError``;
        the connection is then dropped).
        ``max_queued_events`` bounds each event buffer.  ``on_active`` is the default of ``create_response``.
        ``start_audio_paused`` starts with ``send_audio`` muted; ``audio_chunk_ms`` is the audio per append.

        ``tools`` (functions, ``Tool``s or a ``ToolRegistry``) are added to ``session_properties.tools``;
        with ``auto_execute`` (default) the SDK runs the model's calls (``tool_timeout`` seconds each) and
        asks for the next response itself, else the app answers with ``send_tool_result``.  ``history``
        (messages, function calls and outputs) is added in order before ``connect()`` returns.
        ``reconnect`` (a ``ReconnectPolicy``) replaces a dropped or expiring connection and restores the
        conversation; without it a lost connection ends the session.  ``record_to`` (a path or a
        ``Recorder``) writes every frame both ways to a cassette (see ``realtime_sdk.recording``), across
        reconnects; a path's file is closed by ``close()``, a given ``Recorder`` is left to its owner.

        Video (``send_video_frame``): ``video_frame_detail`` (``"auto"``, ``"low"``, ``"high"``) is the
        detail level of frames, ``video_fps`` the most frames sent per second (the latest wins),
        ``video_frames_kept`` how many frame items stay in the conversation (older ones are deleted),
        ``start_video_paused`` starts with frames dropped until ``set_video_input_paused(False)``.

        MCP tools with ``require_approval``: ``mcp_approval`` answers their approval requests — ``"deny"``
        (the default: nothing runs unapproved, and nothing waits), ``"approve"``, a callable taking the
        ``McpApprovalRequested`` (sync or async, ``True`` approves), or ``"ask"``: the app answers with
        ``answer_mcp_approval``, and a request left unanswered for ``mcp_approval_timeout`` seconds is denied.
        """
        check_options(
            options, [*SessionOptions.__annotations__, "model", "base_url", "query"], "RealtimeSession()"
        )
        endpoint = Endpoint.openai(base_url, api_key=api_key, model=model, query=query)
        self._setup(endpoint, **options)

    @classmethod
    def azure(
        cls,
        *,
        endpoint: str,
        deployment: str,
        api_version: str | None = None,
        api_key: str | None = None,
        token_provider: TokenProvider | None = None,
        query: Mapping[str, str] | None = None,
        **options: Unpack[SessionOptions],
    ) -> RealtimeSession:
        """Azure OpenAI: ``<endpoint>/openai/v1/realtime?model=<deployment>``.

        (The parameters repeat ``Endpoint.azure``'s on purpose: this is the signature users, IDEs and
        mypy see.)

        Authenticates with ``api-key: <api_key>`` (falling back to ``AZURE_OPENAI_API_KEY``) or, with a
        ``token_provider`` (sync or async callable returning an Entra ID token), ``Authorization: Bearer``.
        """
        check_options(
            options,
            [
                *SessionOptions.__annotations__,
                "endpoint",
                "deployment",
                "api_version",
                "token_provider",
                "query",
            ],
            "RealtimeSession.azure()",
        )
        self = cls.__new__(cls)
        self._setup(
            Endpoint.azure(
                endpoint,
                deployment=deployment,
                api_version=api_version,
                api_key=api_key,
                token_provider=token_provider,
                query=query,
            ),
            **options,
        )
        return self

    @classmethod
    def attach(
        cls,
        call_id: str,
        api_key: str | None = None,
        *,
        base_url: str = DEFAULT_URL,
        query: Mapping[str, str] | None = None,
        **options: Unpack[SessionOptions],
    ) -> RealtimeSession:
        """Attach to an existing SIP or WebRTC call (``?call_id=`` in place of ``model``)."""
        check_options(
            options, [*SessionOptions.__annotations__, "base_url", "query"], "RealtimeSession.attach()"
        )
        self = cls.__new__(cls)
        self._setup(Endpoint.openai(base_url, api_key=api_key, call_id=call_id, query=query), **options)
        return self

    def _setup(
        self,
        endpoint: Endpoint,
        *,
        session_properties: RealtimeSessionCreateRequestGA | dict[str, Any] | None = None,
        start_audio_paused: bool = False,
        audio_chunk_ms: float = DEFAULT_CHUNK_MS,
        headers: Mapping[str, str] | None = None,
        http: aiohttp.ClientSession | None = None,
        allow_insecure: bool = False,
        connect_timeout: float | None = 20.0,
        request_timeout: float | None = 30.0,
        heartbeat: float | None = 20.0,
        close_timeout: float = 5.0,
        send_timeout: float | None = 5.0,
        max_queued_events: int = 2048,
        on_active: Literal["wait", "raise"] = "wait",
        tools: Sequence[Tool | Callable[..., Any]] | ToolRegistry | None = None,
        auto_execute: bool = True,
        tool_timeout: float | None = DEFAULT_TIMEOUT,
        history: Sequence[HistoryItem] | None = None,
        reconnect: ReconnectPolicy | None = None,
        record_to: str | os.PathLike[str] | Recorder | None = None,
        video_frame_detail: str = "auto",
        start_video_paused: bool = False,
        video_fps: float = 1.0,
        video_frames_kept: int = DEFAULT_KEEP,
        mcp_approval: ApprovalPolicy = "deny",
        mcp_approval_timeout: float | None = 60.0,
    ) -> None:
        # Option names were checked by the constructor that called this (check_options names the call).
        self._endpoint = endpoint
        self._record_to = record_to
        self._recorder = None
        self._initial = _config.normalise(
            _arguments.session_properties(session_properties, "session_properties")
        )
        self._headers = dict(headers or {})
        self._http = http
        self._own_http = http is None
        self._connect_timeout = connect_timeout
        self._request_timeout = request_timeout
        self._heartbeat = heartbeat
        self._close_timeout = close_timeout
        self._send_timeout = send_timeout
        self._maxsize = max_queued_events
        self._on_active = on_active
        timeouts = (
            ("connect_timeout", connect_timeout),
            ("request_timeout", request_timeout),
            ("send_timeout", send_timeout),
        )
        for name, value in timeouts:
            if value is not None and not value > 0:
                raise ConfigurationError(
                    f"{name} must be a positive number of seconds or None, not {value!r}"
                )
        _arguments.check_positive("close_timeout", close_timeout, optional=False)
        _arguments.check_chunk_ms(audio_chunk_ms)
        credential = endpoint.has_credential or has_credential_header(self._headers)
        check_transport(endpoint.url, has_credential=credential, allow_insecure=allow_insecure)

        self._ws = None
        self._reader = None
        self._closed = None
        self._closing = False
        self._ready = None
        self._close_reason = ""
        self._response_heard = 0.0
        self._ids = itertools.count(1)
        self._id_prefix = f"sdk_{secrets.token_hex(4)}_"
        self._events = EventStream(max_queued_events, name="session events")
        self._waiters = Waiters()
        self._book = ResponseBook()
        self._handles = {}
        self._response_stream = EventStream(max_queued_events, name="session responses", warn=False)
        self._response_callbacks = []
        self._idle_waiters = []
        self._create_lock = asyncio.Lock()
        self._handlers = HandlerRegistry(self)
        self.conversation = Conversation()
        """Conversation state (items, transcripts, audio received and played, usage), fed every event."""
        self._input_transcripts = InputTranscripts()
        self._observers = Observers()
        self._observers.add(self.conversation.receive)
        self._observers.add(self._input_transcripts.observe, InputTranscripts.WANTS)
        self._audio_io = AudioIO(
            AudioHooks(
                conversation=self.conversation,
                server_session=lambda: self.server_session,
                closed=lambda: self.closed,
                send=self.send,
                append_audio=self.append_audio,
                clear_audio=self.clear_audio,
                commit_audio=self.commit_audio,
                input_transcript=lambda item_id, timeout: self.input_transcript(item_id, timeout=timeout),
                create_response=lambda fields: self.create_response(**fields),
                run_callback=self._handlers._run,
            ),
            chunk_ms=audio_chunk_ms,
            start_paused=start_audio_paused,
        )
        self._config = RealtimeSessionCreateRequestGA()
        self.server_session = None
        self._confirmed_cache = None
        """The session as the server last described it (``session.created`` / ``session.updated``)."""
        registry = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools or ())
        hooks = ToolHooks(
            is_active=self._book.is_active,
            handle_for=self._handle_for,
            emit=self._emit,
            add_item=self.add_item,
            wait_idle=lambda: self._wait_idle(),
            create_response=self.create_response,
            ended=lambda: self._closed,
            reconnecting=lambda: self._reconnecting,
            items=lambda: self.conversation.items,
        )
        self._tools = ToolRunner(hooks, registry, auto_execute=auto_execute, timeout=tool_timeout)
        self._link = Reconnector(
            ReconnectHooks(
                conversation=self.conversation,
                connect_timeout=connect_timeout,
                closing=lambda: self._closing,
                responding=lambda: bool(self._book.active),
                creating=self._create_lock.locked,
                tools_busy=lambda: not self._tools.idle,
                server_session_id=self._server_session_id,
                hang_up=self._hang_up,
                open=self._open,
                resend_configuration=self._resend_configuration,
                create_items=lambda events: self._create_items(events, gated=False),
                discard_connection=self._discard_connection,
                emit=self._emit,
                reopen=self._reopen,
                shutdown=self._shutdown,
            ),
            reconnect,
        )
        self._tools.on_change = self._link.poke
        self._observers.add(self._tools.observe, ToolBatches.WANTS)
        self._observers.add(self._link.observe)  # every event may end a wait for a quiet moment
        self._history = list(history or ())
        check_item_images(self._history)
        self._video = VideoInput(
            self, detail=video_frame_detail, fps=video_fps, keep=video_frames_kept, paused=start_video_paused
        )
        self._approvals = ApprovalDesk(
            policy=mcp_approval,
            timeout=mcp_approval_timeout,
            add_item=self.add_item,
            create_response=self.create_response,
            emit=self._emit,
        )
        self._observers.add(self._approvals.observe, ApprovalBook.WANTS)
        if len(registry):
            self._initial = _with_tools(self._initial, registry)

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._ws is not None else "new")
        return f"<RealtimeSession {self._endpoint.kind} url={self._endpoint.url} {state}>"

    # -- lifecycle ------------------------------------------------------------------------------------------

    async def __aenter__(self) -> RealtimeSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Handshake, ``session.created``, the configured ``session.update``, ``session.updated``."""
        if self._ws is not None or self._link.armed:
            raise RealtimeError("a RealtimeSession connects once; create a new one to reconnect")
        if self._http is None:
            self._http = aiohttp.ClientSession()
        if self._record_to is not None and self._recorder is None:
            self._recorder = self._open_recorder(self._record_to)
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._open()
                if self._initial != RealtimeSessionCreateRequestGA():
                    await self.update_session(self._initial)
                if self._history:
                    await self._create_items(history_events(self._history), gated=False)
        except TimeoutError:
            await self._abort()
            raise ConnectTimeoutError(
                f"the session was not ready within {self._connect_timeout} s", status=None
            ) from None
        except BaseException:
            await self._abort()
            raise
        self._link.connected()
        log.info("connected to %s", self._endpoint.url.with_query(None))

    async def close(self) -> None:
        """Close the connection and wait for the reader, tool and handler tasks.  Safe to call twice.

        Bounded by ``close_timeout``: a server that does not answer the close handshake in time has its
        socket aborted.  Cancelling ``close()`` still drops the socket and fails every waiter; a later
        ``close()`` finishes the rest.
        """
        self._closing = True
        try:
            await self._close()
        except asyncio.CancelledError:
            ws = self._ws
            if ws is not None:
                abort(ws)
            self._shutdown(ConnectionClosed(1006, "close() was cancelled"))
            raise

    async def _close(self) -> None:
        await self._link.aclose()
        await self._video.aclose()
        await self._approvals.aclose()
        ws, reader = self._ws, self._reader
        if ws is not None and not ws.closed:
            self._close_reason = "closed by the client"
            try:
                async with asyncio.timeout(self._close_timeout):
                    await ws.close()
            except TimeoutError:
                log.info("no close handshake within %s s; dropping the connection", self._close_timeout)
            except (aiohttp.ClientError, ConnectionError):
                pass  # the connection went first; it is closed either way
            finally:
                abort(ws, only_if_stuck=True)
        if ws is not None or self._ready is not None:
            # Unblocks a reader waiting for room in a stream nobody will read any more.
            code = ws.close_code if ws is not None else None
            self._shutdown(ConnectionClosed(code, self._close_reason or "closed by the client"))
        if reader is not None and reader is not asyncio.current_task():
            # Waited for, not awaited: a reader cancelled by an earlier, cancelled close() is not this
            # close()'s cancellation (only a cancellation of this task propagates, from the wait).
            await asyncio.wait({reader})
            if not reader.cancelled() and reader.exception() is not None:
                log.debug("the reader ended with an error", exc_info=reader.exception())
        await self._tools.aclose()
        await self._handlers.finish(self._close_timeout)
        if self._own_http and self._http is not None:
            http, self._http = self._http, None
            await http.close()
        if self._recorder is not None and self._recorder is not self._record_to:
            self._recorder.close()  # a Recorder the caller gave stays theirs to close

    def _open_recorder(self, target: str | os.PathLike[str] | Recorder) -> Recorder:
        if isinstance(target, Recorder):
            return target
        model = self._endpoint.url.query.get("model")
        return Recorder(os.fspath(target), model=model, endpoint=self._endpoint.kind)

    async def _abort(self) -> None:
        # A failed connect: nothing was handed to the caller, so nothing needs a graceful goodbye.
        try:
            await self.close()
        except Exception:  # pragma: no cover - best effort on an already failing path
            log.debug("error while aborting a failed connect", exc_info=True)

    @property
    def closed(self) -> bool:
        return self._closed is not None

    @property
    def reconnecting(self) -> bool:
        """True while a lost connection (or one rolled over) is being replaced; sends wait meanwhile.

        False again when ``Reconnected`` is delivered; a session that gives up is ``closed`` instead."""
        return self._link.reconnecting and self._closed is None

    @property
    def response_active(self) -> bool:
        """True from a response's ``response.created`` to its ``response.done`` in the default conversation
        (out-of-band responses do not count): ``create_response`` would wait for it now."""
        return bool(self._book.active)

    # -- MCP approvals ----------------------------------------------------------------------------------

    async def answer_mcp_approval(self, request_id: str, approve: bool, *, reason: str | None = None) -> None:
        """Answer an MCP tool's approval request (``McpApprovalRequested``); returns once the server stored
        the answer.  When every request of the response is answered the session asks for the response that
        goes on.  ``ConfigurationError`` for an unknown or already answered ``request_id``."""
        await self._approvals.answer(request_id, approve, reason)

    def on_mcp_approval(
        self, decide: Callable[[McpApprovalRequested], Any]
    ) -> Callable[[McpApprovalRequested], Any]:
        """Decorator: ``decide(request)`` (sync or async) answers every approval request, ``True`` to approve;
        the same as ``mcp_approval=decide``."""
        check_policy(decide, None)
        self._approvals.policy = decide
        return decide

    @property
    def pending_mcp_approvals(self) -> list[McpApprovalRequested]:
        """The approval requests nobody answered yet (with ``mcp_approval="ask"``), oldest first."""
        return [self._approvals.notice(request) for request in self._approvals.open]


def _with_tools(
    properties: RealtimeSessionCreateRequestGA, registry: ToolRegistry
) -> RealtimeSessionCreateRequestGA:
    """``properties`` with the registry's definitions added to its tools (a same-named one is replaced)."""
    names = {t.name for t in registry}
    given = properties.tools if isinstance(properties.tools, list) else []
    kept = [t for t in given if getattr(t, "name", None) not in names]
    return msgspec.structs.replace(properties, tools=[*kept, *registry.definitions()])
