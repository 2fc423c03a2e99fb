"""An adversarial server: random frames while the app iterates, awaits handles and sends requests.

Whatever the server sends, the app sees only the documented typed errors, nothing hangs, the reader never
hits an internal error, the session still works afterwards, and closing it leaves no task behind.  Each
example runs in its own event loop with a fresh local server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realtime_sdk import (
    ConnectionClosed,
    EventsDroppedError,
    RealtimeError,
    RealtimeSession,
    RequestTimeoutError,
    ResponseActiveError,
    ServerError,
)
from realtime_sdk.server import LocalRealtimeServer, ServerConnection

from .conftest import KEY

REQUEST_TIMEOUT = 0.3
HANG_GUARD = 10.0
"""Far beyond any bounded wait: reaching it means a hang."""
EXPECTED = (ServerError, RequestTimeoutError, ResponseActiveError, ConnectionClosed, EventsDroppedError)

ids = st.sampled_from(["resp_a", "resp_b", "item_a", "item_b", "", "x" * 300])
maybe_null = st.one_of(st.none(), ids, st.integers(), st.booleans(), st.just({}), st.just([]))
metadata = st.one_of(
    st.none(),
    st.just({}),
    st.dictionaries(st.sampled_from(["sdk_response_id", "topic"]), st.one_of(ids, st.integers()), max_size=2),
    st.just("not an object"),
)
status = st.sampled_from(["completed", "failed", "cancelled", "incomplete", "in_progress", "novel", None])
item = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "function_call", "function_call_output", "weird"]), "id": ids},
    optional={
        "role": st.sampled_from(["user", "assistant", "system", "robot"]),
        "status": status,
        "content": st.one_of(st.none(), st.just([{"type": "output_text", "text": "t"}]), st.just([{}])),
        "call_id": ids,
        "name": st.sampled_from(["get_weather", "no_such_tool"]),
        "arguments": st.sampled_from(["{}", "not json", '{"city": 1}']),
        "output": ids,
    },
)
response = st.fixed_dictionaries(
    {"id": st.one_of(ids, st.none())},
    optional={
        "object": st.just("realtime.response"),
        "status": status,
        "metadata": metadata,
        "status_details": st.one_of(st.none(), st.just({"type": "failed", "error": None})),
        "output": st.one_of(st.none(), st.lists(item, max_size=2)),
        "usage": st.one_of(st.none(), st.just({"total_tokens": None})),
        "conversation_id": maybe_null,
    },
)
pending = "$pending"
"""Stands for the event id of the last request the server received: an error that answers it."""


def event(type_: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"type": st.just(type_), "event_id": ids}, optional=fields)


events = st.one_of(
    event("response.created", response=response),
    event("response.done", response=response),
    event("response.output_text.delta", response_id=ids, item_id=ids, delta=st.text(max_size=5)),
    event(
        "response.output_audio.delta",
        response_id=ids,
        item_id=ids,
        output_index=st.integers(0, 3),
        content_index=st.integers(0, 3),
        delta=st.sampled_from([base64.b64encode(b"\x01\x02").decode(), "!!not base64!!"]),
    ),
    event("response.output_audio_transcript.delta", response_id=ids, item_id=ids, delta=st.text(max_size=5)),
    event(
        "response.function_call_arguments.done",
        response_id=ids,
        item_id=ids,
        call_id=ids,
        name=st.sampled_from(["get_weather", "no_such_tool"]),
        arguments=st.sampled_from(["{}", "[", '{"city": "x"}']),
    ),
    event("response.output_item.added", response_id=ids, item=item, output_index=st.integers(0, 3)),
    event("response.output_item.done", response_id=ids, item=item, output_index=st.integers(0, 3)),
    event("conversation.item.added", item=item, previous_item_id=maybe_null),
    event("conversation.item.done", item=item, previous_item_id=maybe_null),
    event("conversation.item.created", item=item, previous_item_id=maybe_null),
    event("conversation.item.deleted", item_id=ids),
    event(
        "conversation.item.truncated", item_id=ids, content_index=st.integers(0, 2), audio_end_ms=maybe_null
    ),
    event("conversation.item.retrieved", item=item),
    event("conversation.item.input_audio_transcription.completed", item_id=ids, transcript=maybe_null),
    event("conversation.item.input_audio_transcription.delta", item_id=ids, delta=maybe_null),
    event("input_audio_buffer.committed", item_id=ids, previous_item_id=maybe_null),
    event("input_audio_buffer.cleared"),
    event("input_audio_buffer.speech_started", item_id=ids, audio_start_ms=st.integers(-5, 5000)),
    event("input_audio_buffer.speech_stopped", item_id=ids, audio_end_ms=st.integers(-5, 5000)),
    event(
        "session.updated",
        session=st.fixed_dictionaries(
            {"type": st.sampled_from(["realtime", "transcription"])},
            optional={
                "id": maybe_null,
                "audio": st.one_of(st.none(), st.just({"input": None, "output": None})),
                "instructions": maybe_null,
                "expires_at": st.one_of(st.none(), st.integers(-1, 2**40)),
                "tools": st.one_of(st.none(), st.just([])),
            },
        ),
    ),
    event("session.created", session=st.just({"type": "realtime", "expires_at": None})),
    event(
        "error",
        error=st.fixed_dictionaries(
            {
                "type": st.sampled_from(["invalid_request_error", "server_error"]),
                "message": st.text(max_size=8),
            },
            optional={
                "code": st.sampled_from([None, "bad", "response_cancel_not_active", "session_expired"]),
                "event_id": st.sampled_from([None, pending, "evt_nobody"]),
                "param": maybe_null,
            },
        ),
    ),
    event("rate_limits.updated", rate_limits=st.one_of(st.none(), st.just([{"name": None}]))),
    event("brand.new.event", payload=maybe_null),
)


def nested(depth: int) -> bytes:
    return b'{"type": "x", "a": ' + b"[" * depth + b"]" * depth + b"}"


@dataclass(frozen=True)
class Frame:
    data: bytes
    binary: bool = False


frames = st.one_of(
    events.map(lambda e: Frame(json.dumps(e).encode())),
    events.map(lambda e: Frame(json.dumps(e).encode(), binary=True)),
    st.sampled_from(
        [
            Frame(b"not json at all"),
            Frame(b"{"),
            Frame(b"[1, 2]"),
            Frame(b"null"),
            Frame(b'"a string"'),
            Frame(b"{}"),
            Frame(b'{"type": 5}'),
            Frame(b"\xff\xfe invalid utf-8"),
            Frame(nested(100_000)),
            Frame(b"[" * 100_000 + b"]" * 100_000),
            # More than aiohttp's default 4 MiB, less than the 16 MiB the SDK allows.
            Frame(b'{"type": "response.output_text.delta", "delta": "' + b"x" * (5 * 2**20) + b'"}'),
        ]
    ),
)

Op = Callable[[RealtimeSession], Awaitable[Any]]


async def _create_and_finish(s: RealtimeSession) -> None:
    handle = await s.create_response()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT * 3):
            await handle.done()
    except TimeoutError:
        pass  # a response the fuzz left without response.done: it may stay open; the wait must not hang


ops: st.SearchStrategy[Op] = st.sampled_from(
    [
        lambda s: s.update_session(instructions="changed"),
        lambda s: s.update_session(max_output_tokens=17),
        lambda s: s.add_item("hello"),
        lambda s: s.retrieve_item("item_a"),
        lambda s: s.delete_item("item_b"),
        lambda s: s.create_response(on_active="raise"),
        lambda s: s.create_response(conversation="none", output_modalities=["text"]),
        _create_and_finish,
        lambda s: s.cancel_response(),
        lambda s: s.commit_audio(),
    ]
)


@dataclass(frozen=True)
class Control:
    """``stall`` the server (its answers queue up), ``resume`` it, or ``settle``: let every op started so
    far finish (answered, refused or timed out) before the next step."""

    action: str


controls = st.sampled_from([Control("stall"), Control("resume"), Control("settle")])
# Picked kind first: a flat one_of would weigh each of the many frame branches like all ops together.
step = st.sampled_from([frames, frames, ops, ops, controls]).flatmap(lambda kind: kind)
steps = st.lists(step, min_size=1, max_size=16)
endings = st.sampled_from([None, None, "drop", "close"])


class ErrorLog(logging.Handler):
    """Collects ERROR records: the reader logs an internal fault at ERROR and carries on."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def _send(conn: ServerConnection, frame: Frame, received: int) -> None:
    data = frame.data
    if pending.encode() in data:
        requests = [getattr(e, "event_id", None) for e in conn.received[:received]] or [None]
        data = data.replace(pending.encode(), str(requests[-1]).encode())
    if frame.binary:
        await conn.send_raw(data, binary=True)
    else:
        await conn.send_raw(data)


