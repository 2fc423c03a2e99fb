"""Scripted faults from a hostile server, one per way a connection's life or time can go wrong.

Each test passes through the judge (``judge.py``): the fault ends in a typed error or a recovery within
``BOUND`` seconds (or the configured timeout plus ``BOUND``), ``close()`` is bounded and typed, nothing
outlives it, nothing goes unretrieved, the key is nowhere.  Tests marked ``xfail(strict=True)`` record
what today's session does instead; the fix turns them into passes (and strictness then asks to drop the
mark).
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from realtime_sdk import (
    ConnectError,
    ConnectionClosed,
    RealtimeError,
    RealtimeSession,
    Reconnected,
    ReconnectPolicy,
    RequestLostError,
    SendTimeoutError,
    ServerError,
    UnknownServerEvent,
    text_message,
)

from .judge import BOUND, KEY, PREFIX, judged
from .wsserver import CLOSE, PING, HostileServer, Peer, answer, frame, greeting, polite, response

SECOND = 24000 * 2
"""Bytes of one second of 24 kHz PCM16."""


def session(url: str, **options: Any) -> RealtimeSession:
    options.setdefault("heartbeat", None)
    return RealtimeSession(KEY, base_url=url, **options)


async def greet(peer: Peer, **kw: Any) -> None:
    await peer.accept()
    await peer.send(greeting(**kw))


# -- a server that stops reading ------------------------------------------------------------------------


async def test_server_that_stops_reading_does_not_wedge_the_sender() -> None:
    stop = asyncio.Event()

    async def deaf(peer: Peer) -> None:
        await greet(peer)
        await stop.wait()  # never reads again

    async with HostileServer(deaf, rcvbuf=4096) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, close_timeout=1.0))
        await judge.bounded(s.connect())

        async def flood() -> None:
            while True:
                await s.send_audio(b"\0\0" * 24000 * 2)  # two seconds a call

        # A send timeout of a few seconds (at most 5 by default), then a typed error.
        exc = await judge.raises(flood(), 5.0 + BOUND, "a send into a full socket")
        assert isinstance(exc, SendTimeoutError)
        assert isinstance(exc, TimeoutError)
        stop.set()


async def test_close_wakes_a_sender_blocked_on_a_full_socket() -> None:
    stop = asyncio.Event()

    async def deaf(peer: Peer) -> None:
        await greet(peer)
        await stop.wait()

    async with HostileServer(deaf, rcvbuf=4096) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, close_timeout=1.0))
        await judge.bounded(s.connect())
        blocked = asyncio.Event()

        async def flood() -> None:
            while True:
                blocked.set()
                await s.send_audio(b"\0\0" * 24000 * 2)

        sender = asyncio.create_task(flood())
        # The buffers are a few kB: a few dozen calls fill them; the task then stops coming back.
        await blocked.wait()
        for _ in range(200):
            blocked.clear()
            try:
                async with asyncio.timeout(0.5):
                    await blocked.wait()
            except TimeoutError:
                break  # the sender is stuck in send_audio
        await judge.close(s)
        try:
            exc = await judge.raises(sender, BOUND, "the blocked sender after close()")
        finally:
            sender.cancel()
            stop.set()
        assert isinstance(exc, ConnectionClosed)


# -- ordinary ends of a connection ----------------------------------------------------------------------


async def test_ping_and_fin_in_one_write() -> None:
    async def rude(peer: Peer) -> None:
        await greet(peer)
        await peer.recv_type("session.update")
        # One write: the ping, then the FIN; the socket is gone when the client's automatic pong arrives.
        peer.writer.write(frame(PING, b"bye"))
        peer.writer.close()

    async with HostileServer(rude) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        exc = await judge.raises(s.update_session({"instructions": "x"}), BOUND + 1, "update during FIN")
        assert isinstance(exc, ConnectionClosed)
        await s.close()  # raises nothing (the judge would record an untyped error as a failure)


async def test_empty_close_frame_wakes_waiters_with_1005() -> None:
    async def terse(peer: Peer) -> None:
        await greet(peer)
        await peer.recv_type("session.update")
        await peer.raw(frame(CLOSE, b""))
        await peer.recv()

    async with HostileServer(terse) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, close_timeout=30.0))
        await judge.bounded(s.connect())
        exc = await judge.raises(
            s.update_session({"instructions": "x"}), BOUND, "a wait after an empty close"
        )
        assert isinstance(exc, ConnectionClosed)
        assert exc.code == 1005


@pytest.mark.parametrize("code", [1000, 1001, 1008, 1011, 4000])
async def test_close_codes_reach_every_waiter(code: int) -> None:
    async def closing(peer: Peer) -> None:
        await greet(peer)
        await peer.recv_type("session.update")
        await peer.close(code, "scripted")
        await peer.recv()

    async with HostileServer(closing) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, close_timeout=30.0))
        await judge.bounded(s.connect())
        exc = await judge.raises(
            s.update_session({"instructions": "x"}), BOUND, "a wait when the server closes"
        )
        assert isinstance(exc, ConnectionClosed)
        assert (exc.code, exc.reason) == (code, "scripted")


async def test_dropped_connection_fails_waiters_with_1006() -> None:
    async def dropping(peer: Peer) -> None:
        await greet(peer)
        await peer.recv_type("session.update")
        peer.drop()

    async with HostileServer(dropping) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        exc = await judge.raises(s.update_session({"instructions": "x"}), BOUND, "a wait when the peer drops")
        assert isinstance(exc, ConnectionClosed)
        assert exc.code == 1006


# -- the handshake and the key --------------------------------------------------------------------------


def azure(url: str, **options: Any) -> RealtimeSession:
    return RealtimeSession.azure(
        endpoint=url.replace("ws://", "http://").replace("wss://", "https://"),
        deployment="d",
        api_key=KEY,
        heartbeat=None,
        **options,
    )


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_no_redirect_followed_cross_origin_with_azure_key(status: int) -> None:
    async with HostileServer(polite) as elsewhere:

        async def redirecting(peer: Peer) -> None:
            await peer.http(
                status, headers={"Location": f"http://127.0.0.1:{elsewhere.port}/openai/v1/realtime"}
            )

        async with HostileServer(redirecting) as srv, judged(srv, elsewhere) as judge:
            s = judge.track(azure(srv.url))
            exc = await judge.raises(s.connect(), BOUND, "a redirected handshake")
            assert isinstance(exc, ConnectError)
            leaked = [p.request.headers for p in elsewhere.connections]
            assert not any("api-key" in h or "authorization" in h for h in leaked), leaked


async def test_no_redirect_followed_from_wss_down_to_http(tmp_path: Path) -> None:
    from .wsserver import self_signed

    cert, key = self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    client_tls = ssl.create_default_context(cafile=str(cert))
    async with HostileServer(polite) as plain:

        async def downgrading(peer: Peer) -> None:
            await peer.http(302, headers={"Location": f"http://127.0.0.1:{plain.port}/openai/v1/realtime"})

        async with HostileServer(downgrading, tls=server_tls) as srv, judged(srv, plain) as judge:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_tls)) as http:
                url = f"wss://127.0.0.1:{srv.port}"
                s = judge.track(azure(url, http=http))
                exc = await judge.raises(s.connect(), BOUND, "a downgrading redirect")
                await s.close()
            assert isinstance(exc, ConnectError)
            assert not any("api-key" in p.request.headers for p in plain.connections)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
async def test_handshake_errors_carry_no_key(status: int) -> None:
    async def refusing(peer: Peer) -> None:
        echoed = json.dumps({"error": {"message": f"bad key {KEY}", "headers": peer.request.headers}})
        await peer.http(
            status, echoed.encode(), headers={"X-Echo": peer.request.headers.get("authorization", "")}
        )

    async with HostileServer(refusing) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        exc = await judge.raises(s.connect(), BOUND, "a refused handshake")
        assert isinstance(exc, ConnectError)
        assert exc.status == status
        # The judge walks the whole chain (`__context__` included) for the key.


@pytest.mark.parametrize("header", ["Authorization", "api-key", "OpenAI-Api-Key"])
def test_key_in_headers_gets_the_ws_protection_at_construction(header: str) -> None:
    """A key in ``headers=`` is refused over ws:// off loopback where ``api_key`` is: at construction."""
    from realtime_sdk import InsecureTransportError

    with pytest.raises(InsecureTransportError, match="clear text"):
        RealtimeSession(base_url="ws://example.invalid/v1/realtime", headers={header: f"Bearer {KEY}"})


