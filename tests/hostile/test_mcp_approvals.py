"""A session with an approval-gated MCP tool never leaves the server waiting: a policy or the app answers.

The server here asks for approval the way the API does (an ``mcp_approval_request`` item in a response) and
records what the client sends back.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from realtime_sdk import ConfigurationError, McpApprovalRequested, RealtimeSession

from .judge import KEY, judged
from .wsserver import HostileServer, Peer, _item_created, polite, response


def _request(rid: str) -> dict[str, Any]:
    return {
        "type": "mcp_approval_request",
        "id": rid,
        "server_label": "wiki",
        "name": "delete_page",
        "arguments": '{"page": "Home"}',
    }


class ApprovingServer:
    """Answers ``response.create`` with a response; ``ask`` makes the server's own response ask approval."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.creates = 0
        self.answered = asyncio.Event()
        self.followed = asyncio.Event()
        self.peer: Peer | None = None

    async def scenario(self, peer: Peer) -> None:
        self.peer = peer

        async def item(peer: Peer, event: dict[str, Any]) -> None:
            if event.get("item", {}).get("type") == "mcp_approval_response":
                self.answers.append(event["item"])
                self.answered.set()
            await _item_created(peer, event)

        async def create(peer: Peer, event: dict[str, Any]) -> None:
            self.creates += 1
            await peer.send(response(f"resp_f{self.creates}", event))
            await peer.send(response(f"resp_f{self.creates}", event, "response.done"))
            self.followed.set()

        await polite(peer, on={"conversation.item.create": item, "response.create": create})

    async def ask(self, *request_ids: str) -> None:
        assert self.peer is not None
        await self.peer.send(response("resp_1", {}))
        for n, rid in enumerate(request_ids):
            await self.peer.send(
                {
                    "type": "response.output_item.done",
                    "event_id": f"ev_o{n}",
                    "response_id": "resp_1",
                    "output_index": n,
                    "item": _request(rid),
                }
            )
        await self.peer.send(response("resp_1", {}, "response.done"))


def _session(url: str, **options: Any) -> RealtimeSession:
    return RealtimeSession(KEY, base_url=url, heartbeat=None, **options)


async def test_by_default_a_request_is_denied_at_once_and_the_model_goes_on() -> None:
    server = ApprovingServer()
    async with HostileServer(server.scenario) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url))
        seen: list[McpApprovalRequested] = []
        s.on(McpApprovalRequested, seen.append)
        await judge.bounded(s.connect())
        await server.ask("mcpr_a")
        await judge.bounded(server.followed.wait())
        assert [(a["approval_request_id"], a["approve"]) for a in server.answers] == [("mcpr_a", False)]
        assert server.creates == 1  # exactly one follow-up response
        assert [(e.request_id, e.name, e.policy) for e in seen] == [("mcpr_a", "delete_page", "deny")]
        await judge.close(s)


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_a_callable_policy_decides(asynchronous: bool) -> None:
    server = ApprovingServer()
    asked: list[str] = []

    def decide(request: McpApprovalRequested) -> bool:
        asked.append(request.arguments)
        return request.name == "delete_page"

    async def decide_async(request: McpApprovalRequested) -> bool:
        return decide(request)

    async with HostileServer(server.scenario) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url, mcp_approval=decide_async if asynchronous else decide))
        await judge.bounded(s.connect())
        await server.ask("mcpr_a")
        await judge.bounded(server.followed.wait())
        assert [(a["approval_request_id"], a["approve"]) for a in server.answers] == [("mcpr_a", True)]
        assert asked == ['{"page": "Home"}']
        await judge.close(s)


async def test_a_policy_that_raises_denies() -> None:
    server = ApprovingServer()

    def broken(request: McpApprovalRequested) -> bool:
        raise RuntimeError("policy bug")

    async with HostileServer(server.scenario) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url, mcp_approval=broken))
        await judge.bounded(s.connect())
        await server.ask("mcpr_a")
        await judge.bounded(server.answered.wait())
        assert server.answers[0]["approve"] is False
        assert server.answers[0]["reason"] == "the approval policy failed"
        await judge.close(s)


async def test_ask_lets_the_app_answer_each_request_and_follows_up_once() -> None:
    server = ApprovingServer()
    async with HostileServer(server.scenario) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url, mcp_approval="ask"))
        await judge.bounded(s.connect())
        requests: list[McpApprovalRequested] = []
        got_both = asyncio.Event()

        @s.on(McpApprovalRequested)
        def collect(event: McpApprovalRequested) -> None:
            requests.append(event)
            if len(requests) == 2:
                got_both.set()

        await server.ask("mcpr_a", "mcpr_b")
        await judge.bounded(got_both.wait())
        assert {r.policy for r in requests} == {"ask"}
        assert [p.request_id for p in s.pending_mcp_approvals] == ["mcpr_a", "mcpr_b"]
        await judge.bounded(s.answer_mcp_approval("mcpr_a", True))
        assert server.creates == 0  # one request still open: no follow-up yet
        await judge.bounded(s.answer_mcp_approval("mcpr_b", False, reason="read-only today"))
        await judge.bounded(server.followed.wait())
        assert [(a["approval_request_id"], a["approve"], a.get("reason")) for a in server.answers] == [
            ("mcpr_a", True, None),
            ("mcpr_b", False, "read-only today"),
        ]
        assert server.creates == 1 and s.pending_mcp_approvals == []
        with pytest.raises(ConfigurationError, match="answered already"):
            await s.answer_mcp_approval("mcpr_a", False)
        with pytest.raises(ConfigurationError, match="no open MCP approval request"):
            await s.answer_mcp_approval("mcpr_nope", True)
        await judge.close(s)


async def test_an_unanswered_ask_is_denied_after_the_timeout() -> None:
    server = ApprovingServer()
    async with HostileServer(server.scenario) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url, mcp_approval="ask", mcp_approval_timeout=0.2))
        await judge.bounded(s.connect())
        await server.ask("mcpr_a")
        await judge.bounded(server.followed.wait())
        assert server.answers[0]["approve"] is False
        assert "no answer within 0.2 s" in server.answers[0]["reason"]
        await judge.close(s)


async def test_closing_with_a_request_open_leaves_no_task() -> None:
    server = ApprovingServer()
    async with HostileServer(server.scenario) as srv, judged(srv) as judge:
        s = judge.track(_session(srv.url, mcp_approval="ask", mcp_approval_timeout=3600))
        got = asyncio.Event()
        s.on(McpApprovalRequested, lambda event: got.set())
        await judge.bounded(s.connect())
        await server.ask("mcpr_a")
        await judge.bounded(got.wait())
        await judge.close(s)  # the judge checks no task, socket or ClientSession is left


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"mcp_approval": "maybe"}, "mcp_approval must be"),
        ({"mcp_approval_timeout": 0}, "mcp_approval_timeout must be"),
    ],
)
def test_bad_approval_options_are_refused_at_construction(options: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigurationError, match=words):
        RealtimeSession(KEY, **options)