@contextlib.asynccontextmanager
async def _closing(session: RealtimeSession) -> AsyncIterator[None]:
    """Close the session even when a check failed, so that a failure reports only itself."""
    try:
        yield
    finally:
        await session.close()


async def _scenario(plan: list[Frame | Op | Control], ending: str | None = None) -> None:
    log = ErrorLog()
    logging.getLogger("realtime_sdk").addHandler(log)
    before = asyncio.all_tasks()
    try:
        async with LocalRealtimeServer(KEY) as server:
            session = RealtimeSession(
                KEY, base_url=server.url, request_timeout=REQUEST_TIMEOUT, max_queued_events=8
            )
            async with asyncio.timeout(HANG_GUARD) as guard, _closing(session):
                await session.connect()
                conn = server.connections[0]

                async def iterate() -> None:
                    async for _ in session:
                        pass

                reader = asyncio.create_task(iterate())
                reader.add_done_callback(lambda t: t.cancelled() or t.exception())
                running: list[asyncio.Task[Any]] = []
                for step in plan:
                    if isinstance(step, Frame):
                        await _send(conn, step, len(conn.received))
                    elif step == Control("stall"):
                        conn.stall()
                    elif step == Control("resume"):
                        conn.resume()
                    elif isinstance(step, Control):
                        if running:
                            await asyncio.wait(running)
                    else:
                        running.append(asyncio.create_task(step(session)))
                    await asyncio.sleep(0)
                conn.resume()
                if ending == "drop":
                    await conn.drop()
                elif ending == "close":
                    await conn.close(4000, "bye")
                outcomes = await asyncio.gather(*running, return_exceptions=True)
                for outcome in outcomes:
                    if isinstance(outcome, BaseException):
                        assert isinstance(outcome, EXPECTED), repr(outcome)
                if ending is None:
                    # Still usable, and every answer goes to its own request: a full round trip.
                    item = await session.add_item("after the storm")
                    assert item.id is not None
                    updated = await session.update_session(instructions="still here")
                    assert updated.instructions == "still here"
                    answer = await session.create_response(conversation="none", output_modalities=["text"])
                    await answer.done()
                    assert not reader.done(), reader
                else:
                    try:
                        await reader
                    except ConnectionClosed:
                        pass
                    else:
                        raise AssertionError("the iteration ended without ConnectionClosed")
                await session.close()
                try:
                    await reader
                except ConnectionClosed:
                    pass
            assert not guard.expired()
            assert len(session._wire.waiters) == 0
            assert not session._responses.handles
    finally:
        logging.getLogger("realtime_sdk").removeHandler(log)
    assert asyncio.all_tasks() - before == set()
    assert not log.records, [r.getMessage() for r in log.records]


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps, endings)
def test_nothing_the_server_sends_crashes_or_hangs_the_session(
    plan: list[Frame | Op | Control], ending: str | None
) -> None:
    asyncio.run(_scenario(plan, ending))


def test_the_fuzz_can_fail() -> None:
    """The scenario's checks bite: an op raising an undocumented error fails it."""

    async def bad(s: RealtimeSession) -> None:
        raise KeyError("not documented")

    try:
        asyncio.run(_scenario([bad]))
    except AssertionError as exc:
        assert "KeyError" in str(exc)
    else:
        raise AssertionError("an undocumented error passed the scenario")
    assert issubclass(RequestTimeoutError, RealtimeError)
