"""100 concurrent connections, each streaming 10 s of audio as fast as it can, with zero errors.

Each stream is 4 spoken turns (1.5 s of tone, 1 s of silence); server VAD commits every turn and the
default model answers with audio.  A later turn may interrupt a response still being sent (that is
cancellation, not an error); the turns that arrive meanwhile get one answer after it.  The test prints the throughput it saw.
"""

from __future__ import annotations

import asyncio
import base64
import time

import aiohttp
import numpy as np

from realtime_sdk.server import LocalRealtimeServer

from .conftest import KEY, Client, silence, tone

CONNECTIONS = 100
TURNS = 4
CHUNK_MS = 100


def _stream() -> list[str]:
    turn = np.concatenate([tone(1500), silence(1000)])
    audio = np.tile(turn, TURNS).astype("<i2").tobytes()
    step = 24 * CHUNK_MS * 2
    return [base64.b64encode(audio[i : i + step]).decode() for i in range(0, len(audio), step)]


async def _one(http: aiohttp.ClientSession, url: str, chunks: list[str]) -> tuple[int, int, int]:
    async with http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"}) as ws:
        client = Client(ws)
        await client.session_created()

        async def send_all() -> None:
            for chunk in chunks:
                await ws.send_str('{"type":"input_audio_buffer.append","audio":"' + chunk + '"}')

        sender = asyncio.create_task(send_all())
        committed = created = done = errors = 0
        last_turn_answered = False
        # until the last turn has its own answer and every response has finished
        while not (committed == TURNS and last_turn_answered and done == created):
            event = await client.recv()
            match event.type:
                case "input_audio_buffer.committed":
                    committed += 1
                case "response.created":
                    created += 1
                    last_turn_answered = committed == TURNS
                case "response.done":
                    done += 1
                case "error":
                    errors += 1
        await sender
        return errors, len(client.events), done


async def test_hundred_connections_stream_ten_seconds_each() -> None:
    chunks = _stream()
    audio_s = len(chunks) * CHUNK_MS / 1000
    assert audio_s == 10.0
    async with (
        LocalRealtimeServer() as srv,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        t0 = time.perf_counter()
        results = await asyncio.gather(*(_one(http, srv.url, chunks) for _ in range(CONNECTIONS)))
        elapsed = time.perf_counter() - t0
        server_errors = sum(c.sent_types.count("error") for c in srv.connections)
    errors = sum(r[0] for r in results)
    events = sum(r[1] for r in results)
    responses = sum(r[2] for r in results)
    frames_in = CONNECTIONS * len(chunks)
    print(
        f"\nload: {CONNECTIONS} connections x {audio_s:.0f} s audio in {elapsed:.2f} s = "
        f"{CONNECTIONS * audio_s / elapsed:.0f}x real time; {frames_in / elapsed:.0f} appends/s in, "
        f"{events / elapsed:.0f} events/s out ({events} events, {responses} responses)"
    )
    assert errors == 0 and server_errors == 0
    assert len(srv.connections) == CONNECTIONS
    assert responses >= 2 * CONNECTIONS  # the first turn and the last turn of every stream were answered
