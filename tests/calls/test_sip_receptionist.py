"""examples/sip_receptionist.py end to end against the local server: webhook → accept → sideband tool
call → refer; in process (the server's record of the call checked) and as a user runs it."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from realtime_sdk import events
from realtime_sdk.server import LocalRealtimeServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sip_receptionist.py"
KEY = "sk-local-test"
REQUEST = 'Sales, please: call transfer_call({"department": "sales"})'


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sip_receptionist", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY) as srv:
        yield srv


async def _receptionist(
    example: ModuleType, server: LocalRealtimeServer, secret: str
) -> tuple[Any, Any, str]:
    app = example.Receptionist(
        webhook_secret=secret, api_key=KEY, api_base=server.http_url, realtime_url=server.url
    )
    runner, url = await example.start(app)
    return app, runner, url


async def test_a_call_is_answered_and_transferred_on_request(server: LocalRealtimeServer) -> None:
    example = _load()
    app, runner, url = await _receptionist(example, server, server.call_control.webhook_secret)
    try:
        async with asyncio.timeout(20):
            ringing = await server.call_control.ring(url)
            assert ringing.extra["webhook_status"] == 200
            # accept: the configuration the app answered with is the call's.
            accepted = await server.call_control.wait_for_status(ringing.call_id, "accepted")
            assert accepted.session is not None
            assert "receptionist" in str(accepted.session.instructions)
            assert [t.name for t in accepted.session.tools] == ["transfer_call"]
            call = app.calls[ringing.call_id]
            await call.greeted.wait()
            assert server.call_control.say(ringing.call_id, REQUEST) == 1
            referred = await server.call_control.wait_for_status(ringing.call_id, "referred")
            await asyncio.gather(*app.tasks)
    finally:
        await runner.cleanup()
    assert referred.extra["referred_to"] == ["tel:+14155550101"]
    # The sideband ran the tool: its output went back on the call's session before the transfer.
    (index,) = referred.sidebands
    received = server.connections[index].received
    assert received[0].type == "session.update"  # attach configures; no session.created came first
    outputs = [
        e.item
        for e in received
        if isinstance(e, events.ConversationItemCreate) and e.item.type == "function_call_output"
    ]
    assert len(outputs) == 1
    assert json.loads(outputs[0].output) == {"status": "transferring", "department": "sales"}
    assert server.connections[index].sent_types.count("output_audio_buffer.stopped") == 2


async def test_a_webhook_that_does_not_verify_is_refused_and_the_call_left_alone(
    server: LocalRealtimeServer,
) -> None:
    example = _load()
    app, runner, url = await _receptionist(example, server, server.call_control.webhook_secret)
    try:
        async with asyncio.timeout(10):
            other = "whsec_" + "QW5vdGhlciBlbmRwb2ludCdzIHNlY3JldA=="
            ringing = await server.call_control.ring(url, secret=other)
    finally:
        await runner.cleanup()
    assert ringing.extra["webhook_status"] == 400
    assert ringing.status == "incoming" and app.calls == {} and ringing.sidebands == []


def test_the_example_runs_offline_as_a_user_runs_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_WEBHOOK_SECRET")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.splitlines()
    call_id = lines[0].split()[2]
    assert lines[0].startswith(f"webhook: realtime.call.incoming {call_id} from "), done.stdout
    assert f"accepted {call_id}" in lines, done.stdout
    assert any(line.startswith("sideband attached: sess_u0_") for line in lines), done.stdout
    assert '  -> transfer_call({"department": "sales"})' in lines, done.stdout
    assert f"call {call_id}: referred to tel:+14155550101" in lines, done.stdout
    assert f"transferred {call_id} to tel:+14155550101" in lines, done.stdout
