"""One websocket of the local server: the reader, the single writer, and the fault injection hooks.

Every outgoing frame goes through one queue and one writer task, so frames leave in the order they were
produced whatever task produced them, and faults (stall, delay, drop after the Nth event) act at exactly
one place.  Client frames are decoded with ``events.decode_client`` and handed to the protocol in order.

The websocket is opened with aiohttp's ``autoping`` off: the reader answers pings itself, so that
``freeze()`` can make the server look hung to a client's heartbeat (no pong, no frame handled, nothing
sent) while the reader still notices the client going away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMsgType, web

from .. import events
from .._generated import (
    RealtimeConversationItem,
    RealtimeSessionCreateRequestGA,
    RealtimeSessionCreateResponseGA,
    RealtimeTranscriptionSessionCreateResponseGA,
)
from .._struct import Struct
from ..errors import ProtocolError
from ._errors import error_event
from ._faults import FaultCounter, FaultRule
from ._protocol import Protocol
from ._speech_ports import Synthesizer, Transcriber
from ._wire import needs_patch, patch
from .models import Model

__all__ = ["ServerConnection"]

_Recorder = Callable[[int, str, bytes], None]


@dataclass(frozen=True, slots=True)
class _Raw:
    """A frame sent as it is (``send_raw``): not an event, never checked, counted or fault-matched."""

    data: bytes
    binary: bool


class ServerConnection:
    """The server's side of one websocket, for tests to look into and to break on purpose."""

    def __init__(
        self,
        index: int,
        request: web.Request,
        ws: web.WebSocketResponse,
        *,
        model: Model,
        session_model: str,
        session_ttl: float,
        pace_audio: bool,
        rules: list[FaultRule],
        recorder: _Recorder | None,
        initial: RealtimeSessionCreateRequestGA | None = None,
        strict: bool = False,
        synthesizer: Synthesizer | None = None,
        transcriber: Transcriber | None = None,
        kind: str = "realtime",
        call_id: str | None = None,
    ) -> None:
        self.index = index
        self.call_id = call_id
        """The call this sideband connection steers (``?call_id=``), else None."""
        self.request = request
        self.ws = ws
        self.received: list[events.AnyClientEvent] = []
        """Every client frame that was a JSON object, decoded, in order."""
        self.sent_types: list[str] = []
        """The ``type`` of every event sent, in order."""
        self.strict = strict
        self.violations: list[str] = []
        """Server bugs seen on this connection: a client event whose handling raised, a response task that
        crashed, and (in strict mode) every event sent that did not decode back to its own typed class."""
        self._received_changed = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._recorder = recorder
        self._queue: asyncio.Queue[Struct | _Raw | None] = asyncio.Queue()
        self._not_stalled = asyncio.Event()
        self._not_stalled.set()
        self._thawed = asyncio.Event()
        self._thawed.set()
        self._held: list[bytes] = []
        self.pings_answered = 0
        """Websocket pings from the client answered with a pong."""
        self.pings_ignored = 0
        """Websocket pings that arrived while frozen, left unanswered."""
        self._pings_changed = asyncio.Event()
        self._delay = 0.0
        self._faults = FaultCounter(rules)
        self._dropped = False
        self._initial = initial
        self._background: set[asyncio.Task[Any]] = set()
        self.protocol = Protocol(
            self.send,
            model=model,
            session_model=session_model,
            session_ttl=session_ttl,
            pace_audio=pace_audio,
            on_bug=self._bug,
            synthesizer=synthesizer,
            transcriber=transcriber,
            kind=kind,
            sideband=call_id is not None,
        )

    # -- what tests read ---------------------------------------------------------------------------
    @property
    def session(self) -> RealtimeSessionCreateResponseGA | RealtimeTranscriptionSessionCreateResponseGA:
        """The current session configuration, as ``session.updated`` would send it."""
        return self.protocol.session_struct()

    @property
    def items(self) -> list[RealtimeConversationItem]:
        """The conversation's items, in order."""
        return list(self.protocol.conversation.items)

    async def wait_received(self, count: int) -> list[events.AnyClientEvent]:
        """Wait until ``count`` client events have arrived (or the connection is over)."""
        while len(self.received) < count and not self.closed.is_set():
            self._received_changed.clear()
            closed = asyncio.ensure_future(self.closed.wait())
            changed = asyncio.ensure_future(self._received_changed.wait())
            await asyncio.wait((closed, changed), return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            changed.cancel()
        return list(self.received)

    # -- fault injection ---------------------------------------------------------------------------
    async def drop(self) -> None:
        """Abort the TCP connection: no close frame, the client sees 1006."""
        self._dropped = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()
        await self.closed.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the websocket with ``code`` and ``reason`` (after the frames already queued)."""
        self._queue.put_nowait(None)
        try:
            await self.ws.close(code=code, message=reason.encode())
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise  # this call was cancelled
            # aiohttp gave up the close frame's write: the client went away first (closed all the same)
        except (ConnectionError, RuntimeError):
            pass  # the same, reported as a reset

    async def send_raw(self, data: bytes | str, *, binary: bool = False) -> None:
        """Send ``data`` as it is (malformed JSON, unknown event types...): a text frame, or a binary frame
        with ``binary=True``.  It goes through the writer queue, in order with the events around it."""
        self._queue.put_nowait(_Raw(data.encode() if isinstance(data, str) else data, binary))

    def stall(self) -> None:
        """Stop sending (frames queue up) until ``resume()``."""
        self._not_stalled.clear()

    def resume(self) -> None:
        """End a stall: events queued meanwhile are sent."""
        self._not_stalled.set()

    def freeze(self) -> None:
        """Play dead until ``thaw()``: pings go unanswered, client frames are held unhandled, nothing is
        sent (server events queue up).  A client with a websocket heartbeat sees it expire (aiohttp:
        ``ServerTimeoutError``, close code 1006).  The reader keeps reading, so a client that gives up and
        goes away still ends the connection."""
        self._thawed.clear()

    def thaw(self) -> None:
        """Come back from ``freeze()``: the held client frames are handled in order, queued events leave.
        Pings missed meanwhile stay unanswered."""
        self._thawed.set()
        held, self._held = self._held, []
        for data in held:
            self._receive(data)

    async def wait_pings(self, *, answered: int = 0, ignored: int = 0) -> None:
        """Wait until at least ``answered`` pings were answered and ``ignored`` went unanswered (or the
        connection is over)."""
        while (self.pings_answered < answered or self.pings_ignored < ignored) and not self.closed.is_set():
            self._pings_changed.clear()
            closed = asyncio.ensure_future(self.closed.wait())
            changed = asyncio.ensure_future(self._pings_changed.wait())
            await asyncio.wait((closed, changed), return_when=asyncio.FIRST_COMPLETED)
            closed.cancel()
            changed.cancel()

    def delay(self, seconds: float) -> None:
        """Wait ``seconds`` before each outgoing frame from now on (0 to stop)."""
        self._delay = seconds

    async def _expired(self) -> None:
        # The real service ends a session at its time limit: an ``error`` event, then the socket closes.
        await self.close(1000, "session expired")

    def add_fault(self, rule: FaultRule) -> None:
        """Add a scripted fault to this connection."""
        self._faults.rules.append(rule)

    # -- the machinery -----------------------------------------------------------------------------
    def send(self, event: Struct) -> None:
        """Queue a server event for this client (sent in order by the writer)."""
        self._queue.put_nowait(event)

    async def run(self) -> None:
        """Serve this websocket until it closes."""
        writer = asyncio.create_task(self._write_loop())
        try:
            self.protocol.on_expired = self._expired
            self.protocol.start(self._initial)
            async for msg in self.ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    data = msg.data.encode() if isinstance(msg.data, str) else msg.data
                    self._record("client", data)
                    if self._thawed.is_set():
                        self._receive(data)
                    else:
                        self._held.append(data)
                elif msg.type == WSMsgType.PING:
                    await self._ping(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            await self.protocol.stop()
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self.close_code = 1006 if self._dropped else self.ws.close_code
            self.closed.set()

    async def _ping(self, payload: bytes) -> None:
        # What aiohttp's autoping would do, unless frozen.
        if self._thawed.is_set():
            with contextlib.suppress(ConnectionError):
                await self.ws.pong(payload)
            self.pings_answered += 1
        else:
            self.pings_ignored += 1
        self._pings_changed.set()

    def _receive(self, data: bytes) -> None:
        try:
            event = events.decode_client(data)
        except ProtocolError as exc:
            self.protocol.malformed(str(exc))
            return
        self.received.append(event)
        self._received_changed.set()
        try:
            self.protocol.handle(event)
        except Exception as exc:  # a server bug must not end the connection; the client hears of it
            self._bug(f"handling {data[:200]!r} raised {exc!r}")

    def _bug(self, what: str) -> None:
        self.violations.append(what)
        self.send(
            error_event(None, "The server had an error while processing your request.", type="server_error")
        )

    async def _write_loop(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            while not (self._not_stalled.is_set() and self._thawed.is_set()):
                await self._not_stalled.wait()
                await self._thawed.wait()
            if self._delay:
                await asyncio.sleep(self._delay)
            if self.ws.closed:
                return
            kind = WSMsgType.TEXT
            if isinstance(item, _Raw):
                data, event_type = item.data, ""
                kind = WSMsgType.BINARY if item.binary else WSMsgType.TEXT
            else:
                data, event_type = events.encode(item), item.type
                phases = self.protocol.conversation.phases
                if needs_patch(event_type, phases):
                    data = patch(event_type, data, phases)
                self.sent_types.append(event_type)
                if self.strict:
                    self._check_typed(item, data)
            try:
                await self.ws.send_frame(data, kind)
            except ConnectionError:
                return
            self._record("server", data)
            if event_type:
                for rule in self._faults.after_send(event_type):
                    await self._fire(rule)
            if self._dropped:
                return  # nothing more leaves an aborted connection

    async def _fire(self, rule: FaultRule) -> None:
        if rule.action == "drop":
            self._dropped = True
            if self.request.transport is not None:
                self.request.transport.abort()
        elif rule.action == "close":
            task = asyncio.get_running_loop().create_task(
                self.ws.close(code=rule.code, message=rule.reason.encode())
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        elif rule.action == "stall":
            self.stall()
        elif rule.action == "freeze":
            self.freeze()

    def _check_typed(self, event: Struct, data: bytes) -> None:
        # What a client decodes is the yardstick: an event the server builds but that a client would see
        # as unknown (a missing required field, a wrong tag) is a server bug, whoever's test runs it.
        back = events.decode(data)
        if isinstance(back, events.UnknownServerEvent):
            self.violations.append(f"sent an untyped {back.type or '?'}: {back.error}: {data[:300]!r}")
        elif type(back) is not type(event):
            self.violations.append(f"{type(event).__name__} decoded as {type(back).__name__}: {data[:300]!r}")

    def _record(self, direction: str, data: bytes) -> None:
        if self._recorder is not None:
            self._recorder(self.index, direction, data)


def record_line(index: int, direction: str, data: bytes) -> bytes:
    """One JSONL line of the recording: the frame as JSON when it is JSON, else as text."""
    frame: Any
    try:
        frame = json.loads(data)
    except ValueError:
        frame = data.decode("utf-8", "replace")
    return json.dumps(
        {"time": time.time(), "connection": index, "direction": direction, "frame": frame}
    ).encode()
