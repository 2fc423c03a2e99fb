"""The session's receive side for the app: ``async for event in session``, ``on()`` handlers, observers.

The reader (``_reader.py``) feeds all three; this module is only how the app subscribes.  ``on`` is
typed so that a handler registered for an event class must accept that class::

    @session.on(ResponseDone)
    def done(event: ResponseDone) -> None: ...        # checked by mypy
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar, overload

from ._handlers import ItemHandler, handler_key
from ._state import SessionState
from .events import AnyServerEvent
from .local_events import SessionEvent

__all__ = ["Receiving"]

E = TypeVar("E")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


class Receiving(SessionState):
    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        """``async for event in session``: every server event, typed; ``ConnectionClosed`` at the end.

        The SDK's own events (``Reconnected``, ``ToolCallStarted``, ``ToolCallFinished``) come in between.
        Across a reconnect the iteration goes on; it ends with the error that ended the session.
        """
        return self._events.__aiter__()

    @overload
    def on(
        self, event_type: type[E], handler: None = None
    ) -> Callable[[Callable[[E], R]], Callable[[E], R]]: ...
    @overload
    def on(self, event_type: type[E], handler: Callable[[E], R]) -> Callable[[E], R]: ...
    @overload
    def on(self, event_type: str, handler: None = None) -> Callable[[F], F]: ...
    @overload
    def on(self, event_type: str, handler: F) -> F: ...

    def on(self, event_type: type[Any] | str, handler: Callable[..., Any] | None = None) -> Any:
        """Call ``handler(event)`` (sync, or async: run as a task) for each event of that type.

        ``event_type`` is an event class, a wire type string, ``UnknownServerEvent`` (events the SDK does
        not know) or ``"*"`` (everything).  Usable as a decorator.  A raising handler is logged, nothing more.
        """
        key = handler_key(event_type)

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._handlers.add(key, fn)
            return fn

        return register if handler is None else register(handler)

    def off(self, event_type: type[Any] | str, handler: Callable[..., Any]) -> None:
        self._handlers.remove(handler_key(event_type), handler)

    def on_conversation_item_created(self, handler: ItemHandler) -> ItemHandler:
        """Decorator: ``handler(session, item_id, item)`` once per new item (``conversation.item.added``)."""
        self._handlers.item_created.append(handler)
        return handler

    def on_conversation_item_updated(self, handler: ItemHandler) -> ItemHandler:
        """Decorator: ``handler(session, item_id, item)`` when an item is done, transcribed or truncated.

        ``item`` is the latest item the server sent (``None`` if none was seen); for a transcription the
        transcript is in the event, which ``session.on(...)`` delivers.
        """
        self._handlers.item_updated.append(handler)
        return handler

    def add_observer(self, observer: Callable[[AnyServerEvent], None]) -> None:
        """Feed every decoded event, first and in order, to ``observer`` (conversation state, recorders)."""
        self._observers.append(observer)