def _echoing_scenario() -> Any:
    async def echoing(peer: Peer, event: dict[str, Any]) -> None:
        error = {
            "type": "invalid_request_error",
            "code": "invalid_api_key",
            "message": f"Incorrect API key provided: {PREFIX}****{KEY[-4:]}.",
            "param": None,
            "event_id": event.get("event_id"),
        }
        await peer.send({"type": "error", "event_id": "ev_e", "error": error})

    async def scenario(peer: Peer) -> None:
        await polite(peer, on={"session.update": echoing})

    return scenario


async def test_server_error_echoing_a_shortened_key_is_redacted() -> None:
    async with HostileServer(_echoing_scenario()) as srv, judged(srv) as judge:
        judge.check_logs = False  # the next test judges the log
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        exc = await judge.raises(s.update_session({"instructions": "x"}), BOUND, "a refused update")
        assert isinstance(exc, ServerError)
        assert PREFIX not in str(exc) and PREFIX not in exc.message
        assert "sk-<redacted>" in exc.message


async def test_server_error_echoing_a_shortened_key_stays_out_of_the_debug_log() -> None:
    async with HostileServer(_echoing_scenario()) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        await judge.raises(s.update_session({"instructions": "x"}), BOUND, "a refused update")


# -- drifted known events -------------------------------------------------------------------------------


