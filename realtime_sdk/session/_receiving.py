"""The session's receive side for the app: ``async for event in session``, ``on()`` handlers, observers,
and waiting for a user item's input transcript (``_input_transcripts.py``).

The reader (``_reader.py``) feeds them all; this module is only how the app subscribes.  ``on`` is
typed so that a handler registered for an event class must accept that class::

    @session.on(ResponseDone)
    def done(event: ResponseDone) -> None: ...        # checked by mypy
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar, overload

from msgspec import UNSET

from .._generated import InputAudioBufferDtmfEventReceived
from ..errors import ConfigurationError, ConnectionClosed
from ..events import AnyServerEvent
from ..local_events import SessionEvent
from ..types import RealtimeServerSession, confirmed_session
from ._handlers import ItemHandler, handler_key
from ._responses import ResponseHandle
from ._state import SessionState

__all__ = ["Receiving"]

E = TypeVar("E")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])
DtmfHandler = TypeVar("DtmfHandler", bound=Callable[[str, int], object])


class Receiving(SessionState):
    @property
    def confirmed(self) -> RealtimeServerSession:
        """The realtime session the server last confirmed, with the fields it always sends typed present:
        ``session.confirmed.audio.output.voice`` is a ``str``.  ``server_session`` is the lenient view.

        Raises ``ConnectionClosed`` before the server confirmed a session, ``ProtocolError`` when it is not
        a realtime session or lacks a field the service always sends.
        """
        current = self.server_session
        if current is None:
            raise ConnectionClosed(None, "no session confirmed yet: connect first")
        cached = self._confirmed_cache
        if cached is not None and cached[0] is current:
            return cached[1]
        confirmed = confirmed_session(current)
        self._confirmed_cache = (current, confirmed)
        return confirmed

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

    def on_dtmf(self, handler: DtmfHandler) -> DtmfHandler:
        """Decorator: ``handler(digit, received_at)`` for each key the caller presses on a phone call.

        ``digit`` is the keypad key (``"0"``-``"9"``, ``"*"``, ``"#"``, ``"A"``-``"D"``), ``received_at`` the
        Unix time (seconds) the service received it.  Sync, or async (run as a task).  The event itself,
        ``InputAudioBufferDtmfEventReceived``, also reaches ``session.on(...)`` and ``async for``.
        """

        def press(event: object) -> object:
            if not isinstance(event, InputAudioBufferDtmfEventReceived):
                return None  # a drifted event (UnknownServerEvent): no digit to hand over
            return handler(event.event, event.received_at)

        self._handlers.add("input_audio_buffer.dtmf_event_received", press)
        return handler

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

    async def input_transcript(
        self,
        item_id: str,
        *,
        content_index: int = 0,
        timeout: float | None = 30.0,  # noqa: ASYNC109 - bounded by default: a transcript may never come
    ) -> str:
        """What the user said in an audio item: its input transcription, once it completed.

        Resolves on ``conversation.item.input_audio_transcription.completed`` for that item (and content
        part), which may arrive before the reply, during it or long after; if it arrived already, returns
        at once.  ``item_id`` is the committed item's (``(await session.commit_audio()).item_id``,
        ``turn.committed.item_id``, ``input_audio_buffer.committed``).  Needs input transcription on
        (``audio.input.transcription``), else raises ``ConfigurationError`` at once.

        Raises ``TranscriptionFailedError`` on ``.failed`` (its ``code`` and ``message``), ``ConnectionClosed``
        when the connection ends first (also when a reconnect follows: the transcription is lost with it),
        ``RequestTimeoutError`` after ``timeout`` seconds (``None``: no limit).
        """
        if not self._input_transcripts.known(item_id, content_index):
            if self._closed is not None:
                raise self._closed
            audio_in = getattr(getattr(self.server_session, "audio", None), "input", None)
            if self.server_session is not None and getattr(audio_in, "transcription", None) in (None, UNSET):
                raise ConfigurationError(
                    "input transcription is off: update_session(audio={'input': {'transcription': "
                    "{'model': 'gpt-4o-mini-transcribe'}}}) first"
                )
        return await self._input_transcripts.wait(item_id, content_index, timeout)

    def responses(self) -> AsyncIterator[ResponseHandle]:
        """``async for handle in session.responses()``: a handle for every response, whoever started it.

        Yields each response's ``ResponseHandle`` as its ``response.created`` arrives: those the server
        starts (server VAD, ``push_to_talk``, a commit), those ``create_response`` asks for, the SDK's tool
        follow-ups.  ``handle.started_by_server`` tells them apart.  Responses that start while no
        iteration is running are not kept for a later one.  An interrupted response ends with
        ``done()`` reporting ``cancelled`` (or ``incomplete``).  Ends with the error that ended the
        session (``ConnectionClosed``), like ``async for event in session``.
        """
        return self._response_stream.__aiter__()

    def on_response(self, callback: Callable[[ResponseHandle], object]) -> Callable[[ResponseHandle], object]:
        """Call ``callback(handle)`` for every new response (sync, or async: run as a task); a decorator."""
        self._response_callbacks.append(callback)
        return callback

    def add_observer(self, observer: Callable[[AnyServerEvent], None]) -> None:
        """Feed every decoded event, first and in order, to ``observer`` (conversation state, recorders)."""
        self._observers.add(observer)
