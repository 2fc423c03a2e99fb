"""Event handlers registered with ``session.on(...)`` and the Pipecat-style item callbacks.

Theory of operation
-------------------
Handlers are called by the reader, in event order.  A sync handler runs inline; an async one is started
as a task (tracked, named ``realtime_sdk handler``) so that it may itself await the session — a handler
that awaited ``update_session`` inline would wait for an event only the reader it blocks could deliver.
A handler that raises is logged and forgotten; it never reaches the reader.  ``finish`` waits for running
handler tasks at close, cancelling those that outlive the grace period.

``on_conversation_item_created`` fires once per item id (``conversation.item.added``, or the older
``conversation.item.created`` — whichever comes first); ``on_conversation_item_updated`` fires on
``conversation.item.done``, ``...input_audio_transcription.completed`` and ``conversation.item.truncated``
with the latest item seen for that id.
"""

from __future__ import annotations

import asyncio
import difflib
import inspect
import logging
import typing
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from .._generated import ConversationItemAdded, ConversationItemCreated, ConversationItemDone
from .._generated.protocols import SERVER_EVENT_TYPES
from ..errors import UnknownNameError, redact
from ..events import AnyServerEvent, UnknownServerEvent
from ..local_events import LocalEvent

__all__ = ["ITEM_EVENTS", "HandlerRegistry", "ItemHandler", "describe", "handler_key"]

log = logging.getLogger("realtime_sdk")

ItemHandler = Callable[[Any, str, Any], Any]
_ITEM_CREATED = ("conversation.item.added", "conversation.item.created")
_ITEM_UPDATED = (
    "conversation.item.done",
    "conversation.item.input_audio_transcription.completed",
    "conversation.item.truncated",
)
ITEM_EVENTS = frozenset((*_ITEM_CREATED, *_ITEM_UPDATED, "conversation.item.deleted"))
_UNKNOWN = "\x00unknown"
_KNOWN = frozenset(
    (*SERVER_EVENT_TYPES, *(t.__struct_config__.tag for t in typing.get_args(LocalEvent)), "*")
)
"""What a handler can be registered for: the server's event types, the SDK's own, and everything."""
_NAMESPACES = frozenset(name.split(".", 1)[0] for name in _KNOWN if "." in name)
"""The API's (and the SDK's) own event namespaces: ``response``, ``session``, ``sdk``..."""
_INSTEAD = "session.on(UnknownServerEvent, handler) sees event types this SDK does not know"


def handler_key(event_type: type[Any] | str) -> str:
    """The registry key for ``on(event_type, ...)``; a name or class that can never fire is refused.

    A wire type the SDK knows, a local ``sdk.`` event, ``"*"`` or ``UnknownServerEvent`` is accepted, and
    so is a type outside the API's namespaces (a server beyond the document may send its own).  A name in
    one of the API's namespaces that the document does not define is a typo or a retired beta name
    (``response.audio.delta``): it raises ``UnknownNameError`` with the nearest known name.
    """
    if isinstance(event_type, str):
        if event_type in _KNOWN:
            return event_type
        namespace = event_type.split(".", 1)[0]
        close = difflib.get_close_matches(event_type, sorted(_KNOWN - {"*"}), n=1, cutoff=0.8)
        if namespace in _NAMESPACES or close:
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UnknownNameError(
                f"session.on({event_type!r}): no such server event type; {hint}({_INSTEAD})"
            )
        return event_type
    if event_type is UnknownServerEvent:
        return _UNKNOWN
    tag = getattr(getattr(event_type, "__struct_config__", None), "tag", None)
    if not isinstance(tag, str):
        raise UnknownNameError(f"session.on({event_type!r}): not an event class or event type string")
    if tag not in _KNOWN:
        raise UnknownNameError(
            f"session.on({getattr(event_type, '__name__', event_type)}): {tag!r} is not an event the "
            "server sends (a client event?), so the handler would never run"
        )
    return tag


class HandlerRegistry:
    def __init__(self, owner: object) -> None:
        self._owner = owner  # passed to item callbacks, as Pipecat passes the service
        self.by_key: dict[str, list[Callable[[Any], Any]]] = {}
        self.item_created: list[ItemHandler] = []
        self.item_updated: list[ItemHandler] = []
        self._items: dict[str, Any] = {}
        self._announced: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    def add(self, key: str, handler: Callable[[Any], Any]) -> None:
        self.by_key.setdefault(key, []).append(handler)

    def remove(self, key: str, handler: Callable[[Any], Any]) -> None:
        handlers = self.by_key.get(key, [])
        if handler in handlers:
            handlers.remove(handler)

    def dispatch(self, kind: str, event: AnyServerEvent) -> None:
        if kind in ITEM_EVENTS:
            self._track_item(kind, event)
        if not self.by_key:
            return
        keys = (kind, "*", _UNKNOWN) if isinstance(event, UnknownServerEvent) else (kind, "*")
        for key in keys:
            for handler in self.by_key.get(key, ()):
                self._run(handler, (event,))

    def _track_item(self, kind: str, event: AnyServerEvent) -> None:
        if isinstance(event, ConversationItemAdded | ConversationItemCreated | ConversationItemDone):
            item_id = event.item.id
            if not isinstance(item_id, str):
                return
            self._items[item_id] = event.item
            if kind in _ITEM_CREATED:
                if item_id not in self._announced:
                    self._announced.add(item_id)
                    self._call_items(self.item_created, item_id, event.item)
            else:
                self._call_items(self.item_updated, item_id, event.item)
            return
        item_id = getattr(event, "item_id", None)
        if not isinstance(item_id, str):
            return
        if kind == "conversation.item.deleted":
            self._items.pop(item_id, None)
        else:
            self._call_items(self.item_updated, item_id, self._items.get(item_id))

    def _call_items(self, handlers: list[ItemHandler], item_id: str, item: Any) -> None:
        for handler in handlers:
            self._run(handler, (self._owner, item_id, item))

    def call(self, handler: Callable[..., Any], *args: Any) -> None:
        """Run one callback the way handlers run: sync inline, async as a tracked task, faults logged."""
        self._run(handler, args)

    def _run(self, handler: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            result = handler(*args)
        except Exception:
            log.exception("event handler %r raised", handler)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(_guard(handler, result))
            task.set_name("realtime_sdk handler")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def finish(self, grace: float) -> None:
        """Wait up to ``grace`` seconds for running handler tasks, then cancel the rest."""
        current = asyncio.current_task()
        pending = [t for t in self._tasks if t is not current and not t.done()]
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)


async def _guard(handler: Callable[..., Any], result: Awaitable[Any]) -> None:
    try:
        await result
    except Exception:
        log.exception("event handler %r raised", handler)


def describe(event: Any) -> str:
    """An event for the DEBUG log: audio (any bytes field) elided to its length, key-like runs redacted.

    Never raises: an event nested too deeply to walk (a hostile server can send one) is named by its type.
    """
    try:
        text = repr(_elide(msgspec.to_builtins(event, builtin_types=(bytes,))))
    except (RecursionError, msgspec.ValidationError, TypeError, ValueError):
        text = f"<{type(event).__name__}: too deeply nested to show>"
    return redact(text)


def _elide(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {k: _elide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_elide(v) for v in value]
    return value