def _responding(created: Any, done: Any) -> Any:
    async def respond(peer: Peer, event: dict[str, Any]) -> None:
        await peer.send(created(event))
        await peer.send(done(event))

    async def scenario(peer: Peer) -> None:
        await polite(peer, on={"response.create": respond})

    return scenario


def _done(event: dict[str, Any], rid: str = "resp_1", **drift: Any) -> dict[str, Any]:
    done = response(rid, event, "response.done")
    done["response"].update(drift)
    return done


@pytest.mark.parametrize(
    ("created", "done"),
    [
        pytest.param(
            lambda e: response("resp_1", e),
            lambda e: _done(e, usage="drifted"),
            id="done-one-drifted-field",
        ),
        pytest.param(
            lambda e: response(None, e),
            lambda e: _done(e),
            id="created-null-id",
        ),
        pytest.param(
            lambda e: response("resp_1", e),
            lambda e: _done(e, rid="resp_2"),
            id="done-under-other-id",
        ),
        pytest.param(lambda e: response("resp_1", e), lambda e: _done(e), id="control-well-formed"),
    ],
)
async def test_a_handle_finishes_when_the_server_did(created: Any, done: Any) -> None:
    async with HostileServer(_responding(created, done)) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        handle = await judge.bounded(s.create_response(), BOUND, "create_response")
        await judge.bounded(handle.done(), BOUND, "handle.done() after the server's response.done")


async def test_a_chatty_server_does_not_keep_a_dead_response_active() -> None:
    async def chatty(peer: Peer) -> None:
        await greet(peer)
        first = await peer.recv_type("response.create")
        assert first is not None
        await peer.send(response("resp_dead", first))  # and never its response.done

        async def chatter() -> None:
            limits = {"type": "rate_limits.updated", "event_id": "ev_r", "rate_limits": []}
            while True:
                await peer.send(limits)
                await asyncio.sleep(0.3)  # the scripted cadence of the fault, not a synchronisation

        task = asyncio.create_task(chatter())
        try:
            await answer(peer)
        finally:
            task.cancel()

    timeout = 0.5
    async with HostileServer(chatty) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, request_timeout=timeout))
        await judge.bounded(s.connect())
        await judge.bounded(s.create_response(), BOUND, "the first create_response")
        # The dead response holds the second one at most request_timeout (then the server judges).
        try:
            await judge.bounded(
                s.create_response(), timeout + BOUND, "create_response behind a dead response"
            )
        except RealtimeError:
            pass  # a typed refusal is an ending too


