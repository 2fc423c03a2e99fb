"""Input audio transcription: every committed user audio item is transcribed by the model.

The transcript is always made (the model's reply may depend on what the user said); the
``conversation.item.input_audio_transcription.*`` events are sent only when the session configures
transcription: word deltas (not for ``whisper-1``, which sends only the result), then ``completed`` with
usage in whole seconds.  As on the real service, the transcript arrives after the turn's response has
started, and the item's content is then updated with it.  A response that needs a transcript still being
made waits for it.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import msgspec

from .._generated import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    RealtimeConversationItem,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    TranscriptTextUsageDuration,
)
from ._codec import pcm24_ms
from ._ids import new_id

if TYPE_CHECKING:
    from ._protocol import Protocol

_WORDS = re.compile(r"\s*\S+")


class Transcriber:
    def __init__(self, proto: Protocol) -> None:
        self.proto = proto
        self._running: dict[str, asyncio.Task[str]] = {}

    def start(self, pcm24: bytes, item_id: str, config: dict[str, Any] | None) -> None:
        """Transcribe a committed item (``config``: the session's transcription settings, or None)."""
        self._running[item_id] = self.proto.spawn(self._transcribe(pcm24, item_id, config))

    async def for_items(self, items: list[RealtimeConversationItem]) -> dict[str, str]:
        """The transcripts of those ``items`` that are user audio, waiting for any still being made."""
        out: dict[str, str] = {}
        for item in items:
            if isinstance(item.id, str) and item.id in self._running:
                out[item.id] = await asyncio.shield(self._running[item.id])
        return out

    async def _transcribe(self, pcm24: bytes, item_id: str, config: dict[str, Any] | None) -> str:
        proto = self.proto
        text = await proto.model.transcribe(pcm24, item_id)
        proto.conversation.transcripts[item_id] = text
        if config is None:
            return text
        await asyncio.sleep(0)  # let the turn's response start first, as on the real service
        if config.get("model") != "whisper-1":
            for word in _WORDS.findall(text):
                proto.emit(
                    ConversationItemInputAudioTranscriptionDelta(
                        event_id=new_id("event"), item_id=item_id, content_index=0, delta=word
                    )
                )
        proto.emit(
            ConversationItemInputAudioTranscriptionCompleted(
                event_id=new_id("event"),
                item_id=item_id,
                content_index=0,
                transcript=text,
                usage=TranscriptTextUsageDuration(seconds=float(max(1, round(pcm24_ms(pcm24) / 1000)))),
            )
        )
        item = proto.conversation.get(item_id)
        if isinstance(item, RealtimeConversationItemMessage):
            content = [RealtimeConversationItemMessageContentItem(type="input_audio", transcript=text)]
            proto.conversation.items[proto.conversation.items.index(item)] = msgspec.structs.replace(
                item, content=content
            )
        return text
