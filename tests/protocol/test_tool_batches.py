"""Tool-call batches without a loop or a socket: readiness, grouping, and one follow-up per batch."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from realtime_sdk.conversation import Conversation
from realtime_sdk.events import AnyServerEvent, decode
from realtime_sdk.protocol import (
    AskFollowUp,
    BatchClosed,
    CallReady,
    ClaimAgain,
    LeftToApp,
    NoFollowUp,
    NothingFollows,
    ResponseBook,
    ToolBatches,
    Wait,
)
from realtime_sdk.session._reconnect import abandoned_responses
from realtime_sdk.tools import ToolCall

CONV = "conv_1"


def ev(body: dict[str, Any]) -> AnyServerEvent:
    return decode(msgspec.json.encode({"event_id": "evt", **body}))


def call_item(call_id: str, status: str = "completed", name: str = "lookup") -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"item_{call_id}",
        "status": status,
        "call_id": call_id,
        "name": name,
        "arguments": '{"key": "k"}',
    }


def arguments_done(response_id: str, call_id: str, name: str = "lookup") -> AnyServerEvent:
    return ev(
        {
            "type": "response.function_call_arguments.done",
            "response_id": response_id,
            "item_id": f"item_{call_id}",
            "output_index": 0,
            "call_id": call_id,
            "name": name,
            "arguments": '{"key": "k"}',
        }
    )


def output_done(response_id: str, item: dict[str, Any]) -> AnyServerEvent:
    return ev(
        {"type": "response.output_item.done", "response_id": response_id, "output_index": 0, "item": item}
    )


def created(response_id: str, conversation_id: str | None = CONV) -> AnyServerEvent:
    # An out-of-band response comes with ``conversation_id: null``.
    body = {"id": response_id, "object": "realtime.response", "status": "in_progress"}
    return ev({"type": "response.created", "response": {**body, "conversation_id": conversation_id}})


def done(response_id: str, status: str = "completed", output: list[Any] | None = None) -> AnyServerEvent:
    body: dict[str, Any] = {"id": response_id, "object": "realtime.response", "status": status}
    if output is not None:
        body["output"] = output
    return ev({"type": "response.done", "response": body})


def everything_active(response_id: str) -> bool:
    return True


def lookup(response_id: str, call_id: str) -> ToolCall:
    return ToolCall(call_id, "lookup", '{"key": "k"}', item_id=f"item_{call_id}", response_id=response_id)


def answered(core: ToolBatches, response_id: str) -> None:
    """The batch's response ends and its outputs go out (what the edge does between the two)."""
    assert BatchClosed(response_id) in core.receive(done(response_id))
    assert core.outputs_sent(response_id) is None


# -- when a call is ready ---------------------------------------------------------------------------


def test_arguments_done_makes_a_call_ready_and_later_sightings_do_not_take_it_again() -> None:
    core = ToolBatches(everything_active)
    assert core.receive(arguments_done("resp_1", "call_a")) == [
        CallReady(lookup("resp_1", "call_a"), opens_batch=True)
    ]
    assert core.receive(output_done("resp_1", call_item("call_a"))) == []
    assert core.receive(done("resp_1", output=[call_item("call_a")])) == [BatchClosed("resp_1")]
    assert core.calls("resp_1") == (lookup("resp_1", "call_a"),)


def test_a_completed_item_in_output_item_done_makes_a_call_ready_an_unfinished_one_does_not() -> None:
    core = ToolBatches(everything_active)
    assert core.receive(output_done("resp_1", call_item("call_a", status="in_progress"))) == []
    assert core.receive(output_done("resp_1", call_item("call_a"))) == [
        CallReady(lookup("resp_1", "call_a"), opens_batch=True)
    ]
    assert core.receive(arguments_done("resp_1", "call_a")) == []


def test_a_call_seen_only_in_response_done_is_ready_and_closes_its_batch_at_once() -> None:
    core = ToolBatches(everything_active)
    out = core.receive(done("resp_1", output=[call_item("call_a"), call_item("call_b", "incomplete")]))
    # The item in response.done names no response: the call is given the one that carried it.
    assert out == [CallReady(lookup("resp_1", "call_a"), opens_batch=True), BatchClosed("resp_1")]


