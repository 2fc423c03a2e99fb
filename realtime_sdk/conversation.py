"""Conversation state, without I/O: feed it every server event; ask it what to send.

Theory of operation
-------------------
One :class:`Conversation` mirrors one Realtime conversation as the client sees it. The edge (the
session) calls :meth:`Conversation.receive` with every decoded server event, in arrival order, and the
app reports what it has *played*. Nothing here reads a socket, sleeps or spawns tasks; methods that
need the server to do something (:meth:`~Conversation.interrupt`, :meth:`~Conversation.restore_events`)
*return* the client events to send and the edge sends them, in the order given.

``receive`` never raises on a server event, whatever its order, repetition or content: unknown events
(:class:`~realtime_sdk.events.UnknownServerEvent`) and events about things it has never heard of are
ignored or remembered for later. The rules it follows:

Items and their order
    ``conversation.item.added`` / ``.created`` / ``.done`` / ``.retrieved`` and
    ``input_audio_buffer.committed`` *place* an item in the conversation. The first placement puts it
    right after ``previous_item_id`` (``null`` means "first"; an id we do not know means "at the end").
    Later events about a placed item update its fields but never move it: real traffic sends
    ``conversation.item.done`` with ``previous_item_id: null`` for items that are not first.
    ``response.output_item.*`` and delta events make an item *known* (its audio, text and transcript
    are tracked) without placing it, because out-of-band responses (``conversation: "none"``) produce
    items that never enter the conversation. ``conversation.item.deleted`` removes an item for good: later
    events about a deleted id are ignored.

Content
    Each item holds a list of :class:`ContentPart` by ``content_index`` (indexes above 63 are
    ignored as garbage). Text and transcripts grow with their deltas and are replaced by their ``done``
    events; a non-null text or transcript in an item snapshot (``item.done``, ``output_item.done``,
    ``response.done``) also replaces them. A part that was truncated keeps the cut transcript: nothing
    the server sends afterwards brings the unheard words back.

User transcripts
    ``conversation.item.input_audio_transcription.delta`` / ``.completed`` / ``.failed`` may come before
    the item is known (before ``committed``) or long after the reply. They are kept per item id and
    content index in one place (:attr:`Conversation.input_transcripts`) and joined to the item whenever
    both exist. ``completed`` wins over deltas; deltas after ``completed`` are ignored; ``failed`` sets
    the part's ``transcription_error``.

Audio received
    Every ``response.output_audio.delta`` adds its decoded bytes to its (item, content index) part. Bytes
    become milliseconds with the format in force when the part's first delta arrived: the response's
    ``audio.output.format`` from ``response.created`` if it has one, else the session's (from
    ``session.created`` / ``session.updated``), else ``audio/pcm`` at 24 kHz. PCM16 is
    ``rate * 2 / 1000`` bytes per ms (48 at 24 kHz); G.711 (``audio/pcmu``, ``audio/pcma``) is 8.

Playback and interruption (see :meth:`Conversation.interrupt`)
    The app reports playback with :meth:`~Conversation.mark_played` (item and position in ms) or
    :meth:`~Conversation.mark_played_bytes` (bytes its player consumed, in arrival order across items).
    A part never reported falls back to the clock: heard = now - time of its first delta.
    ``interrupt()`` walks the audio parts in arrival order, skips the ones fully played, and for the
    first one still playing sends ``conversation.item.truncate`` with ``audio_end_ms = floor(heard)``,
    clamped to ``[0, floor(received ms)]``. When less than 1 ms was heard it sends no truncate (the
    API rejects truncating an item that has no audio yet, "Only model output audio messages can be
    truncated", and an item nobody heard should not stay in the model's context): with
    ``unheard="delete"`` (the default) it sends ``conversation.item.delete`` if the item is placed in
    the conversation; with ``"keep"`` it sends nothing. Audio parts after the playing one were never
    heard: they are marked so and deleted the same way. A part counts as fully played when its audio is
    complete (``output_audio.done``, item or response done) and heard >= received - 1 ms; then nothing
    is sent for it. ``response.cancel`` (with the response id) is sent first when a response is still
    in progress, unless the server already cancels it itself: ``speech_started`` arrived during that
    response while server/semantic VAD has ``interrupt_response`` on (the API default).
    The local transcript is cut at once to the proportion of audio heard, rounded down to a word
    boundary (``heard / received * len(transcript)`` characters, then back to the last whitespace);
    ``conversation.item.truncated`` confirms it (and cuts the same way if the truncate came from
    elsewhere).

Responses
    Kept by id with status, output item ids, usage and timing. Usage totals (:attr:`usage`) are the sum
    of the usages of the ``response.done`` events, one per response id (a repeated ``response.done``
    replaces, never adds). Latency: the first of ``speech_stopped``, ``committed`` or
    :meth:`~Conversation.mark_turn_end` since the last ``response.created`` is the response's start
    (else its ``response.created``); ``latency`` runs to the first audio or text delta, ``duration`` to
    ``response.done``. Times come from the ``now`` argument or the injected clock.

Function calls
    ``function_call`` items carry name, call id and arguments (deltas, then done). A call is *pending*
    while its arguments are complete and no ``function_call_output`` with its call id is known.

History and restore
    :func:`history_events` turns items (local :class:`Item`, generated item structs or plain dicts) into
    ``conversation.item.create`` events: messages as text (past audio becomes its transcript, as far as
    it was heard), function calls and their outputs. :meth:`Conversation.restore_events` does it for
    the placed items of this conversation, keeping their ids so the server-side conversation after a
    reconnect has the same items in the same order.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import msgspec
from msgspec import UNSET

from ._generated import (
    ClientEvent,
    ConversationCreated,
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemDelete,
    ConversationItemDeleted,
    ConversationItemDone,
    ConversationItemInputAudioTranscriptionCompleted,
    ConversationItemInputAudioTranscriptionDelta,
    ConversationItemInputAudioTranscriptionFailed,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    Error,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    RateLimitsUpdated,
    RateLimitsUpdatedRateLimitsItem,
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
    RealtimeResponse,
    RealtimeResponseUsage,
    RealtimeSessionCreateResponseGA,
    ResponseCancel,
    ResponseContentPartAdded,
    ResponseContentPartDone,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputAudioDelta,
    ResponseOutputAudioDone,
    ResponseOutputAudioTranscriptDelta,
    ResponseOutputAudioTranscriptDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
    ResponseOutputTextDelta,
    ResponseOutputTextDone,
    ServerEvent,
    SessionCreated,
    SessionUpdated,
)
from .events import UnknownServerEvent

__all__ = [
    "ContentPart",
    "Conversation",
    "HistoryItem",
    "InputTranscript",
    "Item",
    "Response",
    "Usage",
    "history_events",
]

MAX_CONTENT_INDEX = 63
"""Content indexes above this are treated as garbage and ignored (no real item has that many parts)."""

_PCM_BYTES_PER_MS = 48.0  # audio/pcm, 24 kHz, 16-bit mono: the API's only PCM rate today
_G711_BYTES_PER_MS = 8.0  # audio/pcmu and audio/pcma: 8 kHz, one byte a sample

_AUDIO_PART_TYPES = frozenset({"audio", "output_audio", "input_audio"})
_TEXT_PART_TYPES = frozenset({"text", "output_text", "input_text"})


def _s(value: object) -> str | None:
    """A string field that may be UNSET, None or (garbage) anything else."""
    return value if isinstance(value, str) else None


def _i(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _format_bytes_per_ms(fmt: object) -> float | None:
    """Bytes per millisecond of a ``RealtimeAudioFormats`` value (``None`` when it says nothing)."""
    type_ = getattr(fmt, "type", None)
    if type_ == "audio/pcm":
        rate = getattr(fmt, "rate", None)
        if isinstance(rate, int) and not isinstance(rate, bool) and rate > 0:
            return rate * 2 / 1000
        return _PCM_BYTES_PER_MS
    if type_ in ("audio/pcmu", "audio/pcma"):
        return _G711_BYTES_PER_MS
    return None


# --------------------------------------------------------------------------------------------------
# State objects: plain mutable dataclasses, read by the app, written only by Conversation.


@dataclass
class Usage:
    """Token counts of one response, or the sum over many (``+`` adds them)."""

    total_tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    input_text_tokens: int = 0
    input_audio_tokens: int = 0
    input_image_tokens: int = 0
    input_cached_tokens: int = 0
    output_text_tokens: int = 0
    output_audio_tokens: int = 0

    @classmethod
    def from_wire(cls, usage: RealtimeResponseUsage) -> Usage:
        inp = usage.input_token_details if isinstance(usage.input_token_details, msgspec.Struct) else None
        out = usage.output_token_details if isinstance(usage.output_token_details, msgspec.Struct) else None
        return cls(
            total_tokens=_i(usage.total_tokens),
            input_tokens=_i(usage.input_tokens),
            output_tokens=_i(usage.output_tokens),
            input_text_tokens=_i(inp.text_tokens) if inp else 0,
            input_audio_tokens=_i(inp.audio_tokens) if inp else 0,
            input_image_tokens=_i(inp.image_tokens) if inp else 0,
            input_cached_tokens=_i(inp.cached_tokens) if inp else 0,
            output_text_tokens=_i(out.text_tokens) if out else 0,
            output_audio_tokens=_i(out.audio_tokens) if out else 0,
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            **{name: getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__}
        )


@dataclass
class InputTranscript:
    """What the input transcription said about one (item, content index), whatever arrived first."""

    deltas: str = ""
    transcript: str | None = None
    """The ``completed`` transcript, once it arrived."""
    error: str | None = None
    """The ``failed`` event's message, if transcription failed."""

    @property
    def text(self) -> str:
        return self.transcript if self.transcript is not None else self.deltas


