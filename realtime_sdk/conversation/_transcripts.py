"""Words: the user's input transcription (matched to its item whatever the order), the assistant's text
and audio transcripts."""

from __future__ import annotations

import msgspec

from .._generated import (
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemInputAudioTranscriptionFailed,
    ResponseContentPartAdded,
    ResponseContentPartDone,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputAudioTranscriptDone,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
)
from ._state import (
    MAX_CONTENT_INDEX,
    InputTranscript,
    Item,
    as_str,
)
from ._store import ConversationStore
from ._text import append


class TranscriptsMixin(ConversationStore):
    def _input_transcript(self, item_id: object, index: object) -> tuple[InputTranscript, Item | None] | None:
        if not isinstance(item_id, str) or item_id in self._deleted:
            return None
        index = index if isinstance(index, int) and not isinstance(index, bool) else 0
        if not 0 <= index <= MAX_CONTENT_INDEX:
            return None
        key = (item_id, index)
        known = self.input_transcripts.get(key)
        if known is None:
            known = self.input_transcripts[key] = InputTranscript()
        return known, self._items.get(item_id)

    def _on_transcription_delta(
        self, event: ConversationItemInputAudioTranscriptionDelta, now: float
    ) -> None:
        found = self._input_transcript(event.item_id, event.content_index)
        delta = as_str(event.delta)
        if found is None or not delta or found[0].transcript is not None:
            return
        append(found[0], "deltas", delta)
        if found[1] is not None:
            self._apply_input_transcripts(found[1])

    def _on_transcription_completed(
        self, event: ConversationItemInputAudioTranscriptionCompleted, now: float
    ) -> None:
        found = self._input_transcript(event.item_id, event.content_index)
        if found is None:
            return
        found[0].transcript = as_str(event.transcript) or ""
        found[0].error = None
        if found[1] is not None:
            for part in found[1].content:
                part.transcription_error = None
            self._apply_input_transcripts(found[1])

    def _on_transcription_failed(
        self, event: ConversationItemInputAudioTranscriptionFailed, now: float
    ) -> None:
        found = self._input_transcript(event.item_id, event.content_index)
        if found is None or found[0].transcript is not None:
            return
        error = event.error
        found[0].error = (
            as_str(getattr(error, "message", None)) or as_str(getattr(error, "code", None)) or "failed"
        )
        if found[1] is not None:
            self._apply_input_transcripts(found[1])

    def _on_content_part(self, event: ResponseContentPartAdded | ResponseContentPartDone, now: float) -> None:
        self._audio_part(event)
        part = self._part(event.item_id, event.content_index)
        if part is None:
            return
        wire = event.part
        if isinstance(wire, msgspec.Struct):
            part.type = as_str(wire.type) or part.type
            text = as_str(wire.text)
            if text:
                part.text = text
            transcript = as_str(wire.transcript)
            if transcript and part.truncated_ms is None and part.heard:
                part.transcript = transcript
        if isinstance(event, ResponseContentPartDone):
            part.audio_done = True

    def _on_text_delta(self, event: ResponseOutputTextDelta, now: float) -> None:
        response, part = self._audio_part(event)
        if part is None:
            return
        if part.type is None:
            part.type = "output_text"
        delta = event.delta
        append(part, "text", delta if type(delta) is str else "")
        if response is not None and response.first_text_at is None:
            response.first_text_at = now

    def _on_text_done(self, event: ResponseOutputTextDone, now: float) -> None:
        _, part = self._audio_part(event)
        if part is not None and isinstance(event.text, str):
            part.text = event.text

    def _on_transcript_delta(self, event: ResponseOutputAudioTranscriptDelta, now: float) -> None:
        _, part = self._audio_part(event)
        if part is None or part.truncated_ms is not None or not part.heard:
            return
        if part.type is None:
            part.type = "output_audio"
        append(part, "transcript", as_str(event.delta) or "")

    def _on_transcript_done(self, event: ResponseOutputAudioTranscriptDone, now: float) -> None:
        _, part = self._audio_part(event)
        if part is None or part.truncated_ms is not None or not part.heard:
            return
        if isinstance(event.transcript, str):
            part.transcript = event.transcript
