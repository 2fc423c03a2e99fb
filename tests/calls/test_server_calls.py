"""The local server's call emulation seen from the outside: webhooks, DTMF on sidebands, hangup."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from realtime_sdk import calls, events, webhooks
from realtime_sdk.errors import ConnectError
from realtime_sdk.server import LocalRealtimeServer

KEY = "sk-local-test"


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY) as srv:
        yield srv


class Receiver:
    """An app's webhook endpoint: records each delivery's headers and body."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[dict[str, str], bytes]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        self.deliveries.append((dict(request.headers), await request.read()))
        return web.Response(status=204)

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/webhooks/openai", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/webhooks/openai"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def test_ring_posts_a_standard_webhooks_signed_incoming_call(server: LocalRealtimeServer) -> None:
    headers = [{"name": "From", "value": "sip:+15550100@example.com"}]
    async with Receiver() as app:
        call = await server.call_control.ring(app.url, sip_headers=headers)
    assert call.extra["webhook_status"] == 204
    ((got, body),) = app.deliveries
    # Checked here by hand against the scheme, not with the SDK's verifier.
    key = base64.b64decode(server.call_control.webhook_secret.removeprefix("whsec_"))
    signed = f"{got['webhook-id']}.{got['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert got["webhook-signature"].split() == ["v1," + expected]
    assert abs(int(got["webhook-timestamp"]) - time.time()) < 300
    payload = json.loads(body)
    assert payload["type"] == "realtime.call.incoming" and payload["object"] == "event"
    assert payload["data"] == {"call_id": call.call_id, "sip_headers": headers}
    # ...and the SDK's verifier agrees.
    event = webhooks.unwrap(body, got, secret=server.call_control.webhook_secret)
    assert event.data.call_id == call.call_id


async def test_a_delivery_under_another_secret_does_not_verify(server: LocalRealtimeServer) -> None:
    other = "whsec_" + base64.b64encode(b"not the endpoint's secret").decode()
    async with Receiver() as app:
        await server.call_control.ring(app.url, secret=other)
    ((got, body),) = app.deliveries
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.unwrap(body, got, secret=server.call_control.webhook_secret)


async def _sideband(http: aiohttp.ClientSession, server: LocalRealtimeServer, call_id: str):
    return await http.ws_connect(
        server.url + f"?call_id={call_id}", headers={"Authorization": f"Bearer {KEY}"}
    )


async def _next_of(ws: aiohttp.ClientWebSocketResponse, kind: str) -> events.ServerEvent:
    while True:
        msg = await ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        event = events.decode(msg.data)
        if event.type == kind:
            return event


async def test_dtmf_reaches_the_calls_sideband_typed(server: LocalRealtimeServer) -> None:
    async with Receiver() as app:
        call = await server.call_control.ring(app.url)
    await calls.accept(call.call_id, api_key=KEY, base_url=server.http_url)
    async with aiohttp.ClientSession() as http:
        ws = await _sideband(http, server, call.call_id)
        await server.wait_for_connection(0)
        assert server.call_control.send_dtmf(call.call_id, "4#") == 1
        first = await _next_of(ws, "input_audio_buffer.dtmf_event_received")
        second = await _next_of(ws, "input_audio_buffer.dtmf_event_received")
        assert isinstance(first, events.InputAudioBufferDtmfEventReceived)
        assert (first.event, second.event) == ("4", "#")
        assert abs(first.received_at - time.time()) < 60
        assert server.call_control.send_dtmf("rtc_elsewhere", "1") == 0
        await ws.close()


async def test_hangup_closes_the_calls_sideband(server: LocalRealtimeServer) -> None:
    async with Receiver() as app:
        call = await server.call_control.ring(app.url)
    await calls.accept(call.call_id, api_key=KEY, base_url=server.http_url)
    async with aiohttp.ClientSession() as http:
        ws = await _sideband(http, server, call.call_id)
        conn = await server.wait_for_connection(0)
        await calls.hangup(call.call_id, api_key=KEY, base_url=server.http_url)
        while (msg := await ws.receive(timeout=10)).type == aiohttp.WSMsgType.TEXT:
            pass
        assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 1000, "call ended")
        await conn.closed.wait()
    ended = await server.call_control.wait_for_status(call.call_id, "ended")
    assert ended.status == "ended" and ended.sidebands == [conn.index]
    # A second hangup of the ended call is refused (it is no longer active).
    with pytest.raises(ConnectError) as info:
        await calls.hangup(call.call_id, api_key=KEY, base_url=server.http_url)
    assert info.value.status == 400
