"""Function calls in a session: run them (or hand them to the app), send the outputs, ask for one response.

Theory of operation
-------------------
Who decides what: the core's ``ToolBatches`` (``protocol/_tool_batches.py``) decides when a call is
ready, which calls it takes (those of responses active in the default conversation; the others are the
app's), how they group by response into batches, when a batch's response is done, and at the end of a
batch whether to ask for a follow-up, or none because the response was cancelled or a response that
started in the conversation after the outputs went out answers them (superseded).  This runner does what
those decisions need: it runs tools, holds the futures and tasks, sends the outputs and creates the
follow-up.  It sees every event right after ``session.conversation`` did and hands it to the core.

With ``auto_execute`` a ready call starts at once as its own task through ``run_tool`` (async tools
awaited, sync ones in a thread; an unknown tool, invalid arguments, an exception or the timeout each
become an error output the model can read), so the calls of one response run concurrently, and already
while the response is still streaming.  Without it the app gets ``ToolCallStarted(auto_execute=False)``
and answers with ``session.send_tool_result``.

One batch task per response waits until the core closes the batch (its ``response.done``), then for
each result in call order: it emits ``ToolCallFinished`` and sends the ``function_call_output`` item
(acknowledged), and tells the core the outputs went out.  Unless that already settled it (cancelled), it
waits until no response is active and claims the follow-up from the core, which answers at once: ask
(``create_response``, which itself waits while any response is active, so the request never races
one), superseded, or wait for the follow-up another batch was granted and has not started; the runner
tells the core when a follow-up started and when a batch ended, and hands the waiting batches what the
core decides then.  No lock: each decision is one synchronous call into the core.

The chain (``ResponseHandle.final()``): at a response's ``response.done`` the runner tells the app's
handle of it, if there is one, what follows it: nothing when the core took none of its calls, else the
batch keeps the handle and, when it ends, hands it the follow-up's handle (``create_response`` returns
once its ``response.created`` arrived) or the reason there is none: ``ResponseChainError`` (cancelled, or
answered by another response), the error that stopped the batch, or the session's end.

A response lost with a dropped connection counts as done (the session feeds a synthetic
``response.done`` here, which closes its batch in the core): its complete calls are answered on the new
connection.  A send that failed because the connection dropped under it is made again once the session
has reconnected; once the session is closed the batch ends quietly.  Every task is tracked and cancelled
at close.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from ..errors import ConfigurationError, ConnectionClosed, RealtimeError, ResponseChainError
from ..events import AnyServerEvent
from ..local_events import LocalEvent, ToolCallFinished, ToolCallStarted
from ..protocol import (
    AskFollowUp,
    BatchClosed,
    CallReady,
    ClaimAgain,
    LeftToApp,
    NoFollowUp,
    NothingFollows,
    ToolBatches,
)
from ..tools import Tool, ToolCall, ToolRegistry, ToolResult, encode_output
from ._run_tool import run_tool

if TYPE_CHECKING:
    from .._generated import RealtimeConversationItem
    from ..conversation import Item
    from ._responses import ResponseHandle


class ToolHooks(msgspec.Struct, frozen=True, kw_only=True):
    """What the runner may do in the session: narrow callables, never the session itself."""

    is_active: Callable[[str], bool]
    """Whether a response is active in the conversation (its calls are the runner's)."""
    handle_for: Callable[[str], ResponseHandle | None]
    """The app's handle of a response, if there is one."""
    emit: Callable[[LocalEvent], Awaitable[None]]
    add_item: Callable[[RealtimeConversationItem], Awaitable[object]]
    wait_idle: Callable[[], Awaitable[None]]
    create_response: Callable[[], Awaitable[ResponseHandle]]
    ended: Callable[[], RealtimeError | None]
    """The error that ended the session, ``None`` while it runs."""
    reconnecting: Callable[[], bool]
    items: Callable[[], Iterable[Item]]
    """The conversation's items, in order (to see outputs the app sent itself)."""


__all__ = ["ToolHooks", "ToolRunner"]

log = logging.getLogger("realtime_sdk")
T = TypeVar("T")


class _Batch(msgspec.Struct, eq=False):
    """The edge's side of one batch: futures only (what the batch is and decides is the core's)."""

    response_id: str
    results: dict[str, asyncio.Future[ToolResult]] = msgspec.field(default_factory=dict)
    closed: asyncio.Future[None] = msgspec.field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    verdict: asyncio.Future[NoFollowUp | ClaimAgain] | None = None
    """Set while the batch waits for another batch's follow-up; the core's decision resolves it."""
    handle: ResponseHandle | None = None
    """The app's handle of the response that made the calls (known at its ``response.done``)."""


class ToolRunner:
    def __init__(
        self,
        hooks: ToolHooks,
        registry: ToolRegistry,
        *,
        auto_execute: bool,
        timeout: float | None,
    ) -> None:
        self._hooks = hooks
        self.registry = registry
        self.auto_execute = auto_execute
        self.timeout = timeout
        self._core = ToolBatches(is_active=hooks.is_active)
        self._batches: dict[str, _Batch] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._notices: list[LocalEvent] = []
        self.on_change: Callable[[], None] = lambda: None

    @property
    def idle(self) -> bool:
        """No call is waiting, running or being answered."""
        return self._core.idle

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
        for out in self._core.receive(event):
            if isinstance(out, CallReady):
                self._start(out.call, opens_batch=out.opens_batch)
            elif isinstance(out, BatchClosed):
                batch = self._batches.get(out.response_id)
                if batch is not None and not batch.closed.done():
                    batch.handle = self._hooks.handle_for(out.response_id)
                    batch.closed.set_result(None)
            elif isinstance(out, NothingFollows):
                handle = self._hooks.handle_for(out.response_id)
                if handle is not None:
                    handle._follow(None)  # no call to answer: the end of its chain
            elif isinstance(out, LeftToApp):
                log.debug("call %s of response %s left to the app", out.call.call_id, out.call.response_id)

    @property
    def has_notices(self) -> bool:
        return bool(self._notices)

    def take_notices(self) -> list[LocalEvent]:
        notices, self._notices = self._notices, []
        return notices

    def _start(self, call: ToolCall, *, opens_batch: bool) -> None:
        assert call.response_id is not None  # the core takes only calls of a response
        if opens_batch:
            batch = self._batches[call.response_id] = _Batch(call.response_id)
            self._spawn(self._answer(batch), "realtime_sdk tool batch")
        else:
            batch = self._batches[call.response_id]
        future: asyncio.Future[ToolResult] = asyncio.get_running_loop().create_future()
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
        hooks, core, rid = self._hooks, self._core, batch.response_id
        following: ResponseHandle | BaseException | None = None
        try:
            await batch.closed
            for call in core.calls(rid):
                result = await batch.results[call.call_id]
                if self._answered(call.call_id):
                    continue  # the app sent an output itself (add_item)
                await hooks.emit(ToolCallFinished(call=call, result=result))
                await self._again_after_reconnect(lambda r=result: hooks.add_item(r.item))  # type: ignore[misc]
            decision: AskFollowUp | NoFollowUp | ClaimAgain | None = core.outputs_sent(rid)
            while decision is None or isinstance(decision, ClaimAgain):
                await self._again_after_reconnect(hooks.wait_idle)
                claim = core.claim_follow_up(rid)
                if isinstance(claim, AskFollowUp | NoFollowUp):
                    decision = claim
                else:  # another batch's follow-up is on its way: the core decides when it starts
                    batch.verdict = asyncio.get_running_loop().create_future()
                    decision = await batch.verdict
                    batch.verdict = None
            if isinstance(decision, AskFollowUp):
                following = await self._again_after_reconnect(hooks.create_response)
                self._deliver(core.follow_up_started(rid, following.id))
            else:
                following = _chain_error(decision)
        except RealtimeError as exc:
            following = exc
            if hooks.ended() is None:
                log.warning("could not answer the calls of response %s: %s", rid, exc)
        finally:
            if batch.handle is not None:
                batch.handle._follow(following if following is not None else self._ended())
            self._batches.pop(rid, None)
            self._deliver(core.finished(rid))
            self.on_change()

    def _deliver(self, decisions: Sequence[NoFollowUp | ClaimAgain]) -> None:
        """The core's decisions for batches waiting on another batch's follow-up."""
        for decision in decisions:
            batch = self._batches.get(decision.response_id)
            if batch is not None and batch.verdict is not None and not batch.verdict.done():
                batch.verdict.set_result(decision)

    def _ended(self) -> RealtimeError:
        return self._hooks.ended() or ConnectionClosed(None, "the session was closed")

    async def _again_after_reconnect(self, fn: Callable[[], Awaitable[T]]) -> T:
        """``fn()``; made again when the connection dropped under it and the session is reconnecting."""
        while True:
            try:
                return await fn()
            except ConnectionClosed:
                if not self._hooks.reconnecting():
                    raise

    def _answered(self, call_id: str) -> bool:
        return any(
            item.type == "function_call_output" and item.call_id == call_id for item in self._hooks.items()
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
            futures: list[asyncio.Future[Any]] = [batch.closed, *batch.results.values()]
            if batch.verdict is not None:
                futures.append(batch.verdict)
            for future in futures:
                future.cancel()
            if batch.handle is not None:  # a batch task cancelled before it ever ran
                batch.handle._follow(self._ended())
        self._batches.clear()
        self._core.clear()


def _chain_error(decision: NoFollowUp) -> ResponseChainError:
    if decision.reason == "cancelled":
        return ResponseChainError(
            f"response {decision.response_id} called tools and was cancelled: no answer was asked for",
            reason="cancelled",
            response_id=decision.response_id,
        )
    # A response started after the outputs went in: it answered them.
    return ResponseChainError(
        f"the outputs of response {decision.response_id} were answered by {decision.answered_by}",
        reason="superseded",
        response_id=decision.response_id,
        answered_by=decision.answered_by,
    )
