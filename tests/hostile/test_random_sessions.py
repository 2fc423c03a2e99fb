"""Many short sessions against the hostile server: recorded traffic mixed with mutated copies of it
(fields deleted, types swapped, frames truncated, values nested deep), random client actions, random
endings; every session under the judge.  Derandomised under CI by the suite's hypothesis profile
(``tests/conftest.py``); ``HOSTILE_EXAMPLES`` sets how many sessions a run tries.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_sdk import RealtimeError, RealtimeSession

from .judge import BOUND, KEY, Hang, judged
from .wsserver import CLOSE, HostileServer, Peer, frame, greeting, recorded_events

RECORDED = [e for e in recorded_events() if e["type"] != "session.created"]
SWAPS: list[Any] = [None, 0, -1, 1.5, "", "x", True, [], {}, [None], {"type": None}]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value[:3]):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    event = copy.deepcopy(draw(st.sampled_from(RECORDED)))
    mutation = draw(st.sampled_from(["none", "delete", "swap", "truncate", "deep"]))
    paths = _paths(event)
    if mutation in ("delete", "swap", "deep") and paths:
        path = draw(st.sampled_from(paths))
        parent = event
        for step in path[:-1]:
            parent = parent[step]
        if mutation == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif mutation == "swap":
            parent[path[-1]] = draw(st.sampled_from(SWAPS))
        elif mutation == "deep":
            parent[path[-1]] = "@deep@"
    text = json.dumps(event).encode()
    if mutation == "deep":
        depth = draw(st.integers(50, 3000))  # spliced as text: json.dumps itself would recurse too deep
        text = text.replace(b'"@deep@"', b"[" * depth + b"0" + b"]" * depth)
    if mutation == "truncate":
        text = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    return text


ACTIONS = ["none", "update", "response", "audio", "item", "iterate", "commit"]
ENDINGS = ["client", "close-1000", "close-1011", "close-empty", "drop", "fin"]


async def _act(s: RealtimeSession, action: str) -> None:
    if action == "update":
        await s.update_session(instructions="be brief")
    elif action == "response":
        handle = await s.create_response()
        await handle.done()
    elif action == "audio":
        await s.send_audio(b"\0\0" * 2400)
        await s.commit_audio()
    elif action == "item":
        await s.add_item("hello")
    elif action == "iterate":
        async for _ in s:
            pass
    elif action == "commit":
        await s.commit_audio()


async def _session(plan: list[bytes], actions: list[str], ending: str) -> None:
    async def scenario(peer: Peer) -> None:
        await peer.accept()
        await peer.send(greeting())
        for data in plan:
            await peer.send(data)
        if ending == "close-1000":
            await peer.close(1000)
        elif ending == "close-1011":
            await peer.close(1011, "scripted")
        elif ending == "close-empty":
            await peer.raw(frame(CLOSE, b""))
        elif ending == "drop":
            peer.drop()
            return
        elif ending == "fin":
            peer.writer.close()
            return
        while await peer.recv() is not None:
            pass

    async with HostileServer(scenario) as srv, judged(srv) as judge:
        s = judge.track(
            RealtimeSession(KEY, base_url=srv.url, heartbeat=None, request_timeout=0.3, close_timeout=1.0)
        )
        try:
            await judge.bounded(s.connect(), BOUND, "connect")
        except RealtimeError:
            return  # a typed refusal to start (the judge still checks the rest)
        tasks = [asyncio.create_task(_act(s, a)) for a in actions]
        if ending == "client":
            await judge.close(s)
        for task in tasks:
            try:
                await judge.bounded(task, 1.0 + 0.3 + 3 * BOUND, f"a client action among {actions}")
            except RealtimeError:
                pass
            except Hang:
                for t in tasks:
                    t.cancel()
                raise


@settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    st.lists(frames(), max_size=12),
    st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3),
    st.sampled_from(ENDINGS),
)
def test_random_sessions_of_real_and_mutated_traffic(
    plan: list[bytes], actions: list[str], ending: str
) -> None:
    asyncio.run(_session(plan, actions, ending))
