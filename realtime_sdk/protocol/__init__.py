"""The client side of a Realtime session as state, without I/O: events in, decisions out.

Nothing here imports asyncio or aiohttp, starts a thread or reads a clock; the edge (``session/``) feeds
server events in order and turns the outputs into futures, handles and streams.  See
``docs/architecture.md`` for the contract.
"""

from ._approvals import ApprovalBook, ApprovalRequested, FollowUp
from ._continuity import ABNORMAL_CLOSE_CODES, MIN_ROLLOVER_LIFE, Continuity
from ._interruption import CallPlayback, Cut, Interruption
from ._requests import HARMLESS_ERROR_CODES, ErrorClaim, Pending, RequestBook
from ._responses import METADATA_KEY, Ended, ResponseBook, Routed, Started
from ._tool_batches import (
    AskFollowUp,
    BatchClosed,
    CallReady,
    ClaimAgain,
    LeftToApp,
    NoFollowUp,
    NothingFollows,
    ToolBatches,
    Wait,
)

__all__ = [
    "ABNORMAL_CLOSE_CODES",
    "HARMLESS_ERROR_CODES",
    "METADATA_KEY",
    "MIN_ROLLOVER_LIFE",
    "ApprovalBook",
    "ApprovalRequested",
    "AskFollowUp",
    "BatchClosed",
    "CallPlayback",
    "CallReady",
    "ClaimAgain",
    "Continuity",
    "Cut",
    "Ended",
    "ErrorClaim",
    "FollowUp",
    "Interruption",
    "LeftToApp",
    "NoFollowUp",
    "NothingFollows",
    "Pending",
    "RequestBook",
    "ResponseBook",
    "Routed",
    "Started",
    "ToolBatches",
    "Wait",
]
