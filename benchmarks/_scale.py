"""N real-time full-duplex sessions in one process; prints one JSON object.

``python benchmarks/_scale.py NAME PORT SESSIONS SECONDS``: connects SESSIONS sessions, then at once
every session asks for ``scale:SECONDS`` (the server sends 100 ms of audio every 100 ms) while it sends
40 ms of 24 kHz PCM16 every 40 ms on an absolute schedule.  Measured over that window: CPU of this process
as % of one core, and whether each session kept real time — the lag of its last audio delta (server send
to the app holding it) and how late its last chunk went out.  At the end each session commits, and the
server's ``input_audio_buffer.committed`` says how many bytes it received: every byte is checked both ways.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import json
import math
import sys
import time
from typing import Any

from _streams import AUDIO_DELTA, Stream, build, stamp_of

CHUNK_MS = 40
CHUNK = b"".join(
    round(4000 * math.sin(2 * math.pi * 300 * i / 24_000)).to_bytes(2, "little", signed=True)
    for i in range(24 * CHUNK_MS)
)
CONNECTS_AT_ONCE = 20


class Result:
    def __init__(self) -> None:
        self.audio_bytes = 0
        self.last_lag_ms = math.inf
        self.send_late_ms = math.inf
        self.sent = 0
        self.server_received = -1


async def _send_loop(send: Any, start: float, chunks: int, result: Result) -> None:
    loop = asyncio.get_running_loop()
    for k in range(chunks):
        delay = start + k * CHUNK_MS / 1000 - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(CHUNK)
        result.sent += len(CHUNK)
    result.send_late_ms = (loop.time() - (start + (chunks - 1) * CHUNK_MS / 1000)) * 1e3


class SdkSession:
    def __init__(self, port: int) -> None:
        from realtime_sdk import RealtimeSession

        self.session = RealtimeSession(
            "bench-key",
            base_url=f"ws://127.0.0.1:{port}/v1/realtime",
            session_properties={"instructions": "Answer in two or three words."},
        )

    async def connect(self) -> None:
        await self.session.connect()

    async def run(self, stream: Stream, start: float, chunks: int, result: Result) -> None:
        from realtime_sdk.events import ResponseCreate

        async def send(chunk: bytes) -> None:
            await self.session.send_audio(chunk, sample_rate=24_000)

        sender = asyncio.create_task(_send_loop(send, start, chunks, result))
        await self.session.send(ResponseCreate(event_id=stream.name))
        async for event in self.session:
            if event.type == AUDIO_DELTA:
                result.audio_bytes += len(event.delta)
                result.last_lag_ms = (time.monotonic_ns() - stamp_of(event.event_id)) / 1e6
            elif event.type == "response.done":
                break
        await sender
        await self.session.flush_audio()
        committed = await self.session.commit_audio()
        result.server_received = int(committed.item_id[2:])

    async def close(self) -> None:
        await self.session.close()


class RawSession:
    """The floor: aiohttp + json + base64 both ways."""

    http: Any = None

    def __init__(self, port: int) -> None:
        self.url = f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"
        self.ws: Any = None

    async def connect(self) -> None:
        import aiohttp

        if RawSession.http is None:
            RawSession.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        self.ws = await RawSession.http.ws_connect(self.url, max_msg_size=16 * 2**20)
        json.loads((await self.ws.receive()).data)
        await self.ws.send_str(json.dumps({"type": "session.update", "session": {"type": "realtime"}}))
        for _ in range(100):
            if json.loads((await self.ws.receive()).data)["type"] == "session.updated":
                return

    async def run(self, stream: Stream, start: float, chunks: int, result: Result) -> None:
        async def send(chunk: bytes) -> None:
            audio = base64.b64encode(chunk).decode()
            await self.ws.send_str(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))

        sender = asyncio.create_task(_send_loop(send, start, chunks, result))
        await self.ws.send_str(json.dumps({"type": "response.create", "event_id": stream.name}))
        while True:
            event = json.loads((await self.ws.receive()).data)
            if event["type"] == AUDIO_DELTA:
                result.audio_bytes += len(base64.b64decode(event["delta"]))
                result.last_lag_ms = (time.monotonic_ns() - stamp_of(event["event_id"])) / 1e6
            elif event["type"] == "response.done":
                break
        await sender
        await self.ws.send_str(json.dumps({"type": "input_audio_buffer.commit"}))
        for _ in range(100):
            event = json.loads((await self.ws.receive()).data)
            if event["type"] == "input_audio_buffer.committed":
                result.server_received = int(event["item_id"][2:])
                return

    async def close(self) -> None:
        await self.ws.close()


KINDS = {"sdk": SdkSession, "aiohttp-json": RawSession}


async def run(name: str, port: int, sessions: int, seconds: int, profile: str | None) -> dict[str, Any]:
    stream = build(f"scale:{seconds}")
    chunks = seconds * 1000 // CHUNK_MS
    clients = [KINDS[name](port) for _ in range(sessions)]
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)

    async def connect(client: Any) -> None:
        async with gate:
            await client.connect()

    async with asyncio.timeout(60 + sessions * 0.5):
        await asyncio.gather(*(connect(c) for c in clients))
    results = [Result() for _ in clients]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    profiler = cProfile.Profile(time.process_time) if profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    try:
        async with asyncio.timeout(seconds * 4 + 30):
            await asyncio.gather(
                *(c.run(stream, start, chunks, r) for c, r in zip(clients, results, strict=True))
            )
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        if RawSession.http is not None:
            await RawSession.http.close()
    lags = sorted(r.last_lag_ms for r in results)
    late = sorted(r.send_late_ms for r in results)
    return {
        "contender": name,
        "sessions": sessions,
        "seconds": seconds,
        "cpu_percent": 100 * cpu / wall,
        "wall_s": wall,
        "lag_ms_p50": lags[len(lags) // 2],
        "lag_ms_max": lags[-1],
        "send_late_ms_max": late[-1],
        "all_audio_received": all(r.audio_bytes == stream.audio_bytes for r in results),
        "all_audio_sent_received": all(r.server_received == r.sent == chunks * len(CHUNK) for r in results),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=sorted(KINDS))
    parser.add_argument("port", type=int)
    parser.add_argument("sessions", type=int)
    parser.add_argument("seconds", type=int)
    parser.add_argument("--profile", help="write cProfile stats of the window to this file")
    args = parser.parse_args()
    if not 0 < args.sessions <= 2000 or not 0 < args.seconds <= 60:
        raise SystemExit("sessions must be 1..2000 and seconds 1..60")
    json.dump(asyncio.run(run(args.name, args.port, args.sessions, args.seconds, args.profile)), sys.stdout)
    print()


if __name__ == "__main__":
    main()
