"""What a transcription-only session knows about each user item's transcript; no I/O.

Theory of operation
-------------------
A transcription session (``session.type = "transcription"``) never answers: the server cuts the input
audio into user items (server VAD, or the client's ``input_audio_buffer.commit``) and transcribes each.
The events that name an item, in the order the real service sends them:

- ``input_audio_buffer.speech_started`` / ``.speech_stopped`` (server VAD only): where the item's speech
  starts and ends on the input buffer's clock (``audio_start_ms`` / ``audio_end_ms``);
- ``input_audio_buffer.committed``: the item exists (with VAD, after ``speech_stopped``);
- ``conversation.item.input_audio_transcription.delta`` (not for every model): words so far, with
  log probabilities when the session asked for them;
- ``...completed`` (the whole text, authoritative) or ``...failed``.

Deltas may arrive while the user is still speaking, before the commit.  :class:`TranscriptBook.observe`
turns each event into the :class:`Transcript` update it makes (or none), so the stream the app reads
holds one update per delta and one final update per item.  A ``completed`` ends an item; anything about
it afterwards is ignored (a ``failed`` after ``completed`` changes nothing; a ``completed`` after a
``failed`` is the better news and is passed on).

When a connection is lost, the server forgets every item it had not transcribed yet.  The session
sends the audio of such an item again on the next connection when it still has it (``recovering``
starts the item's text over; ``alias`` makes the new connection's item id update the same
``Transcript``, so the app sees one item id throughout).  ``connection_lost`` ends the others with a
typed failure (code ``connection_lost``) so that no app waits for them; audio that was sent but not
committed is gone with the connection.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from .._generated import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemInputAudioTranscriptionFailed,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    LogProbProperties,
)
from ..errors import RequestTimeoutError, TranscriptionFailedError
from ..events import AnyServerEvent

__all__ = ["LOST_CODE", "Transcript", "TranscriptBook"]

LOST_CODE = "connection_lost"
"""``TranscriptionFailedError.code`` of an item whose transcript was lost with its connection."""


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Transcript:
    """One user item's transcript as it grows: ``text`` so far, the ``delta`` that just arrived."""

    item_id: str
    """The user item the server made of the audio (``input_audio_buffer.committed``)."""
    text: str
    """Everything transcribed so far; when ``final``, the whole transcript as the server completed it."""
    delta: str
    """What this update added (empty for a final update that only confirms the text)."""
    final: bool
    """No more updates follow for this item (completed, or failed: see ``error``)."""
    logprobs: list[LogProbProperties] | None = None
    """Log probabilities of the tokens so far, when the session asked for them (``include_logprobs``)."""
    audio_start_ms: int | None = None
    """Where the item's speech starts on the input audio clock (server VAD's ``speech_started``)."""
    audio_end_ms: int | None = None
    """Where it ends (``speech_stopped``); ``None`` for a committed buffer with no speech events."""
    error: TranscriptionFailedError | None = None
    """Set on a final update when transcription failed (``code == "connection_lost"``: the connection
    was lost before the server transcribed this item)."""
    committed: bool = False
    """The server has made an item of this audio (``input_audio_buffer.committed``)."""


