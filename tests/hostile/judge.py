"""The judge every hostile test passes through.

``Judge`` watches one test: it captures every log record at DEBUG and every report the loop's exception
handler gets ("Future exception was never retrieved" among them), and at the end checks that no SDK task,
no socket the test opened and no aiohttp ``ClientSession`` remains, and that the key (whole or a 20-char
prefix) is nowhere: not in a log record, not in any exception it was shown (walking ``__cause__`` and
``__context__``), not in a repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import aiohttp

from realtime_sdk import RealtimeError

KEY = "sk-hostile-" + "k3y" * 12
"""Long enough that its 20-character prefix is distinctive."""
PREFIX = KEY[:20]

BOUND = 2.0
"""Seconds within which a fault must end in a typed error or a recovery."""

T = TypeVar("T")


class Hang(AssertionError):
    """A wait the SDK should have bounded was not."""


def secret_in(text: str, key: str = KEY) -> bool:
    return key in text or key[:20] in text


def chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything reachable through ``__cause__`` and ``__context__``."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]
    return seen


def exposes(exc: BaseException, key: str = KEY) -> list[str]:
    """Where in ``exc``'s chain the key shows (str, repr or an argument's repr)."""
    found = []
    for e in chain(exc):
        texts = [str(e), repr(e), *(repr(a) for a in e.args), *(repr(v) for v in vars(e).values())]
        if any(secret_in(t, key) for t in texts):
            found.append(f"{type(e).__qualname__}: {repr(e)[:200]}")
    return found


def _socket_fds() -> set[str]:
    fds = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            fds.add(target)
    return fds


def _open_client_sessions() -> list[aiohttp.ClientSession]:
    return [o for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession) and not o.closed]


def sdk_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t.get_name().startswith("realtime_sdk") and not t.done()}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))  # includes exc_info's traceback


class Judge:
    def __init__(self, key: str = KEY) -> None:
        self.key = key
        self.logs = _Records()
        self.loop_reports: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self.sessions: list[Any] = []
        self.check_logs = True

    def track(self, session: T) -> T:
        """A session to close and judge at the end."""
        self.sessions.append(session)
        return session

    def saw(self, exc: BaseException) -> BaseException:
        """Record an exception the app was shown, so the key check walks it."""
        self.errors.append(exc)
        return exc

    async def bounded(self, aw: Awaitable[T], bound: float = BOUND, what: str = "the fault") -> T:
        """``aw``, or ``Hang`` when it is not over within ``bound`` seconds; typed errors pass through."""
        try:
            async with asyncio.timeout(bound):
                return await aw
        except TimeoutError as exc:
            if isinstance(exc, RealtimeError):
                self.saw(exc)
                raise
            raise Hang(f"{what} did not end within {bound} s") from None
        except BaseException as exc:
            self.saw(exc)
            raise

    async def raises(
        self, aw: Awaitable[Any], bound: float = BOUND, what: str = "the fault"
    ) -> RealtimeError:
        """The typed error ``aw`` ends in within ``bound``; anything else fails the test."""
        try:
            await self.bounded(aw, bound, what)
        except RealtimeError as exc:
            return exc
        raise AssertionError(f"{what} ended without an error")

    async def close(self, session: Any, bound: float | None = None) -> None:
        """``session.close()``: within its timeout (+ 2 s), raising nothing untyped."""
        limit = (bound if bound is not None else session._close_timeout) + BOUND
        try:
            await self.bounded(session.close(), limit, "close()")
        except RealtimeError:
            pass  # typed: allowed

    def check_final(self, baseline: set[str], sessions: list[Any]) -> None:
        gc.collect()
        problems: list[str] = []
        if left := sdk_tasks():
            problems.append(f"tasks outlive close(): {sorted(t.get_name() for t in left)}")
        if extra := _socket_fds() - baseline:
            problems.append(f"{len(extra)} socket(s) still open")
        if open_http := _open_client_sessions():
            problems.append(f"{len(open_http)} aiohttp ClientSession(s) left open")
        for report in self.loop_reports:
            problems.append(f"loop exception handler: {report.get('message')} {report.get('exception')!r}")
        for text in self.logs.texts if self.check_logs else ():
            if secret_in(text, self.key):
                problems.append(f"key in a log record: {text[:200]}")
        for exc in self.errors:
            problems += [f"key in an exception: {where}" for where in exposes(exc, self.key)]
        for s in sessions:
            if secret_in(repr(s), self.key):
                problems.append("key in the session's repr")
        assert not problems, "\n".join(problems)


async def _settle_fds(baseline: set[str]) -> None:
    """Transports close their socket a loop turn after ``close()``; give them those turns (bounded)."""
    try:
        async with asyncio.timeout(1.0):
            while _socket_fds() - baseline:  # noqa: ASYNC110 - no event signals a closed fd
                await asyncio.sleep(0)
    except TimeoutError:
        pass  # check_final reports what is left


@asynccontextmanager
async def judged(*servers: Any) -> AsyncIterator[Judge]:
    """Run the body under a fresh ``Judge``.  On exit: close each session the body ``track``ed (bounded,
    typed errors only), stop ``servers`` (ours: their sockets are not the SDK's), then judge."""
    judge = Judge()
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: judge.loop_reports.append(context))
    logger = logging.getLogger()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(judge.logs)
    gc.collect()
    baseline = _socket_fds()
    try:
        try:
            yield judge
        except BaseException:
            # The body failed already: still release what it opened, so one failure does not leak into
            # the next test's judgement.
            for s in judge.sessions:
                with contextlib.suppress(BaseException):
                    async with asyncio.timeout(s._close_timeout + BOUND):
                        await s.close()
                http = getattr(s, "_http", None)
                if http is not None and not http.closed:
                    await http.close()
            for server in servers:
                await server.stop()
            raise
        for s in judge.sessions:
            await judge.close(s)
        for server in servers:
            await server.stop()
        await _settle_fds(baseline)
        judge.check_final(baseline, judge.sessions)
    finally:
        logger.removeHandler(judge.logs)
        logger.setLevel(old_level)
        loop.set_exception_handler(previous)
