"""Requests and their acknowledgements: event ids, the one send path, the request timeout, the gate.

Theory of operation
-------------------
Requests that the server acknowledges (``update_session``, ``commit_audio``, ``add_item``...) register a
waiter (``_waiters.py``) *before* sending, keyed by the acknowledging event type and, where the
acknowledgement names it, the item id.  Every request carries a fresh ``event_id``; an ``error`` quoting
it fails that waiter with ``ServerError``.

The frame is written to the socket synchronously once ``_send`` gets past its checks (aiohttp writes an
uncompressed frame before its first ``await``), so a caller cancelled inside ``_send`` has sent its
request.  From then on the answer is awaited for at most ``request_timeout`` seconds
(``RequestTimeoutError``); a caller that is cancelled or times out leaves its waiter orphaned to absorb
the late answer (see ``_waiters.py``), so nothing is left to be mistaken for the next request's answer.

While a reconnect is under way (``_reconnect.py``) every send waits at a gate, ``_ready``.  Requests that
mean the same on any connection (``update_session``, item requests) are sent again on the new connection
when the old one took their answer with it; ``response.create`` and the audio buffer's requests are not
(what they acted on is gone).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
import msgspec
from msgspec import UNSET

from .._generated import (
    ConversationItemCreate,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    ResponseCreate,
    SessionUpdate,
)
from ..errors import (
    ConfigurationError,
    ConnectionClosed,
    RealtimeError,
    RequestLostError,
    RequestTimeoutError,
    SendTimeoutError,
)
from ..events import ClientEvent, encode
from ._connect import abort, write_backlog
from ._handlers import describe
from ._responses import ResponseHandle, merge_metadata, new_tag
from ._state import SessionState
from ._waiters import Waiter

__all__ = ["Requests"]

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


class Requests(SessionState):
    def _with_id(self, event: E) -> tuple[E, str]:
        current = getattr(event, "event_id", UNSET)
        if isinstance(current, str):
            return event, current
        event_id = f"{self._id_prefix}{next(self._ids)}"
        return msgspec.structs.replace(event, event_id=event_id), event_id  # type: ignore[type-var]

    async def _send(self, event: ClientEvent, *, gated: bool = True) -> None:
        if gated and self._ready is not None:
            await self._wait_ready()  # a reconnect is under way: the gate
        ws = self._ws
        if self._closed is not None:
            raise self._closed
        if ws is None:
            raise ConnectionClosed(None, "not connected")
        try:
            data = encode(event)
        except (TypeError, ValueError) as exc:  # a value msgspec cannot encode (a set, an object...)
            raise ConfigurationError(f"cannot encode {event.type}: {exc}") from None
        self.conversation.sent(event)  # keeps the images of new items for a reconnect's restore
        if log.isEnabledFor(logging.DEBUG):
            log.debug("send %s", describe(event))
        if self._recorder is not None:
            self._recorder.sent(data)
        waited = len(data) >= _SMALL_FRAME or write_backlog(ws) > 0
        try:
            if not waited:
                await ws.send_frame(data, aiohttp.WSMsgType.TEXT)  # the socket takes it at once
            else:
                async with asyncio.timeout(self._send_timeout):
                    await ws.send_frame(data, aiohttp.WSMsgType.TEXT)
        except TimeoutError:
            # The server stopped reading.  The frame may be half written: this connection is done for.
            abort(ws)
            raise SendTimeoutError(
                1006, f"no progress sending {event.type} for {self._send_timeout} s (send_timeout)"
            ) from None
        except (aiohttp.ClientError, ConnectionError, RuntimeError):
            raise self._closed or ConnectionClosed(ws.close_code, "connection lost while sending") from None
        if waited and ws.closed:
            # The socket was dropped while this frame waited for room: it never left.
            raise self._closed or ConnectionClosed(ws.close_code, "connection lost while sending")

    async def _answer(self, waiter: Waiter, request: str) -> Any:
        """The acknowledgement of a sent request, within ``request_timeout``; an abandoned wait orphans."""
        try:
            async with asyncio.timeout(self._request_timeout):
                # Shielded: cancelling the caller must not cancel the future the reader will resolve.
                return await asyncio.shield(waiter.future)
        except (asyncio.CancelledError, TimeoutError) as exc:
            if waiter.future.done() and isinstance(exc, TimeoutError):
                return waiter.future.result()  # answered in the very instant the timeout fired
            self._waiters.orphan(waiter)
            if isinstance(exc, TimeoutError):
                raise RequestTimeoutError(
                    f"no answer to {request} within {self._request_timeout} s"
                ) from None
            raise
        finally:
            if waiter.future.done():
                self._waiters.forget(waiter)

    async def _request(
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
            if self._closed is not None:
                raise self._closed
            if gated:
                # Before the waiter exists: a request waiting for a reconnect belongs to the next connection.
                await self._wait_ready()
            event, event_id = self._with_id(event)
            waiter = self._waiters.expect(types, match or _anything, event_id, on_result=on_result)
            try:
                await self._send(event, gated=False)
            except asyncio.CancelledError:
                self._waiters.orphan(waiter)  # written before the send was cancelled (see above)
                raise
            except ConnectionClosed as exc:
                self._waiters.forget(waiter)
                lost += 1
                if not (retry and gated and await self._reconnect_follows()):
                    raise
                _check_budget(event.type, lost, exc)
                continue
            except BaseException:
                self._waiters.forget(waiter)
                raise
            try:
                return await self._answer(waiter, event.type)
            except ConnectionClosed as exc:
                lost += 1
                if not (retry and gated and await self._reconnect_follows()):
                    raise
                _check_budget(event.type, lost, exc)

    async def _reconnect_follows(self) -> bool:
        """After a connection failed a request: is a reconnect replacing it?  (The reader decides.)"""
        reader = self._reader
        if self._closed is None and self._ready is None and reader is not None and not reader.done():
            # A failed send can run ahead of the reader noticing that the connection is gone.
            await asyncio.wait({reader}, timeout=self._close_timeout)
        return self._reconnecting

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
                await self._answer(waiter, "conversation.item.create")
        finally:
            for waiter in waiters:
                if not waiter.orphaned:
                    self._waiters.forget(waiter)

    async def _wait_idle(self) -> None:
        """Until no response is active in the conversation.

        Not bounded while the server is talking: a long response is not a stall.  But an active response
        the server has said nothing about for ``request_timeout`` (not a delta, not anything) is presumed
        over (only that response's events count as news; other traffic does not keep it alive): the
        ``response.create`` that follows lets the server judge, and it refuses one that would
        race (``ServerError``), or stays silent (``RequestTimeoutError``).  No server can hang the caller.
        """
        limit = self._request_timeout
        while self._book.active:
            if self._closed is not None:
                raise self._closed
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle_waiters.append(fut)
            try:
                async with asyncio.timeout_at(None if limit is None else self._response_heard + limit):
                    await fut
            except TimeoutError:
                assert limit is not None  # no limit, no timeout
                if asyncio.get_running_loop().time() - self._response_heard >= limit:
                    gone = self._book.presume_over()
                    log.warning("responses %s: nothing from the server for %s s", sorted(gone), limit)
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

        def untag(created: asyncio.Future[Any]) -> None:
            # Refused (or the connection ended) before response.created: nothing will ever carry the tag.
            if (created.cancelled() or created.exception()) and self._handles.get(tag) is handle:
                del self._handles[tag]
                self._book.withdraw(tag)

        self._handles[tag] = handle
        self._book.expect(tag, out_of_band=out_of_band)
        handle._created.add_done_callback(untag)
        waiter = self._waiters.expect((), event_id=event_id, future=handle._created)
        try:
            await self._send(event, gated=False)
        except asyncio.CancelledError:
            # Sent: the response will run; the handle stays tagged so that it is tracked when it starts.
            self._waiters.orphan(waiter)
            raise
        except BaseException as exc:
            self._waiters.forget(waiter)
            handle._fail(exc)
            raise
        try:
            await self._answer(waiter, "response.create")
        except RealtimeError as exc:
            if not isinstance(exc, RequestTimeoutError):
                handle._fail(exc)
            raise
        return handle

    @property
    def _reconnecting(self) -> bool:
        return self._ready is not None and self._closed is None

    async def _wait_ready(self) -> None:
        while self._ready is not None:
            await asyncio.shield(self._ready)
        if self._closed is not None:
            raise self._closed
