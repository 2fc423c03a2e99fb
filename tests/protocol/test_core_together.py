"""The protocol books fed together, in the order the session's reader feeds them, without a loop or a socket.

The reader (``session/_reader.py``) offers each event first to the restore's echo check, then to the
observers (the tool batches and the approvals read before the response book, so a ``response.done`` still
finds its response active), then to the request book, then hides the restore's greeting, and last gives it
to the response book.  ``Core.feed`` does the same and returns what the app would see.
"""

from __future__ import annotations

from typing import Any

import msgspec

from realtime_sdk._generated import ConversationItemCreate, Error
from realtime_sdk.conversation import text_message
from realtime_sdk.events import AnyServerEvent, decode
from realtime_sdk.protocol import (
    METADATA_KEY,
    ApprovalBook,
    AskFollowUp,
    BatchClosed,
    CallReady,
    Continuity,
    Ended,
    FollowUp,
    LeftToApp,
    NoFollowUp,
    NothingFollows,
    Pending,
    RequestBook,
    ResponseBook,
    Routed,
    Started,
    ToolBatches,
)

CONV = "conv_1"


def ev(body: dict[str, Any]) -> AnyServerEvent:
    return decode(msgspec.json.encode({"event_id": "evt", **body}))


def created(rid: str, tag: str | None = None) -> AnyServerEvent:
    body: dict[str, Any] = {
        "id": rid,
        "object": "realtime.response",
        "status": "in_progress",
        "conversation_id": CONV,
    }
    if tag is not None:
        body["metadata"] = {METADATA_KEY: tag}
    return ev({"type": "response.created", "response": body})


def done(rid: str, status: str = "completed", output: list[Any] | None = None) -> AnyServerEvent:
    body: dict[str, Any] = {"id": rid, "object": "realtime.response", "status": status}
    if output is not None:
        body["output"] = output
    return ev({"type": "response.done", "response": body})


def call_item(call_id: str) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": f"item_{call_id}",
        "status": "completed",
        "call_id": call_id,
        "name": "lookup",
        "arguments": "{}",
    }


def arguments_done(rid: str, call_id: str) -> AnyServerEvent:
    return ev(
        {
            "type": "response.function_call_arguments.done",
            "response_id": rid,
            "item_id": f"item_{call_id}",
            "output_index": 0,
            "call_id": call_id,
            "name": "lookup",
            "arguments": "{}",
        }
    )


def item_ack(kind: str, item_id: str) -> AnyServerEvent:
    item = {
        "type": "message",
        "role": "user",
        "id": item_id,
        "content": [{"type": "input_text", "text": "hi"}],
    }
    return ev({"type": kind, "previous_item_id": None, "item": item})


class Core:
    def __init__(self) -> None:
        self.settled: set[str] = set()
        self.requests: RequestBook[str] = RequestBook(lambda ticket: ticket in self.settled)
        self.responses = ResponseBook()
        self.tools = ToolBatches(self.responses.is_active)
        self.approvals = ApprovalBook()
        self.link = Continuity()
        self.outputs: list[object] = []
        self.answered: list[str] = []

    def feed(self, event: AnyServerEvent) -> bool:
        """Offer ``event`` as the reader does; ``True`` when the app would see it."""
        if self.link.is_echo(event):
            self._resolve(event)
            return False
        self.outputs += self.tools.receive(event)
        self.outputs += self.approvals.receive(event)
        if isinstance(event, Error):
            if self.requests.claim_error(event).claimed:
                return False
        else:
            self._resolve(event)
        if self.link.hides(event):
            return False
        out = self.responses.receive(event)
        if isinstance(out, Started):
            self.approvals.started(out_of_band=out.out_of_band)
        if out is not None:
            self.outputs.append(out)
        return True

    def _resolve(self, event: AnyServerEvent) -> None:
        answered = self.requests.resolve(event.type, event)
        if answered is not None:
            self.answered.append(answered.ticket)

    def take(self) -> list[object]:
        out, self.outputs = self.outputs, []
        return out


def test_a_tool_round_asks_one_follow_up_whose_end_closes_the_chain() -> None:
    core = Core()
    core.responses.expect("t1", out_of_band=False)
    core.feed(created("resp_1", "t1"))
    core.feed(arguments_done("resp_1", "call_a"))
    core.feed(done("resp_1"))
    out = core.take()
    assert [type(o) for o in out] == [
        Started,
        CallReady,
        Routed,
        BatchClosed,
        Ended,
    ]  # the call is routed too
    assert out[-1] == Ended("t1", idle=True)
    assert core.tools.outputs_sent("resp_1") is None
    assert core.tools.claim_follow_up("resp_1") == AskFollowUp("resp_1")
    core.responses.expect("t2", out_of_band=False)
    core.feed(created("resp_2", "t2"))
    assert core.tools.follow_up_started("resp_1", "resp_2") == []
    assert core.tools.finished("resp_1") == []
    core.take()
    core.feed(done("resp_2"))
    assert core.take() == [NothingFollows("resp_2"), Ended("t2", idle=True)]
    assert core.tools.idle and core.responses.active == frozenset()


