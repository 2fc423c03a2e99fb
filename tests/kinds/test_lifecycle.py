"""No task or socket outlives close(), for both session kinds; a cancelled close still lets go of everything."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from realtime_sdk import AuthenticationError, ConnectionClosed, TranscriptionSession, TranslationSession
from realtime_sdk.server import LocalRealtimeServer


def others() -> set[asyncio.Task[object]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


def tone(ms: int) -> np.ndarray[tuple[int], np.dtype[np.int16]]:
    t = np.arange(24 * ms) / 24_000
    return (np.sin(2 * np.pi * 300 * t) * 9000).astype(np.int16)


async def test_no_task_outlives_either_session() -> None:
    async with LocalRealtimeServer() as srv:
        before = others()
        async with TranscriptionSession(**srv.session_options()) as t:
            await t.send_audio(tone(300))
            await t.commit()
            assert others() - before  # the reader runs meanwhile
        assert {task for task in others() - before if "realtime_sdk" in task.get_name()} == set()
        async with TranslationSession(**srv.session_options()) as tr:
            await tr.send_audio(tone(300))
            assert others() - before
        assert {task for task in others() - before if "realtime_sdk" in task.get_name()} == set()
        assert t.closed and tr.closed


async def test_a_cancelled_translation_close_drops_the_connection_and_a_second_close_finishes() -> None:
    async with LocalRealtimeServer(pace_audio=True) as srv:
        before = others()
        session = TranslationSession(**srv.session_options())
        await session.connect()
        await session.send_audio(tone(3000))  # 3 s for the paced engine: the flush takes that long
        closing = asyncio.ensure_future(session.close())
        conn = await srv.translations.wait_for_connection(0)
        async with asyncio.timeout(5):
            await conn.wait_for_audio_ms(3000)  # the close is under way (everything was sent)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        assert session.closed and not session.flushed
        with pytest.raises(ConnectionClosed):
            await session.send_audio(tone(100))
        await session.close()
        assert {task for task in others() - before if "realtime_sdk" in task.get_name()} == set()


async def test_a_refused_handshake_is_typed_and_leaves_nothing_behind() -> None:
    async with LocalRealtimeServer() as srv:
        before = others()
        with pytest.raises(AuthenticationError):
            async with TranslationSession("sk-wrong", base_url=srv.url):
                pass
        with pytest.raises(AuthenticationError):
            async with TranscriptionSession("sk-wrong", base_url=srv.url):
                pass
        assert {task for task in others() - before if "realtime_sdk" in task.get_name()} == set()
