"""``handle.final()``: the answer at the end of a chain of tool calls, whenever it is asked for."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from realtime_sdk import (
    ConnectionClosed,
    RealtimeSession,
    ResponseChainError,
    ResponseFailedError,
    ResponseHandle,
    ToolCallStarted,
)
from realtime_sdk.events import ResponseDone
from realtime_sdk.server import LocalRealtimeServer, Reply, ScriptedModel

from .conftest import KEY

TEXT = {"output_modalities": ["text"]}


def lookup(key: str) -> str:
    """Look a key up."""
    return f"value of {key}"


def session_for(server: LocalRealtimeServer, **options: Any) -> RealtimeSession:
    options.setdefault("session_properties", TEXT)
    return RealtimeSession(**server.session_options(), **options)


async def test_a_response_without_tools_is_its_own_final(server: LocalRealtimeServer) -> None:
    async with asyncio.timeout(10), session_for(server) as s:
        await s.add_item("hello")
        handle = await s.create_response()
        assert await handle.final() is handle
        assert await handle.text() == "You said: hello"


async def test_final_follows_two_rounds_of_tools_to_the_answer() -> None:
    model = ScriptedModel(
        [
            Reply.function_call("lookup", {"key": "a"}),
            Reply.function_call("lookup", {"key": "b"}),
            Reply.text("done"),
        ]
    )
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with asyncio.timeout(10), session_for(server, tools=[lookup]) as s:
            await s.add_item("go")
            handle = await s.create_response()
            final = await handle.final()
            assert await final.text() == "done"
            assert final is not handle and final.is_done
            responses = list(s.conversation.responses)
            assert len(responses) == 3 and final.id == responses[-1] != handle.id
            assert await handle.final() is final  # asked again: the same chain
    assert len(model.requests) == 3


async def test_final_called_after_the_follow_up_finished(server: LocalRealtimeServer) -> None:
    # The whole chain runs before anybody calls final(): the follow-up's events were not waited for.
    async with asyncio.timeout(10), session_for(server, tools=[lookup]) as s:
        await s.add_item('call lookup({"key": "k"})')
        handle = await s.create_response()
        done = 0
        async for event in s:
            if isinstance(event, ResponseDone):
                done += 1
                if done == 2:
                    break
        final = await handle.final()
        assert final is not handle
        assert await final.text() == "The function returned: value of k"


async def test_final_in_manual_mode_follows_the_response_asked_for_after_the_app_answered(
    server: LocalRealtimeServer,
) -> None:
    async with asyncio.timeout(10), session_for(server, tools=[lookup], auto_execute=False) as s:

        @s.on(ToolCallStarted)
        def answer(event: ToolCallStarted) -> None:
            s.send_tool_result(event.call, "by hand")

        await s.add_item('call lookup({"key": "k"})')
        final = await (await s.create_response()).final()
        assert await final.text() == "The function returned: by hand"


async def test_an_out_of_band_response_with_calls_is_its_own_final() -> None:
    model = ScriptedModel([Reply.function_call("lookup", {"key": "x"})])
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with asyncio.timeout(10), session_for(server, tools=[lookup]) as s:
            handle = await s.create_response(conversation="none")
            assert await handle.final() is handle  # its calls are the app's: the SDK asks for nothing


async def test_a_failing_follow_up_raises_from_final() -> None:
    model = ScriptedModel([Reply.function_call("lookup", {"key": "x"}), Reply.error("server_error", "broke")])
    async with LocalRealtimeServer(KEY, model=model) as server:
        async with asyncio.timeout(10), session_for(server, tools=[lookup]) as s:
            handle = await s.create_response()
            with pytest.raises(ResponseFailedError):
                await handle.final()


async def test_a_cancelled_response_with_calls_breaks_the_chain() -> None:
    # A call, then ten seconds of audio streamed at real time: cancelled as soon as the call is complete.
    speech = Reply.audio(b"\x00\x00" * 24000 * 10, "a long answer")
    model = ScriptedModel([Reply.function_call("lookup", {"key": "x"}) + speech])
    async with LocalRealtimeServer(KEY, model=model, pace_audio=True) as server:
        async with asyncio.timeout(10), RealtimeSession(**server.session_options(), tools=[lookup]) as s:

            @s.on(ToolCallStarted)
            async def cancel(event: ToolCallStarted) -> None:
                await s.cancel_response()

            handle = await s.create_response()
            with pytest.raises(ResponseChainError) as caught:
                await handle.final()
            assert caught.value.reason == "cancelled" and caught.value.response_id == handle.id
            assert (await handle.done()).status == "cancelled"
    assert len(model.requests) == 1  # no follow-up was asked for


async def test_a_response_started_while_the_runner_waited_supersedes_the_follow_up(
    server: LocalRealtimeServer,
) -> None:
    async with asyncio.timeout(10), session_for(server, tools=[lookup]) as s:
        wait_idle = s._wait_idle
        other: list[ResponseHandle] = []

        async def app_asks_first() -> None:
            # In the runner, between the outputs going in and its request: another response starts.
            task = asyncio.current_task()
            if task is not None and task.get_name() == "realtime_sdk tool batch":
                s._wait_idle = wait_idle  # type: ignore[method-assign]
                other.append(await s.create_response())
            await wait_idle()

        s._wait_idle = app_asks_first  # type: ignore[method-assign]
        await s.add_item('call lookup({"key": "k"})')
        handle = await s.create_response()
        with pytest.raises(ResponseChainError) as caught:
            await handle.final()
        assert caught.value.reason == "superseded"
        assert caught.value.answered_by == other[0].id is not None
        assert await other[0].text() == "The function returned: value of k"
    creates = [e for e in server.connections[0].received if e.type == "response.create"]
    assert len(creates) == 2  # the app's and the first: the runner asked for none


async def test_closing_while_a_tool_runs_wakes_final(server: LocalRealtimeServer) -> None:
    started = asyncio.Event()

    async def forever() -> str:
        started.set()
        await asyncio.Event().wait()
        return ""

    s = session_for(server, tools=[forever], tool_timeout=None)
    async with asyncio.timeout(10):
        await s.connect()
        await s.add_item("call forever()")
        handle = await s.create_response()
        final = asyncio.create_task(handle.final())
        await started.wait()
        await s.close()
        with pytest.raises(ConnectionClosed):
            await final
