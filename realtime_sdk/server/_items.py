"""The ``conversation.item.*`` client events that need more than one line: create, retrieve, truncate.

Each function applies one event to the protocol's conversation and emits the server's answer, or raises
``ClientError`` (code, message and param as the real service words them) and changes nothing.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from .._generated import (
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemDone,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    ConversationItemTruncated,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
)
from .._struct import Struct
from ._codec import WireFormat
from ._conversation import Conversation, prepare_client_item, public_view
from ._errors import ClientError
from ._ids import new_id
from ._images import check_images


class ItemHost(Protocol):
    conversation: Conversation

    @property
    def input_format(self) -> WireFormat: ...

    def emit(self, event: Struct) -> None: ...


def create_item(proto: ItemHost, event: ConversationItemCreate) -> None:
    conversation = proto.conversation
    item = prepare_client_item(conversation, event.item)
    check_images(item)
    previous = event.previous_item_id if isinstance(event.previous_item_id, str) else None
    prev = conversation.insert(item, previous)
    if isinstance(item, RealtimeConversationItemMessage) and isinstance(item.id, str):
        for part in item.content:
            if isinstance(part.audio, bytes):
                fmt = proto.input_format
                audio = part.audio[: len(part.audio) - len(part.audio) % fmt.sample_width]
                conversation.user_audio[item.id] = fmt.to_model(fmt.to_pcm16(audio))
    shown = public_view(item)
    proto.emit(ConversationItemAdded(event_id=new_id("event"), previous_item_id=prev, item=shown))
    proto.emit(ConversationItemDone(event_id=new_id("event"), previous_item_id=prev, item=shown))


def retrieve_item(proto: ItemHost, event: ConversationItemRetrieve) -> None:
    item = proto.conversation.get(event.item_id)
    if item is None:
        raise ClientError(
            "item_retrieve_invalid_item_id",
            f"Error retrieving item: the item with id '{event.item_id}' does not exist.",
        )
    proto.emit(
        ConversationItemRetrieved(event_id=new_id("event"), item=stored_view(proto.conversation, item))
    )


def stored_view(conversation: Conversation, item: Any) -> Any:
    """The item as the service stores it (``conversation.item.retrieved``): ``object: "realtime.item"``,
    user audio and assistant audio as base64 ``audio``; an assistant audio part is of type ``audio``
    (with ``format: "pcm16"``, added on the wire, see ``_wire``)."""
    item = msgspec.structs.replace(item, object="realtime.item")
    if not isinstance(item, RealtimeConversationItemMessage) or not isinstance(item.id, str):
        return item
    content = []
    for part in item.content:
        if part.type == "output_audio":
            pcm = conversation.assistant_audio.get(item.id, b"")
            if item.id in conversation.truncated:
                pcm = pcm[: int(conversation.assistant_audio_ms.get(item.id, 0.0)) * 48]
            part = RealtimeConversationItemMessageContentItem(
                type="audio", audio=pcm, transcript=part.transcript
            )
        elif part.type == "input_audio" and item.id in conversation.user_audio:
            part = msgspec.structs.replace(part, audio=conversation.user_audio[item.id])
        content.append(part)
    return msgspec.structs.replace(item, content=content)


def truncate_item(proto: ItemHost, event: ConversationItemTruncate) -> None:
    conversation = proto.conversation
    item = conversation.get(event.item_id)
    if item is None:
        raise ClientError(
            "item_truncate_invalid_item_id",
            f"Error truncating item: the item with id '{event.item_id}' does not exist.",
        )
    if not (
        isinstance(item, RealtimeConversationItemMessage)
        and item.role == "assistant"
        and 0 <= event.content_index < len(item.content)
        and item.content[event.content_index].type == "output_audio"
    ):
        raise ClientError("unsupported_content_type", "Only model output audio messages can be truncated")
    if event.audio_end_ms < 0:
        raise ClientError(
            "integer_below_min_value",
            f"Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, but got "
            f"{event.audio_end_ms} instead.",
            "audio_end_ms",
        )
    length = conversation.assistant_audio_ms.get(event.item_id, 0.0)
    if event.audio_end_ms > length:
        raise ClientError(
            "invalid_value",
            f"Audio content of {int(length)}ms is already shorter than {event.audio_end_ms}ms",
            "audio_end_ms",
        )
    # Truncation also drops the transcript, so no text the user did not hear stays in the context.
    content = list(item.content)
    content[event.content_index] = RealtimeConversationItemMessageContentItem(
        type="output_audio", transcript=""
    )
    index = conversation.items.index(item)
    conversation.items[index] = msgspec.structs.replace(item, content=content)
    conversation.assistant_audio_ms[event.item_id] = float(event.audio_end_ms)
    conversation.truncated.add(event.item_id)
    proto.emit(
        ConversationItemTruncated(
            event_id=new_id("event"),
            item_id=event.item_id,
            content_index=event.content_index,
            audio_end_ms=event.audio_end_ms,
        )
    )
