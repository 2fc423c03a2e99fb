"""Surviving a dropped connection and the session's time limit: reconnect, rollover, restore.

Theory of operation
-------------------
Opt-in: ``RealtimeSession(..., reconnect=ReconnectPolicy(...))``.  Once ``connect()`` has succeeded (a
failing first connect is never retried), a connection that ends abnormally — close code 1006 (a dropped
TCP connection or a missed heartbeat), 1011, 1012, 1013, or no code at all — or that the server ends
right after an ``error`` with code ``session_expired`` is replaced, not reported:

1. The session keeps everything that outlives a connection (the event stream, handlers, the
   ``Conversation``, tools) and drops what belonged to the old one: requests still waiting for their
   acknowledgement are sent again on the new connection when they mean the same there
   (``update_session``, item requests; see ``_wire.py``), the others and response handles fail
   with ``ConnectionClosed``; responses in progress are over
   (the conversation and the tool runner get a synthetic ``response.done`` with status ``incomplete``,
   the app gets their ids in ``Reconnected.lost_responses``).  Sends made from now on wait (the gate).
2. Attempts, after ``policy.delay(n)`` (exponential backoff with jitter, through the injectable
   ``sleep`` and ``random``): handshake, ``session.created``, the confirmed configuration as one
   ``session.update``, then ``conversation.restore_events()`` — text, transcripts in place of past
   audio, images and unknown parts as they were, function calls and outputs, with their item ids —
   pipelined and each acknowledged.  The restore's acknowledgements are kept from the app (it saw those
   items once already); what could not go back as it was is listed in ``Reconnected.not_restored``.
3. ``Reconnected`` goes to the app, then the gate opens and waiting sends go out on the new connection.

Authentication, permission, not-found and rate-limit answers to the handshake stop at once with that
error (the handshake cannot tell a rate limit from an exhausted quota, so 429 is never retried); so does
a server refusing the restore.  Other failures (5xx, timeouts, another drop) use the next attempt; after
``max_attempts`` the session ends with ``ConnectionClosed``.  When the session ends, iterators, waiters
and handles get the final error.

Rollover: ``expires_at`` (from ``session.created``) minus ``rollover_margin``, by the policy's ``clock``,
the timer fires; the SDK then waits for a quiet moment — no response active or being created, no tool
call being answered, the user not speaking — closes the connection itself (1000) and reconnects the same
way, without backoff for the first attempt.  Input audio the server had buffered but not committed is
lost with a connection (there is no way to restore it).
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Literal

import msgspec

from .._generated import (
    RealtimeResponse,
    RealtimeResponseStatusDetails,
    ResponseDone,
)
from .._struct import repr_without
from ..conversation import Conversation
from ..errors import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    ConnectTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RealtimeError,
    ServerError,
)
from ..events import AnyServerEvent, ClientEvent
from ..local_events import LocalEvent, Reconnected
from ..protocol import ABNORMAL_CLOSE_CODES, Continuity

if TYPE_CHECKING:
    pass


class ReconnectHooks(msgspec.Struct, frozen=True, kw_only=True):
    """What a reconnect may do in the session: narrow callables, never the session itself."""

    conversation: Conversation
    """What is restored; ``expires_at``; whether the user is speaking."""
    connect_timeout: float | None
    closing: Callable[[], bool]
    """The app is closing the session: nothing is replaced."""
    responding: Callable[[], bool]
    """A response is active in the conversation."""
    creating: Callable[[], bool]
    """A ``create_response`` is under way."""
    tools_busy: Callable[[], bool]
    """A tool call is being run or answered."""
    server_session_id: Callable[[], str | None]
    hang_up: Callable[[], Awaitable[None]]
    """Rollover: drop what belongs to the connection, close it (1000) and wait for its reader."""
    open: Callable[[], Awaitable[None]]
    """A new connection, up to its ``session.created``."""
    resend_configuration: Callable[[], Awaitable[None]]
    create_items: Callable[[list[ClientEvent]], Awaitable[None]]
    """Send the restore's items, ungated, each acknowledged."""
    discard_connection: Callable[[], Awaitable[None]]
    emit: Callable[[LocalEvent], Awaitable[None]]
    reopen: Callable[[], None]
    """Open the gate: waiting sends go out on the new connection."""
    shutdown: Callable[[RealtimeError], None]


__all__ = ["ReconnectPolicy", "Reconnector", "abandoned_responses"]