async def test_a_drifted_done_ends_the_handle_while_the_app_sees_it_unknown() -> None:
    async with (
        HostileServer(
            _responding(lambda e: response("resp_1", e), lambda e: _done(e, usage="drifted"))
        ) as srv,
        judged(srv) as judge,
    ):
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        handle = await judge.bounded(s.create_response(), BOUND, "create_response")
        final = await judge.bounded(handle.done(), BOUND, "handle.done()")
        assert final.id == "resp_1" and final.status == "completed"

        async def the_apps_done() -> Any:
            async for event in s:
                if event.type == "response.done":
                    return event
            raise AssertionError("stream ended")

        seen = await judge.bounded(the_apps_done(), BOUND, "the app's view of the response.done")
        assert isinstance(seen, UnknownServerEvent)
        assert "usage" in seen.error
        assert seen.raw["response"]["usage"] == "drifted"


async def test_a_drifted_acknowledgement_still_answers_its_request() -> None:
    async def drifted_updated(peer: Peer, event: dict[str, Any]) -> None:
        session_ = {**greeting()["session"], **event.get("session", {}), "max_output_tokens": {"x": 1}}
        await peer.send({"type": "session.updated", "event_id": "ev_u", "session": session_})

    async def scenario(peer: Peer) -> None:
        await polite(peer, on={"session.update": drifted_updated})

    async with HostileServer(scenario) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        await judge.bounded(
            s.update_session({"instructions": "be brief"}), BOUND, "a drifted session.updated"
        )
        assert s.server_session is not None
        assert s.server_session.instructions == "be brief"


# -- reconnect storms -----------------------------------------------------------------------------------


async def test_expiry_inside_the_rollover_margin_is_no_reconnect_storm() -> None:
    async def short_lived(peer: Peer) -> None:
        await peer.accept()
        await peer.send(greeting(expires_in=10.0))  # inside the 120 s default margin from the start
        await answer(peer)

    async with HostileServer(short_lived) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, reconnect=ReconnectPolicy()))
        await judge.bounded(s.connect())
        # A bounded, backed-off rollover makes a handful of connections in a second; a storm, hundreds.
        try:
            async with asyncio.timeout(1.0):
                while len(srv.connections) < 20:  # noqa: ASYNC110 - counting the server's accepts
                    await asyncio.sleep(0.01)
        except TimeoutError:
            pass
        assert len(srv.connections) < 20, f"{len(srv.connections)} connections within a second"


async def test_sessions_shorter_than_the_margin_roll_over_half_way_through_their_life() -> None:
    async def short_lived(peer: Peer) -> None:
        await peer.accept()
        await peer.send(greeting(expires_in=3.0))  # every new session too (2 to 3 s of life)
        await answer(peer)

    async with HostileServer(short_lived) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, reconnect=ReconnectPolicy()))
        notices: list[Reconnected] = []
        two = asyncio.Event()

        def count(notice: Reconnected) -> None:
            notices.append(notice)
            if len(notices) >= 2:
                two.set()

        s.on(Reconnected, count)
        await judge.bounded(s.connect())
        loop = asyncio.get_running_loop()
        start = loop.time()
        await judge.bounded(two.wait(), 3.0 + BOUND, "two rollovers")
        took = loop.time() - start
        # Each session is replaced after half of its 2-3 s life: two rollovers take 2 s at least.
        assert took >= 1.5, f"two rollovers within {took:.2f} s"
        assert all(n.reason == "rollover" for n in notices)


async def test_a_session_already_expired_by_the_clock_is_not_rolled_over() -> None:
    async def stale(peer: Peer) -> None:
        await peer.accept()
        await peer.send(greeting(expires_in=-30.0))  # a client clock running fast sees this
        await answer(peer)

    async with HostileServer(stale) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, reconnect=ReconnectPolicy()))
        await judge.bounded(s.connect())
        await judge.bounded(s.update_session({"instructions": "still here"}), BOUND, "an update")
        assert len(srv.connections) == 1
        assert s._link.timer is None or s._link.timer.done()


async def test_a_request_that_kills_connections_fails_typed() -> None:
    async def poisoned(peer: Peer, event: dict[str, Any]) -> None:
        if "poison" in json.dumps(event):
            peer.drop()

    async def scenario(peer: Peer) -> None:
        await polite(peer, on={"conversation.item.create": poisoned})

    policy = ReconnectPolicy(base_delay=0.01, max_delay=0.02, max_attempts=6)
    async with HostileServer(scenario) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, reconnect=policy))
        await judge.bounded(s.connect())
        exc = await judge.raises(s.add_item("poison"), 2 * BOUND, "a request that drops the server")
        assert isinstance(exc, RequestLostError)
        assert "conversation.item.create" in str(exc)
        assert len(srv.connections) <= 3, f"the request killed {len(srv.connections) - 1} connections"


