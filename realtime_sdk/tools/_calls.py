"""``ToolCall`` (what the model asked for) and ``ToolResult`` (what goes back), and encoding outputs."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

from .._generated import (
    ConversationItemCreate,
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemDone,
)
from ._schema import _is_pydantic_model


class ToolCall(msgspec.Struct, frozen=True):
    """One call the model made."""

    call_id: str
    name: str
    arguments: str
    item_id: str | None = None
    response_id: str | None = None

    @classmethod
    def from_event(
        cls,
        event: ResponseFunctionCallArgumentsDone | ResponseOutputItemDone | RealtimeConversationItem,
    ) -> ToolCall | None:
        """The call in a ``response.function_call_arguments.done`` / ``output_item.done`` event or item.

        ``None`` when it holds no function call (e.g. an ``output_item.done`` of a message).
        """
        if isinstance(event, ResponseFunctionCallArgumentsDone):
            return cls(
                call_id=event.call_id,
                name=event.name,
                arguments=event.arguments,
                item_id=event.item_id,
                response_id=event.response_id,
            )
        response_id = event.response_id if isinstance(event, ResponseOutputItemDone) else None
        item = event.item if isinstance(event, ResponseOutputItemDone) else event
        if not isinstance(item, RealtimeConversationItemFunctionCall) or not isinstance(item.call_id, str):
            return None
        return cls(
            call_id=item.call_id,
            name=item.name,
            arguments=item.arguments,
            item_id=item.id if isinstance(item.id, str) else None,
            response_id=response_id,
        )


class ToolResult(msgspec.Struct, frozen=True):
    """A tool's result for one call, ready to send as a ``function_call_output`` item."""

    call_id: str
    output: str
    is_error: bool = False
    name: str | None = None

    @classmethod
    def ok(cls, call: ToolCall, value: object) -> ToolResult:
        """The result of ``call`` that returned ``value`` (encoded as JSON text for the model)."""
        return cls(call_id=call.call_id, output=encode_output(value), name=call.name)

    @classmethod
    def error(cls, call: ToolCall, message: str) -> ToolResult:
        """The result of ``call`` that failed: ``{"error": message}``, readable by the model."""
        text = _encoder.encode({"error": message}).decode()
        return cls(call_id=call.call_id, output=text, is_error=True, name=call.name)

    @property
    def item(self) -> RealtimeConversationItemFunctionCallOutput:
        return RealtimeConversationItemFunctionCallOutput(call_id=self.call_id, output=self.output)

    def event(self, previous_item_id: str | None = None) -> ConversationItemCreate:
        """The ``conversation.item.create`` event carrying this result."""
        return ConversationItemCreate(
            item=self.item, previous_item_id=previous_item_id if previous_item_id is not None else UNSET
        )


def _encode_other(value: Any) -> Any:
    if _is_pydantic_model(type(value)):
        return value.model_dump(mode="json")
    raise TypeError(f"Encoding objects of type {type(value).__name__} is unsupported")


_encoder = msgspec.json.Encoder(enc_hook=_encode_other)


def encode_output(value: object) -> str:
    """A tool's return value as the ``output`` string: ``str`` as is, anything else as JSON.

    Raises ``TypeError`` for what JSON cannot carry (an arbitrary object, a dict with non-string keys,
    an int beyond 64 bits): the model should not be handed a ``repr`` as if it were the result."""
    if isinstance(value, str):
        return value
    try:
        return _encoder.encode(value).decode()
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"a {type(value).__name__} result cannot be sent as JSON: {exc}") from None
