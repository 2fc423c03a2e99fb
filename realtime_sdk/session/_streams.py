"""A bounded, single-producer event stream between the reader task and whoever iterates.

Theory of operation
-------------------
The reader ``await``s ``put`` for every event.  While at least one iterator is alive, a full buffer makes
``put`` wait for the consumer, so the reader stops reading the socket and TCP pushes back on the server:
nothing is ever dropped under a slow consumer.

A stream that nothing iterates (the app uses response handles or handlers only, or broke out of its
``async for``) must not stall the reader forever, or every other waiter would hang with it.  So when the
buffer is full *and no iterator is alive*, ``put`` stops buffering and counts what it left out; the next
iterator raises ``EventsDroppedError`` at exactly the place of the gap.  Loud, never silent, never a hang.

An iterator is "alive" from ``__aiter__`` until it is exhausted, ``aclose()``d or garbage collected.
In CPython an ``async for`` loop drops its iterator as soon as the loop is left (``break`` included).

``close(exc)`` ends the stream: iterators drain what is buffered, then raise ``exc`` (or stop cleanly when
``exc`` is ``None``).  A blocked ``put`` returns at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Generic, TypeVar, cast

from ..errors import EventsDroppedError

__all__ = ["EventStream"]

T = TypeVar("T")
_log = logging.getLogger("realtime_sdk")
_NOTHING = object()
"""``take_nowait``'s answer when nothing can be taken without waiting."""


class _Gap:
    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


class EventStream(Generic[T]):
    def __init__(self, maxsize: int, *, name: str, warn: bool = True) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._buf: deque[T | _Gap] = deque()
        self._maxsize = maxsize
        self._name = name
        self._warn = warn
        self._consumers = 0
        self._ever_iterated = False
        self._dropped = 0
        self._finished = False
        self._exc: BaseException | None = None
        self._waiting: list[asyncio.Future[None]] = []
        """One future per suspended producer or consumer, set (all at once) by the next change."""

    # -- producer side (the reader task) ---------------------------------------------------------------

    @property
    def has_room(self) -> bool:
        """``put_nowait`` would take an item now."""
        return not (self._finished or self._dropped or len(self._buf) >= self._maxsize)

    def put_nowait(self, item: T) -> bool:
        """``put`` without a coroutine when there is room (the common case); ``False``: use ``put``."""
        if self._finished or self._dropped or len(self._buf) >= self._maxsize:
            return False
        self._buf.append(item)
        if self._waiting:
            self._notify()
        return True

    async def put(self, item: T) -> None:
        while not self._finished and len(self._buf) >= self._maxsize:
            if self._consumers == 0:
                if self._dropped == 0 and self._warn:
                    # An app that never iterates (handles and handlers only) is told once, quietly; one
                    # whose iterator went away is more likely a mistake, so it is warned.
                    _log.log(
                        logging.WARNING if self._ever_iterated else logging.INFO,
                        "%s: %d events buffered and nothing is iterating; further events are left out "
                        "until an iterator catches up (it will raise EventsDroppedError at the gap)",
                        self._name,
                        len(self._buf),
                    )
                self._dropped += 1
                return
            await self._wait()
        if self._finished:
            return
        if self._dropped:
            self._buf.append(_Gap(self._dropped))
            self._dropped = 0
        self._buf.append(item)
        self._notify()

    def close(self, exc: BaseException | None = None) -> None:
        """End the stream; iterators raise ``exc`` (or stop) once the buffer is drained.  Idempotent."""
        if self._finished:
            return
        self._finished = True
        self._exc = exc
        if self._dropped:
            self._buf.append(_Gap(self._dropped))
            self._dropped = 0
        self._notify()

    @property
    def has_consumers(self) -> bool:
        """Whether an iterator is alive (a producer may skip building what nobody will read)."""
        return self._consumers > 0

    @property
    def finished(self) -> bool:
        return self._finished

    def __len__(self) -> int:
        return len(self._buf)

    # -- consumer side -----------------------------------------------------------------------------------

    def take_nowait(self) -> T | object:
        """The next buffered event, or ``_NOTHING`` when ``get`` must run (empty, or a gap next)."""
        buf = self._buf
        if not buf or type(buf[0]) is _Gap:
            return _NOTHING
        item = buf.popleft()
        if self._waiting:
            self._notify()  # a producer waiting for room
        return item

    async def get(self) -> T:
        while not self._buf:
            if self._dropped:
                # The gap is at the tail: report it now rather than after the next event arrives.
                dropped, self._dropped = self._dropped, 0
                raise EventsDroppedError(dropped)
            if self._finished:
                if self._exc is not None:
                    raise self._exc
                raise StopAsyncIteration
            await self._wait()
        item = self._buf.popleft()
        if self._waiting:
            self._notify()  # a producer waiting for room
        if isinstance(item, _Gap):
            raise EventsDroppedError(item.count)
        return item

    def __aiter__(self) -> _Iterator[T]:
        return _Iterator(self)

    # -- internals ------------------------------------------------------------------------------------

    async def _wait(self) -> None:
        # Each waiter has its own future: cancelling one (a consumer given up) touches no other.
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future in self._waiting:
                self._waiting.remove(future)
            raise

    def _notify(self) -> None:
        waiting, self._waiting = self._waiting, []
        for future in waiting:
            if not future.done():
                future.set_result(None)

    def _attach(self) -> None:
        self._consumers += 1
        self._ever_iterated = True

    def _detach(self) -> None:
        self._consumers -= 1
        if self._consumers == 0:
            # A put waiting for room must re-check: with no iterator left it stops buffering.
            self._notify()


class _Iterator(Generic[T]):
    __slots__ = ("_alive", "_stream")

    def __init__(self, stream: EventStream[T]) -> None:
        self._stream = stream
        self._alive = True
        stream._attach()

    def __aiter__(self) -> _Iterator[T]:
        return self

    async def __anext__(self) -> T:
        if not self._alive:
            raise StopAsyncIteration
        item = self._stream.take_nowait()
        if item is not _NOTHING:
            return cast(T, item)  # an event is buffered: no coroutine for get()
        try:
            return await self._stream.get()
        except StopAsyncIteration:
            self._release()
            raise
        except EventsDroppedError:
            raise
        except BaseException:
            if self._stream.finished and not len(self._stream):
                self._release()
            raise

    async def aclose(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._alive:
            self._alive = False
            self._stream._detach()

    def __del__(self) -> None:
        if self._alive:
            self._alive = False
            self._stream._detach()