# -- floods ---------------------------------------------------------------------------------------------


async def test_audio_faster_than_real_time_is_bounded() -> None:
    import base64

    seconds = 120
    chunk = base64.b64encode(b"\1\0" * 24000).decode()  # one second a delta

    async def flooding(peer: Peer, event: dict[str, Any]) -> None:
        await peer.send(response("resp_a", event))
        for i in range(seconds):
            await peer.send(
                {
                    "type": "response.output_audio.delta",
                    "event_id": f"ev_{i}",
                    "response_id": "resp_a",
                    "item_id": "item_a",
                    "output_index": 0,
                    "content_index": 0,
                    "delta": chunk,
                }
            )
        await peer.send(_done(event, rid="resp_a"))

    async def scenario(peer: Peer) -> None:
        await polite(peer, on={"response.create": flooding})

    async with HostileServer(scenario) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        stream = s.output_audio()
        handle = await judge.bounded(s.create_response())
        await judge.bounded(handle.done(), 10.0, "the flood")
        held = 0
        try:
            while True:
                chunk_ = await asyncio.wait_for(anext(aiter(stream)), 0.2)
                held += len(getattr(chunk_, "data", b""))
        except (TimeoutError, StopAsyncIteration, RealtimeError):
            pass
        await stream.aclose() if hasattr(stream, "aclose") else stream.close()
        assert held <= 60 * SECOND, f"{held / SECOND:.0f} s of audio held"
        assert held >= 59 * SECOND, "the newest minute is kept"
        assert stream.dropped_seconds >= 59, stream.dropped_seconds


async def test_a_deeply_nested_event_at_debug_is_still_delivered() -> None:
    deep: Any = "bottom"
    for _ in range(600):
        deep = {"d": deep}

    async def nesting(peer: Peer) -> None:
        await greet(peer)
        await peer.send({"type": "vendor.custom", "event_id": "ev_deep", "payload": deep})
        await answer(peer)

    async with HostileServer(nesting) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        logging.getLogger("realtime_sdk").setLevel(logging.DEBUG)
        await judge.bounded(s.connect())

        async def first_unknown() -> UnknownServerEvent:
            async for event in s:
                if isinstance(event, UnknownServerEvent):
                    return event
            raise AssertionError("stream ended")

        event = await judge.bounded(first_unknown(), BOUND, "the nested event")
        assert event.type == "vendor.custom"


# -- shutdown -------------------------------------------------------------------------------------------


async def test_cancelling_close_leaves_nothing_and_close_again_is_clean() -> None:
    close_seen = asyncio.Event()

    async def slow_goodbye(peer: Peer) -> None:
        await greet(peer)
        while (event := await peer.recv_frame()) is not None:
            if event[0] == CLOSE:
                close_seen.set()
                await asyncio.Event().wait()  # never echoes the close

    async with HostileServer(slow_goodbye) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, close_timeout=5.0))
        await judge.bounded(s.connect())
        closing = asyncio.create_task(s.close())
        await close_seen.wait()  # close() is now waiting for the server's answer
        closing.cancel()
        try:
            await closing
        except asyncio.CancelledError:
            pass
        await judge.bounded(s.close(), BOUND, "a second close()")


async def test_ping_then_reset() -> None:
    async def rude(peer: Peer) -> None:
        await greet(peer)
        await peer.recv_type("session.update")
        await peer.raw(frame(PING, b"bye"))
        peer.drop()

    async with HostileServer(rude) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url))
        await judge.bounded(s.connect())
        exc = await judge.raises(s.update_session({"instructions": "x"}), BOUND, "update during a reset")
        assert isinstance(exc, ConnectionClosed)


async def test_heartbeat_failure_wakes_a_blocked_sender() -> None:
    stop = asyncio.Event()

    async def deaf(peer: Peer) -> None:
        await greet(peer)
        await stop.wait()  # reads nothing, answers no ping

    heartbeat = 0.5
    async with HostileServer(deaf, rcvbuf=4096) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, close_timeout=1.0, heartbeat=heartbeat))
        await judge.bounded(s.connect())

        async def flood() -> None:
            while True:
                await s.send_audio(b"\0\0" * 24000 * 2)

        try:
            exc = await judge.raises(
                flood(), 2 * heartbeat + 1.0 + BOUND, "a sender when the heartbeat fails"
            )
        finally:
            stop.set()
        assert isinstance(exc, ConnectionClosed)


