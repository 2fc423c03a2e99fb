"""``realtime-sdk serve`` starts a server that a client can use."""

from __future__ import annotations

import asyncio
import re
import sys

import aiohttp

from realtime_sdk.cli import build_parser

from .conftest import Client


def test_serve_arguments() -> None:
    args = build_parser().parse_args(["serve", "--port", "0", "--api-key", "k", "--pace"])
    assert (args.command, args.port, args.api_key, args.pace, args.host) == (
        "serve",
        0,
        "k",
        True,
        "127.0.0.1",
    )


async def test_serve_subprocess_accepts_a_client() -> None:
    # --port 0: the server picks a free port and says which (a port found free beforehand and let go
    # could be taken by anything else before the subprocess binds it).
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "realtime_sdk.cli",
        "serve",
        "--port",
        "0",
        "--api-key",
        "k1",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        found = re.search(r"ws://127\.0\.0\.1:(\d+)/v1/realtime", line)
        assert found is not None, line
        port = int(found.group(1))
        assert port != 0
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(
                f"ws://127.0.0.1:{port}/v1/realtime?model=gpt-realtime",
                headers={"Authorization": "Bearer k1"},
            ) as ws,
        ):
            assert (await Client(ws).session_created()).type == "session.created"
    finally:
        proc.terminate()
        await proc.wait()