def test_calls_of_a_response_outside_the_conversation_are_left_to_the_app() -> None:
    book = ResponseBook()
    core = ToolBatches(book.is_active)
    book.expect("tag_oob", out_of_band=True)
    oob = ev(
        {
            "type": "response.created",
            "response": {
                "id": "resp_oob",
                "object": "realtime.response",
                "status": "in_progress",
                "metadata": {"sdk_response_id": "tag_oob"},
            },
        }
    )
    for event in (oob, arguments_done("resp_oob", "call_a")):
        out = core.receive(event)
        book.receive(event)
    assert out == [LeftToApp(lookup("resp_oob", "call_a"))]
    assert core.idle
    assert core.receive(done("resp_oob")) == [NothingFollows("resp_oob")]  # its chain ends there


def test_a_call_arriving_after_its_response_is_done_is_not_taken() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    core.receive(done("resp_1"))
    assert core.receive(arguments_done("resp_1", "call_late")) == [LeftToApp(lookup("resp_1", "call_late"))]
    assert core.calls("resp_1") == (lookup("resp_1", "call_a"),)


# -- batches ----------------------------------------------------------------------------------------


def test_calls_are_grouped_by_response_in_the_order_they_became_ready() -> None:
    core = ToolBatches(everything_active)
    opened = [
        out.opens_batch
        for event in (
            arguments_done("resp_1", "call_a"),
            arguments_done("resp_2", "call_x"),
            output_done("resp_1", call_item("call_b")),
        )
        for out in core.receive(event)
        if isinstance(out, CallReady)
    ]
    assert opened == [True, True, False]
    assert core.calls("resp_1") == (lookup("resp_1", "call_a"), lookup("resp_1", "call_b"))
    assert core.calls("resp_2") == (lookup("resp_2", "call_x"),)
    assert core.receive(done("resp_2")) == [BatchClosed("resp_2")]
    assert core.receive(done("resp_2")) == []  # a repeated response.done closes nothing twice
    assert not core.idle
    core.finished("resp_1")
    core.finished("resp_2")
    assert core.idle


def test_a_response_without_taken_calls_ends_its_chain() -> None:
    core = ToolBatches(everything_active)
    assert core.receive(done("resp_1", output=[{"type": "message", "role": "assistant", "content": []}])) == [
        NothingFollows("resp_1")
    ]


def test_outputs_cannot_be_reported_before_the_response_is_done() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    with pytest.raises(Exception, match="not done"):
        core.outputs_sent("resp_1")


# -- the follow-up ----------------------------------------------------------------------------------


def test_an_answered_batch_asks_for_one_follow_up() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    answered(core, "resp_1")
    assert core.claim_follow_up("resp_1") == AskFollowUp("resp_1")


def test_a_cancelled_response_gets_no_follow_up() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    assert core.receive(done("resp_1", status="cancelled")) == [BatchClosed("resp_1")]
    assert core.outputs_sent("resp_1") == NoFollowUp("resp_1", "cancelled")


def test_a_response_started_in_the_conversation_after_the_outputs_supersedes_the_follow_up() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    core.receive(created("resp_before"))  # started before the outputs went out: it did not see them
    answered(core, "resp_1")
    core.receive(created("resp_oob", conversation_id=None))  # out of band: not in the conversation
    core.receive(created("resp_vad"))
    core.receive(done("resp_vad"))
    assert core.claim_follow_up("resp_1") == NoFollowUp("resp_1", "superseded", answered_by="resp_vad")


def test_responses_that_started_before_the_outputs_or_out_of_band_do_not_supersede() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    core.receive(created("resp_before"))
    answered(core, "resp_1")
    core.receive(created("resp_oob", conversation_id=None))
    assert core.claim_follow_up("resp_1") == AskFollowUp("resp_1")


