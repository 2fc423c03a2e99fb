"""Where a session's reader spends its CPU, by event type: a diagnostic, not a comparison.

Run: ``.venv/bin/python benchmarks/dispatch_by_type.py [--rounds N]``.  Starts the e2e traffic server
(``_traffic_server.py``), connects one ``RealtimeSession`` and plays ``audio:600`` (one 60 s spoken answer)
and ``text:20`` (20 text answers) ``N`` times each after one warm-up round, iterating the session as an app
would.  Around the reader's two dispatch paths (``_dispatch_nowait``, without a coroutine, and
``_dispatch``) it adds ``time.process_time_ns()`` per event and prints µs per event by type and path, and
what the events that are not deltas cost per response: the part of a response that does not scale with its
length (creation, items, parts, ``response.done``).

The clock wraps private methods of the session, so the figures include that wrapper (well under 1 µs) and
are for finding the expensive steps; ``e2e.py`` is the benchmark to compare against other clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

from _streams import build
from e2e import Server

STREAMS = ("audio:600", "text:20")


class Tally:
    def __init__(self) -> None:
        self.cost: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.on = False

    def add(self, path: str, kind: str, ns: int) -> None:
        if self.on:
            entry = self.cost[(path, kind)]
            entry[0] += 1
            entry[1] += ns


def instrument(tally: Tally) -> None:
    from realtime_sdk.session import _session

    cls: Any = _session.RealtimeSession
    nowait, slow = cls._dispatch_nowait, cls._dispatch
    clock = time.process_time_ns

    def dispatch_nowait(self: Any, event: Any) -> bool:
        start = clock()
        done: bool = nowait(self, event)
        if done:
            tally.add("nowait", event.type, clock() - start)
        return done

    async def dispatch(self: Any, event: Any) -> None:
        start = clock()
        await slow(self, event)
        tally.add("coroutine", event.type, clock() - start)

    cls._dispatch_nowait, cls._dispatch = dispatch_nowait, dispatch


async def play(port: int, rounds: int, tally: Tally) -> None:
    from realtime_sdk import RealtimeSession
    from realtime_sdk.events import ResponseCreate

    session = RealtimeSession("bench-key", base_url=f"ws://127.0.0.1:{port}/v1/realtime")
    await session.connect()
    try:
        for name in STREAMS:
            stream = build(name)
            for r in range(rounds + 1):
                tally.on = r > 0  # the first round warms up
                await session.send(ResponseCreate(event_id=name))
                left = stream.responses
                async for event in session:
                    if event.type == "response.done":
                        left -= 1
                        if left == 0:
                            break
            tally.on = False
            print_table(name, tally, stream.responses * rounds)
            tally.cost.clear()
    finally:
        await session.close()


def print_table(stream: str, tally: Tally, responses: int) -> None:
    print(f"\n## `{stream}` ({responses} responses)\n")
    print("| event type | path | events | µs per event | µs per response |")
    print("|---|---|---:|---:|---:|")
    fixed = 0
    for (path, kind), (count, ns) in sorted(tally.cost.items(), key=lambda kv: -kv[1][1]):
        per_response = ns / responses / 1e3
        if not kind.endswith(".delta"):
            fixed += ns
        print(f"| `{kind}` | {path} | {count} | {ns / count / 1e3:.1f} | {per_response:.1f} |")
    print(f"\nevents other than deltas: {fixed / responses / 1e3:.0f} µs per response")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    tally = Tally()
    instrument(tally)
    server = Server(list(STREAMS))
    try:
        asyncio.run(play(server.port, args.rounds, tally))
    finally:
        server.close()


if __name__ == "__main__":
    main()
