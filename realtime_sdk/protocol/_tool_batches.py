"""Function calls grouped by response, and whether each group's outputs need a follow-up response.

Theory of operation
-------------------
A call is *ready* when its arguments are complete: ``response.function_call_arguments.done``, or a
completed ``function_call`` item in ``response.output_item.done`` or in ``response.done``'s output,
whichever comes first; a call id is taken once (``CallReady``).  Only calls of a response active in the
default conversation are taken (the edge's ``is_active``, the ``ResponseBook``'s answer): an out-of-band
response's items are not in the conversation, so the SDK has nothing to answer there (``LeftToApp``).

The calls of one response form a *batch*.  The batch closes at that response's ``response.done``
(``BatchClosed``; a lost connection's synthetic ``response.done`` closes it too); a ``response.done``
of a response none of whose calls were taken ends its chain (``NothingFollows``).  The edge then sends
each output and reports ``outputs_sent``; from then on the book decides, without awaiting anything,
whether the batch asks for a new response:

- its response was cancelled (a barge-in, or the app): no follow-up, the next response sees the
  outputs (``NoFollowUp(reason="cancelled")``, at ``outputs_sent``);
- a response started in the conversation after the outputs went out has seen them
  (``NoFollowUp(reason="superseded", answered_by=...)``): the book counts in-conversation
  ``response.created`` events and marks the count when the outputs went out;
- otherwise ``claim_follow_up`` (which the edge calls once nothing is active) grants the batch the one
  follow-up (``AskFollowUp``) and records it as pending until the edge reports it started
  (``follow_up_started``) or the batch ended without one (``finished``).  A batch that claims while
  another batch's follow-up is pending is told to wait (``Wait``): its outputs were acknowledged before
  that follow-up was created, so the follow-up will see them, and when it starts the waiting batch is
  told it is superseded by it.  A waiting batch whose outputs went out only after that follow-up had
  started, or whose awaited follow-up never came, is told to claim again (``ClaimAgain``).

Each decision is a plain method call, so two batches finishing together cannot both be granted: the
first claim records the pending follow-up before the second is looked at.

No I/O and no clock: the edge runs the tools, holds the futures and tasks, sends the outputs and creates
the follow-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec

from .._generated import (
    RealtimeConversationItemFunctionCall,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemDone,
)
from ..errors import ConfigurationError
from ..events import AnyServerEvent
from ..tools import ToolCall

__all__ = [
    "AskFollowUp",
    "BatchClosed",
    "CallReady",
    "ClaimAgain",
    "LeftToApp",
    "NoFollowUp",
    "NothingFollows",
    "ToolBatches",
    "Wait",
]


class CallReady(msgspec.Struct, frozen=True):
    """Output: run ``call`` (or hand it to the app); ``opens_batch`` for the first of its response."""

    call: ToolCall
    opens_batch: bool


class LeftToApp(msgspec.Struct, frozen=True):
    """Output: the SDK does not answer ``call``: its response is outside the default conversation, or done."""

    call: ToolCall


class BatchClosed(msgspec.Struct, frozen=True):
    """Output: the response of the batch ``response_id`` is done; its outputs may go out."""

    response_id: str


class NothingFollows(msgspec.Struct, frozen=True):
    """Output: the response ``response_id`` ended and none of its calls were taken: its chain ends."""

    response_id: str


class AskFollowUp(msgspec.Struct, frozen=True):
    """Decision: the batch ``response_id`` asks for the one new response that answers its outputs."""

    response_id: str


class NoFollowUp(msgspec.Struct, frozen=True):
    """Decision: the batch ``response_id`` asks for nothing (see ``reason``)."""

    response_id: str
    reason: Literal["cancelled", "superseded"]
    answered_by: str | None = None
    """For ``superseded``: the response that started after the outputs went out."""


class Wait(msgspec.Struct, frozen=True):
    """Decision pending: the follow-up granted to the batch ``behind`` has not started yet."""

    response_id: str
    behind: str


class ClaimAgain(msgspec.Struct, frozen=True):
    """Decision: the follow-up the batch waited for will not answer its outputs; claim once idle again."""

    response_id: str


class _Batch(msgspec.Struct):
    calls: list[ToolCall] = msgspec.field(default_factory=list)
    closed: bool = False
    cancelled: bool = False
    mark: int | None = None
    """In-conversation ``response.created`` events counted when the outputs went out."""


class ToolBatches:
    """The one owner of tool-call readiness, batches and their follow-ups (see the module's docstring)."""

    WANTS = (
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.created",
        "response.done",
    )
    """The event types ``receive`` reads."""

    def __init__(self, is_active: Callable[[str], bool]) -> None:
        self._is_active = is_active
        self._taken: set[str] = set()
        self._batches: dict[str, _Batch] = {}
        self._created = 0
        """In-conversation ``response.created`` events seen."""
        self._last_created: str | None = None
        self._granted: str | None = None
        """The batch whose follow-up was granted and has not started yet (at most one)."""
        self._waiting: list[str] = []
        """Batches waiting for the granted follow-up, in claim order."""
        self._created_at: dict[str, int] = {}
        """The count at each in-conversation ``response.created`` seen while a follow-up was granted."""

    @property
    def idle(self) -> bool:
        """No batch is open: no call is waiting, running or being answered."""
        return not self._batches

    def calls(self, response_id: str) -> tuple[ToolCall, ...]:
        """The calls taken from ``response_id``, in the order they became ready."""
        batch = self._batches.get(response_id)
        return tuple(batch.calls) if batch is not None else ()

    # -- the server's side --------------------------------------------------------------------------

    def receive(self, event: AnyServerEvent) -> list[CallReady | LeftToApp | BatchClosed | NothingFollows]:
        if isinstance(event, ResponseFunctionCallArgumentsDone):
            return self._ready(ToolCall.from_event(event))
        if isinstance(event, ResponseOutputItemDone):
            return self._ready(ToolCall.from_event(event)) if _completed_call(event.item) else []
        if isinstance(event, ResponseCreated):
            if event.response.conversation_id is not None:
                self._created += 1
                rid = event.response.id if isinstance(event.response.id, str) else None
                self._last_created = rid
                if self._granted is not None and rid is not None:
                    self._created_at[rid] = self._created
            return []
        if isinstance(event, ResponseDone):
            return self._done(event)
        return []

    def _ready(self, call: ToolCall | None) -> list[CallReady | LeftToApp | BatchClosed | NothingFollows]:
        if call is None or call.call_id in self._taken or call.response_id is None:
            return []
        batch = self._batches.get(call.response_id)
        if (batch is not None and batch.closed) or not self._is_active(call.response_id):
            return [LeftToApp(call)]
        self._taken.add(call.call_id)
        opens = batch is None
        if batch is None:
            batch = self._batches[call.response_id] = _Batch()
        batch.calls.append(call)
        return [CallReady(call, opens_batch=opens)]

    def _done(self, event: ResponseDone) -> list[CallReady | LeftToApp | BatchClosed | NothingFollows]:
        rid = event.response.id if isinstance(event.response.id, str) else None
        if rid is None:
            return []
        out: list[CallReady | LeftToApp | BatchClosed | NothingFollows] = []
        for item in event.response.output if isinstance(event.response.output, list) else ():
            call = ToolCall.from_event(item) if _completed_call(item) else None
            if call is not None:
                out += self._ready(msgspec.structs.replace(call, response_id=rid))
        batch = self._batches.get(rid)
        if batch is None:
            out.append(NothingFollows(rid))
        elif not batch.closed:
            batch.closed = True
            batch.cancelled = event.response.status == "cancelled"
            out.append(BatchClosed(rid))
        return out

    # -- the edge's side ----------------------------------------------------------------------------

    def outputs_sent(self, response_id: str) -> NoFollowUp | None:
        """Every output of the closed batch went out; ``None``: claim the follow-up once idle."""
        batch = self._open(response_id)
        if not batch.closed:
            raise ConfigurationError(f"the response {response_id} is not done: its outputs cannot be sent")
        batch.mark = self._created
        if batch.cancelled:
            return NoFollowUp(response_id, "cancelled")
        return None

    def claim_follow_up(self, response_id: str) -> AskFollowUp | NoFollowUp | Wait:
        """Whether the batch asks for the follow-up now (call it once no response is active)."""
        batch = self._open(response_id)
        if batch.mark is None:
            raise ConfigurationError(f"the outputs of response {response_id} have not gone out")
        if batch.cancelled:
            return NoFollowUp(response_id, "cancelled")
        if self._created != batch.mark:
            return NoFollowUp(response_id, "superseded", self._last_created)
        if self._granted is not None and self._granted != response_id:
            if response_id not in self._waiting:
                self._waiting.append(response_id)
            return Wait(response_id, self._granted)
        self._granted = response_id
        return AskFollowUp(response_id)

    def follow_up_started(self, response_id: str, started: str | None) -> list[NoFollowUp | ClaimAgain]:
        """The follow-up granted to ``response_id`` started as the response ``started``.

        Returns the decisions for the batches that waited for it.
        """
        if self._granted != response_id:
            return []
        at = self._created_at.get(started) if started is not None else None
        out: list[NoFollowUp | ClaimAgain] = []
        for waiter in self._waiting:
            mark = self._batches[waiter].mark
            assert mark is not None
            if at is not None:
                seen = at > mark
                by = started
            else:  # a nameless follow-up: judged by the count alone
                seen, by = self._created > mark, self._last_created
            out.append(NoFollowUp(waiter, "superseded", by) if seen else ClaimAgain(waiter))
        self._release()
        return out

    def finished(self, response_id: str) -> list[ClaimAgain]:
        """The batch ended (answered, refused or failed); batches waiting for its follow-up claim again."""
        self._batches.pop(response_id, None)
        if response_id in self._waiting:
            self._waiting.remove(response_id)
        if self._granted != response_id:
            return []
        out = [ClaimAgain(waiter) for waiter in self._waiting]
        self._release()
        return out

    def clear(self) -> None:
        """The session closed: forget every batch."""
        self._batches.clear()
        self._release()

    def _release(self) -> None:
        self._granted = None
        self._waiting.clear()
        self._created_at.clear()

    def _open(self, response_id: str) -> _Batch:
        batch = self._batches.get(response_id)
        if batch is None:
            raise ConfigurationError(f"no open tool batch for response {response_id!r}")
        return batch


def _completed_call(item: object) -> bool:
    return isinstance(item, RealtimeConversationItemFunctionCall) and item.status == "completed"
