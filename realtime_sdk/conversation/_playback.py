"""Audio received and played, and interruption: what to truncate, delete or cancel."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from .._generated import (
    ClientEvent,
    ConversationItemDelete,
    ConversationItemTruncate,
    ConversationItemTruncated,
    ResponseCancel,
    ResponseOutputAudioDelta,
    ResponseOutputAudioDone,
)
from ._state import (
    AUDIO_PART_TYPES,
    ContentPart,
    Item,
)
from ._store import ConversationStore
from ._text import unshare

END_MARGIN_MS: Final = 100.0
"""An item whose audio is complete counts as fully played when at most this much of its end went unheard.

The server checks ``audio_end_ms`` against its own length of the item's audio, and users of other clients
have seen that length come out shorter than the audio they received (by about 85 ms in a Pipecat report),
earning "Audio content of N ms is already shorter than M ms".  Within this margin of the end nothing is
truncated: the last tenth of a second, usually the trailing silence, stays in the context, and no truncate
can go past the server's end.  A part still streaming has no such risk (the server generated at least what
it sent) and is cut exactly at what was heard."""


class PlaybackMixin(ConversationStore):
    def mark_played(self, item_id: str, ms: float, content_index: int = 0) -> None:
        """The app's player is at ``ms`` into this part's audio (a position, not an increment).

        Players play in order, so every audio part that arrived before this one counts as fully played.
        """
        key = (item_id, content_index)
        part = self._part(item_id, content_index, create=False)
        if part is None or not math.isfinite(ms) or key not in self._playback:
            return
        self._reported = True
        for earlier in self._playback[: self._playback.index(key)]:
            done = self._part(*earlier, create=False)
            if done is not None and not done.settled:
                done.played_ms = done.audio_ms
        part.played_ms = max(0.0, float(ms))

    def mark_played_bytes(self, nbytes: int) -> None:
        """The app's player consumed ``nbytes`` more bytes of wire audio, in the order it arrived."""
        self._reported = True
        remaining = max(0, nbytes)
        for key in self._playback:
            if remaining <= 0:
                break
            part = self._part(*key, create=False)
            if part is None or part.settled:
                continue
            # a reported position past the received audio (however large) is its end
            played_bytes = round(min(part.played_ms or 0.0, part.audio_ms) * part.bytes_per_ms)
            take = min(part.audio_bytes - played_bytes, remaining)
            if take > 0:
                part.played_ms = (played_bytes + take) / part.bytes_per_ms
                remaining -= take

    def heard_ms(self, item_id: str, content_index: int = 0, now: float | None = None) -> float:
        """How much of a part's audio the user has heard, as far as this conversation can tell."""
        t = self._clock() if now is None else now
        return self._positions(t).get((item_id, content_index), 0.0)

    def interrupt(
        self,
        played_ms: Mapping[str, float] | None = None,
        *,
        cancel: bool | None = None,
        now: float | None = None,
    ) -> list[ClientEvent]:
        """Stop the assistant where the user stopped hearing it; return the client events to send.

        ``played_ms`` maps item ids to positions heard (content index 0), as :meth:`mark_played`.
        ``cancel``: ``None`` decides (cancel the active response unless the server VAD cancels it
        itself), ``True``/``False`` force it. The events come in the order to send them: the cancel
        first, then truncates and deletes. Calling it again sends nothing new for what was handled.
        """
        t = self._clock() if now is None else now
        for item_id, ms in sorted((played_ms or {}).items(), key=lambda kv: self._queue_position(kv[0])):
            self.mark_played(item_id, ms)
        events: list[ClientEvent] = []
        active = self.active_response
        if active is not None:
            active.interrupted = True
            if cancel is None:
                cancel = not active.cancelled_by_server
            if cancel and not active.cancel_sent:
                active.cancel_sent = True
                events.append(ResponseCancel(response_id=active.id))
        positions = self._positions(t)
        playing_found = False
        for key in self._playback:
            item = self._items.get(key[0])
            part = item.part(key[1]) if item else None
            if item is None or part is None or part.settled or not part.has_audio:
                continue
            if playing_found:
                events.extend(self._drop_unheard(item, part))
                continue
            heard = positions.get(key, 0.0)
            received = part.audio_ms
            if part.audio_done and heard >= received - END_MARGIN_MS:
                continue  # played to (within END_MARGIN_MS of) the end: nothing to cut
            playing_found = True
            end_ms = math.floor(min(heard, received))
            if end_ms < 1:
                events.extend(self._drop_unheard(item, part))
                continue
            part.truncated_ms = end_ms
            self._cut_transcript(part, end_ms)
            if item.placed:  # out-of-band output is in no conversation: there is nothing to truncate
                events.append(
                    ConversationItemTruncate(item_id=item.id, content_index=key[1], audio_end_ms=end_ms)
                )
        if active is not None:
            # Audio parts of the interrupted response with no audio yet: never heard either.
            for item_id in active.output_item_ids:
                unheard_item = self._items.get(item_id)
                for part in unheard_item.content if unheard_item else []:
                    if part.type in AUDIO_PART_TYPES and not part.has_audio and not part.settled:
                        part.heard = False
                        part.transcript = ""
        return events

    def _forget_playback(self) -> None:
        """A new connection (``session.created`` of another session) holds past items as restored text,
        without audio: nothing of them can be truncated any more, so the playback queue starts afresh."""
        self._playback.clear()
        self._reported = False

    def _queue_position(self, item_id: str) -> int:
        key = (item_id, 0)
        return self._playback.index(key) if key in self._playback else len(self._playback)

    def _positions(self, now: float) -> dict[tuple[str, int], float]:
        """Heard ms per audio part. Reported positions when the app reports any; else a virtual player
        that starts each part at its first delta or when the part before it ends, whichever is later."""
        positions: dict[tuple[str, int], float] = {}
        free_at = -math.inf
        for key in self._playback:
            part = self._part(*key, create=False)
            if part is None:
                continue
            if self._reported:
                heard = part.played_ms or 0.0
            else:
                start = max(free_at, part.first_audio_at if part.first_audio_at is not None else now)
                free_at = start + part.audio_ms / 1000.0
                heard = (now - start) * 1000.0
            positions[key] = max(0.0, min(heard, part.audio_ms))
        return positions

    def _drop_unheard(self, item: Item, part: ContentPart) -> list[ClientEvent]:
        part.heard = False
        part.transcript = ""
        if self.unheard != "delete" or not item.placed or item.delete_sent:
            return []
        if any(p.truncated_ms is not None for p in item.content):
            return []
        item.delete_sent = True
        return [ConversationItemDelete(item_id=item.id)]

    @staticmethod
    def _cut_transcript(part: ContentPart, end_ms: int) -> None:
        unshare(part, "transcript")  # a truncated part no longer follows its input transcription
        received = part.audio_ms
        if part.transcript is None or received <= 0:
            return
        if end_ms >= received:
            return
        keep = int(len(part.transcript) * end_ms / received)
        cut = part.transcript[:keep]
        if keep < len(part.transcript) and not part.transcript[keep].isspace():
            space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
            cut = cut[:space] if space >= 0 else ""
        part.transcript = cut.rstrip()

    def _on_item_truncated(self, event: ConversationItemTruncated, now: float) -> None:
        part = self._part(event.item_id, event.content_index, create=False)
        if part is None:
            return
        end_ms = max(0, event.audio_end_ms)
        if part.truncated_ms is None or part.truncated_ms > end_ms:
            self._cut_transcript(part, end_ms)
        part.truncated_ms = end_ms
        part.truncate_confirmed = True

    def _on_audio_delta(self, event: ResponseOutputAudioDelta, now: float) -> None:
        response, part = self._audio_part(event)
        if part is None:
            return
        if part.type is None:
            part.type = "output_audio"
        delta = event.delta
        size = len(delta) if isinstance(delta, bytes | bytearray) else 0
        if part.audio_bytes == 0 and size > 0:
            part.first_audio_at = now
            part.bytes_per_ms = (response.bytes_per_ms if response else None) or self.bytes_per_ms
            key = (event.item_id, event.content_index)
            if key not in self._playback:
                self._playback.append(key)
            if response is not None and response.interrupted:
                part.heard = False  # arrived after the interruption: never played
                part.transcript = ""
        part.audio_bytes += size
        if response is not None and response.first_audio_at is None:
            response.first_audio_at = now

    def _on_audio_done(self, event: ResponseOutputAudioDone, now: float) -> None:
        _, part = self._audio_part(event)
        if part is not None:
            part.audio_done = True