def test_a_call_only_in_response_done_is_taken_because_the_tools_read_before_the_book() -> None:
    core = Core()
    core.feed(created("resp_1"))
    core.take()
    core.feed(done("resp_1", output=[call_item("call_a")]))
    out = core.take()
    assert [type(o) for o in out] == [CallReady, BatchClosed, Ended]
    # Read after the book had ended the response, the same call would have been the app's.
    late = ToolBatches(core.responses.is_active)
    assert [type(o) for o in late.receive(done("resp_1", output=[call_item("call_a")]))] == [
        LeftToApp,
        NothingFollows,
    ]


def test_a_refused_create_response_is_claimed_and_its_tag_withdrawn() -> None:
    core = Core()
    core.responses.expect("t1", out_of_band=False)
    core.requests.expect(Pending("create", (), event_id="c1"))
    refusal = ev(
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "code": "conversation_already_has_active_response",
                "message": "busy",
                "event_id": "c1",
            },
        }
    )
    assert not core.feed(refusal)  # the caller's, not the app's
    core.responses.withdraw("t1")  # what the edge does when the create fails
    core.feed(created("resp_vad", "t1"))
    assert core.take() == [Started("resp_vad", "resp_vad", None, out_of_band=False)]


def test_a_create_response_whose_caller_gave_up_is_still_the_apps_response_when_it_runs() -> None:
    core = Core()
    core.responses.expect("t1", out_of_band=False)
    create = core.requests.expect(Pending("create", (), event_id="c1"))
    create.orphaned = True  # cancelled after it was sent
    core.feed(created("resp_1", "t1"))
    assert core.take() == [Started("t1", "resp_1", "t1", out_of_band=False)]  # tracked, not server-started
    assert core.responses.active == {"t1"}


def test_a_barge_in_over_a_response_with_calls_asks_no_follow_up() -> None:
    core = Core()
    core.feed(created("resp_vad"))
    core.feed(arguments_done("resp_vad", "call_a"))
    core.feed(done("resp_vad", status="cancelled"))
    assert core.take()[-2:] == [BatchClosed("resp_vad"), Ended("resp_vad", idle=True)]
    assert core.tools.outputs_sent("resp_vad") == NoFollowUp("resp_vad", "cancelled")


def test_a_restored_items_acknowledgement_answers_the_restore_and_nobody_else() -> None:
    core = Core()
    core.link.begin_restore()
    item = msgspec.structs.replace(text_message("user", "hi"), id="item_a")
    core.link.restoring_items([ConversationItemCreate(item=item)])
    core.requests.expect(
        Pending(
            "restore",
            ("conversation.item.added", "conversation.item.created"),
            lambda e: e.item.id == "item_a",
        )
    )
    assert not core.feed(item_ack("conversation.item.added", "item_a"))
    assert core.answered == ["restore"] and core.take() == []
    core.link.end_restore()
    assert not core.feed(item_ack("conversation.item.done", "item_a"))
    assert core.feed(item_ack("conversation.item.done", "item_a"))  # a later one is real


def test_the_resent_configuration_is_answered_while_restoring_and_hidden_from_the_app() -> None:
    core = Core()
    core.link.begin_restore()
    core.requests.expect(Pending("resend", ("session.updated",)))
    updated = ev(
        {
            "type": "session.updated",
            "session": {"type": "realtime", "id": "sess_2", "object": "realtime.session"},
        }
    )
    assert not core.feed(updated)
    assert core.answered == ["resend"]
    core.link.end_restore()
    assert core.feed(updated)


def test_an_approval_answered_before_a_spoken_turn_needs_no_follow_up() -> None:
    core = Core()
    request = {
        "type": "mcp_approval_request",
        "id": "mcpr_a",
        "server_label": "wiki",
        "name": "delete_page",
        "arguments": "{}",
    }
    core.feed(created("resp_1"))
    core.feed(
        ev({"type": "response.output_item.done", "response_id": "resp_1", "output_index": 0, "item": request})
    )
    core.feed(done("resp_1"))
    core.take()
    core.approvals.answer("mcpr_a", True, reason=None, item_id="item_ans")
    core.feed(created("resp_vad"))  # the server's own response: it sees the answer
    assert core.approvals.acknowledged("mcpr_a") == []


def test_an_approval_answered_with_only_a_side_response_running_is_followed_up() -> None:
    core = Core()
    request = {
        "type": "mcp_approval_request",
        "id": "mcpr_a",
        "server_label": "wiki",
        "name": "delete_page",
        "arguments": "{}",
    }
    core.feed(done("resp_1", output=[request]))
    core.approvals.answer("mcpr_a", True, reason=None, item_id="item_ans")
    core.responses.expect("side", out_of_band=True)
    core.feed(created("resp_oob", "side"))
    assert core.approvals.acknowledged("mcpr_a") == [FollowUp("resp_1", ("mcpr_a",))]
