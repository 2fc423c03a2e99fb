"""``done()``, ``text()``, ``audio()`` and ``final()`` take a timeout that ends only the wait."""

from __future__ import annotations

import asyncio

import pytest

from realtime_sdk import RealtimeSession, ResponseTimeoutError
from realtime_sdk.server import LocalRealtimeServer

from .judge import KEY
from .wsserver import HostileServer, Peer, polite, response


async def test_a_response_that_never_ends_times_out_typed_and_can_be_awaited_again() -> None:
    release = asyncio.Event()

    async def slow(peer: Peer, event: dict[str, object]) -> None:
        await peer.send(response("resp_1", event))
        await release.wait()
        await peer.send(response("resp_1", event, "response.done"))

    async def scenario(peer: Peer) -> None:
        await polite(peer, on={"response.create": slow})

    async with HostileServer(scenario) as srv, RealtimeSession(KEY, base_url=srv.url, heartbeat=None) as s:
        handle = await asyncio.wait_for(s.create_response(), 5)
        for wait in (handle.done, handle.text, handle.audio, handle.transcript, handle.final):
            with pytest.raises(ResponseTimeoutError) as info:
                await wait(timeout=0.05)
            assert isinstance(info.value, TimeoutError)
        assert not handle.is_done
        release.set()
        final = await handle.done(timeout=5)
        assert final.id == "resp_1"
        assert await handle.final(timeout=5) is handle


async def test_a_timeout_longer_than_the_response_changes_nothing() -> None:
    async with LocalRealtimeServer(KEY) as server, RealtimeSession(KEY, base_url=server.url) as s:
        await s.add_item("Say hello.")
        handle = await s.create_response()
        assert await handle.text(timeout=10) == await handle.text()
        assert (await handle.final(timeout=10)) is handle