@dataclass
class ContentPart:
    """One entry of an item's ``content``."""

    type: str | None = None
    """Wire type: ``input_text``, ``input_audio``, ``output_text``, ``output_audio`` (or ``text``/``audio``)."""
    text: str | None = None
    transcript: str | None = None
    """Assistant audio transcript, or the user's input transcription, as far as known (and heard)."""
    transcription_error: str | None = None
    audio_bytes: int = 0
    """Bytes of ``response.output_audio.delta`` received for this part."""
    bytes_per_ms: float = _PCM_BYTES_PER_MS
    audio_done: bool = False
    """No more audio will come for this part (``output_audio.done``, item or response done)."""
    first_audio_at: float | None = None
    played_ms: float | None = None
    """Position the app reported as played; ``None`` when it never reported (the clock estimates it)."""
    truncated_ms: int | None = None
    """``audio_end_ms`` of the truncate sent (or confirmed): the audio after it was not heard."""
    truncate_confirmed: bool = False
    heard: bool = True
    """False when the interruption came before any of this part was heard."""

    @property
    def has_audio(self) -> bool:
        return self.audio_bytes > 0

    @property
    def audio_ms(self) -> float:
        """Milliseconds of audio received."""
        return self.audio_bytes / self.bytes_per_ms

    @property
    def settled(self) -> bool:
        """Interruption is over for this part: truncated, or dropped as never heard."""
        return self.truncated_ms is not None or not self.heard


