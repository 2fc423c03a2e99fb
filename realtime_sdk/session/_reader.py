"""The reader task: the only caller of ``ws.receive()``; and what happens when a connection ends.

Theory of operation
-------------------
Each frame is decoded and passed to ``_dispatch``, which in order: feeds the observers (the seam where
conversation state and the tool runner hook in), resolves request waiters and matches ``error`` events to
requests by ``event_id``, routes response events to their ``ResponseHandle``, calls the registered
handlers, and finally ``await``s the bounded session stream that ``async for event in session`` reads (so a
slow consumer slows the reader: TCP backpressure).  Nothing a frame holds may end the reader: a frame that
is not a JSON object is logged and skipped, an event the SDK cannot type is delivered as
``UnknownServerEvent``, and a fault in any step of the dispatch is logged without skipping the steps after
it, so waiters and the app still get the event.

When the reader ends — ``close()``, a server close, a dropped connection, a missed heartbeat — the
session either shuts down (``_shutdown``: every waiter, handle and stream fails with the same
``ConnectionClosed(code, reason)``), or, with a ``ReconnectPolicy`` and an abnormal end, drops only what
belonged to that connection (``_connection_lost``) while ``_reconnect.py`` replaces it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Literal, cast

import aiohttp

from .._generated import Error, ResponseCreated, SessionCreated, SessionUpdated
from ..errors import ConnectionClosed, RealtimeError
from ..events import AnyServerEvent, UnknownServerEvent, decode
from ..local_events import LocalEvent
from ..protocol import Ended, Routed, Started
from ..protocol._salvage import salvage
from ._connect import abort, open_websocket
from ._handlers import describe
from ._reconnect import abandoned_responses
from ._responses import ResponseHandle
from ._state import SessionState

__all__ = ["Reader"]

log = logging.getLogger("realtime_sdk")


class Reader(SessionState):
    async def _open(self) -> None:
        """A new websocket and its reader; returns once ``session.created`` arrived on it.

        A sideband (``?call_id=``) joins a session that exists already: the service sends no
        ``session.created`` there (recorded traffic; the ids start ``sess_u0_``), so it is open once the
        handshake is done.  Its configured ``session.update``, confirmed by ``session.updated``, is then
        what makes it ready (``connect``).
        """
        assert self._http is not None
        self._ws = await open_websocket(
            self._http,
            self._endpoint,
            headers=self._headers,
            handshake_timeout=None,
            heartbeat=self._heartbeat,
            ws_close_timeout=self._close_timeout,
        )
        self._response_heard = asyncio.get_running_loop().time()
        if self._endpoint.sideband:
            self._reader = asyncio.create_task(self._read(self._ws), name="realtime_sdk reader")
            return
        created = self._waiters.expect(("session.created",))
        self._reader = asyncio.create_task(self._read(self._ws), name="realtime_sdk reader")
        try:
            await created.future
        finally:
            self._waiters.forget(created)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse[Literal[False]]) -> None:
        code: int | None = None
        reason = ""
        try:
            while True:
                msg = await ws.receive()
                if msg.type is aiohttp.WSMsgType.TEXT or msg.type is aiohttp.WSMsgType.BINARY:
                    if self._recorder is not None:
                        self._recorder.received(msg.data)
                    try:
                        event = decode(msg.data)
                    except RealtimeError as exc:  # ProtocolError: a frame that is not a JSON object
                        log.warning("ignoring a frame from the server: %s", exc)
                        continue
                    try:
                        await self._dispatch(event)
                    except Exception:  # the last net: nothing an event does may end the reader
                        log.exception("internal error while dispatching %s", event.type)
                elif msg.type is aiohttp.WSMsgType.CLOSE:
                    # An empty close frame is valid and means "no status" (RFC 6455: 1005).
                    code, reason = msg.data or 1005, msg.extra or ""
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    log.debug("websocket error: %r", msg.data)
                    abort(ws)  # a missed heartbeat or a broken stream: nothing more will get through
                    break
                elif msg.type is aiohttp.WSMsgType.CLOSED:
                    break
        finally:
            abort(ws, only_if_stuck=True)  # unsent bytes to a peer that stopped reading hold no one up
            closing = code if code is not None else ws.close_code
            log.info("connection closed (code=%s)", closing)
            self._reader_ended(ConnectionClosed(closing, reason or self._close_reason))

    async def _dispatch(self, event: AnyServerEvent) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("recv %s", describe(event))
        # A known event that failed validation still does its protocol job (ends a response, answers a
        # request) in its salvaged typed form; the app sees it as it came, an UnknownServerEvent.
        typed = event
        if isinstance(event, UnknownServerEvent) and event.known_type:
            typed = _guarded(salvage, event) or event
        if self._link.is_echo(typed):
            # A restored item's acknowledgement: the app and the conversation saw this item once already.
            if typed.type in self._waiters:
                self._waiters.resolve(typed.type, typed)
            return
        for observer in self._observers.of(typed.type):
            _guarded(observer, typed)
        kind = event.type
        if kind in self._audio_io.WANTS:
            await _guarded_async(self._audio_io.on_event, typed)
        if isinstance(typed, Error):
            if _guarded(self._waiters.claim_error, typed):
                return
        elif kind in self._waiters and not isinstance(typed, UnknownServerEvent):
            _guarded(self._waiters.resolve, kind, typed)
        if isinstance(typed, SessionCreated | SessionUpdated):
            self.server_session = typed.session
        if self._link.hides(typed):
            return  # the new connection's greeting and configuration, while restoring
        routed = _guarded(self._book.receive, typed)
        if routed is not None:  # an event of a response: its handle, the active set
            await _guarded_async(self._route_response, routed, typed)
        _guarded(self._handlers.dispatch, kind, event)
        if not self._events.put_nowait(event):
            await self._events.put(event)
        if self._tools.has_notices:
            for notice in self._tools.take_notices():
                await self._emit(notice)

    async def _route_response(self, out: Routed | Started | Ended, event: AnyServerEvent) -> None:
        # Only a response's own events show that it is alive (see ``_wait_idle``): a server chatting about
        # other things (rate limits, transcripts) does not keep a dead response active.
        self._response_heard = asyncio.get_running_loop().time()
        if isinstance(out, Routed):
            handle = self._handles.get(out.key)
            if handle is not None:
                await handle._feed(event)
        elif isinstance(out, Started):
            assert isinstance(event, ResponseCreated)
            handle = self._handles.get(out.key)
            if handle is None:  # started by the server (VAD, a commit, a reconnect): a handle all the same
                handle = ResponseHandle(out.key, out_of_band=out.out_of_band, maxsize=self._maxsize)
                handle.started_by_server = True
                self._handles[out.key] = handle
            self._approvals.started(out_of_band=out.out_of_band)
            handle._bind(event)  # a nameless one stays: its response.done finds it by tag
            await handle._feed(event)
            await self._announce(handle)
        else:
            handle = self._handles.pop(out.key, None) if out.key is not None else None
            if handle is not None:
                await handle._feed(event)
            if out.idle:
                _settle(self._idle_waiters, None)

    def _handle_for(self, response_id: str) -> ResponseHandle | None:
        key = self._book.key_of(response_id)
        return self._handles.get(key) if key is not None else None

    async def _announce(self, handle: ResponseHandle) -> None:
        """A new response's handle, to ``session.responses()`` iterators and ``on_response`` callbacks."""
        for callback in self._response_callbacks:
            self._handlers.call(callback, handle)
        if self._response_stream.has_consumers:
            await self._response_stream.put(handle)

    async def _emit(self, event: LocalEvent) -> None:
        """An SDK event: to the handlers and the session stream, like a server event."""
        if self._closed is not None:
            return
        self._handlers.dispatch(event.type, cast(Any, event))
        await self._events.put(event)

    # -- the end of a connection --------------------------------------------------------------------

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

    def _fail_requests(self, exc: RealtimeError) -> None:
        """Every request, response handle and transcript wait of the connection fails with ``exc``."""
        self._waiters.fail_all(exc)
        self._input_transcripts.fail_all(exc)
        handles = list(self._handles.values())
        self._handles.clear()
        self._book.connection_lost()
        for handle in handles:
            handle._fail(exc)

    def _shutdown(self, exc: RealtimeError) -> None:
        if self._closed is not None:
            return
        self._closed = exc
        ready, self._ready = self._ready, None
        if ready is not None and not ready.done():
            ready.set_exception(exc)
            ready.exception()  # nobody may be waiting at the gate
        self._fail_requests(exc)
        _settle(self._idle_waiters, exc)
        self._events.close(exc)
        self._response_stream.close(exc)
        self._audio_io.close(exc)

    def _connection_lost(self, closed: ConnectionClosed) -> tuple[str, ...]:
        """Drop what belonged to the connection, keep the session; sends wait at the gate from now on."""
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        self._ws = None
        self._fail_requests(closed)
        lost = abandoned_responses(self.conversation)
        for done in lost:
            # Internal state only (the app is told in Reconnected.lost_responses): the runner answers the
            # complete calls of a lost response on the new connection.
            self.conversation.receive(done)
            self._tools.observe(done)
        self._approvals.connection_lost()  # their requests went with the server's session
        _settle(self._idle_waiters, None)
        return tuple(d.response.id for d in lost if isinstance(d.response.id, str))

    def _server_session_id(self) -> str | None:
        server = self.server_session
        return server.id if server is not None and isinstance(server.id, str) else None

    async def _hang_up(self) -> None:
        """A rollover: drop what belongs to this connection, close it (1000), wait for its reader."""
        ws, reader = self._ws, self._reader
        self._connection_lost(ConnectionClosed(1000, "rollover"))
        if ws is not None:
            await ws.close()
        if reader is not None:
            await reader

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


def _settle(futures: list[asyncio.Future[None]], exc: BaseException | None) -> None:
    for fut in futures:
        if not fut.done():
            if exc is None:
                fut.set_result(None)
            else:
                fut.set_exception(exc)


def _guarded(step: Callable[..., Any], *args: Any) -> Any:
    """One step of the dispatch; a fault in it (a bug, or state the server confused) is logged."""
    try:
        return step(*args)
    except Exception:
        log.exception("internal error in %s on %s", getattr(step, "__qualname__", step), args[-1].type)
        return None


async def _guarded_async(step: Callable[..., Awaitable[Any]], *args: Any) -> None:
    try:
        await step(*args)
    except Exception:
        log.exception("internal error in %s on %s", getattr(step, "__qualname__", step), args[-1].type)