def two_answered_batches() -> ToolBatches:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_a", "call_a"))
    core.receive(arguments_done("resp_b", "call_b"))
    answered(core, "resp_a")
    answered(core, "resp_b")
    return core


def test_two_batches_finishing_together_get_exactly_one_follow_up() -> None:
    core = two_answered_batches()
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    # The second claims before the first's follow-up started: that follow-up will see its outputs.
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    core.receive(created("resp_f"))
    assert core.follow_up_started("resp_a", "resp_f") == [
        NoFollowUp("resp_b", "superseded", answered_by="resp_f")
    ]
    assert core.finished("resp_a") == []
    assert core.finished("resp_b") == []
    assert core.idle


def test_the_second_batch_claiming_after_the_follow_up_started_is_superseded_at_once() -> None:
    core = two_answered_batches()
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    core.receive(created("resp_f"))
    assert core.follow_up_started("resp_a", "resp_f") == []
    core.receive(done("resp_f"))
    assert core.claim_follow_up("resp_b") == NoFollowUp("resp_b", "superseded", answered_by="resp_f")


def test_a_batch_whose_outputs_went_out_after_the_follow_up_started_claims_again() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_a", "call_a"))
    core.receive(arguments_done("resp_b", "call_b"))
    answered(core, "resp_a")
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    core.receive(created("resp_f"))  # the follow-up started before resp_b's outputs went out
    answered(core, "resp_b")
    # The edge has not yet reported the follow-up: the claim waits for it rather than guessing.
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    assert core.follow_up_started("resp_a", "resp_f") == [ClaimAgain("resp_b")]
    core.receive(done("resp_f"))
    assert core.claim_follow_up("resp_b") == AskFollowUp("resp_b")


def test_when_the_granted_follow_up_never_comes_the_waiting_batch_claims_again() -> None:
    core = two_answered_batches()
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    assert core.finished("resp_a") == [ClaimAgain("resp_b")]  # its create_response failed
    assert core.claim_follow_up("resp_b") == AskFollowUp("resp_b")


@pytest.mark.parametrize("first", ["resp_a", "resp_b"])
@pytest.mark.parametrize("follow_up_starts", ["before the second claim", "between", "after the second claim"])
def test_in_every_order_two_finishing_batches_ask_once_and_the_other_names_the_follow_up(
    first: str, follow_up_starts: str
) -> None:
    # The edge's steps: the first claim is granted and its follow-up is sent; the follow-up's
    # response.created arrives, and the edge reports it started; the second batch claims somewhere in there.
    core = two_answered_batches()
    second = "resp_b" if first == "resp_a" else "resp_a"
    decisions: list[object] = [core.claim_follow_up(first)]
    if follow_up_starts == "before the second claim":
        core.receive(created("resp_f"))
        decisions += core.follow_up_started(first, "resp_f")
        decisions.append(core.claim_follow_up(second))
    elif follow_up_starts == "between":
        core.receive(created("resp_f"))
        decisions.append(core.claim_follow_up(second))
        decisions += core.follow_up_started(first, "resp_f")
    else:
        decisions.append(core.claim_follow_up(second))
        core.receive(created("resp_f"))
        decisions += core.follow_up_started(first, "resp_f")
    final = [d for d in decisions if not isinstance(d, Wait)]
    assert final == [AskFollowUp(first), NoFollowUp(second, "superseded", answered_by="resp_f")]


def test_a_lost_connections_synthetic_response_done_closes_the_batch() -> None:
    book = ResponseBook()
    core = ToolBatches(book.is_active)
    conversation = Conversation()
    for event in (created("resp_1"), arguments_done("resp_1", "call_a")):
        conversation.receive(event)
        core.receive(event)  # the reader's order: observers, then the book
        book.receive(event)
    book.connection_lost()
    lost = abandoned_responses(conversation)
    assert len(lost) == 1
    assert core.receive(lost[0]) == [BatchClosed("resp_1")]
    # Not cancelled: the complete call is answered on the new connection, with a follow-up.
    assert core.outputs_sent("resp_1") is None
    assert core.claim_follow_up("resp_1") == AskFollowUp("resp_1")
