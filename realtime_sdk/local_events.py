"""Events the SDK itself produces, delivered beside the server's: ``async for`` yields them, ``on()`` takes them.

They are not wire events (the server never sends them); their ``type`` starts with ``sdk.`` so that no
server event type can ever collide with them::

    async for event in session:
        match event:
            case Reconnected():          # the connection was replaced; the conversation was restored
                ...
            case ToolCallStarted(call=call):
                ...

``session.on(Reconnected, handler)`` and ``session.on("sdk.reconnected", handler)`` both work.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from ._struct import Struct
from .events import AnyServerEvent
from .tools import ToolCall, ToolResult

__all__ = [
    "LocalEvent",
    "McpApprovalRequested",
    "Reconnected",
    "SessionEvent",
    "ToolCallFinished",
    "ToolCallStarted",
]


class Reconnected(Struct, kw_only=True, tag_field="type", tag="sdk.reconnected"):
    """The session is on a new connection, configured and with the conversation restored.

    Everything the server sent on the old connection was delivered before this event; everything after
    it comes from the new one.  The restore's own acknowledgements (``session.created``,
    ``session.updated``, ``conversation.item.added``/``.done`` of restored items) are not delivered.
    """

    reason: Literal["dropped", "expired", "rollover"]
    """``dropped``: an abnormal close; ``expired``: the server ended the session at its time limit;
    ``rollover``: the SDK replaced the session before its ``expires_at``."""
    attempts: int
    """Connection attempts it took (1 when the first one succeeded)."""
    code: int | None
    """Close code of the old connection (1006 for a dropped one; ``None`` for a rollover)."""
    session_id: str | None
    """The new server session's id."""
    restored_items: int
    """How many conversation items were re-created on the new connection."""
    lost_responses: tuple[str, ...] = ()
    """Responses that were in progress when the connection dropped: they ended with it (their handles
    raised ``ConnectionClosed``); nothing re-creates them."""
    not_restored: tuple[str, ...] = ()
    """One line for each thing the restore could not send back as it was: assistant audio (the API
    takes no audio from the client in assistant messages; it went back as its transcript, or not at
    all), and items or parts left out.  Empty when the conversation came back whole."""


class ToolCallStarted(Struct, kw_only=True, tag_field="type", tag="sdk.tool_call.started"):
    """The model's call is complete (its arguments arrived).

    With ``auto_execute`` the SDK is running the tool now; otherwise the app answers it with
    ``session.send_tool_result(call, output)``.
    """

    call: ToolCall
    auto_execute: bool


class ToolCallFinished(Struct, kw_only=True, tag_field="type", tag="sdk.tool_call.finished"):
    """A call's result is known and is being sent as a ``function_call_output`` item."""

    call: ToolCall
    result: ToolResult


class McpApprovalRequested(Struct, kw_only=True, tag_field="type", tag="sdk.mcp_approval.requested"):
    """The server waits for approval before calling the MCP tool ``name`` of ``server_label``.

    ``policy`` says who answers: ``"ask"`` — the app, with ``session.answer_mcp_approval(request_id,
    approve)`` (denied when nobody answers within ``mcp_approval_timeout``); ``"approve"``/``"deny"`` — the
    session did at once; ``"callback"`` — the ``mcp_approval=`` callable decides.
    """

    request_id: str
    server_label: str
    name: str
    arguments: str
    """The arguments the model wrote for the tool (a JSON string)."""
    response_id: str | None
    policy: Literal["ask", "approve", "deny", "callback"]


LocalEvent: TypeAlias = Reconnected | ToolCallStarted | ToolCallFinished | McpApprovalRequested
SessionEvent: TypeAlias = AnyServerEvent | LocalEvent
"""What ``async for event in session`` yields: every server event and the SDK's own events."""
