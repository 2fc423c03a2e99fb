"""Fixtures for the session tests: a local Realtime server, in this loop or in a thread of its own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from realtime_sdk import RealtimeSession
from realtime_sdk.server import LocalRealtimeServer, ModelRequest, Reply

KEY = "sk-local-test"


async def until(predicate: Any) -> None:
    """Wait for a state the loop is about to reach, read from public state or the test's own records.

    Each turn yields to the loop once; the timeout only guards against a hang.
    """
    async with asyncio.timeout(5):
        while not predicate():  # noqa: ASYNC110 - polling a state that signals no event
            await asyncio.sleep(0)


def sdk_tasks() -> set[asyncio.Task[Any]]:
    """Tasks started by the SDK (reader, handlers), whatever else runs in the loop."""
    return {t for t in asyncio.all_tasks() if t.get_name().startswith("realtime_sdk")}


@pytest.fixture(autouse=True)
async def no_sdk_task_left() -> AsyncIterator[None]:
    yield
    assert sdk_tasks() == set()


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY) as srv:
        yield srv


@pytest.fixture
async def session(server: LocalRealtimeServer) -> AsyncIterator[RealtimeSession]:
    async with asyncio.timeout(10):
        async with RealtimeSession(KEY, base_url=server.url) as s:
            yield s


class ThreadedServer:
    """A LocalRealtimeServer running in its own thread and loop, so the test's loop holds only SDK tasks."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.server: LocalRealtimeServer | None = None

    def start(self) -> LocalRealtimeServer:
        self._thread.start()
        self.server = self.call(self._start())
        return self.server

    async def _start(self) -> LocalRealtimeServer:
        srv = LocalRealtimeServer(KEY, **self._kwargs)
        await srv.start()
        return srv

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)

    async def acall(self, coro: Any) -> Any:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def stop(self) -> None:
        if self.server is not None:
            self.call(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@pytest.fixture
def threaded_server() -> Iterator[ThreadedServer]:
    ts = ThreadedServer()
    ts.start()
    try:
        yield ts
    finally:
        ts.stop()


class GatedModel:
    """Answers each response only when the test opens the gate: a response that stays active on demand."""

    def __init__(self, reply: Reply | None = None) -> None:
        self.reply = reply or Reply.text("gated reply")
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.requests: list[ModelRequest] = []

    async def transcribe(self, pcm16_24k: bytes, item_id: str) -> str:
        return "audio"

    async def respond(self, request: ModelRequest) -> Reply:
        self.requests.append(request)
        self.started.set()
        await self.gate.wait()
        return self.reply
