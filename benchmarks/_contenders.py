"""One contender of the end-to-end benchmark, in a fresh process: connect, play streams, report JSON.

``python benchmarks/_contenders.py NAME PORT STREAM...`` connects to the traffic server twice (timing the
handshake up to ``session.updated``: the process's first session, then a second one), plays two small warm-up streams, then each named stream in turn
(CPU from ``time.process_time()`` between asking for the stream and holding its last event), and prints
one JSON object.  A ``paced:N`` stream yields latencies instead: for every audio delta, the time from the
server's send (the stamp in its ``event_id``) to the application holding the decoded PCM.

Every contender counts what it received — events, decoded audio bytes, text characters — so the caller
can check that every run got every byte.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from _streams import AUDIO_DELTA, TEXT_DELTA_TYPES, Stream, build, stamp_of

WARMUP = ("audio:20", "text:2")
INSTRUCTIONS = "Answer in two or three words."
AUDIO_WAIT = 5.0  # seconds an output_audio() reader may lag behind the event iterator at the end


@dataclass
class Tally:
    events: int = 0
    audio_bytes: int = 0
    text_chars: int = 0
    responses: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)


class Contender:
    """Connect once; ``play`` one stream after another on the same connection."""

    async def connect(self, port: int) -> None:
        raise NotImplementedError

    async def play(self, stream: Stream, tally: Tally) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


def _url(port: int) -> str:
    return f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime"


class SdkIteration(Contender):
    """This SDK: ``async for event in session``."""

    def __init__(self) -> None:
        self.session: Any = None

    async def connect(self, port: int) -> None:
        from realtime_sdk import RealtimeSession

        self.session = RealtimeSession(
            "bench-key",
            base_url=f"ws://127.0.0.1:{port}/v1/realtime",
            session_properties={"instructions": INSTRUCTIONS},
        )
        await self.session.connect()

    async def _ask(self, stream: Stream) -> None:
        from realtime_sdk.events import ResponseCreate

        await self.session.send(ResponseCreate(event_id=stream.name))

    async def _iterate(self, stream: Stream, tally: Tally, stamps: list[int] | None) -> None:
        paced = stream.interval > 0 and stamps is None
        clock = time.monotonic_ns
        left = stream.responses
        async for event in self.session:
            tally.events += 1
            kind = event.type
            if kind == AUDIO_DELTA:
                tally.audio_bytes += len(event.delta)
                if paced:
                    tally.latencies_ms.append((clock() - stamp_of(event.event_id)) / 1e6)
                elif stamps is not None:
                    stamps.append(stamp_of(event.event_id))
            elif kind in TEXT_DELTA_TYPES:
                tally.text_chars += len(event.delta)
            elif kind == "response.done":
                tally.responses += 1
                left -= 1
                if left == 0:
                    return

    async def play(self, stream: Stream, tally: Tally) -> None:
        await self._ask(stream)
        await self._iterate(stream, tally, None)

    async def close(self) -> None:
        await self.session.close()


class SdkOutputAudio(SdkIteration):
    """This SDK: ``session.output_audio(sample_rate=...)`` read by one task, the events by another.

    The audio bytes counted are the stream's (at its rate); the event iterator's are not added."""

    def __init__(self, rate: int) -> None:
        super().__init__()
        self.rate = rate
        self.audio: Any = None

    async def connect(self, port: int) -> None:
        await super().connect(port)
        self.audio = self.session.output_audio(sample_rate=self.rate)

    async def play(self, stream: Stream, tally: Tally) -> None:
        from realtime_sdk import OutputAudioChunk

        expected = stream.audio_bytes * self.rate // 24_000
        stamps: list[int] = []
        events = Tally()

        arrivals: list[tuple[int, int]] = []  # (monotonic ns, bytes held so far), one per chunk

        async def read_audio() -> None:
            clock = time.monotonic_ns
            got = 0
            async for chunk in self.audio:
                if isinstance(chunk, OutputAudioChunk):
                    got += len(chunk.data)
                    arrivals.append((clock(), got))
                    if got >= expected:
                        break

        reader = asyncio.create_task(read_audio()) if expected else None
        await self._ask(stream)
        await self._iterate(stream, events, stamps)
        if reader is not None:
            try:
                await asyncio.wait_for(reader, AUDIO_WAIT)
            except TimeoutError:
                pass  # short of bytes: the caller's check reports it
        tally.audio_bytes += arrivals[-1][1] if arrivals else 0
        tally.events += events.events
        tally.text_chars += events.text_chars
        tally.responses += events.responses
        if stream.interval > 0:
            # Delta k's audio is held once the bytes of deltas 0..k (at the stream's rate) have arrived.
            per_delta = expected // max(stream.audio_deltas, 1)
            position = 0
            for k, sent in enumerate(stamps):
                while position < len(arrivals) and arrivals[position][1] < (k + 1) * per_delta:
                    position += 1
                if position == len(arrivals):
                    break
                tally.latencies_ms.append((arrivals[position][0] - sent) / 1e6)


class OpenAIPython(Contender):
    """openai-python: ``client.realtime.connect()``; audio base64-decoded by the app, as it must."""

    def __init__(self) -> None:
        self.client: Any = None
        self.conn: Any = None

    async def connect(self, port: int) -> None:
        from openai import AsyncOpenAI

        self.client = AsyncOpenAI(api_key="bench-key", websocket_base_url=f"ws://127.0.0.1:{port}/v1")
        self.conn = await self.client.realtime.connect(model="gpt-realtime").enter()
        await self.conn.session.update(session={"type": "realtime", "instructions": INSTRUCTIONS})
        for _ in range(100):
            event = await self.conn.recv()
            if event.type == "session.updated":
                return
        raise RuntimeError("no session.updated")

    async def play(self, stream: Stream, tally: Tally) -> None:
        await self.conn.response.create(event_id=stream.name)
        paced = stream.interval > 0
        clock = time.monotonic_ns
        recv = self.conn.recv
        b64decode = base64.b64decode
        left = stream.responses
        while True:
            event = await recv()
            tally.events += 1
            kind = event.type
            if kind == AUDIO_DELTA:
                tally.audio_bytes += len(b64decode(event.delta))
                if paced:
                    tally.latencies_ms.append((clock() - stamp_of(event.event_id)) / 1e6)
            elif kind in TEXT_DELTA_TYPES:
                tally.text_chars += len(event.delta)
            elif kind == "response.done":
                tally.responses += 1
                left -= 1
                if left == 0:
                    return

    async def close(self) -> None:
        await self.conn.close()
        await self.client.close()


class RawAiohttp(Contender):
    """The floor: aiohttp's websocket, a JSON decoder, ``base64.b64decode``; no types at all."""

    def __init__(self, decoder: str) -> None:
        self.decoder = decoder
        self.http: Any = None
        self.ws: Any = None

    def _loads(self) -> Any:
        if self.decoder == "msgspec":
            import msgspec

            return msgspec.json.Decoder().decode
        return json.loads

    async def connect(self, port: int) -> None:
        import aiohttp

        self.http = aiohttp.ClientSession()
        # msgspec takes bytes straight from the socket; json.loads gets aiohttp's default str.
        self.ws = await self.http.ws_connect(
            _url(port), max_msg_size=16 * 2**20, decode_text=self.decoder != "msgspec"
        )
        loads = self._loads()
        created = loads((await self.ws.receive()).data)
        assert created["type"] == "session.created", created
        update = {"type": "session.update", "session": {"type": "realtime", "instructions": INSTRUCTIONS}}
        await self.ws.send_str(json.dumps(update))
        for _ in range(100):
            if loads((await self.ws.receive()).data)["type"] == "session.updated":
                return
        raise RuntimeError("no session.updated")

    async def play(self, stream: Stream, tally: Tally) -> None:
        await self.ws.send_str(json.dumps({"type": "response.create", "event_id": stream.name}))
        loads = self._loads()
        paced = stream.interval > 0
        clock = time.monotonic_ns
        receive = self.ws.receive
        b64decode = base64.b64decode
        left = stream.responses
        while True:
            event = loads((await receive()).data)
            tally.events += 1
            kind = event["type"]
            if kind == AUDIO_DELTA:
                tally.audio_bytes += len(b64decode(event["delta"]))
                if paced:
                    tally.latencies_ms.append((clock() - stamp_of(event["event_id"])) / 1e6)
            elif kind in TEXT_DELTA_TYPES:
                tally.text_chars += len(event["delta"])
            elif kind == "response.done":
                tally.responses += 1
                left -= 1
                if left == 0:
                    return

    async def close(self) -> None:
        await self.ws.close()
        await self.http.close()