@dataclass
class Item:
    """One conversation item as known locally."""

    id: str
    type: str | None = None
    """``message``, ``function_call``, ``function_call_output`` (or an MCP item type)."""
    role: str | None = None
    status: str | None = None
    content: list[ContentPart] = field(default_factory=list)
    response_id: str | None = None
    placed: bool = False
    """In the conversation (seen in a ``conversation.item.*`` or ``committed`` event)."""
    name: str | None = None
    call_id: str | None = None
    arguments: str = ""
    arguments_done: bool = False
    output: str | None = None
    """``function_call_output`` items: the output."""
    delete_sent: bool = False
    """:meth:`Conversation.interrupt` asked the server to delete it (nobody heard it)."""

    @property
    def text(self) -> str:
        """The item's words: text parts and transcripts, in content order."""
        words = [p.text if p.text is not None else (p.transcript or "") for p in self.content]
        return "".join(w for w in words if w)

    @property
    def audio_ms(self) -> float:
        """Milliseconds of assistant audio received over all parts."""
        return sum(p.audio_ms for p in self.content)

    def part(self, index: int) -> ContentPart | None:
        return self.content[index] if 0 <= index < len(self.content) else None


@dataclass
class Response:
    """One response by id."""

    id: str
    status: str | None = None
    status_details: Any = None
    output_item_ids: list[str] = field(default_factory=list)
    usage: Usage | None = None
    bytes_per_ms: float | None = None
    """The response's own output format, when ``response.created`` named one."""
    started_at: float | None = None
    """When the turn that led to it ended: ``speech_stopped``, ``committed``, ``mark_turn_end`` or created."""
    created_at: float | None = None
    first_audio_at: float | None = None
    first_text_at: float | None = None
    done_at: float | None = None
    cancelled_by_server: bool = False
    """``speech_started`` arrived while it ran and the session's VAD interrupts responses."""
    interrupted: bool = False
    cancel_sent: bool = False

    @property
    def done(self) -> bool:
        return self.done_at is not None or self.status in ("completed", "cancelled", "failed", "incomplete")

    @property
    def first_output_at(self) -> float | None:
        times = [t for t in (self.first_audio_at, self.first_text_at) if t is not None]
        return min(times) if times else None

    @property
    def latency(self) -> float | None:
        """Seconds from the end of the user's turn to the first audio (or text) delta."""
        first = self.first_output_at
        return None if first is None or self.started_at is None else first - self.started_at

    @property
    def duration(self) -> float | None:
        """Seconds from the end of the user's turn to ``response.done``."""
        return None if self.done_at is None or self.started_at is None else self.done_at - self.started_at


HistoryItem: TypeAlias = Item | RealtimeConversationItem | Mapping[str, Any]
"""What :func:`history_events` accepts: local items, generated item structs, or their JSON as dicts."""