# -- the end of a session while it reconnects or restores -----------------------------------------------


async def test_close_during_a_rollover() -> None:
    second = asyncio.Event()

    async def rolling(peer: Peer) -> None:
        await peer.accept()
        if len(srv.connections) == 1:
            await peer.send(greeting(expires_in=2.5))  # a rollover is due half-way, in about a second
            await answer(peer)
        else:
            second.set()
            await peer.recv()  # the replacement never greets: the rollover is in progress

    async with HostileServer(rolling) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, reconnect=ReconnectPolicy(), close_timeout=1.0))
        await judge.bounded(s.connect())
        await judge.bounded(second.wait(), BOUND, "the rollover's new connection")
        await judge.bounded(s.close(), 1.0 + BOUND, "close() during a rollover")
        await judge.bounded(s.close(), 1.0 + BOUND, "a second close()")


async def test_history_cut_by_a_drop_leaves_no_unretrieved_future() -> None:
    async def cutting(peer: Peer) -> None:
        await greet(peer)
        seen = 0
        while (event := await peer.recv()) is not None:
            if event.get("type") == "conversation.item.create":
                seen += 1
                if seen == 2:
                    peer.drop()
                    return
                item = {"object": "realtime.item", "status": "completed", **event["item"]}
                await peer.send(
                    {
                        "type": "conversation.item.added",
                        "event_id": "e",
                        "previous_item_id": None,
                        "item": item,
                    }
                )

    history = [text_message("user", f"message {i}") for i in range(4)]
    async with HostileServer(cutting) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, history=history))
        exc = await judge.raises(s.connect(), BOUND, "connect with history cut by a drop")
        assert isinstance(exc, ConnectionClosed)


async def test_restore_cut_by_a_drop_leaves_no_unretrieved_future() -> None:
    async def scenario(peer: Peer) -> None:
        await peer.accept()
        await peer.send(greeting())
        n = len(srv.connections)
        count = 0
        while (event := await peer.recv()) is not None:
            if event.get("type") == "conversation.item.create":
                count += 1
                if n == 1 and count == 3:
                    peer.drop()  # the first connection ends after the app's third item
                    return
                if n == 2 and count == 2:
                    peer.drop()  # the restore is cut halfway
                    return
                item = {"object": "realtime.item", "status": "completed", **event["item"]}
                await peer.send(
                    {
                        "type": "conversation.item.added",
                        "event_id": "e",
                        "previous_item_id": None,
                        "item": item,
                    }
                )

    policy = ReconnectPolicy(base_delay=0.01, max_delay=0.02, max_attempts=2)
    async with HostileServer(scenario) as srv, judged(srv) as judge:
        s = judge.track(session(srv.url, reconnect=policy, request_timeout=1.0))
        await judge.bounded(s.connect())
        await judge.bounded(s.add_item("one"))
        await judge.bounded(s.add_item("two"))
        try:
            await judge.bounded(s.add_item("three"), 3 * BOUND, "an add_item across a cut restore")
        except RealtimeError:
            pass
        await judge.close(s)
        assert len(srv.connections) >= 2, "the scenario did not reach a restore"


async def test_client_secret_refusal_echoing_a_shortened_key_is_redacted() -> None:
    from realtime_sdk import create_client_secret

    async def refusing(peer: Peer) -> None:
        body = {"error": {"message": f"Incorrect API key provided: {PREFIX}****{KEY[-4:]}.", "type": "x"}}
        await peer.http(401, json.dumps(body).encode(), headers={"Content-Type": "application/json"})

    async with HostileServer(refusing) as srv, judged(srv) as judge:
        base = f"http://127.0.0.1:{srv.port}/v1"
        exc = await judge.raises(create_client_secret(api_key=KEY, base_url=base), BOUND, "a refused mint")
        assert isinstance(exc, ConnectError) and exc.status == 401
        assert "sk-<redacted>" in str(exc)
