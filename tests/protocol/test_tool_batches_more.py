"""More tool batches: which calls are taken, the edge's misuse, and the follow-up with three or more batches."""

from __future__ import annotations

import pytest

from realtime_sdk import ConfigurationError
from realtime_sdk.events import AnyServerEvent
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

from .test_tool_batches import (
    answered,
    arguments_done,
    call_item,
    created,
    done,
    ev,
    everything_active,
    lookup,
    output_done,
    two_answered_batches,
)


def nothing_active(response_id: str) -> bool:
    return False


def tagged_created(response_id: str, tag: str) -> AnyServerEvent:
    body = {"id": response_id, "object": "realtime.response", "status": "in_progress"}
    return ev({"type": "response.created", "response": {**body, "metadata": {"sdk_response_id": tag}}})


# -- which calls are taken --------------------------------------------------------------------------


def test_a_call_id_is_taken_once_even_when_another_response_repeats_it() -> None:
    core = ToolBatches(everything_active)
    assert [type(o) for o in core.receive(arguments_done("resp_1", "call_a"))] == [CallReady]
    assert core.receive(arguments_done("resp_2", "call_a")) == []
    assert core.calls("resp_2") == ()


def test_items_that_are_not_function_calls_make_nothing_ready() -> None:
    core = ToolBatches(everything_active)
    message = {"type": "message", "role": "assistant", "id": "item_m", "content": []}
    assert core.receive(output_done("resp_1", message)) == []
    assert core.idle


@pytest.mark.parametrize("status", ["in_progress", "incomplete"])
def test_an_unfinished_call_in_response_done_is_not_taken(status: str) -> None:
    core = ToolBatches(everything_active)
    assert core.receive(done("resp_1", output=[call_item("call_a", status=status)])) == [
        NothingFollows("resp_1")
    ]
    assert core.idle


def test_calls_of_a_response_that_is_not_active_are_left_to_the_app() -> None:
    core = ToolBatches(nothing_active)
    assert core.receive(arguments_done("resp_1", "call_a")) == [LeftToApp(lookup("resp_1", "call_a"))]
    assert core.idle


def test_an_out_of_band_call_seen_three_times_is_never_taken() -> None:
    book = ResponseBook()
    core = ToolBatches(book.is_active)
    book.expect("side", out_of_band=True)
    book.receive(tagged_created("resp_oob", "side"))
    outs = [
        *core.receive(arguments_done("resp_oob", "call_a")),
        *core.receive(output_done("resp_oob", call_item("call_a"))),
        *core.receive(done("resp_oob", output=[call_item("call_a")])),
    ]
    assert not any(isinstance(o, CallReady) for o in outs)
    assert outs[-1] == NothingFollows("resp_oob")
    assert core.idle


def test_a_call_of_a_response_presumed_over_is_left_to_the_app() -> None:
    book = ResponseBook()
    core = ToolBatches(book.is_active)
    book.receive(created("resp_1"))
    book.presume_over()
    assert core.receive(arguments_done("resp_1", "call_a")) == [LeftToApp(lookup("resp_1", "call_a"))]


def test_a_cancelled_response_still_hands_over_its_complete_calls_then_asks_nothing() -> None:
    core = ToolBatches(everything_active)
    out = core.receive(done("resp_1", status="cancelled", output=[call_item("call_a")]))
    assert out == [CallReady(lookup("resp_1", "call_a"), opens_batch=True), BatchClosed("resp_1")]
    assert core.outputs_sent("resp_1") == NoFollowUp("resp_1", "cancelled")
    assert core.claim_follow_up("resp_1") == NoFollowUp("resp_1", "cancelled")


def test_response_done_adds_the_calls_not_seen_before_to_the_open_batch() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    out = core.receive(done("resp_1", output=[call_item("call_a"), call_item("call_b")]))
    assert out == [CallReady(lookup("resp_1", "call_b"), opens_batch=False), BatchClosed("resp_1")]
    assert [c.call_id for c in core.calls("resp_1")] == ["call_a", "call_b"]


def test_a_response_done_without_an_id_closes_nothing() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    nameless = ev(
        {"type": "response.done", "response": {"object": "realtime.response", "status": "completed"}}
    )
    assert core.receive(nameless) == []
    with pytest.raises(ConfigurationError, match="not done"):
        core.outputs_sent("resp_1")


