"""Waiting for a user item's input transcription: ``session.input_transcript(item_id)``.

Theory of operation
-------------------
The transcription of a committed user audio item arrives as
``conversation.item.input_audio_transcription.completed`` (or ``.failed``) whenever the transcriber is
done: before the reply, during it, or long after.  :class:`InputTranscripts` is an observer (like the
conversation, it sees every event first and in order) that keeps each outcome by (item id, content index),
so a wait that starts after the outcome arrived returns at once, and a wait that starts before it is
resolved by the event itself; there is no moment in between where an event could be missed.

As in the conversation state, ``completed`` wins: a ``failed`` after it is ignored, a ``completed`` after
a ``failed`` replaces it for later waits.  When a connection ends, every wait fails with its
``ConnectionClosed`` (a transcription in progress on a lost connection never arrives, even when a
reconnect follows).
"""

from __future__ import annotations

import asyncio

from .._generated import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionFailed,
)
from ..errors import RequestTimeoutError, TranscriptionFailedError
from ..events import AnyServerEvent

__all__ = ["InputTranscripts"]

_Key = tuple[str, int]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


class InputTranscripts:
    def __init__(self) -> None:
        self._outcomes: dict[_Key, str | ConversationItemInputAudioTranscriptionFailed] = {}
        self._waiting: dict[_Key, list[asyncio.Future[str]]] = {}

    def known(self, item_id: str, content_index: int = 0) -> bool:
        """Whether the transcription of that part has completed or failed already."""
        return (item_id, content_index) in self._outcomes

    WANTS = (
        "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.failed",
    )
    """The event types ``observe`` reads."""

    def observe(self, event: AnyServerEvent) -> None:
        if isinstance(event, ConversationItemInputAudioTranscriptionCompleted):
            key = (event.item_id, event.content_index)
            self._outcomes[key] = event.transcript
        elif isinstance(event, ConversationItemInputAudioTranscriptionFailed):
            key = (event.item_id, event.content_index)
            if isinstance(self._outcomes.get(key), str):
                return  # completed already: that stands
            self._outcomes[key] = event
        else:
            return
        for future in self._waiting.pop(key, ()):
            outcome = self._outcomes[key]
            self._settle(future, outcome if isinstance(outcome, str) else _failure(outcome))

    async def wait(self, item_id: str, content_index: int, limit: float | None) -> str:
        key = (item_id, content_index)
        outcome = self._outcomes.get(key)
        if outcome is None:
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(key, []).append(future)
            try:
                async with asyncio.timeout(limit):
                    return await asyncio.shield(future)
            except TimeoutError:
                raise RequestTimeoutError(
                    f"no input transcription of item {item_id} within {limit} s"
                ) from None
            finally:
                waiting = self._waiting.get(key)
                if waiting is not None and future in waiting:
                    waiting.remove(future)
                    if not waiting:
                        del self._waiting[key]
        if not isinstance(outcome, str):
            raise _failure(outcome)
        return outcome

    def fail_all(self, exc: BaseException) -> None:
        """The connection ended: every wait raises ``exc``."""
        waiting, self._waiting = self._waiting, {}
        for futures in waiting.values():
            for future in futures:
                self._settle(future, exc)

    @staticmethod
    def _settle(future: asyncio.Future[str], outcome: str | BaseException) -> None:
        if future.done():
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
            future.exception()  # its waiter may have gone (cancelled) in the same instant
        else:
            future.set_result(outcome)


def _failure(event: ConversationItemInputAudioTranscriptionFailed) -> TranscriptionFailedError:
    error = event.error
    return TranscriptionFailedError(
        _str(error.message) or "input transcription failed",
        item_id=event.item_id,
        content_index=event.content_index,
        code=_str(error.code),
        type=_str(error.type),
        param=_str(error.param),
    )
