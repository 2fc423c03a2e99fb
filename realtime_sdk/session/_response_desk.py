"""Response handles at the edge: starting a response, routing its events, waiting for the conversation to
be free.

Theory of operation
-------------------
Which responses exist, which the app asked for and which are active is the core's ``ResponseBook``
(``protocol/_responses.py``); this desk gives each of them a ``ResponseHandle`` and turns the book's
decisions into the handles' futures and streams.  ``start`` tags a ``response.create`` (in its metadata) so
that its ``response.created`` finds the handle; a response the server starts (VAD, a commit, a tool
follow-up asked by the server) gets a handle all the same, announced to ``session.responses()`` iterators
and ``on_response`` callbacks.

``wait_idle`` is how ``create_response`` never races: until no response is active in the conversation,
and not longer than ``request_timeout`` of silence from an active response (then it is presumed over).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import msgspec

from .._generated import RealtimeResponseCreateParams, ResponseCreate, ResponseCreated
from ..errors import RealtimeError, RequestTimeoutError
from ..events import AnyServerEvent
from ..protocol import Ended, ResponseBook, Routed, Started
from ._responses import ResponseHandle, merge_metadata, new_tag
from ._streams import EventStream
from ._wire import Wire

__all__ = ["ResponseDesk"]

log = logging.getLogger("realtime_sdk")


class ResponseDesk:
    def __init__(
        self,
        wire: Wire,
        *,
        maxsize: int,
        call: Callable[[Callable[..., object], ResponseHandle], None],
        started: Callable[[bool], None],
    ) -> None:
        self._wire = wire
        self._maxsize = maxsize
        self._call = call
        """Runs an ``on_response`` callback (sync, or async as a task)."""
        self._started = started
        """Told of every response that starts (``out_of_band``): MCP approvals follow responses."""
        self.book = ResponseBook()
        self.handles: dict[str, ResponseHandle] = {}
        """The handle of each response the book knows, by the book's key."""
        self.stream: EventStream[ResponseHandle] = EventStream(maxsize, name="session responses", warn=False)
        """``session.responses()``: every new handle, while somebody iterates."""
        self.callbacks: list[Callable[[ResponseHandle], object]] = []
        self.create_lock = asyncio.Lock()
        self.heard = 0.0
        """``loop.time()`` when the server last sent an event of a response (stall detection)."""
        self._idle: list[asyncio.Future[None]] = []

    @property
    def active(self) -> bool:
        return bool(self.book.active)

    def handle_for(self, response_id: str) -> ResponseHandle | None:
        key = self.book.key_of(response_id)
        return self.handles.get(key) if key is not None else None

    async def start(self, params: RealtimeResponseCreateParams, *, out_of_band: bool) -> ResponseHandle:
        """Send a tagged ``response.create``; the handle, once ``response.created`` arrived."""
        wire = self._wire
        await wire.wait_ready()
        tag = new_tag()
        user_meta = params.metadata if isinstance(params.metadata, dict) else None
        params = msgspec.structs.replace(params, metadata=merge_metadata(user_meta, tag))
        handle = ResponseHandle(tag, out_of_band=out_of_band, maxsize=self._maxsize)
        event, event_id = wire.with_id(ResponseCreate(response=params))

        def untag(created: asyncio.Future[Any]) -> None:
            # Refused (or the connection ended) before response.created: nothing will ever carry the tag.
            if (created.cancelled() or created.exception()) and self.handles.get(tag) is handle:
                del self.handles[tag]
                self.book.withdraw(tag)

        self.handles[tag] = handle
        self.book.expect(tag, out_of_band=out_of_band)
        handle._created.add_done_callback(untag)
        waiter = wire.waiters.expect((), event_id=event_id, future=handle._created)
        try:
            await wire.send(event, gated=False)
        except asyncio.CancelledError:
            # Sent: the response will run; the handle stays tagged so that it is tracked when it starts.
            wire.waiters.orphan(waiter)
            raise
        except BaseException as exc:
            wire.waiters.forget(waiter)
            handle._fail(exc)
            raise
        try:
            await wire.answer(waiter, "response.create")
        except RealtimeError as exc:
            if not isinstance(exc, RequestTimeoutError):
                handle._fail(exc)
            raise
        return handle

    async def wait_idle(self) -> None:
        """Until no response is active in the conversation.

        Not bounded while the server is talking: a long response is not a stall.  But an active response
        the server has said nothing about for ``request_timeout`` (not a delta, not anything) is presumed
        over (only that response's events count as news; other traffic does not keep it alive): the
        ``response.create`` that follows lets the server judge, and it refuses one that would
        race (``ServerError``), or stays silent (``RequestTimeoutError``).  No server can hang the caller.
        """
        limit = self._wire.request_timeout
        loop = asyncio.get_running_loop()
        while self.book.active:
            if self._wire.closed is not None:
                raise self._wire.closed
            fut: asyncio.Future[None] = loop.create_future()
            self._idle.append(fut)
            try:
                async with asyncio.timeout_at(None if limit is None else self.heard + limit):
                    await fut
            except TimeoutError:
                assert limit is not None  # no limit, no timeout
                if loop.time() - self.heard >= limit:
                    gone = self.book.presume_over()
                    log.warning("responses %s: nothing from the server for %s s", sorted(gone), limit)
            finally:
                if fut in self._idle:
                    self._idle.remove(fut)

    def route_nowait(self, out: Routed | Started | Ended, event: AnyServerEvent, now: float) -> bool:
        """``route`` without a coroutine for the common case (an event of a response whose handle has
        room); ``False``: nothing done, ``await route(...)``."""
        if type(out) is not Routed:
            return False
        handle = self.handles.get(out.key)
        if handle is not None and not handle._feed_nowait(event):
            return False
        self.heard = now
        return True

    async def route(self, out: Routed | Started | Ended, event: AnyServerEvent) -> None:
        """An event the book claimed: to its handle; a new response's handle announced; idle waits end."""
        # Only a response's own events show that it is alive (see ``wait_idle``): a server chatting about
        # other things (rate limits, transcripts) does not keep a dead response active.
        self.heard = asyncio.get_running_loop().time()
        if isinstance(out, Routed):
            handle = self.handles.get(out.key)
            if handle is not None:
                await handle._feed(event)
        elif isinstance(out, Started):
            assert isinstance(event, ResponseCreated)
            handle = self.handles.get(out.key)
            if handle is None:  # started by the server (VAD, a commit, a reconnect): a handle all the same
                handle = ResponseHandle(out.key, out_of_band=out.out_of_band, maxsize=self._maxsize)
                handle.started_by_server = True
                self.handles[out.key] = handle
            self._started(out.out_of_band)
            handle._bind(event)  # a nameless one stays: its response.done finds it by tag
            await handle._feed(event)
            await self._announce(handle)
        else:
            handle = self.handles.pop(out.key, None) if out.key is not None else None
            if handle is not None:
                await handle._feed(event)
            if out.idle:
                self.settle(None)

    async def _announce(self, handle: ResponseHandle) -> None:
        for callback in self.callbacks:
            self._call(callback, handle)
        if self.stream.has_consumers:
            await self.stream.put(handle)

    def fail_all(self, exc: RealtimeError) -> None:
        """The connection ended: every handle fails with ``exc``; the book forgets its responses."""
        handles = list(self.handles.values())
        self.handles.clear()
        self.book.connection_lost()
        for handle in handles:
            handle._fail(exc)

    def settle(self, exc: BaseException | None) -> None:
        """Wake every ``wait_idle``: to look again (``None``) or to raise ``exc``."""
        for fut in self._idle:
            if not fut.done():
                if exc is None:
                    fut.set_result(None)
                else:
                    fut.set_exception(exc)

    def close(self, exc: RealtimeError) -> None:
        self.settle(exc)
        self.stream.close(exc)
