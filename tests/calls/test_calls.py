"""``realtime_sdk.calls`` against the local server, and the request building on its own."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from email.parser import BytesParser
from email.policy import HTTP

import aiohttp
import pytest

from realtime_sdk import calls
from realtime_sdk.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    InsecureTransportError,
    NotFoundError,
)
from realtime_sdk.server import LocalRealtimeServer
from realtime_sdk.session import _calls as calls_impl

KEY = "sk-local-test"
# A browser's offer, shortened from the shape Chrome produces (audio + data channel).
OFFER = (
    "\r\n".join(
        [
            "v=0",
            "o=- 7614219274584779017 2 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0 1",
            "a=msid-semantic: WMS",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8",
            "c=IN IP4 0.0.0.0",
            "a=mid:0",
            "a=ice-ufrag:abcd",
            "a=ice-pwd:0123456789abcdefghijkl",
            "a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
            "a=setup:actpass",
            "a=sendrecv",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:8 PCMA/8000",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
            "c=IN IP4 0.0.0.0",
            "a=mid:1",
            "a=sctp-port:5000",
        ]
    )
    + "\r\n"
)


@pytest.fixture
async def server() -> AsyncIterator[LocalRealtimeServer]:
    async with LocalRealtimeServer(KEY) as srv:
        yield srv


def opts(server: LocalRealtimeServer) -> dict[str, str]:
    return {"api_key": KEY, "base_url": server.http_url}


def assert_sdp_answer_for(offer: str, answer: str) -> None:
    """RFC 8866 syntax (type=value lines, CRLF, session lines in order) and media mirroring the offer."""
    assert answer.endswith("\r\n")
    lines = answer.removesuffix("\r\n").split("\r\n")
    assert all(re.fullmatch(r"[a-z]=\S.*", line) for line in lines), lines
    assert [line[0] for line in lines[:3]] == ["v", "o", "s"] and lines[0] == "v=0"
    assert any(line.startswith("t=") for line in lines[: lines.index(next(x for x in lines if x[0] == "m"))])
    media = [line.split()[0][2:] for line in lines if line.startswith("m=")]
    offered = [line.split()[0][2:] for line in offer.split("\r\n") if line.startswith("m=")]
    assert media == offered
    audio = next(line for line in lines if line.startswith("m=audio"))
    assert audio.split()[3:] == ["111"]  # Opus, as offered under 111
    assert "a=rtpmap:111 opus/48000/2" in lines
    assert "a=group:BUNDLE 0 1" in lines
    assert sum(line.startswith("a=mid:") for line in lines) == 2


async def test_create_relays_the_offer_and_returns_call_id_and_answer(server: LocalRealtimeServer) -> None:
    answer = await calls.create(OFFER, session_properties={"instructions": "Be brief."}, **opts(server))
    assert answer.call_id.startswith("rtc_")
    assert_sdp_answer_for(OFFER, answer.sdp)
    call = server.call(answer.call_id, create=False)
    assert call is not None and call.extra["kind"] == "webrtc" and call.status == "accepted"
    assert call.extra["sdp_offer"] == OFFER and call.extra["sdp_answer"] == answer.sdp
    assert call.session is not None and call.session.instructions == "Be brief."


async def test_create_without_session_sends_the_bare_offer(server: LocalRealtimeServer) -> None:
    answer = await calls.create(OFFER, **opts(server))
    call = server.call(answer.call_id, create=False)
    assert call is not None and call.session is None and call.extra["sdp_offer"] == OFFER


async def test_sip_call_accept_refer_and_the_state_the_server_saw(server: LocalRealtimeServer) -> None:
    hooks: list[bytes] = []

    async def webhook(request: aiohttp.web.Request) -> aiohttp.web.Response:
        hooks.append(await request.read())
        return aiohttp.web.Response()

    app = aiohttp.web.Application()
    app.router.add_post("/hook", webhook)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        call = await server.call_control.ring(f"http://127.0.0.1:{port}/hook")
    finally:
        await runner.cleanup()
    assert call.extra["webhook_status"] == 200 and call.status == "incoming"
    assert json.loads(hooks[0])["data"]["call_id"] == call.call_id
    async with aiohttp.ClientSession() as http:  # a shared session is reused, not closed
        await calls.accept(
            call.call_id,
            session_properties={"instructions": "You are a receptionist."},
            http=http,
            **opts(server),
        )
        assert call.status == "accepted" and call.session is not None
        assert call.session.instructions == "You are a receptionist."
        await calls.refer(call.call_id, target_uri="tel:+14155550123", http=http, **opts(server))
        assert not http.closed
    assert call.extra["referred_to"] == ["tel:+14155550123"] and call.status == "referred"


async def test_reject_sends_the_status_and_defaults_to_the_service_default(
    server: LocalRealtimeServer,
) -> None:
    first = await server.call_control.ring(await _sink_url(server))
    await calls.reject(first.call_id, status_code=486, **opts(server))
    assert (first.status, first.extra["reject_status"]) == ("rejected", 486)
    second = await server.call_control.ring(await _sink_url(server))
    await calls.reject(second.call_id, **opts(server))
    assert second.extra["reject_status"] == 603


async def _sink_url(server: LocalRealtimeServer) -> str:
    # Any HTTP endpoint that answers: the server's own websocket path answers 404, which is fine here.
    return server.http_url + "/nowhere"


async def test_hangup_ends_a_webrtc_call(server: LocalRealtimeServer) -> None:
    answer = await calls.create(OFFER, **opts(server))
    await calls.hangup(answer.call_id, **opts(server))
    call = server.call(answer.call_id, create=False)
    assert call is not None and call.status == "ended"


@pytest.mark.parametrize("action", ["hangup", "reject", "accept", "refer"])
async def test_an_unknown_call_is_not_found(server: LocalRealtimeServer, action: str) -> None:
    kwargs = {"target_uri": "sip:a@b.example"} if action == "refer" else {}
    with pytest.raises(NotFoundError) as info:
        await getattr(calls, action)("rtc_doesnotexist", **kwargs, **opts(server))
    assert info.value.status == 404
    assert "rtc_doesnotexist" in str(info.value)


async def test_a_call_in_the_wrong_state_is_refused_with_the_status(server: LocalRealtimeServer) -> None:
    answer = await calls.create(OFFER, **opts(server))
    with pytest.raises(ConnectError) as info:
        await calls.accept(answer.call_id, **opts(server))  # a WebRTC call is never ringing
    assert info.value.status == 400 and not isinstance(info.value, NotFoundError)
    assert "it is accepted" in str(info.value)


async def test_a_wrong_key_is_an_authentication_error_without_the_key(server: LocalRealtimeServer) -> None:
    with pytest.raises(AuthenticationError) as info:
        await calls.hangup("rtc_x", api_key="sk-wrong-secret-key", base_url=server.http_url)
    assert "sk-wrong-secret-key" not in str(info.value) and "sk-wrong-secret-key" not in repr(info.value)


async def test_an_ephemeral_key_creates_a_call_with_its_session(server: LocalRealtimeServer) -> None:
    from realtime_sdk.client_secrets import create_client_secret

    secret = await create_client_secret({"instructions": "From the key."}, **opts(server))
    answer = await calls.create(OFFER, api_key=secret.value, base_url=server.http_url)
    call = server.call(answer.call_id, create=False)
    assert call is not None and call.session is not None and call.session.instructions == "From the key."


async def test_a_malformed_offer_is_refused_before_sending_and_by_the_server(
    server: LocalRealtimeServer,
) -> None:
    with pytest.raises(ConfigurationError):
        await calls.create("not sdp", **opts(server))
    with pytest.raises(ConnectError) as info:
        await calls.create("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n", **opts(server))
    assert info.value.status == 400 and "m=" in str(info.value)
    assert server.calls.calls == {}


async def test_nothing_listening_is_a_connect_error() -> None:
    with pytest.raises(ConnectError) as info:
        await calls.hangup("rtc_x", api_key=KEY, base_url="http://127.0.0.1:9/v1", request_timeout=5)
    assert info.value.status is None


async def test_plain_http_off_loopback_is_refused_unless_allowed() -> None:
    with pytest.raises(InsecureTransportError):
        await calls.hangup("rtc_x", api_key=KEY, base_url="http://calls.example.com/v1")


async def test_arguments_that_cannot_be_sent_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="API key"):
        await calls.hangup("rtc_x")
    base = "http://127.0.0.1:9/v1"
    for bad in ("", "   "):
        with pytest.raises(ConfigurationError, match="call_id"):
            await calls.hangup(bad, api_key=KEY, base_url=base)
    with pytest.raises(ConfigurationError, match="status_code"):
        await calls.reject("rtc_x", status_code=200, api_key=KEY, base_url=base)
    with pytest.raises(ConfigurationError, match="target_uri"):
        await calls.refer("rtc_x", target_uri="14155550123", api_key=KEY, base_url=base)
    with pytest.raises(ConfigurationError, match="session_properties"):
        await calls.accept("rtc_x", session_properties={"voice_of": "x"}, api_key=KEY, base_url=base)


def test_call_ids_are_quoted_into_one_path_segment() -> None:
    request = calls_impl.hangup_request("https://api.example/v1", "rtc_a/../b?c")
    assert request.url == "https://api.example/v1/realtime/calls/rtc_a%2F..%2Fb%3Fc/hangup"


def test_the_create_form_has_the_offer_and_the_session_as_typed_parts() -> None:
    request = calls_impl.create_request("https://api.example/v1", OFFER, {"instructions": "Hi"})
    assert request.content_type is not None and request.body is not None
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {request.content_type}\r\n\r\n".encode() + request.body
    )
    parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
    assert parts["sdp"].get_content_type() == "application/sdp"
    assert parts["sdp"].get_payload(decode=True).decode() == OFFER
    assert parts["session"].get_content_type() == "application/json"
    assert json.loads(parts["session"].get_payload(decode=True)) == {"type": "realtime", "instructions": "Hi"}


def test_reject_without_status_sends_an_empty_object_and_refer_the_uri() -> None:
    assert calls_impl.reject_request("https://a/v1", "rtc_1", None).body == b"{}"
    assert json.loads(calls_impl.refer_request("https://a/v1", "rtc_1", "sip:x@y").body or b"") == {
        "target_uri": "sip:x@y"
    }


def test_the_call_id_is_the_last_segment_of_location() -> None:
    reply = calls_impl._calls_http.Reply(201, "/v1/realtime/calls/rtc_abc?x=1", b"v=0\r\n")
    assert calls_impl.answer_of(reply, "u") == calls.CallAnswer(call_id="rtc_abc", sdp="v=0\r\n")
    with pytest.raises(ConnectError, match="Location"):
        calls_impl.answer_of(calls_impl._calls_http.Reply(201, None, b"v=0"), "u")
