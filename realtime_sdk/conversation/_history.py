"""Items as ``conversation.item.create`` events: history given at connect, and restore after a reconnect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import msgspec
from msgspec import UNSET

from .._generated import (
    ClientEvent,
    ConversationItemCreate,
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeConversationItemMessage,
    RealtimeConversationItemMessageContentItem,
)
from ..errors import ImageError
from ..vision import check_image_part, copy_image_part
from ._state import (
    AUDIO_PART_TYPES,
    READ_PART_TYPES,
    HistoryItem,
    Item,
    as_str,
)


def text_message(role: Literal["user", "assistant", "system"], text: str) -> RealtimeConversationItemMessage:
    """A text message item, for ``RealtimeSession(history=[...])`` or ``session.add_item``::

        history = [text_message("user", "I fly to Paris on Monday."), text_message("assistant", "Noted!")]

    The content part has the type the API requires for the role: ``output_text`` for the assistant,
    ``input_text`` for the user and the system (the API refuses an assistant message with ``input_text``).
    """
    part = "output_text" if role == "assistant" else "input_text"
    return RealtimeConversationItemMessage(
        role=role, content=[RealtimeConversationItemMessageContentItem(type=part, text=text)]
    )


def history_events(
    items: Iterable[HistoryItem], *, keep_ids: bool = False, notes: list[str] | None = None
) -> list[ClientEvent]:
    """``conversation.item.create`` events that recreate ``items`` in order.

    Messages keep their role: user and system text becomes ``input_text``, assistant text
    ``output_text`` (the API rejects other types there). Audio becomes its transcript — for assistant
    audio, only as far as it was heard — except user audio given with its bytes, which stays audio.
    Images (``input_image``) are sent again as they were (URL and detail), and so is any part of a type
    the SDK does not know, in their place among the other parts.
    Function calls and outputs are kept; a call whose arguments are still incomplete is dropped, and so
    is its output. Items left without content are dropped. ``keep_ids`` copies item ids (used on
    restore so the server conversation keeps the same ids).

    ``notes``, when given, receives one line for each thing that cannot be sent back as it was:
    assistant audio (the API takes no audio in assistant messages: it goes back as its transcript, or
    not at all without one) and every item or part left out.
    """
    events: list[ClientEvent] = []
    dropped_calls: set[str] = set()
    for position, raw in enumerate(items):
        item = _as_wire_item(raw)
        if item is None:
            continue
        label = item.id if isinstance(item.id, str) else f"history[{position}]"
        item_id = item.id if keep_ids and isinstance(item.id, str) else UNSET
        new: RealtimeConversationItem | None = None
        if isinstance(item, RealtimeConversationItemMessage):
            content = _history_content(item, label, notes)
            if content:
                new = RealtimeConversationItemMessage(id=item_id, role=item.role, content=content)
            elif notes is not None:
                notes.append(f"{label}: a {item.role} message with nothing to send again is left out")
        elif isinstance(item, RealtimeConversationItemFunctionCall):
            if item.status in ("in_progress", "incomplete") or not item.arguments:
                if isinstance(item.call_id, str):
                    dropped_calls.add(item.call_id)
                if notes is not None:
                    notes.append(f"{label}: a function call whose arguments never completed is left out")
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
    item: RealtimeConversationItemMessage, label: str, notes: list[str] | None
) -> list[RealtimeConversationItemMessageContentItem]:
    out: list[RealtimeConversationItemMessageContentItem] = []
    text_type = "output_text" if item.role == "assistant" else "input_text"
    for index, part in enumerate(item.content):
        ptype = as_str(part.type)
        if ptype == "input_audio" and isinstance(part.audio, bytes) and part.audio and item.role == "user":
            out.append(
                RealtimeConversationItemMessageContentItem(
                    type="input_audio", audio=part.audio, transcript=as_str(part.transcript) or UNSET
                )
            )
            continue
        if ptype == "input_image":
            out.append(copy_image_part(part))
            continue
        if ptype is not None and ptype not in READ_PART_TYPES:
            out.append(part)  # a type the SDK does not know: sent back untouched
            continue
        if ptype in AUDIO_PART_TYPES:
            words = as_str(part.transcript)
            if notes is not None and item.role == "assistant":
                how = "goes back as its transcript" if words else "has no transcript and is left out"
                notes.append(f"{label} content[{index}]: assistant audio cannot be sent to the API; it {how}")
        else:
            words = as_str(part.text)
            if words is None:
                words = as_str(part.transcript)
        if words:
            out.append(RealtimeConversationItemMessageContentItem(type=text_type, text=words))
    return out


def check_item_images(items: Iterable[HistoryItem]) -> None:
    """Refuse (``ImageError``) items (history, ``add_item``) whose images the API would refuse, before sending."""
    for raw in items:
        try:
            item = _as_wire_item(raw)
        except ValueError:
            continue  # not an item at all: connect() says so, as it always has
        if not isinstance(item, RealtimeConversationItemMessage):
            continue
        for part in item.content:
            if as_str(part.type) == "input_image":
                if item.role != "user":
                    raise ImageError(f"images can only be sent in user messages, not {item.role!r} ones")
                check_image_part(part)


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
            if part.type in AUDIO_PART_TYPES and not part.heard:
                continue
            if part.wire is not None:
                content.append(part.wire)
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
