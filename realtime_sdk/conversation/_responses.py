"""Responses: status, output items, usage totals and latency; function call arguments."""

from __future__ import annotations

import msgspec
from msgspec import UNSET

from .._generated import (
    RealtimeResponse,
    RealtimeResponseUsage,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDelta,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemAdded,
    ResponseOutputItemDone,
)
from ._state import (
    Item,
    Response,
    Usage,
    as_str,
    format_bytes_per_ms,
)
from ._store import ConversationStore
from ._text import append


class ResponsesMixin(ConversationStore):
    @property
    def usage(self) -> Usage:
        """Sum of the usages of all ``response.done`` events."""
        total = Usage()
        for response in self.responses.values():
            if response.usage is not None:
                total = total + response.usage
        return total

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
        response.status = as_str(wire.status) or response.status
        if wire.status_details is not UNSET:
            response.status_details = wire.status_details
        audio = wire.audio
        if isinstance(audio, msgspec.Struct) and isinstance(audio.output, msgspec.Struct):
            response.bytes_per_ms = format_bytes_per_ms(audio.output.format) or response.bytes_per_ms
        if isinstance(wire.output, list):
            for wire_item in wire.output:
                item = self._merge(wire_item, response_id=response.id)
                if item is not None:
                    self._link(response.id, item)
        return response

    def _on_output_item(self, event: ResponseOutputItemAdded | ResponseOutputItemDone, now: float) -> None:
        item = self._merge(event.item, response_id=as_str(event.response_id))
        if item is not None:
            self._link(event.response_id, item)

    def _on_arguments_delta(self, event: ResponseFunctionCallArgumentsDelta, now: float) -> None:
        item = self._item(event.item_id)
        if item is None or item.arguments_done:
            return
        item.type = item.type or "function_call"
        item.call_id = item.call_id or as_str(event.call_id)
        append(item, "arguments", as_str(event.delta) or "")
        self._link(event.response_id, item)

    def _on_arguments_done(self, event: ResponseFunctionCallArgumentsDone, now: float) -> None:
        item = self._item(event.item_id)
        if item is None:
            return
        item.type = item.type or "function_call"
        item.call_id = as_str(event.call_id) or item.call_id
        item.name = as_str(event.name) or item.name
        item.arguments = as_str(event.arguments) or item.arguments
        item.arguments_done = True
        self._link(event.response_id, item)
