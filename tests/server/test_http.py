"""Handshake, authentication, paths and ephemeral keys."""

from __future__ import annotations

import aiohttp
import pytest

from realtime_sdk.server import LocalRealtimeServer

from .conftest import KEY, Client


async def _handshake_status(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        async with http.ws_connect(url, headers=headers):
            pass
    return info.value.status


async def test_bearer_key_connects_and_session_created_comes_first(server, connect) -> None:
    async with connect(server, read_created=False) as client:
        created = await client.recv()
        assert created.type == "session.created"
        assert created.session.model == "gpt-realtime"
    assert server.url.startswith("ws://127.0.0.1:") and server.url.endswith("/v1/realtime")
    assert server.http_url.endswith("/v1")


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sk-wrong"}, {"api-key": "nope"}])
async def test_missing_or_wrong_key_is_401_before_upgrade(server, http, headers) -> None:
    assert await _handshake_status(http, server.url + "?model=gpt-realtime", headers) == 401
    async with http.get(server.url.replace("ws://", "http://") + "?model=x", headers=headers) as resp:
        body = await resp.json()
    assert resp.status == 401
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert server.connections == []


async def test_azure_api_key_header_and_paths(server, connect) -> None:
    base = server.url.removesuffix("/v1/realtime")
    for path, deployment in (
        ("/openai/v1/realtime?model=my-deployment", "my-deployment"),
        ("/openai/realtime?api-version=2025-08-28&deployment=dep", "dep"),
    ):
        server_url = base + path
        async with (
            aiohttp.ClientSession() as http,
            http.ws_connect(server_url, headers={"api-key": KEY}) as ws,
        ):
            created = await Client(ws).session_created()
            assert created.session.model == deployment


async def test_browser_subprotocol_key(server, http) -> None:
    protocols = ("realtime", f"openai-insecure-api-key.{KEY}")
    async with http.ws_connect(server.url + "?model=gpt-realtime", protocols=protocols) as ws:
        assert (await Client(ws).session_created()).type == "session.created"
        assert ws.protocol == "realtime"


async def test_unknown_path_is_404(server, http) -> None:
    base = server.url.removesuffix("/v1/realtime")
    assert await _handshake_status(http, base + "/v1/elsewhere", {"Authorization": f"Bearer {KEY}"}) == 404
    async with http.get(base.replace("ws://", "http://") + "/v2/realtime") as resp:
        assert resp.status == 404
        assert "error" in await resp.json()


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500])
async def test_handshake_status_forces_every_upgrade(http, status) -> None:
    async with LocalRealtimeServer(handshake_status=status) as srv:
        assert await _handshake_status(http, srv.url, {"Authorization": f"Bearer {KEY}"}) == status


async def test_fail_handshakes_then_accept(server, http, connect) -> None:
    server.fail_handshakes(503, count=2)
    for _ in range(2):
        assert await _handshake_status(http, server.url, {"Authorization": f"Bearer {KEY}"}) == 503
    async with connect(server) as client:
        assert client.ws is not None
    assert len(server.connections) == 1


async def test_client_secret_mints_ephemeral_key_with_session(server, http, connect) -> None:
    body = {
        "expires_after": {"anchor": "created_at", "seconds": 600},
        "session": {
            "type": "realtime",
            "model": "gpt-realtime",
            "instructions": "Be terse.",
            "output_modalities": ["text"],
        },
    }
    async with http.post(
        server.http_url + "/realtime/client_secrets", json=body, headers={"Authorization": f"Bearer {KEY}"}
    ) as resp:
        assert resp.status == 200
        secret = await resp.json()
    assert secret["value"].startswith("ek_")
    assert secret["session"]["instructions"] == "Be terse."
    assert isinstance(secret["expires_at"], int)
    async with connect(
        server, headers={"Authorization": f"Bearer {secret['value']}"}, read_created=False
    ) as client:
        created = await client.session_created()
        assert created.session.instructions == "Be terse."
        assert created.session.output_modalities == ["text"]


async def test_client_secret_needs_the_real_key(server, http) -> None:
    async with http.post(server.http_url + "/realtime/client_secrets", json={}) as resp:
        assert resp.status == 401


async def test_no_api_key_means_open_server(http) -> None:
    async with LocalRealtimeServer(api_key=None) as srv, http.ws_connect(srv.url) as ws:
        assert (await Client(ws).session_created()).type == "session.created"


async def test_wait_for_connection_is_event_based(server, connect) -> None:
    async with connect(server):
        conn = await server.wait_for_connection(0)
        assert conn.index == 0
        assert conn.session.type == "realtime"
