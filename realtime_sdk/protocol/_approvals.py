"""MCP approval requests: which are open, which were answered, and when the model needs a new response.

Theory of operation
-------------------
An MCP tool configured with ``require_approval`` makes the server stop before calling it and put an
``mcp_approval_request`` item in the conversation (seen in ``response.output_item.done``, in
``conversation.item.added``/``done`` and in ``response.done``'s output; the first sighting counts).  Until
an ``mcp_approval_response`` item answers it, the tool is not called: a client that never answers leaves
the model waiting for ever.  So every request is an output (``ApprovalRequested``) that the app or a
policy must answer, through ``answer``, which builds the ``conversation.item.create`` to send.

Requests are grouped by the response that carried them (a *batch*; a request seen only as a conversation
item is a batch of its own, until a response's ``response.output_item.done`` or ``response.done`` shows
that it belongs to that response).  When a batch's response is done and every request in it has been answered
(and the server acknowledged the answer: ``acknowledged``), the book asks, once, for a new response
(``FollowUp``) so the model goes on with the approved calls or hears of the denied ones.  No follow-up
when a response started in the conversation after the answers went out (it has seen them), nor when the
batch's response was cancelled.  A lost connection abandons the open requests (``connection_lost``):
their items are gone with the server's session.

No I/O and no clock: the edge feeds events, sends what ``answer`` returns, and runs policies and timers.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET

from .._generated import (
    ConversationItemAdded,
    ConversationItemCreate,
    ConversationItemDone,
    RealtimeMCPApprovalRequest,
    RealtimeMCPApprovalResponse,
    ResponseDone,
    ResponseOutputItemDone,
)
from ..errors import ConfigurationError
from ..events import AnyServerEvent

__all__ = ["ApprovalBook", "ApprovalRequested", "FollowUp"]


class ApprovalRequested(msgspec.Struct, frozen=True):
    """Output: the server waits for an answer to ``request_id`` before calling the MCP tool ``name``."""

    request_id: str
    server_label: str
    name: str
    arguments: str
    """The tool's arguments as the model wrote them (a JSON string)."""
    response_id: str | None


class FollowUp(msgspec.Struct, frozen=True):
    """Output: every request of the response ``response_id`` is answered; ask for a new response."""

    response_id: str | None
    request_ids: tuple[str, ...]


class _Batch(msgspec.Struct):
    requests: list[str] = msgspec.field(default_factory=list)
    done: bool = False
    cancelled: bool = False
    sent: set[str] = msgspec.field(default_factory=set)
    """Requests whose answer went out."""
    acknowledged: set[str] = msgspec.field(default_factory=set)
    superseded: bool = False
    followed: bool = False


