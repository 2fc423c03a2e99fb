"""``RealtimeSession``: the asyncio edge.  One aiohttp websocket, one reader task, typed send and receive.

Theory of operation
-------------------
``connect()`` (or ``async with``) performs the handshake, starts the reader, waits for ``session.created``,
sends the configured ``session.update`` and returns once ``session.updated`` confirmed it.

The reader task is the only caller of ``ws.receive()``.  Each frame is decoded and passed to
``_dispatch``, which in order: feeds the observers (the seam where conversation state hooks in), resolves
request waiters and matches ``error`` events to requests by ``event_id``, routes response events to their
``ResponseHandle``, calls the registered handlers, and finally ``await``s the bounded session stream that
``async for event in session`` reads (so a slow consumer slows the reader: TCP backpressure).

Requests that the server acknowledges (``update_session``, ``commit_audio``, ``add_item``...) register a
waiter *before* sending, keyed by the acknowledging event type and, where the acknowledgement names it, the
item id.  Every request carries a fresh ``event_id``; an ``error`` quoting it fails that waiter with
``ServerError``.  Errors no waiter claims arrive as events; harmless ones (``response_cancel_not_active``)
are only logged.

When the reader ends — ``close()``, a server close, a dropped connection, a missed heartbeat — ``_shutdown``
fails every waiter, handle and stream with the same ``ConnectionClosed(code, reason)``.  ``close()`` stops
the reader by closing the websocket from outside (never by cancelling ``receive()``), then waits for the
reader and for handler tasks, so no task outlives the session.

With a ``ReconnectPolicy`` an abnormal end does not reach ``_shutdown``: ``_connection_lost`` fails only
what belonged to that connection, sends wait at a gate (``_ready``), and ``_reconnect.py`` opens a new
connection, restores configuration and conversation, emits ``Reconnected`` and opens the gate.  Function
calls are run and answered by ``_tool_runner.py``, an observer like the conversation.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Literal, TypedDict, TypeVar, Unpack, cast

import aiohttp
import msgspec
from msgspec import UNSET

from . import _config
from ._audio_io import AudioIO, InterruptCallback, PushToTalk
from ._audio_out import OutputAudioStream, PlaybackTracker
from ._audio_send import DEFAULT_CHUNK_MS
from ._connect import Endpoint, TokenProvider, check_transport, open_websocket
from ._generated import (
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
    RealtimeConversationItem,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateResponseGA,
    RealtimeTranscriptionSessionCreateResponseGA,
    ResponseCancel,
    ResponseCreate,
    ResponseCreated,
    ResponseDone,
    SessionCreated,
    SessionUpdate,
    SessionUpdated,
)
from ._handlers import HandlerRegistry, ItemHandler, describe, handler_key
from ._reconnect import Reconnector, ReconnectPolicy, abandoned_responses
from ._responses import METADATA_KEY, ResponseHandle, merge_metadata, new_tag
from ._streams import EventStream
from ._tool_runner import ToolRunner
from ._waiters import HARMLESS_ERROR_CODES, Waiter, Waiters
from .audio import AudioChunk, Encoding, Quality
from .conversation import Conversation, HistoryItem, history_events
from .errors import (
    ConnectionClosed,
    ConnectTimeoutError,
    RealtimeError,
    ResponseActiveError,
    ServerError,
)
from .events import AnyServerEvent, ClientEvent, decode, encode
from .local_events import LocalEvent, SessionEvent
from .tools import DEFAULT_TIMEOUT, Tool, ToolCall, ToolRegistry

__all__ = ["DEFAULT_URL", "HARMLESS_ERROR_CODES", "RealtimeSession", "ResponseHandle", "SessionOptions"]

log = logging.getLogger("realtime_sdk")

DEFAULT_URL = "wss://api.openai.com/v1/realtime"
_ALREADY_ACTIVE = "conversation_already_has_active_response"
E = TypeVar("E")
ServerSession = RealtimeSessionCreateResponseGA | RealtimeTranscriptionSessionCreateResponseGA


class SessionOptions(TypedDict, total=False):
    """Options every constructor (``RealtimeSession``, ``.azure``, ``.attach``) accepts."""

    session_properties: RealtimeSessionCreateRequestGA | dict[str, Any] | None
    start_audio_paused: bool
    audio_chunk_ms: float
    headers: Mapping[str, str] | None
    http: aiohttp.ClientSession | None
    allow_insecure: bool
    connect_timeout: float | None
    heartbeat: float | None
    close_timeout: float
    max_queued_events: int
    on_active: Literal["wait", "raise"]
    tools: Sequence[Tool | Callable[..., Any]] | ToolRegistry | None
    auto_execute: bool
    tool_timeout: float | None
    history: Sequence[HistoryItem] | None
    reconnect: ReconnectPolicy | None


class RealtimeSession:
    """A connection to the Realtime API.  Use as ``async with RealtimeSession(...) as session:``."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        model: str = "gpt-realtime",
        base_url: str = DEFAULT_URL,
        query: Mapping[str, str] | None = None,
        **options: Unpack[SessionOptions],
    ) -> None:
        """Configure (not open) a session.

        ``api_key`` falls back to ``OPENAI_API_KEY``.  ``model`` is fixed for the connection (a URL
        parameter).  ``session_properties`` (``SessionProperties`` or a dict) is sent on connect.  ``headers``
        and ``query`` add to the handshake.  ``http`` shares an existing ``aiohttp.ClientSession`` (it is not
        closed here).  ``allow_insecure`` allows sending the key over ``ws://`` to a host off loopback.
        ``max_queued_events`` bounds each event buffer.  ``on_active`` is the default of ``create_response``.
        ``start_audio_paused`` starts with ``send_audio`` muted; ``audio_chunk_ms`` is the audio per append.

        ``tools`` (functions, ``Tool``s or a ``ToolRegistry``) are added to ``session_properties.tools``;
        with ``auto_execute`` (default) the SDK runs the model's calls (``tool_timeout`` seconds each) and
        asks for the next response itself, else the app answers with ``send_tool_result``.  ``history``
        (messages, function calls and outputs) is added in order before ``connect()`` returns.
        ``reconnect`` (a ``ReconnectPolicy``) replaces a dropped or expiring connection and restores the
        conversation (see ``_reconnect.py``); without it a lost connection ends the session.
        """
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

        Authenticates with ``api-key: <api_key>`` (falling back to ``AZURE_OPENAI_API_KEY``) or, with a
        ``token_provider`` (sync or async callable returning an Entra ID token), ``Authorization: Bearer``.
        """
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
        heartbeat: float | None = 20.0,
        close_timeout: float = 5.0,
        max_queued_events: int = 2048,
        on_active: Literal["wait", "raise"] = "wait",
        tools: Sequence[Tool | Callable[..., Any]] | ToolRegistry | None = None,
        auto_execute: bool = True,
        tool_timeout: float | None = DEFAULT_TIMEOUT,
        history: Sequence[HistoryItem] | None = None,
        reconnect: ReconnectPolicy | None = None,
    ) -> None:
        self._endpoint = endpoint
        self._initial = _config.normalise(_config.as_properties(session_properties))
        self._headers = dict(headers or {})
        self._http = http
        self._own_http = http is None
        self._allow_insecure = allow_insecure
        self._connect_timeout = connect_timeout
        self._heartbeat = heartbeat
        self._close_timeout = close_timeout
        self._maxsize = max_queued_events
        self._on_active: Literal["wait", "raise"] = on_active
        check_transport(endpoint.url, has_credential=endpoint.has_credential, allow_insecure=allow_insecure)

        self._ws: aiohttp.ClientWebSocketResponse[Literal[False]] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._closed: RealtimeError | None = None
        self._closing = False
        self._ready: asyncio.Future[None] | None = None
        """While reconnecting: the gate every send waits at (set when the new connection is ready)."""
        self._close_reason = ""
        self._ids = itertools.count(1)
        self._id_prefix = f"sdk_{secrets.token_hex(4)}_"
        self._events: EventStream[SessionEvent] = EventStream(max_queued_events, name="session events")
        self._waiters = Waiters()
        self._handles_by_tag: dict[str, ResponseHandle] = {}
        self._handles_by_id: dict[str, ResponseHandle] = {}
        self._active: set[str] = set()
        self._idle_waiters: list[asyncio.Future[None]] = []
        self._create_lock = asyncio.Lock()
        self._handlers = HandlerRegistry(self)
        self.conversation = Conversation()
        """Conversation state (items, transcripts, audio received and played, usage), fed every event."""
        self._observers: list[Callable[[AnyServerEvent], None]] = [self.conversation.receive]
        self._audio_io = AudioIO(self, chunk_ms=audio_chunk_ms, start_paused=start_audio_paused)
        self._config = RealtimeSessionCreateRequestGA()
        self.server_session: ServerSession | None = None
        """The session as the server last described it (``session.created`` / ``session.updated``)."""
        registry = tools if isinstance(tools, ToolRegistry) else ToolRegistry(tools or ())
        self._tools = ToolRunner(self, registry, auto_execute=auto_execute, timeout=tool_timeout)
        self._link = Reconnector(self, reconnect)
        self._tools.on_change = self._link.poke
        self._observers += [self._tools.observe, self._link.observe]
        self._history = list(history or ())
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
        """Close the connection and wait for the reader, tool and handler tasks.  Safe to call twice."""
        self._closing = True
        await self._link.aclose()
        ws, reader = self._ws, self._reader
        if ws is not None and not ws.closed:
            self._close_reason = "closed by the client"
            await ws.close()
        if ws is not None or self._ready is not None:
            # Unblocks a reader waiting for room in a stream nobody will read any more.
            code = ws.close_code if ws is not None else None
            self._shutdown(ConnectionClosed(code, self._close_reason or "closed by the client"))
        if reader is not None and reader is not asyncio.current_task():
            await reader
        await self._tools.aclose()
        await self._handlers.finish(self._close_timeout)
        if self._own_http and self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def _abort(self) -> None:
        # A failed connect: nothing was handed to the caller, so nothing needs a graceful goodbye.
        try:
            await self.close()
        except Exception:  # pragma: no cover - best effort on an already failing path
            log.debug("error while aborting a failed connect", exc_info=True)

    @property
    def closed(self) -> bool:
        return self._closed is not None

    # -- audio: thin delegates to the pipeline in _audio_io.py ---------------------------------------------

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
        sample_rate: int = 24000,
        channels: int = 1,
        encoding: Encoding | None = None,
    ) -> None:
        """Send microphone, file or telephone audio; it is converted to the session's input format.

        ``samples``: bytes (PCM16 little-endian, or ``encoding="float32"``, ``"pcmu"``, ``"pcma"``) or a numpy
        array (int16, float32/float64 in [-1, 1]; 1-D, or ``(frames, channels)``).  Resampled to 24 kHz
        PCM16, or to 8 kHz G.711 for a ``audio/pcmu``/``audio/pcma`` session (μ-law at 8 kHz into a μ-law
        session passes through untouched).  Appended in chunks of ``audio_chunk_ms`` (constructor; default
        40 ms, see ``_audio_send.DEFAULT_CHUNK_MS`` for why).  Dropped while paused.
        """
        await self._audio_io.send(samples, sample_rate, channels, encoding)

    async def flush_audio(self) -> None:
        """Send what ``send_audio`` still holds back (resampler tail, partial chunk).  ``commit_audio`` does it."""
        await self._audio_io.sender.flush()

    def output_audio(
        self,
        *,
        sample_rate: int = 24000,
        encoding: Encoding = "pcm16",
        channels: int = 1,
        quality: Quality = "HQ",
    ) -> OutputAudioStream:
        """The assistant's audio from now on, converted for a player: ``async for chunk in stream``.

        Yields ``OutputAudioChunk(response_id, item_id, content_index, data)`` and, when playback is
        interrupted, ``AudioInterrupted(...)``: flush the player then.  ``stream.tracker.played(nbytes)``
        reports playback (from any thread) so that interruptions truncate at what was heard.  Create it
        before the response starts: a stream only sees audio that arrives after it was made.  Unread audio
        waits in the stream (never blocking the reader); ``close()`` it, or leave ``async with``, when done.
        """
        return self._audio_io.output_stream(sample_rate, encoding, channels, quality)

    def playback_tracker(
        self, *, sample_rate: int = 24000, encoding: Encoding = "pcm16", channels: int = 1
    ) -> PlaybackTracker:
        """A playback clock for audio the app plays from elsewhere (``handle.audio()``, its own conversion):
        call ``tracker.queued(item_id, nbytes)`` when bytes go to the player and ``tracker.played(nbytes)``
        as it consumes them."""
        return self._audio_io.tracker(sample_rate, encoding, channels)

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
        """
        return await self._audio_io.interrupt(played_ms, cancel=cancel)

    def on_interrupt(self, callback: InterruptCallback) -> InterruptCallback:
        """Decorator: ``callback(AudioInterrupted)`` on every interruption (sync, or async run as a task)."""
        self._audio_io.on_interrupt(callback)
        return callback

    def push_to_talk(self, *, interrupt: bool = True, **response_fields: Any) -> PushToTalk:
        """``async with session.push_to_talk() as turn: await turn.send(audio, sample_rate=16000)``; on exit
        the turn is committed and ``turn.response`` is the handle of the response asked for."""
        return PushToTalk(self, self._audio_io, interrupt=interrupt, response_fields=response_fields)

    # -- receiving ------------------------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        """``async for event in session``: every server event, typed; ``ConnectionClosed`` at the end.

        The SDK's own events (``Reconnected``, ``ToolCallStarted``, ``ToolCallFinished``) come in between.
        Across a reconnect the iteration goes on; it ends with the error that ended the session.
        """
        return self._events.__aiter__()

    def on(self, event_type: type[E] | str, handler: Callable[[E], Any] | None = None) -> Any:
        """Call ``handler(event)`` (sync, or async: run as a task) for each event of that type.

        ``event_type`` is an event class, a wire type string, ``UnknownServerEvent`` (events the SDK does
        not know) or ``"*"`` (everything).  Usable as a decorator.  A raising handler is logged, nothing more.
        """
        key = handler_key(event_type)

        def register(fn: Callable[[E], Any]) -> Callable[[E], Any]:
            self._handlers.add(key, fn)
            return fn

        return register if handler is None else register(handler)

    def off(self, event_type: type[Any] | str, handler: Callable[[Any], Any]) -> None:
        self._handlers.remove(handler_key(event_type), handler)

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

    def add_observer(self, observer: Callable[[AnyServerEvent], None]) -> None:
        """Feed every decoded event, first and in order, to ``observer`` (conversation state, recorders)."""
        self._observers.append(observer)

    # -- sending --------------------------------------------------------------------------------------------

    async def send(self, event: ClientEvent) -> str:
        """Send any client event; returns its ``event_id`` (assigned when unset).  Errors arrive as events."""
        event, event_id = self._with_id(event)
        await self._send(event)
        return event_id

    async def update_session(
        self, properties: RealtimeSessionCreateRequestGA | None = None, /, **changes: Any
    ) -> ServerSession:
        """Change the session: send the fields that differ, wait for ``session.updated``.

        ``update_session(instructions="...", max_output_tokens=2048)`` or
        ``update_session(SessionProperties(...))``.  Raises ``ServerError`` if the server refuses.
        """
        update = _config.as_properties(properties)
        if changes:
            update = _config.merge(update, _config.as_properties(changes))
        target = _config.normalise(_config.merge(self._config, _config.normalise(update)))
        delta = _config.diff(self._config, target)
        if delta is None:
            if self.server_session is None:  # pragma: no cover - connect() always sets it
                raise RealtimeError("no session yet")
            return self.server_session
        updated = await self._request(SessionUpdate(session=delta), ("session.updated",))
        # Merge the delta, not the target: a concurrent update may have landed in between.
        self._config = _config.merge(self._config, delta)
        assert isinstance(updated, SessionUpdated)
        return updated.session

    async def append_audio(self, audio: bytes) -> None:
        """Append raw audio, already in the session's input format, to the input buffer."""
        await self.send(InputAudioBufferAppend(audio=audio))

    async def commit_audio(self) -> InputAudioBufferCommitted:
        """Commit the input buffer as a user item; returns ``input_audio_buffer.committed``."""
        await self._audio_io.sender.flush()
        event = await self._request(InputAudioBufferCommit(), ("input_audio_buffer.committed",))
        assert isinstance(event, InputAudioBufferCommitted)
        return event

    async def clear_audio(self) -> None:
        """Discard the input buffer; returns once the server confirmed."""
        self._audio_io.sender.reset()
        await self._request(InputAudioBufferClear(), ("input_audio_buffer.cleared",))

    async def add_item(
        self,
        item: RealtimeConversationItem | str,
        *,
        previous_item_id: str | None = None,
        role: Literal["user", "system", "assistant"] = "user",
    ) -> RealtimeConversationItem:
        """Add an item (or a text message, given a string) and return the item as the server stored it."""
        if isinstance(item, str):
            part = "output_text" if role == "assistant" else "input_text"
            item = RealtimeConversationItemMessage(
                role=role, content=[RealtimeConversationItemMessageContentItem(type=part, text=item)]
            )
        if not isinstance(item.id, str):
            # A client-chosen id (the API allows up to 32 characters) is how the acknowledgement is matched.
            item = msgspec.structs.replace(item, id=f"item_{secrets.token_hex(12)}")
        item_id = item.id
        event = ConversationItemCreate(item=item)
        if previous_item_id is not None:
            event = msgspec.structs.replace(event, previous_item_id=previous_item_id)
        added = await self._request(
            event, ("conversation.item.added", "conversation.item.created"), lambda e: e.item.id == item_id
        )
        assert isinstance(added, ConversationItemAdded | ConversationItemCreated)
        return added.item

    async def delete_item(self, item_id: str) -> None:
        await self._request(
            ConversationItemDelete(item_id=item_id),
            ("conversation.item.deleted",),
            lambda e: e.item_id == item_id,
        )

    async def truncate_item(self, item_id: str, *, audio_end_ms: int, content_index: int = 0) -> None:
        """Cut an assistant audio item at ``audio_end_ms`` (what the user actually heard)."""
        await self._request(
            ConversationItemTruncate(item_id=item_id, content_index=content_index, audio_end_ms=audio_end_ms),
            ("conversation.item.truncated",),
            lambda e: e.item_id == item_id,
        )

    async def retrieve_item(self, item_id: str) -> RealtimeConversationItem:
        event = await self._request(
            ConversationItemRetrieve(item_id=item_id),
            ("conversation.item.retrieved",),
            lambda e: e.item.id == item_id,
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
            return await self._start_response(params, out_of_band=True)
        if mode == "raise" and (self._create_lock.locked() or self._active):
            raise ResponseActiveError("a response is active in the conversation")
        async with self._create_lock:
            while True:
                if mode == "raise" and self._active:
                    raise ResponseActiveError("a response is active in the conversation")
                await self._wait_idle()
                try:
                    return await self._start_response(params, out_of_band=False)
                except ServerError as exc:
                    # Only possible when server VAD started a response in the same instant; its
                    # response.created has arrived by now (frames are ordered), so wait and go again.
                    # With no active response known there is nothing to wait for: never spin.
                    if exc.code != _ALREADY_ACTIVE or mode == "raise" or not self._active:
                        raise

    async def cancel_response(self, response_id: str | None = None) -> None:
        """Cancel the active (or the given) response.  Never fails for want of an active response."""
        event = ResponseCancel() if response_id is None else ResponseCancel(response_id=response_id)
        await self.send(event)

    # -- tools ----------------------------------------------------------------------------------------------

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

    # -- internals: requests -------------------------------------------------------------------------------

    def _with_id(self, event: E) -> tuple[E, str]:
        current = getattr(event, "event_id", UNSET)
        if isinstance(current, str):
            return event, current
        event_id = f"{self._id_prefix}{next(self._ids)}"
        return msgspec.structs.replace(event, event_id=event_id), event_id  # type: ignore[type-var]

    async def _send(self, event: ClientEvent, *, gated: bool = True) -> None:
        if gated:
            await self._wait_ready()
        ws = self._ws
        if self._closed is not None:
            raise self._closed
        if ws is None:
            raise ConnectionClosed(None, "not connected")
        data = encode(event)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("send %s", describe(event))
        try:
            await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            raise self._closed or ConnectionClosed(ws.close_code, "connection lost while sending") from None

    async def _await(self, waiter: Waiter) -> Any:
        try:
            return await waiter.future
        finally:
            self._waiters.forget(waiter)

    async def _request(
        self,
        event: ClientEvent,
        types: tuple[str, ...],
        match: Callable[[Any], bool] | None = None,
        *,
        gated: bool = True,
    ) -> Any:
        if self._closed is not None:
            raise self._closed
        if gated:
            # Before the waiter exists: a request waiting for a reconnect belongs to the next connection.
            await self._wait_ready()
        event, event_id = self._with_id(event)
        waiter = self._waiters.expect(types, match or _anything, event_id)
        try:
            await self._send(event, gated=False)
        except BaseException:
            self._waiters.forget(waiter)
            raise
        return await self._await(waiter)

    async def _wait_idle(self) -> None:
        while self._active:
            if self._closed is not None:
                raise self._closed
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle_waiters.append(fut)
            try:
                await fut
            finally:
                if fut in self._idle_waiters:
                    self._idle_waiters.remove(fut)

    async def _start_response(
        self, params: RealtimeResponseCreateParams, *, out_of_band: bool
    ) -> ResponseHandle:
        await self._wait_ready()
        tag = new_tag()
        user_meta = params.metadata if isinstance(params.metadata, dict) else None
        params = msgspec.structs.replace(params, metadata=merge_metadata(user_meta, tag))
        handle = ResponseHandle(tag, out_of_band=out_of_band, maxsize=self._maxsize)
        event, event_id = self._with_id(ResponseCreate(response=params))
        self._handles_by_tag[tag] = handle
        waiter = self._waiters.expect((), event_id=event_id, future=handle._created)
        try:
            await self._send(event, gated=False)
            await handle._created_or_error()
        except RealtimeError as exc:
            self._handles_by_tag.pop(tag, None)
            handle._fail(exc)
            raise
        # A cancelled caller leaves the handle registered: the response still runs and is tracked.
        finally:
            self._waiters.forget(waiter)
        return handle

    # -- internals: the reader -----------------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse[Literal[False]]) -> None:
        code: int | None = None
        reason = ""
        try:
            while True:
                msg = await ws.receive()
                if msg.type is aiohttp.WSMsgType.TEXT or msg.type is aiohttp.WSMsgType.BINARY:
                    try:
                        event = decode(msg.data)
                    except RealtimeError as exc:  # ProtocolError: a frame that is not a JSON object
                        log.warning("ignoring a frame from the server: %s", exc)
                        continue
                    try:
                        await self._dispatch(event)
                    except Exception:
                        log.exception("internal error while dispatching %s", event.type)
                elif msg.type is aiohttp.WSMsgType.CLOSE:
                    code, reason = msg.data, msg.extra or ""
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    log.debug("websocket error: %r", msg.data)
                    break
                elif msg.type is aiohttp.WSMsgType.CLOSED:
                    break
        finally:
            closing = ws.close_code if ws.close_code is not None else code
            log.info("connection closed (code=%s)", closing)
            self._reader_ended(ConnectionClosed(closing, reason or self._close_reason))

    def _shutdown(self, exc: RealtimeError) -> None:
        if self._closed is not None:
            return
        self._closed = exc
        ready, self._ready = self._ready, None
        if ready is not None and not ready.done():
            ready.set_exception(exc)
            ready.exception()  # nobody may be waiting at the gate
        self._waiters.fail_all(exc)
        handles = {id(h): h for h in (*self._handles_by_tag.values(), *self._handles_by_id.values())}
        self._handles_by_tag.clear()
        self._handles_by_id.clear()
        for handle in handles.values():
            handle._fail(exc)
        for fut in self._idle_waiters:
            if not fut.done():
                fut.set_exception(exc)
        self._events.close(exc)
        self._audio_io.close(exc)

    async def _dispatch(self, event: AnyServerEvent) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("recv %s", describe(event))
        if self._link.is_echo(event):
            # A restored item's acknowledgement: the app and the conversation saw this item once already.
            if event.type in self._waiters:
                self._waiters.resolve(event.type, event)
            return
        for observer in self._observers:
            try:
                observer(event)
            except Exception:
                log.exception("observer %r failed on %s", observer, event.type)
        await self._audio_io.on_event(event)
        kind = event.type
        if isinstance(event, Error):
            if self._waiters.claim_error(event):
                return
        elif kind in self._waiters:
            self._waiters.resolve(kind, event)
        if isinstance(event, SessionCreated | SessionUpdated):
            self.server_session = event.session
        if self._link.hides(event):
            return  # the new connection's greeting and configuration, while restoring
        await self._route_response(event)
        self._handlers.dispatch(kind, event)
        await self._events.put(event)
        for notice in self._tools.take_notices():
            await self._emit(notice)

    async def _route_response(self, event: AnyServerEvent) -> None:
        if isinstance(event, ResponseCreated):
            response = event.response
            meta = response.metadata if isinstance(response.metadata, dict) else {}
            handle = self._handles_by_tag.pop(meta.get(METADATA_KEY, ""), None)
            rid = response.id if isinstance(response.id, str) else None
            if handle is not None:
                handle._bind(event)
                if rid is not None:
                    self._handles_by_id[rid] = handle
                await handle._feed(event)
            if rid is not None and not (handle is not None and handle.out_of_band):
                self._active.add(rid)
        elif isinstance(event, ResponseDone):
            rid = event.response.id if isinstance(event.response.id, str) else None
            handle = self._handles_by_id.pop(rid, None) if rid is not None else None
            if handle is not None:
                await handle._feed(event)
            if rid is not None:
                self._active.discard(rid)
            if not self._active:
                for fut in self._idle_waiters:
                    if not fut.done():
                        fut.set_result(None)
        elif self._handles_by_id:
            rid = getattr(event, "response_id", None)
            handle = self._handles_by_id.get(rid) if isinstance(rid, str) else None
            if handle is not None:
                await handle._feed(event)

    # -- internals: connections come and go (reconnect, rollover; see _reconnect.py) ------------------------

    async def _open(self) -> None:
        """A new websocket and its reader; returns once ``session.created`` arrived on it."""
        assert self._http is not None
        self._ws = await open_websocket(
            self._http,
            self._endpoint,
            headers=self._headers,
            handshake_timeout=None,
            heartbeat=self._heartbeat,
            ws_close_timeout=self._close_timeout,
        )
        created = self._waiters.expect(("session.created",))
        self._reader = asyncio.create_task(self._read(self._ws), name="realtime_sdk reader")
        await self._await(created)

    async def _resend_configuration(self) -> None:
        # The whole confirmed configuration, as one update: a new server session starts from defaults.
        if self._config != RealtimeSessionCreateRequestGA():
            await self._request(SessionUpdate(session=self._config), ("session.updated",), gated=False)

    async def _create_items(self, events: list[ClientEvent], *, gated: bool) -> None:
        """Send ``conversation.item.create`` events back to back, then wait for every acknowledgement."""
        waiters: list[Waiter] = []
        try:
            for event in events:
                if isinstance(event, ConversationItemCreate) and not isinstance(event.item.id, str):
                    item = msgspec.structs.replace(event.item, id=f"item_{secrets.token_hex(12)}")
                    event = msgspec.structs.replace(event, item=item)
                event, event_id = self._with_id(event)
                if isinstance(event, ConversationItemCreate):
                    item_id = event.item.id
                    waiters.append(
                        self._waiters.expect(
                            ("conversation.item.added", "conversation.item.created"),
                            lambda e, i=item_id: e.item.id == i,  # type: ignore[misc]
                            event_id,
                        )
                    )
                await self._send(event, gated=gated)
            for waiter in waiters:
                await waiter.future
        finally:
            for waiter in waiters:
                self._waiters.forget(waiter)

    @property
    def _reconnecting(self) -> bool:
        return self._ready is not None and self._closed is None

    async def _wait_ready(self) -> None:
        while self._ready is not None:
            await asyncio.shield(self._ready)
        if self._closed is not None:
            raise self._closed

    def _reader_ended(self, closed: ConnectionClosed) -> None:
        if self._closed is not None:
            return
        if self._link.reconnecting:
            self._connection_lost(closed)  # a connection of a reconnect attempt: the attempt fails
        elif self._link.should_reconnect(closed):
            lost = self._connection_lost(closed)
            self._link.start(closed, lost)
        else:
            self._shutdown(closed)

    def _connection_lost(self, closed: ConnectionClosed) -> tuple[str, ...]:
        """Drop what belonged to the connection, keep the session; sends wait at the gate from now on."""
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        self._ws = None
        self._waiters.fail_all(closed)
        handles = {id(h): h for h in (*self._handles_by_tag.values(), *self._handles_by_id.values())}
        self._handles_by_tag.clear()
        self._handles_by_id.clear()
        for handle in handles.values():
            handle._fail(closed)
        lost = abandoned_responses(self.conversation)
        for done in lost:
            # Internal state only (the app is told in Reconnected.lost_responses): the runner answers the
            # complete calls of a lost response on the new connection.
            self.conversation.receive(done)
            self._tools.observe(done)
        self._active.clear()
        for fut in self._idle_waiters:
            if not fut.done():
                fut.set_result(None)
        return tuple(d.response.id for d in lost if isinstance(d.response.id, str))

    async def _discard_connection(self) -> None:
        """Close a failed attempt's connection, if it got one, and wait for its reader."""
        ws, reader = self._ws, self._reader
        self._ws = None
        if ws is not None and not ws.closed:
            await ws.close()
        if reader is not None and not reader.done() and reader is not asyncio.current_task():
            await reader

    def _reopen(self) -> None:
        ready, self._ready = self._ready, None
        if ready is not None and not ready.done():
            ready.set_result(None)

    async def _emit(self, event: LocalEvent) -> None:
        """An SDK event: to the handlers and the session stream, like a server event."""
        if self._closed is not None:
            return
        self._handlers.dispatch(event.type, cast(Any, event))
        await self._events.put(event)


def _with_tools(
    properties: RealtimeSessionCreateRequestGA, registry: ToolRegistry
) -> RealtimeSessionCreateRequestGA:
    """``properties`` with the registry's definitions added to its tools (a same-named one is replaced)."""
    names = {t.name for t in registry}
    given = properties.tools if isinstance(properties.tools, list) else []
    kept = [t for t in given if getattr(t, "name", None) not in names]
    return msgspec.structs.replace(properties, tools=[*kept, *registry.definitions()])


def _anything(_: Any) -> bool:
    return True
