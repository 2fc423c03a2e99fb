"""The conversation: items in order, with the side data the wire does not carry.

Rules (as the real service applies them): an item goes after ``previous_item_id`` when given (``"root"``
means first), else at the end; ids are unique; the server fills ``id``, ``object``, ``status``.
User audio is kept beside the item (24 kHz PCM16, for models and ``retrieve``), not in it; assistant
audio is kept as its duration, which bounds ``truncate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from .._generated import (
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
)
from ._errors import ClientError
from ._ids import new_id

_CONTENT_TYPES = {
    "user": ("input_text", "input_audio", "input_image"),
    "system": ("input_text",),
    "assistant": ("output_text", "output_audio"),
}


@dataclass
class Conversation:
    items: list[RealtimeConversationItem] = field(default_factory=list)
    user_audio: dict[str, bytes] = field(default_factory=dict)
    """Input audio of user items (24 kHz PCM16) by item id."""
    transcripts: dict[str, str] = field(default_factory=dict)
    assistant_audio_ms: dict[str, float] = field(default_factory=dict)
    """Length of the audio of assistant items, by item id (bounds truncation); grows while it streams."""
    truncated: set[str] = field(default_factory=set)
    """Assistant items truncated, possibly while still streaming: their end and transcript stay cut."""
    assistant_audio: dict[str, bytes] = field(default_factory=dict)
    """The audio of assistant items as sent (24 kHz PCM16), for ``conversation.item.retrieve``."""
    phases: dict[str, str] = field(default_factory=dict)
    """``phase`` of assistant messages, by item id (added to the item on the wire)."""

    def get(self, item_id: str) -> RealtimeConversationItem | None:
        for item in self.items:
            if item.id == item_id:
                return item
        return None

    def last_id(self) -> str | None:
        last = self.items[-1].id if self.items else None
        return last if isinstance(last, str) else None

    def insert(self, item: RealtimeConversationItem, previous_item_id: str | None) -> str | None:
        """Insert ``item`` (with its id set); return the id of the item now before it."""
        if previous_item_id is None:
            prev = self.last_id()
            self.items.append(item)
            return prev
        if previous_item_id == "root":
            self.items.insert(0, item)
            return None
        for i, existing in enumerate(self.items):
            if existing.id == previous_item_id:
                self.items.insert(i + 1, item)
                return previous_item_id
        raise ClientError(
            "invalid_value",
            f"Error adding item: the previous item with id '{previous_item_id}' does not exist.",
            "previous_item_id",
        )

    def delete(self, item_id: str) -> None:
        item = self.get(item_id)
        if item is None:
            raise ClientError(
                "item_delete_invalid_item_id",
                f"Error deleting item: the item with id '{item_id}' does not exist.",
            )
        self.items.remove(item)
        for side in (
            self.user_audio,
            self.transcripts,
            self.assistant_audio_ms,
            self.assistant_audio,
            self.phases,
        ):
            side.pop(item_id, None)

    def model_output_before(self, item_id: str) -> bool:
        """Whether an assistant message or a function call comes before ``item_id``."""
        for item in self.items:
            if item.id == item_id:
                return False
            if isinstance(item, RealtimeConversationItemFunctionCall) or (
                isinstance(item, RealtimeConversationItemMessage) and item.role == "assistant"
            ):
                return True
        return False

    def previous_of(self, item_id: str) -> str | None:
        for i, item in enumerate(self.items):
            if item.id == item_id:
                prev = self.items[i - 1].id if i else None
                return prev if isinstance(prev, str) else None
        return None


def prepare_client_item(conv: Conversation, item: RealtimeConversationItem) -> RealtimeConversationItem:
    """Check a client-created item and complete it (id, object, status).  Raises ``ClientError``."""
    if isinstance(item.id, str) and item.id:
        if conv.get(item.id) is not None:
            raise ClientError(
                "item_id_already_exists", f"Item with id '{item.id}' already exists.", "item.id"
            )
        item_id = item.id
    else:
        item_id = new_id("item")
    if isinstance(item, RealtimeConversationItemMessage):
        allowed = _CONTENT_TYPES.get(item.role)
        if allowed is None:
            raise ClientError(
                "invalid_value",
                f"Invalid value: '{item.role}'. Supported values are: 'user', 'assistant', and 'system'.",
                "item.role",
            )
        for i, part in enumerate(item.content):
            if part.type not in allowed:
                expected = " or ".join(f"'{a}'" for a in allowed)
                raise ClientError(
                    "invalid_value",
                    f"Invalid value: '{part.type}'. Value must be {expected}.",
                    f"item.content[{i}].type",
                )
        return msgspec.structs.replace(item, id=item_id, status="completed")
    if isinstance(item, RealtimeConversationItemFunctionCall | RealtimeConversationItemFunctionCallOutput):
        return msgspec.structs.replace(item, id=item_id, status="completed")
    raise ClientError(
        "invalid_value",
        f"Invalid value: '{item.type}'. Items of this type are not supported here.",
        "item.type",
    )


def public_view(item: RealtimeConversationItem) -> RealtimeConversationItem:
    """The item as ``conversation.item.added/done`` shows it: input audio bytes are not echoed back."""
    if not isinstance(item, RealtimeConversationItemMessage):
        return item
    if not any(isinstance(p.audio, bytes) for p in item.content):
        return item
    content = [
        RealtimeConversationItemMessageContentItem(type=p.type, transcript=p.transcript)
        if isinstance(p.audio, bytes)
        else p
        for p in item.content
    ]
    return msgspec.structs.replace(item, content=content)
