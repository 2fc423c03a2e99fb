"""More MCP approvals: batches per response, when the follow-up is due, and what a lost connection leaves."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from realtime_sdk import ConfigurationError
from realtime_sdk.events import AnyServerEvent
from realtime_sdk.protocol import ApprovalBook, ApprovalRequested, FollowUp

from .test_approvals import ev, item_done, output_done, request_item, response_done


def item_added(item: dict[str, Any]) -> AnyServerEvent:
    return ev({"type": "conversation.item.added", "previous_item_id": None, "item": item})


def asked(book: ApprovalBook, response_id: str, *request_ids: str) -> None:
    for rid in request_ids:
        out = book.receive(output_done(response_id, request_item(rid)))
        assert [type(o) for o in out] == [ApprovalRequested]


def answer_and_ack(book: ApprovalBook, request_id: str, approve: bool = True) -> list[FollowUp]:
    book.answer(request_id, approve, reason=None, item_id=f"item_{request_id}")
    return book.acknowledged(request_id)


def test_an_answer_without_a_reason_sends_none() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    wire = msgspec.json.decode(msgspec.json.encode(book.answer("mcpr_a", True, reason=None, item_id="i1")))
    assert wire["type"] == "conversation.item.create"
    assert wire["item"] == {
        "type": "mcp_approval_response",
        "id": "i1",
        "approval_request_id": "mcpr_a",
        "approve": True,
    }


def test_a_reason_that_is_not_text_is_refused_and_the_request_stays_open() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    with pytest.raises(ConfigurationError, match="reason"):
        book.answer("mcpr_a", True, reason=42, item_id="i1")  # type: ignore[arg-type]
    assert [r.request_id for r in book.open] == ["mcpr_a"] and book.answered("mcpr_a") is None


def test_open_is_oldest_first_and_answering_takes_one_out() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a", "mcpr_b", "mcpr_c")
    book.answer("mcpr_b", True, reason=None, item_id="i1")
    assert [r.request_id for r in book.open] == ["mcpr_a", "mcpr_c"]
    assert (book.answered("mcpr_a"), book.answered("mcpr_b"), book.answered("mcpr_zz")) == (None, True, None)


def test_the_follow_up_waits_for_every_acknowledgement() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a", "mcpr_b")
    book.receive(response_done("resp_1"))
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    book.answer("mcpr_b", False, reason=None, item_id="i2")
    assert book.acknowledged("mcpr_b") == []  # mcpr_a's answer is not stored yet
    assert book.acknowledged("mcpr_a") == [FollowUp("resp_1", ("mcpr_a", "mcpr_b"))]


def test_the_follow_up_lists_the_requests_in_the_order_they_were_asked() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a", "mcpr_b")
    book.receive(response_done("resp_1"))
    assert answer_and_ack(book, "mcpr_b") == []
    assert answer_and_ack(book, "mcpr_a") == [FollowUp("resp_1", ("mcpr_a", "mcpr_b"))]


def test_an_acknowledgement_of_an_unknown_request_is_nothing() -> None:
    book = ApprovalBook()
    assert book.acknowledged("mcpr_zz") == []


def test_the_requests_of_two_responses_are_followed_up_separately() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    asked(book, "resp_2", "mcpr_b")
    book.receive(response_done("resp_1"))
    book.receive(response_done("resp_2"))
    assert answer_and_ack(book, "mcpr_b") == [FollowUp("resp_2", ("mcpr_b",))]
    assert answer_and_ack(book, "mcpr_a") == [FollowUp("resp_1", ("mcpr_a",))]


def test_a_response_that_started_before_any_answer_does_not_make_the_follow_up_unneeded() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    book.receive(response_done("resp_1"))
    book.started(out_of_band=False)  # it could not have seen an answer not yet sent
    assert answer_and_ack(book, "mcpr_a") == [FollowUp("resp_1", ("mcpr_a",))]


def test_a_response_started_after_the_follow_up_changes_nothing_more() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    book.receive(response_done("resp_1"))
    assert answer_and_ack(book, "mcpr_a") == [FollowUp("resp_1", ("mcpr_a",))]
    book.started(out_of_band=False)  # the follow-up itself
    assert book.acknowledged("mcpr_a") == []


def test_a_response_that_saw_only_some_answers_does_not_answer_for_the_rest() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a", "mcpr_b")
    book.receive(response_done("resp_1"))
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    book.started(out_of_band=False)  # the user spoke: this response sees mcpr_a's answer, not mcpr_b's
    assert book.acknowledged("mcpr_a") == []
    assert answer_and_ack(book, "mcpr_b") == [FollowUp("resp_1", ("mcpr_a", "mcpr_b"))]


def test_a_request_seen_only_in_a_cancelled_responses_done_is_still_asked_but_not_followed_up() -> None:
    book = ApprovalBook()
    out = book.receive(response_done("resp_1", status="cancelled", output=[request_item("mcpr_a")]))
    assert [o.request_id for o in out if isinstance(o, ApprovalRequested)] == ["mcpr_a"]
    assert answer_and_ack(book, "mcpr_a", approve=False) == []


def test_an_incomplete_response_is_followed_up_like_a_completed_one() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    book.acknowledged("mcpr_a")
    assert book.receive(response_done("resp_1", status="incomplete")) == [FollowUp("resp_1", ("mcpr_a",))]


def test_a_repeated_response_done_asks_no_second_follow_up() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    answer_and_ack(book, "mcpr_a")
    assert book.receive(response_done("resp_1")) == [FollowUp("resp_1", ("mcpr_a",))]
    assert book.receive(response_done("resp_1")) == []


def test_a_response_done_without_requests_asks_nothing() -> None:
    book = ApprovalBook()
    assert book.receive(response_done("resp_1")) == []


def test_two_requests_outside_any_response_are_followed_up_each_on_its_own() -> None:
    book = ApprovalBook()
    book.receive(item_done(request_item("mcpr_a")))
    book.receive(item_added(request_item("mcpr_b")))
    assert answer_and_ack(book, "mcpr_b") == [FollowUp(None, ("mcpr_b",))]
    assert answer_and_ack(book, "mcpr_a") == [FollowUp(None, ("mcpr_a",))]


def test_a_responses_requests_announced_first_as_conversation_items_are_still_one_batch() -> None:
    book = ApprovalBook()
    for rid in ("mcpr_a", "mcpr_b"):
        book.receive(item_added(request_item(rid)))
        book.receive(output_done("resp_1", request_item(rid)))
    assert [r.response_id for r in book.open] == ["resp_1", "resp_1"]
    assert answer_and_ack(book, "mcpr_a") == []
    assert answer_and_ack(book, "mcpr_b") == []  # the response is still going
    assert book.receive(response_done("resp_1")) == [FollowUp("resp_1", ("mcpr_a", "mcpr_b"))]


def test_nothing_is_lost_with_the_connection_when_every_request_was_answered() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    assert book.connection_lost() == []
    assert book.answered("mcpr_a") is True


def test_a_request_on_the_new_connection_is_asked_and_followed_up() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    assert book.connection_lost() == ["mcpr_a"]
    asked(book, "resp_2", "mcpr_b")
    book.receive(response_done("resp_2"))
    assert answer_and_ack(book, "mcpr_b") == [FollowUp("resp_2", ("mcpr_b",))]


def test_a_done_of_the_old_response_after_the_loss_asks_nothing() -> None:
    book = ApprovalBook()
    asked(book, "resp_1", "mcpr_a")
    book.answer("mcpr_a", True, reason=None, item_id="i1")
    book.acknowledged("mcpr_a")
    book.connection_lost()
    assert book.receive(response_done("resp_1")) == []
