"""The session's public send helpers: one method per client request, typed answers, typed errors.

Theory of operation
-------------------
Every helper is a thin shape over ``_requests.py``: build the client event, name the acknowledgement that
answers it, return what the acknowledgement carries.  Waits are bounded by ``request_timeout``
(``RequestTimeoutError``); a server refusal raises ``ServerError``; the end of the session raises
``ConnectionClosed``.

``update_session`` keeps the configuration the server confirmed: the delta is merged into it when (and
only when) ``session.updated`` answers it, at the moment the reader resolves the request, even if the
caller stopped waiting, so the SDK's picture of the configuration (what later updates are diffed against
and what a reconnect sends again) never drifts from the server's.

``create_response`` never races: a second response waits for the active one (``protocol.ResponseBook``, fed by the
reader from ``response.created`` / ``response.done``) under a lock, unless out of band.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Literal

import msgspec

from .. import _config
from .._generated import (
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemCreated,
    ConversationItemDelete,
    ConversationItemRetrieve,
    ConversationItemRetrieved,
    ConversationItemTruncate,
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    InputAudioBufferCommitted,
    RealtimeConversationItem,
    RealtimeResponseCreateParams,
    RealtimeSessionCreateRequestGA,
    ResponseCancel,
    SessionUpdate,
    SessionUpdated,
)
from ..conversation._history import check_item_images
from ..errors import ResponseActiveError, ServerError
from ..events import ClientEvent
from ..tools import ToolCall, ToolRegistry
from ..types import ServerSession
from ._arguments import conversation_item, session_properties
from ._requests import Requests
from ._responses import ResponseHandle

__all__ = ["Sending"]

_ALREADY_ACTIVE = "conversation_already_has_active_response"


class Sending(Requests):
    async def send(self, event: ClientEvent) -> str:
        """Send any client event; returns its ``event_id`` (assigned when unset).  Errors arrive as events."""
        event, event_id = self._with_id(event)
        await self._send(event)
        return event_id

    async def update_session(
        self, properties: RealtimeSessionCreateRequestGA | None = None, /, **changes: Any
    ) -> ServerSession:
        """Change the session: send the fields that differ, wait for ``session.updated``.

        ``update_session(instructions="...", max_output_tokens=2048)`` or
        ``update_session(SessionProperties(...))``.  The shortcuts ``voice=``, ``turn_detection=`` and
        ``transcription=`` set ``audio.output.voice``, ``audio.input.turn_detection`` and
        ``audio.input.transcription``.  An unknown or wrongly typed property raises
        ``ConfigurationError`` before anything is sent.  Raises ``ServerError`` if the server refuses,
        ``RequestTimeoutError`` when it does not answer in time.  Across a reconnect the update is sent
        again on the new connection.
        """
        update = session_properties(properties, "update_session")
        if changes:
            update = _config.merge(update, session_properties(changes, "update_session"))
        target = _config.normalise(_config.merge(self._config, _config.normalise(update)))
        delta = _config.diff(self._config, target)
        if delta is None:
            if self.server_session is not None:
                return self.server_session
            # A sideband with nothing configured yet: no session.created told us the session, so ask
            # (an update that changes nothing is answered with session.updated all the same).
            delta = _config.normalise(RealtimeSessionCreateRequestGA())

        def confirmed(_: Any) -> None:
            # Merge the delta, not the target: another update may have been confirmed in between.
            self._config = _config.merge(self._config, delta)

        updated = await self._request(
            SessionUpdate(session=delta), ("session.updated",), retry=True, on_result=confirmed
        )
        assert isinstance(updated, SessionUpdated)
        return updated.session

    async def append_audio(self, audio: bytes) -> None:
        """Append raw audio, already in the session's input format, to the input buffer."""
        await self.send(InputAudioBufferAppend(audio=audio))

    async def commit_audio(self) -> InputAudioBufferCommitted:
        """Commit the input buffer as a user item; returns ``input_audio_buffer.committed``."""
        await self._audio_io.sender.flush()
        event = await self._request(InputAudioBufferCommit(), ("input_audio_buffer.committed",))
        assert isinstance(event, InputAudioBufferCommitted)
        return event

    async def clear_audio(self) -> None:
        """Discard the input buffer; returns once the server confirmed."""
        self._audio_io.sender.reset()
        await self._request(InputAudioBufferClear(), ("input_audio_buffer.cleared",))

    async def add_item(
        self,
        item: RealtimeConversationItem | Mapping[str, Any] | str,
        *,
        previous_item_id: str | None = None,
        role: Literal["user", "system", "assistant"] = "user",
    ) -> RealtimeConversationItem:
        """Add an item and return the item as the server stored it.

        ``item`` is an item (``text_message(...)``, any ``RealtimeConversationItem``), a dict of one (as
        ``history=`` takes) or a string (a text message from ``role``); anything else raises
        ``ConfigurationError``.
        """
        item = conversation_item(item, role, "add_item")
        check_item_images([item])  # a hand-built image part the API would refuse: ImageError, not sent
        if not isinstance(item.id, str):
            # A client-chosen id (the API allows up to 32 characters) is how the acknowledgement is matched.
            item = msgspec.structs.replace(item, id=f"item_{secrets.token_hex(12)}")
        item_id = item.id
        event = ConversationItemCreate(item=item)
        if previous_item_id is not None:
            event = msgspec.structs.replace(event, previous_item_id=previous_item_id)
        added = await self._request(
            event,
            ("conversation.item.added", "conversation.item.created"),
            lambda e: e.item.id == item_id,
            retry=True,
        )
        assert isinstance(added, ConversationItemAdded | ConversationItemCreated)
        return added.item

    async def delete_item(self, item_id: str) -> None:
        await self._request(
            ConversationItemDelete(item_id=item_id),
            ("conversation.item.deleted",),
            lambda e: e.item_id == item_id,
            retry=True,
        )

    async def truncate_item(self, item_id: str, *, audio_end_ms: int, content_index: int = 0) -> None:
        """Cut an assistant audio item at ``audio_end_ms`` (what the user actually heard)."""
        await self._request(
            ConversationItemTruncate(item_id=item_id, content_index=content_index, audio_end_ms=audio_end_ms),
            ("conversation.item.truncated",),
            lambda e: e.item_id == item_id,
            retry=True,
        )

    async def retrieve_item(self, item_id: str) -> RealtimeConversationItem:
        event = await self._request(
            ConversationItemRetrieve(item_id=item_id),
            ("conversation.item.retrieved",),
            lambda e: e.item.id == item_id,
            retry=True,
        )
        assert isinstance(event, ConversationItemRetrieved)
        return event.item

    async def create_response(
        self,
        params: RealtimeResponseCreateParams | None = None,
        *,
        on_active: Literal["wait", "raise"] | None = None,
        **fields: Any,
    ) -> ResponseHandle:
        """Ask for a response; return its handle once ``response.created`` arrived.

        ``fields`` are ``RealtimeResponseCreateParams`` fields (``instructions=``, ``conversation="none"``...).
        While a response is active in the conversation this waits for it to finish (``on_active="raise"``:
        raises ``ResponseActiveError``).  Out-of-band responses (``conversation="none"``) never wait.
        ``RequestTimeoutError`` when ``response.created`` does not come within ``request_timeout`` (the
        response may still start: it is tracked, and a later ``create_response`` waits for it).  A
        connection lost before ``response.created`` raises ``ConnectionClosed`` even when a reconnect
        follows: the response did not survive it, and only the app knows whether to ask again.
        """
        params = params or RealtimeResponseCreateParams()
        if isinstance(fields.get("tools"), list):
            # Functions and Tools become definitions (and the session can run them when called).
            fields["tools"] = self._tools.add_tools(fields["tools"])
        if fields:
            params = msgspec.structs.replace(params, **fields)
        out_of_band = params.conversation == "none"
        mode = on_active or self._on_active
        if out_of_band:
            return await self._start_response(params, out_of_band=True)
        if mode == "raise" and (self._create_lock.locked() or self._book.active):
            raise ResponseActiveError("a response is active in the conversation")
        async with self._create_lock:
            while True:
                if mode == "raise" and self._book.active:
                    raise ResponseActiveError("a response is active in the conversation")
                await self._wait_idle()
                try:
                    return await self._start_response(params, out_of_band=False)
                except ServerError as exc:
                    # Only possible when server VAD started a response in the same instant; its
                    # response.created has arrived by now (frames are ordered), so wait and go again.
                    # With no active response known there is nothing to wait for: never spin.
                    if exc.code != _ALREADY_ACTIVE or mode == "raise" or not self._book.active:
                        raise

    async def cancel_response(self, response_id: str | None = None) -> None:
        """Cancel the active (or the given) response.  Never fails for want of an active response."""
        event = ResponseCancel() if response_id is None else ResponseCancel(response_id=response_id)
        await self.send(event)

    # -- tools ----------------------------------------------------------------------------------------

    @property
    def tools(self) -> ToolRegistry:
        """The tools the session runs when the model calls them (``tools=`` and per-response tools)."""
        return self._tools.registry

    def send_tool_result(self, call: ToolCall, output: object, *, is_error: bool = False) -> None:
        """Answer a call the app was handed (``auto_execute=False``; ``ToolCallStarted.call``).

        ``output`` is sent as is when a string, else as JSON; ``is_error`` sends ``{"error": output}``.
        Returns at once: the output is sent (after the call's response is done, in call order) and one new
        response is asked for when every call of that response has its result.  Raises
        ``ConfigurationError`` for a call that is not waiting for a result.
        """
        self._tools.answer(call, output, is_error=is_error)
