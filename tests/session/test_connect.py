"""Connecting: handshake, the initial session.update, typed handshake errors, transport security, variants."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from realtime_sdk import (
    AuthenticationError,
    ConnectError,
    ConnectTimeoutError,
    InsecureTransportError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RealtimeSession,
    ServerError,
    SessionProperties,
    create_client_secret,
)
from realtime_sdk.server import LocalRealtimeServer

from .conftest import KEY

SECRET = "sk-this-key-must-never-be-shown-0123456789"


async def test_enter_returns_after_session_updated(server: LocalRealtimeServer) -> None:
    props = SessionProperties(instructions="Answer in French.", output_modalities=["text"])
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, session_properties=props) as s:
        conn = server.connections[0]
        # The configuration is in force on the server the moment __aenter__ returns...
        assert conn.session.instructions == "Answer in French."
        assert conn.session.output_modalities == ["text"]
        # ...and the SDK has the server's confirmation.
        assert s.server_session is not None and s.server_session.instructions == "Answer in French."
        assert [e.type for e in conn.received] == ["session.update"]
        first = [event.type async for event in _take(s, 2)]
        assert first == ["session.created", "session.updated"]


async def _take(s: RealtimeSession, n: int) -> AsyncIterator[object]:
    it = aiter(s)
    for _ in range(n):
        yield await anext(it)


async def test_no_properties_sends_no_update(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url) as s:
        assert s.server_session is not None
        assert server.connections[0].received == []


async def test_session_properties_as_dict(server: LocalRealtimeServer) -> None:
    props = {"instructions": "Be brief.", "max_output_tokens": 100}
    async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, session_properties=props):
        assert server.connections[0].session.max_output_tokens == 100


async def test_refused_initial_configuration_raises_server_error(server: LocalRealtimeServer) -> None:
    props = SessionProperties(max_output_tokens=99999)
    with pytest.raises(ServerError) as info:
        async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, session_properties=props):
            pass
    assert info.value.code == "integer_above_max_value"
    assert info.value.param == "session.max_output_tokens"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ConnectError),
        (503, ConnectError),
    ],
)
async def test_handshake_status_maps_to_typed_error(status: int, error: type[ConnectError]) -> None:
    async with LocalRealtimeServer(KEY, handshake_status=status) as server:
        with pytest.raises(error) as info:
            async with asyncio.timeout(10), RealtimeSession(SECRET, base_url=server.url):
                pass
    assert type(info.value) is error
    assert info.value.status == status
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


async def test_wrong_key_is_authentication_error(server: LocalRealtimeServer) -> None:
    with pytest.raises(AuthenticationError) as info:
        async with asyncio.timeout(10), RealtimeSession(SECRET, base_url=server.url):
            pass
    assert SECRET not in str(info.value)


async def test_connection_refused_is_connect_error() -> None:
    # The port stays bound (so nothing else can take it) but never listens: a connection is refused.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        with pytest.raises(ConnectError) as info:
            async with (
                asyncio.timeout(10),
                RealtimeSession(KEY, base_url=f"ws://127.0.0.1:{port}/v1/realtime"),
            ):
                pass
    assert info.value.status is None
    assert f"cannot connect to ws://127.0.0.1:{port}/v1/realtime" in str(info.value)


async def test_silent_peer_is_connect_timeout() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    tcp = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    try:
        url = f"ws://127.0.0.1:{port}/v1/realtime"
        with pytest.raises(ConnectTimeoutError):
            async with asyncio.timeout(10), RealtimeSession(KEY, base_url=url, connect_timeout=0.2):
                pass
    finally:
        for w in accepted:
            w.close()
        tcp.close()
        await tcp.wait_closed()


async def test_missing_session_confirmation_is_connect_timeout(server: LocalRealtimeServer) -> None:
    server.stall_after("session.created")
    props = SessionProperties(instructions="x")
    with pytest.raises(ConnectTimeoutError):
        async with (
            asyncio.timeout(10),
            RealtimeSession(KEY, base_url=server.url, session_properties=props, connect_timeout=0.3),
        ):
            pass


@pytest.mark.parametrize(
    "url",
    ["ws://example.com/v1/realtime", "ws://10.0.0.1/v1/realtime", "ws://api.openai.com.evil/v1/realtime"],
)
def test_key_over_plain_ws_off_loopback_is_refused(url: str) -> None:
    with pytest.raises(InsecureTransportError) as info:
        RealtimeSession(SECRET, base_url=url)
    assert SECRET not in str(info.value)
    RealtimeSession(SECRET, base_url=url, allow_insecure=True)  # the explicit opt-in


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:1/v1/realtime", "ws://localhost:1/x", "ws://[::1]:1/x", "wss://example.com/x"]
)
def test_loopback_and_tls_are_allowed(url: str) -> None:
    RealtimeSession(SECRET, base_url=url)


def test_no_key_no_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    RealtimeSession(base_url="ws://example.com/v1/realtime")


def test_api_key_falls_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    with pytest.raises(InsecureTransportError):  # a key was found, so plain ws off loopback is refused
        RealtimeSession(base_url="ws://example.com/v1/realtime")


def test_endpoint_and_policy_reprs_hide_the_credential_and_the_test_hooks() -> None:
    from realtime_sdk import ReconnectPolicy
    from realtime_sdk.session._connect import Endpoint

    endpoint = Endpoint.openai("wss://api.openai.com/v1/realtime", api_key=SECRET, model="m")
    assert endpoint.has_credential and SECRET not in repr(endpoint) and "model=m" in repr(endpoint)
    policy = ReconnectPolicy(max_attempts=2, clock=lambda: 0.0)
    assert repr(policy).startswith("ReconnectPolicy(max_attempts=2, base_delay=0.5")
    assert "clock" not in repr(policy) and "sleep" not in repr(policy)
    with pytest.raises(ValueError, match="max_attempts"):
        ReconnectPolicy(max_attempts=0)


async def test_key_never_in_repr_or_logs(
    server: LocalRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.api_key = SECRET
    s = RealtimeSession(SECRET, base_url=server.url, session_properties=SessionProperties(instructions="hi"))
    assert SECRET not in repr(s)
    async with asyncio.timeout(10), s:
        assert SECRET not in repr(s)
        await s.add_item("hello")
        handle = await s.create_response()
        await handle.done()
    assert SECRET not in repr(s)
    with pytest.raises(AuthenticationError) as info:
        async with asyncio.timeout(10), RealtimeSession(SECRET + "-wrong", base_url=server.url):
            pass
    assert SECRET not in str(info.value)
    assert "session.update" in caplog.text  # the DEBUG event log was on
    assert SECRET not in caplog.text
    for record in caplog.records:
        assert SECRET not in str(record.args)


async def test_debug_log_elides_audio(session: RealtimeSession, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="realtime_sdk")
    audio = bytes(range(256)) * 20
    await session.append_audio(audio)
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("send ")]
    assert any("input_audio_buffer.append" in m and "<5120 bytes>" in m for m in sent)
    import base64

    assert base64.b64encode(audio).decode()[:40] not in caplog.text


async def test_extra_headers_and_query(server: LocalRealtimeServer) -> None:
    async with (
        asyncio.timeout(10),
        RealtimeSession(
            KEY,
            base_url=server.url,
            model="gpt-realtime-mini",
            headers={"X-Trace": "t1"},
            query={"foo": "bar"},
        ),
    ):
        request = server.connections[0].request
        assert request.headers["X-Trace"] == "t1"
        assert request.query["model"] == "gpt-realtime-mini"
        assert request.query["foo"] == "bar"
        assert server.connections[0].session.model == "gpt-realtime-mini"


async def test_shared_http_session_is_left_open(server: LocalRealtimeServer) -> None:
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, http=http) as s:
            assert s.server_session is not None
        assert not http.closed
        async with asyncio.timeout(10), RealtimeSession(KEY, base_url=server.url, http=http):
            pass
        assert len(server.connections) == 2


async def test_azure_api_key(server: LocalRealtimeServer) -> None:
    endpoint = server.http_url.removesuffix("/v1")
    s = RealtimeSession.azure(endpoint=endpoint, deployment="my-realtime", api_key=KEY)
    async with asyncio.timeout(10), s:
        request = server.connections[0].request
        assert request.path == "/openai/v1/realtime"
        assert request.query["model"] == "my-realtime"
        assert request.headers["api-key"] == KEY
        assert "Authorization" not in request.headers


async def test_azure_token_provider_async_and_sync(server: LocalRealtimeServer) -> None:
    endpoint = server.http_url.removesuffix("/v1")
    calls: list[str] = []

    async def token() -> str:
        calls.append("async")
        return KEY

    async with (
        asyncio.timeout(10),
        RealtimeSession.azure(
            endpoint=endpoint, deployment="d", token_provider=token, api_version="2025-08-28"
        ),
    ):
        request = server.connections[0].request
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        assert request.query["api-version"] == "2025-08-28"
    async with (
        asyncio.timeout(10),
        RealtimeSession.azure(endpoint=endpoint, deployment="d", token_provider=lambda: KEY),
    ):
        pass
    assert calls == ["async"]


def test_azure_refuses_key_over_plain_http_off_loopback() -> None:
    with pytest.raises(InsecureTransportError):
        RealtimeSession.azure(endpoint="http://myres.openai.azure.com", deployment="d", api_key=SECRET)
    s = RealtimeSession.azure(endpoint="https://myres.openai.azure.com", deployment="d", api_key=SECRET)
    assert "wss://myres.openai.azure.com/openai/v1/realtime?model=d" in repr(s)
    assert SECRET not in repr(s)


async def test_attach_by_call_id(server: LocalRealtimeServer) -> None:
    # Nothing to configure: ready at the handshake (the sideband gets no session.created to wait for).
    async with asyncio.timeout(10), RealtimeSession.attach("rtc_123", KEY, base_url=server.url) as s:
        conn = server.connections[0]
        query = conn.request.query
        assert query["call_id"] == "rtc_123"
        assert "model" not in query
        assert conn.received == []
        assert s.server_session is None
        # Asking with nothing to change fetches the session (there was no session.created to tell it).
        fetched = await s.update_session()
        assert isinstance(fetched.id, str) and fetched.id.startswith("sess_u0_")
        assert s.server_session is not None and s.server_session.id == fetched.id
        # update_session works on it: the sideband's session id is the service's sess_u0_ kind.
        updated = await s.update_session(instructions="Greet the caller.")
        assert updated.instructions == "Greet the caller."
        assert isinstance(updated.id, str) and updated.id.startswith("sess_u0_")
        assert conn.session.instructions == "Greet the caller."


async def test_attach_is_ready_once_its_update_is_confirmed(server: LocalRealtimeServer) -> None:
    props = SessionProperties(instructions="Take a message.")
    attach = RealtimeSession.attach("rtc_456", KEY, base_url=server.url, session_properties=props)
    async with asyncio.timeout(10), attach as s:
        conn = server.connections[0]
        assert [e.type for e in conn.received] == ["session.update"]
        assert s.server_session is not None and s.server_session.instructions == "Take a message."
        first = await anext(aiter(s))
        assert first.type == "session.updated"  # the first event: no session.created came before it
        await s.update_session(max_output_tokens=200)
        assert conn.session.max_output_tokens == 200


async def test_client_secret_round_trip(server: LocalRealtimeServer) -> None:
    props = SessionProperties(instructions="From the secret.")
    secret = await create_client_secret(props, api_key=KEY, base_url=server.http_url, expires_after=60)
    assert secret.value.startswith("ek_")
    assert secret.value not in repr(secret)
    assert secret.session["instructions"] == "From the secret."
    async with asyncio.timeout(10), RealtimeSession(secret.value, base_url=server.url) as s:
        assert s.server_session is not None
        assert s.server_session.instructions == "From the secret."


async def test_client_secret_errors_are_typed(server: LocalRealtimeServer) -> None:
    with pytest.raises(AuthenticationError) as info:
        await create_client_secret(api_key=SECRET, base_url=server.http_url)
    assert SECRET not in str(info.value)
    with pytest.raises(ConnectError) as bad:
        await create_client_secret(api_key=KEY, base_url=server.http_url, expires_after=1)
    assert bad.value.status == 400
    with pytest.raises(InsecureTransportError):
        await create_client_secret(api_key=SECRET, base_url="http://example.com/v1")


async def test_client_secret_with_shared_http(server: LocalRealtimeServer) -> None:
    async with aiohttp.ClientSession() as http:
        secret = await create_client_secret(api_key=KEY, base_url=server.http_url, http=http)
        assert not http.closed
    assert secret.expires_at > 0


async def test_client_secret_error_echoing_the_key_is_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    """A server that quotes the key back in its error body: the key is cut out of the message."""
    from aiohttp import web

    async def refuse(request: web.Request) -> web.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        body = {"error": {"message": f"Incorrect API key provided: {key}.", "code": "invalid_api_key"}}
        return web.json_response(body, status=401)

    app = web.Application()
    app.router.add_post("/v1/realtime/client_secrets", refuse)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(AuthenticationError) as info:
            await create_client_secret(api_key=SECRET, base_url=f"http://127.0.0.1:{port}/v1")
    finally:
        await runner.cleanup()
    assert "Incorrect API key provided: <api key>." in str(info.value)  # the server's words, scrubbed
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.args)
    assert SECRET not in caplog.text
