"""The wire: one websocket at a time, its reader loop, and requests with their acknowledgements.

Theory of operation
-------------------
``open`` makes the websocket and starts the reader task, the only caller of ``ws.receive()``: each frame
is recorded (``record_to``), decoded and handed to ``dispatch``; a frame that is not a JSON object is
logged and skipped, and nothing ``dispatch`` raises ends the loop.  When the connection ends, ``ended``
hears how (the session decides between shutting down and reconnecting).

Requests that the server acknowledges (``update_session``, ``commit_audio``, ``add_item``...) register a
waiter (``_waiters.py``) *before* sending, keyed by the acknowledging event type and, where the
acknowledgement names it, the item id.  Every request carries a fresh ``event_id``; an ``error`` quoting
it fails that waiter with ``ServerError``.

The frame is written to the socket synchronously once ``send`` gets past its checks (aiohttp writes an
uncompressed frame before its first ``await``), so a caller cancelled inside ``send`` has sent its
request.  From then on the answer is awaited for at most ``request_timeout`` seconds
(``RequestTimeoutError``); a caller that is cancelled or times out leaves its waiter orphaned to absorb
the late answer (see ``_waiters.py``), so nothing is left to be mistaken for the next request's answer.

While a reconnect is under way (``_reconnect.py``) every send waits at a gate, ``ready``.  Requests that
mean the same on any connection (``update_session``, item requests) are sent again on the new connection
when the old one took their answer with it; ``response.create`` and the audio buffer's requests are not
(what they acted on is gone).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import aiohttp
import msgspec
from msgspec import UNSET

from .._generated import ConversationItemCreate
from ..errors import (
    ConfigurationError,
    ConnectionClosed,
    RealtimeError,
    RequestLostError,
    RequestTimeoutError,
    SendTimeoutError,
)
from ..events import AnyServerEvent, ClientEvent, decode, encode
from ._connect import Endpoint, abort, open_websocket, transport_of, write_backlog
from ._handlers import describe
from ._waiters import Waiter, Waiters

if TYPE_CHECKING:
    from ..recording import Recorder

__all__ = ["Wire"]

log = logging.getLogger("realtime_sdk")

E = TypeVar("E")


def _anything(_: Any) -> bool:
    return True


_SMALL_FRAME = 32 * 1024
"""Frames below this size, into a socket with nothing waiting to be sent, are written without a timer:
the write cannot block (aiohttp waits for the kernel only above 64 KiB buffered)."""


_RETRY_BUDGET = 2
"""Connections a request may be lost with before it is given up (``RequestLostError``)."""


def _check_budget(request: str, lost: int, exc: ConnectionClosed) -> None:
    if lost >= _RETRY_BUDGET:
        raise RequestLostError(
            exc.code,
            f"{request} was lost with {lost} connections in a row; it is not sent again"
            " (the session reconnects without it)",
        ) from exc


class Wire:
    """The session's connection and its requests (see the module docstring).

    It knows nothing of responses, tools or the conversation: decoded events go to ``dispatch``, the end of
    a connection to ``ended``, and every event sent to ``sent`` (the conversation keeps new items' images).
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        http: aiohttp.ClientSession | None,
        headers: dict[str, str],
        heartbeat: float | None,
        close_timeout: float,
        request_timeout: float | None,
        send_timeout: float | None,
        sent: Callable[[ClientEvent], None],
        dispatch: Callable[[AnyServerEvent], Awaitable[None]],
        dispatch_nowait: Callable[[AnyServerEvent], bool] = lambda event: False,
        ended: Callable[[ConnectionClosed], None],
    ) -> None:
        self.endpoint = endpoint
        self.headers = headers
        self.heartbeat = heartbeat
        self.close_timeout = close_timeout
        self.request_timeout = request_timeout
        self.send_timeout = send_timeout
        self._sent = sent
        self._dispatch = dispatch
        self._dispatch_nowait = dispatch_nowait
        self._ended = ended
        self.http = http
        """The HTTP session the websockets are opened on (``connect`` makes one when none was given)."""
        self.ws: aiohttp.ClientWebSocketResponse[Literal[False]] | None = None
        self.reader: asyncio.Task[None] | None = None
        self.recorder: Recorder | None = None
        self.close_reason = ""
        self.closed: RealtimeError | None = None
        """The error that ended the session; every later call raises it."""
        self.ready: asyncio.Future[None] | None = None
        """While reconnecting: the gate every send waits at (set when the new connection is ready)."""
        self.waiters = Waiters()
        self._ids = itertools.count(1)
        self._id_prefix = f"sdk_{secrets.token_hex(4)}_"
        self._heard = 0
        """Messages of any kind received so far (what the heartbeat watches)."""
        self._transport: tuple[object, asyncio.Transport | None] = (None, None)
        """The open websocket and its transport (``write_backlog`` without a lookup)."""
        self.loop_time: Callable[[], float] = lambda: asyncio.get_running_loop().time()
        """The event loop's clock (bound to the loop once a connection is open)."""

    # -- the connection ---------------------------------------------------------------------------------

    async def open(self) -> None:
        """A new websocket and its reader; returns once ``session.created`` arrived on it.

        A sideband (``?call_id=``) joins a session that exists already: the service sends no
        ``session.created`` there (recorded traffic; the ids start ``sess_u0_``), so it is open once the
        handshake is done.  Its configured ``session.update``, confirmed by ``session.updated``, is then
        what makes it ready (``connect``).
        """
        assert self.http is not None
        self.loop_time = asyncio.get_running_loop().time
        self.ws = await open_websocket(
            self.http,
            self.endpoint,
            headers=self.headers,
            handshake_timeout=None,
            heartbeat=None,  # the watchdog's: aiohttp's costs a callback on every read from the socket
            ws_close_timeout=self.close_timeout,
            autoping=self.heartbeat is None,  # with a watchdog, the reader answers pings and sees pongs
        )
        self._transport = (self.ws, transport_of(self.ws))
        if self.endpoint.sideband:
            self.reader = asyncio.create_task(self._read(self.ws), name="realtime_sdk reader")
            return
        created = self.waiters.expect(("session.created",))
        self.reader = asyncio.create_task(self._read(self.ws), name="realtime_sdk reader")
        try:
            await created.future
        finally:
            self.waiters.forget(created)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse[Literal[False]]) -> None:
        """The reader task: the only caller of ``ws.receive()``."""
        code: int | None = None
        reason = ""
        watchdog = None  # the reader's own: it ends with the reader
        if self.heartbeat is not None:
            watchdog = asyncio.create_task(self._watch(ws, self.heartbeat), name="realtime_sdk heartbeat")
        try:
            while True:
                msg = await ws.receive()
                self._heard += 1  # anything at all: the peer is alive (the watchdog reads it)
                if msg.type is aiohttp.WSMsgType.TEXT or msg.type is aiohttp.WSMsgType.BINARY:
                    if self.recorder is not None:
                        self.recorder.received(msg.data)
                    try:
                        event = decode(msg.data)
                    except RealtimeError as exc:  # ProtocolError: a frame that is not a JSON object
                        log.warning("ignoring a frame from the server: %s", exc)
                        continue
                    try:
                        if not self._dispatch_nowait(event):
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
                elif msg.type is aiohttp.WSMsgType.PING:
                    try:
                        await ws.pong(msg.data)
                    except (aiohttp.ClientError, ConnectionError, RuntimeError):
                        pass  # the connection is going: the next receive() says so
        finally:
            abort(ws, only_if_stuck=True)  # unsent bytes to a peer that stopped reading hold no one up
            if watchdog is not None:
                watchdog.cancel()
                await asyncio.wait({watchdog})
                failed = None if watchdog.cancelled() else watchdog.exception()
                if failed is not None:
                    log.error("internal error in the heartbeat", exc_info=failed)
                silent = None if watchdog.cancelled() or failed is not None else watchdog.result()
                if silent is not None:
                    code, reason = 1006, silent
            closing = code if code is not None else ws.close_code
            log.info("connection closed (code=%s)", closing)
            self._ended(ConnectionClosed(closing, reason or self.close_reason))

    async def _watch(
        self, ws: aiohttp.ClientWebSocketResponse[Literal[False]], interval: float
    ) -> str | None:
        """The heartbeat: after ``interval`` seconds in which nothing arrived, a ping; when nothing at all
        arrives within half an interval more, the connection is dropped and the reason returned (the
        reader ends the connection with 1006 and it).

        One timer per interval instead of aiohttp's bookkeeping on every read; the reader counts what it
        receives (pongs included: it answers the server's pings itself).
        """
        loop = asyncio.get_running_loop()
        while not ws.closed:
            heard = self._heard
            await asyncio.sleep(interval)
            if self._heard != heard or ws.closed:
                continue
            deadline = loop.time() + interval / 2
            try:
                async with asyncio.timeout(interval / 2):
                    await ws.ping()  # a peer that reads nothing may leave no room for it
            except TimeoutError:
                pass
            except (aiohttp.ClientError, ConnectionError, RuntimeError):
                return None  # the connection is going: the reader sees it
            await asyncio.sleep(max(0.0, deadline - loop.time()))
            if self._heard == heard and not ws.closed:
                silent = f"no answer to a ping within {interval / 2:g} s (heartbeat {interval:g} s)"
                log.info("%s: dropping the connection", silent)
                abort(ws)
                return silent
        return None

    async def discard(self) -> None:
        """Close a failed attempt's connection, if it got one, and wait for its reader."""
        ws, reader = self.ws, self.reader
        self.ws = None
        if ws is not None and not ws.closed:
            await ws.close()
        if reader is not None and not reader.done() and reader is not asyncio.current_task():
            await reader

    # -- the gate -----------------------------------------------------------------------------------------

    @property
    def reconnecting(self) -> bool:
        return self.ready is not None and self.closed is None

    def shut(self) -> None:
        """Sends wait at the gate from now on (a connection was lost; a reconnect follows)."""
        if self.ready is None:
            self.ready = asyncio.get_running_loop().create_future()

    def reopen(self) -> None:
        ready, self.ready = self.ready, None
        if ready is not None and not ready.done():
            ready.set_result(None)

    def end(self, exc: RealtimeError) -> None:
        """The session is over: every later call raises ``exc``, and so does the gate."""
        self.closed = exc
        ready, self.ready = self.ready, None
        if ready is not None and not ready.done():
            ready.set_exception(exc)
            ready.exception()  # nobody may be waiting at the gate

    async def wait_ready(self) -> None:
        while self.ready is not None:
            await asyncio.shield(self.ready)
        if self.closed is not None:
            raise self.closed

    # -- sending and requests -----------------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh client ``event_id``."""
        return f"{self._id_prefix}{next(self._ids)}"

    def with_id(self, event: E) -> tuple[E, str]:
        current = getattr(event, "event_id", UNSET)
        if isinstance(current, str):
            return event, current
        event_id = self.new_id()
        return msgspec.structs.replace(event, event_id=event_id), event_id  # type: ignore[type-var]

    async def send(self, event: ClientEvent, *, gated: bool = True) -> None:
        if gated and self.ready is not None:
            await self.wait_ready()  # a reconnect is under way: the gate
        ws = self.ws
        if self.closed is not None:
            raise self.closed
        if ws is None:
            raise ConnectionClosed(None, "not connected")
        try:
            data = encode(event)
        except (TypeError, ValueError) as exc:  # a value msgspec cannot encode (a set, an object...)
            raise ConfigurationError(f"cannot encode {event.type}: {exc}") from None
        self._sent(event)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("send %s", describe(event))
        if self.recorder is not None:
            self.recorder.sent(data)
        known, transport = self._transport
        waited = len(data) >= _SMALL_FRAME or write_backlog(ws, transport if known is ws else None) > 0
        try:
            if not waited:
                await ws.send_frame(data, aiohttp.WSMsgType.TEXT)  # the socket takes it at once
            else:
                async with asyncio.timeout(self.send_timeout):
                    await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
        except TimeoutError:
            # The server stopped reading.  The frame may be half written: this connection is done for.
            abort(ws)
            raise SendTimeoutError(
                1006, f"no progress sending {event.type} for {self.send_timeout} s (send_timeout)"
            ) from None
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            raise self.closed or ConnectionClosed(ws.close_code, "connection lost while sending") from None
        if waited and ws.closed:
            # The socket was dropped while this frame waited for room: it never left.
            raise self.closed or ConnectionClosed(ws.close_code, "connection lost while sending")

    async def answer(self, waiter: Waiter, request: str) -> Any:
        """The acknowledgement of a sent request, within ``request_timeout``; an abandoned wait orphans."""
        try:
            async with asyncio.timeout(self.request_timeout):
                # Shielded: cancelling the caller must not cancel the future the reader will resolve.
                return await asyncio.shield(waiter.future)
        except (asyncio.CancelledError, TimeoutError) as exc:
            if waiter.future.done() and isinstance(exc, TimeoutError):
                return waiter.future.result()  # answered in the very instant the timeout fired
            self.waiters.orphan(waiter)
            if isinstance(exc, TimeoutError):
                raise RequestTimeoutError(f"no answer to {request} within {self.request_timeout} s") from None
            raise
        finally:
            if waiter.future.done():
                self.waiters.forget(waiter)

    async def request(
        self,
        event: ClientEvent,
        types: tuple[str, ...],
        match: Callable[[Any], bool] | None = None,
        *,
        gated: bool = True,
        retry: bool = False,
        on_result: Callable[[Any], None] | None = None,
    ) -> Any:
        """Send ``event``, return the acknowledgement (``types``, ``match``); ``retry``: again after a
        reconnect when the connection was lost before the answer came, at most ``_RETRY_BUDGET`` times
        (a request that is lost with every connection may be what makes the server drop them)."""
        lost = 0
        while True:
            if self.closed is not None:
                raise self.closed
            if gated:
                # Before the waiter exists: a request waiting for a reconnect belongs to the next connection.
                await self.wait_ready()
            event, event_id = self.with_id(event)
            waiter = self.waiters.expect(types, match or _anything, event_id, on_result=on_result)
            try:
                await self.send(event, gated=False)
            except asyncio.CancelledError:
                self.waiters.orphan(waiter)  # written before the send was cancelled (see above)
                raise
            except ConnectionClosed as exc:
                self.waiters.forget(waiter)
                lost += 1
                if not (retry and gated and await self._reconnect_follows()):
                    raise
                _check_budget(event.type, lost, exc)
                continue
            except BaseException:
                self.waiters.forget(waiter)
                raise
            try:
                return await self.answer(waiter, event.type)
            except ConnectionClosed as exc:
                lost += 1
                if not (retry and gated and await self._reconnect_follows()):
                    raise
                _check_budget(event.type, lost, exc)

    async def _reconnect_follows(self) -> bool:
        """After a connection failed a request: is a reconnect replacing it?  (The reader decides.)"""
        reader = self.reader
        if self.closed is None and self.ready is None and reader is not None and not reader.done():
            # A failed send can run ahead of the reader noticing that the connection is gone.
            await asyncio.wait({reader}, timeout=self.close_timeout)
        return self.reconnecting

    async def create_items(self, events: list[ClientEvent], *, gated: bool) -> None:
        """Send ``conversation.item.create`` events back to back, then wait for every acknowledgement."""
        waiters: list[Waiter] = []
        try:
            for event in events:
                if isinstance(event, ConversationItemCreate) and not isinstance(event.item.id, str):
                    item = msgspec.structs.replace(event.item, id=f"item_{secrets.token_hex(12)}")
                    event = msgspec.structs.replace(event, item=item)
                event, event_id = self.with_id(event)
                if isinstance(event, ConversationItemCreate):
                    item_id = event.item.id
                    waiters.append(
                        self.waiters.expect(
                            ("conversation.item.added", "conversation.item.created"),
                            lambda e, i=item_id: e.item.id == i,  # type: ignore[misc]
                            event_id,
                        )
                    )
                await self.send(event, gated=gated)
            for waiter in waiters:
                await self.answer(waiter, "conversation.item.create")
        finally:
            for waiter in waiters:
                if not waiter.orphaned:
                    self.waiters.forget(waiter)