def test_events_it_does_not_read_change_nothing() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    delta = ev(
        {
            "type": "response.function_call_arguments.delta",
            "response_id": "resp_1",
            "item_id": "item_call_b",
            "output_index": 1,
            "call_id": "call_b",
            "delta": "{",
        }
    )
    assert core.receive(delta) == []
    assert core.calls("resp_1") == (lookup("resp_1", "call_a"),)


# -- the edge's misuse is refused -------------------------------------------------------------------


def test_no_outputs_for_a_response_without_a_batch() -> None:
    core = ToolBatches(everything_active)
    with pytest.raises(ConfigurationError, match="resp_x"):
        core.outputs_sent("resp_x")


def test_no_claim_before_the_outputs_went_out() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    core.receive(done("resp_1"))
    with pytest.raises(ConfigurationError, match="have not gone out"):
        core.claim_follow_up("resp_1")


def test_no_claim_for_a_finished_batch() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    answered(core, "resp_1")
    core.finished("resp_1")
    with pytest.raises(ConfigurationError, match="resp_1"):
        core.claim_follow_up("resp_1")


def test_finishing_an_unknown_batch_or_reporting_a_foreign_follow_up_is_harmless() -> None:
    core = ToolBatches(everything_active)
    assert core.finished("resp_x") == []
    assert core.follow_up_started("resp_x", "resp_f") == []
    assert core.idle


def test_calls_of_an_unknown_response_are_none() -> None:
    assert ToolBatches(everything_active).calls("resp_x") == ()


# -- the follow-up ----------------------------------------------------------------------------------


def test_superseded_names_the_last_response_that_started_in_the_conversation() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    answered(core, "resp_1")
    for rid in ("resp_v1", "resp_v2"):
        core.receive(created(rid))
        core.receive(done(rid))
    core.receive(created("resp_oob", conversation_id=None))
    assert core.claim_follow_up("resp_1") == NoFollowUp("resp_1", "superseded", answered_by="resp_v2")


def test_a_response_started_between_the_done_and_the_outputs_does_not_supersede() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    core.receive(done("resp_1"))
    core.receive(created("resp_v"))  # the user spoke while the tool ran: it did not see the outputs
    core.receive(done("resp_v"))
    assert core.outputs_sent("resp_1") is None
    assert core.claim_follow_up("resp_1") == AskFollowUp("resp_1")


def test_an_out_of_band_response_while_waiting_does_not_answer_the_waiting_batch() -> None:
    core = two_answered_batches()
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    core.receive(created("resp_oob", conversation_id=None))
    core.receive(created("resp_f"))
    assert core.follow_up_started("resp_a", "resp_f") == [
        NoFollowUp("resp_b", "superseded", answered_by="resp_f")
    ]


def test_a_nameless_follow_up_supersedes_the_waiting_batch_by_the_count() -> None:
    core = two_answered_batches()
    core.claim_follow_up("resp_a")
    core.claim_follow_up("resp_b")
    core.receive(
        ev({"type": "response.created", "response": {"object": "realtime.response", "conversation_id": "c"}})
    )
    assert core.follow_up_started("resp_a", None) == [NoFollowUp("resp_b", "superseded", answered_by=None)]


def test_a_follow_up_reported_by_the_wrong_batch_releases_nothing() -> None:
    core = two_answered_batches()
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    core.receive(created("resp_f"))
    assert core.follow_up_started("resp_b", "resp_f") == []
    assert core.follow_up_started("resp_a", "resp_f") == [
        NoFollowUp("resp_b", "superseded", answered_by="resp_f")
    ]


def test_a_batch_that_waits_twice_is_told_once() -> None:
    core = two_answered_batches()
    core.claim_follow_up("resp_a")
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    assert core.finished("resp_a") == [ClaimAgain("resp_b")]


def test_a_waiting_batch_that_ends_is_no_longer_told_anything() -> None:
    core = two_answered_batches()
    core.claim_follow_up("resp_a")
    core.claim_follow_up("resp_b")
    assert core.finished("resp_b") == []  # e.g. the session closed its runner
    core.receive(created("resp_f"))
    assert core.follow_up_started("resp_a", "resp_f") == []


def three_answered_batches() -> ToolBatches:
    core = ToolBatches(everything_active)
    for rid in ("resp_a", "resp_b", "resp_c"):
        core.receive(arguments_done(rid, f"call_{rid}"))
    for rid in ("resp_a", "resp_b", "resp_c"):
        answered(core, rid)
    return core


