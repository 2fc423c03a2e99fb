"""The judge bites: each of its checks fails a body that does what it forbids."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from realtime_sdk import RealtimeSession

from . import test_random_sessions
from .judge import KEY, Hang, exposes, judged
from .wsserver import HostileServer, polite


async def test_a_key_in_a_log_record_fails() -> None:
    with pytest.raises(AssertionError, match="key in a log record"):
        async with judged():
            logging.getLogger("realtime_sdk").debug("header %s", KEY[:20])


async def test_a_key_in_an_exception_context_is_found() -> None:
    try:
        try:
            raise RuntimeError(f"Bearer {KEY}")
        except RuntimeError:
            raise ValueError("clean") from None
    except ValueError as exc:
        assert exposes(exc), "the suppressed __context__ still holds the key"


async def test_an_open_client_session_fails() -> None:
    http = aiohttp.ClientSession()
    try:
        with pytest.raises(AssertionError, match="ClientSession"):
            async with judged():
                pass
    finally:
        await http.close()


async def test_an_unretrieved_future_exception_fails() -> None:
    with pytest.raises(AssertionError, match="never retrieved"):
        async with judged():
            fut = asyncio.get_running_loop().create_future()
            fut.set_exception(RuntimeError("lost"))
            del fut


async def test_a_task_left_running_fails() -> None:
    gate = asyncio.Event()
    task = asyncio.create_task(gate.wait(), name="realtime_sdk stray")
    try:
        with pytest.raises(AssertionError, match="tasks outlive"):
            async with judged():
                pass
    finally:
        gate.set()
        await task


async def test_a_hang_is_reported() -> None:
    async with judged() as judge:
        with pytest.raises(Hang):
            await judge.bounded(asyncio.Event().wait(), 0.05, "a wait on nothing")


async def test_an_untyped_error_from_a_client_action_fails_the_random_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(s: RealtimeSession, action: str) -> None:
        raise KeyError("not documented")

    monkeypatch.setattr(test_random_sessions, "_act", broken)
    with pytest.raises(KeyError):
        await test_random_sessions._session([], ["none"], "close-1000")


async def test_the_polite_server_passes() -> None:
    async with HostileServer(polite) as srv, judged(srv) as judge:
        s = judge.track(RealtimeSession(KEY, base_url=srv.url, heartbeat=None))
        await judge.bounded(s.connect())
        await judge.bounded(s.update_session(instructions="x"))
