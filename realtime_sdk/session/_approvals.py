"""MCP approvals in a session: ask the app or a policy, send the answer, ask for the follow-up response.

The decisions (which requests are open, when a follow-up is due) are the core's ``ApprovalBook``; this
module runs what they need: the policy (a callable may be async), the ``ask`` timer that denies a request
nobody answered in time, the answer's ``conversation.item.create`` and the follow-up ``create_response``.
It gets narrow callables, never the session.  Every task is tracked and cancelled by ``aclose``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal, TypeAlias

from .._generated import RealtimeConversationItem
from ..errors import ConfigurationError, RealtimeError
from ..events import AnyServerEvent
from ..local_events import LocalEvent, McpApprovalRequested
from ..protocol import ApprovalBook, ApprovalRequested, FollowUp
from ._arguments import check_positive

__all__ = ["ApprovalDesk", "ApprovalPolicy"]

log = logging.getLogger("realtime_sdk")

ApprovalPolicy: TypeAlias = (
    Literal["deny", "approve", "ask"] | Callable[[McpApprovalRequested], bool | Awaitable[bool]]
)
"""``mcp_approval=``: deny or approve every request at once, let the app answer (``"ask"``), or a callable
(sync or async) that returns ``True`` to approve."""

_POLICIES = ("deny", "approve", "ask")


def check_policy(policy: object, timeout: object) -> None:
    if not (policy in _POLICIES or callable(policy)):
        raise ConfigurationError(
            f"mcp_approval must be 'deny', 'approve', 'ask' or a callable taking the request, not {policy!r}"
        )
    check_positive("mcp_approval_timeout", timeout, optional=True)


class ApprovalDesk:
    def __init__(
        self,
        *,
        policy: ApprovalPolicy,
        timeout: float | None,
        add_item: Callable[[RealtimeConversationItem], Awaitable[object]],
        create_response: Callable[[], Awaitable[object]],
        emit: Callable[[LocalEvent], Awaitable[None]],
    ) -> None:
        check_policy(policy, timeout)
        self.policy: ApprovalPolicy = policy
        self._timeout = timeout
        self._add_item = add_item
        self._create_response = create_response
        self._emit = emit
        self._book = ApprovalBook()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[str, asyncio.Task[None]] = {}

    @property
    def open(self) -> list[ApprovalRequested]:
        return self._book.open

    def observe(self, event: AnyServerEvent) -> None:
        for out in self._book.receive(event):
            if isinstance(out, ApprovalRequested):
                self._spawn(self._decide(out))
            else:
                self._spawn(self._follow_up(out))

    def started(self, *, out_of_band: bool) -> None:
        self._book.started(out_of_band=out_of_band)

    def connection_lost(self) -> None:
        for request_id in self._book.connection_lost():
            timer = self._timers.pop(request_id, None)
            if timer is not None:
                timer.cancel()
            log.warning("MCP approval request %s was lost with the connection", request_id)

    async def answer(self, request_id: str, approve: bool, reason: str | None = None) -> None:
        # Refused here, before anything is sent, when the request is unknown or answered already.
        event = self._book.answer(request_id, approve, reason=reason, item_id=f"mcpr_{secrets.token_hex(12)}")
        timer = self._timers.pop(request_id, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        await self._add_item(event.item)
        for follow_up in self._book.acknowledged(request_id):
            self._spawn(self._follow_up(follow_up))

    async def aclose(self) -> None:
        tasks = [*self._tasks, *self._timers.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._timers.clear()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def notice(self, request: ApprovalRequested) -> McpApprovalRequested:
        """The app's view of ``request``, naming who answers it."""
        policy = self.policy
        return McpApprovalRequested(
            request_id=request.request_id,
            server_label=request.server_label,
            name=request.name,
            arguments=request.arguments,
            response_id=request.response_id,
            policy=policy if isinstance(policy, str) else "callback",
        )

    async def _decide(self, request: ApprovalRequested) -> None:
        policy = self.policy
        notice = self.notice(request)
        kind = notice.policy
        if kind == "ask" and self._timeout is not None:
            self._timers[request.request_id] = asyncio.get_running_loop().create_task(
                self._deadline(request.request_id)
            )
        await self._emit(notice)
        if kind == "ask":
            return
        reason: str | None = None
        if callable(policy):
            try:
                verdict = policy(notice)
                if inspect.isawaitable(verdict):
                    verdict = await verdict
            except Exception:
                log.exception("the mcp_approval callable raised; request %s denied", request.request_id)
                verdict, reason = False, "the approval policy failed"
            approve = verdict is True
        else:
            approve = kind == "approve"
            if kind == "deny":
                reason = "denied by the client's approval policy"
                log.warning(
                    "MCP tool %s of %s asked for approval and was denied (mcp_approval='deny'; pass"
                    " mcp_approval='ask', 'approve' or a callable to decide)",
                    request.name,
                    request.server_label,
                )
        await self._answer_quietly(request.request_id, approve, reason)

    async def _deadline(self, request_id: str) -> None:
        assert self._timeout is not None
        await asyncio.sleep(self._timeout)  # a deadline, not a wait for something to happen
        self._timers.pop(request_id, None)
        log.warning("MCP approval request %s not answered within %s s: denied", request_id, self._timeout)
        await self._answer_quietly(request_id, False, f"no answer within {self._timeout:g} s")

    async def _answer_quietly(self, request_id: str, approve: bool, reason: str | None) -> None:
        if self._book.answered(request_id) is not None or request_id not in {r.request_id for r in self.open}:
            return  # the app answered meanwhile, or the connection that asked is gone
        try:
            await self.answer(request_id, approve, reason)
        except RealtimeError as exc:
            log.warning("could not answer MCP approval request %s: %s", request_id, exc)

    async def _follow_up(self, follow_up: FollowUp) -> None:
        try:
            await self._create_response()
        except RealtimeError as exc:
            log.warning("no response after the MCP approvals %s: %s", ", ".join(follow_up.request_ids), exc)
