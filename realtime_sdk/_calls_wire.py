"""TEMPORARY stand-ins for the call-control and webhook bodies of the 2026-08-21 document.

``RealtimeCallReferRequest``, ``RealtimeCallRejectRequest`` and ``WebhookRealtimeCallIncoming`` belong in
``realtime_sdk._generated``; until the generator emits them, these hand-written structs carry the same
fields under the same names, so that switching is an import change.  Delete this module then.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from msgspec import UNSET, UnsetType

from ._struct import Struct

__all__ = [
    "RealtimeCallReferRequest",
    "RealtimeCallRejectRequest",
    "WebhookRealtimeCallIncoming",
    "WebhookRealtimeCallIncomingData",
    "WebhookRealtimeCallIncomingDataSipHeader",
]


class RealtimeCallReferRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    target_uri: str


class RealtimeCallRejectRequest(Struct, kw_only=True, forbid_unknown_fields=True):
    status_code: int | UnsetType = UNSET


class WebhookRealtimeCallIncomingDataSipHeader(Struct, kw_only=True):
    name: str
    value: str


class WebhookRealtimeCallIncomingData(Struct, kw_only=True):
    call_id: str
    sip_headers: list[WebhookRealtimeCallIncomingDataSipHeader]


class WebhookRealtimeCallIncoming(Struct, kw_only=True, tag_field="type", tag="realtime.call.incoming"):
    type: ClassVar[Literal["realtime.call.incoming"]]
    created_at: int
    id: str
    data: WebhookRealtimeCallIncomingData
    object: Literal["event"] | UnsetType = UNSET
