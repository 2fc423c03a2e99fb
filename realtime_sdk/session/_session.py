"""``RealtimeSession``: the asyncio edge.  One aiohttp websocket, one reader task, typed send and receive.

Theory of operation
-------------------
``connect()`` (or ``async with``) performs the handshake, starts the reader, waits for ``session.created``,
sends the configured ``session.update`` and returns once ``session.updated`` confirmed it — all within
``connect_timeout``.

``RealtimeSession`` is one class (no bases) composed of collaborators, each given narrow callables, never
the session (``docs/architecture.md`` has the picture):

- ``Wire`` (``_wire.py``): the websocket, the reader loop, the send path, requests and their
  acknowledgements, the reconnect gate;
- ``ResponseDesk`` (``_response_desk.py``): a ``ResponseHandle`` for every response, whoever started it,
  over the core's ``ResponseBook``; ``create_response``'s wait for a free conversation;
- ``AudioIO`` (``_audio_io.py``), ``VideoInput`` (``_video.py``), ``ToolRunner`` (``_tool_runner.py``),
  ``ApprovalDesk`` (``_approvals.py``), ``Reconnector`` (``_reconnect.py``), ``InputTranscripts``,
  ``HandlerRegistry`` and the event stream.

This module builds them and wires them together, holds the public API (each method a thin shape over a
collaborator) and the one dispatch every server event goes through (``_dispatch``, its order documented
there; ``_dispatch_nowait`` is the same steps without a coroutine for the events none of whose steps can
wait, tried first).

``close()`` stops the reader by closing the websocket from outside (never by cancelling ``receive()``),
fails every waiter, handle and stream with ``ConnectionClosed``, then waits for the reader, tool and
handler tasks, so no task outlives the session.

With a ``ReconnectPolicy`` an abnormal end does not end the session: ``_reconnect.py`` opens a new
connection, restores configuration and conversation, emits ``Reconnected`` and opens the gate that sends
wait at meanwhile.

``update_session`` keeps the configuration the server confirmed: the delta is merged into it when (and
only when) ``session.updated`` answers it, at the moment the reader resolves the request, even if the
caller stopped waiting, so the SDK's picture of the configuration (what later updates are diffed against
and what a reconnect sends again) never drifts from the server's.  ``create_response`` never races: a
second response waits for the active one under a lock, unless out of band.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, Unpack, cast, overload

import aiohttp
import msgspec
from msgspec import UNSET

from .. import _config
from .._generated import (
    SERVER_EVENT_TYPES,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemDelete,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    Error,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    InputAudioBufferDtmfEventReceived,
    RealtimeConversationItem,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    ResponseCancel,
    ResponseOutputAudioDelta,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
)
from ..audio._sizes import Encoding, Quality, default_sample_rate
from ..conversation import Conversation, HistoryItem, history_events
from ..conversation._history import check_item_images
from ..errors import (
    AudioOnCallError,
    ConfigurationError,
    ConnectionClosed,
    ConnectTimeoutError,
    RealtimeError,
    ResponseActiveError,
    ServerError,
)
from ..events import AnyServerEvent, ClientEvent, UnknownServerEvent
from ..local_events import LocalEvent, McpApprovalRequested, SessionEvent
from ..protocol import ApprovalBook, ToolBatches
from ..protocol._salvage import salvage
from ..tools import DEFAULT_TIMEOUT, Tool, ToolCall, ToolRegistry
from ..types import RealtimeServerSession, ServerSession, confirmed_session
from ..vision import DEFAULT_KEEP, ImageInput, check_detail, image_message
from . import _arguments
from ._approvals import ApprovalDesk, ApprovalPolicy, check_policy
from ._arguments import check_options, conversation_item, session_properties
from ._audio_io import AudioHooks, AudioIO, InterruptCallback, PushToTalk
from ._audio_out import DEFAULT_MAX_BUFFERED_SECONDS, OutputAudioStream, PlaybackTracker
from ._audio_send import DEFAULT_CHUNK_MS
from ._connect import Endpoint, TokenProvider, abort, check_transport, has_credential_header
from ._handlers import HandlerRegistry, ItemHandler, describe, handler_key
from ._input_transcripts import InputTranscripts
from ._observers import Observers
from ._reconnect import ReconnectHooks, Reconnector, ReconnectPolicy, abandoned_responses
from ._response_desk import ResponseDesk
from ._responses import ResponseHandle
from ._streams import EventStream
from ._tool_runner import ToolHooks, ToolRunner
from ._video import VideoInput
from ._waiters import HARMLESS_ERROR_CODES
from ._wire import Wire

if TYPE_CHECKING:
    from ..audio._formats import AudioChunk
    from ..recording import Recorder

__all__ = ["DEFAULT_URL", "HARMLESS_ERROR_CODES", "RealtimeSession", "ResponseHandle", "SessionOptions"]

log = logging.getLogger("realtime_sdk")

DEFAULT_URL = "wss://api.openai.com/v1/realtime"

_ALREADY_ACTIVE = "conversation_already_has_active_response"

E = TypeVar("E")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])
DtmfHandler = TypeVar("DtmfHandler", bound=Callable[[str, int], object])


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


class RealtimeSession:
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
        ``heartbeat`` notices a dead peer: after that many seconds with nothing received, a ping; nothing
        within half as long again drops the connection (``ConnectionClosed`` 1006, or a reconnect).
        ``close_timeout`` bounds ``close()``.
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
        self._initial = _config.normalise(
            _arguments.session_properties(session_properties, "session_properties")
        )
        headers = dict(headers or {})
        self._own_http = http is None
        self._connect_timeout = connect_timeout
        self._close_timeout = close_timeout
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
        credential = endpoint.has_credential or has_credential_header(headers)
        check_transport(endpoint.url, has_credential=credential, allow_insecure=allow_insecure)

        self._closing = False
        self.conversation = Conversation()
        """Conversation state (items, transcripts, audio received and played, usage), fed every event."""
        self._wire = Wire(
            endpoint,
            http=http,
            headers=headers,
            heartbeat=heartbeat,
            close_timeout=close_timeout,
            request_timeout=request_timeout,
            send_timeout=send_timeout,
            sent=self.conversation.sent,  # keeps the images of new items for a reconnect's restore
            dispatch=self._dispatch,
            dispatch_nowait=self._dispatch_nowait,
            ended=self._reader_ended,
        )
        self._events: EventStream[SessionEvent] = EventStream(max_queued_events, name="session events")
        self._handlers = HandlerRegistry(self)
        self._approvals = ApprovalDesk(
            policy=mcp_approval,
            timeout=mcp_approval_timeout,
            add_item=self.add_item,
            create_response=self.create_response,
            emit=self._emit,
        )
        self._responses = ResponseDesk(
            self._wire,
            maxsize=max_queued_events,
            call=self._handlers.call,
            started=lambda out_of_band: self._approvals.started(out_of_band=out_of_band),
        )
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
                run_callback=lambda callback, args: self._handlers.call(callback, *args),
            ),
            chunk_ms=audio_chunk_ms,
            start_paused=start_audio_paused,
        )
        self._config = RealtimeSessionCreateRequestGA()
        """The configuration the server confirmed (what a reconnect sends again)."""
        self.server_session: ServerSession | None = None
        """The session as the server last described it (``session.created`` / ``session.updated``)."""
        self._confirmed_cache: tuple[ServerSession, RealtimeServerSession] | None = None
        registry = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools or ())
        book = self._responses.book
        hooks = ToolHooks(
            is_active=book.is_active,
            handle_for=self._responses.handle_for,
            emit=self._emit,
            add_item=self.add_item,
            wait_idle=lambda: self._wait_idle(),
            create_response=self.create_response,
            ended=lambda: self._wire.closed,
            reconnecting=lambda: self._wire.reconnecting,
            items=lambda: self.conversation.items,
        )
        self._tools = ToolRunner(hooks, registry, auto_execute=auto_execute, timeout=tool_timeout)
        self._link = Reconnector(
            ReconnectHooks(
                conversation=self.conversation,
                connect_timeout=connect_timeout,
                closing=lambda: self._closing,
                responding=lambda: bool(book.active),
                creating=self._responses.create_lock.locked,
                tools_busy=lambda: not self._tools.idle,
                server_session_id=self._server_session_id,
                hang_up=self._hang_up,
                open=self._open,
                resend_configuration=self._resend_configuration,
                create_items=lambda events: self._create_items(events, gated=False),
                discard_connection=self._wire.discard,
                emit=self._emit,
                reopen=self._wire.reopen,
                shutdown=self._shutdown,
            ),
            reconnect,
        )
        self._tools.on_change = self._link.poke
        self._observers.add(self._tools.observe, ToolBatches.WANTS)
        # Any event but a delta may end a wait for a quiet moment (a delta only comes while responding).
        self._observers.add(self._link.observe, _NOT_DELTAS)
        self._history = list(history or ())
        check_item_images(self._history)
        self._video = VideoInput(
            add_item=self.add_item,
            delete_item=self.delete_item,
            ended=lambda: self._wire.closed,
            detail=video_frame_detail,
            fps=video_fps,
            keep=video_frames_kept,
            paused=start_video_paused,
        )
        self._observers.add(self._video.observe, VideoInput.WANTS)
        self._observers.add(self._approvals.observe, ApprovalBook.WANTS)
        if len(registry):
            self._initial = _with_tools(self._initial, registry)
        self._waiting_for = self._wire.waiters.types_awaited
        self._slow_kinds: frozenset[str] = (
            _SLOW_KINDS | AudioIO.WANTS | frozenset(ToolBatches.WANTS) | frozenset(ApprovalBook.WANTS)
        ) - {_AUDIO_DELTA}  # the audio step of a delta needs no waiting: on_audio_delta
        """Event types with a step that may await (or touches the tool runner): ``_dispatch`` only."""

    def __repr__(self) -> str:
        state = "closed" if self._wire.closed else ("open" if self._wire.ws is not None else "new")
        return f"<RealtimeSession {self._endpoint.kind} url={self._endpoint.url} {state}>"

    # -- lifecycle ------------------------------------------------------------------------------------------

    async def __aenter__(self) -> RealtimeSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Handshake, ``session.created``, the configured ``session.update``, ``session.updated``."""
        if self._wire.ws is not None or self._link.armed:
            raise RealtimeError("a RealtimeSession connects once; create a new one to reconnect")
        if self._wire.http is None:
            self._wire.http = aiohttp.ClientSession()
        if self._record_to is not None and self._wire.recorder is None:
            self._wire.recorder = self._open_recorder(self._record_to)
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
            ws = self._wire.ws
            if ws is not None:
                abort(ws)
            self._shutdown(ConnectionClosed(1006, "close() was cancelled"))
            raise

    async def _close(self) -> None:
        await self._link.aclose()
        await self._video.aclose()
        await self._approvals.aclose()
        ws, reader = self._wire.ws, self._wire.reader
        if ws is not None and not ws.closed:
            self._wire.close_reason = "closed by the client"
            try:
                async with asyncio.timeout(self._close_timeout):
                    await ws.close()
            except TimeoutError:
                log.info("no close handshake within %s s; dropping the connection", self._close_timeout)
            except (aiohttp.ClientError, ConnectionError):
                pass  # the connection went first; it is closed either way
            finally:
                abort(ws, only_if_stuck=True)
        if ws is not None or self._wire.ready is not None:
            # Unblocks a reader waiting for room in a stream nobody will read any more.
            code = ws.close_code if ws is not None else None
            self._shutdown(ConnectionClosed(code, self._wire.close_reason or "closed by the client"))
        if reader is not None and reader is not asyncio.current_task():
            # Waited for, not awaited: a reader cancelled by an earlier, cancelled close() is not this
            # close()'s cancellation (only a cancellation of this task propagates, from the wait).
            await asyncio.wait({reader})
            if not reader.cancelled() and reader.exception() is not None:
                log.debug("the reader ended with an error", exc_info=reader.exception())
        await self._tools.aclose()
        await self._handlers.finish(self._close_timeout)
        if self._own_http and self._wire.http is not None:
            http, self._wire.http = self._wire.http, None
            await http.close()
        if self._wire.recorder is not None and self._wire.recorder is not self._record_to:
            self._wire.recorder.close()  # a Recorder the caller gave stays theirs to close

    def _open_recorder(self, target: str | os.PathLike[str] | Recorder) -> Recorder:
        from ..recording import Recorder  # only a recording session needs it

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
        return self._wire.closed is not None

    @property
    def reconnecting(self) -> bool:
        """True while a lost connection (or one rolled over) is being replaced; sends wait meanwhile.

        False again when ``Reconnected`` is delivered; a session that gives up is ``closed`` instead."""
        return self._link.reconnecting and self._wire.closed is None

    @property
    def response_active(self) -> bool:
        """True from a response's ``response.created`` to its ``response.done`` in the default conversation
        (out-of-band responses do not count): ``create_response`` would wait for it now."""
        return bool(self._responses.book.active)

    # -- sending ------------------------------------------------------------------------------------------

    async def send(self, event: ClientEvent) -> str:
        """Send any client event; returns its ``event_id`` (assigned when unset).  Errors arrive as events."""
        event, event_id = self._wire.with_id(event)
        await self._wire.send(event)
        return event_id

    async def update_session(
        self, properties: RealtimeSessionCreateRequestGA | None = None, /, **changes: Any
    ) -> ServerSession:
        """Change the session: send the fields that differ, wait for ``session.updated``.

        ``update_session(instructions="...", max_output_tokens=2048)`` or
        ``update_session(SessionProperties(...))``.  The shortcuts ``voice=``, ``turn_detection=`` and
        ``transcription=`` set ``audio.output.voice``, ``audio.input.turn_detection`` and
        ``audio.input.transcription``.  An unknown or wrongly typed property raises
        ``ConfigurationError`` before anything is sent.  Raises ``ServerError`` if the server refuses,
        ``RequestTimeoutError`` when it does not answer in time.  Across a reconnect the update is sent
        again on the new connection.
        """
        update = session_properties(properties, "update_session")
        if changes:
            update = _config.merge(update, session_properties(changes, "update_session"))
        target = _config.normalise(_config.merge(self._config, _config.normalise(update)))
        delta = _config.diff(self._config, target)
        if delta is None:
            if self.server_session is not None:
                return self.server_session
            # A sideband with nothing configured yet: no session.created told us the session, so ask
            # (an update that changes nothing is answered with session.updated all the same).
            delta = _config.normalise(RealtimeSessionCreateRequestGA())

        def confirmed(_: Any) -> None:
            # Merge the delta, not the target: another update may have been confirmed in between.
            self._config = _config.merge(self._config, delta)

        updated = await self._wire.request(
            SessionUpdate(session=delta), ("session.updated",), retry=True, on_result=confirmed
        )
        assert isinstance(updated, SessionUpdated)
        return updated.session

    async def append_audio(self, audio: bytes) -> None:
        """Append raw audio, already in the session's input format, to the input buffer."""
        await self._wire.send(InputAudioBufferAppend(audio=audio, event_id=self._wire.new_id()))

    async def commit_audio(self) -> InputAudioBufferCommitted:
        """Commit the input buffer as a user item; returns ``input_audio_buffer.committed``."""
        await self._audio_io.sender.flush()
        event = await self._wire.request(InputAudioBufferCommit(), ("input_audio_buffer.committed",))
        assert isinstance(event, InputAudioBufferCommitted)
        return event

    async def clear_audio(self) -> None:
        """Discard the input buffer; returns once the server confirmed."""
        self._audio_io.sender.reset()
        await self._wire.request(InputAudioBufferClear(), ("input_audio_buffer.cleared",))

    async def add_item(
        self,
        item: RealtimeConversationItem | Mapping[str, Any] | str,
        *,
        previous_item_id: str | None = None,
        role: Literal["user", "system", "assistant"] = "user",
    ) -> RealtimeConversationItem:
        """Add an item and return the item as the server stored it.

        ``item`` is an item (``text_message(...)``, any ``RealtimeConversationItem``), a dict of one (as
        ``history=`` takes) or a string (a text message from ``role``); anything else raises
        ``ConfigurationError``.
        """
        item = conversation_item(item, role, "add_item")
        check_item_images([item])  # a hand-built image part the API would refuse: ImageError, not sent
        if not isinstance(item.id, str):
            # A client-chosen id (the API allows up to 32 characters) is how the acknowledgement is matched.
            item = msgspec.structs.replace(item, id=f"item_{secrets.token_hex(12)}")
        item_id = item.id
        event = ConversationItemCreate(item=item)
        if previous_item_id is not None:
            event = msgspec.structs.replace(event, previous_item_id=previous_item_id)
        added = await self._wire.request(
            event,
            ("conversation.item.added", "conversation.item.created"),
            lambda e: e.item.id == item_id,
            retry=True,
        )
        assert isinstance(added, ConversationItemAdded | ConversationItemCreated)
        return added.item

    async def delete_item(self, item_id: str) -> None:
        await self._wire.request(
            ConversationItemDelete(item_id=item_id),
            ("conversation.item.deleted",),
            lambda e: e.item_id == item_id,
            retry=True,
        )

    async def truncate_item(self, item_id: str, *, audio_end_ms: int, content_index: int = 0) -> None:
        """Cut an assistant audio item at ``audio_end_ms`` (what the user actually heard)."""
        await self._wire.request(
            ConversationItemTruncate(item_id=item_id, content_index=content_index, audio_end_ms=audio_end_ms),
            ("conversation.item.truncated",),
            lambda e: e.item_id == item_id,
            retry=True,
        )

    async def retrieve_item(self, item_id: str) -> RealtimeConversationItem:
        event = await self._wire.request(
            ConversationItemRetrieve(item_id=item_id),
            ("conversation.item.retrieved",),
            lambda e: e.item.id == item_id,
            retry=True,
        )
        assert isinstance(event, ConversationItemRetrieved)
        return event.item

    async def create_response(
        self,
        params: RealtimeResponseCreateParams | None = None,
        *,
        on_active: Literal["wait", "raise"] | None = None,
        **fields: Any,
    ) -> ResponseHandle:
        """Ask for a response; return its handle once ``response.created`` arrived.

        ``fields`` are ``RealtimeResponseCreateParams`` fields (``instructions=``, ``conversation="none"``...).
        While a response is active in the conversation this waits for it to finish (``on_active="raise"``:
        raises ``ResponseActiveError``).  Out-of-band responses (``conversation="none"``) never wait.
        ``RequestTimeoutError`` when ``response.created`` does not come within ``request_timeout`` (the
        response may still start: it is tracked, and a later ``create_response`` waits for it).  A
        connection lost before ``response.created`` raises ``ConnectionClosed`` even when a reconnect
        follows: the response did not survive it, and only the app knows whether to ask again.
        """
        params = params or RealtimeResponseCreateParams()
        if isinstance(fields.get("tools"), list):
            # Functions and Tools become definitions (and the session can run them when called).
            fields["tools"] = self._tools.add_tools(fields["tools"])
        if fields:
            params = msgspec.structs.replace(params, **fields)
        out_of_band = params.conversation == "none"
        mode = on_active or self._on_active
        if out_of_band:
            return await self._responses.start(params, out_of_band=True)
        if mode == "raise" and (self._responses.create_lock.locked() or self._responses.book.active):
            raise ResponseActiveError("a response is active in the conversation")
        async with self._responses.create_lock:
            while True:
                if mode == "raise" and self._responses.book.active:
                    raise ResponseActiveError("a response is active in the conversation")
                await self._wait_idle()
                try:
                    return await self._responses.start(params, out_of_band=False)
                except ServerError as exc:
                    # Only possible when server VAD started a response in the same instant; its
                    # response.created has arrived by now (frames are ordered), so wait and go again.
                    # With no active response known there is nothing to wait for: never spin.
                    if exc.code != _ALREADY_ACTIVE or mode == "raise" or not self._responses.book.active:
                        raise

    async def cancel_response(self, response_id: str | None = None) -> None:
        """Cancel the active (or the given) response.  Never fails for want of an active response."""
        event = ResponseCancel() if response_id is None else ResponseCancel(response_id=response_id)
        await self.send(event)

    # -- tools ----------------------------------------------------------------------------------------

    @property
    def tools(self) -> ToolRegistry:
        """The tools the session runs when the model calls them (``tools=`` and per-response tools)."""
        return self._tools.registry

    def send_tool_result(self, call: ToolCall, output: object, *, is_error: bool = False) -> None:
        """Answer a call the app was handed (``auto_execute=False``; ``ToolCallStarted.call``).

        ``output`` is sent as is when a string, else as JSON; ``is_error`` sends ``{"error": output}``.
        Returns at once: the output is sent (after the call's response is done, in call order) and one new
        response is asked for when every call of that response has its result.  Raises
        ``ConfigurationError`` for a call that is not waiting for a result.
        """
        self._tools.answer(call, output, is_error=is_error)

    # -- receiving ----------------------------------------------------------------------------------------

    @property
    def confirmed(self) -> RealtimeServerSession:
        """The realtime session the server last confirmed, with the fields it always sends typed present:
        ``session.confirmed.audio.output.voice`` is a ``str``.  ``server_session`` is the lenient view.

        Raises ``ConnectionClosed`` before the server confirmed a session, ``ProtocolError`` when it is not
        a realtime session or lacks a field the service always sends.
        """
        current = self.server_session
        if current is None:
            raise ConnectionClosed(None, "no session confirmed yet: connect first")
        cached = self._confirmed_cache
        if cached is not None and cached[0] is current:
            return cached[1]
        confirmed = confirmed_session(current)
        self._confirmed_cache = (current, confirmed)
        return confirmed

    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        """``async for event in session``: every server event, typed; ``ConnectionClosed`` at the end.

        The SDK's own events (``Reconnected``, ``ToolCallStarted``, ``ToolCallFinished``) come in between.
        Across a reconnect the iteration goes on; it ends with the error that ended the session.
        """
        return self._events.__aiter__()

    @overload
    def on(
        self, event_type: type[E], handler: None = None
    ) -> Callable[[Callable[[E], R]], Callable[[E], R]]: ...
    @overload
    def on(self, event_type: type[E], handler: Callable[[E], R]) -> Callable[[E], R]: ...
    @overload
    def on(self, event_type: str, handler: None = None) -> Callable[[F], F]: ...
    @overload
    def on(self, event_type: str, handler: F) -> F: ...

    def on(self, event_type: type[Any] | str, handler: Callable[..., Any] | None = None) -> Any:
        """Call ``handler(event)`` (sync, or async: run as a task) for each event of that type.

        ``event_type`` is an event class, a wire type string, ``UnknownServerEvent`` (events the SDK does
        not know) or ``"*"`` (everything).  Usable as a decorator.  A raising handler is logged, nothing more.
        """
        key = handler_key(event_type)

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._handlers.add(key, fn)
            return fn

        return register if handler is None else register(handler)

    def off(self, event_type: type[Any] | str, handler: Callable[..., Any]) -> None:
        self._handlers.remove(handler_key(event_type), handler)

    def on_dtmf(self, handler: DtmfHandler) -> DtmfHandler:
        """Decorator: ``handler(digit, received_at)`` for each key the caller presses on a phone call.

        ``digit`` is the keypad key (``"0"``-``"9"``, ``"*"``, ``"#"``, ``"A"``-``"D"``), ``received_at`` the
        Unix time (seconds) the service received it.  Sync, or async (run as a task).  The event itself,
        ``InputAudioBufferDtmfEventReceived``, also reaches ``session.on(...)`` and ``async for``.
        """

        def press(event: object) -> object:
            if not isinstance(event, InputAudioBufferDtmfEventReceived):
                return None  # a drifted event (UnknownServerEvent): no digit to hand over
            return handler(event.event, event.received_at)

        self._handlers.add("input_audio_buffer.dtmf_event_received", press)
        return handler

    def on_conversation_item_created(self, handler: ItemHandler) -> ItemHandler:
        """Decorator: ``handler(session, item_id, item)`` once per new item (``conversation.item.added``)."""
        self._handlers.item_created.append(handler)
        return handler

    def on_conversation_item_updated(self, handler: ItemHandler) -> ItemHandler:
        """Decorator: ``handler(session, item_id, item)`` when an item is done, transcribed or truncated.

        ``item`` is the latest item the server sent (``None`` if none was seen); for a transcription the
        transcript is in the event, which ``session.on(...)`` delivers.
        """
        self._handlers.item_updated.append(handler)
        return handler

    async def input_transcript(
        self,
        item_id: str,
        *,
        content_index: int = 0,
        timeout: float | None = 30.0,  # noqa: ASYNC109 - bounded by default: a transcript may never come
    ) -> str:
        """What the user said in an audio item: its input transcription, once it completed.

        Resolves on ``conversation.item.input_audio_transcription.completed`` for that item (and content
        part), which may arrive before the reply, during it or long after; if it arrived already, returns
        at once.  ``item_id`` is the committed item's (``(await session.commit_audio()).item_id``,
        ``turn.committed.item_id``, ``input_audio_buffer.committed``).  Needs input transcription on
        (``audio.input.transcription``), else raises ``ConfigurationError`` at once.

        Raises ``TranscriptionFailedError`` on ``.failed`` (its ``code`` and ``message``), ``ConnectionClosed``
        when the connection ends first (also when a reconnect follows: the transcription is lost with it),
        ``RequestTimeoutError`` after ``timeout`` seconds (``None``: no limit).
        """
        if not self._input_transcripts.known(item_id, content_index):
            if self._wire.closed is not None:
                raise self._wire.closed
            audio_in = getattr(getattr(self.server_session, "audio", None), "input", None)
            if self.server_session is not None and getattr(audio_in, "transcription", None) in (None, UNSET):
                raise ConfigurationError(
                    "input transcription is off: update_session(audio={'input': {'transcription': "
                    "{'model': 'gpt-4o-mini-transcribe'}}}) first"
                )
        return await self._input_transcripts.wait(item_id, content_index, timeout)

    def responses(self) -> AsyncIterator[ResponseHandle]:
        """``async for handle in session.responses()``: a handle for every response, whoever started it.

        Yields each response's ``ResponseHandle`` as its ``response.created`` arrives: those the server
        starts (server VAD, ``push_to_talk``, a commit), those ``create_response`` asks for, the SDK's tool
        follow-ups.  ``handle.started_by_server`` tells them apart.  Responses that start while no
        iteration is running are not kept for a later one.  An interrupted response ends with
        ``done()`` reporting ``cancelled`` (or ``incomplete``).  Ends with the error that ended the
        session (``ConnectionClosed``), like ``async for event in session``.
        """
        return self._responses.stream.__aiter__()

    def on_response(self, callback: Callable[[ResponseHandle], object]) -> Callable[[ResponseHandle], object]:
        """Call ``callback(handle)`` for every new response (sync, or async: run as a task); a decorator."""
        self._responses.callbacks.append(callback)
        return callback

    def add_observer(self, observer: Callable[[AnyServerEvent], None]) -> None:
        """Feed every decoded event, first and in order, to ``observer`` (conversation state, recorders)."""
        self._observers.add(observer)

    # -- audio --------------------------------------------------------------------------------------------

    @property
    def audio_paused(self) -> bool:
        """Whether ``send_audio`` drops its input (``start_audio_paused``, ``pause_audio``)."""
        return self._audio_io.sender.paused

    def pause_audio(self) -> None:
        """Mute: ``send_audio`` drops its input until ``resume_audio``.  Audio still held back from before
        (up to one chunk plus the resampler's look-ahead) is dropped too: ``flush_audio()`` first to keep it."""
        self._audio_io.sender.paused = True
        self._audio_io.sender.reset()

    def resume_audio(self) -> None:
        self._audio_io.sender.paused = False

    async def send_audio(
        self,
        samples: AudioChunk,
        sample_rate: int | None = None,
        channels: int = 1,
        encoding: Encoding | None = None,
    ) -> None:
        """Send microphone, file or telephone audio; it is converted to the session's input format.

        ``samples``: bytes (PCM16 little-endian, or ``encoding="float32"``, ``"pcmu"``, ``"pcma"``) or a numpy
        array (int16, float32/float64 in [-1, 1]; 1-D, or ``(frames, channels)``).  ``sample_rate``
        defaults to 8000 for G.711 (``encoding="pcmu"``/``"pcma"``) and to 24000 otherwise.  Resampled to
        24 kHz PCM16, or to 8 kHz G.711 for a ``audio/pcmu``/``audio/pcma`` session (μ-law at 8 kHz into a
        μ-law session passes through untouched).  Appended in chunks of ``audio_chunk_ms`` (constructor; default
        40 ms, see ``_audio_send.DEFAULT_CHUNK_MS`` for why).  Dropped while paused.  Bytes may be cut
        anywhere, even inside a sample (the partial sample waits for the next call), but the stream must
        add up to whole samples: one that ends inside a sample raises ``AudioFormatError`` at
        ``flush_audio`` / ``commit_audio``.
        """
        await self._audio_io.send(samples, default_sample_rate(sample_rate, encoding), channels, encoding)

    async def flush_audio(self) -> None:
        """Send what ``send_audio`` still holds back (resampler tail, partial chunk).  ``commit_audio`` does it."""
        await self._audio_io.sender.flush()

    def output_audio(
        self,
        *,
        sample_rate: int | None = None,
        encoding: Encoding = "pcm16",
        channels: int = 1,
        quality: Quality = "HQ",
        max_buffered_seconds: float = DEFAULT_MAX_BUFFERED_SECONDS,
    ) -> OutputAudioStream:
        """The assistant's audio from now on, converted for a player: ``async for chunk in stream``.

        ``sample_rate`` defaults to 8000 for G.711 (``encoding="pcmu"``/``"pcma"``: a phone line) and to
        24000 otherwise.

        Yields ``OutputAudioChunk(response_id, item_id, content_index, data)`` and, when playback is
        interrupted, ``AudioInterrupted(...)``: flush the player then.  ``stream.tracker.played(nbytes)``
        reports playback (from any thread) so that interruptions truncate at what was heard.  Create it
        before the response starts: a stream only sees audio that arrives after it was made.  Unread audio
        waits in the stream (never blocking the reader), up to ``max_buffered_seconds`` of audio: past that
        the oldest unread chunks are dropped (``stream.dropped_seconds``).  ``close()`` it, or leave
        ``async with``, when done.

        Raises ``AudioOnCallError`` on a sideband (``attach``): the call carries that audio, not the
        websocket.
        """
        if self._endpoint.sideband:
            raise AudioOnCallError(
                "this session is attached to a call: the assistant's audio travels over the call (SIP or "
                "WebRTC), not over this websocket, so there is no audio to stream here; follow it with "
                "the output_audio_buffer.started / output_audio_buffer.stopped events"
            )
        rate = default_sample_rate(sample_rate, encoding)
        return self._audio_io.output_stream(rate, encoding, channels, quality, max_buffered_seconds)

    def playback_tracker(
        self, *, sample_rate: int | None = None, encoding: Encoding = "pcm16", channels: int = 1
    ) -> PlaybackTracker:
        """A playback clock for audio the app plays from elsewhere (``handle.audio()``, its own conversion):
        call ``tracker.queued(item_id, nbytes)`` when bytes go to the player and ``tracker.played(nbytes)``
        as it consumes them.  ``sample_rate`` defaults to 8000 for G.711 encodings, else 24000."""
        return self._audio_io.tracker(default_sample_rate(sample_rate, encoding), encoding, channels)

    def mark_played(self, item_id: str, ms: float, content_index: int = 0) -> None:
        """The player is ``ms`` milliseconds into this part (earlier parts count as fully played)."""
        self.conversation.mark_played(item_id, ms, content_index)

    async def interrupt(
        self, played_ms: Mapping[str, float] | None = None, *, cancel: bool | None = None
    ) -> list[ClientEvent]:
        """Stop the assistant where the user stopped hearing it; returns the events sent.

        Output streams get an ``AudioInterrupted`` marker, ``on_interrupt`` callbacks run, then
        ``response.cancel`` (unless server VAD cancels by itself; ``cancel`` forces it either way),
        ``conversation.item.truncate`` at what was heard and deletes of parts nobody heard are sent.
        Server VAD's ``speech_started`` does the same by itself when ``interrupt_response`` is on.
        On a sideband, while the call plays a response: ``response.cancel`` if it is still generating,
        ``output_audio_buffer.clear``, and a truncate at the time the call has played it.
        """
        return await self._audio_io.interrupt(played_ms, cancel=cancel)

    def on_interrupt(self, callback: InterruptCallback) -> InterruptCallback:
        """Decorator: ``callback(AudioInterrupted)`` on every interruption (sync, or async run as a task)."""
        self._audio_io.on_interrupt(callback)
        return callback

    def push_to_talk(self, *, interrupt: bool = True, **response_fields: Any) -> PushToTalk:
        """``async with session.push_to_talk() as turn: await turn.send(audio, sample_rate=16000)``; on exit
        the turn is committed, ``turn.response`` is the handle of the response asked for and
        ``await turn.transcript()`` what the user said."""
        return PushToTalk(
            self._audio_io,
            interrupt=interrupt,
            response_fields=response_fields,
        )

    # -- images and video -----------------------------------------------------------------------------------

    async def send_image(self, image: ImageInput, text: str | None = None, detail: str = "auto") -> str:
        """Add an image (and a question about it, before it) as a user message; returns the item id.

        ``image``: PNG, JPEG, WebP or GIF bytes (the type is read from the bytes), a ``data:`` image URL,
        a path, a numpy array (H×W×3 RGB or H×W×4 RGBA ``uint8``) or a Pillow image.  PNG and JPEG bytes
        are sent as they are; pixels are encoded as PNG and WebP/GIF converted, downscaled to what
        ``detail`` (``"auto"``, ``"low"``, ``"high"``) can use, in a worker thread.  It goes out as an
        ``input_image`` part with a ``data:`` URL.  ``ImageError`` for anything that cannot be sent (and
        ``ConfigurationError`` when pixels need Pillow, the ``video`` extra, and it is missing), raised
        before anything is sent.  Ask for an answer with ``create_response()``.
        """
        level = check_detail(detail)
        item = await asyncio.to_thread(image_message, image, text, "user", level)
        added = await self.add_item(item)
        item_id = added.id if isinstance(added.id, str) else item.id
        assert isinstance(item_id, str)
        return item_id

    async def send_video_frame(self, frame: ImageInput) -> bool:
        """Offer a video frame; returns at once, ``False`` when video is paused (the frame is dropped).

        At most ``video_fps`` frames a second go out (constructor option, default 1): a frame opens a
        window of ``1/video_fps`` seconds and the latest frame offered in it is sent, so a camera can call
        this for every frame it captures.  Frames are encoded to JPEG in a worker thread, downscaled to what
        ``video_frame_detail`` can use, and sent as user message items; only the last
        ``video_frames_kept`` of them stay in the conversation (older ones are deleted).  ``frame``: a
        numpy array (H×W×3 or H×W×4 ``uint8``, copied), a Pillow image, encoded image bytes, a ``data:``
        URL or a path.  ``ImageError`` for a frame that cannot be sent; ``ConfigurationError`` when pixels
        need Pillow (``pip install 'realtime-sdk[video]'``) and it is missing.
        """
        return self._video.offer(frame)

    def set_video_input_paused(self, paused: bool) -> None:
        """Pause (``True``) or resume video: while paused no frame is sent and none is kept for later.

        A frame being encoded when the pause comes is not sent either.
        """
        self._video.set_paused(paused)

    def pause_video(self) -> None:
        """``set_video_input_paused(True)``."""
        self._video.set_paused(True)

    def resume_video(self) -> None:
        """``set_video_input_paused(False)``."""
        self._video.set_paused(False)

    @property
    def video_paused(self) -> bool:
        """Whether video frames are dropped (``start_video_paused``, ``set_video_input_paused``)."""
        return self._video.scheduler.paused

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

    # -- the reader's dispatch and the end of a connection ------------------------------------------------

    async def _open(self) -> None:
        """A new connection (``Wire.open``), up to its ``session.created``."""
        await self._wire.open()
        self._responses.heard = asyncio.get_running_loop().time()

    def _dispatch_nowait(self, event: AnyServerEvent) -> bool:
        """``_dispatch`` without a coroutine, for the events that need no step that may wait (most of a
        response's events: text, transcript and argument deltas, parts, items).  ``False``: nothing was
        done, ``await _dispatch(event)``.

        Every condition that could make a step wait or differ is read first, then the same steps as
        ``_dispatch`` run in its order: observers, the event's response handle, handlers, the session
        stream (and for an audio delta, its audio step, which never waits).  The others cannot apply: no
        request waits for the type, no echo or hidden greeting has it (items and sessions go the slow
        way), no other audio or tool step reads it, no notice is pending.
        """
        if (
            type(event) not in _FAST_CLASSES  # unknown or salvaged events and the slow kinds go the slow way
            or (kind := event.type) in self._slow_kinds
            or kind in self._waiting_for
            or self._tools.has_notices
            or not self._events.has_room
            or log.isEnabledFor(logging.DEBUG)
        ):
            return False
        desk = self._responses
        key = desk.book.key_for(event)
        handle = None
        if key is not None:
            handle = desk.handles.get(key)
            if handle is not None and not handle._events.has_room:
                return False
        for observer in self._observers.of(kind):
            try:
                observer(event)
            except Exception:
                _fault(observer, event)
        if kind == _AUDIO_DELTA:
            try:
                self._audio_io.on_audio_delta(cast(ResponseOutputAudioDelta, event))
            except Exception:
                _fault(self._audio_io.on_audio_delta, event)
        if key is not None:
            try:
                desk.heard = self._wire.loop_time()
                if handle is not None:
                    handle._feed_unchecked(event)  # room checked above; only the reader adds to it
            except Exception:
                _fault(desk.route, event)
        try:
            self._handlers.dispatch(kind, event)
        except Exception:
            _fault(self._handlers.dispatch, event)
        self._events.put_nowait(event)  # room checked above; only the reader adds server events
        return True

    async def _dispatch(self, event: AnyServerEvent) -> None:
        """One server event, in this order: echoes hidden, observers, audio, request waiters, the server
        session, greetings hidden while restoring, the event's response, handlers, the session stream, the
        tool runner's notices.  A fault in a step is logged and the steps after it still run."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("recv %s", describe(event))
        # A known event that failed validation still does its protocol job (ends a response, answers a
        # request) in its salvaged typed form; the app sees it as it came, an UnknownServerEvent.
        typed = event
        if isinstance(event, UnknownServerEvent) and event.known_type:
            typed = _guarded(salvage, event) or event
        waiters = self._wire.waiters
        kind = typed.type
        if self._link.is_echo(typed):
            # A restored item's acknowledgement: the app and the conversation saw this item once already.
            if kind in waiters:
                waiters.resolve(kind, typed)
            return
        # Each step in its own try (cheap in 3.11: no call): a fault is logged and the next steps run.
        for observer in self._observers.of(kind):
            try:
                observer(typed)
            except Exception:
                _fault(observer, event)
        if kind in self._audio_io.WANTS:
            try:
                await self._audio_io.on_event(typed)
            except Exception:
                _fault(self._audio_io.on_event, event)
        if kind == "error" and isinstance(typed, Error):
            try:
                if waiters.claim_error(typed):
                    return  # a request's refusal (or a harmless code): for the request only
            except Exception:
                _fault(waiters.claim_error, event)
        elif kind in waiters and not isinstance(typed, UnknownServerEvent):
            try:
                waiters.resolve(kind, typed)
            except Exception:
                _fault(waiters.resolve, event)
        if isinstance(typed, _SESSION_EVENTS):
            self.server_session = typed.session
        if self._link.hides(typed):
            return  # the new connection's greeting and configuration, while restoring
        desk = self._responses
        try:
            routed = desk.book.receive(typed)
            # An event of a response: its handle, the active set.
            if routed is not None and not desk.route_nowait(routed, typed, asyncio.get_running_loop().time()):
                await desk.route(routed, typed)
        except Exception:
            _fault(desk.route, event)
        try:
            self._handlers.dispatch(event.type, event)
        except Exception:
            _fault(self._handlers.dispatch, event)
        if not self._events.put_nowait(event):
            await self._events.put(event)
        if self._tools.has_notices:
            for notice in self._tools.take_notices():
                await self._emit(notice)

    async def _emit(self, event: LocalEvent) -> None:
        """An SDK event: to the handlers and the session stream, like a server event."""
        if self._wire.closed is not None:
            return
        self._handlers.dispatch(event.type, cast(Any, event))
        await self._events.put(event)

    def _reader_ended(self, closed: ConnectionClosed) -> None:
        if self._wire.closed is not None:
            return
        if self._link.reconnecting:
            self._connection_lost(closed)  # a connection of a reconnect attempt: the attempt fails
        elif self._link.should_reconnect(closed):
            lost = self._connection_lost(closed)
            self._link.start(closed, lost)
        else:
            self._shutdown(closed)

    def _fail_requests(self, exc: RealtimeError) -> None:
        """Every request, response handle and transcript wait of the connection fails with ``exc``."""
        self._wire.waiters.fail_all(exc)
        self._input_transcripts.fail_all(exc)
        self._responses.fail_all(exc)

    def _shutdown(self, exc: RealtimeError) -> None:
        if self._wire.closed is not None:
            return
        self._wire.end(exc)
        self._fail_requests(exc)
        self._responses.close(exc)
        self._events.close(exc)
        self._audio_io.close(exc)

    def _connection_lost(self, closed: ConnectionClosed) -> tuple[str, ...]:
        """Drop what belonged to the connection, keep the session; sends wait at the gate from now on."""
        self._wire.shut()
        self._wire.ws = None
        self._fail_requests(closed)
        lost = abandoned_responses(self.conversation)
        for done in lost:
            # Internal state only (the app is told in Reconnected.lost_responses): the runner answers the
            # complete calls of a lost response on the new connection.
            self.conversation.receive(done)
            self._tools.observe(done)
        self._approvals.connection_lost()  # their requests went with the server's session
        self._responses.settle(None)
        return tuple(d.response.id for d in lost if isinstance(d.response.id, str))

    def _server_session_id(self) -> str | None:
        server = self.server_session
        return server.id if server is not None and isinstance(server.id, str) else None

    async def _hang_up(self) -> None:
        """A rollover: drop what belongs to this connection, close it (1000), wait for its reader."""
        ws, reader = self._wire.ws, self._wire.reader
        self._connection_lost(ConnectionClosed(1000, "rollover"))
        if ws is not None:
            await ws.close()
        if reader is not None:
            await reader

    async def _resend_configuration(self) -> None:
        # The whole confirmed configuration, as one update: a new server session starts from defaults.
        if self._config != RealtimeSessionCreateRequestGA():
            await self._wire.request(SessionUpdate(session=self._config), ("session.updated",), gated=False)

    async def _create_items(self, events: list[ClientEvent], *, gated: bool) -> None:
        await self._wire.create_items(events, gated=gated)

    async def _wait_idle(self) -> None:
        await self._responses.wait_idle()


def _with_tools(
    properties: RealtimeSessionCreateRequestGA, registry: ToolRegistry
) -> RealtimeSessionCreateRequestGA:
    """``properties`` with the registry's definitions added to its tools (a same-named one is replaced)."""
    names = {t.name for t in registry}
    given = properties.tools if isinstance(properties.tools, list) else []
    kept = [t for t in given if getattr(t, "name", None) not in names]
    return msgspec.structs.replace(properties, tools=[*kept, *registry.definitions()])


_SESSION_EVENTS = (SessionCreated, SessionUpdated)
_AUDIO_DELTA = "response.output_audio.delta"
_NOT_DELTAS = frozenset(kind for kind in SERVER_EVENT_TYPES if not kind.endswith(".delta"))
_SLOW_KINDS = frozenset(
    {
        "error",  # a request's refusal: claimed before the app sees it
        "session.created",  # the server session; hidden while restoring
        "session.updated",
        "conversation.item.added",  # a restored item's echo
        "conversation.item.created",
        "conversation.item.done",
        "response.created",  # a handle announced, or a response ended: the desk awaits
        "response.done",
    }
)
_FAST_CLASSES = frozenset(cls for kind, cls in SERVER_EVENT_TYPES.items() if kind not in _SLOW_KINDS)


def _guarded(step: Callable[..., Any], *args: Any) -> Any:
    """One step of the dispatch; a fault in it (a bug, or state the server confused) is logged."""
    try:
        return step(*args)
    except Exception:
        log.exception("internal error in %s on %s", getattr(step, "__qualname__", step), args[-1].type)
        return None


def _fault(step: Callable[..., Any], event: AnyServerEvent) -> None:
    log.exception("internal error in %s on %s", getattr(step, "__qualname__", step), event.type)
