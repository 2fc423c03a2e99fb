"""What a ``RealtimeSession`` holds, declared once for the modules that make up the session.

Theory of operation
-------------------
``RealtimeSession`` is one object assembled from parts split by responsibility:

- ``_requests.py``  requests and their acknowledgements: event ids, the send path, the request timeout,
  the reconnect gate, starting a response;
- ``_reader.py``    the reader task: decode, dispatch, route response events, and what happens when a
  connection ends (shut down, or hand over to a reconnect);
- ``_sending.py``   the public send helpers (``update_session``, ``add_item``, ``create_response``...);
- ``session.py``    construction, connect and close, receiving, and the audio and tool delegates.

Each part reads and writes the attributes below, which ``session.py`` sets in ``_setup``.  This class has
no behaviour; it exists so that every part is type-checked against the same declarations.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import aiohttp

from .._generated import RealtimeSessionCreateRequestGA
from ..protocol import ResponseBook
from ..types import RealtimeServerSession, ServerSession

if TYPE_CHECKING:
    from ..conversation import Conversation, HistoryItem
    from ..errors import RealtimeError
    from ..local_events import SessionEvent
    from ..recording import Recorder
    from ._approvals import ApprovalDesk
    from ._audio_io import AudioIO
    from ._connect import Endpoint
    from ._handlers import HandlerRegistry
    from ._input_transcripts import InputTranscripts
    from ._observers import Observers
    from ._reconnect import Reconnector
    from ._responses import ResponseHandle
    from ._streams import EventStream
    from ._tool_runner import ToolRunner
    from ._waiters import Waiters

__all__ = ["SessionState"]


class SessionState:
    # -- configuration (constructor options) --
    _endpoint: Endpoint
    _initial: RealtimeSessionCreateRequestGA
    _headers: dict[str, str]
    _http: aiohttp.ClientSession | None
    _own_http: bool
    _connect_timeout: float | None
    _request_timeout: float | None
    _heartbeat: float | None
    _close_timeout: float
    _send_timeout: float | None
    _maxsize: int
    _on_active: Literal["wait", "raise"]
    _history: list[HistoryItem]

    # -- the current connection --
    _ws: aiohttp.ClientWebSocketResponse[Literal[False]] | None
    _reader: asyncio.Task[None] | None
    _close_reason: str
    _record_to: str | os.PathLike[str] | Recorder | None
    _recorder: Recorder | None
    _response_heard: float
    """``loop.time()`` when the server last sent an event of a response (stall detection, ``_wait_idle``)."""

    # -- the session's life --
    _closed: RealtimeError | None
    """The error that ended the session; every later call raises it."""
    _closing: bool
    _ready: asyncio.Future[None] | None
    """While reconnecting: the gate every send waits at (set when the new connection is ready)."""

    # -- requests and responses --
    _ids: itertools.count[int]
    _id_prefix: str
    _waiters: Waiters
    _book: ResponseBook
    """Which responses exist, which the app asked for, which are active (``protocol/_responses.py``)."""
    _handles: dict[str, ResponseHandle]
    """The handle of each response the book knows, by the book's key."""
    _response_stream: EventStream[ResponseHandle]
    """``session.responses()``: every new handle, while somebody iterates."""
    _response_callbacks: list[Callable[[ResponseHandle], object]]
    _idle_waiters: list[asyncio.Future[None]]
    _create_lock: asyncio.Lock
    _config: RealtimeSessionCreateRequestGA
    """The configuration the server confirmed (what a reconnect sends again)."""

    # -- what the reader feeds --
    _events: EventStream[SessionEvent]
    _handlers: HandlerRegistry
    _observers: Observers
    _input_transcripts: InputTranscripts
    conversation: Conversation
    server_session: ServerSession | None
    _confirmed_cache: tuple[ServerSession, RealtimeServerSession] | None

    # -- collaborators --
    _audio_io: AudioIO
    _tools: ToolRunner
    _approvals: ApprovalDesk
    _link: Reconnector