def test_three_batches_one_follow_up_the_other_two_superseded_by_it() -> None:
    core = three_answered_batches()
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    assert core.claim_follow_up("resp_c") == Wait("resp_c", behind="resp_a")
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    core.receive(created("resp_f"))
    assert core.follow_up_started("resp_a", "resp_f") == [
        NoFollowUp("resp_c", "superseded", answered_by="resp_f"),
        NoFollowUp("resp_b", "superseded", answered_by="resp_f"),
    ]


def test_when_the_granted_follow_up_fails_every_waiter_claims_again_in_claim_order() -> None:
    core = three_answered_batches()
    core.claim_follow_up("resp_b")
    core.claim_follow_up("resp_c")
    core.claim_follow_up("resp_a")
    assert core.finished("resp_b") == [ClaimAgain("resp_c"), ClaimAgain("resp_a")]
    assert core.claim_follow_up("resp_c") == AskFollowUp("resp_c")
    assert core.claim_follow_up("resp_a") == Wait("resp_a", behind="resp_c")


def test_a_waiter_whose_outputs_went_out_after_another_response_but_before_the_follow_up_is_answered() -> (
    None
):
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_a", "call_a"))
    core.receive(arguments_done("resp_b", "call_b"))
    answered(core, "resp_a")
    assert core.claim_follow_up("resp_a") == AskFollowUp("resp_a")
    core.receive(created("resp_v"))  # a spoken turn started before resp_b's outputs: it did not see them
    answered(core, "resp_b")
    assert core.claim_follow_up("resp_b") == Wait("resp_b", behind="resp_a")
    core.receive(created("resp_f"))  # the follow-up, after resp_b's outputs: it sees them
    assert core.follow_up_started("resp_a", "resp_f") == [
        NoFollowUp("resp_b", "superseded", answered_by="resp_f")
    ]


def test_the_follow_ups_own_calls_form_the_next_batch_of_the_chain() -> None:
    core = ToolBatches(everything_active)
    core.receive(arguments_done("resp_1", "call_a"))
    answered(core, "resp_1")
    assert core.claim_follow_up("resp_1") == AskFollowUp("resp_1")
    core.receive(created("resp_2"))
    assert core.follow_up_started("resp_1", "resp_2") == []
    assert core.finished("resp_1") == []
    assert core.receive(arguments_done("resp_2", "call_b")) == [
        CallReady(lookup("resp_2", "call_b"), opens_batch=True)
    ]
    answered(core, "resp_2")
    assert core.claim_follow_up("resp_2") == AskFollowUp("resp_2")


def test_clear_forgets_the_batches_and_the_pending_follow_up() -> None:
    core = two_answered_batches()
    core.claim_follow_up("resp_a")
    core.clear()
    assert core.idle
    assert core.follow_up_started("resp_a", "resp_f") == []
    core.receive(arguments_done("resp_c", "call_c"))
    answered(core, "resp_c")
    assert core.claim_follow_up("resp_c") == AskFollowUp("resp_c")


# -- a lost connection ------------------------------------------------------------------------------


def test_a_connection_lost_before_any_call_was_complete_ends_the_chain() -> None:
    book = ResponseBook()
    core = ToolBatches(book.is_active)
    book.receive(created("resp_1"))
    core.receive(output_done("resp_1", call_item("call_a", status="in_progress")))
    book.connection_lost()
    lost = ev(
        {
            "type": "response.done",
            "response": {
                "id": "resp_1",
                "object": "realtime.response",
                "status": "incomplete",
                "status_details": {"type": "incomplete", "reason": "connection_lost"},
            },
        }
    )
    assert core.receive(lost) == [NothingFollows("resp_1")]
    assert core.idle


def test_after_a_lost_connection_a_late_call_of_the_old_response_is_not_taken() -> None:
    book = ResponseBook()
    core = ToolBatches(book.is_active)
    book.receive(created("resp_1"))
    assert [type(o) for o in core.receive(arguments_done("resp_1", "call_a"))] == [CallReady]
    book.connection_lost()
    assert core.receive(arguments_done("resp_1", "call_b")) == [LeftToApp(lookup("resp_1", "call_b"))]
    assert core.calls("resp_1") == (lookup("resp_1", "call_a"),)