log = logging.getLogger("realtime_sdk")

_FATAL = (AuthenticationError, PermissionDeniedError, NotFoundError, RateLimitError, ServerError)


class ReconnectPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """When and how a session replaces its connection.  Pass as ``RealtimeSession(reconnect=...)``."""

    max_attempts: int = 6
    """Connection attempts per outage before giving up with ``ConnectionClosed``."""
    base_delay: float = 0.5
    """Seconds before the first attempt; doubled for each further one."""
    max_delay: float = 15.0
    jitter: float = 0.5
    """Each delay is scaled by a random factor in ``[1 - jitter, 1 + jitter]`` (then capped)."""
    close_codes: frozenset[int] = ABNORMAL_CLOSE_CODES
    """Close codes that mean "reconnect" (no code at all always does)."""
    rollover: bool = True
    """Replace the session before its ``expires_at``, at a quiet moment."""
    rollover_margin: float = 120.0
    """Seconds before ``expires_at`` from which a rollover is due; never before half of the session's life
    (from connecting to ``expires_at``) is used, and not at all when less than a second is left."""
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    random: Callable[[], float] = random.random
    clock: Callable[[], float] = time.time
    """Unix time, as ``expires_at`` is.  ``sleep``, ``random`` and ``clock`` are for tests: not shown."""

    def __repr__(self) -> str:
        return repr_without(self, frozenset({"sleep", "random", "clock"}))

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.rollover_margin < 0:
            raise ValueError("delays and the rollover margin must not be negative")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (1-based)."""
        base = self.base_delay * 2.0 ** max(0, attempt - 1)
        scaled = base * (1.0 + self.jitter * (2.0 * self.random() - 1.0))
        return max(0.0, min(self.max_delay, scaled))


def abandoned_responses(conversation: Conversation) -> list[ResponseDone]:
    """Synthetic ``response.done`` (``incomplete``) for the responses a lost connection took with it."""
    return [
        ResponseDone(
            event_id=f"sdk_lost_{secrets.token_hex(4)}",
            response=RealtimeResponse(
                id=response.id,
                status="incomplete",
                status_details=RealtimeResponseStatusDetails(type="incomplete", reason="connection_lost"),
            ),
        )
        for response in conversation.responses.values()
        if not response.done
    ]


class Reconnector:
    def __init__(self, hooks: ReconnectHooks, policy: ReconnectPolicy | None) -> None:
        self._hooks = hooks
        self.policy = policy
        self.armed = False
        """``connect()`` succeeded: from now on a lost connection may be replaced."""
        self.reconnecting = False
        self.rules = (
            Continuity(close_codes=policy.close_codes, margin=policy.rollover_margin)
            if policy is not None
            else Continuity()
        )
        """The decisions (what to replace, when to roll over, which echoes to hide): the core's."""
        self.task: asyncio.Task[None] | None = None
        self.timer: asyncio.Task[None] | None = None
        self.rollover_due = False
        self._changed = asyncio.Event()
        self._lost: tuple[str, ...] = ()
        self._not_restored: tuple[str, ...] = ()

    # -- the reader's side --------------------------------------------------------------------------

    def observe(self, event: AnyServerEvent) -> None:
        self.rules.receive(event)
        self._changed.set()

    def is_echo(self, event: AnyServerEvent) -> bool:
        """An acknowledgement of a restored item: for the restore's waiters only."""
        return self.rules.is_echo(event)

    def hides(self, event: AnyServerEvent) -> bool:
        """The new connection's greeting and configuration answer, while restoring."""
        return self.rules.hides(event)

    def poke(self) -> None:
        self._changed.set()

    # -- deciding -----------------------------------------------------------------------------------

    def should_reconnect(self, closed: ConnectionClosed) -> bool:
        if self.policy is None:
            return False
        return self.rules.should_reconnect(closed.code, armed=self.armed, closing=self._hooks.closing())

    def start(self, closed: ConnectionClosed, lost: tuple[str, ...]) -> None:
        """The connection is gone (and the session has dropped what belonged to it): replace it."""
        reason = self.rules.reason
        self._begin(lost)
        self.task = asyncio.ensure_future(self._supervise(closed, reason))
        self.task.set_name("realtime_sdk reconnect")

    def _begin(self, lost: tuple[str, ...]) -> None:
        self.reconnecting = True
        self._lost = lost
        self._cancel_timer()

    # -- rollover -----------------------------------------------------------------------------------

    def connected(self) -> None:
        """``connect()`` succeeded, or a reconnect did: arm, and time the next rollover."""
        self.armed = True
        self.rules.connected()
        self._cancel_timer()
        expires_at = self._hooks.conversation.expires_at
        if self.policy is not None and self.policy.rollover and expires_at is not None:
            self.timer = asyncio.ensure_future(self._rollover_at(expires_at))
            self.timer.set_name("realtime_sdk rollover")

    def _cancel_timer(self) -> None:
        timer, self.timer = self.timer, None
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    async def _rollover_at(self, expires_at: int) -> None:
        policy = self.policy
        assert policy is not None
        armed_at = policy.clock()
        due = self.rules.rollover_at(expires_at, armed_at)
        if due is None:
            # An expiry, if it comes, reconnects with backoff.
            life = expires_at - armed_at
            log.warning("the session expires %.1f s from now by this clock: not rolling it over", life)
            return
        while (remaining := due - policy.clock()) > 0:
            await policy.sleep(remaining)
            # A policy's own sleep that returns at once (and a clock that did not move) must not hold the
            # event loop in this loop: give the other tasks their turn every time round.
            await asyncio.sleep(0)
        self.rollover_due = True
        while not self._quiet():
            self._changed.clear()
            await self._changed.wait()
        self.rollover_due = False
        self.timer = None
        log.info("rolling the session over before it expires at %s", expires_at)
        self._begin(())
        await self._hooks.hang_up()
        self.task = asyncio.current_task()
        await self._supervise(None, "rollover")

    def _quiet(self) -> bool:
        hooks = self._hooks
        return Continuity.quiet(
            responding=hooks.responding(),
            creating=hooks.creating(),
            tools_busy=hooks.tools_busy(),
            speaking=hooks.conversation.speaking,
        )

    # -- reconnecting -------------------------------------------------------------------------------

    async def _supervise(
        self, closed: ConnectionClosed | None, reason: Literal["dropped", "expired", "rollover"]
    ) -> None:
        hooks = self._hooks
        policy = self.policy
        assert policy is not None
        last: BaseException | None = closed
        for attempt in range(1, policy.max_attempts + 1):
            backoff = attempt - 1 if reason == "rollover" else attempt
            if backoff > 0:
                await policy.sleep(policy.delay(backoff))
            try:
                restored = await self._attempt()
            except _FATAL as exc:
                log.warning("reconnect attempt %d failed for good: %s", attempt, exc)
                await hooks.discard_connection()
                exc.__cause__ = closed
                hooks.shutdown(exc)
                return
            except (ConnectError, ConnectionClosed) as exc:
                log.info("reconnect attempt %d failed: %s", attempt, exc)
                last = exc
                await hooks.discard_connection()
                continue
            notice = Reconnected(
                reason=reason,
                attempts=attempt,
                code=closed.code if closed is not None else None,
                session_id=hooks.server_session_id(),
                restored_items=restored,
                lost_responses=self._lost,
                not_restored=self._not_restored,
            )
            self.reconnecting = False
            self.task = None
            log.info("reconnected (%s) after %d attempt(s); %d items restored", reason, attempt, restored)
            await hooks.emit(notice)
            hooks.reopen()
            self.connected()
            return
        code = closed.code if closed is not None else None
        final = ConnectionClosed(code, f"gave up reconnecting after {policy.max_attempts} attempts")
        final.__cause__ = last
        hooks.shutdown(final)

    async def _attempt(self) -> int:
        hooks = self._hooks
        self.rules.begin_restore()
        try:
            async with asyncio.timeout(hooks.connect_timeout):
                await hooks.open()
                await hooks.resend_configuration()
                notes: list[str] = []
                events: list[ClientEvent] = hooks.conversation.restore_events(keep_ids=True, notes=notes)
                self._not_restored = tuple(notes)
                self.rules.restoring_items(events)
                await hooks.create_items(events)
                return len(events)
        except TimeoutError:
            raise ConnectTimeoutError(
                f"the new connection was not ready within {hooks.connect_timeout} s"
            ) from None
        finally:
            self.rules.end_restore()

    async def aclose(self) -> None:
        """Stop a running reconnect or rollover (the session is closing)."""
        tasks = [t for t in (self.task, self.timer) if t is not None and t is not asyncio.current_task()]
        self.task = self.timer = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except (asyncio.CancelledError, RealtimeError):
                pass
