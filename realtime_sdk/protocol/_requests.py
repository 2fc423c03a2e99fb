"""Requests waiting for their acknowledgement, and ``error`` events matched back to them.

Theory of operation
-------------------
A request is registered *before* it is sent (``expect``): the event types that acknowledge it
(``session.updated`` for ``session.update``...), an optional predicate (the item id, where the
acknowledgement names it), and the ``event_id`` the request carries.  Every server event is offered to
``resolve``: the first matching request in registration order wins, so requests without a distinguishing
field are answered first in, first out, as the server processes them.  Every ``error`` is offered to
``claim_error``, matched by ``error.event_id``.  ``drain`` hands back every request when the connection
ends, for the edge to fail them.

A request whose caller stopped waiting after it went out (cancelled, or past the request timeout) is kept
on purpose as an *orphan*: the server will still answer, and most acknowledgements carry nothing that
names their request (``session.updated``, ``input_audio_buffer.committed``), so without it the late answer
would be taken as the next request's.  An orphan takes its answer and goes; an ``error`` meant for it is
not claimed (the edge delivers it as an event: nobody awaits it any more).

No I/O: a request carries an opaque ``ticket`` (the edge uses a future) and the book asks the edge,
through the ``settled`` callable it was given, whether a ticket was already settled elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

import msgspec

from .._generated import Error
from ..errors import ServerError

__all__ = ["HARMLESS_ERROR_CODES", "ErrorClaim", "Pending", "RequestBook"]

T = TypeVar("T")

HARMLESS_ERROR_CODES = frozenset({"response_cancel_not_active"})
"""Error codes that only say a request had nothing to do: never raised or yielded."""


def _any(_: Any) -> bool:
    return True


class Pending(msgspec.Struct, Generic[T], eq=False):
    """A request sent (or about to be) that waits for one of ``types``, or an ``error`` naming ``event_id``."""

    ticket: T
    types: tuple[str, ...]
    match: Callable[[Any], bool] = _any
    event_id: str | None = None
    on_result: Callable[[Any], None] | None = None
    """Called with the acknowledgement as it resolves the request, whether or not anyone still waits."""
    orphaned: bool = False


class ErrorClaim(msgspec.Struct, Generic[T], frozen=True):
    """What ``claim_error`` decided about one ``error`` event."""

    pending: Pending[T] | None
    """The request the error answers (now forgotten), or ``None``."""
    error: ServerError
    claimed: bool
    """``True``: the error is the request's answer (or harmless) and is not the app's to see."""
    harmless: bool = False


class RequestBook(Generic[T]):
    """The one owner of request correlation (see the module's docstring)."""

    def __init__(self, settled: Callable[[T], bool]) -> None:
        self._settled = settled
        self._by_type: dict[str, list[Pending[T]]] = {}
        self.types_awaited: Mapping[str, object] = self._by_type
        """The event types some request waits for (a live view: ``kind in types_awaited``)."""
        self._by_event_id: dict[str, Pending[T]] = {}

    def __contains__(self, kind: str) -> bool:
        return kind in self._by_type

    def __len__(self) -> int:
        """How many requests are registered (orphans included)."""
        waiting = {id(p) for ps in self._by_type.values() for p in ps}
        return len(waiting | {id(p) for p in self._by_event_id.values()})

    def expect(self, pending: Pending[T]) -> Pending[T]:
        for kind in pending.types:
            self._by_type.setdefault(kind, []).append(pending)
        if pending.event_id is not None:
            self._by_event_id[pending.event_id] = pending
        return pending

    def forget(self, pending: Pending[T]) -> None:
        for kind in pending.types:
            waiting = self._by_type.get(kind)
            if waiting and pending in waiting:
                waiting.remove(pending)
                if not waiting:
                    del self._by_type[kind]
        if pending.event_id is not None and self._by_event_id.get(pending.event_id) is pending:
            del self._by_event_id[pending.event_id]

    def pending(self, kind: str) -> bool:
        return bool(self._by_type.get(kind))

    def resolve(self, kind: str, event: Any) -> Pending[T] | None:
        """The request ``event`` (of type ``kind``) answers, forgotten and its ``on_result`` called."""
        for pending in self._by_type.get(kind, ()):
            if self._settled(pending.ticket):
                continue
            try:
                matched = pending.match(event)
            except Exception:  # a predicate meeting an unexpected shape: not this request's answer
                matched = False
            if matched:
                self.forget(pending)
                if pending.on_result is not None:
                    pending.on_result(event)
                return pending
        return None

    def claim_error(self, event: Error) -> ErrorClaim[T]:
        err = event.error
        code = err.code if isinstance(err.code, str) else None
        event_id = err.event_id if isinstance(err.event_id, str) else None
        param = err.param if isinstance(err.param, str) else None
        error = ServerError(err.message, code=code, type=err.type, param=param, event_id=event_id)
        if code in HARMLESS_ERROR_CODES:
            return ErrorClaim(None, error, claimed=True, harmless=True)
        pending = self._by_event_id.get(event_id) if event_id else None
        if pending is None:
            return ErrorClaim(None, error, claimed=False)
        self.forget(pending)
        return ErrorClaim(pending, error, claimed=not pending.orphaned)

    def drain(self) -> list[Pending[T]]:
        """Every registered request, forgotten (the connection ended: none will be answered)."""
        drained = {id(p): p for waiting in self._by_type.values() for p in waiting}
        drained.update({id(p): p for p in self._by_event_id.values()})
        self._by_type.clear()
        self._by_event_id.clear()
        return list(drained.values())
