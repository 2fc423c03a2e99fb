"""Items, their order and their parts: the part of the conversation every other part reads and writes.

:class:`ConversationStore` holds the state and the rules for placing and merging items (see the
"Items and their order" and "Content" rules in :mod:`realtime_sdk.conversation`); the event handlers
live in mixins on top of it, one module per responsibility.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from .._generated import (
    ClientEvent,
    ConversationItemCreate,
    Error,
    RateLimitsUpdatedRateLimitsItem,
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
)
from ._state import (
    MAX_CONTENT_INDEX,
    PCM_BYTES_PER_MS,
    READ_PART_TYPES,
    ContentPart,
    InputTranscript,
    Item,
    Response,
    as_str,
)
from ._text import is_empty, share

MAX_SENT_ITEMS = 256
"""Items sent but not yet seen again whose kept parts are remembered (the oldest are forgotten first)."""


class ConversationStore:
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
        self._last_delta: tuple[object, object, object, Item, Response, ContentPart] | None = None
        """The (item id, content index, response id) the last delta named and what ``_audio_part`` found
        for it: the deltas of one part come back to back, and their item was linked by the first."""
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
        self.bytes_per_ms: float = PCM_BYTES_PER_MS
        """The session's output format, as bytes per millisecond."""
        self.vad_interrupts: bool = False
        """Server or semantic VAD is on with ``interrupt_response``: it cancels responses on speech."""
        self.speaking: bool = False
        """Between ``speech_started`` and ``speech_stopped``."""
        self._turn_end: float | None = None
        self._playback: list[tuple[str, int]] = []
        """Audio parts (item id, content index) in the order their first audio arrived."""
        self._reported = False
        self._sent_parts: dict[str, list[tuple[int, RealtimeConversationItemMessageContentItem]]] = {}
        """Parts kept whole (images, unknown types) of items sent and not yet acknowledged, by item id."""

    # -- reading -----------------------------------------------------------------------------------

    @property
    def items(self) -> list[Item]:
        """The items placed in the conversation, in server order."""
        return [self._items[i] for i in self._order]

    def item(self, item_id: str) -> Item | None:
        """Any known item (placed or not, e.g. output of an out-of-band response)."""
        return self._items.get(item_id)

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
                if known.transcript is not None:
                    part.transcript = known.transcript
                elif not is_empty(known, "deltas"):
                    share(part, "transcript", known, "deltas")  # follows the deltas still to come
                if known.error is not None:
                    part.transcription_error = known.error

    def _merge(self, wire: RealtimeConversationItem, *, response_id: str | None = None) -> Item | None:
        """Update (or create) the local item from a snapshot of it."""
        item = self._item(getattr(wire, "id", None))
        if item is None:
            return None
        item.type = str(wire.type)
        item.status = as_str(getattr(wire, "status", None)) or item.status
        if response_id is not None:
            item.response_id = response_id
        if isinstance(wire, RealtimeConversationItemMessage):
            item.role = as_str(wire.role) or item.role
            for index, sent_part in self._sent_parts.pop(item.id, ()):
                part = self._part(item.id, index)
                if part is not None:
                    part.type = as_str(sent_part.type) or part.type
                    _keep_whole(part, sent_part)
            content = wire.content if isinstance(wire.content, list) else []
            for index, wire_part in enumerate(content[: MAX_CONTENT_INDEX + 1]):
                part = self._part(item.id, index)
                if part is None:
                    break
                part.type = as_str(wire_part.type) or part.type
                if part.type not in READ_PART_TYPES and part.type is not None:
                    _keep_whole(part, wire_part)
                text = as_str(wire_part.text)
                if text is not None:
                    part.text = text
                transcript = as_str(wire_part.transcript)
                if transcript is not None and part.truncated_ms is None and part.heard:
                    part.transcript = transcript
            self._apply_input_transcripts(item)
            if item.status in ("completed", "incomplete"):
                for part in item.content:
                    part.audio_done = True
        elif isinstance(wire, RealtimeConversationItemFunctionCall):
            item.name = as_str(wire.name) or item.name
            item.call_id = as_str(wire.call_id) or item.call_id
            arguments = as_str(wire.arguments)
            if arguments and (not item.arguments_done or item.status == "completed"):
                item.arguments = arguments
            if item.status == "completed":
                item.arguments_done = True
        elif isinstance(wire, RealtimeConversationItemFunctionCallOutput):
            item.call_id = as_str(wire.call_id) or item.call_id
            item.output = as_str(wire.output) if as_str(wire.output) is not None else item.output
        return item

    def sent(self, event: ClientEvent) -> None:
        """The session sent ``event``: remember the parts of a new item the server may not show again.

        The service is not documented to echo an image's ``data:`` URL back; the one sent is what a
        reconnect's restore needs, so it is kept for the item from the moment it leaves.
        """
        if not isinstance(event, ConversationItemCreate):
            return
        item = event.item
        if not isinstance(item, RealtimeConversationItemMessage) or not isinstance(item.id, str):
            return
        content = item.content if isinstance(item.content, list) else []
        kept = [(i, p) for i, p in enumerate(content[: MAX_CONTENT_INDEX + 1]) if _whole(p)]
        if not kept:
            return
        self._sent_parts[item.id] = kept
        while len(self._sent_parts) > MAX_SENT_ITEMS:
            del self._sent_parts[next(iter(self._sent_parts))]

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
        item_id, index, response_id = event.item_id, event.content_index, event.response_id
        last = self._last_delta
        if (
            last is not None
            and last[0] == item_id
            and last[1] == index
            and last[2] == response_id
            and self._items.get(item_id) is last[3]  # not deleted since
        ):
            return last[4], last[5]
        part = self._part(item_id, index)
        response = self._response(response_id)
        item = self._items.get(item_id)
        if item is not None and response is not None:
            self._link(response.id, item)
            if item.role is None and item.type in (None, "message"):
                item.type, item.role = "message", "assistant"
            if part is not None:
                self._last_delta = (item_id, index, response_id, item, response, part)
        return response, part


def _whole(part: RealtimeConversationItemMessageContentItem) -> bool:
    ptype = as_str(part.type)
    return ptype is not None and ptype not in READ_PART_TYPES


def _keep_whole(part: ContentPart, wire: RealtimeConversationItemMessageContentItem) -> None:
    """Keep a part the SDK does not read; an image shown again without its URL keeps the one sent."""
    image_url = as_str(wire.image_url)
    if image_url is None and part.image_url is not None:
        return
    part.wire = wire
    part.image_url = image_url
    part.detail = as_str(wire.detail)
