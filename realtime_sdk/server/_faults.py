"""Fault rules: "after the Nth event of type T is sent, do X" (drop the TCP connection, close, stall,
freeze).

A rule set on the server before a connection exists is copied into the next ``connections`` new
connections (``None``: every one); each connection counts its own events.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FaultRule:
    """A scripted fault: after the ``count``-th ``event_type`` event, drop, close (``code``, ``reason``), stall or freeze."""

    event_type: str
    count: int
    action: str  # "drop" | "close" | "stall" | "freeze"
    code: int = 1000
    reason: str = ""
    connections: int | None = 1
    """How many more new connections get this rule (None: all)."""

    def take(self) -> FaultRule | None:
        """A per-connection copy for a new connection, or None when the rule is used up."""
        if self.connections is not None:
            if self.connections <= 0:
                return None
            self.connections -= 1
        return FaultRule(self.event_type, self.count, self.action, self.code, self.reason, None)


class FaultCounter:
    """Counts sent event types for one connection and says which rules fire now."""

    def __init__(self, rules: list[FaultRule]) -> None:
        self.rules = rules
        self.sent: dict[str, int] = {}

    def after_send(self, event_type: str) -> list[FaultRule]:
        n = self.sent[event_type] = self.sent.get(event_type, 0) + 1
        fired = [r for r in self.rules if r.event_type == event_type and r.count == n]
        for rule in fired:
            self.rules.remove(rule)
        return fired
