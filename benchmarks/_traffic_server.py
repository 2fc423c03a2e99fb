"""A plain aiohttp websocket server playing the benchmark's streams; run in its own process.

``python benchmarks/_traffic_server.py`` listens on a free loopback port and prints it on its first line
of stdout.  It speaks just enough of the Realtime protocol for every contender to connect:

- on connect: ``session.created`` (recorded);
- ``session.update`` → ``session.updated`` (recorded);
- ``response.create`` whose ``event_id`` names a stream (``audio:600``, see ``_streams.py``) → that stream,
  every frame stamped with its send time; one stream at a time per connection, the next request waits;
- ``input_audio_buffer.append`` → its decoded bytes are counted;
- ``input_audio_buffer.commit`` → ``input_audio_buffer.committed`` whose ``item_id`` is ``rx<bytes
  appended so far>``, so a client can check that the server received every byte it sent.

It exits when its stdin closes (the benchmark that started it ended) or after ``--lifetime`` seconds.
It is deliberately not the project's local server: the contenders are measured against the same
independent peer, and nothing of the SDK runs on the other side.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import os
import sys
import time

import msgspec
from _streams import Stream, build, session_frames, stamped
from aiohttp import WSMsgType, web

_decoder = msgspec.json.Decoder()


@functools.lru_cache(maxsize=16)
def _stream(name: str) -> Stream:
    return build(name)


async def _play(ws: web.WebSocketResponse, stream: Stream) -> None:
    now = time.monotonic_ns
    if stream.interval == 0:
        for frame in stream.frames:
            await ws.send_str(stamped(frame, now()))
        return
    # Paced: audio deltas on an absolute schedule (no drift); the other frames go out as they come.
    start = time.monotonic()
    sent = 0
    for frame in stream.frames:
        if '"response.output_audio.delta"' in frame[:48]:
            delay = start + sent * stream.interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            sent += 1
        await ws.send_str(stamped(frame, now()))


async def handle(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=16 * 2**20)
    await ws.prepare(request)
    created, updated = session_frames()
    await ws.send_str(stamped(created, time.monotonic_ns()))
    received = 0
    player: asyncio.Task[None] | None = None
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT and msg.type is not WSMsgType.BINARY:
                break
            event = _decoder.decode(msg.data)
            kind = event.get("type")
            if kind == "input_audio_buffer.append":
                received += len(base64.b64decode(event["audio"]))
            elif kind == "session.update":
                await ws.send_str(stamped(updated, time.monotonic_ns()))
            elif kind == "response.create":
                previous = player
                stream = _stream(str(event.get("event_id")))

                async def play(
                    previous: asyncio.Task[None] | None = previous, stream: Stream = stream
                ) -> None:
                    if previous is not None:
                        await previous
                    await _play(ws, stream)

                player = asyncio.create_task(play())
            elif kind == "input_audio_buffer.commit":
                committed = '{"type": "input_audio_buffer.committed", "previous_item_id": null, '
                await ws.send_str(stamped(committed + f'"item_id": "rx{received}"}}', time.monotonic_ns()))
    finally:
        if player is not None:
            player.cancel()
            try:
                await player
            except (asyncio.CancelledError, ConnectionError):
                pass
    return ws


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifetime", type=float, default=1800.0)
    parser.add_argument("streams", nargs="*", help="streams to build before listening")
    args = parser.parse_args()
    for name in args.streams:
        _stream(name)
    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    stdin_closed = loop.run_in_executor(None, sys.stdin.read)
    try:
        await asyncio.wait_for(stdin_closed, args.lifetime)
    except TimeoutError:
        pass
    await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
    os._exit(0)  # the stdin reader thread may still be blocked
