"""Tools in a session, against the local server: every call ends in a text answer, never a hang or a race."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from typing import Annotated, Any

import pytest

from realtime_sdk import (
    ConfigurationError,
    RealtimeSession,
    ResponseChainError,
    SessionEvent,
    Tool,
    ToolCallFinished,
    ToolCallStarted,
    tool,
)
from realtime_sdk._generated import (
    ConversationItemCreate,
    RealtimeConversationItemFunctionCallOutput,
    ResponseCreate,
    ResponseDone,
)
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import KEY

TEXT = {"output_modalities": ["text"]}


async def converse(session: RealtimeSession, text: str | None = None) -> list[SessionEvent]:
    """Add ``text`` (if any), ask for a response, and collect events until a response answers in words."""
    seen: list[SessionEvent] = []
    async with asyncio.timeout(10):  # hang guard only
        if text is not None:
            await session.add_item(text)
        await session.create_response()
        async for event in session:
            seen.append(event)
            if isinstance(event, ResponseDone) and any(
                getattr(item, "type", None) == "message" for item in event.response.output or ()
            ):
                return seen
    raise AssertionError("the session ended")


def final_text(events: Sequence[SessionEvent]) -> str:
    done = [e for e in events if isinstance(e, ResponseDone)][-1]
    return "".join(
        part.text
        for item in done.response.output or ()
        for part in getattr(item, "content", ())
        if isinstance(part.text, str)
    )


def outputs_sent(server: LocalRealtimeServer, index: int = 0) -> list[dict[str, Any] | str]:
    out: list[dict[str, Any] | str] = []
    for event in server.connections[index].received:
        if isinstance(event, ConversationItemCreate) and isinstance(
            event.item, RealtimeConversationItemFunctionCallOutput
        ):
            try:
                out.append(json.loads(event.item.output))
            except ValueError:
                out.append(event.item.output)
    return out


def assert_clean(server: LocalRealtimeServer, creates: int, index: int = 0) -> None:
    """No server error (a racing response.create would be one) and exactly ``creates`` response.create."""
    conn = server.connections[index]
    assert "error" not in conn.sent_types
    assert sum(isinstance(e, ResponseCreate) for e in conn.received) == creates


def get_weather(city: Annotated[str, "City name"], unit: str = "C") -> dict[str, Any]:
    """Current weather of a city."""
    return {"city": city, "temp": 21, "unit": unit, "thread": threading.current_thread().name}


async def test_sync_tool_runs_in_a_thread_and_the_model_answers(server: LocalRealtimeServer) -> None:
    async with RealtimeSession(KEY, base_url=server.url, session_properties=TEXT, tools=[get_weather]) as s:
        assert [t.name for t in server.connections[0].session.tools] == ["get_weather"]  # type: ignore[union-attr]
        events = await converse(s, 'call get_weather({"city": "Paris"})')
    [output] = outputs_sent(server)
    assert isinstance(output, dict)
    assert output["city"] == "Paris" and output["unit"] == "C"
    assert output["thread"] != threading.main_thread().name
    assert final_text(events).startswith("The function returned: {")
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert len(started) == len(finished) == 1 and started[0].auto_execute
    assert finished[0].result.call_id == started[0].call.call_id and not finished[0].result.is_error
    assert_clean(server, creates=2)


async def test_async_tool(server: LocalRealtimeServer) -> None:
    @tool
    async def lookup(key: str) -> str:
        """Look a key up."""
        await asyncio.sleep(0)
        return f"value of {key}"

    async with RealtimeSession(KEY, base_url=server.url, session_properties=TEXT, tools=[lookup]) as s:
        events = await converse(s, 'call lookup({"key": "k1"})')
    assert outputs_sent(server) == ["value of k1"]
    assert final_text(events) == "The function returned: value of k1"
    assert_clean(server, creates=2)


async def test_three_calls_of_one_response_run_concurrently_and_get_one_follow_up() -> None:
    barrier = asyncio.Barrier(3)  # passes only if all three run at once: sequential calls would hang

    async def a() -> str:
        await barrier.wait()
        return "A"

    async def b() -> str:
        await barrier.wait()
        return "B"

    async def c() -> str:
        await barrier.wait()
        return "C"

    model = ScriptedModel([Reply.function_calls([("a", {}), ("b", {}), ("c", {})]), Reply.text("all done")])
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with RealtimeSession(KEY, base_url=server.url, session_properties=TEXT, tools=[a, b, c]) as s:
            events = await converse(s, "go")
            items = server.connections[0].items
        assert outputs_sent(server) == ["A", "B", "C"]
        assert final_text(events) == "all done"
        assert_clean(server, creates=2)
        # Outputs in call order, each right after the calls, then the answer.
        kinds = [getattr(i, "type", None) for i in items]
        assert kinds == ["message", *["function_call"] * 3, *["function_call_output"] * 3, "message"]
        assert len(model.requests) == 2


async def test_raising_unknown_invalid_and_slow_tools_become_error_outputs() -> None:
    never = asyncio.Event()

    def broken(x: int) -> int:
        raise ValueError("boom")

    async def slow() -> str:
        await never.wait()
        return "too late"

    model = ScriptedModel(
        [
            Reply.function_calls(
                [("broken", {"x": 1}), ("nope", {}), ("broken", {"x": "not a number"}), ("slow", {})]
            ),
            Reply.text("sorry"),
        ]
    )
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with RealtimeSession(
            KEY, base_url=server.url, session_properties=TEXT, tools=[broken, slow], tool_timeout=0.05
        ) as s:
            events = await converse(s, "go")
        errors = [o["error"] for o in outputs_sent(server) if isinstance(o, dict)]
        assert len(errors) == 4
        assert "ValueError: boom" in errors[0]
        assert "unknown tool 'nope'" in errors[1]
        assert "invalid arguments for broken" in errors[2]
        assert "timed out after 0.05 s" in errors[3]
        assert final_text(events) == "sorry"
        assert_clean(server, creates=2)
        assert all(e.result.is_error for e in events if isinstance(e, ToolCallFinished))


async def test_each_kind_of_failure_alone_ends_in_a_text_answer(server: LocalRealtimeServer) -> None:
    @tool(timeout=0.05)
    async def slow() -> str:
        await asyncio.Event().wait()
        return ""

    def raising() -> str:
        raise RuntimeError("no")

    async with RealtimeSession(
        KEY, base_url=server.url, session_properties=TEXT, tools=[slow, raising, get_weather]
    ) as s:
        for text in ("call raising()", "call slow()", "call missing()", 'call get_weather({"town": 1})'):
            events = await converse(s, text)
            if text == "call missing()":  # not a tool of the session: the echo model answers in words
                assert final_text(events) == "You said: call missing()"
            else:
                assert final_text(events).startswith("The function returned:")
    outputs = outputs_sent(server)
    assert [("error" in o) for o in outputs if isinstance(o, dict)] == [True, True, True]
    # "missing" is not a tool of the session, so the echo model never calls it: a plain answer.
    assert_clean(server, creates=3 * 2 + 1)


async def test_manual_mode_hands_calls_to_the_app(server: LocalRealtimeServer) -> None:
    async with RealtimeSession(
        KEY, base_url=server.url, session_properties=TEXT, tools=[get_weather], auto_execute=False
    ) as s:

        @s.on(ToolCallStarted)
        def answer(event: ToolCallStarted) -> None:
            assert not event.auto_execute
            s.send_tool_result(event.call, {"manual": json.loads(event.call.arguments)["city"]})

        events = await converse(s, 'call get_weather({"city": "Oslo"})')
        call = next(e.call for e in events if isinstance(e, ToolCallStarted))
        with pytest.raises(ConfigurationError):
            s.send_tool_result(call, "again")
    assert outputs_sent(server) == [{"manual": "Oslo"}]
    assert final_text(events) == 'The function returned: {"manual":"Oslo"}'
    assert_clean(server, creates=2)


async def test_tools_per_response(server: LocalRealtimeServer) -> None:
    def secret() -> str:
        """The secret."""
        return "42"

    async with RealtimeSession(KEY, base_url=server.url, session_properties=TEXT) as s:
        await s.add_item("call secret()")
        seen: list[SessionEvent] = []
        async with asyncio.timeout(10):
            await s.create_response(tools=[secret])
            async for event in s:
                seen.append(event)
                if isinstance(event, ResponseDone) and final_text([event]):
                    break
        assert "secret" in s.tools
    assert outputs_sent(server) == [42]
    assert final_text(seen) == "The function returned: 42"
    assert_clean(server, creates=2)


async def test_close_cancels_running_tools(server: LocalRealtimeServer) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def forever() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()
        return ""

    s = RealtimeSession(
        KEY, base_url=server.url, session_properties=TEXT, tools=[Tool(forever)], tool_timeout=None
    )
    await s.connect()
    await s.add_item("call forever()")
    await s.create_response()
    async with asyncio.timeout(10):
        await started.wait()
        await s.close()
    assert cancelled.is_set()
    assert not s._tools._tasks


async def test_two_responses_whose_tools_finish_together_get_one_follow_up() -> None:
    release = asyncio.Event()

    async def slow_a() -> str:
        await release.wait()
        return "A"

    async def slow_b() -> str:
        await release.wait()
        return "B"

    model = ScriptedModel(
        [Reply.function_call("slow_a", {}), Reply.function_call("slow_b", {}), Reply.text("answered both")]
    )
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with (
            asyncio.timeout(10),
            RealtimeSession(KEY, base_url=server.url, session_properties=TEXT, tools=[slow_a, slow_b]) as s,
        ):
            await s.add_item("one")
            first = await s.create_response()
            await first.done()
            second = await s.create_response()  # the first is done: its tool is still running
            await second.done()
            release.set()  # both batches now answer at once
            outcomes = await asyncio.gather(first.final(), second.final(), return_exceptions=True)
            handles = [o for o in outcomes if not isinstance(o, BaseException)]
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            assert len(handles) == 1 and await handles[0].text() == "answered both"
            assert len(errors) == 1 and isinstance(errors[0], ResponseChainError)
            assert errors[0].reason == "superseded"
        assert sorted(outputs_sent(server)) == ["A", "B"]
        assert_clean(server, creates=3)
        assert len(model.requests) == 3