# --------------------------------------------------------------------------------------------------


class Conversation:
    """The state of one conversation. See the module docstring for the rules.

    ``clock`` gives the time for events received without an explicit ``now`` (default
    ``time.monotonic``); pass a fake clock in tests. ``unheard`` says what :meth:`interrupt` does with
    an assistant audio item nobody heard: ``"delete"`` it from the server conversation or ``"keep"`` it.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        unheard: Literal["delete", "keep"] = "delete",
    ) -> None:
        self._clock = clock
        self.unheard = unheard
        self._items: dict[str, Item] = {}
        self._order: list[str] = []
        self._deleted: set[str] = set()
        self.responses: dict[str, Response] = {}
        """Every response by id, in creation order."""
        self.input_transcripts: dict[tuple[str, int], InputTranscript] = {}
        """Input transcription per (item id, content index), kept whether or not the item is known."""
        self.rate_limits: dict[str, RateLimitsUpdatedRateLimitsItem] = {}
        """The latest ``rate_limits.updated`` entries, by name."""
        self.session_id: str | None = None
        self.expires_at: int | None = None
        self.conversation_id: str | None = None
        self.last_error: Error | None = None
        self.bytes_per_ms: float = _PCM_BYTES_PER_MS
        """The session's output format, as bytes per millisecond."""
        self.vad_interrupts: bool = False
        """Server or semantic VAD is on with ``interrupt_response``: it cancels responses on speech."""
        self.speaking: bool = False
        """Between ``speech_started`` and ``speech_stopped``."""
        self._turn_end: float | None = None
        self._playback: list[tuple[str, int]] = []
        """Audio parts (item id, content index) in the order their first audio arrived."""
        self._reported = False

    # -- reading -----------------------------------------------------------------------------------

    @property
    def items(self) -> list[Item]:
        """The items placed in the conversation, in server order."""
        return [self._items[i] for i in self._order]

    def item(self, item_id: str) -> Item | None:
        """Any known item (placed or not, e.g. output of an out-of-band response)."""
        return self._items.get(item_id)

    @property
    def usage(self) -> Usage:
        """Sum of the usages of all ``response.done`` events."""
        total = Usage()
        for response in self.responses.values():
            if response.usage is not None:
                total = total + response.usage
        return total

    @property
    def active_response(self) -> Response | None:
        """The latest response not yet done, if any."""
        for response in reversed(self.responses.values()):
            if not response.done:
                return response
        return None

    def received_ms(self, item_id: str, content_index: int = 0) -> float:
        part = self._part(item_id, content_index, create=False)
        return part.audio_ms if part else 0.0

    def function_calls(self, response_id: str) -> list[Item]:
        """The ``function_call`` items of a response, in output order."""
        response = self.responses.get(response_id)
        ids = response.output_item_ids if response else []
        calls = [self._items[i] for i in ids if i in self._items]
        return [c for c in calls if c.type == "function_call"]

    def pending_calls(self, response_id: str) -> list[Item]:
        """Calls of a response whose arguments are complete and which have no output yet."""
        answered = {i.call_id for i in self._items.values() if i.type == "function_call_output"}
        return [c for c in self.function_calls(response_id) if c.arguments_done and c.call_id not in answered]

    # -- input -------------------------------------------------------------------------------------

    def receive(self, event: ServerEvent | UnknownServerEvent, now: float | None = None) -> None:
        """Apply one server event. Never raises on any server event."""
        t = self._clock() if now is None else now
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event, t)

    def mark_turn_end(self, now: float | None = None) -> None:
        """The app ended a turn itself (sent ``input_audio_buffer.commit`` or ``response.create``)."""
        if self._turn_end is None:
            self._turn_end = self._clock() if now is None else now

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
            played_bytes = round((part.played_ms or 0.0) * part.bytes_per_ms)
            take = min(part.audio_bytes - played_bytes, remaining)
            if take > 0:
                part.played_ms = (played_bytes + take) / part.bytes_per_ms
                remaining -= take

    def heard_ms(self, item_id: str, content_index: int = 0, now: float | None = None) -> float:
        """How much of a part's audio the user has heard, as far as this conversation can tell."""
        t = self._clock() if now is None else now
        return self._positions(t).get((item_id, content_index), 0.0)

    # -- output ------------------------------------------------------------------------------------

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
            if part.audio_done and heard >= received - 1.0:
                continue  # fully played: nothing to cut
            playing_found = True
            end_ms = min(math.floor(heard), math.floor(received))
            if end_ms < 1:
                events.extend(self._drop_unheard(item, part))
                continue
            part.truncated_ms = end_ms
            self._cut_transcript(part, end_ms)
            events.append(
                ConversationItemTruncate(item_id=item.id, content_index=key[1], audio_end_ms=end_ms)
            )
        if active is not None:
            # Audio parts of the interrupted response with no audio yet: never heard either.
            for item_id in active.output_item_ids:
                unheard_item = self._items.get(item_id)
                for part in unheard_item.content if unheard_item else []:
                    if part.type in _AUDIO_PART_TYPES and not part.has_audio and not part.settled:
                        part.heard = False
                        part.transcript = ""
        return events

    def restore_events(self, *, keep_ids: bool = True) -> list[ClientEvent]:
        """``conversation.item.create`` events that rebuild this conversation on a fresh connection."""
        return history_events(self.items, keep_ids=keep_ids)

    # -- internals ---------------------------------------------------------------------------------

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

    def _item(self, item_id: object, *, create: bool = True) -> Item | None:
        if not isinstance(item_id, str) or not item_id or item_id in self._deleted:
            return None
        item = self._items.get(item_id)
        if item is None and create:
            item = self._items[item_id] = Item(id=item_id)
        return item

    def _part(self, item_id: object, index: object, *, create: bool = True) -> ContentPart | None:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index <= MAX_CONTENT_INDEX:
            return None
        item = self._item(item_id, create=create)
        if item is None:
            return None
        if index >= len(item.content):
            if not create:
                return None
            item.content.extend(ContentPart() for _ in range(index + 1 - len(item.content)))
            self._apply_input_transcripts(item)
        return item.content[index]

    def _place(self, item: Item, previous_item_id: object) -> None:
        if item.placed:
            return
        item.placed = True
        if previous_item_id is None:
            self._order.insert(0, item.id)
        elif isinstance(previous_item_id, str) and previous_item_id in self._order:
            self._order.insert(self._order.index(previous_item_id) + 1, item.id)
        else:  # UNSET (retrieved, output items) or an id we do not know
            self._order.append(item.id)

    def _apply_input_transcripts(self, item: Item) -> None:
        for index, part in enumerate(item.content):
            if part.truncated_ms is not None:
                continue
            known = self.input_transcripts.get((item.id, index))
            if known is not None:
                if known.transcript is not None or known.deltas:
                    part.transcript = known.text
                if known.error is not None:
                    part.transcription_error = known.error

    def _merge(self, wire: RealtimeConversationItem, *, response_id: str | None = None) -> Item | None:
        """Update (or create) the local item from a snapshot of it."""
        item = self._item(getattr(wire, "id", None))
        if item is None:
            return None
        item.type = str(wire.type)
        item.status = _s(getattr(wire, "status", None)) or item.status
        if response_id is not None:
            item.response_id = response_id
        if isinstance(wire, RealtimeConversationItemMessage):
            item.role = _s(wire.role) or item.role
            content = wire.content if isinstance(wire.content, list) else []
            for index, wire_part in enumerate(content[: MAX_CONTENT_INDEX + 1]):
                part = self._part(item.id, index)
                if part is None:
                    break
                part.type = _s(wire_part.type) or part.type
                text = _s(wire_part.text)
                if text is not None:
                    part.text = text
                transcript = _s(wire_part.transcript)
                if transcript is not None and part.truncated_ms is None and part.heard:
                    part.transcript = transcript
            self._apply_input_transcripts(item)
            if item.status in ("completed", "incomplete"):
                for part in item.content:
                    part.audio_done = True
        elif isinstance(wire, RealtimeConversationItemFunctionCall):
            item.name = _s(wire.name) or item.name
            item.call_id = _s(wire.call_id) or item.call_id
            arguments = _s(wire.arguments)
            if arguments and (not item.arguments_done or item.status == "completed"):
                item.arguments = arguments
            if item.status == "completed":
                item.arguments_done = True
        elif isinstance(wire, RealtimeConversationItemFunctionCallOutput):
            item.call_id = _s(wire.call_id) or item.call_id
            item.output = _s(wire.output) if _s(wire.output) is not None else item.output
        return item

    def _response(self, response_id: object) -> Response | None:
        if not isinstance(response_id, str) or not response_id:
            return None
        response = self.responses.get(response_id)
        if response is None:
            response = self.responses[response_id] = Response(id=response_id)
        return response

    def _link(self, response_id: object, item: Item) -> None:
        response = self._response(response_id)
        if response is None:
            return
        item.response_id = response.id
        if item.id not in response.output_item_ids:
            response.output_item_ids.append(item.id)

    def _audio_part(self, event: Any) -> tuple[Response | None, ContentPart | None]:
        part = self._part(event.item_id, event.content_index)
        response = self._response(event.response_id)
        item = self._items.get(event.item_id)
        if item is not None and response is not None:
            self._link(response.id, item)
            if item.role is None and item.type in (None, "message"):
                item.type, item.role = "message", "assistant"
        return response, part

    # -- event handlers ----------------------------------------------------------------------------

    def _on_session(self, event: SessionCreated | SessionUpdated, now: float) -> None:
        session = event.session
        self.session_id = _s(session.id) or self.session_id
        if isinstance(session.expires_at, int):
            self.expires_at = session.expires_at
        if not isinstance(session, RealtimeSessionCreateResponseGA) or not isinstance(
            session.audio, msgspec.Struct
        ):
            return
        output = session.audio.output
        if isinstance(output, msgspec.Struct):
            bpm = _format_bytes_per_ms(output.format)
            if bpm is not None:
                self.bytes_per_ms = bpm
        audio_input = session.audio.input
        if isinstance(audio_input, msgspec.Struct) and audio_input.turn_detection is not UNSET:
            detection = audio_input.turn_detection
            # API default for interrupt_response is true whenever VAD is on.
            self.vad_interrupts = detection is not None and detection.interrupt_response is not False

    def _on_conversation_created(self, event: ConversationCreated, now: float) -> None:
        self.conversation_id = _s(event.conversation.id) or self.conversation_id

    def _on_item(
        self,
        event: ConversationItemAdded
        | ConversationItemCreated
        | ConversationItemDone
        | ConversationItemRetrieved,
        now: float,
    ) -> None:
        item = self._merge(event.item)
        if item is not None:
            self._place(item, getattr(event, "previous_item_id", UNSET))

    def _on_item_deleted(self, event: ConversationItemDeleted, now: float) -> None:
        item_id = event.item_id
        self._items.pop(item_id, None)
        if item_id in self._order:
            self._order.remove(item_id)
        self._deleted.add(item_id)

    def _on_item_truncated(self, event: ConversationItemTruncated, now: float) -> None:
        part = self._part(event.item_id, event.content_index, create=False)
        if part is None:
            return
        end_ms = max(0, event.audio_end_ms)
        if part.truncated_ms is None or part.truncated_ms > end_ms:
            self._cut_transcript(part, end_ms)
        part.truncated_ms = end_ms
        part.truncate_confirmed = True

    def _on_committed(self, event: InputAudioBufferCommitted, now: float) -> None:
        if self._turn_end is None:
            self._turn_end = now
        item = self._item(event.item_id)
        if item is None:
            return
        if item.type is None:
            item.type, item.role = "message", "user"
            part = self._part(item.id, 0)
            if part is not None and part.type is None:
                part.type = "input_audio"
        self._place(item, event.previous_item_id)

    def _on_speech_started(self, event: InputAudioBufferSpeechStarted, now: float) -> None:
        self.speaking = True
        active = self.active_response
        if active is not None and self.vad_interrupts:
            active.cancelled_by_server = True

    def _on_speech_stopped(self, event: InputAudioBufferSpeechStopped, now: float) -> None:
        self.speaking = False
        if self._turn_end is None:
            self._turn_end = now

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
        delta = _s(event.delta)
        if found is None or not delta or found[0].transcript is not None:
            return
        found[0].deltas += delta
        if found[1] is not None:
            self._apply_input_transcripts(found[1])

    def _on_transcription_completed(
        self, event: ConversationItemInputAudioTranscriptionCompleted, now: float
    ) -> None:
        found = self._input_transcript(event.item_id, event.content_index)
        if found is None:
            return
        found[0].transcript = _s(event.transcript) or ""
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
        found[0].error = _s(getattr(error, "message", None)) or _s(getattr(error, "code", None)) or "failed"
        if found[1] is not None:
            self._apply_input_transcripts(found[1])

    def _on_response_created(self, event: ResponseCreated, now: float) -> None:
        self._update_response(event.response, now)
        response = self._response(event.response.id)
        if response is None:
            return
        if response.created_at is None:
            response.created_at = now
            response.started_at = self._turn_end if self._turn_end is not None else now
            self._turn_end = None

    def _on_response_done(self, event: ResponseDone, now: float) -> None:
        wire = event.response
        response = self._update_response(wire, now)
        if response is None:
            return
        if response.done_at is None:
            response.done_at = now
        if response.created_at is None:
            response.created_at = response.started_at = now
        if isinstance(wire.usage, RealtimeResponseUsage):
            response.usage = Usage.from_wire(wire.usage)
        for item_id in response.output_item_ids:
            item = self._items.get(item_id)
            for part in item.content if item else []:
                part.audio_done = True

    def _update_response(self, wire: RealtimeResponse, now: float) -> Response | None:
        response = self._response(wire.id)
        if response is None:
            return None
        response.status = _s(wire.status) or response.status
        if wire.status_details is not UNSET:
            response.status_details = wire.status_details
        audio = wire.audio
        if isinstance(audio, msgspec.Struct) and isinstance(audio.output, msgspec.Struct):
            response.bytes_per_ms = _format_bytes_per_ms(audio.output.format) or response.bytes_per_ms
        if isinstance(wire.output, list):
            for wire_item in wire.output:
                item = self._merge(wire_item, response_id=response.id)
                if item is not None:
                    self._link(response.id, item)
        return response

    def _on_output_item(self, event: ResponseOutputItemAdded | ResponseOutputItemDone, now: float) -> None:
        item = self._merge(event.item, response_id=_s(event.response_id))
        if item is not None:
            self._link(event.response_id, item)

    def _on_content_part(self, event: ResponseContentPartAdded | ResponseContentPartDone, now: float) -> None:
        self._audio_part(event)
        part = self._part(event.item_id, event.content_index)
        if part is None:
            return
        wire = event.part
        if isinstance(wire, msgspec.Struct):
            part.type = _s(wire.type) or part.type
            text = _s(wire.text)
            if text:
                part.text = text
            transcript = _s(wire.transcript)
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
        part.text = (part.text or "") + (_s(event.delta) or "")
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
        part.transcript = (part.transcript or "") + (_s(event.delta) or "")

    def _on_transcript_done(self, event: ResponseOutputAudioTranscriptDone, now: float) -> None:
        _, part = self._audio_part(event)
        if part is None or part.truncated_ms is not None or not part.heard:
            return
        if isinstance(event.transcript, str):
            part.transcript = event.transcript

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

    def _on_arguments_delta(self, event: ResponseFunctionCallArgumentsDelta, now: float) -> None:
        item = self._item(event.item_id)
        if item is None or item.arguments_done:
            return
        item.type = item.type or "function_call"
        item.call_id = item.call_id or _s(event.call_id)
        item.arguments += _s(event.delta) or ""
        self._link(event.response_id, item)

    def _on_arguments_done(self, event: ResponseFunctionCallArgumentsDone, now: float) -> None:
        item = self._item(event.item_id)
        if item is None:
            return
        item.type = item.type or "function_call"
        item.call_id = _s(event.call_id) or item.call_id
        item.name = _s(event.name) or item.name
        item.arguments = _s(event.arguments) or item.arguments
        item.arguments_done = True
        self._link(event.response_id, item)

    def _on_rate_limits(self, event: RateLimitsUpdated, now: float) -> None:
        limits = event.rate_limits if isinstance(event.rate_limits, list) else []
        self.rate_limits = {(_s(limit.name) or ""): limit for limit in limits}

    def _on_error(self, event: Error, now: float) -> None:
        self.last_error = event


