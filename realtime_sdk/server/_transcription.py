"""Input audio transcription: every committed user audio item is transcribed.

The transcript is always made (the model's reply may depend on what the user said); the
``conversation.item.input_audio_transcription.*`` events are sent only when the session configures
transcription: word deltas (not for ``whisper-1``, which sends only the result), then ``completed`` with
usage in whole seconds, or ``failed`` when the transcriber raised or a failure was injected.

When the events go out follows the recordings, without a clock: a turn answered by an automatic
response gets its transcript events once that response streams (after its first output delta), so the
transcript arrives while the reply is already playing, never before it starts; a turn nobody answers (a
manual commit, ``create_response: false``, a transcription session) gets them as soon as the text is made.
A response that needs a transcript still being made waits for the text, not for the events.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from typing import Any, Protocol

import msgspec

from .._generated import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemInputAudioTranscriptionFailed,
    ConversationItemInputAudioTranscriptionFailedError,
    RealtimeConversationItem,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    TranscriptTextUsageDuration,
)
from .._struct import Struct
from ._codec import pcm24_ms
from ._conversation import Conversation
from ._ids import new_id

_WORDS = re.compile(r"\s*\S+")


class TranscriptionHost(Protocol):
    conversation: Conversation

    def emit(self, event: Struct) -> None: ...

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]: ...

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str: ...


class TranscriptionFailure(Exception):
    """Raised by a transcriber (or injected) to make a turn's transcription fail with this code."""

    def __init__(self, message: str = "Audio could not be transcribed.", code: str = "transcription_failed"):
        super().__init__(message)
        self.message = message
        self.code = code


class InputTranscription:
    def __init__(self, host: TranscriptionHost) -> None:
        self.host = host
        self._texts: dict[str, asyncio.Future[str]] = {}
        self.failures: list[TranscriptionFailure] = []
        """Injected failures: each committed turn takes the first one, if any, instead of a transcript."""

    def start(
        self, pcm24: bytes, item_id: str, config: dict[str, Any] | None, release: asyncio.Event
    ) -> None:
        """Transcribe a committed item (``config``: the transcription settings, or None for no events);
        the events wait for ``release``."""
        self._texts[item_id] = asyncio.get_running_loop().create_future()
        failure = self.failures.pop(0) if self.failures else None
        self.host.spawn(self._transcribe(pcm24, item_id, config, release, failure))

    async def for_items(self, items: list[RealtimeConversationItem]) -> dict[str, str]:
        """The transcripts of those ``items`` that are user audio, waiting for any still being made."""
        out: dict[str, str] = {}
        for item in items:
            if isinstance(item.id, str) and item.id in self._texts:
                out[item.id] = await asyncio.shield(self._texts[item.id])
        return out

    async def _transcribe(
        self,
        pcm24: bytes,
        item_id: str,
        config: dict[str, Any] | None,
        release: asyncio.Event,
        failure: TranscriptionFailure | None,
    ) -> None:
        host = self.host
        text = ""
        try:
            if failure is not None:
                raise failure
            text = await host.transcribe(pcm24, item_id)
        except TranscriptionFailure as exc:
            failure = exc
        finally:
            self._texts[item_id].set_result(text)
        host.conversation.transcripts[item_id] = text
        if config is None:
            return
        await release.wait()
        if failure is not None:
            host.emit(
                ConversationItemInputAudioTranscriptionFailed(
                    event_id=new_id("event"),
                    item_id=item_id,
                    content_index=0,
                    error=ConversationItemInputAudioTranscriptionFailedError(
                        type="transcription_error", code=failure.code, message=failure.message, param=None
                    ),
                )
            )
            return
        if config.get("model") != "whisper-1":
            for word in _WORDS.findall(text):
                host.emit(
                    ConversationItemInputAudioTranscriptionDelta(
                        event_id=new_id("event"), item_id=item_id, content_index=0, delta=word
                    )
                )
        host.emit(
            ConversationItemInputAudioTranscriptionCompleted(
                event_id=new_id("event"),
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage=TranscriptTextUsageDuration(seconds=float(max(1, round(pcm24_ms(pcm24) / 1000)))),
            )
        )
        item = host.conversation.get(item_id)
        if isinstance(item, RealtimeConversationItemMessage):
            content = [RealtimeConversationItemMessageContentItem(type="input_audio", transcript=text)]
            host.conversation.items[host.conversation.items.index(item)] = msgspec.structs.replace(
                item, content=content
            )
