"""Function calls in a session: run them (or hand them to the app), send the outputs, ask for one response.

Theory of operation
-------------------
The runner sees every event right after ``session.conversation`` did.  A call is *ready* when its
arguments are complete: ``response.function_call_arguments.done``, or a completed ``function_call`` item
in ``response.output_item.done`` or ``response.done``, whichever comes first (a call id is taken once).
Calls are grouped by response into a batch.  Calls of out-of-band responses (``conversation="none"``)
are left to the app: their items are not in the conversation, so there is nothing to answer there.

With ``auto_execute`` a ready call starts at once as its own task through ``run_tool`` (async tools
awaited, sync ones in a thread; an unknown tool, invalid arguments, an exception or the timeout each
become an error output the model can read), so the calls of one response run concurrently, and already
while the response is still streaming.  Without it the app gets ``ToolCallStarted(auto_execute=False)``
and answers with ``session.send_tool_result``.

One batch task per response waits for ``response.done``, then for each result in call order: it emits
``ToolCallFinished`` and sends the ``function_call_output`` item (acknowledged).  Then it asks for exactly
one new response with ``create_response``, which waits while any response is active, so the request
never races one.  No new response when the batch's response was cancelled (a barge-in, or the app
cancelled it: the next response will see the outputs), nor when a response started in the conversation
after the outputs went out (it has seen them already).

The chain (``ResponseHandle.final()``): at a response's ``response.done`` the runner tells the app's
handle of it, if there is one, what follows it: nothing when the runner took none of its calls, else the
batch keeps the handle and, when it ends, hands it the follow-up's handle (``create_response`` returns
once its ``response.created`` arrived) or the reason there is none: ``ResponseChainError`` (cancelled, or
answered by another response), the error that stopped the batch, or the session's end.

A response lost with a dropped connection counts as done (the session feeds a synthetic
``response.done`` here): its complete calls are answered on the new connection.  A send that failed
because the connection dropped under it is made again once the session has reconnected; once the
session is closed the batch ends quietly.  Every task is tracked and cancelled at close.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from .._generated import (
    RealtimeConversationItemFunctionCall,
    ResponseCreated,
    ResponseDone,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemDone,
)
from ..errors import ConfigurationError, ConnectionClosed, RealtimeError, ResponseChainError
from ..events import AnyServerEvent
from ..local_events import LocalEvent, ToolCallFinished, ToolCallStarted
from ..tools import Tool, ToolCall, ToolRegistry, ToolResult, encode_output
from ._run_tool import run_tool

if TYPE_CHECKING:
    from .._generated import RealtimeConversationItem, RealtimeResponseCreateParams
    from ..conversation import Conversation
    from ..protocol import ResponseBook
    from ._responses import ResponseHandle


class ToolHost(Protocol):
    """What the runner needs from the session (stated here, so this module never imports it)."""

    conversation: Conversation
    _book: ResponseBook
    _closed: RealtimeError | None

    @property
    def closed(self) -> bool: ...
    @property
    def _reconnecting(self) -> bool: ...
    def _handle_for(self, response_id: str) -> ResponseHandle | None: ...
    async def _emit(self, event: LocalEvent) -> None: ...
    async def _wait_idle(self) -> None: ...
    async def add_item(
        self,
        item: RealtimeConversationItem | str,
        *,
        previous_item_id: str | None = None,
        role: Literal["user", "system", "assistant"] = "user",
    ) -> RealtimeConversationItem: ...
    async def create_response(
        self,
        params: RealtimeResponseCreateParams | None = None,
        *,
        on_active: Literal["wait", "raise"] | None = None,
        **fields: Any,
    ) -> ResponseHandle: ...


__all__ = ["ToolRunner"]

log = logging.getLogger("realtime_sdk")
T = TypeVar("T")


@dataclass(eq=False)
class _Batch:
    response_id: str
    calls: dict[str, ToolCall] = field(default_factory=dict)
    results: dict[str, asyncio.Future[ToolResult]] = field(default_factory=dict)
    status: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    handle: ResponseHandle | None = None
    """The app's handle of the response that made the calls (known at its ``response.done``)."""


