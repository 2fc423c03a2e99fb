"""Requests waiting for their acknowledgement, and ``error`` events matched back to them.

Theory of operation
-------------------
A request registers a waiter *before* it is sent: the event types that acknowledge it (``session.updated``
for ``session.update``...), an optional predicate (the item id, where the acknowledgement names it), and
the ``event_id`` the request carries.  The reader offers every event to ``resolve`` (first matching waiter
in registration order wins, so requests without a distinguishing field are answered first in, first out,
as the server processes them) and every ``error`` to ``claim_error`` (matched by ``error.event_id``).
``fail_all`` wakes every waiter with one exception when the connection ends.

A caller that stops waiting after its request went out (cancelled, or past the request timeout) leaves
an *orphaned* waiter behind on purpose: the server will still answer, and most acknowledgements carry
nothing that names their request (``session.updated``, ``input_audio_buffer.committed``), so without it
the late answer would be handed to the next request of the same kind.  An orphan takes its answer and
goes; an ``error`` meant for it is delivered as an event (nobody awaits it any more).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._generated import Error
from ..errors import ServerError

__all__ = ["HARMLESS_ERROR_CODES", "Waiter", "Waiters"]

log = logging.getLogger("realtime_sdk")

HARMLESS_ERROR_CODES = frozenset({"response_cancel_not_active"})
"""Error codes that only say a request had nothing to do; logged at DEBUG, never raised or yielded."""


def _any(_: Any) -> bool:
    return True


@dataclass(eq=False)
class Waiter:
    future: asyncio.Future[Any]
    types: tuple[str, ...]
    match: Callable[[Any], bool]
    event_id: str | None
    on_result: Callable[[Any], None] | None = None
    """Called with the acknowledgement as it resolves the waiter, whether or not anyone still waits."""
    orphaned: bool = False


class Waiters:
    def __init__(self) -> None:
        self._by_type: dict[str, list[Waiter]] = {}
        self._by_event_id: dict[str, Waiter] = {}

    def __contains__(self, kind: str) -> bool:
        return kind in self._by_type

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
        for t in types:
            self._by_type.setdefault(t, []).append(waiter)
        if event_id is not None:
            self._by_event_id[event_id] = waiter
        return waiter

    def forget(self, waiter: Waiter) -> None:
        for t in waiter.types:
            waiting = self._by_type.get(t)
            if waiting and waiter in waiting:
                waiting.remove(waiter)
                if not waiting:
                    del self._by_type[t]
        if waiter.event_id is not None and self._by_event_id.get(waiter.event_id) is waiter:
            del self._by_event_id[waiter.event_id]

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

    def __len__(self) -> int:
        """How many waiters are registered (orphans included)."""
        waiting = {id(w) for ws in self._by_type.values() for w in ws}
        return len(waiting | {id(w) for w in self._by_event_id.values()})

    def pending(self, kind: str) -> bool:
        return bool(self._by_type.get(kind))

    def resolve(self, kind: str, event: Any) -> None:
        for waiter in self._by_type.get(kind, ()):
            if waiter.future.done():
                continue
            try:
                matched = waiter.match(event)
            except Exception:  # a predicate meeting an unexpected shape: not this waiter's answer
                matched = False
            if matched:
                self.forget(waiter)
                if waiter.on_result is not None:
                    waiter.on_result(event)
                waiter.future.set_result(event)
                return

    def claim_error(self, event: Error) -> bool:
        """Fail the request that caused ``event``; ``True`` when the error was claimed (or is harmless)."""
        err = event.error
        code = err.code if isinstance(err.code, str) else None
        if code in HARMLESS_ERROR_CODES:
            log.debug("ignored harmless server error %s: %s", code, err.message)
            return True
        event_id = err.event_id if isinstance(err.event_id, str) else None
        waiter = self._by_event_id.get(event_id) if event_id else None
        if waiter is None:
            log.warning("server error %s: %s", code or err.type, err.message)
            return False
        self.forget(waiter)
        if not waiter.future.done():
            param = err.param if isinstance(err.param, str) else None
            waiter.future.set_exception(
                ServerError(err.message, code=code, type=err.type, param=param, event_id=event_id)
            )
        if waiter.orphaned:
            log.warning("server error %s for a request nobody awaits: %s", code or err.type, err.message)
            return False
        return True

    def fail_all(self, exc: BaseException) -> None:
        waiters = {id(w): w for waiting in self._by_type.values() for w in waiting}
        waiters.update({id(w): w for w in self._by_event_id.values()})
        self._by_type.clear()
        self._by_event_id.clear()
        for waiter in waiters.values():
            if not waiter.future.done():
                waiter.future.set_exception(exc)
