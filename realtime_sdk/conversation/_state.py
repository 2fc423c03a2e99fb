"""The conversation's state objects: plain mutable dataclasses, read by the app, written only by
:class:`~realtime_sdk.conversation.Conversation`; and the small readers of untrusted wire fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast

import msgspec

from .._generated import (
    RealtimeConversationItem,
    RealtimeConversationItemMessageContentItem,
    RealtimeResponseUsage,
)
from ..audio._sizes import AUDIO_FORMATS, AudioFormat, bytes_per_ms
from ._text import joined

MAX_CONTENT_INDEX = 63
"""Content indexes above this are treated as garbage and ignored (no real item has that many parts)."""

PCM_BYTES_PER_MS: float = bytes_per_ms("audio/pcm")
"""The default until a session or response names its output format."""

AUDIO_PART_TYPES = frozenset({"audio", "output_audio", "input_audio"})
TEXT_PART_TYPES = frozenset({"text", "output_text", "input_text"})
READ_PART_TYPES = AUDIO_PART_TYPES | TEXT_PART_TYPES
"""Part types whose fields the conversation reads; any other part is kept whole (``ContentPart.wire``)."""


def as_str(value: object) -> str | None:
    """A string field that may be UNSET, None or (garbage) anything else."""
    return value if isinstance(value, str) else None


def as_int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def format_bytes_per_ms(fmt: object) -> float | None:
    """Bytes per millisecond of a ``RealtimeAudioFormats`` value (``None`` when it names no format).

    The table is :func:`realtime_sdk.audio.bytes_per_ms`, the same one the audio path converts with.
    ``audio/pcm``'s ``rate`` is not read: the API defines it as 24000 only, and a PCM stream at another
    rate would be resampled as 24 kHz by the output path anyway, so counting it differently here would
    only make the two disagree."""
    type_ = getattr(fmt, "type", None)
    return float(bytes_per_ms(cast(AudioFormat, type_))) if type_ in AUDIO_FORMATS else None


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
        """Token counts from a ``response.done``'s usage object (missing details count as zero)."""
        inp = usage.input_token_details if isinstance(usage.input_token_details, msgspec.Struct) else None
        out = usage.output_token_details if isinstance(usage.output_token_details, msgspec.Struct) else None
        return cls(
            total_tokens=as_int(usage.total_tokens),
            input_tokens=as_int(usage.input_tokens),
            output_tokens=as_int(usage.output_tokens),
            input_text_tokens=as_int(inp.text_tokens) if inp else 0,
            input_audio_tokens=as_int(inp.audio_tokens) if inp else 0,
            input_image_tokens=as_int(inp.image_tokens) if inp else 0,
            input_cached_tokens=as_int(inp.cached_tokens) if inp else 0,
            output_text_tokens=as_int(out.text_tokens) if out else 0,
            output_audio_tokens=as_int(out.audio_tokens) if out else 0,
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            **{name: getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__}
        )


@dataclass
class InputTranscript:
    """What the input transcription said about one (item, content index), whatever arrived first."""

    deltas: str = joined("")
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
    """Wire type: ``input_text``, ``input_audio``, ``input_image``, ``output_text``, ``output_audio`` (or
    ``text``/``audio``); types the SDK does not know are kept as they came."""
    text: str | None = joined(None)
    transcript: str | None = joined(None)
    """Assistant audio transcript, or the user's input transcription, as far as known (and heard)."""
    transcription_error: str | None = None
    audio_bytes: int = 0
    """Bytes of ``response.output_audio.delta`` received for this part."""
    bytes_per_ms: float = PCM_BYTES_PER_MS
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
    image_url: str | None = None
    """``input_image`` parts: the image, as the ``data:`` URL that was sent."""
    detail: str | None = None
    """``input_image`` parts: the detail level (``auto``, ``low`` or ``high``)."""
    wire: RealtimeConversationItemMessageContentItem | None = None
    """A part the SDK keeps without reading it (an image, a type it does not know): the part as sent (or
    as the server last showed it), so that history and a reconnect's restore send it back as it was."""

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
    arguments: str = joined("")
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
        """The content part at ``index``, or ``None`` when the item has no such part."""
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