class ApprovalBook:
    """The one owner of MCP approval requests (see the module's docstring)."""

    WANTS = (
        "response.output_item.done",
        "conversation.item.added",
        "conversation.item.done",
        "response.done",
    )
    """The event types ``receive`` reads."""

    def __init__(self) -> None:
        self._open: dict[str, ApprovalRequested] = {}
        self._answered: dict[str, bool] = {}
        self._batch_of: dict[str, str | None] = {}
        self._batches: dict[str | None, _Batch] = {}
        self._solo = 0

    @property
    def open(self) -> list[ApprovalRequested]:
        """The requests nobody has answered yet, oldest first."""
        return list(self._open.values())

    def answered(self, request_id: str) -> bool | None:
        """``True``/``False``: how ``request_id`` was answered; ``None``: not answered (or unknown)."""
        return self._answered.get(request_id)

    def receive(self, event: AnyServerEvent) -> list[ApprovalRequested | FollowUp]:
        if isinstance(event, ResponseOutputItemDone):
            return self._sighted(event.item, event.response_id)
        if isinstance(event, ConversationItemAdded | ConversationItemDone):
            return self._sighted(event.item, None)
        if isinstance(event, ResponseDone):
            rid = event.response.id if isinstance(event.response.id, str) else None
            out: list[ApprovalRequested | FollowUp] = []
            for item in event.response.output if isinstance(event.response.output, list) else ():
                out += self._sighted(item, rid)
            batch = self._batches.get(rid) if rid is not None else None
            if batch is not None:
                batch.done = True
                batch.cancelled = event.response.status == "cancelled"
                out += self._follow_up(rid)
            return out
        return []

    def started(self, *, out_of_band: bool) -> None:
        """A response started; one in the conversation makes answered batches' follow-ups unneeded."""
        if out_of_band:
            return
        for batch in self._batches.values():
            # Only a response that saw every answer goes on from them; answers sent later still need one.
            if batch.sent and not batch.followed and batch.sent.issuperset(batch.requests):
                batch.superseded = True

    def answer(
        self, request_id: str, approve: bool, *, reason: str | None, item_id: str
    ) -> ConversationItemCreate:
        """The event that answers ``request_id``; ``ConfigurationError`` for an unknown or answered one."""
        if not isinstance(approve, bool):
            raise ConfigurationError(f"answer_mcp_approval: approve must be True or False, not {approve!r}")
        if reason is not None and not isinstance(reason, str):
            raise ConfigurationError(f"answer_mcp_approval: reason must be a string, not {reason!r}")
        if request_id in self._answered:
            raise ConfigurationError(f"MCP approval request {request_id!r} was answered already")
        if request_id not in self._open:
            known = ", ".join(self._open) or "none is open"
            raise ConfigurationError(f"no open MCP approval request {request_id!r} ({known})")
        del self._open[request_id]
        self._answered[request_id] = approve
        batch = self._batches[self._batch_of[request_id]]
        batch.sent.add(request_id)
        item = RealtimeMCPApprovalResponse(
            id=item_id,
            approval_request_id=request_id,
            approve=approve,
            reason=UNSET if reason is None else reason,
        )
        return ConversationItemCreate(item=item)

    def acknowledged(self, request_id: str) -> list[FollowUp]:
        """The server stored the answer to ``request_id``."""
        if request_id not in self._batch_of:
            return []
        key = self._batch_of[request_id]
        self._batches[key].acknowledged.add(request_id)
        return self._follow_up(key)

    def connection_lost(self) -> list[str]:
        """The open requests, abandoned: the server that asked is gone."""
        lost = list(self._open)
        self._open.clear()
        for batch in self._batches.values():
            batch.followed = True  # nothing to follow up on a new connection
        return lost

    def _sighted(self, item: object, response_id: str | None) -> list[ApprovalRequested | FollowUp]:
        if not isinstance(item, RealtimeMCPApprovalRequest):
            return []
        if item.id in self._batch_of:
            self._rehome(item.id, response_id)
            return []
        if response_id is None:
            self._solo += 1
            key: str | None = f"\x00solo{self._solo}"
            self._batches[key] = _Batch(done=True)
        else:
            key = response_id
            self._batches.setdefault(key, _Batch())
        self._batches[key].requests.append(item.id)
        self._batch_of[item.id] = key
        request = ApprovalRequested(item.id, item.server_label, item.name, item.arguments, response_id)
        self._open[item.id] = request
        return [request]

    def _rehome(self, request_id: str, response_id: str | None) -> None:
        """A request first seen as a conversation item (the API sends ``conversation.item.added`` before
        ``response.output_item.done``) joins the batch of the response that turns out to carry it."""
        key = self._batch_of[request_id]
        if response_id is None or key is None or not key.startswith("\x00"):
            return
        solo = self._batches[key]
        if solo.followed:
            return  # already answered and followed up on its own
        del self._batches[key]
        batch = self._batches.setdefault(response_id, _Batch())
        batch.requests.append(request_id)
        batch.sent |= solo.sent
        batch.acknowledged |= solo.acknowledged
        self._batch_of[request_id] = response_id
        request = self._open.get(request_id)
        if request is not None:
            self._open[request_id] = msgspec.structs.replace(request, response_id=response_id)

    def _follow_up(self, key: str | None) -> list[FollowUp]:
        batch = self._batches.get(key)
        if batch is None or batch.followed or not batch.done or not batch.requests:
            return []
        if set(batch.requests) - batch.acknowledged:
            return []
        batch.followed = True
        if batch.cancelled or batch.superseded:
            return []
        response_id = None if key is None or key.startswith("\x00") else key
        return [FollowUp(response_id, tuple(batch.requests))]