_Handler: TypeAlias = Callable[[Conversation, Any, float], None]

_HANDLERS: dict[type, _Handler] = {
    SessionCreated: Conversation._on_session,
    SessionUpdated: Conversation._on_session,
    ConversationCreated: Conversation._on_conversation_created,
    ConversationItemAdded: Conversation._on_item,
    ConversationItemCreated: Conversation._on_item,
    ConversationItemDone: Conversation._on_item,
    ConversationItemRetrieved: Conversation._on_item,
    ConversationItemDeleted: Conversation._on_item_deleted,
    ConversationItemTruncated: Conversation._on_item_truncated,
    InputAudioBufferCommitted: Conversation._on_committed,
    InputAudioBufferSpeechStarted: Conversation._on_speech_started,
    InputAudioBufferSpeechStopped: Conversation._on_speech_stopped,
    ConversationItemInputAudioTranscriptionDelta: Conversation._on_transcription_delta,
    ConversationItemInputAudioTranscriptionCompleted: Conversation._on_transcription_completed,
    ConversationItemInputAudioTranscriptionFailed: Conversation._on_transcription_failed,
    ResponseCreated: Conversation._on_response_created,
    ResponseDone: Conversation._on_response_done,
    ResponseOutputItemAdded: Conversation._on_output_item,
    ResponseOutputItemDone: Conversation._on_output_item,
    ResponseContentPartAdded: Conversation._on_content_part,
    ResponseContentPartDone: Conversation._on_content_part,
    ResponseOutputTextDelta: Conversation._on_text_delta,
    ResponseOutputTextDone: Conversation._on_text_done,
    ResponseOutputAudioTranscriptDelta: Conversation._on_transcript_delta,
    ResponseOutputAudioTranscriptDone: Conversation._on_transcript_done,
    ResponseOutputAudioDelta: Conversation._on_audio_delta,
    ResponseOutputAudioDone: Conversation._on_audio_done,
    ResponseFunctionCallArgumentsDelta: Conversation._on_arguments_delta,
    ResponseFunctionCallArgumentsDone: Conversation._on_arguments_done,
    RateLimitsUpdated: Conversation._on_rate_limits,
    Error: Conversation._on_error,
}


