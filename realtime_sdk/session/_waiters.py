"""The edge's side of request correlation: a future per request, over the core's ``RequestBook``.

Which request an acknowledgement or an ``error`` answers is decided in ``protocol/_requests.py``; this
module gives each request a future, sets it from the book's decisions, and keeps an *orphan* (a request
whose caller stopped waiting after it went out) until its late answer arrives, retrieving any exception
so nothing is reported as never retrieved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from .._generated import Error
from ..protocol import HARMLESS_ERROR_CODES, Pending, RequestBook

__all__ = ["HARMLESS_ERROR_CODES", "Waiter", "Waiters"]

log = logging.getLogger("realtime_sdk")


def _any(_: Any) -> bool:
    return True


def _done(future: asyncio.Future[Any]) -> bool:
    return future.done()


class Waiter(Pending["asyncio.Future[Any]"]):
    """A request's entry in the book; its ticket is the future its caller awaits."""

    @property
    def future(self) -> asyncio.Future[Any]:
        return self.ticket


class Waiters:
    def __init__(self) -> None:
        self._book: RequestBook[asyncio.Future[Any]] = RequestBook(_done)
        self.types_awaited = self._book.types_awaited

    def __contains__(self, kind: str) -> bool:
        return kind in self._book

    def __len__(self) -> int:
        """How many waiters are registered (orphans included)."""
        return len(self._book)

    def expect(
        self,
        types: tuple[str, ...],
        match: Callable[[Any], bool] = _any,
        event_id: str | None = None,
        *,
        future: asyncio.Future[Any] | None = None,
        on_result: Callable[[Any], None] | None = None,
    ) -> Waiter:
        future = future or asyncio.get_running_loop().create_future()
        waiter = Waiter(future, types, match, event_id, on_result)
        self._book.expect(waiter)
        return waiter

    def forget(self, waiter: Waiter) -> None:
        self._book.forget(waiter)

    def orphan(self, waiter: Waiter) -> None:
        """Its caller is gone but the request was sent: keep the waiter until the answer comes."""
        if waiter.future.done():
            self.forget(waiter)
            return
        waiter.orphaned = True

        def gone(future: asyncio.Future[Any]) -> None:
            self.forget(waiter)
            if not future.cancelled():
                future.exception()  # nobody will retrieve it

        waiter.future.add_done_callback(gone)

    def pending(self, kind: str) -> bool:
        return self._book.pending(kind)

    def resolve(self, kind: str, event: Any) -> None:
        answered = self._book.resolve(kind, event)
        if answered is not None:
            answered.ticket.set_result(event)

    def claim_error(self, event: Error) -> bool:
        """Fail the request that caused ``event``; ``True`` when the error was claimed (or is harmless)."""
        claim = self._book.claim_error(event)
        err = claim.error
        if claim.harmless:
            log.debug("ignored harmless server error %s: %s", err.code, err.message)
            return True
        if claim.pending is None:
            log.warning("server error %s: %s", err.code or err.type, err.message)
            return False
        if not claim.pending.ticket.done():
            claim.pending.ticket.set_exception(err)
        if not claim.claimed:
            log.warning("server error %s for a request nobody awaits: %s", err.code or err.type, err.message)
        return claim.claimed

    def fail_all(self, exc: BaseException) -> None:
        for waiter in self._book.drain():
            if not waiter.ticket.done():
                waiter.ticket.set_exception(exc)