class TranscriptBook:
    """Every item's latest :class:`Transcript`, and the waits for final ones."""

    def __init__(self) -> None:
        self._items: dict[str, Transcript] = {}
        self._waiting: dict[str, list[asyncio.Future[Transcript]]] = {}
        self._aliases: dict[str, str] = {}

    def resolve(self, wire_id: str) -> str:
        """The app's item id for an item id on the wire (they differ for audio sent again)."""
        return self._aliases.get(wire_id, wire_id)

    def alias(self, wire_id: str, item_id: str) -> None:
        """Events naming ``wire_id`` update ``item_id``'s transcript."""
        self._aliases[wire_id] = item_id

    def recovering(self, item_id: str) -> None:
        """The item's audio is being sent again: its transcript starts over."""
        current = self._current(item_id)
        if not current.final:
            self._set(replace(current, text="", delta="", logprobs=None))

    def get(self, item_id: str) -> Transcript | None:
        return self._items.get(item_id)

    def observe(self, event: AnyServerEvent) -> Transcript | None:
        """The update ``event`` makes to an item's transcript, if it makes one for the app to see."""
        if isinstance(event, InputAudioBufferSpeechStarted):
            self._change(self.resolve(event.item_id), audio_start_ms=event.audio_start_ms)
        elif isinstance(event, InputAudioBufferSpeechStopped):
            self._change(self.resolve(event.item_id), audio_end_ms=event.audio_end_ms)
        elif isinstance(event, InputAudioBufferCommitted):
            self._change(self.resolve(event.item_id), committed=True)
        elif isinstance(event, ConversationItemInputAudioTranscriptionDelta):
            current = self._current(self.resolve(event.item_id))
            delta = _str(event.delta) or ""
            if current.final or not delta:
                return None
            logprobs = current.logprobs
            if isinstance(event.logprobs, list):
                logprobs = [*(logprobs or []), *event.logprobs]
            return self._set(replace(current, text=current.text + delta, delta=delta, logprobs=logprobs))
        elif isinstance(event, ConversationItemInputAudioTranscriptionCompleted):
            current = self._current(self.resolve(event.item_id))
            if current.final and current.error is None:
                return None
            logprobs = event.logprobs if isinstance(event.logprobs, list) else current.logprobs
            text = event.transcript
            delta = text[len(current.text) :] if text.startswith(current.text) else ""
            update = replace(current, text=text, delta=delta, final=True, logprobs=logprobs, error=None)
            return self._finish(update)
        elif isinstance(event, ConversationItemInputAudioTranscriptionFailed):
            current = self._current(self.resolve(event.item_id))
            if current.final:
                return None
            error = event.error
            failure = TranscriptionFailedError(
                _str(error.message) or "input transcription failed",
                item_id=current.item_id,
                content_index=event.content_index,
                code=_str(error.code),
                type=_str(error.type),
                param=_str(error.param),
            )
            return self._finish(replace(current, delta="", final=True, error=failure))
        return None

    def connection_lost(self, recovering: frozenset[str] = frozenset()) -> list[Transcript]:
        """The connection is gone: every committed item not transcribed yet, unless its audio is being
        sent again (``recovering``), fails (``connection_lost``).  Items that were only being spoken
        (never committed) are dropped: the server has no item for them."""
        ended: list[Transcript] = []
        for item_id, current in list(self._items.items()):
            if current.final or item_id in recovering:
                continue
            if not current.committed:
                del self._items[item_id]
                continue
            failure = TranscriptionFailedError(
                "the connection was lost before this audio was transcribed",
                item_id=item_id,
                code=LOST_CODE,
            )
            ended.append(self._finish(replace(current, delta="", final=True, error=failure)))
        return ended

    def fail(self, item_id: str, failure: TranscriptionFailedError) -> Transcript | None:
        """End an item with ``failure`` (unless it is final already); the final update, if any."""
        current = self._current(item_id)
        if current.final:
            return None
        return self._finish(replace(current, delta="", final=True, error=failure))

    async def wait(self, item_id: str, limit: float | None) -> Transcript:
        """The item's final transcript; raises its ``TranscriptionFailedError`` when it failed."""
        current = self._items.get(item_id)
        if current is None or not current.final:
            future: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
            self._waiting.setdefault(item_id, []).append(future)
            try:
                async with asyncio.timeout(limit):
                    current = await asyncio.shield(future)
            except TimeoutError:
                raise RequestTimeoutError(f"no transcript of item {item_id} within {limit} s") from None
            finally:
                waiting = self._waiting.get(item_id)
                if waiting is not None and future in waiting:
                    waiting.remove(future)
                    if not waiting:
                        del self._waiting[item_id]
        if current.error is not None:
            raise current.error
        return current

    def fail_all(self, exc: BaseException) -> None:
        """The session ended: every wait raises ``exc``."""
        waiting, self._waiting = self._waiting, {}
        for futures in waiting.values():
            for future in futures:
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # its waiter may be gone (cancelled) in the same instant

    # -- internals -----------------------------------------------------------------------------------

    def _current(self, item_id: str) -> Transcript:
        current = self._items.get(item_id)
        if current is None:
            current = self._items[item_id] = Transcript(item_id=item_id, text="", delta="", final=False)
        return current

    def _change(self, item_id: str, **fields: object) -> None:
        self._set(replace(self._current(item_id), **fields))  # type: ignore[arg-type]

    def _set(self, update: Transcript) -> Transcript:
        self._items[update.item_id] = update
        return update

    def _finish(self, update: Transcript) -> Transcript:
        self._set(update)
        for future in self._waiting.pop(update.item_id, ()):
            if not future.done():
                future.set_result(update)
        return update