# --------------------------------------------------------------------------------------------------
# History


def history_events(items: Iterable[HistoryItem], *, keep_ids: bool = False) -> list[ClientEvent]:
    """``conversation.item.create`` events that recreate ``items`` in order, as text.

    Messages keep their role: user and system content becomes ``input_text``, assistant content
    ``output_text`` (the API rejects other types there). Audio becomes its transcript — for assistant
    audio, only as far as it was heard — except user audio given with its bytes, which stays audio.
    Function calls and outputs are kept; a call whose arguments are still incomplete is dropped, and so
    is its output. Items left without content are dropped. ``keep_ids`` copies item ids (used on
    restore so the server conversation keeps the same ids).
    """
    events: list[ClientEvent] = []
    dropped_calls: set[str] = set()
    for raw in items:
        item = _as_wire_item(raw)
        if item is None:
            continue
        item_id = item.id if keep_ids and isinstance(item.id, str) else UNSET
        new: RealtimeConversationItem | None = None
        if isinstance(item, RealtimeConversationItemMessage):
            content = _history_content(item)
            if content:
                new = RealtimeConversationItemMessage(id=item_id, role=item.role, content=content)
        elif isinstance(item, RealtimeConversationItemFunctionCall):
            if item.status in ("in_progress", "incomplete") or not item.arguments:
                if isinstance(item.call_id, str):
                    dropped_calls.add(item.call_id)
            else:
                new = RealtimeConversationItemFunctionCall(
                    id=item_id, name=item.name, arguments=item.arguments, call_id=item.call_id
                )
        elif isinstance(item, RealtimeConversationItemFunctionCallOutput):
            if item.call_id not in dropped_calls:
                new = RealtimeConversationItemFunctionCallOutput(
                    id=item_id, call_id=item.call_id, output=item.output
                )
        if new is not None:
            events.append(ConversationItemCreate(item=new))
    return events