CONTENDERS = {
    "sdk": SdkIteration,
    "sdk-out24": lambda: SdkOutputAudio(24_000),
    "sdk-out48": lambda: SdkOutputAudio(48_000),
    "openai": OpenAIPython,
    "aiohttp-json": lambda: RawAiohttp("json"),
    "aiohttp-msgspec": lambda: RawAiohttp("msgspec"),
}


async def run(
    name: str, port: int, streams: list[str], repeat: int, profile: str | None, limit: float
) -> dict[str, Any]:
    contender = CONTENDERS[name]()
    async with asyncio.timeout(limit):
        start = time.perf_counter()
        await contender.connect(port)
        connect_ms = (time.perf_counter() - start) * 1e3
        # The first connection pays one-time costs (lazy imports, the resolver's first use); a second
        # session in the same process shows the cost of a connection itself.
        await contender.close()
        contender = CONTENDERS[name]()
        start = time.perf_counter()
        await contender.connect(port)
        reconnect_ms = (time.perf_counter() - start) * 1e3
        try:
            for warm in WARMUP:
                await contender.play(build(warm), Tally())
            results = {}
            for stream_name in streams:
                stream = build(stream_name)
                tally = Tally()
                plays = 1 if stream.interval else repeat
                profiler = cProfile.Profile(time.process_time) if profile and stream.interval == 0 else None
                wall0, cpu0 = time.perf_counter(), time.process_time()
                if profiler is not None:
                    profiler.enable()
                for _ in range(plays):
                    await contender.play(stream, tally)
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(f"{profile}.{stream_name.replace(':', '_')}.prof")
                tally.cpu_s = time.process_time() - cpu0
                tally.wall_s = time.perf_counter() - wall0
                results[stream_name] = asdict(tally)
        finally:
            await contender.close()
    return {"contender": name, "connect_ms": connect_ms, "reconnect_ms": reconnect_ms, "streams": results}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name", choices=sorted(CONTENDERS))
    parser.add_argument("port", type=int)
    parser.add_argument("streams", nargs="+")
    parser.add_argument(
        "--profile", help="write cProfile stats of each unpaced stream to PREFIX.<stream>.prof"
    )
    parser.add_argument("--repeat", type=int, default=1, help="plays of each unpaced stream, summed")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.name, args.port, args.streams, args.repeat, args.profile, args.timeout))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