class ToolRunner:
    def __init__(
        self,
        session: ToolHost,
        registry: ToolRegistry,
        *,
        auto_execute: bool,
        timeout: float | None,
    ) -> None:
        self._session = session
        self.registry = registry
        self.auto_execute = auto_execute
        self.timeout = timeout
        self._batches: dict[str, _Batch] = {}
        self._taken: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._notices: list[LocalEvent] = []
        self._created = 0
        """In-conversation ``response.created`` events seen: tells whether a response saw the outputs."""
        self._last_created: str | None = None
        """The id of the latest of them."""
        self._asking = asyncio.Lock()
        """One batch at a time decides whether to ask for a follow-up: two batches finishing together
        would otherwise both see no new response and ask twice, the second answering nothing new."""
        self.on_change: Callable[[], None] = lambda: None

    @property
    def idle(self) -> bool:
        """No call is waiting, running or being answered."""
        return not self._batches

    def add_tools(self, tools: list[Any]) -> list[Any]:
        """Register the ``Tool``s and functions among ``tools``; return the list as wire definitions."""
        out: list[Any] = []
        for t in tools:
            if isinstance(t, Tool) or (callable(t) and not hasattr(t, "__struct_config__")):
                out.append(self.registry.add(t).definition)
            else:
                out.append(t)
        return out

    # -- the reader's side (sync, in event order) ----------------------------------------------------

    def observe(self, event: AnyServerEvent) -> None:
        if isinstance(event, ResponseFunctionCallArgumentsDone):
            self._ready(ToolCall.from_event(event))
        elif isinstance(event, ResponseOutputItemDone):
            if _completed_call(event.item):
                self._ready(ToolCall.from_event(event))
        elif isinstance(event, ResponseCreated):
            if event.response.conversation_id is not None:
                self._created += 1
                self._last_created = event.response.id if isinstance(event.response.id, str) else None
        elif isinstance(event, ResponseDone):
            rid = event.response.id if isinstance(event.response.id, str) else None
            if rid is None:
                return
            for item in event.response.output or ():
                call = ToolCall.from_event(item) if _completed_call(item) else None
                if call is not None:
                    self._ready(dataclasses.replace(call, response_id=rid))
            batch = self._batches.get(rid)
            handle = self._session._handle_for(rid)
            if batch is None:
                if handle is not None:
                    handle._follow(None)  # no call to answer: the end of its chain
            elif not batch.status.done():
                batch.handle = handle
                status = event.response.status
                batch.status.set_result(status if isinstance(status, str) else "completed")

    def take_notices(self) -> list[LocalEvent]:
        notices, self._notices = self._notices, []
        return notices

    def _ready(self, call: ToolCall | None) -> None:
        if call is None or call.call_id in self._taken or call.response_id is None:
            return
        if not self._session._book.is_active(call.response_id):
            log.debug("call %s of out-of-band response %s left to the app", call.call_id, call.response_id)
            return
        self._taken.add(call.call_id)
        batch = self._batches.get(call.response_id)
        if batch is None:
            batch = self._batches[call.response_id] = _Batch(call.response_id)
            self._spawn(self._answer(batch), "realtime_sdk tool batch")
        future: asyncio.Future[ToolResult] = asyncio.get_running_loop().create_future()
        batch.calls[call.call_id] = call
        batch.results[call.call_id] = future
        self._notices.append(ToolCallStarted(call=call, auto_execute=self.auto_execute))
        if self.auto_execute:
            self._spawn(self._run(call, future), f"realtime_sdk tool {call.name}")

    # -- the app's side -------------------------------------------------------------------------------

    def answer(self, call: ToolCall, output: object, *, is_error: bool) -> None:
        batch = self._batches.get(call.response_id or "")
        future = batch.results.get(call.call_id) if batch is not None else None
        if future is None:
            raise ConfigurationError(f"no call {call.call_id!r} is waiting for a result")
        if future.done():
            raise ConfigurationError(f"call {call.call_id!r} has a result already")
        if is_error:
            future.set_result(ToolResult.error(call, str(output)))
        else:
            future.set_result(ToolResult(call_id=call.call_id, output=encode_output(output), name=call.name))

    # -- tasks ----------------------------------------------------------------------------------------

    async def _run(self, call: ToolCall, future: asyncio.Future[ToolResult]) -> None:
        result = await run_tool(self.registry, call, self.timeout)
        if not future.done():  # the app may have answered it first
            future.set_result(result)

    async def _answer(self, batch: _Batch) -> None:
        session = self._session
        following: ResponseHandle | BaseException | None = None
        try:
            status = await batch.status
            for call_id, call in batch.calls.items():
                result = await batch.results[call_id]
                if self._answered(call_id):
                    continue  # the app sent an output itself (add_item)
                await session._emit(ToolCallFinished(call=call, result=result))
                await self._again_after_reconnect(lambda r=result: session.add_item(r.item))  # type: ignore[misc]
            seen = self._created
            if status == "cancelled":
                following = ResponseChainError(
                    f"response {batch.response_id} called tools and was cancelled: no answer was asked for",
                    reason="cancelled",
                    response_id=batch.response_id,
                )
                return
            async with self._asking:
                await self._again_after_reconnect(session._wait_idle)
                if self._created != seen:
                    # A response started after the outputs went in: it answered them.
                    following = ResponseChainError(
                        f"the outputs of response {batch.response_id} were answered by {self._last_created}",
                        reason="superseded",
                        response_id=batch.response_id,
                        answered_by=self._last_created,
                    )
                    return
                following = await self._again_after_reconnect(session.create_response)
        except RealtimeError as exc:
            following = exc
            if not session.closed:
                log.warning("could not answer the calls of response %s: %s", batch.response_id, exc)
        finally:
            if batch.handle is not None:
                batch.handle._follow(following if following is not None else self._ended())
            self._batches.pop(batch.response_id, None)
            self.on_change()

    def _ended(self) -> RealtimeError:
        return self._session._closed or ConnectionClosed(None, "the session was closed")

    async def _again_after_reconnect(self, fn: Callable[[], Awaitable[T]]) -> T:
        """``fn()``; made again when the connection dropped under it and the session is reconnecting."""
        while True:
            try:
                return await fn()
            except ConnectionClosed:
                if not self._session._reconnecting:
                    raise

    def _answered(self, call_id: str) -> bool:
        return any(
            item.type == "function_call_output" and item.call_id == call_id
            for item in self._session.conversation.items
        )

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Cancel every tool and batch task and wait for them."""
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for batch in self._batches.values():
            futures: list[asyncio.Future[Any]] = [batch.status, *batch.results.values()]
            for future in futures:
                future.cancel()
            if batch.handle is not None:  # a batch task cancelled before it ever ran
                batch.handle._follow(self._ended())
        self._batches.clear()


def _completed_call(item: object) -> bool:
    return isinstance(item, RealtimeConversationItemFunctionCall) and item.status == "completed"