def _history_content(
    item: RealtimeConversationItemMessage,
) -> list[RealtimeConversationItemMessageContentItem]:
    out: list[RealtimeConversationItemMessageContentItem] = []
    text_type = "output_text" if item.role == "assistant" else "input_text"
    for part in item.content:
        ptype = _s(part.type)
        if ptype == "input_audio" and isinstance(part.audio, bytes) and part.audio and item.role == "user":
            out.append(
                RealtimeConversationItemMessageContentItem(
                    type="input_audio", audio=part.audio, transcript=_s(part.transcript) or UNSET
                )
            )
            continue
        if ptype in _AUDIO_PART_TYPES:
            words = _s(part.transcript)
        elif ptype in _TEXT_PART_TYPES or ptype is None:
            words = _s(part.text)
            if words is None:
                words = _s(part.transcript)
        else:  # images and other content: not carried over
            words = None
        if words:
            out.append(RealtimeConversationItemMessageContentItem(type=text_type, text=words))
    return out


def _as_wire_item(raw: HistoryItem) -> RealtimeConversationItem | None:
    if isinstance(raw, Item):
        return _local_to_wire(raw)
    if isinstance(raw, Mapping):
        try:
            converted: RealtimeConversationItem = msgspec.convert(dict(raw), RealtimeConversationItem)
            return converted
        except msgspec.ValidationError as exc:
            raise ValueError(f"not a conversation item: {exc}") from None
    return raw


def _local_to_wire(item: Item) -> RealtimeConversationItem | None:
    if item.type == "message":
        content = []
        for part in item.content:
            if part.type in _AUDIO_PART_TYPES and not part.heard:
                continue
            content.append(
                RealtimeConversationItemMessageContentItem(
                    type=part.type or UNSET,
                    text=part.text if part.text is not None else UNSET,
                    transcript=part.transcript if part.transcript is not None else UNSET,
                )
            )
        return RealtimeConversationItemMessage(
            id=item.id, role=item.role or "user", content=content, status=item.status or UNSET
        )
    if item.type == "function_call":
        return RealtimeConversationItemFunctionCall(
            id=item.id,
            name=item.name or "",
            arguments=item.arguments if item.arguments_done or item.status == "completed" else "",
            call_id=item.call_id or UNSET,
            status="completed" if item.arguments_done or item.status == "completed" else "in_progress",
        )
    if item.type == "function_call_output" and item.call_id is not None:
        return RealtimeConversationItemFunctionCallOutput(
            id=item.id, call_id=item.call_id, output=item.output or ""
        )
    return None
